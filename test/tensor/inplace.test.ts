/** In-place ops: values, writes through views, version counter errors, autograd through in-place ops, on every backend. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';

nativeKernelsOnly();

forEachBackend('in-place ops', ['copy', 'binary', 'unary'], () => {
  it('add_ sub_ mul_ div_ with tensors (broadcast) and numbers', () => {
    const x = ng.tensor([[1, 2], [3, 4]]);
    expect(x.add_(1)).toBe(x);
    expect(x.toArray()).toEqual([[2, 3], [4, 5]]);
    x.sub_(ng.tensor([1, 2]));
    expect(x.toArray()).toEqual([[1, 1], [3, 3]]);
    x.mul_(ng.tensor([[2], [3]]));
    expect(x.toArray()).toEqual([[2, 2], [9, 9]]);
    x.div_(2);
    expect(x.toArray()).toEqual([[1, 1], [4.5, 4.5]]);
    x.add_(ng.tensor([[1, 1], [1, 1]]), { alpha: -2 });
    expect(x.toArray()).toEqual([[-1, -1], [2.5, 2.5]]);
    expect(() => ng.zeros([2]).add_(ng.zeros([2, 2]))).toThrow(/add_: output with shape \[2\] doesn't match the broadcast shape \[2,2\]/);
    expect(() => ng.zeros([2], { dtype: 'int32' }).add_(0.5)).toThrow(/can't be cast to the desired output type int32/);
    const i = ng.tensor([1, 2], { dtype: 'int32' });
    i.mul_(3);
    expect(i.toArray()).toEqual([3, 6]);
    expect(() => ng.zeros([2]).add_(null as never)).toThrow(TypeError);
  });

  it('writes through non-contiguous views; fill_, zero_, copy_, clamp_', () => {
    const x = ng.arange(12).reshape(3, 4);
    x.t().slice(0, 1, 3).mul_(-1); // columns 1..2 of x
    expect(x.toArray()).toEqual([[0, -1, -2, 3], [4, -5, -6, 7], [8, -9, -10, 11]]);
    x.select(1, 3).zero_();
    expect(((x).toArray() as any).map((r: number[]) => (r as number[])[3])).toEqual([0, 0, 0]);
    x.narrow(0, 0, 1).copy_(ng.tensor([9, 9, 9, 9]));
    expect(((x).toArray() as any)[0]).toEqual([9, 9, 9, 9]);
    x.select(0, 2).copy_(ng.tensor([1, 2, 3, 4], { dtype: 'int32' })); // cast on copy
    expect(((x).toArray() as any)[2]).toEqual([1, 2, 3, 4]);
    x.clamp_(-2, 5);
    expect(x.toArray()).toEqual([[5, 5, 5, 5], [4, -2, -2, 0], [1, 2, 3, 4]]);
    x.t().fill_(1.5);
    expect(x.sum().item()).toBe(18);
    // copy_ from an overlapping view of the same storage reads the old values first
    const y = ng.arange(5);
    y.slice(0, 1, 5).copy_(y.slice(0, 0, 4));
    expect(y.toArray()).toEqual([0, 0, 1, 2, 3]);
    expect(ng.tensor([-3, 0.5, 9]).clamp(null, 1).toArray()).toEqual([-3, 0.5, 1]);
    expect(() => ng.zeros([1]).clamp()).toThrow(/at least one of min and max/);
  });

  it('version counter: backward through a saved tensor modified in place throws', () => {
    const x = ng.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    const z = y.exp(); // saves y (input) and z (output)
    const loss = z.sum();
    y.add_(1);
    expect(() => loss.backward()).toThrow(/modified by an inplace operation: \[float32 \[3\]\] is at version 1; expected version 0/);
    // add does not save its inputs: modifying them afterwards is fine, as in PyTorch
    const a = x.mul(1);
    const b = a.add(1).sum();
    a.mul_(5);
    b.backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 1, 1]);
  });

  it('a leaf that requires grad refuses in-place ops outside noGrad; views under autograd too', () => {
    const w = ng.tensor([1, 2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(/a leaf tensor that requires grad is being used in an in-place operation/);
    ng.noGrad(() => w.sub_(ng.tensor([0.5, 0.5])));
    expect(Array.from(w.data)).toEqual([0.5, 1.5]);
    const h = w.mul(2);
    expect(() => h.slice(0, 0, 1).mul_(3)).toThrow(/in-place operation on a view while autograd is recording/);
  });

  it('autograd through in-place ops on non-leaf tensors matches the out-of-place forms', () => {
    const x = randData([2, 3], 1, { requiresGrad: true });
    const c = randData([3], 2);
    const s = randData([2, 3], 3, { requiresGrad: true });
    gradcheck((a) => a.mul(1).add_(1).mul_(c).tanh(), [x]);
    gradcheck((a) => a.mul(2).sub_(c).div_(3).square(), [x]);
    // tanh saves its output: changing it in place makes backward refuse, as in PyTorch
    expect(() => x.tanh().sub_(c).sum().backward()).toThrow(/modified by an inplace operation/);
    gradcheck((a, b) => a.mul(1).add_(b, { alpha: 2 }).square(), [x, s]);
    gradcheck((a, b) => ng.zeros([2, 3]).copy_(b).mul(a), [x, s]);
    gradcheck((a) => a.mul(2).clamp_(-1, 1).mul(a), [x]);
    gradcheck((a) => a.clamp(-0.5, 0.7), [x]);
    gradcheck((a) => a.mul(2).fill_(3).mul(a), [x]);
    expect(() => x.mul(1).mul_(s)).toThrow(/the other operand requires grad/);
  });
});

describe('in-place ops under noGrad', () => {
  it('update parameters like an optimizer', () => {
    const p = ng.tensor([1, 2, 3], { requiresGrad: true });
    p.mul(p).sum().backward();
    ng.noGrad(() => p.sub_(p.grad!.mul(0.5)));
    expect(Array.from(p.data)).toEqual([0, 0, 0]);
    expect(p.isLeaf).toBe(true);
  });
});
