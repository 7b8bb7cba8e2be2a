/** Views share storage (writes go through), strides/offsets as PyTorch, autograd through views, on every backend. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { backendByName } from '../../lib/backend/registry.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

nativeKernelsOnly();

const ar = (...shape: number[]): ng.Tensor => ng.arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);

forEachBackend('views', ['copy', 'binary', 'gemm'], (backend) => {
  it('transpose, permute, t, T and mT are views with permuted strides', () => {
    const x = ar(2, 3, 4);
    const p = x.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.stride()).toEqual([1, 12, 4]);
    expect(p.isContiguous()).toBe(false);
    expect(p.untypedStorage()).toBe(x.untypedStorage());
    expect(p.toArray()).toEqual([[[0, 4, 8], [12, 16, 20]], [[1, 5, 9], [13, 17, 21]], [[2, 6, 10], [14, 18, 22]], [[3, 7, 11], [15, 19, 23]]]);
    const m = ar(2, 3);
    expect(m.t().stride()).toEqual([1, 3]);
    expect(m.T.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.mT.shape).toEqual([2, 4, 3]);
    expect(x.T.shape).toEqual([4, 3, 2]);
    expect(() => x.t()).toThrow(/t: expects a tensor with at most 2 dims/);
    // data of a non-contiguous view is a contiguous copy in logical order
    expect(Array.from(m.t().data)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('writes through a view change its base (and the other way round)', () => {
    const x = ng.zeros([3, 4]);
    x.t().select(0, 1).fill_(7); // column 1
    expect(x.toArray()).toEqual([[0, 7, 0, 0], [0, 7, 0, 0], [0, 7, 0, 0]]);
    const row = x.select(0, 2);
    x.data[2 * 4 + 3] = 5;
    expect(row.toArray()).toEqual([0, 7, 0, 5]);
    x.slice(1, 0, 4, 2).add_(1); // columns 0 and 2
    expect(x.toArray()).toEqual([[1, 7, 1, 0], [1, 7, 1, 0], [1, 7, 1, 5]]);
    x.narrow(0, 1, 1).mul_(10);
    expect(((x).toArray() as any)[1]).toEqual([10, 70, 10, 0]);
    const d = x.detach();
    d.zero_();
    expect(x.toArray()).toEqual([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
    const v = x.view(12);
    v.copy_(ng.arange(12));
    expect(((x).toArray() as any)[2]).toEqual([8, 9, 10, 11]);
  });

  it('slice with steps, select, narrow, index: offsets and strides as PyTorch', () => {
    const x = ar(4, 5);
    const s = x.slice(1, 1, 5, 2);
    expect(s.shape).toEqual([4, 2]);
    expect(s.stride()).toEqual([5, 2]);
    expect(s.storageOffset()).toBe(1);
    expect(s.toArray()).toEqual([[1, 3], [6, 8], [11, 13], [16, 18]]);
    expect(x.select(1, -1).storageOffset()).toBe(4);
    expect(x.select(1, -1).toArray()).toEqual([4, 9, 14, 19]);
    expect(x.index(2).storageOffset()).toBe(10);
    expect(x.narrow(0, 1, 2).toArray()).toEqual([[5, 6, 7, 8, 9], [10, 11, 12, 13, 14]]);
    expect(() => x.narrow(0, 3, 2)).toThrow(RangeError);
    expect(() => x.select(0, 4)).toThrow(RangeError);
    expect(() => x.slice(0, 0, 2, 0)).toThrow(/step must be a positive integer/);
  });

  it('split, chunk, unbind return views covering the tensor', () => {
    const x = ar(5, 2);
    const parts = x.split(2);
    expect(parts.map((p) => p.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(parts[2].storageOffset()).toBe(8);
    expect(x.split([1, 4]).map((p) => p.shape[0])).toEqual([1, 4]);
    expect(() => x.split([1, 3])).toThrow(/sum to 4/);
    expect(x.chunk(3).map((p) => p.shape[0])).toEqual([2, 2, 1]);
    const cols = x.unbind(1);
    expect(cols.map((c) => c.toArray())).toEqual([[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]);
    cols[0].fill_(-1);
    expect(((x).toArray() as any)[4]).toEqual([-1, 9]);
  });

  it('expand has zero strides; squeeze and unsqueeze keep sharing', () => {
    const x = ng.tensor([[1], [2], [3]]);
    const e = x.expand(2, 3, 4);
    expect(e.stride()).toEqual([0, 1, 0]);
    expect(e.untypedStorage()).toBe(x.untypedStorage());
    expect(((e).toArray() as any)[1][2]).toEqual([3, 3, 3, 3]);
    expect(x.expand(-1, 2).toArray()).toEqual([[1, 1], [2, 2], [3, 3]]);
    const u = x.squeeze(1).unsqueeze(0);
    expect(u.shape).toEqual([1, 3]);
    u.data[1] = 20;
    expect(x.toArray()).toEqual([[1], [20], [3]]);
    expect(() => x.expand(3, 2, 2)).toThrow(/expand/);
  });

  it('view needs compatible strides; reshape copies only when it must', () => {
    const x = ar(2, 3, 4);
    const tview = x.transpose(0, 1); // [3, 2, 4], last dim still contiguous
    const merged = tview.reshape(3, 8);
    expect(merged.untypedStorage()).not.toBe(x.untypedStorage()); // dims 0,1 not mergeable: copy
    expect(tview.view(3, 2, 2, 2).untypedStorage()).toBe(x.untypedStorage()); // splitting the last dim: a view
    expect(() => tview.view(3, 8)).toThrow(/view: the size and stride/);
    expect(x.reshape(6, 4).untypedStorage()).toBe(x.untypedStorage());
    expect(((merged).toArray() as any)[1]).toEqual([4, 5, 6, 7, 16, 17, 18, 19]);
    const c = tview.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.stride()).toEqual([8, 4, 1]);
    expect(x.contiguous()).toBe(x);
    const cl = x.clone();
    cl.data[0] = 99;
    expect(x.data[0]).toBe(0);
  });

  it('matmul reads transposed and strided views through GEMM flags, no copy', () => {
    const be = backendByName(backend) as unknown as { copy: (...a: unknown[]) => void };
    const a = randData([7, 17], 1);
    const b = randData([33, 17], 2);
    const ref = a.matmul(b.contiguous().t().contiguous());
    const orig = be.copy;
    let copies = 0;
    be.copy = (...args: unknown[]) => { copies++; return orig(...args); };
    let viaView: ng.Tensor;
    let viaBoth: ng.Tensor;
    try {
      viaView = a.matmul(b.t());
      viaBoth = b.matmul(a.t()).t().contiguous(); // (b·aᵀ)ᵀ = a·bᵀ; only the final contiguous copies
    } finally {
      be.copy = orig;
    }
    expect(copies).toBe(1);
    expectClose(viaView.data, ref.data, { rtol: 1e-5, atol: 1e-5 });
    expectClose(viaBoth.data, ref.data, { rtol: 1e-5, atol: 1e-5 });
    // head views of a fused qkv [B, T, 3·C]: batch strides and a row stride of 3C
    const B = 2, T = 5, H = 3, D = 4, C = H * D;
    const qkv = randData([B, T, 3 * C], 3);
    const [q, k] = qkv.split(C, 2).map((t) => t.view(B, T, H, D).transpose(1, 2));
    expect(q.isContiguous()).toBe(false);
    const att = q.matmul(k.mT);
    const attRef = q.contiguous().matmul(k.contiguous().transpose(-2, -1).contiguous());
    expect(att.shape).toEqual([B, H, T, T]);
    expectClose(att.data, attRef.data, { rtol: 1e-5, atol: 1e-5 });
  });

  it('binary ops read strided and broadcast views directly', () => {
    for (const n of [1, 7, 17, 33, 257]) {
      const x = randData([n, 3], 10 + n);
      const y = randData([3, n], 20 + n);
      const got = x.add(y.t());
      const want = x.add(y.t().contiguous());
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      const z = x.slice(0, 0, n, 2).mul(y.t().slice(0, 0, n, 2).expand(-1, 3));
      const zw = x.slice(0, 0, n, 2).contiguous().mul(y.t().slice(0, 0, n, 2).contiguous());
      expect(Array.from(z.data)).toEqual(Array.from(zw.data));
    }
  });

  it('gradients flow through every view', () => {
    const x = randData([3, 4], 5, { requiresGrad: true });
    const y = randData([4, 3], 6, { requiresGrad: true });
    gradcheck((a, b) => a.t().mul(b).sum(0), [x, y]);
    gradcheck((a) => a.slice(1, 1, 4, 2).mul(a.select(1, 0).unsqueeze(1)), [x]);
    gradcheck((a) => a.permute(1, 0).reshape(2, 6).mul(2), [x]);
    gradcheck((a) => a.narrow(0, 1, 2).expand(2, 2, 4).tanh(), [x]);
    gradcheck((a) => ng.stack(a.unbind(1), 0).mul(a.T), [x]);
    gradcheck((a) => ng.concat(a.split([1, 3], 1).reverse(), 1).square(), [x]);
    gradcheck((a, b) => a.matmul(b.t().t()).add(b.t().matmul(a.t()).t()), [x, y]);
    gradcheck((a) => a.unsqueeze(0).expand(5, 3, 4).sum(0), [x]);
    gradcheck((a) => a.t().contiguous().view(12).clone(), [x]);
    const big = randData([2, 3, 4], 7, { requiresGrad: true });
    gradcheck((a) => a.mT.matmul(a), [big]);
  });
});

describe('views: bad input', () => {
  it('names the op and the argument', () => {
    const x = ng.zeros([2, 3]);
    expect(() => x.permute(0, 0)).toThrow(/permute: .* repeats a dim/);
    expect(() => x.permute(0)).toThrow(/permute/);
    expect(() => x.transpose(0, 2)).toThrow(RangeError);
    expect(() => x.stride(5)).toThrow(RangeError);
    expect(() => x.split(0)).toThrow(RangeError);
    expect(() => x.chunk(0)).toThrow(RangeError);
    expect(() => x.view(4)).toThrow(/view: cannot reshape/);
    expect(() => x.mT.mT.mT.view(6)).toThrow(/view: the size and stride/);
  });
});
