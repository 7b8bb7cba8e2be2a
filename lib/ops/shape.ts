/**
 * Shape ops and views. Wherever PyTorch returns a view, so does nodegrad: the result shares the
 * input's storage (new shape, strides and offset), and writing through it changes the input.
 * view/reshape/flatten/squeeze/unsqueeze/permute/transpose/t/expand/slice/select/narrow/index/
 * split/chunk/unbind/detach never copy; reshape copies only when no strides express the new shape
 * (as torch.reshape), view then throws. contiguous() copies a non-contiguous tensor; clone() always.
 *
 * Each view is a geometry map (shape, strides, offset) → (shape', strides', offset'). Applied to the
 * input's storage geometry it gives the view; applied to the input's *logical* contiguous geometry it
 * says where each view element sits in the input's gradient, which is how every view's backward
 * rule is written (one strided copy of g into a zeroed input-shaped buffer).
 */
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32, zerosF32 } from '../util/alloc.js';
// reorder.ts imports this module too; indexSelect is only called at run time, so the cycle is harmless
import { indexSelect } from './reorder.js';
import { broadcastShapes, coalesce, contiguousStrides, fmtShape, normDim, shapesEqual, sizeOf } from '../util/shape.js';

interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

type GeoMap = (shape: readonly number[], strides: readonly number[], offset: number) => Geometry;

function flatArgs(args: (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

/**
 * The view of x through `map`. `kind` picks the backward rule: 'same' when the view lists x's
 * elements in x's own logical order (reshape-like: g passes through), 'bijective' when it is a
 * reordering of all of them (permute), 'general' otherwise (slices, expand: zeroed buffer, accumulate).
 */
function makeView(x: Tensor, map: GeoMap, kind: 'same' | 'bijective' | 'general'): Tensor {
  const geo = map(x.shape, x._strides, x._offset);
  const out = new Tensor(x._storage, geo.shape, false, geo.strides, geo.offset, x.dtype);
  out._base = x._base ?? x;
  if (needsGrad1(x)) {
    if (kind === 'same') {
      record(out, [x], (g) => accumulate(x, g, false), []);
    } else {
      const logical = map(x.shape, contiguousStrides(x.shape), 0);
      record(out, [x], (g) => {
        const dx = kind === 'bijective' ? emptyF32(x.size) : zerosF32(x.size);
        if (g.length > 0) {
          // g is contiguous over the view's shape; dx is written at the view's logical strides
          const c = coalesce(logical.shape, [contiguousStrides(logical.shape), logical.strides]);
          current.copy(c.shape, g, 0, c.strides[0], dx, logical.offset, c.strides[1], kind === 'general');
        }
        accumulate(x, dx, true);
      }, []);
    }
  }
  return out;
}

/**
 * Strides for viewing (shape, strides) as newShape without moving data, or null when impossible
 * (PyTorch's computeStride: dims of the old shape that are laid out contiguously among themselves
 * can be split and merged freely).
 */
function viewStrides(shape: readonly number[], strides: readonly number[], newShape: readonly number[]): number[] | null {
  const n = sizeOf(shape);
  const out = new Array<number>(newShape.length);
  if (n === 0) return contiguousStrides(newShape);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}

function inferShape(x: Tensor, shape: readonly number[], op: string): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of integers or the sizes as arguments`);
  const s = [...shape];
  let infer = -1;
  let known = 1;
  for (let i = 0; i < s.length; i++) {
    const d = s[i];
    if (d === -1) {
      if (infer >= 0) throw new Error(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
      infer = i;
    } else if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: invalid shape ${fmtShape(shape)}`);
    } else known *= d;
  }
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) throw new Error(`${op}: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
    s[infer] = x.size / known;
  }
  if (sizeOf(s) !== x.size) throw new Error(`${op}: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
  return s;
}

/** Same elements, new shape (one dim may be −1): a view when strides allow it, else a contiguous copy. */
export function reshape(x: Tensor, shape: readonly number[], op = 'reshape'): Tensor {
  const s = inferShape(x, shape, op);
  const st = x._contig ? contiguousStrides(s) : viewStrides(x.shape, x._strides, s);
  if (st === null) {
    if (op === 'view') {
      throw new Error(`view: the size and stride of the input (shape ${fmtShape(x.shape)}, strides ${fmtShape(x._strides)}) are not compatible with the requested shape ${fmtShape(s)}; use reshape(...) or contiguous() first`);
    }
    return reshape(contiguous(x), s, op);
  }
  return makeView(x, (_sh, _st, off) => ({ shape: s, strides: st, offset: off }), 'same');
}

/** A view that must not copy (torch.Tensor.view). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  return reshape(x, shape, 'view');
}

/** Merges dims startDim..endDim into one (torch.flatten: defaults 0 and −1). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1], 'flatten');
  const s = normDim(startDim, x.ndim, 'flatten');
  const e = normDim(endDim, x.ndim, 'flatten');
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape, 'flatten');
}

/** Removes size-1 dims (all of them, or just `dim`, which must then have size 1 to change anything). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  let keep: (i: number) => boolean;
  if (dim === undefined) keep = (i) => x.shape[i] !== 1;
  else if (x.ndim === 0) { normDim(dim, 1, 'squeeze'); keep = () => true; } else {
    const d = normDim(dim, x.ndim, 'squeeze');
    keep = (i) => i !== d || x.shape[d] !== 1;
  }
  return makeView(x, (sh, st, off) => {
    const shape: number[] = [];
    const strides: number[] = [];
    for (let i = 0; i < sh.length; i++) if (keep(i)) { shape.push(sh[i]); strides.push(st[i]); }
    return { shape, strides, offset: off };
  }, 'same');
}

/** Inserts a size-1 dim at `dim` (in [−rank−1, rank]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim + 1, 'unsqueeze');
  return makeView(x, (sh, st, off) => {
    const shape = [...sh];
    const strides = [...st];
    shape.splice(d, 0, 1);
    strides.splice(d, 0, d < sh.length ? st[d] * sh[d] : 1);
    return { shape, strides, offset: off };
  }, 'same');
}

/** Reorders dims: a view (strides permuted). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (!Array.isArray(dims)) throw new TypeError('permute: dims must be an array of integers or the dims as arguments');
  if (dims.length !== x.ndim) throw new Error(`permute: ${fmtShape(dims)} has ${dims.length} dims, tensor of shape ${fmtShape(x.shape)} has ${x.ndim}`);
  const perm = dims.map((d) => normDim(d, x.ndim, 'permute'));
  if (new Set(perm).size !== perm.length) throw new Error(`permute: ${fmtShape(dims)} repeats a dim`);
  let identity = true;
  for (let i = 0; i < perm.length; i++) if (perm[i] !== i) identity = false;
  return makeView(x, (sh, st, off) => ({ shape: perm.map((p) => sh[p]), strides: perm.map((p) => st[p]), offset: off }),
    identity ? 'same' : 'bijective');
}

/** Swaps two dims: a view. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim === 0) { normDim(dim0, 1, 'transpose'); normDim(dim1, 1, 'transpose'); return makeView(x, (sh, st, off) => ({ shape: [...sh], strides: [...st], offset: off }), 'same'); }
  const a = normDim(dim0, x.ndim, 'transpose');
  const b = normDim(dim1, x.ndim, 'transpose');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** 2-D transpose (0-D and 1-D tensors are returned as views unchanged), as torch.t. */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new Error(`t: expects a tensor with at most 2 dims, got shape ${fmtShape(x.shape)}; use transpose(dim0, dim1) or mT`);
  return x.ndim < 2 ? transpose(x, 0, 0) : transpose(x, 0, 1);
}

/**
 * Broadcasts to `shape` (NumPy rules; −1 keeps a dim) as a view: broadcast dims get stride 0, so
 * no memory is used. Writing into an expanded view writes one element many times, as in PyTorch.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) throw new TypeError('expand: shape must be an array of integers or the sizes as arguments');
  const off = shape.length - x.ndim;
  if (off < 0) throw new Error(`expand: cannot expand shape ${fmtShape(x.shape)} to fewer dims ${fmtShape(shape)}`);
  const target = shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d));
  for (const d of target) if (!Number.isInteger(d) || d < 0) throw new RangeError(`expand: invalid shape ${fmtShape(shape)}`);
  const outShape = broadcastShapes(x.shape, target, 'expand');
  if (!shapesEqual(outShape, target)) throw new Error(`expand: shapes ${fmtShape(x.shape)} and ${fmtShape(shape)} cannot be broadcast`);
  if (shapesEqual(outShape, x.shape)) return makeView(x, (sh, st, o) => ({ shape: [...sh], strides: [...st], offset: o }), 'same');
  return makeView(x, (sh, st, o) => {
    const strides = outShape.map((d, i) => (i < off ? 0 : sh[i - off] === 1 && d !== 1 ? 0 : st[i - off]));
    return { shape: [...outShape], strides, offset: o };
  }, 'general');
}

function clampIndex(i: number, n: number): number {
  const j = i < 0 ? i + n : i;
  return Math.min(Math.max(j, 0), n);
}

/**
 * Elements start ≤ k < end along `dim`, every `step`-th (Python's x[..., start:end:step]: negative
 * indices count from the end, out-of-range bounds are clamped; end defaults to the dim's size). A view.
 */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  if (x.ndim === 0) throw new Error('slice: cannot slice a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'slice');
  if (!Number.isInteger(start) || (end !== undefined && end !== null && !Number.isInteger(end))) {
    throw new TypeError(`slice: start and end must be integers, got ${start} and ${String(end)}`);
  }
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[d];
  const s = clampIndex(start, n);
  const e = Math.max(s, end === undefined || end === null ? n : clampIndex(end, n));
  const len = Math.ceil((e - s) / step);
  return makeView(x, (sh, st, off) => {
    const shape = [...sh];
    const strides = [...st];
    shape[d] = len;
    strides[d] = st[d] * step;
    return { shape, strides, offset: off + (len > 0 ? s * st[d] : 0) };
  }, 'general');
}

/** `length` elements from `start` along `dim` (torch.narrow: bounds must lie inside). A view. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  if (x.ndim === 0) throw new Error('narrow: cannot narrow a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'narrow');
  const n = x.shape[d];
  if (!Number.isInteger(start) || !Number.isInteger(length)) throw new TypeError(`narrow: start and length must be integers, got ${start} and ${length}`);
  const s = start < 0 ? start + n : start;
  if (s < 0 || s > n || length < 0 || s + length > n) {
    throw new RangeError(`narrow: start ${start} and length ${length} are out of range for dim ${dim} of size ${n}`);
  }
  return slice(x, d, s, s + length);
}

/** Entry i along `dim` (negative counts from the end), dropping that dim: x.select(0, i) = x[i]. A view. */
export function select(x: Tensor, dim: number, i: number): Tensor {
  if (x.ndim === 0) throw new Error('select: cannot select from a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'select');
  const n = x.shape[d];
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`select: index ${i} is out of range for dim ${d} of size ${n} (shape ${fmtShape(x.shape)})`);
  const j = i < 0 ? i + n : i;
  return makeView(x, (sh, st, off) => ({
    shape: sh.filter((_, k) => k !== d),
    strides: st.filter((_, k) => k !== d),
    offset: off + j * st[d],
  }), 'general');
}

/**
 * x[i] along `dim` (default 0, as `x[i]`): an integer gives a view one dim smaller (select(dim, i)); a list
 * of indices (int32 tensor, Int32Array, integer array) gives x[..., idx, ...] along `dim`, a new tensor
 * with that dim kept (PyTorch's advanced indexing = indexSelect). Negative indices count from the end.
 */
export function index(x: Tensor, i: number | Tensor | Int32Array | readonly number[], dim = 0): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('index: expected a Tensor');
  if (x.ndim === 0) throw new Error('index: cannot index a zero-dimensional tensor');
  if (!Number.isInteger(dim)) throw new TypeError(`index: dim must be an integer, got ${typeof dim === 'string' ? `"${dim}" (string)` : String(dim)}`);
  const d = normDim(dim, x.ndim, 'index');
  if (typeof i !== 'number') {
    if (i instanceof Tensor || i instanceof Int32Array || Array.isArray(i)) return indexSelect(x, d, i);
    throw new TypeError(`index: index must be an integer or a list of integers (int32 tensor, Int32Array, number[]), got ${i === null ? 'null' : typeof i === 'string' ? `"${i}" (string)` : typeof i}`);
  }
  const n = x.shape[d];
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`index: index ${i} is out of range for dim ${d} of size ${n} (shape ${fmtShape(x.shape)})`);
  return select(x, d, i);
}

/** Views of consecutive pieces along `dim`: of `size` each (the last may be smaller), or of the listed sizes (torch.split). */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  if (x.ndim === 0) throw new Error('split: cannot split a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'split');
  const n = x.shape[d];
  const out: Tensor[] = [];
  if (typeof sizeOrSizes === 'number') {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes < 0 || (sizeOrSizes === 0 && n > 0)) throw new RangeError(`split: split size must be a positive integer, got ${sizeOrSizes}`);
    if (n === 0) return [narrow(x, d, 0, 0)];
    for (let s = 0; s < n; s += sizeOrSizes) out.push(narrow(x, d, s, Math.min(sizeOrSizes, n - s)));
    return out;
  }
  if (!Array.isArray(sizeOrSizes)) throw new TypeError('split: expected a size or an array of sizes');
  let total = 0;
  for (const s of sizeOrSizes) {
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`split: sizes must be non-negative integers, got ${fmtShape(sizeOrSizes)}`);
    total += s;
  }
  if (total !== n) throw new RangeError(`split: sizes ${fmtShape(sizeOrSizes)} sum to ${total}, but dim ${d} has size ${n}`);
  let s = 0;
  for (const len of sizeOrSizes) { out.push(narrow(x, d, s, len)); s += len; }
  return out;
}

/** `chunks` views along `dim` of ⌈n / chunks⌉ elements each (fewer when n is small), as torch.chunk. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  if (x.ndim === 0) throw new Error('chunk: cannot chunk a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'chunk');
  const n = x.shape[d];
  return split(x, Math.max(1, Math.ceil(n / chunks)), d);
}

/** Every entry along `dim` as a view, the dim removed (torch.unbind). */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  if (x.ndim === 0) throw new Error('unbind: cannot unbind a zero-dimensional tensor');
  const d = normDim(dim, x.ndim, 'unbind');
  const out: Tensor[] = [];
  for (let i = 0; i < x.shape[d]; i++) out.push(select(x, d, i));
  return out;
}

/** Copies x into a fresh contiguous tensor of its dtype (differentiable: the gradient passes through). */
function copyOut(x: Tensor): Tensor {
  let out: Tensor;
  if (x.dtype === 'float32') {
    const buf = emptyF32(x.size);
    if (x.size > 0) {
      const c = coalesce(x.shape, [x._strides, contiguousStrides(x.shape)]);
      current.copy(c.shape, x._storage.buf as Float32Array, x._offset, c.strides[0], buf, 0, c.strides[1], false);
    }
    out = new Tensor(buf, x.shape);
  } else {
    out = new Tensor(x.dtype === 'bfloat16' ? x.bits().slice() : x.data.slice(), x.shape, false, undefined, 0, x.dtype);
  }
  if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, g, false), []);
  return out;
}

/** x itself when contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  return x._contig ? x : copyOut(x);
}

/** A contiguous copy that autograd sees through (torch.clone). */
export function clone(x: Tensor): Tensor {
  return copyOut(x);
}

declare module '../tensor.js' {
  interface Tensor {
    reshape(...shape: number[]): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(...shape: number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    permute(...dims: number[]): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    /** All dims reversed (PyTorch's T); for a matrix, its transpose. */
    readonly T: Tensor;
    /** The last two dims swapped (batched matrix transpose). */
    readonly mT: Tensor;
    expand(...shape: number[]): Tensor;
    expand(shape: readonly number[]): Tensor;
    expandAs(other: Tensor): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    select(dim: number, index: number): Tensor;
    index(i: number | Tensor | Int32Array | readonly number[], dim?: number): Tensor;
    split(sizeOrSizes: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    viewAs(other: Tensor): Tensor;
    reshapeAs(other: Tensor): Tensor;
    /** This tensor when contiguous, otherwise a contiguous copy. */
    contiguous(): Tensor;
    /** A contiguous copy (differentiable). */
    clone(): Tensor;
  }
}

const P = Tensor.prototype;
P.reshape = function (this: Tensor, ...s: (number | readonly number[])[]) { return reshape(this, flatArgs(s)); };
P.view = function (this: Tensor, ...s: (number | readonly number[])[]) { return reshape(this, flatArgs(s), 'view'); };
P.flatten = function (this: Tensor, a?: number, b?: number) { return flatten(this, a, b); };
P.squeeze = function (this: Tensor, d?: number) { return squeeze(this, d); };
P.unsqueeze = function (this: Tensor, d: number) { return unsqueeze(this, d); };
P.permute = function (this: Tensor, ...d: (number | readonly number[])[]) { return permute(this, flatArgs(d)); };
P.transpose = function (this: Tensor, a: number, b: number) { return transpose(this, a, b); };
P.t = function (this: Tensor) { return t(this); };
Object.defineProperty(P, 'T', {
  get(this: Tensor) { return permute(this, this.shape.map((_, i) => this.ndim - 1 - i)); },
  configurable: true,
});
Object.defineProperty(P, 'mT', {
  get(this: Tensor) {
    if (this.ndim < 2) throw new Error(`mT: expects a tensor with at least 2 dims, got shape ${fmtShape(this.shape)}`);
    return transpose(this, -2, -1);
  },
  configurable: true,
});
P.expand = function (this: Tensor, ...s: (number | readonly number[])[]) { return expand(this, flatArgs(s)); };
P.expandAs = function (this: Tensor, o: Tensor) { return expand(this, o.shape); };
P.broadcastTo = function (this: Tensor, s: readonly number[]) { return expand(this, s); };
P.slice = function (this: Tensor, dim: number, start?: number, end?: number, step?: number) { return slice(this, dim, start, end, step); };
P.narrow = function (this: Tensor, dim: number, start: number, length: number) { return narrow(this, dim, start, length); };
P.select = function (this: Tensor, dim: number, i: number) { return select(this, dim, i); };
P.index = function (this: Tensor, i: number | Tensor | Int32Array | readonly number[], dim?: number) { return index(this, i, dim); };
P.split = function (this: Tensor, s: number | readonly number[], dim?: number) { return split(this, s, dim); };
P.chunk = function (this: Tensor, c: number, dim?: number) { return chunk(this, c, dim); };
P.unbind = function (this: Tensor, dim?: number) { return unbind(this, dim); };
P.viewAs = function (this: Tensor, o: Tensor) { return reshape(this, o.shape, 'view'); };
P.reshapeAs = function (this: Tensor, o: Tensor) { return reshape(this, o.shape); };
P.contiguous = function (this: Tensor) { return contiguous(this); };
P.clone = function (this: Tensor) { return clone(this); };
