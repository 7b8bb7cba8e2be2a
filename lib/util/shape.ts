/** Shape helpers: sizes, strides, NumPy broadcasting, dimension normalisation and coalescing. */

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major element strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Validates a shape argument (non-negative integers) for `op`. */
export function checkShape(shape: readonly number[], op: string): void {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of integers, got ${String(shape)}`);
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: invalid shape ${fmtShape(shape)} (dimensions must be non-negative integers)`);
    }
    size *= d;
  }
  if (size > MAX_ELEMENTS) {
    throw new RangeError(`${op}: shape ${fmtShape(shape)} has ${size} elements, more than the ${MAX_ELEMENTS} a tensor can hold`);
  }
}

/** The most elements one tensor may hold (the native kernels take sizes below 2^31). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Normalises a possibly negative dim into [0, rank); throws naming the op. */
export function normDim(dim: number, rank: number, op: string): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new TypeError(`${op}: dim must be an integer, got ${String(dim)}`);
  const d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank) throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of rank ${rank}`);
  return d;
}

/** NumPy broadcast of two shapes; throws `${op}: shapes [..] and [..] cannot be broadcast`. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (${da} != ${db} at dim ${i})`);
  }
  return out;
}

/** Strides that read a contiguous tensor of `shape` as if broadcast to `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const off = rank - shape.length;
  const s = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    if (i < off) { s[i] = 0; continue; }
    const d = shape[i - off];
    s[i] = d === 1 && outShape[i] !== 1 ? 0 : acc;
    acc *= d;
  }
  return s;
}

/**
 * Merges adjacent dims that every operand walks contiguously, and drops size-1 dims, so kernels see
 * as few dims as possible. Returns the new shape and one stride list per operand (rank ≥ 1).
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const k = outShape.length - 1;
    let merge = k >= 0;
    if (merge) {
      for (let j = 0; j < strides.length; j++) {
        if (outStrides[j][k] !== strides[j][d] * n) { merge = false; break; }
      }
    }
    if (merge) {
      outShape[k] *= n;
      for (let j = 0; j < strides.length; j++) outStrides[j][k] = strides[j][d];
    } else {
      outShape.push(n);
      for (let j = 0; j < strides.length; j++) outStrides[j].push(strides[j][d]);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (let j = 0; j < strides.length; j++) outStrides[j].push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/** [outer, n, inner] view of `shape` around dim `d` (for reduce/softmax kernels). */
export function splitAt(shape: readonly number[], d: number): [number, number, number] {
  let outer = 1;
  for (let i = 0; i < d; i++) outer *= shape[i];
  let inner = 1;
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[d], inner];
}
