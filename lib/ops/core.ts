/** Helpers shared by the op files: output allocation, broadcasting plans, gradient reduction. */
import { ReduceOp } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { Tensor } from '../tensor.js';
import { broadcastStrides, coalesce, contiguousStrides, sizeOf } from '../util/shape.js';
import type { DataArray } from '../dtype.js';
import { zerosF32 } from '../util/alloc.js';
import { describe } from '../util/describe.js';

export const ONE: readonly number[] = [1];

/** Wraps a number as a 0-d constant tensor. */
export function scalarTensor(v: number): Tensor {
  return new Tensor(new Float32Array([v]), []);
}

/** Ensures `x` is a Tensor (numbers become 0-d constants); `op` names the caller in errors. */
export function asTensor(x: Tensor | number, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return scalarTensor(x);
  throw new TypeError(`${op}: expected a Tensor or a number, got ${describe(x)}`);
}

/**
 * Reduces `g` (a contiguous gradient of `outShape`) to `inShape` (which broadcasts to outShape) by
 * summing over the broadcast dims. Returns g itself when nothing is broadcast (caller: not owned).
 */
export function sumToShape(g: Float32Array, outShape: readonly number[], inShape: readonly number[]): Float32Array {
  const n = sizeOf(inShape);
  if (n === g.length) return g;
  const dst = zerosF32(n);
  if (g.length === 0) return dst;
  const c = coalesce(outShape, [broadcastStrides(inShape, outShape), contiguousStrides(outShape)]);
  const s = c.shape;
  const ds = c.strides[0];
  if (s.length === 1 && ds[0] === 0) {
    current.reduce(ReduceOp.sum, g, dst, 1, s[0], 1);
  } else if (s.length === 2 && ds[0] === 0) {
    current.reduce(ReduceOp.sum, g, dst, 1, s[0], s[1]);
  } else if (s.length === 2 && ds[1] === 0) {
    current.reduce(ReduceOp.sum, g, dst, s[0], s[1], 1);
  } else if (s.length === 3 && ds[1] === 0 && ds[0] !== 0) {
    current.reduce(ReduceOp.sum, g, dst, s[0], s[1], s[2]);
  } else {
    current.copy(s, g, 0, c.strides[1], dst, 0, ds, true);
  }
  return dst;
}

/** True when `g` came back from sumToShape unchanged (so the caller does not own it). */
export function isSame(a: Float32Array, b: Float32Array): boolean {
  return a === b;
}

/** Storage strides of t read at outShape (broadcasting: 0 on the dims t is broadcast along). */
export function readStrides(t: Tensor, outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const off = rank - t.ndim;
  const s = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    if (i < off) { s[i] = 0; continue; }
    s[i] = t.shape[i - off] === 1 && outShape[i] !== 1 ? 0 : t._strides[i - off];
  }
  return s;
}

/** The storage array of t (any dtype), starting at its offset. */
export function storageOf(t: Tensor): DataArray {
  const b = t._storage.buf;
  return t._offset === 0 ? b : b.subarray(t._offset);
}

/** The storage array of a float32 tensor, starting at its offset. */
export function storageData(t: Tensor): Float32Array {
  return storageOf(t) as Float32Array;
}
