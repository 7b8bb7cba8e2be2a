/**
 * Masks and index ops for attention: tril / triu (a bool mask built from two int32 aranges, then
 * maskedFill: differentiable, the input's dtype kept), gather and scatterAdd along a dim (PyTorch's
 * torch.gather / Tensor.scatter_add). gather and scatterAdd turn (dim, index) into flat element
 * positions of the contiguous input with int32 ops, then run the backend's row gather / scatter-add
 * kernels with rows of one element; each is the other's backward.
 */
import { ReduceOp } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { arange, Tensor } from '../tensor.js';
import { emptyF32, zerosF32 } from '../util/alloc.js';
import { contiguousStrides, fmtShape, normDim, sizeOf } from '../util/shape.js';
import { maskedFill } from './compare.js';
import { add, mul } from './elementwise.js';
import { contiguous, narrow, reshape } from './shape.js';

function checkTensor(x: unknown, op: string, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

function triMask(x: Tensor, diagonal: number, op: string, lower: boolean): Tensor {
  checkTensor(x, op);
  if (x.ndim < 2) throw new Error(`${op}: input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new TypeError(`${op}: diagonal must be an integer, got ${String(diagonal)}`);
  const R = x.shape[x.ndim - 2];
  const C = x.shape[x.ndim - 1];
  const rows = reshape(arange(R, { dtype: 'int32' }), [R, 1]);
  const cols = reshape(arange(C, { dtype: 'int32' }), [1, C]);
  const d = add(cols, mul(rows, -1)); // j − i
  // tril keeps j − i ≤ diagonal; triu keeps j − i ≥ diagonal: fill the rest with 0
  const drop = lower ? d.gt(diagonal) : d.lt(diagonal);
  return maskedFill(x, drop, 0);
}

/** Lower triangle of the last two dims (elements with j − i ≤ diagonal), the rest zero (torch.tril). */
export const tril = (x: Tensor, diagonal = 0): Tensor => triMask(x, diagonal, 'tril', true);
/** Upper triangle of the last two dims (elements with j − i ≥ diagonal), the rest zero (torch.triu). */
export const triu = (x: Tensor, diagonal = 0): Tensor => triMask(x, diagonal, 'triu', false);

/**
 * Flat positions into a contiguous tensor of `xShape` for every element of `index` along `dim`:
 * pos = index·stride[dim] + Σ_{d≠dim} coord_d·stride[d]. Checks dtype, rank, sizes and range.
 */
function flatPositions(xShape: readonly number[], dim: number, index: Tensor, op: string, srcShape?: readonly number[]): Int32Array {
  checkTensor(index, op, 'index');
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must be an int32 tensor, got dtype ${index.dtype}`);
  const r = xShape.length;
  if (index.ndim !== r) {
    throw new Error(`${op}: index ${fmtShape(index.shape)} must have as many dims as the input ${fmtShape(xShape)}`);
  }
  for (let d = 0; d < r; d++) {
    if (d !== dim && index.shape[d] > xShape[d]) {
      throw new Error(`${op}: index ${fmtShape(index.shape)} is larger than the input ${fmtShape(xShape)} in dim ${d}`);
    }
    if (srcShape !== undefined && index.shape[d] > srcShape[d]) {
      throw new Error(`${op}: index ${fmtShape(index.shape)} is larger than src ${fmtShape(srcShape)} in dim ${d}`);
    }
  }
  const n = index.size;
  const idx = contiguous(index);
  if (n > 0) {
    const lim = new Int32Array(2);
    current.reduceInt(ReduceOp.max, idx.data as unknown as Int32Array, lim.subarray(0, 1), 1, n, 1);
    current.reduceInt(ReduceOp.min, idx.data as unknown as Int32Array, lim.subarray(1, 2), 1, n, 1);
    if (lim[1] < 0 || lim[0] >= xShape[dim]) {
      const bad = lim[1] < 0 ? lim[1] : lim[0];
      throw new RangeError(`${op}: index ${bad} is out of range for dim ${dim} of size ${xShape[dim]} (input ${fmtShape(xShape)})`);
    }
  }
  const xs = contiguousStrides(xShape);
  let pos = xs[dim] === 1 ? idx : mul(idx, xs[dim]);
  for (let d = 0; d < r; d++) {
    if (d === dim || index.shape[d] === 1) continue;
    const shape = new Array<number>(r).fill(1);
    shape[d] = index.shape[d];
    const coord = reshape(arange(index.shape[d], { dtype: 'int32' }), shape);
    pos = add(pos, xs[d] === 1 ? coord : mul(coord, xs[d]));
  }
  const out = contiguous(pos).data as unknown as Int32Array;
  // the backward rule keeps these positions: never a view of the caller's index storage
  return pos === idx ? out.slice() : out;
}

/** Reads float32 or int32 data as float32 bits (the row kernels only move elements). */
function asF32(a: Float32Array | Int32Array): Float32Array {
  return a instanceof Float32Array ? a : new Float32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (likewise for any dim): out has index's shape
 * (torch.gather). index is int32, of x's rank, no larger than x outside `dim`; values in
 * [0, x.shape[dim]). Differentiable in x (float32); int32 x is gathered too.
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor(x, 'gather');
  if (x.dtype === 'bool') throw new TypeError('gather: bool input is not supported (cast with .int() first)');
  const d = normDim(dim, Math.max(x.ndim, 1), 'gather');
  const xShape = x.ndim === 0 ? [1] : x.shape;
  const index1 = x.ndim === 0 ? reshape(index, [index.size]) : index;
  const pos = flatPositions(xShape, d, index1, 'gather');
  const n = pos.length;
  const src = contiguous(x);
  const isInt = x.dtype === 'int32';
  const outBuf = isInt ? new Int32Array(n) : emptyF32(n);
  if (n > 0) current.gatherRows(asF32(src.data as unknown as Float32Array | Int32Array), pos, asF32(outBuf), n, 1);
  const out = new Tensor(outBuf, index.shape);
  if (!isInt && isGradEnabled() && x.requiresGrad) {
    const size = x.size;
    record(out, [x], (g) => {
      const dx = zerosF32(size);
      if (n > 0) current.scatterAddRows(g, pos, dx, n, 1);
      accumulate(x, dx, true);
    }, []);
  }
  return out;
}

/**
 * A copy of x with src added at the positions index names along `dim` (Tensor.scatter_add):
 * out[i][index[i][j][k]][k] += src[i][j][k] for dim = 1. src is read over index's shape (it may be
 * larger); duplicate positions add up. Differentiable in x and src (float32).
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor(x, 'scatterAdd');
  checkTensor(src, 'scatterAdd', 'src');
  if (x.dtype !== 'float32' || src.dtype !== 'float32') {
    throw new TypeError(`scatterAdd: input and src must be float32, got ${x.dtype} and ${src.dtype}`);
  }
  if (src.ndim !== x.ndim) throw new Error(`scatterAdd: src ${fmtShape(src.shape)} must have as many dims as the input ${fmtShape(x.shape)}`);
  const d = normDim(dim, Math.max(x.ndim, 1), 'scatterAdd');
  const pos = flatPositions(x.shape, d, index, 'scatterAdd', src.shape);
  const n = pos.length;
  // src restricted to index's shape (a view), then contiguous
  let s = src;
  for (let k = 0; k < src.ndim; k++) if (src.shape[k] !== index.shape[k]) s = narrow(s, k, 0, index.shape[k]);
  const sc = contiguous(s).data as Float32Array;
  const size = x.size;
  const outBuf = emptyF32(size);
  const xc = contiguous(x).data as Float32Array;
  outBuf.set(xc.subarray(0, size));
  if (n > 0) current.scatterAddRows(sc, pos, outBuf, n, 1);
  const out = new Tensor(outBuf, x.shape);
  if (isGradEnabled() && (x.requiresGrad || src.requiresGrad)) {
    const srcShape = src.shape;
    const idxShape = index.shape;
    record(out, [x, src], (g) => {
      if (x.requiresGrad) accumulate(x, g, false);
      if (src.requiresGrad) {
        const gs = emptyF32(n);
        if (n > 0) current.gatherRows(g, pos, gs, n, 1);
        if (sizeOf(srcShape) === n) {
          accumulate(src, gs, true);
        } else {
          const ds = zerosF32(sizeOf(srcShape));
          if (n > 0) current.copy(idxShape, gs, 0, contiguousStrides(idxShape), ds, 0, contiguousStrides(srcShape), false);
          accumulate(src, ds, true);
        }
      }
    }, []);
  }
  return out;
}

declare module '../tensor.js' {
  interface Tensor {
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
  }
}

const P = Tensor.prototype;
P.tril = function (this: Tensor, k?: number) { return tril(this, k); };
P.triu = function (this: Tensor, k?: number) { return triu(this, k); };
P.gather = function (this: Tensor, dim: number, index: Tensor) { return gather(this, dim, index); };
P.scatterAdd = function (this: Tensor, dim: number, index: Tensor, src: Tensor) { return scatterAdd(this, dim, index, src); };
