/**
 * IDX files (the MNIST format, http://yann.lecun.com/exdb/mnist/): two zero bytes, a dtype byte
 * (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), a dims-count byte,
 * the dims as big-endian uint32, then the elements big-endian, row-major.
 *
 * `readIdx(path)` validates everything before trusting it (size vs header, magic, dtype, dims,
 * overflow, truncation, trailing bytes) and throws an Error naming the file and the problem. Paths
 * ending in `.gz` are gunzipped first.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { readTypedArray } from '../io/dtype.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxResult =
  | { dtype: 'uint8'; shape: number[]; data: Uint8Array }
  | { dtype: 'int8'; shape: number[]; data: Int8Array }
  | { dtype: 'int16'; shape: number[]; data: Int16Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array }
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array };

const DTYPES = {
  0x08: { name: 'uint8', Ctor: Uint8Array },
  0x09: { name: 'int8', Ctor: Int8Array },
  0x0b: { name: 'int16', Ctor: Int16Array },
  0x0c: { name: 'int32', Ctor: Int32Array },
  0x0d: { name: 'float32', Ctor: Float32Array },
  0x0e: { name: 'float64', Ctor: Float64Array },
} as const;

/** The IDX dtype code of each dtype name (for writers). */
export const IDX_DTYPE_CODES: Readonly<Record<IdxDtype, number>> = {
  uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e,
};

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Parses IDX bytes already in memory. `name` (a path, usually) is put in error messages.
 */
export function parseIdx(bytes: Uint8Array, name = '<buffer>'): IdxResult {
  const fail = (what: string): never => {
    throw new Error(`readIdx: ${name}: ${what}`);
  };
  if (bytes.length < 4) fail(`file too short for the IDX header (${bytes.length} bytes, need at least 4)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`bad magic: first two bytes are ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00 (not an IDX file${bytes[0] === 0x1f && bytes[1] === 0x8b ? '; it looks gzip-compressed: name it *.gz' : ''})`);
  }
  const code = bytes[2];
  const dt = (DTYPES as Record<number, (typeof DTYPES)[keyof typeof DTYPES] | undefined>)[code];
  if (dt === undefined) fail(`unknown dtype byte ${hex(code)} (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)`);
  const { name: dtype, Ctor } = dt!;
  const ndim = bytes[3];
  if (ndim === 0) fail('zero dimensions in the header');
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) {
    fail(`truncated header: ${ndim} dimensions need ${headerLen} header bytes, file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
    if (count * Ctor.BYTES_PER_ELEMENT > Number.MAX_SAFE_INTEGER) {
      fail(`dimensions [${shape.join(',')}${i < ndim - 1 ? ',…' : ''}] overflow: too many elements`);
    }
  }
  const nbytes = count * Ctor.BYTES_PER_ELEMENT;
  const have = bytes.length - headerLen;
  if (have < nbytes) {
    fail(`truncated: header says ${nbytes} bytes of data (${dtype} [${shape.join(',')}]), file has ${have}`);
  }
  if (have > nbytes) {
    fail(`trailing garbage: header says ${nbytes} bytes of data (${dtype} [${shape.join(',')}]), file has ${have} (${have - nbytes} extra)`);
  }
  const data = readTypedArray(bytes.subarray(headerLen), Ctor, count, false);
  return { dtype, shape, data } as IdxResult;
}

/** Reads an IDX file (`.gz` too). Throws an Error naming the file on any problem. */
export function readIdx(path: string): IdxResult {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`readIdx: path must be a non-empty string, got ${String(path)}`);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    throw new Error(`readIdx: ${path}: cannot open: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isFile()) throw new Error(`readIdx: ${path}: not a regular file`);
  const gz = path.toLowerCase().endsWith('.gz');
  if (!gz && st.size < 4) {
    throw new Error(`readIdx: ${path}: file too short for the IDX header (${st.size} bytes, need at least 4)`);
  }
  if (st.size > bufferConstants.MAX_LENGTH) {
    throw new Error(`readIdx: ${path}: file too large (${st.size} bytes; this Node reads at most ${bufferConstants.MAX_LENGTH})`);
  }
  let bytes: Uint8Array = fs.readFileSync(path);
  if (gz) {
    try {
      bytes = zlib.gunzipSync(bytes, { maxOutputLength: bufferConstants.MAX_LENGTH });
    } catch (e) {
      throw new Error(`readIdx: ${path}: cannot gunzip: ${(e as Error).message}`, { cause: e });
    }
  }
  return parseIdx(bytes, path);
}
