/**
 * F.scaledDotProductAttention: the fused kernel against the composed math path (softmax(q·kᵀ·s + mask)·v),
 * gradients by finite differences, masks, strided views, broadcasting and errors, on every backend.
 */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

const F = ng.F;
const TOL = { rtol: 1e-4, atol: 2e-5 };

/** The explicit reference: softmax(q·kᵀ·scale + mask)·v with PyTorch's mask conventions. */
function math(q: Tensor, k: Tensor, v: Tensor, o: { mask?: Tensor; causal?: boolean; scale?: number } = {}): Tensor {
  const E = q.shape[q.ndim - 1];
  let s = q.matmul(k.transpose(-2, -1)).mul(o.scale ?? 1 / Math.sqrt(E));
  if (o.mask) s = o.mask.dtype === 'bool' ? s.maskedFill(o.mask.logicalNot(), -Infinity) : s.add(o.mask);
  if (o.causal) s = s.maskedFill(ng.ones([q.shape[q.ndim - 2], k.shape[k.ndim - 2]], { dtype: 'bool' }).triu(1), -Infinity);
  return ng.softmax(s, -1).matmul(v);
}

function grads(f: () => Tensor, xs: Tensor[], seed: number): Float32Array[] {
  for (const x of xs) x.grad = null;
  const out = f();
  const g = randData(out.shape as number[], seed).data;
  out.backward(g);
  return xs.map((x) => x.grad!.data.slice());
}

forEachBackend('scaledDotProductAttention', ['sdpa', 'sdpaBackward', 'gemm', 'softmax', 'softmaxBackward'], () => {
  it('equals the math path (values and gradients): causal or not, L ≠ S, scale', () => {
    let seed = 1;
    for (const [L, S, E, Ev, causal] of [[7, 7, 8, 8, false], [7, 7, 8, 8, true], [33, 20, 16, 12, false], [20, 33, 16, 16, true], [65, 65, 64, 64, true]] as const) {
      const q = randData([2, 3, L, E], seed++, { requiresGrad: true });
      const k = randData([2, 3, S, E], seed++, { requiresGrad: true });
      const v = randData([2, 3, S, Ev], seed++, { requiresGrad: true });
      const a = F.scaledDotProductAttention(q, k, v, { isCausal: causal });
      const e = math(q, k, v, { causal });
      expect(a.shape).toEqual([2, 3, L, Ev]);
      expectClose(a.data, e.data, TOL, `out ${L}x${S}x${E} causal=${causal}`);
      const ga = grads(() => F.scaledDotProductAttention(q, k, v, { isCausal: causal, scale: 0.3 }), [q, k, v], 5);
      const ge = grads(() => math(q, k, v, { causal, scale: 0.3 }), [q, k, v], 5);
      for (let i = 0; i < 3; i++) expectClose(ga[i], ge[i], { rtol: 1e-3, atol: 1e-4 }, `grad ${i} ${L}x${S}`);
    }
  });
  it('bool masks (true takes part) and float masks (added), broadcast over batch and heads', () => {
    const q = randData([2, 2, 9, 8], 11), k = randData([2, 2, 11, 8], 12), v = randData([2, 2, 11, 8], 13);
    const bm = randData([9, 11], 14).gt(-1.2);
    expectClose(F.scaledDotProductAttention(q, k, v, { attnMask: bm }).data, math(q, k, v, { mask: bm }).data, TOL, 'bool');
    const fm = randData([2, 1, 9, 11], 15);
    expectClose(F.scaledDotProductAttention(q, k, v, { attnMask: fm }).data, math(q, k, v, { mask: fm }).data, TOL, 'float');
  });
  it('a fully masked row gives output 0 and zero gradient (documented choice; the math path gives NaN)', () => {
    const q = randData([1, 4, 8], 21, { requiresGrad: true }), k = randData([1, 5, 8], 22, { requiresGrad: true }), v = randData([1, 5, 8], 23, { requiresGrad: true });
    const m = ng.ones([4, 5], { dtype: 'bool' }).clone();
    const md = m.data as unknown as Uint8Array;
    md.fill(0, 5, 10); // row 1: no key takes part
    const out = F.scaledDotProductAttention(q, k, v, { attnMask: m });
    expect(Array.from(out.data.subarray(8, 16))).toEqual(new Array(8).fill(0));
    out.sum().backward();
    expect(Array.from(q.grad!.data.subarray(8, 16))).toEqual(new Array(8).fill(0));
  });
  it('head slices of a fused qkv (strided views) and a broadcast k/v', () => {
    const B = 2, T = 10, H = 2, hs = 8, C = H * hs;
    const qkv = randData([B, T, 3 * C], 31, { requiresGrad: true });
    const [q, k, v] = qkv.split(C, 2).map((t) => t.view([B, T, H, hs]).transpose(1, 2));
    expect(q.isContiguous()).toBe(false);
    const a = F.scaledDotProductAttention(q, k, v, { isCausal: true });
    const e = math(q.contiguous(), k.contiguous(), v.contiguous(), { causal: true });
    expectClose(a.data, e.data, TOL);
    gradcheck((x) => {
      const [qq, kk, vv] = x.split(C, 2).map((t) => t.view([B, T, H, hs]).transpose(1, 2));
      return F.scaledDotProductAttention(qq, kk, vv, { isCausal: true });
    }, [qkv], { maxElements: 40 });
    const q2 = randData([3, 2, 5, 4], 32, { requiresGrad: true }), k2 = randData([2, 6, 4], 33, { requiresGrad: true }), v2 = randData([1, 6, 3], 34, { requiresGrad: true });
    expectClose(F.scaledDotProductAttention(q2, k2, v2).data, math(q2, k2, v2).data, TOL, 'broadcast');
    gradcheck((a1, b1, c1) => F.scaledDotProductAttention(a1, b1, c1), [q2, k2, v2]);
  });
  it('gradcheck: causal, masked, 2-D inputs', () => {
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c, { isCausal: true }),
      [randData([2, 6, 4], 41, { requiresGrad: true }), randData([2, 6, 4], 42, { requiresGrad: true }), randData([2, 6, 5], 43, { requiresGrad: true })]);
    const fm = randData([5, 7], 44);
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c, { attnMask: fm }),
      [randData([5, 4], 45, { requiresGrad: true }), randData([7, 4], 46, { requiresGrad: true }), randData([7, 3], 47, { requiresGrad: true })]);
  });
  it('dropoutP takes the composed path: p = 1 gives zeros; seeded masks repeat', () => {
    const q = randData([2, 5, 4], 51), k = randData([2, 5, 4], 52), v = randData([2, 5, 4], 53);
    expect(Array.from(F.scaledDotProductAttention(q, k, v, { dropoutP: 1 }).data)).toEqual(new Array(40).fill(0));
    ng.manualSeed(3);
    const a = F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).data;
    ng.manualSeed(3);
    expect(F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).data).toEqual(a);
  });
  describe('errors', () => {
    const q = ng.ones([2, 4, 8, 16]);
    it('name the op and the shapes', () => {
      expect(() => F.scaledDotProductAttention(q, ng.ones([2, 4, 8, 32]), ng.ones([2, 4, 8, 16]))).toThrow(
        'scaledDotProductAttention: q [2,4,8,16] and k [2,4,8,32] differ in E');
      expect(() => F.scaledDotProductAttention(q, q, ng.ones([2, 4, 9, 16]))).toThrow(/k \[2,4,8,16\] and v \[2,4,9,16\] differ in the key count S/);
      expect(() => F.scaledDotProductAttention(q, ng.ones([3, 4, 8, 16]), q)).toThrow(/batch dims of q \[2,4,8,16\], k \[3,4,8,16\]/);
      expect(() => F.scaledDotProductAttention(q, q, q, { attnMask: ng.ones([8, 9]) })).toThrow(/attnMask \[8,9\] does not broadcast to the scores' shape \[2,4,8,8\]/);
      expect(() => F.scaledDotProductAttention(q, q, q, { attnMask: ng.ones([8, 8], { dtype: 'int32' }) })).toThrow(/attnMask must be a bool or float32 tensor, got dtype int32/);
      expect(() => F.scaledDotProductAttention(q, q, q, { attnMask: ng.ones([8, 8]), isCausal: true })).toThrow(/attnMask cannot be set when isCausal is true/);
      expect(() => F.scaledDotProductAttention(q, q, q, { causal: true } as never)).toThrow(/unknown option 'causal'/);
      expect(() => F.scaledDotProductAttention(ng.ones([4]), q, q)).toThrow(/q must be \[\.\.\., L, E\]/);
      expect(() => F.scaledDotProductAttention(q, q, q, { dropoutP: 2 })).toThrow(/dropoutP must be in \[0, 1\]/);
    });
  });
});
