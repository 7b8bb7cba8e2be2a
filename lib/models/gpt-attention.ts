/**
 * The attention core of a GPT block on the fused projection qkv [B, T, 3C] (q, k, v side by side in
 * the last dim, head h at columns h·hs of each, as nanoGPT's `split` + `view` + `transpose`), straight
 * on the backend's flash-style sdpa kernels:
 *
 * - `qkvCausalAttention`: training/full forward. The kernel reads q, k and v through their strides in
 *   qkv (no head-split copy); its [B, H, T, hs] output is written into [B, T, C] by one strided copy
 *   (the head merge). Backward: one copy of the gradient into [B, H, T, hs], the recompute kernel, and
 *   three strided copies of dq, dk, dv into dqkv, which they cover exactly (no zero fill, no adds).
 * - `qkvCachedAttention`: generation. k and v of the new rows are copied into preallocated per-layer
 *   caches [B, H, blockSize, hs] at positions pos…pos+L−1; q then attends to keys 0…pos+L−1 of the cache
 *   (causal for the prompt, pos = 0; one unmasked row per decoding step, L = 1). No allocation grows.
 */
import type { SdpaGeometry } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32, release } from '../util/alloc.js';

/** Strides over [B, H, rows, hs] of the q, k or v part of a contiguous qkv [B, T, 3C]. */
function qkvStrides(T: number, C: number, hs: number): number[] {
  return [T * 3 * C, hs, 3 * C, 1];
}

function contigStrides(B: number, H: number, T: number, hs: number): number[] {
  return [H * T * hs, T * hs, hs, 1];
}

/**
 * Causal softmax(q·kᵀ/√hs)·v per head for qkv [B, T, 3C] → [B, T, C] (heads merged), differentiable
 * in qkv. qkv must be contiguous (the output of a Linear is).
 */
export function qkvCausalAttention(qkv: Tensor, nHead: number): Tensor {
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  const H = nHead;
  const hs = C / H;
  const qd = qkv.data;
  const g: SdpaGeometry = {
    b0: B, b1: H, L: T, S: T, E: hs, Ev: hs, scale: 1 / Math.sqrt(hs), causal: true,
    qStrides: [T * C3, hs, C3], kStrides: [T * C3, hs, C3], vStrides: [T * C3, hs, C3], maskStrides: null,
  };
  const n = B * H * T * hs;
  const out = emptyF32(n);
  const lse = new Float32Array(B * H * T);
  const kd = qd.subarray(C);
  const vd = qd.subarray(2 * C);
  const headShape = [B, H, T, hs];
  const merged = [T * C, hs, C, 1];
  const y = emptyF32(B * T * C);
  if (n > 0) {
    current.sdpa(out, lse, qd, kd, vd, null, g);
    current.copy(headShape, out, 0, contigStrides(B, H, T, hs), y, 0, merged, false);
  }
  const res = new Tensor(y, [B, T, C]);
  if (!(isGradEnabled() && qkv.requiresGrad)) {
    release(out);
    return res;
  }
  return record(res, [qkv], (gr) => {
    const dqkv = emptyF32(B * T * C3);
    if (n > 0) {
      const dout = emptyF32(n);
      current.copy(headShape, gr, 0, merged, dout, 0, contigStrides(B, H, T, hs), false);
      const dq = emptyF32(n);
      const dk = emptyF32(n);
      const dv = emptyF32(n);
      current.sdpaBackward(dq, dk, dv, dout, qd, kd, vd, out, lse, null, g);
      const st = qkvStrides(T, C, hs);
      const cs = contigStrides(B, H, T, hs);
      current.copy(headShape, dq, 0, cs, dqkv, 0, st, false);
      current.copy(headShape, dk, 0, cs, dqkv, C, st, false);
      current.copy(headShape, dv, 0, cs, dqkv, 2 * C, st, false);
      release(dout);
      release(dq);
      release(dk);
      release(dv);
    }
    accumulate(qkv, dqkv, true);
  }, [qkv]);
}

/** One layer's key and value cache, each [B, H, blockSize, hs] contiguous. */
export interface LayerCache {
  k: Float32Array;
  v: Float32Array;
}

/**
 * Attention of the L new rows in qkv [B, L, 3C] (positions pos…pos+L−1) over the cache, after writing
 * their keys and values into it. pos = 0 (the prompt): causal over the L rows; pos > 0 needs L = 1.
 * Returns [B, L, C]; no gradient (generation runs under noGrad).
 */
export function qkvCachedAttention(qkv: Tensor, nHead: number, cache: LayerCache, pos: number, blockSize: number): Tensor {
  const [B, L, C3] = qkv.shape;
  const C = C3 / 3;
  const H = nHead;
  const hs = C / H;
  if (pos > 0 && L !== 1) throw new Error(`GPT: cached attention takes one new row after the prompt, got ${L} at position ${pos}`);
  if (pos + L > blockSize) throw new RangeError(`GPT: the cache holds ${blockSize} positions, asked for ${pos + L}`);
  const qd = qkv.data;
  const rows = [B, H, L, hs];
  const src = qkvStrides(L, C, hs);
  const cacheStrides = [H * blockSize * hs, blockSize * hs, hs, 1];
  current.copy(rows, qd, C, src, cache.k, pos * hs, cacheStrides, false);
  current.copy(rows, qd, 2 * C, src, cache.v, pos * hs, cacheStrides, false);
  const S = pos + L;
  const cs: [number, number, number] = [H * blockSize * hs, blockSize * hs, hs];
  const g: SdpaGeometry = {
    b0: B, b1: H, L, S, E: hs, Ev: hs, scale: 1 / Math.sqrt(hs), causal: L > 1,
    qStrides: [L * C3, hs, C3], kStrides: cs, vStrides: cs, maskStrides: null,
  };
  const n = B * H * L * hs;
  const out = emptyF32(n);
  const lse = new Float32Array(B * H * L);
  current.sdpa(out, lse, qd, cache.k, cache.v, null, g);
  const y = emptyF32(B * L * C);
  current.copy(rows, out, 0, contigStrides(B, H, L, hs), y, 0, [L * C, hs, C, 1], false);
  release(out);
  return new Tensor(y, [B, L, C]);
}
