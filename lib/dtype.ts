/**
 * Element types. A tensor's storage is one typed array of its dtype: float32 → Float32Array,
 * int32 → Int32Array, bool → Uint8Array (0/1). bf16 later gets its own code and a Uint16Array storage
 * (compute widening to float32), so nothing here assumes "not float32 ⇒ integer".
 */
export type DType = 'float32' | 'int32' | 'bool';
export type DataArray = Float32Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

export function isDType(d: unknown): d is DType {
  return d === 'float32' || d === 'int32' || d === 'bool';
}

/** Validates a dtype argument for `op` (PyTorch's spellings 'float', 'int' and 'long' are accepted). */
export function checkDType(d: unknown, op: string): DType {
  if (d === 'float' || d === 'float32') return 'float32';
  if (d === 'int' || d === 'int32' || d === 'long' || d === 'int64') return 'int32';
  if (d === 'bool') return 'bool';
  throw new TypeError(`${op}: dtype must be 'float32', 'int32' or 'bool', got ${typeof d === 'string' ? `'${d}'` : String(d)}`);
}

/** The dtype a typed array stores (null for any other array type). */
export function dtypeOfArray(a: unknown): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  return null;
}

export function newArray(dtype: DType, n: number): DataArray {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

/** Type promotion for binary ops (PyTorch's lattice restricted to our dtypes): bool < int32 < float32. */
export function promote(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}

export function isFloating(d: DType): boolean {
  return d === 'float32';
}
