/**
 * Reference kernels for reductions, strided copy and (log-)softmax. Reductions accumulate in
 * float64 (JS numbers) and round once: the accuracy reference for native's float32 sums.
 */
import { ReduceOp, type ReduceOpCode } from '../backend.js';

/**
 * out[o, i] = reduce_j x[o, j, i]. max/min/argmax/argmin return the first extreme; NaN counts as the
 * extreme (PyTorch: max propagates NaN, argmax points at the first NaN). sum over n = 0 is 0, mean NaN.
 */
export function reduce(op: ReduceOpCode, x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void {
  const isMax = op === ReduceOp.max || op === ReduceOp.argmax;
  const isMin = op === ReduceOp.min || op === ReduceOp.argmin;
  if (op < 0 || op > 6) throw new RangeError(`reduce: unknown op code ${String(op)}`);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < inner; i++) {
      let p = base + i;
      if (isMax || isMin) {
        let best = x[p];
        let arg = 0;
        if (best === best) {
          for (let j = 1; j < n; j++) {
            p += inner;
            const v = x[p];
            if (v !== v) { best = v; arg = j; break; }
            if (isMax ? v > best : v < best) { best = v; arg = j; }
          }
        }
        out[o * inner + i] = op === ReduceOp.max || op === ReduceOp.min ? best : arg;
      } else {
        let s = 0;
        if (op === ReduceOp.sumSquares) {
          for (let j = 0; j < n; j++, p += inner) s += x[p] * x[p];
        } else {
          for (let j = 0; j < n; j++, p += inner) s += x[p];
        }
        out[o * inner + i] = op === ReduceOp.mean ? s / n : s;
      }
    }
  }
}

/** Strided copy (or accumulate) over `shape`; rank 0 copies one element. */
export function copy(
  shape: readonly number[], src: Float32Array, srcOffset: number, srcStrides: readonly number[],
  dst: Float32Array, dstOffset: number, dstStrides: readonly number[], accumulate: boolean,
): void {
  const rank = shape.length;
  let total = 1;
  for (let d = 0; d < rank; d++) total *= shape[d];
  if (total === 0) return;
  if (rank === 0) {
    if (accumulate) dst[dstOffset] += src[srcOffset];
    else dst[dstOffset] = src[srcOffset];
    return;
  }
  const last = rank - 1;
  const n = shape[last];
  const ss = srcStrides[last];
  const ds = dstStrides[last];
  const idx = new Array<number>(rank).fill(0);
  let si = srcOffset;
  let di = dstOffset;
  for (let done = 0; done < total; done += n) {
    if (accumulate) {
      for (let j = 0, s = si, t = di; j < n; j++, s += ss, t += ds) dst[t] += src[s];
    } else if (ss === 1 && ds === 1) {
      dst.set(src.subarray(si, si + n), di);
    } else {
      for (let j = 0, s = si, t = di; j < n; j++, s += ss, t += ds) dst[t] = src[s];
    }
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) { si += srcStrides[d]; di += dstStrides[d]; break; }
      idx[d] = 0;
      si -= srcStrides[d] * (shape[d] - 1);
      di -= dstStrides[d] * (shape[d] - 1);
    }
  }
}

/** Numerically stable softmax / log-softmax over j of x[o, j, i] (subtracts the max first). */
export function softmax(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < inner; i++) {
      const start = base + i;
      const end = start + n * inner;
      let m = -Infinity;
      for (let p = start; p < end; p += inner) if (x[p] > m || x[p] !== x[p]) m = x[p];
      if (m === -Infinity) m = 0; // all -inf: avoid -inf - -inf = NaN in the shift
      let s = 0;
      for (let p = start; p < end; p += inner) s += Math.exp(x[p] - m);
      if (log) {
        const lse = m + Math.log(s);
        for (let p = start; p < end; p += inner) out[p] = x[p] - lse;
      } else {
        const r = 1 / s;
        for (let p = start; p < end; p += inner) out[p] = Math.exp(x[p] - m) * r;
      }
    }
  }
}

/** softmax: dx = y (dy − Σ dy·y); log-softmax: dx = dy − exp(y) Σ dy. Overwrites dx. */
export function softmaxBackward(
  y: Float32Array, dy: Float32Array, dx: Float32Array, outer: number, n: number, inner: number, log: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < inner; i++) {
      const start = base + i;
      const end = start + n * inner;
      let s = 0;
      if (log) {
        for (let p = start; p < end; p += inner) s += dy[p];
        for (let p = start; p < end; p += inner) dx[p] = dy[p] - Math.exp(y[p]) * s;
      } else {
        for (let p = start; p < end; p += inner) s += dy[p] * y[p];
        for (let p = start; p < end; p += inner) dx[p] = y[p] * (dy[p] - s);
      }
    }
  }
}
