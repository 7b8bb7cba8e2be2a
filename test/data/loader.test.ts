import { describe, expect, it } from 'vitest';
import { DataLoader, TensorDataset, type Dataset } from '../../lib/data/index.js';
import { manualSeed } from '../../lib/random.js';
import { arange, Tensor, tensor } from '../../lib/tensor.js';

const x = new Tensor(Float32Array.from({ length: 20 }, (_, i) => i), [10, 2]);
const labels = Int32Array.from({ length: 10 }, (_, i) => i);

function firsts(loader: DataLoader): number[][] {
  return [...loader].map(([xb, yb]) => {
    expect(xb.shape[0]).toBe((yb as Int32Array).length);
    for (let r = 0; r < xb.shape[0]; r++) expect(xb.data[2 * r]).toBe(2 * (yb as Int32Array)[r]);
    return Array.from(yb as Int32Array);
  });
}

describe('TensorDataset', () => {
  it('checks first dims, returns items', () => {
    expect(() => new TensorDataset(x, [1, 2])).toThrow('TensorDataset: x has 10 examples (shape [10,2]) but y has 2');
    const ds = new TensorDataset(x, labels);
    expect(ds.length).toBe(10);
    const [xi, yi] = ds.get(3);
    expect(Array.from(xi.data)).toEqual([6, 7]);
    expect(yi).toBe(3);
    expect(() => ds.get(10)).toThrow(RangeError);
    expect(new TensorDataset(x, [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9]).yTensor).not.toBeNull();
  });
});

describe('DataLoader', () => {
  it('batches in order, length, dropLast', () => {
    const ds = new TensorDataset(x, labels);
    const l = new DataLoader(ds, { batchSize: 4 });
    expect(l.length).toBe(3);
    expect(firsts(l)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const d = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(d.length).toBe(2);
    expect(firsts(d)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new DataLoader(ds).length).toBe(10);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(RangeError);
  });

  it('seeded shuffle: a permutation, deterministic per epoch, different across epochs', () => {
    const ds = new TensorDataset(x, labels);
    const a = new DataLoader(ds, { batchSize: 3, shuffle: true, seed: 42 });
    const b = new DataLoader(ds, { batchSize: 3, shuffle: true, seed: 42 });
    const e1 = firsts(a).flat();
    expect([...e1].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(firsts(b).flat()).toEqual(e1);
    const e2 = firsts(a).flat();
    expect(e2).not.toEqual(e1);
    expect(firsts(b).flat()).toEqual(e2);
    expect(Array.from(a.order(0))).toEqual(e1);
  });

  it('without a seed, shuffling follows manualSeed', () => {
    const ds = new TensorDataset(x, labels);
    manualSeed(3);
    const a = firsts(new DataLoader(ds, { batchSize: 10, shuffle: true })).flat();
    manualSeed(3);
    expect(firsts(new DataLoader(ds, { batchSize: 10, shuffle: true })).flat()).toEqual(a);
  });

  it('tensor targets are gathered as tensors; custom datasets are stacked', () => {
    const y = tensor([[1], [2], [3]]);
    const l = new DataLoader(new TensorDataset(tensor([[1, 1], [2, 2], [3, 3]]), y), { batchSize: 2 });
    const [[xb, yb]] = [...l];
    expect(yb).toBeInstanceOf(Tensor);
    expect((yb as Tensor).shape).toEqual([2, 1]);
    expect(xb.shape).toEqual([2, 2]);
    const custom: Dataset = { length: 5, get: (i) => [arange(3), i % 2] };
    const [[cx, cy]] = [...new DataLoader(custom, { batchSize: 5 })];
    expect(cx.shape).toEqual([5, 3]);
    expect(Array.from(cy as Int32Array)).toEqual([0, 1, 0, 1, 0]);
  });
});
