/**
 * Element types. A tensor's storage is one typed array of its dtype: float32 → Float32Array,
 * int32 → Int32Array, bool → Uint8Array (0/1), bfloat16 → Uint16Array (the top 16 bits of a float32).
 * bfloat16 is a storage dtype (frozen weights at half the memory): linear/matmul read it widening to
 * float32 inside the GEMM, other ops widen it to float32 first (as they do ints) or refuse it by name;
 * nothing here assumes "not float32 ⇒ integer".
 */
export type DType = 'float32' | 'int32' | 'bool' | 'bfloat16';
export type DataArray = Float32Array | Int32Array | Uint8Array | Uint16Array;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool', 'bfloat16'];

export function isDType(d: unknown): d is DType {
  return d === 'float32' || d === 'int32' || d === 'bool' || d === 'bfloat16';
}

/** Validates a dtype argument for `op` (PyTorch's spellings 'float', 'int' and 'long' are accepted). */
export function checkDType(d: unknown, op: string): DType {
  if (d === 'float' || d === 'float32') return 'float32';
  if (d === 'int' || d === 'int32' || d === 'long' || d === 'int64') return 'int32';
  if (d === 'bool') return 'bool';
  if (d === 'bfloat16' || d === 'bf16') return 'bfloat16';
  throw new TypeError(`${op}: dtype must be 'float32', 'int32', 'bool' or 'bfloat16', got ${typeof d === 'string' ? `'${d}'` : String(d)}`);
}

/** The dtype a typed array stores (null for any other array type). */
export function dtypeOfArray(a: unknown): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  if (a instanceof Uint16Array) return 'bfloat16';
  return null;
}

export function newArray(dtype: DType, n: number): DataArray {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  if (dtype === 'bfloat16') return new Uint16Array(n);
  return new Uint8Array(n);
}

/**
 * Type promotion for binary ops (PyTorch's lattice restricted to our dtypes): bool < int32 < float32;
 * bfloat16 computes as float32 (it is a storage dtype), so any floating operand gives float32.
 */
export function promote(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32' || a === 'bfloat16' || b === 'bfloat16') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'bfloat16';
}

/** bfloat16 bit patterns → float32 values (exact: a bf16 is the top half of a float32). */
export function bf16ToF32Into(src: Uint16Array, out: Float32Array): Float32Array {
  const u = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) u[i] = src[i] << 16;
  return out;
}

/** float32 values → bfloat16 bit patterns, rounding to nearest even; NaN stays NaN (quiet), ±inf stays ±inf. */
export function f32ToBf16Into(src: Float32Array, out: Uint16Array): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;
    else out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}
