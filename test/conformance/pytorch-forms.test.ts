/**
 * PyTorch call forms users bring with them: sizes as separate arguments (zeros(2, 3)), max/min over a
 * dim as a (values, indices) named tuple, sum/mean over several dims, and the even split of the
 * gradient between tied extremes of a whole-tensor max/min.
 */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';

forEachBackend('PyTorch call forms', ['reduce', 'copy'], () => {
  it('constructors take the sizes as separate arguments, with or without options', () => {
    expect(ng.zeros(2, 3).shape).toEqual([2, 3]);
    expect(ng.ones(2, 3, 4).shape).toEqual([2, 3, 4]);
    expect(Array.from(ng.ones(2, 2).data)).toEqual([1, 1, 1, 1]);
    const t = ng.zeros(2, 3, { requiresGrad: true });
    expect(t.shape).toEqual([2, 3]);
    expect(t.requiresGrad).toBe(true);
    ng.manualSeed(7);
    const a = ng.randn(3, 4);
    ng.manualSeed(7);
    const b = ng.randn([3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    ng.manualSeed(7);
    expect(Array.from(ng.rand(5, 2).data)).toEqual((ng.manualSeed(7), Array.from(ng.rand([5, 2]).data)));
    expect(ng.zeros(4).shape).toEqual([4]);
    expect(() => ng.zeros([2, 3], 5 as never)).toThrow(TypeError);
    expect(() => ng.zeros(2, -1)).toThrow(/zeros/);
  });

  it('max/min over a dim give values with .values/.indices and unpack like a tuple', () => {
    const x = ng.tensor([[1, 5, 3], [4, 2, 6]]);
    const m = x.max(1);
    expect(m.toArray()).toEqual([5, 6]);
    expect(m.values.toArray()).toEqual([5, 6]);
    expect(m.indices.toArray()).toEqual([1, 2]);
    const [values, indices] = x.min(0);
    expect(values.toArray()).toEqual([1, 2, 3]);
    expect(indices.toArray()).toEqual([0, 1, 0]);
    const k = x.max(1, true);
    expect(k.shape).toEqual([2, 1]);
    expect(k.indices.shape).toEqual([2, 1]);
    expect(k.indices.toArray()).toEqual([[1], [2]]);
    const { values: v2, indices: i2 } = ng.tensor([[1, 5, 3], [4, 2, 6]]).max(-1);
    expect(v2.toArray()).toEqual([5, 6]);
    expect(i2.toArray()).toEqual([1, 2]);
    // whole-tensor max stays a plain 0-d tensor
    expect(x.max().item()).toBe(6);
  });

  it('max over a dim sends the gradient to the index; a whole-tensor max splits it between ties', () => {
    const x = ng.tensor([[1, 5, 5], [7, 2, 7]]);
    x.requiresGrad = true;
    x.max(1).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
    const y = ng.tensor([1, 3, 3, 2]);
    y.requiresGrad = true;
    y.max().backward();
    expect(Array.from(y.grad!.data)).toEqual([0, 0.5, 0.5, 0]);
    const z = ng.tensor([-1, -4, -4]);
    z.requiresGrad = true;
    z.min().mul(2).backward();
    expect(Array.from(z.grad!.data)).toEqual([0, 1, 1]);
  });

  it('sum and mean over several dims, keepDim, negative dims, and their gradients', () => {
    const x = ng.arange(24).reshape([2, 3, 4]);
    x.requiresGrad = true;
    const s = x.sum([0, 1]);
    expect(s.shape).toEqual([4]);
    expect(s.toArray()).toEqual([60, 66, 72, 78]);
    expect(x.sum([0, 2], true).shape).toEqual([1, 3, 1]);
    expect(x.sum([-1, 0]).toArray()).toEqual([60, 92, 124]);
    const m = x.mean([1, 2]);
    expect(m.toArray()).toEqual([5.5, 17.5]);
    m.sum().backward();
    for (const g of x.grad!.data) expect(g).toBeCloseTo(1 / 12, 7);
    expect(x.sum([]).item()).toBe(276);
    expect(() => x.sum([1, 1])).toThrow(RangeError);
    expect(() => x.sum([3])).toThrow(/sum/);
  });
});
