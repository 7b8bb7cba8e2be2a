/**
 * F.scaledDotProductAttention with PyTorch 2 semantics on `[..., L, E]` inputs, as one fused backend
 * kernel (flash-style: online softmax over key blocks, one log-sum-exp saved per row, backward by
 * recomputation — memory O(L) per head beyond q, k, v and the output; causal blocks above the
 * diagonal are skipped). q, k, v are read through their strides: head slices of a fused qkv
 * `[B, T, 3C]` viewed as `[B, H, T, hs]` go to the kernel without a copy (only a last dim that is not
 * contiguous is copied). Batch dims broadcast.
 *
 * Masks: a bool attnMask means true = takes part; a float mask is added to the scores; isCausal keeps
 * key j ≤ query i (top-left, as torch.tril(ones(L, S))) and cannot be combined with attnMask. A query
 * row whose keys are all masked out gets output 0 and zero gradients (PyTorch ≥ 2.5's math and flash
 * paths do the same; 1.13's explicit softmax gives NaN there). dropoutP > 0, and a float mask that
 * requires grad, take the composed path (matmul → softmax → dropout → matmul) instead.
 */
import type { SdpaGeometry } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32, release } from '../util/alloc.js';
import { broadcastShapes, fmtShape, shapesEqual, sizeOf } from '../util/shape.js';
import { sumToShape } from '../ops/core.js';
import { contiguous, expand, transpose } from '../ops/shape.js';
import { matmul } from '../ops/matmul.js';
import { softmax } from '../ops/activation.js';
import { add, mul } from '../ops/elementwise.js';
import { maskedFill, where } from '../ops/compare.js';
import { triu } from '../ops/indexing.js';
import { ones } from '../tensor.js';
import { Dropout } from './layers.js';

export interface ScaledDotProductAttentionOptions {
  /** bool (true = takes part) or float (added) mask broadcasting to [..., L, S] */
  attnMask?: Tensor | null;
  /** dropout probability on the attention weights (default 0) */
  dropoutP?: number;
  /** causal mask (key j ≤ query i); not with attnMask */
  isCausal?: boolean;
  /** score scale (default 1/√E) */
  scale?: number | null;
}

const OPTION_KEYS = ['attnMask', 'dropoutP', 'isCausal', 'scale'];
const OP = 'scaledDotProductAttention';

function storageOf(t: Tensor): Float32Array {
  const b = t._storage.buf as Float32Array;
  return t._offset === 0 ? b : b.subarray(t._offset);
}

function lastContiguous(t: Tensor): Tensor {
  return t.shape[t.ndim - 1] <= 1 || t._strides[t.ndim - 1] === 1 ? t : contiguous(t);
}

/**
 * The batch dims of all operands merged to at most two (b0, b1) with one stride each per operand, or
 * null when they do not merge that far.
 */
function mergeBatch(batch: readonly number[], ts: readonly Tensor[]): { sizes: number[]; strides: number[][] } | null {
  const sizes: number[] = [];
  const strides: number[][] = ts.map(() => []);
  for (let d = 0; d < batch.length; d++) {
    if (batch[d] === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && ts.every((t, i) => strides[i][last] === t._strides[d] * batch[d])) {
      sizes[last] *= batch[d];
      ts.forEach((t, i) => { strides[i][last] = t._strides[d]; });
      continue;
    }
    sizes.push(batch[d]);
    ts.forEach((t, i) => strides[i].push(t._strides[d]));
  }
  if (sizes.length > 2) return null;
  while (sizes.length < 2) {
    sizes.unshift(1);
    strides.forEach((s) => s.unshift(0));
  }
  return { sizes, strides };
}

function checkOptions(o: ScaledDotProductAttentionOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError(`${OP}: options must be an object`);
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`${OP}: unknown option '${key}' (known: ${OPTION_KEYS.join(', ')})`);
  }
}

/** softmax(q·kᵀ·scale + mask)·v (PyTorch 2's F.scaled_dot_product_attention). */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: ScaledDotProductAttentionOptions = {}): Tensor {
  checkOptions(opts);
  for (const [t, name] of [[q, 'q'], [k, 'k'], [v, 'v']] as const) {
    if (!(t instanceof Tensor)) throw new TypeError(`${OP}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.dtype !== 'float32') throw new TypeError(`${OP}: ${name} must be float32, got ${t.dtype}`);
    if (t.ndim < 2) throw new Error(`${OP}: ${name} must be [..., L, E] (2 or more dims), got ${fmtShape(t.shape)}`);
  }
  const L = q.shape[q.ndim - 2];
  const E = q.shape[q.ndim - 1];
  const S = k.shape[k.ndim - 2];
  const Ev = v.shape[v.ndim - 1];
  if (k.shape[k.ndim - 1] !== E) throw new Error(`${OP}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} differ in E`);
  if (v.shape[v.ndim - 2] !== S) throw new Error(`${OP}: k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} differ in the key count S`);
  let batch: number[];
  try {
    batch = broadcastShapes(broadcastShapes(q.shape.slice(0, -2), k.shape.slice(0, -2), OP), v.shape.slice(0, -2), OP);
  } catch {
    throw new Error(`${OP}: batch dims of q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} cannot be broadcast`);
  }
  const isCausal = opts.isCausal ?? false;
  if (typeof isCausal !== 'boolean') throw new TypeError(`${OP}: isCausal must be a boolean, got ${typeof isCausal}`);
  const dropoutP = opts.dropoutP ?? 0;
  if (typeof dropoutP !== 'number' || !(dropoutP >= 0 && dropoutP <= 1)) throw new RangeError(`${OP}: dropoutP must be in [0, 1], got ${String(dropoutP)}`);
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new TypeError(`${OP}: scale must be a finite number, got ${String(scale)}`);
  const mask = opts.attnMask ?? null;
  const scoreShape = [...batch, L, S];
  if (mask !== null) {
    if (!(mask instanceof Tensor)) throw new TypeError(`${OP}: attnMask must be a Tensor, got ${typeof mask}`);
    if (isCausal) throw new Error(`${OP}: attnMask cannot be set when isCausal is true (pass one or the other, as PyTorch)`);
    if (mask.dtype !== 'bool' && mask.dtype !== 'float32') {
      throw new TypeError(`${OP}: attnMask must be a bool or float32 tensor, got dtype ${mask.dtype}`);
    }
    let ok = true;
    try {
      ok = shapesEqual(broadcastShapes(mask.shape, scoreShape, OP), scoreShape);
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`${OP}: attnMask ${fmtShape(mask.shape)} does not broadcast to the scores' shape ${fmtShape(scoreShape)} ([..., L, S])`);
  }
  if (dropoutP > 0 || (mask !== null && mask.requiresGrad)) return composed(q, k, v, mask, isCausal, scale, dropoutP);
  return fused(q, k, v, mask, isCausal, scale, batch, L, S, E, Ev);
}

/** The explicit path: softmax(q·kᵀ·scale + mask) → dropout → ·v (every step differentiable). */
function composed(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number, p: number): Tensor {
  let s = mul(matmul(q, transpose(k, -2, -1)), scale);
  if (mask !== null) s = mask.dtype === 'bool' ? maskedFill(s, mask.logicalNot(), -Infinity) : add(s, mask);
  if (causal) {
    const L = q.shape[q.ndim - 2];
    const S = k.shape[k.ndim - 2];
    s = maskedFill(s, triu(ones([L, S], { dtype: 'bool' }), 1), -Infinity);
  }
  let a = softmax(s, -1);
  if (p > 0) a = new Dropout(p).forward(a);
  return matmul(a, v);
}

function fused(
  q0: Tensor, k0: Tensor, v0: Tensor, mask0: Tensor | null, causal: boolean, scale: number,
  batch: number[], L: number, S: number, E: number, Ev: number,
): Tensor {
  // operands expanded to the common batch (views), last dim contiguous
  let q = lastContiguous(expand(q0, [...batch, L, E]));
  let k = lastContiguous(expand(k0, [...batch, S, E]));
  let v = lastContiguous(expand(v0, [...batch, S, Ev]));
  let m: Tensor | null = null;
  if (mask0 !== null) {
    const fm = mask0.dtype === 'bool' ? where(mask0, 0, -Infinity) : mask0;
    m = expand(fm, [...batch, L, S]);
  }
  let merged = mergeBatch(batch, m !== null ? [q, k, v, m] : [q, k, v]);
  if (merged === null) {
    q = contiguous(q);
    k = contiguous(k);
    v = contiguous(v);
    if (m !== null) m = contiguous(m);
    merged = mergeBatch(batch, m !== null ? [q, k, v, m] : [q, k, v])!;
  }
  const [b0, b1] = merged.sizes;
  const st = merged.strides;
  const r = batch.length;
  const g: SdpaGeometry = {
    b0, b1, L, S, E, Ev, scale, causal,
    qStrides: [st[0][0], st[0][1], q._strides[r]],
    kStrides: [st[1][0], st[1][1], k._strides[r]],
    vStrides: [st[2][0], st[2][1], v._strides[r]],
    maskStrides: m !== null ? [st[3][0], st[3][1], m._strides[r], m._strides[r + 1]] : null,
  };
  const heads = b0 * b1;
  const out = emptyF32(heads * L * Ev);
  const lse = new Float32Array(heads * L);
  const qd = storageOf(q);
  const kd = storageOf(k);
  const vd = storageOf(v);
  const md = m !== null ? storageOf(m) : null;
  if (out.length > 0) current.sdpa(out, lse, qd, kd, vd, md, g);
  const res = new Tensor(out, [...batch, L, Ev]);
  if (isGradEnabled() && (q0.requiresGrad || k0.requiresGrad || v0.requiresGrad)) {
    record(res, [q0, k0, v0], (gr) => {
      const dq = emptyF32(heads * L * E);
      const dk = emptyF32(heads * S * E);
      const dv = emptyF32(heads * S * Ev);
      if (out.length > 0 || dk.length > 0) current.sdpaBackward(dq, dk, dv, gr, qd, kd, vd, out, lse, md, g);
      else { dq.fill(0); dk.fill(0); dv.fill(0); }
      const parts: [Tensor, Float32Array, number[]][] = [[q0, dq, [...batch, L, E]], [k0, dk, [...batch, S, E]], [v0, dv, [...batch, S, Ev]]];
      for (const [t, d, shape] of parts) {
        if (!t.requiresGrad) {
          release(d);
          continue;
        }
        const red = sizeOf(shape) === t.size ? d : sumToShape(d, shape, t.shape);
        if (red !== d) release(d);
        accumulate(t, red, true);
      }
    }, [q0, k0, v0, res]);
  }
  return res;
}
