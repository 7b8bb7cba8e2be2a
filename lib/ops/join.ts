/**
 * Joining: concat and stack. Each input is read through its own strides (views cost no copy) and
 * written into its place in one contiguous output. Any dtype; all inputs must share one.
 */
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { newArray } from '../dtype.js';
import { emptyF32 } from '../util/alloc.js';
import { coalesce, contiguousStrides, fmtShape, normDim, shapesEqual, splitAt } from '../util/shape.js';
import { unsqueeze } from './shape.js';

/** Joins tensors along an existing dim; all other dims must match. */
export function concat(ts: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(ts) || ts.length === 0) throw new Error('concat: expected a non-empty array of tensors');
  const first = ts[0];
  if (!(first instanceof Tensor)) throw new TypeError('concat: every element must be a Tensor');
  if (first.ndim === 0) throw new Error('concat: zero-dimensional tensors cannot be concatenated');
  const d = normDim(dim, first.ndim, 'concat');
  let total = 0;
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new TypeError('concat: every element must be a Tensor');
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`concat: shapes ${fmtShape(first.shape)} and ${fmtShape(t.shape)} differ outside dim ${d}`);
    }
    if (t.dtype !== first.dtype) throw new TypeError(`concat: dtypes ${first.dtype} and ${t.dtype} differ (cast first, e.g. t.float())`);
    total += t.shape[d];
  }
  const outShape = [...first.shape];
  outShape[d] = total;
  const [outer, , inner] = splitAt(outShape, d);
  const n = outer * total * inner;
  const float = first.dtype === 'float32';
  const buf = float ? emptyF32(n) : newArray(first.dtype, n);
  const out = new Tensor(buf, outShape);
  const os = contiguousStrides(outShape);
  const row = total * inner;
  const offsets: number[] = [];
  let off = 0;
  for (const t of ts) {
    offsets.push(off);
    if (t.size > 0) {
      const c = coalesce(t.shape, [t._strides, os]);
      if (float) current.copy(c.shape, t._storage.buf as Float32Array, t._offset, c.strides[0], buf as Float32Array, off, c.strides[1], false);
      else current.copyTyped(c.shape, t._storage.buf, t._offset, c.strides[0], buf, off, c.strides[1]);
    }
    off += t.shape[d] * inner;
  }
  if (isGradEnabled() && ts.some((t) => t.requiresGrad)) {
    record(out, [...ts], (g) => {
      ts.forEach((t, k) => {
        if (!t.requiresGrad) return;
        const w = t.shape[d] * inner;
        const dx = emptyF32(t.size);
        if (t.size > 0) current.copy([outer, w], g, offsets[k], [row, 1], dx, 0, [w, 1], false);
        accumulate(t, dx, true);
      });
    }, []);
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
