/**
 * Reordering and index selection: indexSelect, flip, roll, repeat, tile, sort, argsort. indexSelect is one
 * kernel (any dtype) with an index-add backward; flip and roll are index selections; repeat and tile
 * are an expand view copied once (their gradient is expand's sum); sort scatters its gradient back to
 * the source positions. Indices are int32 tensors, Int32Arrays or number arrays; out-of-range → RangeError.
 */
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { newArray } from '../dtype.js';
import { emptyF32, zerosF32 } from '../util/alloc.js';
import { fmtShape, normDim, splitAt } from '../util/shape.js';
import { attachIndices } from './reduce.js';
import { contiguous, expand, reshape } from './shape.js';

/** A 1-D int32 index list from a tensor / Int32Array / number[], checked against [−n, n) (negatives wrap). */
function indexList(index: Tensor | Int32Array | readonly number[], n: number, op: string): Int32Array {
  let raw: ArrayLike<number>;
  if (index instanceof Tensor) {
    if (index.dtype === 'float32') throw new TypeError(`${op}: index must be an int32 tensor, got float32 (use .int())`);
    if (index.ndim > 1) throw new RangeError(`${op}: index must be 0-D or 1-D, got shape ${fmtShape(index.shape)}`);
    raw = contiguous(index).data;
  } else if (index instanceof Int32Array || Array.isArray(index)) raw = index as ArrayLike<number>;
  else throw new TypeError(`${op}: index must be an int32 Tensor, an Int32Array or an array of integers`);
  const out = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v) || v < -n || v >= n) throw new RangeError(`${op}: index ${v} is out of range for a dim of size ${n}`);
    out[i] = v < 0 ? v + n : v;
  }
  return out;
}

function selectRows(x: Tensor, d: number, idx: Int32Array): Tensor {
  const xc = contiguous(x);
  const [outer, n, inner] = splitAt(x.shape, d);
  const shape = [...x.shape];
  shape[d] = idx.length;
  const size = outer * idx.length * inner;
  const buf = x.dtype === 'float32' ? emptyF32(size) : newArray(x.dtype, size);
  if (size > 0) current.indexSelect(xc.data, idx, buf, outer, n, inner);
  const out = new Tensor(buf, shape);
  if (needsGrad1(xc)) {
    record(out, [xc], (g) => {
      const dx = zerosF32(xc.size);
      if (g.length > 0) current.indexAdd(g, idx, dx, outer, n, inner);
      accumulate(xc, dx, true);
    }, []);
  }
  return out;
}

/** The entries `index` along `dim` (torch.index_select); a new tensor. */
export function indexSelect(x: Tensor, dim: number, index: Tensor | Int32Array | readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('indexSelect: expected a Tensor');
  if (x.ndim === 0) throw new Error('indexSelect: cannot index a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'indexSelect');
  return selectRows(x, d, indexList(index, x.shape[d], 'indexSelect'));
}

/** Reverses the order along each of `dims`. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('flip: expected a Tensor');
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  let t = x;
  for (const d0 of new Set(ds.map((d) => normDim(d, x.ndim, 'flip')))) {
    const n = x.shape[d0];
    t = selectRows(t, d0, Int32Array.from({ length: n }, (_, i) => n - 1 - i));
  }
  return t === x ? contiguous(x).clone() : t;
}

/** Rotates by `shifts` along `dims` (elements leaving one end come back at the other); no dims: over the flattened tensor. */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('roll: expected a Tensor');
  const sh = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (dims === undefined) {
    if (sh.length !== 1) throw new RangeError('roll: without dims, shifts must be a single number');
    return reshape(roll(reshape(x, [x.size]), sh, [0]), x.shape);
  }
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  if (ds.length !== sh.length) throw new RangeError(`roll: ${sh.length} shifts for ${ds.length} dims`);
  let t = x;
  ds.forEach((d0, k) => {
    const d = normDim(d0, x.ndim, 'roll');
    const n = x.shape[d];
    if (!Number.isInteger(sh[k])) throw new TypeError(`roll: shifts must be integers, got ${sh[k]}`);
    if (n === 0) return;
    const s = ((sh[k] % n) + n) % n;
    t = selectRows(t, d, Int32Array.from({ length: n }, (_, i) => (i - s + n) % n));
  });
  return t;
}

/** Tiles the tensor `sizes[i]` times along each dim (torch.Tensor.repeat; sizes may add leading dims). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('repeat: expected a Tensor');
  if (!Array.isArray(sizes) || sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new RangeError(`repeat: sizes must be non-negative integers, got ${String(sizes)}`);
  if (sizes.length < x.ndim) throw new RangeError(`repeat: ${sizes.length} sizes for a tensor of rank ${x.ndim} (need at least as many)`);
  const shape = [...Array(sizes.length - x.ndim).fill(1), ...x.shape];
  const inter: number[] = [];
  const big: number[] = [];
  const final: number[] = [];
  shape.forEach((s, i) => { inter.push(1, s); big.push(sizes[i], s); final.push(sizes[i] * s); });
  return reshape(contiguous(expand(reshape(x, inter), big)), final);
}

/** numpy-style tile: dims shorter than the rank are padded with ones on the left. */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  if (!Array.isArray(dims)) throw new TypeError('tile: dims must be an array of integers');
  const d = dims.length < x.ndim ? [...Array(x.ndim - dims.length).fill(1), ...dims] : dims;
  return repeat(x, d);
}

/** Sorted values along `dim` (default −1) with `.values` / `.indices` (int32), stable; NaN last. */
export function sort(x: Tensor, dim = -1, descending = false): Tensor & { values: Tensor; indices: Tensor } {
  if (!(x instanceof Tensor)) throw new TypeError('sort: expected a Tensor');
  if (typeof descending !== 'boolean') throw new TypeError('sort: descending must be a boolean');
  const xc = contiguous(x);
  if (x.ndim === 0) {
    const v = xc.clone();
    attachIndices(v, () => new Tensor(new Int32Array(1), []));
    return v as Tensor & { values: Tensor; indices: Tensor };
  }
  const d = normDim(dim, x.ndim, 'sort');
  const [outer, n, inner] = splitAt(x.shape, d);
  const vals = x.dtype === 'float32' ? emptyF32(x.size) : newArray(x.dtype, x.size);
  const idx = new Int32Array(x.size);
  if (x.size > 0) current.sortAlong(xc.data, vals, idx, outer, n, inner, descending);
  const out = new Tensor(vals, x.shape);
  if (needsGrad1(xc)) {
    record(out, [xc], (g) => {
      // element (o, j, i) came from flat position (o·n + idx)·inner + i
      const flat = new Int32Array(idx.length);
      for (let k = 0; k < idx.length; k++) {
        const i = k % inner;
        const o = Math.floor(k / (n * inner));
        flat[k] = (o * n + idx[k]) * inner + i;
      }
      const dx = zerosF32(xc.size);
      if (g.length > 0) current.scatterAddRows(g, flat, dx, flat.length, 1);
      accumulate(xc, dx, true);
    }, []);
  }
  attachIndices(out, () => new Tensor(idx, x.shape));
  return out as Tensor & { values: Tensor; indices: Tensor };
}

/** The int32 positions that sort `dim`. */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  return sort(x, dim, descending).indices;
}

declare module '../tensor.js' {
  interface Tensor {
    indexSelect(dim: number, index: Tensor | Int32Array | readonly number[]): Tensor;
    flip(dims: number | readonly number[]): Tensor;
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    repeat(...sizes: number[]): Tensor;
    repeat(sizes: readonly number[]): Tensor;
    tile(dims: readonly number[]): Tensor;
    sort(dim?: number, descending?: boolean): Tensor & { values: Tensor; indices: Tensor };
    argsort(dim?: number, descending?: boolean): Tensor;
  }
}

const P = Tensor.prototype;
P.indexSelect = function (this: Tensor, d: number, i: Tensor | Int32Array | readonly number[]) { return indexSelect(this, d, i); };
P.flip = function (this: Tensor, d: number | readonly number[]) { return flip(this, d); };
P.roll = function (this: Tensor, s: number | readonly number[], d?: number | readonly number[]) { return roll(this, s, d); };
P.repeat = function (this: Tensor, ...s: (number | readonly number[])[]) { return repeat(this, s.length === 1 && Array.isArray(s[0]) ? (s[0] as number[]) : (s as number[])); };
P.tile = function (this: Tensor, d: readonly number[]) { return tile(this, d); };
P.sort = function (this: Tensor, d?: number, desc?: boolean) { return sort(this, d, desc); };
P.argsort = function (this: Tensor, d?: number, desc?: boolean) { return argsort(this, d, desc); };
