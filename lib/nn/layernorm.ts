/**
 * F.layerNorm (torch.nn.functional.layer_norm): one fused backend call forward (saving each row's mean
 * and rstd) and one backward (dx, dweight, dbias together), instead of a chain of element-wise ops.
 */
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32 } from '../util/alloc.js';
import { fmtShape, shapesEqual, sizeOf } from '../util/shape.js';
import { contiguous } from '../ops/shape.js';
import { describe } from '../util/describe.js';

/** @internal normalizedShape as a list of positive integers: TypeError for a non-number, RangeError for a bad size. */
export function normalizedShapeOf(v: unknown, who: string): number[] {
  const ns = typeof v === 'number' ? [v] : Array.isArray(v) ? [...v] : null;
  if (ns === null) throw new TypeError(`${who}: normalizedShape must be a positive integer or an array of them, got ${describe(v)}`);
  const bad = ns.find((d) => typeof d !== 'number');
  if (bad !== undefined) throw new TypeError(`${who}: normalizedShape must hold integers, got ${describe(bad)}`);
  if (ns.length === 0 || ns.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`${who}: normalizedShape must be positive integers, got ${fmtShape(ns)}`);
  }
  return ns;
}

function affineArg(t: Tensor | null | undefined, shape: readonly number[], what: string): Tensor | null {
  if (t === null || t === undefined) return null;
  if (!(t instanceof Tensor)) throw new TypeError(`layerNorm: ${what} must be a Tensor or null, got ${typeof t}`);
  if (t.dtype !== 'float32') throw new TypeError(`layerNorm: ${what} must be float32, got ${t.dtype}`);
  if (!shapesEqual(t.shape, shape)) {
    throw new Error(`layerNorm: ${what} of shape ${fmtShape(t.shape)} does not match normalizedShape ${fmtShape(shape)}`);
  }
  return t;
}

/**
 * Normalises x over its last dims `normalizedShape` (biased variance, eps inside the square root), then
 * scales by weight and shifts by bias (each optional, of shape normalizedShape). Differentiable in x,
 * weight and bias.
 */
export function layerNorm(
  x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`layerNorm: input must be a Tensor, got ${describe(x)}`);
  if (x.dtype !== 'float32') throw new TypeError(`layerNorm: input must be float32, got ${x.dtype}`);
  const ns = normalizedShapeOf(normalizedShape, 'layerNorm');
  const k = ns.length;
  if (x.ndim < k || !shapesEqual(x.shape.slice(x.ndim - k), ns)) {
    throw new Error(`layerNorm: input shape ${fmtShape(x.shape)} does not end with normalizedShape ${fmtShape(ns)}`);
  }
  if (typeof eps !== 'number') throw new TypeError(`layerNorm: eps must be a non-negative number, got ${describe(eps)}`);
  if (!(eps >= 0)) throw new RangeError(`layerNorm: eps must be a non-negative number, got ${String(eps)}`);
  const w = affineArg(weight, ns, 'weight');
  const b = affineArg(bias, ns, 'bias');
  const n = sizeOf(ns);
  const size = x.size;
  const rows = size / n;
  const xd = contiguous(x).data as Float32Array;
  const wd = w !== null ? (contiguous(w).data as Float32Array) : null;
  const bd = b !== null ? (contiguous(b).data as Float32Array) : null;
  const out = emptyF32(size);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  if (size > 0) current.layerNorm(out, mean, rstd, xd, wd, bd, rows, n, eps);
  const res = new Tensor(out, x.shape);
  const inputs = [x, w, b].filter((t): t is Tensor => t !== null);
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    record(res, inputs, (g) => {
      const dx = x.requiresGrad ? emptyF32(size) : null;
      const dw = w !== null && w.requiresGrad ? emptyF32(n) : null;
      const db = b !== null && b.requiresGrad ? emptyF32(n) : null;
      if (size > 0) current.layerNormBackward(dx, dw, db, g, xd, mean, rstd, wd, rows, n);
      else { dw?.fill(0); db?.fill(0); }
      if (dx !== null) accumulate(x, dx, true);
      if (dw !== null) accumulate(w!, dw, true);
      if (db !== null) accumulate(b!, db, true);
    }, w !== null ? [x, w] : [x]);
  }
  return res;
}
