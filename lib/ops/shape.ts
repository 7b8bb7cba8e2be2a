/**
 * Shape ops. reshape/view/flatten/squeeze/unsqueeze return a tensor SHARING the input's Float32Array
 * (data is always contiguous, so no copy is needed; writing one's data changes the other).
 * transpose/permute/expand return new contiguous data via the backend's strided copy.
 */
import { accumulate, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { broadcastShapes, fmtShape, normDim, shapesEqual, sizeOf } from '../util/shape.js';
import { expandData, permuteData, sumToShape } from './core.js';

function flatArgs(args: (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

/** Same data, new shape (one dim may be −1: inferred). Shares the Float32Array. */
export function reshape(x: Tensor, shape: readonly number[], op = 'reshape'): Tensor {
  const s = [...shape];
  let infer = -1;
  let known = 1;
  for (let i = 0; i < s.length; i++) {
    const d = s[i];
    if (d === -1) {
      if (infer >= 0) throw new Error(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: invalid shape ${fmtShape(shape)}`);
    } else known *= d;
  }
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) throw new Error(`${op}: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
    s[infer] = x.size / known;
  }
  if (sizeOf(s) !== x.size) throw new Error(`${op}: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
  const out = new Tensor(x.data, s);
  if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, g, false));
  return out;
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
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1), 'squeeze');
  if (x.ndim === 0) return reshape(x, [], 'squeeze');
  const d = normDim(dim, x.ndim, 'squeeze');
  if (x.shape[d] !== 1) return reshape(x, x.shape, 'squeeze');
  return reshape(x, x.shape.filter((_, i) => i !== d), 'squeeze');
}

/** Inserts a size-1 dim at `dim` (in [−rank−1, rank]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim + 1, 'unsqueeze');
  const s = [...x.shape];
  s.splice(d, 0, 1);
  return reshape(x, s, 'unsqueeze');
}

/** Reorders dims; the result is contiguous (one strided copy). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new Error(`permute: ${fmtShape(dims)} has ${dims.length} dims, tensor of shape ${fmtShape(x.shape)} has ${x.ndim}`);
  const perm = dims.map((d) => normDim(d, x.ndim, 'permute'));
  const seen = new Set(perm);
  if (seen.size !== perm.length) throw new Error(`permute: ${fmtShape(dims)} repeats a dim`);
  const out = new Tensor(permuteData(x.data, x.shape, perm), perm.map((p) => x.shape[p]));
  if (needsGrad1(x)) {
    const inv = new Array<number>(perm.length);
    for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
    const outShape = out.shape;
    record(out, [x], (g) => accumulate(x, permuteData(g, outShape, inv), true));
  }
  return out;
}

/** Swaps two dims; contiguous result. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normDim(dim0, x.ndim, 'transpose');
  const b = normDim(dim1, x.ndim, 'transpose');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts to `shape` (NumPy rules; −1 keeps a dim), materialised contiguously. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const off = shape.length - x.ndim;
  if (off < 0) throw new Error(`expand: cannot expand shape ${fmtShape(x.shape)} to fewer dims ${fmtShape(shape)}`);
  const target = shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d));
  const outShape = broadcastShapes(x.shape, target, 'expand');
  if (!shapesEqual(outShape, target)) throw new Error(`expand: shapes ${fmtShape(x.shape)} and ${fmtShape(shape)} cannot be broadcast`);
  const out = new Tensor(expandData(x, outShape), outShape);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const r = sumToShape(g, outShape, x.shape);
      accumulate(x, r, r !== g);
    });
  }
  return out;
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
    expand(...shape: number[]): Tensor;
    expand(shape: readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    /** Data is always contiguous: returns this. */
    contiguous(): Tensor;
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
P.expand = function (this: Tensor, ...s: (number | readonly number[])[]) { return expand(this, flatArgs(s)); };
P.broadcastTo = function (this: Tensor, s: readonly number[]) { return expand(this, s); };
P.contiguous = function (this: Tensor) { return this; };
