/**
 * Joining and indexing: concat, stack, slice (torch.narrow-like with Python-style bounds), index
 * (select along dim 0). All produce contiguous copies through the backend's strided copy.
 */
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { fmtShape, normDim, shapesEqual, splitAt } from '../util/shape.js';
import { unsqueeze } from './shape.js';

/** Joins tensors along an existing dim; all other dims must match. */
export function concat(ts: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(ts) || ts.length === 0) throw new Error('concat: expected a non-empty array of tensors');
  const first = ts[0];
  if (first.ndim === 0) throw new Error('concat: zero-dimensional tensors cannot be concatenated');
  const d = normDim(dim, first.ndim, 'concat');
  let total = 0;
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new TypeError('concat: every element must be a Tensor');
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`concat: shapes ${fmtShape(first.shape)} and ${fmtShape(t.shape)} differ outside dim ${d}`);
    }
    total += t.shape[d];
  }
  const outShape = [...first.shape];
  outShape[d] = total;
  const [outer, , inner] = splitAt(outShape, d);
  const out = new Tensor(new Float32Array(outer * total * inner), outShape);
  const row = total * inner;
  const offsets: number[] = [];
  let off = 0;
  for (const t of ts) {
    offsets.push(off);
    const w = t.shape[d] * inner;
    if (t.size > 0) current.copy([outer, w], t.data, 0, [w, 1], out.data, off, [row, 1], false);
    off += w;
  }
  if (isGradEnabled() && ts.some((t) => t.requiresGrad)) {
    record(out, [...ts], (g) => {
      ts.forEach((t, k) => {
        if (!t.requiresGrad) return;
        const w = t.shape[d] * inner;
        const dx = new Float32Array(t.size);
        if (t.size > 0) current.copy([outer, w], g, offsets[k], [row, 1], dx, 0, [w, 1], false);
        accumulate(t, dx, true);
      });
    });
  }
  return out;
}

/** Joins same-shaped tensors along a new dim. */
export function stack(ts: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(ts) || ts.length === 0) throw new Error('stack: expected a non-empty array of tensors');
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new TypeError('stack: every element must be a Tensor');
    if (!shapesEqual(t.shape, ts[0].shape)) throw new Error(`stack: shapes ${fmtShape(ts[0].shape)} and ${fmtShape(t.shape)} differ`);
  }
  const d = normDim(dim, ts[0].ndim + 1, 'stack');
  return concat(ts.map((t) => unsqueeze(t, d)), d);
}

function clampIndex(i: number, n: number): number {
  const j = i < 0 ? i + n : i;
  return Math.min(Math.max(j, 0), n);
}

/**
 * Elements start ≤ k < end along `dim` (like Python's x[..., start:end]: negative indices count from
 * the end, out-of-range bounds are clamped; end defaults to the dim's size). Contiguous copy.
 */
export function slice(x: Tensor, dim: number, start: number, end?: number): Tensor {
  if (x.ndim === 0) throw new Error('slice: cannot slice a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'slice');
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) {
    throw new TypeError(`slice: start and end must be integers, got ${start} and ${String(end)}`);
  }
  const [outer, n, inner] = splitAt(x.shape, d);
  const s = clampIndex(start, n);
  const e = Math.max(s, end === undefined ? n : clampIndex(end, n));
  const len = e - s;
  const outShape = [...x.shape];
  outShape[d] = len;
  const w = len * inner;
  const out = new Tensor(new Float32Array(outer * w), outShape);
  if (out.size > 0) current.copy([outer, w], x.data, s * inner, [n * inner, 1], out.data, 0, [w, 1], false);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = new Float32Array(x.size);
      if (g.length > 0) current.copy([outer, w], g, 0, [w, 1], dx, s * inner, [n * inner, 1], false);
      accumulate(x, dx, true);
    });
  }
  return out;
}

/** Selects entry i along dim 0 (negative counts from the end), dropping that dim: x[i]. */
export function index(x: Tensor, i: number): Tensor {
  if (x.ndim === 0) throw new Error('index: cannot index a zero-dimensional tensor');
  const n = x.shape[0];
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`index: index ${i} is out of range for dim 0 of size ${n} (shape ${fmtShape(x.shape)})`);
  const j = i < 0 ? i + n : i;
  const inner = x.size / n;
  const out = new Tensor(x.data.slice(j * inner, (j + 1) * inner), x.shape.slice(1));
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = new Float32Array(x.size);
      dx.set(g, j * inner);
      accumulate(x, dx, true);
    });
  }
  return out;
}

declare module '../tensor.js' {
  interface Tensor {
    slice(dim: number, start: number, end?: number): Tensor;
    index(i: number): Tensor;
  }
}

const P = Tensor.prototype;
P.slice = function (this: Tensor, dim: number, start: number, end?: number) { return slice(this, dim, start, end); };
P.index = function (this: Tensor, i: number) { return index(this, i); };
