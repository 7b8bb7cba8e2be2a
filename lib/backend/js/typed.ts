/**
 * Reference kernels over any dtype (float32, int32, bool as 0/1 bytes): strided copy, casts,
 * comparisons, logical ops, where, int32 arithmetic, and reductions of int32/bool data. All walk
 * an output of `shape` (contiguous, row-major) reading each operand through its own element
 * strides (0 on broadcast dims), so broadcasting and strided views cost no copy.
 */
import { bf16ToF32Into, f32ToBf16Into, type DataArray } from '../../dtype.js';
import type { BinaryOpCode, CompareOpCode, LogicalOpCode, ReduceOpCode } from '../backend.js';

/** Visits every element of `shape` (row-major: f's first argument is the contiguous output index) with three strided operand offsets. */
function walk3(
  shape: readonly number[], s1: readonly number[], s2: readonly number[], s3: readonly number[],
  o1: number, o2: number, o3: number, f: (i: number, a: number, b: number, c: number) => void,
): void {
  const rank = shape.length;
  let total = 1;
  for (let d = 0; d < rank; d++) total *= shape[d];
  if (total === 0) return;
  if (rank === 0) { f(0, o1, o2, o3); return; }
  const last = rank - 1;
  const n = shape[last];
  const a1 = s1[last], a2 = s2[last], a3 = s3[last];
  const idx = new Array<number>(rank).fill(0);
  let i = 0;
  for (let done = 0; done < total; done += n) {
    for (let j = 0, p = o1, q = o2, r = o3; j < n; j++, p += a1, q += a2, r += a3) f(i++, p, q, r);
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) { o1 += s1[d]; o2 += s2[d]; o3 += s3[d]; break; }
      idx[d] = 0;
      o1 -= s1[d] * (shape[d] - 1);
      o2 -= s2[d] * (shape[d] - 1);
      o3 -= s3[d] * (shape[d] - 1);
    }
  }
}


/** dst[dstOffset + Σ idx·dstStrides] = src[srcOffset + Σ idx·srcStrides] for arrays of any dtype (converting as a cast would). */
export function copyTyped(
  shape: readonly number[], src: DataArray, srcOffset: number, srcStrides: readonly number[],
  dst: DataArray, dstOffset: number, dstStrides: readonly number[],
): void {
  const toBool = dst instanceof Uint8Array && !(src instanceof Uint8Array);
  const toInt = dst instanceof Int32Array && src instanceof Float32Array;
  walk3(shape, srcStrides, dstStrides, srcStrides, srcOffset, dstOffset, 0, (_i, s, d) => {
    const v = src[s];
    dst[d] = toBool ? (v !== 0 ? 1 : 0) : toInt ? Math.trunc(v) : v;
  });
}

/** Contiguous cast of n elements: float → int32 truncates toward zero (NaN → 0), anything → bool is x != 0. */
export function cast(src: DataArray, dst: DataArray, n: number): void {
  // bfloat16 (Uint16Array bit patterns) goes through float32: widening is exact, narrowing rounds to nearest even
  if (src instanceof Uint16Array || dst instanceof Uint16Array) {
    if (src instanceof Uint16Array && dst instanceof Uint16Array) { dst.set(src.subarray(0, n)); return; }
    if (src instanceof Uint16Array) {
      const wide = bf16ToF32Into(src.subarray(0, n), dst instanceof Float32Array ? dst.subarray(0, n) : new Float32Array(n));
      if (!(dst instanceof Float32Array)) cast(wide, dst, n);
      return;
    }
    const f = src instanceof Float32Array ? src.subarray(0, n) : Float32Array.from(src.subarray(0, n));
    f32ToBf16Into(f, dst as Uint16Array);
    return;
  }
  if (dst instanceof Uint8Array && !(src instanceof Uint8Array)) {
    for (let i = 0; i < n; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  } else if (dst instanceof Int32Array && src instanceof Float32Array) {
    for (let i = 0; i < n; i++) { const v = src[i]; dst[i] = v !== v ? 0 : Math.trunc(v); }
  } else {
    for (let i = 0; i < n; i++) dst[i] = src[i];
  }
}

/** out = a (op) b as 0/1 bytes over a broadcast `shape`. NaN compares unequal to everything (ne is true). */
export function compare(
  op: CompareOpCode, a: DataArray, aStrides: readonly number[], b: DataArray, bStrides: readonly number[],
  out: Uint8Array, shape: readonly number[],
): void {
  const f: (x: number, y: number) => boolean =
    op === 0 ? (x, y) => x === y : op === 1 ? (x, y) => x !== y : op === 2 ? (x, y) => x < y
      : op === 3 ? (x, y) => x <= y : op === 4 ? (x, y) => x > y : (x, y) => x >= y;
  walk3(shape, aStrides, bStrides, aStrides, 0, 0, 0, (i, p, q) => { out[i] = f(a[p], b[q]) ? 1 : 0; });
}

/** out = a (and | or | xor) b over bool (any non-zero is true). */
export function logical(
  op: LogicalOpCode, a: DataArray, aStrides: readonly number[], b: DataArray, bStrides: readonly number[],
  out: Uint8Array, shape: readonly number[],
): void {
  walk3(shape, aStrides, bStrides, aStrides, 0, 0, 0, (i, p, q) => {
    const x = a[p] !== 0;
    const y = b[q] !== 0;
    out[i] = (op === 0 ? x && y : op === 1 ? x || y : x !== y) ? 1 : 0;
  });
}

/** out = cond ? a : b over a broadcast `shape` (out contiguous; a, b and out of one dtype). */
export function where(
  cond: Uint8Array, cStrides: readonly number[], a: DataArray, aStrides: readonly number[],
  b: DataArray, bStrides: readonly number[], out: DataArray, shape: readonly number[],
): void {
  walk3(shape, cStrides, aStrides, bStrides, 0, 0, 0, (i, c, p, q) => { out[i] = cond[c] !== 0 ? a[p] : b[q]; });
}

/** int32 arithmetic with wrap-around as in C: add, sub, mul, max, min (PyTorch's integer ops; div is true division in float32). */
export function binaryInt(
  op: BinaryOpCode, a: Int32Array, aStrides: readonly number[], b: Int32Array, bStrides: readonly number[],
  out: Int32Array, shape: readonly number[],
): void {
  const f: (x: number, y: number) => number =
    op === 0 ? (x, y) => (x + y) | 0 : op === 1 ? (x, y) => (x - y) | 0 : op === 2 ? (x, y) => Math.imul(x, y)
      : op === 5 ? (x, y) => (x > y ? x : y) : op === 6 ? (x, y) => (x < y ? x : y)
        : op === 4 ? (x, y) => (y < 0 ? 0 : Math.trunc(x ** y) | 0) : () => 0;
  walk3(shape, aStrides, bStrides, aStrides, 0, 0, 0, (i, p, q) => { out[i] = f(a[p], b[q]); });
}

/**
 * Reductions of int32/bool x viewed as [outer, n, inner] into an Int32Array: sum (wraps at 2³²,
 * as int32), max, min, argmax, argmin (first extreme). Other codes are float-only.
 */
export function reduceInt(op: ReduceOpCode, x: DataArray, out: Int32Array, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let acc = op === 0 ? 0 : x[base];
      let at = 0;
      for (let j = op === 0 ? 0 : 1; j < n; j++) {
        const v = x[base + j * inner];
        if (op === 0) acc = (acc + v) | 0;
        else if (op === 2 || op === 4) { if (v > acc) { acc = v; at = j; } } else if (v < acc) { acc = v; at = j; }
      }
      out[o * inner + i] = op === 4 || op === 5 ? at : acc;
    }
  }
}


/**
 * Inclusive scan along the middle axis of x viewed as [outer, n, inner]: op 0 = cumulative sum,
 * 1 = cumulative product (accumulated in float64, rounded once per element).
 */
export function scan(op: number, x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = op === 0 ? 0 : 1;
      for (let j = 0, k = o * n * inner + i; j < n; j++, k += inner) {
        acc = op === 0 ? acc + x[k] : acc * x[k];
        out[k] = acc;
      }
    }
  }
}

/**
 * Stable sort along the middle axis of x ([outer, n, inner]): sorted values into `values` and the
 * source positions into `indices`. NaN sorts last (as PyTorch), descending puts larger values first.
 */
export function sortAlong(x: DataArray, values: DataArray, indices: Int32Array, outer: number, n: number, inner: number, descending: boolean): void {
  const idx = new Array<number>(n);
  const nanLast = (a: number, b: number): number => {
    const an = a !== a, bn = b !== b;
    if (an || bn) return an === bn ? 0 : an ? 1 : -1;
    return descending ? b - a : a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let j = 0; j < n; j++) idx[j] = j;
      idx.sort((p, q) => nanLast(x[base + p * inner], x[base + q * inner]) || p - q);
      for (let j = 0; j < n; j++) {
        values[base + j * inner] = x[base + idx[j] * inner];
        indices[base + j * inner] = idx[j];
      }
    }
  }
}

/** out[o, j, i] = x[o, idx[j], i] for x [outer, n, inner], out [outer, m, inner] (indices validated by the caller). */
export function indexSelect(x: DataArray, idx: Int32Array, out: DataArray, outer: number, n: number, inner: number): void {
  const m = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * n + idx[j]) * inner;
      const dst = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
    }
  }
}

/** dx[o, idx[j], i] += g[o, j, i] (the backward of indexSelect; accumulates). */
export function indexAdd(g: Float32Array, idx: Int32Array, dx: Float32Array, outer: number, n: number, inner: number): void {
  const m = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * n + idx[j]) * inner;
      const src = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) dx[dst + i] += g[src + i];
    }
  }
}

/** Element classes → bool: 0 isnan, 1 isinf, 2 isfinite, 3 isposinf, 4 isneginf. */
export function classify(op: number, x: Float32Array, out: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = (op === 0 ? v !== v : op === 1 ? v === Infinity || v === -Infinity : op === 2 ? Number.isFinite(v) : op === 3 ? v === Infinity : v === -Infinity) ? 1 : 0;
  }
}

/**
 * Gradient of scan (overwrites dx), x/g/dx as [outer, n, inner]: cumsum: dx_i = Σ_{k≥i} g_k;
 * cumprod: dx_i = Σ_{k≥i} g_k · Π_{j≤k, j≠i} x_j, computed without dividing by x (exact with zeros;
 * O(n²) per slice).
 */
export function scanBackward(op: number, x: Float32Array, g: Float32Array, dx: Float32Array, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i0 = 0; i0 < inner; i0++) {
      const base = o * n * inner + i0;
      if (op === 0) {
        let acc = 0;
        for (let j = n - 1; j >= 0; j--) { acc += g[base + j * inner]; dx[base + j * inner] = acc; }
        continue;
      }
      let prefix = 1; // Π_{j<i} x_j
      for (let i = 0; i < n; i++) {
        let r = prefix;
        let acc = g[base + i * inner] * r;
        for (let k = i + 1; k < n; k++) {
          r *= x[base + k * inner];
          acc += g[base + k * inner] * r;
        }
        dx[base + i * inner] = acc;
        prefix *= x[base + i * inner];
      }
    }
  }
}
