/** Reductions, softmax, shape ops, joins and matmul: forward values on every backend. */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { forEachBackend, onJs, nativeKernelsOnly } from '../helpers/backends.js';
import { randData } from '../helpers/random.js';
import { ELEMENTWISE, REDUCTION, expectClose } from '../helpers/tolerance.js';

nativeKernelsOnly(); // on [native], small sizes would otherwise run on the js kernels

const K = ['unary', 'binary', 'reduce', 'copy', 'softmax', 'softmaxBackward'];

/** float64 reduction of x over dim d (no dim: everything) */
function refReduce(x: Tensor, d: number | undefined, f: (v: number[]) => number): number[] {
  const shape = d === undefined ? [1, x.size, 1] : [x.shape.slice(0, d).reduce((a, b) => a * b, 1), x.shape[d], x.shape.slice(d + 1).reduce((a, b) => a * b, 1)];
  const [outer, n, inner] = shape;
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const v: number[] = [];
    for (let j = 0; j < n; j++) v.push(x.data[(o * n + j) * inner + i]);
    out.push(Math.fround(f(v)));
  }
  return out;
}

const sumF = (v: number[]): number => v.reduce((a, b) => a + b, 0);
const REDS: [string, (x: Tensor, d?: number) => Tensor, (v: number[]) => number][] = [
  ['sum', (x, d) => x.sum(d), sumF],
  ['mean', (x, d) => x.mean(d), (v) => sumF(v) / v.length],
  ['max', (x, d) => x.max(d), (v) => Math.max(...v)],
  ['min', (x, d) => x.min(d), (v) => Math.min(...v)],
  ['argmax', (x, d) => x.argmax(d), (v) => v.indexOf(Math.max(...v))],
  ['argmin', (x, d) => x.argmin(d), (v) => v.indexOf(Math.min(...v))],
];

forEachBackend('conformance: reductions', K, (backend) => {
  for (const [name, op, f] of REDS) {
    it(`${name} over every dim and all`, () => {
      for (const shape of [[1], [7], [17], [33], [257], [7, 33], [3, 17, 5]]) {
        const x = randData(shape, shape.length * 13 + shape[0]);
        for (const d of [undefined, ...shape.map((_, i) => i)]) {
          const y = op(x, d);
          const exp = refReduce(x, d, f);
          expect(y.size).toBe(exp.length);
          expectClose(y.data, exp, name.startsWith('arg') ? { rtol: 0, atol: 0 } : REDUCTION, `${name} ${JSON.stringify(shape)} dim ${d}`);
          if (backend !== 'js') expectClose(y.data, onJs(() => op(x, d)).data, REDUCTION, `${name} vs js`);
        }
      }
    });
  }
  it('keepDim and negative dims', () => {
    const x = randData([2, 3, 4], 5);
    expect(x.sum(-1, true).shape).toEqual([2, 3, 1]);
    expect(x.mean(1).shape).toEqual([2, 4]);
    expect(x.max().shape).toEqual([]);
    expect(x.sum(undefined, true).shape).toEqual([1, 1, 1]);
    expect(x.argmax(-2, true).shape).toEqual([2, 1, 4]);
    expect(() => x.sum(3)).toThrow(/^sum: dim 3 is out of range for a tensor of rank 3/);
  });
  it('ties: argmax and max over a dim pick the first; a whole-tensor max splits the gradient (PyTorch)', () => {
    const x = ng.tensor([1, 3, 3, 2], { requiresGrad: true });
    expect(x.argmax().item()).toBe(1);
    x.max().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0.5, 0.5, 0]);
    const y = ng.tensor([[1, 3, 3, 2]], { requiresGrad: true });
    const m = y.max(1);
    expect(m.indices.item()).toBe(1);
    m.sum().backward();
    expect(Array.from(y.grad!.data)).toEqual([0, 1, 0, 0]);
  });
  it('softmax and logSoftmax', () => {
    for (const [shape, dim] of [[[1], 0], [[7], 0], [[4, 33], -1], [[3, 17, 5], 1], [[257], -1], [[5, 3], 0]] as [number[], number][]) {
      const x = randData(shape, 3 + shape[0], { lo: -30, hi: 30 });
      const s = x.softmax(dim);
      const l = x.logSoftmax(dim);
      const d = dim < 0 ? dim + shape.length : dim;
      const sums = s.sum(d);
      expectClose(sums.data, new Array(sums.size).fill(1), { rtol: 0, atol: 1e-5 }, 'softmax rows sum to 1');
      expectClose(l.data, Array.from(s.data, (v) => Math.fround(Math.log(v))), { rtol: 1e-5, atol: 1e-5 }, 'log(softmax)');
      if (backend !== 'js') {
        expectClose(s.data, onJs(() => x.softmax(dim)).data, ELEMENTWISE, 'softmax vs js');
        expectClose(l.data, onJs(() => x.logSoftmax(dim)).data, ELEMENTWISE, 'logSoftmax vs js');
      }
    }
    const big = ng.tensor([1000, 1000, -1000]);
    expect(Array.from(big.softmax().data)).toEqual([0.5, 0.5, 0]);
    expect(Number.isFinite(big.logSoftmax().data[2])).toBe(true);
  });
});

forEachBackend('conformance: shape and join', K, () => {
  it('reshape / view / flatten / squeeze / unsqueeze share data', () => {
    const x = ng.arange(24);
    const r = x.reshape(2, 3, -1);
    expect(r.shape).toEqual([2, 3, 4]);
    expect(r.data).toBe(x.data);
    expect(r.view([6, 4]).shape).toEqual([6, 4]);
    expect(r.flatten().shape).toEqual([24]);
    expect(r.flatten(1).shape).toEqual([2, 12]);
    expect(r.unsqueeze(0).shape).toEqual([1, 2, 3, 4]);
    expect(r.unsqueeze(-1).shape).toEqual([2, 3, 4, 1]);
    expect(ng.zeros([1, 3, 1]).squeeze().shape).toEqual([3]);
    expect(ng.zeros([1, 3, 1]).squeeze(0).shape).toEqual([3, 1]);
    expect(() => x.reshape(5, 5)).toThrow(/^reshape: cannot reshape \[24\] \(24 elements\) into \[5,5\]/);
  });
  it('transpose / permute', () => {
    const x = ng.arange(24).reshape(2, 3, 4);
    const t = x.transpose(0, 2);
    expect(t.shape).toEqual([4, 3, 2]);
    const p = x.permute(1, 2, 0);
    expect(p.shape).toEqual([3, 4, 2]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
      const v = i * 12 + j * 4 + k;
      expect(t.data[k * 6 + j * 2 + i]).toBe(v);
      expect(p.data[j * 8 + k * 2 + i]).toBe(v);
    }
    const big = randData([33, 257], 9);
    expect(Array.from(big.transpose(0, 1).transpose(1, 0).data)).toEqual(Array.from(big.data));
  });
  it('expand', () => {
    const x = ng.tensor([[1], [2]]);
    expect(x.expand(3, 2, 4).toArray()).toEqual([[[1, 1, 1, 1], [2, 2, 2, 2]], [[1, 1, 1, 1], [2, 2, 2, 2]], [[1, 1, 1, 1], [2, 2, 2, 2]]]);
    expect(() => x.expand(3, 3)).toThrow(/^expand: shapes \[2,1\] and \[3,3\]/);
  });
  it('concat / stack / slice / index', () => {
    const a = ng.tensor([[1, 2], [3, 4]]);
    const b = ng.tensor([[5, 6]]);
    expect(ng.concat([a, b], 0).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(ng.concat([a, a], -1).toArray()).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
    expect(() => ng.concat([a, b], 1)).toThrow(/^concat: shapes \[2,2\] and \[1,2\] differ outside dim 1/);
    expect(ng.stack([a, a], 0).shape).toEqual([2, 2, 2]);
    expect(ng.stack([a, a], 2).toArray()).toEqual([[[1, 1], [2, 2]], [[3, 3], [4, 4]]]);
    expect(() => ng.stack([a, b])).toThrow(/^stack: shapes \[2,2\] and \[1,2\] differ/);
    const x = ng.arange(12).reshape(3, 4);
    expect(x.slice(1, 1, 3).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(x.slice(0, -1).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(x.slice(0, 2, 100).shape).toEqual([1, 4]);
    expect(x.index(1).toArray()).toEqual([4, 5, 6, 7]);
    expect(x.index(-1).toArray()).toEqual([8, 9, 10, 11]);
    expect(() => x.index(3)).toThrow(/^index: index 3 is out of range/);
  });
});

forEachBackend('conformance: matmul', [...K, 'gemm'], (backend) => {
  const ref = (a: Tensor, b: Tensor): number[] => {
    const [M, Kd] = a.shape;
    const N = b.shape[1];
    const out: number[] = [];
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < Kd; k++) s += a.data[i * Kd + k] * b.data[k * N + j];
      out.push(s);
    }
    return out;
  };
  it('2-D sizes 1..257', () => {
    for (const [M, Kd, N] of [[1, 1, 1], [7, 17, 33], [33, 7, 17], [17, 257, 7], [257, 33, 1]]) {
      const a = randData([M, Kd], M + Kd);
      const b = randData([Kd, N], Kd + N + 1);
      const c = a.matmul(b);
      expect(c.shape).toEqual([M, N]);
      expectClose(c.data, ref(a, b), REDUCTION, `matmul ${M}x${Kd}x${N}`);
      if (backend !== 'js') expectClose(c.data, onJs(() => a.matmul(b)).data, REDUCTION, 'matmul vs js');
    }
  });
  it('1-D and batched shapes (torch.matmul rules)', () => {
    expect(ng.zeros([3]).matmul(ng.zeros([3])).shape).toEqual([]);
    expect(ng.zeros([3]).matmul(ng.zeros([3, 4])).shape).toEqual([4]);
    expect(ng.zeros([2, 3]).matmul(ng.zeros([3])).shape).toEqual([2]);
    expect(ng.zeros([5, 2, 3]).matmul(ng.zeros([3, 4])).shape).toEqual([5, 2, 4]);
    expect(ng.zeros([2, 1, 2, 3]).matmul(ng.zeros([5, 3, 4])).shape).toEqual([2, 5, 2, 4]);
    const a = randData([2, 3, 4], 1);
    const b = randData([2, 4, 5], 2);
    const c = a.matmul(b);
    for (let k = 0; k < 2; k++) expectClose(c.index(k).data, ref(a.index(k), b.index(k)), REDUCTION, `batch ${k}`);
  });
  it('shape errors', () => {
    expect(() => ng.zeros([2, 3]).matmul(ng.zeros([4, 5]))).toThrow('matmul: shapes [2,3] and [4,5] do not align (3 != 4)');
    expect(() => ng.zeros([3]).matmul(ng.zeros([4]))).toThrow('matmul: shapes [3] and [4] do not align (3 != 4)');
    expect(() => ng.zeros([2, 2, 3]).matmul(ng.zeros([3, 3, 1]))).toThrow(/^matmul: shapes \[2,2,3\] and \[3,3,1\]/);
  });
});
