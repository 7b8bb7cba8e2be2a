/** tril / triu / gather / scatterAdd: values as PyTorch, gradients by finite differences, on every backend. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';

const KERNELS = ['gatherRows', 'scatterAddRows', 'copy'];
const idx = (v: number[][] | number[][][], shape?: number[]) => ng.tensor(v as number[][], { dtype: 'int32' }).reshape(shape ?? ng.tensor(v as number[][]).shape as number[]);

forEachBackend('tril / triu / gather / scatterAdd', KERNELS, () => {
  it('tril and triu with diagonals, as torch', () => {
    const x = ng.arange(1, 13).reshape([3, 4]);
    expect(Array.from(ng.tril(x).data)).toEqual([1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0]);
    expect(Array.from(x.tril(1).data)).toEqual([1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12]);
    expect(Array.from(x.tril(-1).data)).toEqual([0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    expect(Array.from(ng.triu(x).data)).toEqual([1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    expect(Array.from(x.triu(2).data)).toEqual([0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0]);
    expect(Array.from(x.triu(-1).data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12]);
  });
  it('tril keeps the dtype and batches over leading dims; bool tril is a causal mask', () => {
    const m = ng.ones([2, 3, 3], { dtype: 'bool' }).tril();
    expect(m.dtype).toBe('bool');
    expect(Array.from(m.data)).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1]);
    const xi = ng.arange(4, { dtype: 'int32' }).reshape([2, 2]).triu();
    expect(xi.dtype).toBe('int32');
    expect(Array.from(xi.data)).toEqual([0, 1, 0, 3]);
  });
  it('tril of a transposed view', () => {
    const x = ng.arange(6).reshape([2, 3]).t();
    expect(Array.from(x.tril().data)).toEqual([0, 0, 1, 4, 2, 5]);
  });
  it('tril/triu errors', () => {
    expect(() => ng.tril(ng.ones([3]))).toThrow(/tril: input must have at least 2 dims, got shape \[3\]/);
    expect(() => ng.triu(ng.ones([2, 2]), 0.5)).toThrow(/triu: diagonal must be an integer/);
  });

  it('gather along each dim, as torch', () => {
    const x = ng.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(x.gather(1, idx([[2, 0], [1, 1]])).data)).toEqual([3, 1, 5, 5]);
    expect(Array.from(x.gather(0, idx([[1, 0, 1]])).data)).toEqual([4, 2, 6]);
    expect(Array.from(x.gather(-1, idx([[0], [2]])).data)).toEqual([1, 6]);
    const g = x.gather(1, idx([[2, 0], [1, 1]]));
    expect(g.shape).toEqual([2, 2]);
  });
  it('gather in 3-D, of a transposed view, and of int32 data', () => {
    const x = ng.arange(24).reshape([2, 3, 4]);
    const i = ng.tensor([0, 2, 1, 0, 1, 1, 2, 0], { dtype: 'int32' }).reshape([2, 2, 2]);
    // torch.arange(24.).reshape(2,3,4).gather(1, i)
    expect(Array.from(x.gather(1, i).data)).toEqual([0, 9, 4, 1, 16, 17, 20, 13]);
    const xt = ng.arange(6).reshape([2, 3]).t(); // [[0,3],[1,4],[2,5]]
    expect(Array.from(xt.gather(1, idx([[1], [0], [1]])).data)).toEqual([3, 1, 5]);
    const xi = ng.arange(6, { dtype: 'int32' }).reshape([2, 3]);
    const gi = xi.gather(1, idx([[2], [0]]));
    expect(gi.dtype).toBe('int32');
    expect(Array.from(gi.data)).toEqual([2, 3]);
  });
  it('gather errors name the op and shapes', () => {
    const x = ng.ones([2, 3]);
    expect(() => x.gather(1, idx([[3], [0]]))).toThrow(/gather: index 3 is out of range for dim 1 of size 3 \(input \[2, ?3\]\)/);
    expect(() => x.gather(1, idx([[-1], [0]]))).toThrow(/gather: index -1 is out of range/);
    expect(() => x.gather(1, ng.tensor([[0], [1]]))).toThrow(/gather: index must be an int32 tensor, got dtype float32/);
    expect(() => x.gather(1, ng.tensor([0, 1], { dtype: 'int32' }))).toThrow(/gather: index \[2\] must have as many dims as the input \[2, ?3\]/);
    expect(() => x.gather(1, ng.zeros([3, 1], { dtype: 'int32' }))).toThrow(/gather: index \[3, ?1\] is larger than the input \[2, ?3\] in dim 0/);
    expect(() => x.gather(2, idx([[0]]))).toThrow(/gather: dim 2 is out of range/);
  });

  it('scatterAdd with duplicates, as torch', () => {
    const x = ng.zeros([2, 4]);
    const src = ng.tensor([[1, 2, 3], [4, 5, 6]]);
    const i = idx([[0, 0, 3], [1, 2, 1]]);
    expect(Array.from(x.scatterAdd(1, i, src).data)).toEqual([3, 0, 0, 3, 0, 10, 5, 0]);
    const y = ng.ones([3, 2]).scatterAdd(0, idx([[2, 0]]), ng.tensor([[10, 20], [30, 40]]));
    expect(Array.from(y.data)).toEqual([1, 21, 1, 1, 11, 1]);
  });
  it('scatterAdd errors', () => {
    const x = ng.zeros([2, 4]);
    expect(() => x.scatterAdd(1, idx([[4]]), ng.ones([1, 1]))).toThrow(/scatterAdd: index 4 is out of range for dim 1 of size 4/);
    expect(() => x.scatterAdd(1, idx([[0, 1]]), ng.ones([1, 1]))).toThrow(/scatterAdd: index \[1, ?2\] is larger than src \[1, ?1\] in dim 1/);
    expect(() => x.scatterAdd(1, idx([[0]]), ng.ones([1]))).toThrow(/scatterAdd: src \[1\] must have as many dims/);
  });

  describe('gradients', () => {
    it('tril / triu', () => {
      gradcheck((a) => a.tril(), [randData([2, 3, 4], 1, { requiresGrad: true })]);
      gradcheck((a) => a.triu(1), [randData([4, 3], 2, { requiresGrad: true })]);
    });
    it('gather (repeated indices accumulate)', () => {
      const i = ng.tensor([0, 2, 2, 1, 0, 0, 1, 1, 2, 0, 0, 0], { dtype: 'int32' }).reshape([2, 2, 3]);
      gradcheck((a) => a.gather(1, i), [randData([2, 3, 3], 3, { requiresGrad: true })]);
      gradcheck((a) => a.gather(2, i), [randData([2, 2, 4], 4, { requiresGrad: true })]);
    });
    it('scatterAdd in x and src (src larger than index)', () => {
      const i = idx([[0, 0, 3], [1, 2, 1]]);
      gradcheck((a, s) => a.scatterAdd(1, i, s), [randData([2, 4], 5, { requiresGrad: true }), randData([3, 3], 6, { requiresGrad: true })]);
    });
  });
});
