/**
 * safetensors files (https://github.com/huggingface/safetensors), readable by the `safetensors`
 * Python package and by PyTorch:
 *
 *   [8 bytes: header length N, little-endian uint64]
 *   [N bytes: UTF-8 JSON {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [...],
 *             "data_offsets": [begin, end]}, ...}, padded with spaces to a multiple of 8]
 *   [data: the tensors' little-endian bytes, offsets relative to the start of this buffer]
 *
 * API:
 *   saveSafetensors(path, stateDict, metadata?)  writes F32 (atomically: see atomic.ts); tensors in
 *                                                 sorted-name order (byte-wise, as the Rust writer).
 *   loadSafetensors(path) → Record<string, Tensor>   the state dict, names in header order; every
 *                                                 dtype is converted to float32.
 *   readSafetensorsMetadata(path) → Record<string, string>   only the `__metadata__` (reads the header).
 *   readSafetensorsHeader(path) → { tensors: [{name, dtype, shape, dataOffsets}], metadata }
 *   serializeSafetensors / deserializeSafetensors   the same on in-memory bytes.
 *
 * Reads F32, F16, BF16, F64, I64, I32, I16, I8, U64, U32, U16, U8, BOOL. Loads validate everything
 * before allocating (the checklist of the Rust reference, research/reliability.md §5): file ≥ 8
 * bytes, header length ≤ 100 MB and ≤ file size − 8, UTF-8, JSON object, known dtypes, shapes of
 * non-negative integers, integer offsets with 0 ≤ begin ≤ end, shape × dtype size == end − begin
 * without overflow, no overlap, no hole, and the last offset is the end of the file. Any failure is
 * an Error starting `loadSafetensors: <file>: `.
 */
import * as fs from 'node:fs';
import { Tensor, isTensor } from '../tensor.js';
import { writeFileAtomic } from './atomic.js';
import { checkOptions } from '../util/options.js';
import { bf16ToF32, f16ToF32, hostIsLittleEndian, littleEndianBytes, readTypedArray, type TypedArrayCtor } from './dtype.js';

/** The reference implementation's MAX_HEADER_SIZE. */
export const MAX_HEADER_SIZE = 100_000_000;

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

const DTYPE_INFO: Record<SafetensorsDtype, { size: number; Ctor: TypedArrayCtor }> = {
  F64: { size: 8, Ctor: Float64Array },
  F32: { size: 4, Ctor: Float32Array },
  F16: { size: 2, Ctor: Uint16Array },
  BF16: { size: 2, Ctor: Uint16Array },
  I64: { size: 8, Ctor: BigInt64Array },
  I32: { size: 4, Ctor: Int32Array },
  I16: { size: 2, Ctor: Int16Array },
  I8: { size: 1, Ctor: Int8Array },
  U64: { size: 8, Ctor: BigUint64Array },
  U32: { size: 4, Ctor: Uint32Array },
  U16: { size: 2, Ctor: Uint16Array },
  U8: { size: 1, Ctor: Uint8Array },
  BOOL: { size: 1, Ctor: Uint8Array },
};

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in the data buffer. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** In header order. */
  tensors: SafetensorsEntry[];
  metadata: Record<string, string>;
}

export type StateDict = Record<string, Tensor> | Map<string, Tensor>;

function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  // defineProperty: a key named "__proto__" must become a plain own property
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// writing

/** The file's bytes as a list of chunks (header, then each tensor's data, zero-copy on LE hosts). */
export function serializeSafetensors(stateDict: StateDict, metadata?: Record<string, string>, op = 'saveSafetensors'): Uint8Array[] {
  const entries: [string, Tensor][] = [];
  if (stateDict instanceof Map) {
    for (const [k, v] of stateDict) entries.push([k, v]);
  } else if (stateDict !== null && typeof stateDict === 'object' && !isTensor(stateDict)) {
    for (const k of Object.keys(stateDict)) entries.push([k, stateDict[k]]);
  } else {
    throw new TypeError(`${op}: stateDict must be an object or Map of name → Tensor, got ${stateDict === null ? 'null' : typeof stateDict}`);
  }
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || k.length === 0) throw new TypeError(`${op}: tensor names must be non-empty strings, got ${JSON.stringify(String(k))}`);
    if (k === '__metadata__') throw new Error(`${op}: "__metadata__" is reserved and cannot name a tensor`);
    if (!isTensor(v)) throw new TypeError(`${op}: stateDict[${JSON.stringify(k)}] is not a Tensor (got ${v === null ? 'null' : typeof v})`);
  }
  entries.sort((a, b) => compareUtf8(a[0], b[0]));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new TypeError(`${op}: metadata must be an object of string → string, got ${Array.isArray(metadata) ? 'an array' : typeof metadata}`);
    }
    const md: Record<string, string> = {};
    for (const k of Object.keys(metadata)) {
      const v = (metadata as Record<string, unknown>)[k];
      if (typeof v !== 'string') {
        throw new TypeError(`${op}: metadata[${JSON.stringify(k)}] must be a string, got ${v === null ? 'null' : typeof v} (JSON.stringify it first)`);
      }
      setOwn(md, k, v);
    }
    if (Object.keys(md).length > 0) header.__metadata__ = md;
  }
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const [name, t] of entries) {
    // the bytes are the tensor's own elements: int32 → I32, bool → BOOL (writing them as F32 garbled them),
    // bfloat16 → BF16 (its bits, no widening)
    const bf16 = t.dtype === 'bfloat16';
    const bytes = littleEndianBytes(bf16 ? t.bits() : t.data);
    const dtype = bf16 ? 'BF16' : t.dtype === 'int32' ? 'I32' : t.dtype === 'bool' ? 'BOOL' : 'F32';
    setOwn(header, name, { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] });
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER_SIZE) throw new Error(`${op}: header of ${padded} bytes exceeds the ${MAX_HEADER_SIZE}-byte limit of safetensors`);
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(head, 8);
  return [head, ...chunks];
}

/**
 * Saves a state dict (name → Tensor, an object or a Map) as safetensors (float32 → F32, int32 → I32, bool → BOOL), atomically.
 * `metadata` values must be strings (TypeError otherwise), as in the format.
 */
export function saveSafetensors(path: string, stateDict: StateDict, metadata?: Record<string, string>): void {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`saveSafetensors: path must be a non-empty string, got ${String(path)}`);
  const chunks = serializeSafetensors(stateDict, metadata);
  try {
    writeFileAtomic(path, chunks);
  } catch (e) {
    throw new Error(`saveSafetensors: cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// reading

class Fail {
  constructor(readonly op: string, readonly name: string) {}
  error(what: string, cause?: unknown): Error {
    return new Error(`${this.op}: ${this.name}: ${what}`, cause === undefined ? undefined : { cause });
  }
}

/** Validates the 8-byte prefix; returns the header length. */
function headerLength(prefix: Uint8Array, total: number, f: Fail): number {
  if (total < 8) throw f.error(`file too small (${total} bytes): a safetensors file starts with an 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) throw f.error(`header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit (corrupt or not a safetensors file)`);
  const len = Number(n);
  if (len > total - 8) throw f.error(`header length ${len} runs past the end of the file (${total} bytes; truncated or corrupt)`);
  if (len < 2) throw f.error(`header length ${len} is too small for a JSON object`);
  return len;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Decodes and validates the JSON header against a data buffer of `dataLen` bytes. */
function parseHeader(headerBytes: Uint8Array, dataLen: number, f: Fail): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch (e) {
    throw f.error('header is not valid UTF-8', e);
  }
  if (!text.startsWith('{')) throw f.error(`header does not start with '{' (got ${JSON.stringify(text.slice(0, 16))}); not a safetensors file`);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw f.error(`header is not valid JSON: ${(e as Error).message}`, e);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw f.error('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsEntry[] = [];
  for (const name of Object.keys(obj)) {
    const info = (obj as Record<string, unknown>)[name];
    if (name === '__metadata__') {
      if (info === null) continue;
      if (typeof info !== 'object' || Array.isArray(info)) throw f.error('"__metadata__" is not an object of strings');
      for (const k of Object.keys(info)) {
        const v = (info as Record<string, unknown>)[k];
        if (typeof v !== 'string') throw f.error(`"__metadata__"[${JSON.stringify(k)}] is not a string`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) throw f.error(`${where}: entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_INFO, dtype)) {
      throw f.error(`${where}: unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_INFO).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      throw f.error(`${where}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isNonNegInt)) {
      throw f.error(`${where}: data_offsets ${JSON.stringify(offs)} is not [begin, end] of non-negative integers`);
    }
    const [b, e] = offs as [number, number];
    if (b > e) throw f.error(`${where}: data_offsets [${b},${e}] has begin > end`);
    if (e > dataLen) throw f.error(`${where}: data_offsets [${b},${e}] past the end of the data (${dataLen} bytes; truncated?)`);
    const size = DTYPE_INFO[dtype as SafetensorsDtype].size;
    let nbytes = size;
    for (const d of shape as number[]) {
      nbytes *= d;
      if (nbytes > Number.MAX_SAFE_INTEGER) throw f.error(`${where}: shape ${JSON.stringify(shape)} × ${dtype} overflows`);
    }
    if (nbytes !== e - b) {
      throw f.error(`${where}: shape ${JSON.stringify(shape)} of ${dtype} needs ${nbytes} bytes but data_offsets [${b},${e}] span ${e - b}`);
    }
    tensors.push({ name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], dataOffsets: [b, e] });
  }
  // contiguity: sorted by offsets, each range starts where the previous ended; the last ends the file
  const sorted = [...tensors].sort((x, y) => x.dataOffsets[0] - y.dataOffsets[0] || x.dataOffsets[1] - y.dataOffsets[1]);
  let pos = 0;
  let prev: SafetensorsEntry | null = null;
  for (const t of sorted) {
    const [b, e] = t.dataOffsets;
    if (b < pos) {
      throw f.error(`tensor ${JSON.stringify(t.name)}: data_offsets [${b},${e}] overlap tensor ${JSON.stringify(prev!.name)} [${prev!.dataOffsets.join(',')}]`);
    }
    if (b > pos) throw f.error(`hole in the data: bytes [${pos},${b}) belong to no tensor (before tensor ${JSON.stringify(t.name)})`);
    pos = e;
    prev = t;
  }
  if (pos !== dataLen) {
    throw f.error(`data buffer has ${dataLen} bytes but the tensors cover ${pos}: the last offset must be the end of the file (${dataLen - pos} extra bytes)`);
  }
  return { tensors, metadata };
}

/** Converts one tensor's bytes (exactly its range) to float32. */
function toFloat32(bytes: Uint8Array, entry: SafetensorsEntry): Float32Array {
  const { size, Ctor } = DTYPE_INFO[entry.dtype];
  const count = bytes.byteLength / size;
  const arr = readTypedArray(bytes, Ctor, count, true);
  switch (entry.dtype) {
    case 'F32':
      return arr as Float32Array;
    case 'F16':
      return f16ToF32(arr as Uint16Array);
    case 'BF16':
      return bf16ToF32(arr as Uint16Array);
    case 'I64':
    case 'U64': {
      const src = arr as BigInt64Array | BigUint64Array;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(src[i]);
      return out;
    }
    case 'BOOL': {
      const src = arr as Uint8Array;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = src[i] !== 0 ? 1 : 0;
      return out;
    }
    default:
      return Float32Array.from(arr as Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array);
  }
}

function buildStateDict(header: SafetensorsHeader, read: (entry: SafetensorsEntry) => Float32Array | Uint16Array): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const entry of header.tensors) setOwn(out, entry.name, new Tensor(read(entry), entry.shape));
  return out;
}

export interface LoadSafetensorsOptions {
  /** keep BF16 tensors as bfloat16 tensors (their bits, half the memory) instead of widening them (default false) */
  keepBf16?: boolean;
}

/** Parses a whole safetensors file already in memory; `name` goes into error messages. */
export function deserializeSafetensors(bytes: Uint8Array, name = '<buffer>'): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const f = new Fail('loadSafetensors', name);
  const n = headerLength(bytes, bytes.byteLength, f);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n, f);
  const data = bytes.subarray(8 + n);
  const tensors = buildStateDict(header, (e) => toFloat32(data.subarray(e.dataOffsets[0], e.dataOffsets[1]), e));
  return { tensors, metadata: header.metadata };
}

function readExactly(fd: number, target: Uint8Array, position: number, f: Fail): void {
  let off = 0;
  while (off < target.byteLength) {
    const got = fs.readSync(fd, target, off, target.byteLength - off, position + off);
    if (got === 0) throw f.error(`file ended early at byte ${position + off} (changed while reading?)`);
    off += got;
  }
}

function withFile<T>(path: string, op: string, body: (fd: number, size: number, f: Fail) => T): T {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${op}: path must be a non-empty string, got ${String(path)}`);
  const f = new Fail(op, path);
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw f.error(`cannot open: ${(e as Error).message}`, e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw f.error('not a regular file');
    return body(fd, st.size, f);
  } finally {
    fs.closeSync(fd);
  }
}

function readHeaderFd(fd: number, size: number, f: Fail): { header: SafetensorsHeader; dataStart: number } {
  const prefix = new Uint8Array(8);
  if (size >= 8) readExactly(fd, prefix, 0, f);
  const n = headerLength(prefix, size, f);
  const headerBytes = new Uint8Array(n);
  readExactly(fd, headerBytes, 8, f);
  return { header: parseHeader(headerBytes, size - 8 - n, f), dataStart: 8 + n };
}

/** Validates and returns the header (tensor names, dtypes, shapes, offsets; metadata) without reading data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  return withFile(path, 'readSafetensorsHeader', (fd, size, f) => readHeaderFd(fd, size, f).header);
}

/** The `__metadata__` strings of a safetensors file ({} when it has none). */
export function readSafetensorsMetadata(path: string): Record<string, string> {
  return withFile(path, 'readSafetensorsMetadata', (fd, size, f) => readHeaderFd(fd, size, f).header.metadata);
}

/** Loads a safetensors file as a state dict of float32 Tensors (names in header order). */
export function loadSafetensors(path: string, opts: LoadSafetensorsOptions = {}): Record<string, Tensor> {
  checkOptions(opts, ['keepBf16'], 'loadSafetensors');
  const keep = opts.keepBf16 ?? false;
  return withFile(path, 'loadSafetensors', (fd, size, f) => {
    const { header, dataStart } = readHeaderFd(fd, size, f);
    return buildStateDict(header, (e) => {
      const [b, end] = e.dataOffsets;
      if (e.dtype === 'BF16' && keep) {
        const bytes = new Uint8Array(end - b);
        readExactly(fd, bytes, dataStart + b, f);
        return readTypedArray(bytes, Uint16Array, (end - b) / 2, true) as Uint16Array;
      }
      if (e.dtype === 'F32' && hostIsLittleEndian) {
        // read straight into the tensor's storage: no intermediate copy
        const out = new Float32Array((end - b) / 4);
        readExactly(fd, new Uint8Array(out.buffer), dataStart + b, f);
        return out;
      }
      const bytes = new Uint8Array(end - b);
      readExactly(fd, bytes, dataStart + b, f);
      return toFloat32(bytes, e);
    });
  });
}
