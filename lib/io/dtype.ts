/**
 * Element conversions for file formats: IEEE half (f16) and bfloat16 (bf16) ↔ float32, and
 * byte-order helpers (safetensors is little-endian, IDX is big-endian; the host may be either).
 * f32 → f16/bf16 rounds to nearest, ties to even; NaN stays NaN, overflow goes to ±Infinity.
 */
import * as os from 'node:os';

/** True on a little-endian host (every platform Node ships for today, but do not assume it). */
export const hostIsLittleEndian: boolean = os.endianness() === 'LE';

// ---------------------------------------------------------------------------------------------
// half precision

let f16Table: Float32Array | null = null;

/** float32 value of the f16 bit pattern `h` (0..0xffff). */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero or subnormal (exact in f32)
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function table(): Float32Array {
  if (f16Table === null) {
    const t = new Float32Array(65536);
    const u = new Uint32Array(t.buffer);
    for (let h = 0; h < 65536; h++) {
      const exp = (h >>> 10) & 0x1f;
      const mant = h & 0x3ff;
      if (exp === 31) {
        // keep the NaN payload and sign bit exactly
        u[h] = ((h & 0x8000) << 16) | 0x7f800000 | (mant << 13);
      } else {
        t[h] = f16BitsToNumber(h);
      }
    }
    f16Table = t;
  }
  return f16Table;
}

/** f16 bit patterns → float32 values. */
export function f16ToF32(src: Uint16Array): Float32Array {
  const t = table();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}

const cvtF = new Float32Array(1);
const cvtU = new Uint32Array(cvtF.buffer);

/** f16 bit pattern of `x` rounded to nearest-even (as float32 first, like NumPy's astype chain). */
export function numberToF16Bits(x: number): number {
  cvtF[0] = x;
  return f32BitsToF16Bits(cvtU[0]);
}

function f32BitsToF16Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const e = (u >>> 23) & 0xff;
  let m = u & 0x7fffff;
  if (e === 255) return m === 0 ? sign | 0x7c00 : sign | 0x7c00 | 0x200 | (m >>> 13);
  const ue = e - 127 + 15;
  if (ue >= 31) return sign | 0x7c00;
  if (ue <= 0) {
    if (ue < -10) return sign; // rounds to ±0
    m |= 0x800000;
    const shift = 14 - ue;
    const half = 1 << (shift - 1);
    const rem = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rem > half || (rem === half && (h & 1) !== 0)) h++;
    return sign | h;
  }
  let h = (ue << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry into the exponent is right
  return sign | h;
}

/** float32 values → f16 bit patterns (round to nearest even). */
export function f32ToF16(src: Float32Array): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32BitsToF16Bits(u[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// bfloat16: the top 16 bits of a float32

/** bf16 bit patterns → float32 values (exact). */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) u[i] = src[i] << 16;
  return out;
}

/** float32 values → bf16 bit patterns (round to nearest even; NaN stays a quiet NaN). */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;
    else out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// byte order

/** Reverses the byte order of every `elemSize`-byte element of `bytes` in place. */
export function swapBytesInPlace(bytes: Uint8Array, elemSize: number): void {
  if (elemSize === 1) return;
  const n = bytes.length - (bytes.length % elemSize);
  for (let i = 0; i < n; i += elemSize) {
    for (let a = i, b = i + elemSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Any typed array constructor this module reads into. */
export type TypedArrayCtor =
  | Uint8ArrayConstructor | Int8ArrayConstructor | Uint16ArrayConstructor | Int16ArrayConstructor
  | Uint32ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/**
 * Copies `count` elements stored in `bytes` (any alignment) with the given byte order into a fresh,
 * aligned typed array of native order.
 */
export function readTypedArray<C extends TypedArrayCtor>(
  bytes: Uint8Array,
  Ctor: C,
  count: number,
  littleEndian: boolean,
): InstanceType<C> {
  const out = new Ctor(count) as InstanceType<C>;
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  outBytes.set(bytes.subarray(0, out.byteLength));
  if (littleEndian !== hostIsLittleEndian) swapBytesInPlace(outBytes, Ctor.BYTES_PER_ELEMENT);
  return out;
}

/** The bytes of `arr` in little-endian order: a zero-copy view on LE hosts, a swapped copy otherwise. */
export function littleEndianBytes(arr: ArrayBufferView & { BYTES_PER_ELEMENT: number }): Uint8Array {
  const view = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  if (hostIsLittleEndian || arr.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytesInPlace(copy, arr.BYTES_PER_ELEMENT);
  return copy;
}
