/** Tensor construction, inspection and autograd semantics (PyTorch-like) on every backend. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';

nativeKernelsOnly(); // on [native], small sizes would otherwise run on the js kernels

describe('tensor construction', () => {
  it('from nested arrays, numbers, flat data + shape', () => {
    const t = ng.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(ng.tensor(3.5).shape).toEqual([]);
    expect(ng.tensor(3.5).item()).toBe(3.5);
    expect(ng.tensor(3.5).toArray()).toBe(3.5);
    expect(ng.tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(ng.tensor(new Float32Array([1, 2, 3])).shape).toEqual([3]);
    const src = new Float32Array([1, 2]);
    const c = ng.tensor(src);
    src[0] = 9;
    expect(c.data[0]).toBe(1); // copied
    expect(ng.tensor([]).shape).toEqual([0]);
    expect(ng.tensor([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
  it('rejects ragged arrays and size mismatches', () => {
    expect(() => ng.tensor([[1, 2], [3]])).toThrow(/^tensor: ragged nested array at \[1\]: expected length 2, got length 1/);
    expect(() => ng.tensor([[1, 2], 3] as never)).toThrow(/ragged/);
    expect(() => ng.tensor([1, 2, 3], [2, 2])).toThrow(/^tensor: 3 values do not fit shape \[2,2\]/);
    expect(() => ng.tensor(new Float32Array(5), [2, 2])).toThrow(/do not fit shape/);
    expect(() => ng.zeros([2, -1])).toThrow(/^zeros: invalid shape/);
    expect(() => ng.tensor([1, 2]).item()).toThrow(/^item: tensor of shape \[2\] has 2 elements/);
  });
  it('constructors', () => {
    expect(Array.from(ng.zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(ng.ones([3]).data)).toEqual([1, 1, 1]);
    expect(Array.from(ng.full([2], 7).data)).toEqual([7, 7]);
    expect(ng.eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(Array.from(ng.arange(4).data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(ng.arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(ng.arange(5, 0, -2).data)).toEqual([5, 3, 1]);
  });
  it('randn / rand are seeded and well distributed', () => {
    ng.manualSeed(42);
    const a = ng.randn([10000]);
    ng.manualSeed(42);
    const b = ng.randn([10000]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const mean = a.data.reduce((x, y) => x + y, 0) / a.size;
    const std = Math.sqrt(a.data.reduce((x, y) => x + y * y, 0) / a.size - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    const u = ng.rand([10000]);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
    expect(Math.abs(u.data.reduce((x, y) => x + y, 0) / u.size - 0.5)).toBeLessThan(0.02);
    const state = ng.getRngState();
    const c = ng.randn([5]);
    ng.setRngState(state);
    expect(Array.from(ng.randn([5]).data)).toEqual(Array.from(c.data));
    ng.manualSeed(43);
    expect(Array.from(ng.randn([5]).data)).not.toEqual(Array.from(c.data));
  });
});

forEachBackend('autograd semantics', ['unary', 'unaryBackward', 'binary', 'reduce', 'copy'], () => {
  it('scalar backward, leaf grads, intermediates keep none', () => {
    const x = ng.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x);
    const z = y.sum();
    z.backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
    expect(y.grad).toBeNull();
    expect(x.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
  });
  it('backward twice accumulates into leaves', () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const z = x.mul(3).sum();
    z.backward();
    z.backward();
    expect(Array.from(x.grad!.data)).toEqual([6, 6]);
    x.mul(x).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([8, 10]);
  });
  it('non-scalar needs a gradient', () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/^backward: grad can be implicitly created only for scalar outputs; got shape \[2\]/);
    y.backward(ng.tensor([1, 10]));
    expect(Array.from(x.grad!.data)).toEqual([2, 20]);
  });
  it('tensors that do not require grad get none', () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const c = ng.tensor([3, 4]);
    x.mul(c).sum().backward();
    expect(c.grad).toBeNull();
    expect(() => c.sum().backward()).toThrow(/^backward: this tensor does not require grad/);
  });
  it('noGrad records nothing and restores the mode', () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const y = ng.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(ng.isGradEnabled()).toBe(true);
    expect(() => ng.noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(ng.isGradEnabled()).toBe(true);
  });
  it('detach cuts the graph and shares data', () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    const z = x.mul(d).sum();
    z.backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 4]);
  });
  it('diamond graph and reuse sum the paths', () => {
    const x = ng.tensor([2], { requiresGrad: true });
    const a = x.mul(3);
    const b = x.exp();
    const y = a.mul(b).add(a); // 3x e^x + 3x
    y.sum().backward();
    const e = Math.exp(2);
    expect(x.grad!.data[0]).toBeCloseTo(3 * e + 6 * e + 3, 4);
  });
  it('deep chains do not overflow the stack', () => {
    const x = ng.tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1);
    y.sum().backward();
    expect(x.grad!.data[0]).toBe(1);
  });
  it('known gradients: sigmoid + MSE on the XOR inputs', () => {
    const x = ng.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const t = ng.tensor([[0], [1], [1], [0]]);
    const w = ng.tensor([[0.5, -0.5]], { requiresGrad: true });
    const p = x.mul(w).sum(1, true).sigmoid();
    const loss = p.sub(t).square().mean();
    loss.backward();
    const s = (v: number): number => 1 / (1 + Math.exp(-v));
    const xs = [[0, 0], [0, 1], [1, 0], [1, 1]];
    const ts = [0, 1, 1, 0];
    const ps = xs.map(([a, b]) => s(0.5 * a - 0.5 * b));
    const L = ps.reduce((acc, v, i) => acc + (v - ts[i]) ** 2, 0) / 4;
    expect(loss.item()).toBeCloseTo(L, 6);
    for (let j = 0; j < 2; j++) {
      const g = ps.reduce((acc, v, i) => acc + ((2 * (v - ts[i])) / 4) * v * (1 - v) * xs[i][j], 0);
      expect(w.grad!.data[j]).toBeCloseTo(g, 6);
    }
  });
});
