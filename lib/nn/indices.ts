/**
 * Integer indices (Embedding ids, class labels) from an int32, float32 or bool tensor, an Int32Array or
 * plain numbers: always an owned Int32Array copy (a backward rule must not see later changes to the
 * caller's array), validated through the backend — `indexCheck` for the range, and for float sources a
 * cast + compare for integrality. Only plain JS arrays are read element by element here (that is how
 * numbers enter typed storage at all); tensor data never is.
 */
import { CompareOp, ReduceOp } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import type { DataArray } from '../dtype.js';
import { Tensor } from '../tensor.js';

export interface IndexMessages {
  /** the RangeError message for value v at position i outside [0, limit) */
  range(v: number, i: number): string;
  /** the RangeError message for a value that is not an integer (default: range) */
  notInteger?(v: number, i: number): string;
}

/** The first position where `values` (a float32 array) is not equal to its int32 truncation, or −1. */
function firstNonInteger(values: Float32Array, ids: Int32Array, n: number): number {
  const same = new Uint8Array(n);
  current.compare(CompareOp.eq, values, [1], ids, [1], same, [n]);
  const at = new Int32Array(1);
  current.reduceInt(ReduceOp.argmin, same, at, 1, n, 1);
  return same[at[0]] === 0 ? at[0] : -1;
}

/**
 * The values of `src` as validated indices in [0, limit). Throws a RangeError from `msg` for the first
 * offending position (a non-integer, or an integer out of range), in order.
 */
export function indexData(src: Tensor | ArrayLike<number>, limit: number, msg: IndexMessages): Int32Array {
  const n = src instanceof Tensor ? src.size : src.length;
  let ids: Int32Array;
  let values: ArrayLike<number>;
  let nonInt = -1;
  if (src instanceof Tensor || src instanceof Int32Array) {
    const d = (src instanceof Tensor ? src.data : src) as DataArray;
    values = d;
    if (d instanceof Int32Array) {
      ids = d.slice(0, n);
    } else {
      ids = new Int32Array(n);
      if (n > 0) current.cast(d, ids, n);
      if (d instanceof Float32Array && n > 0) nonInt = firstNonInteger(d, ids, n);
    }
  } else {
    // plain numbers (number[] or another array-like): converted one by one, as ng.tensor(values) does
    values = src;
    ids = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      ids[i] = v;
      if (nonInt < 0 && ids[i] !== v) nonInt = i;
    }
  }
  const bad = n > 0 ? current.indexCheck(ids, n, limit) : -1;
  const at = nonInt < 0 ? bad : bad < 0 ? nonInt : Math.min(bad, nonInt);
  if (at >= 0) {
    const v = values[at];
    const integral = Number.isInteger(v);
    throw new RangeError(!integral && msg.notInteger ? msg.notInteger(v, at) : msg.range(v, at));
  }
  return ids;
}
