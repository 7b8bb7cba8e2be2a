/** int32 and bool tensors: construction, casts, comparisons, logical ops, where, promotion, indices, on every backend. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';

nativeKernelsOnly();

forEachBackend('dtypes', ['copy', 'binary', 'reduce'], () => {
  it('constructors take a dtype; typed arrays keep theirs', () => {
    expect(ng.tensor([1, 2, 3]).dtype).toBe('float32');
    const i = ng.tensor([1.9, -2.7, 3], { dtype: 'int32' });
    expect(i.dtype).toBe('int32');
    expect(i.data).toBeInstanceOf(Int32Array);
    expect(i.toArray()).toEqual([1, -2, 3]);
    expect(ng.tensor(new Int32Array([4, 5])).dtype).toBe('int32');
    const b = ng.tensor([[true, false], [false, true]]);
    expect(b.dtype).toBe('bool');
    expect(b.data).toBeInstanceOf(Uint8Array);
    expect(b.toArray()).toEqual([[true, false], [false, true]]);
    expect(ng.zeros([2], { dtype: 'int32' }).data).toBeInstanceOf(Int32Array);
    expect(ng.ones(2, 2, { dtype: 'bool' }).toArray()).toEqual([[true, true], [true, true]]);
    expect(ng.full([2], true).dtype).toBe('bool');
    expect(ng.arange(4, { dtype: 'int32' }).toArray()).toEqual([0, 1, 2, 3]);
    expect(ng.eye(2, 2, { dtype: 'int32' }).dtype).toBe('int32');
    expect(() => ng.zeros([2], { dtype: 'float64' as never })).toThrow(/dtype must be/);
    expect(() => ng.zeros([2], { dtype: 'int32', requiresGrad: true })).toThrow(/only float32 tensors can require gradients/);
    expect(() => ng.zeros([2], { dtyp: 'int32' } as never)).toThrow(/unknown option 'dtyp'/);
  });

  it('casts: to, float, int, bool (truncation toward zero, x != 0)', () => {
    const x = ng.tensor([-1.5, -0.5, 0, 0.5, 2.7]);
    expect(x.int().toArray()).toEqual([-1, 0, 0, 0, 2]);
    expect(x.bool().toArray()).toEqual([true, true, false, true, true]);
    expect(x.to('int32').dtype).toBe('int32');
    expect(x.to('float32')).toBe(x);
    expect(x.bool().float().toArray()).toEqual([1, 1, 0, 1, 1]);
    // a cast of a strided view
    const m = ng.tensor([[1.5, 2.5], [3.5, 4.5]]);
    expect(m.t().int().toArray()).toEqual([[1, 3], [2, 4]]);
    expect(() => x.to('complex' as never)).toThrow(TypeError);
  });

  it('comparisons broadcast and return bool', () => {
    const a = ng.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = ng.tensor([2, 2, 7]);
    expect(a.eq(b).toArray()).toEqual([[false, true, false], [false, false, false]]);
    expect(((a.ne(2)).toArray() as any)[0]).toEqual([true, false, true]);
    expect(a.lt(b).toArray()).toEqual([[true, false, true], [false, false, true]]);
    expect(((a.le(2)).toArray() as any)[0]).toEqual([true, true, false]);
    expect(a.gt(b.int()).dtype).toBe('bool');
    expect(a.ge(ng.tensor(5)).toArray()).toEqual([[false, false, false], [false, true, true]]);
    expect(a.t().gt(3).toArray()).toEqual([[false, true], [false, true], [false, true]]);
    const nan = ng.tensor([NaN, 1]);
    expect(nan.eq(nan).toArray()).toEqual([false, true]);
    expect(nan.ne(nan).toArray()).toEqual([true, false]);
    expect(() => a.eq(ng.zeros([4]))).toThrow(/eq: shapes \[2,3\] and \[4\] cannot be broadcast/);
  });

  it('logical ops', () => {
    const p = ng.tensor([true, true, false, false]);
    const q = ng.tensor([true, false, true, false]);
    expect(ng.logicalAnd(p, q).toArray()).toEqual([true, false, false, false]);
    expect(ng.logicalOr(p, q).toArray()).toEqual([true, true, true, false]);
    expect(p.logicalXor(q).toArray()).toEqual([false, true, true, false]);
    expect(ng.logicalNot(p).toArray()).toEqual([false, false, true, true]);
    expect(ng.logicalAnd(ng.tensor([0, 2]), ng.tensor([3, 3])).toArray()).toEqual([false, true]);
  });

  it('where and maskedFill broadcast, keep dtypes, and are differentiable in the values', () => {
    const c = ng.tensor([[true, false, true]]);
    const a = ng.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(ng.where(c, a, 0).toArray()).toEqual([[1, 0, 3], [4, 0, 6]]);
    expect(ng.where(c, a, ng.tensor([[-1], [-2]])).toArray()).toEqual([[1, -1, 3], [4, -2, 6]]);
    expect(ng.where(c, ng.tensor([1, 2, 3], { dtype: 'int32' }), ng.tensor([0, 0, 0], { dtype: 'int32' })).dtype).toBe('int32');
    const causal = ng.tensor([[true, false], [true, true]]);
    const scores = ng.tensor([[0.5, 0.75], [0.25, 2]]);
    expect(scores.maskedFill(causal.logicalNot(), -Infinity).toArray()).toEqual([[0.5, -Infinity], [0.25, 2]]);
    expect(() => ng.where(ng.tensor([1, 0]), a, 0)).toThrow(/condition must be a bool tensor/);
    expect(() => scores.maskedFill(ng.tensor([true, false, true]), 0)).toThrow(/maskedFill/);
    const x = randData([2, 3], 1, { requiresGrad: true });
    const y = randData([3], 2, { requiresGrad: true });
    gradcheck((u, v) => ng.where(c, u, v), [x, y]);
    gradcheck((u) => u.maskedFill(c, 0.5).mul(u), [x]);
  });

  it('type promotion: int op int stays int32, int op float goes to float32', () => {
    const i = ng.tensor([1, 2, 3], { dtype: 'int32' });
    expect(i.add(i).dtype).toBe('int32');
    expect(i.add(i).toArray()).toEqual([2, 4, 6]);
    expect(i.mul(3).dtype).toBe('int32');
    expect(i.sub(1).toArray()).toEqual([0, 1, 2]);
    expect(i.add(0.5).dtype).toBe('float32');
    expect(i.add(ng.tensor([0.5, 0.5, 0.5])).toArray()).toEqual([1.5, 2.5, 3.5]);
    expect(i.div(2).dtype).toBe('float32'); // true division, as torch.div
    expect(i.div(2).toArray()).toEqual([0.5, 1, 1.5]);
    expect(i.exp().dtype).toBe('float32');
    expect(ng.tensor([true, false]).add(ng.tensor([true, true])).toArray()).toEqual([true, true]); // bool stays bool, as PyTorch
    expect(() => ng.tensor([true]).sub(ng.tensor([true]))).toThrow(/subtraction of two bool tensors/);
    expect(ng.tensor([2 ** 30], { dtype: 'int32' }).mul(4).toArray()).toEqual([0]); // int32 wraps, as C/PyTorch
  });

  it('reductions: argmax/argmin and max/min indices are int32; sum of bool counts', () => {
    const x = ng.tensor([[1, 9, 3], [7, 2, 7]]);
    const am = x.argmax(1);
    expect(am.dtype).toBe('int32');
    expect(am.toArray()).toEqual([1, 0]);
    expect(x.argmin().toArray()).toEqual(0);
    const [v, idx] = x.max(1);
    expect(v.toArray()).toEqual([9, 7]);
    expect(idx.dtype).toBe('int32');
    expect(idx.toArray()).toEqual([1, 0]);
    expect(x.min(0).indices.toArray()).toEqual([0, 1, 0]);
    const m = x.gt(2);
    expect(m.sum().dtype).toBe('int32');
    expect(m.sum().item()).toBe(4);
    expect(m.sum(1).toArray()).toEqual([2, 2]);
    const i = ng.tensor([[3, -1], [5, 2]], { dtype: 'int32' });
    expect(i.max().item()).toBe(5);
    expect(i.max(1).indices.toArray()).toEqual([0, 0]);
    expect(i.mean().dtype).toBe('float32');
    expect(i.mean().item()).toBe(2.25);
  });

  it('item, toString and data for every dtype', () => {
    expect(ng.tensor(true).item()).toBe(1);
    expect(ng.tensor(7, { dtype: 'int32' }).item()).toBe(7);
    expect(String(ng.tensor([1, 2], { dtype: 'int32' }))).toMatch(/dtype=int32/);
    const t = ng.tensor([1, 2, 3]);
    expect(() => { t.data = new Float32Array(2); }).toThrow(RangeError);
    expect(() => { t.data = new Int32Array(3) as unknown as Float32Array; }).toThrow(TypeError);
    t.data = new Float32Array([4, 5, 6]);
    expect(t.toArray()).toEqual([4, 5, 6]);
    const b = ng.tensor([[1, 2], [3, 4]]);
    const tv = b.t();
    tv.data = new Float32Array([10, 20, 30, 40]);
    expect(b.toArray()).toEqual([[10, 30], [20, 40]]);
  });
});

describe('dtypes: integer tensors do not require grad', () => {
  it('throws a clear TypeError', () => {
    expect(() => ng.tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(/only float32/);
    expect(() => ng.tensor([1], { dtype: 'bool' }).requiresGrad_()).toThrow(/only float32/);
  });
});
