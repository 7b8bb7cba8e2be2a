/**
 * llm.c interop (karpathy/llm.c): its token shards and its GPT-2 checkpoint, so the same data and
 * weights run in nodegrad and in llm.c's `train_gpt2`.
 *
 * Token shard (`dev/data/data_common.py` write_datafile, `llmc/dataloader.h`): 256 little-endian int32
 * header `[20240520 magic, 1 version, ntok, 0...]`, then ntok uint16 tokens; the file is exactly
 * 1024 + 2·ntok bytes.
 *
 * Checkpoint (`train_gpt2.py` write_model / write_tensors, `train_gpt2.c` gpt2_build_from_checkpoint):
 * 256 int32 header `[20240326 magic, version (3 = fp32, 5 = bf16), maxT, V, L, NH, C, Vp, 0...]`, then
 * the 16 parameter tensors back to back, each layer-stacked one as its L per-layer tensors in layer
 * order: wte [Vp,C], wpe [maxT,C], ln1w [L,C], ln1b [L,C], qkvw [L,3C,C], qkvb [L,3C], attprojw [L,C,C],
 * attprojb [L,C], ln2w, ln2b [L,C], fcw [L,4C,C], fcb [L,4C], fcprojw [L,C,4C], fcprojb [L,C],
 * lnfw [C], lnfb [C]. Weights are in nn.Linear layout [out, in]. wte rows V..Vp−1 are padding
 * (zeros as written by llm.c; Vp is V rounded up to a multiple of 128).
 *
 * As state dicts these carry Hugging Face GPT-2 names in nn.Linear layout (nanoGPT's):
 * `transformer.wte.weight`, `transformer.wpe.weight`, `transformer.h.{i}.ln_1.{weight,bias}`,
 * `.attn.c_attn.{weight,bias}`, `.attn.c_proj.*`, `.ln_2.*`, `.mlp.c_fc.*`, `.mlp.c_proj.*`,
 * `transformer.ln_f.*`, and `lm_head.weight` (the same Tensor as wte: the head is tied).
 */
import * as fs from 'node:fs';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { writeFileAtomic } from './atomic.js';
import { bf16ToF32, f32ToBf16, hostIsLittleEndian, littleEndianBytes, swapBytesInPlace } from './dtype.js';
import type { StateDict } from './safetensors.js';

export const LLMC_HEADER_INTS = 256;
const HEADER_BYTES = LLMC_HEADER_INTS * 4;
export const LLMC_TOKENS_MAGIC = 20240520;
export const LLMC_TOKENS_VERSION = 1;
export const LLMC_MODEL_MAGIC = 20240326;
/** llm.c's llama-3 shard magic (uint32 tokens): recognised only to say it is not supported. */
const LLAMA3_TOKENS_MAGIC = 20240801;

// ---------------------------------------------------------------------------------------------
// shared helpers

function checkPath(p: unknown, who: string): string {
  if (typeof p !== 'string' || p.length === 0) throw new TypeError(`${who}: path must be a non-empty string, got ${String(p)}`);
  return p;
}

function headerBytes(values: readonly number[]): Uint8Array {
  const h = new Int32Array(LLMC_HEADER_INTS);
  values.forEach((v, i) => (h[i] = v));
  return littleEndianBytes(h);
}

function parseHeader(bytes: Uint8Array): Int32Array {
  const h = new Int32Array(LLMC_HEADER_INTS);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  for (let i = 0; i < LLMC_HEADER_INTS; i++) h[i] = dv.getInt32(i * 4, true);
  return h;
}

/** Reads exactly `dst.byteLength` bytes at `pos` of fd into dst, or throws naming the file. */
function readExactly(fd: number, dst: Uint8Array, pos: number, file: string, who: string): void {
  let off = 0;
  while (off < dst.byteLength) {
    const n = fs.readSync(fd, dst, off, dst.byteLength - off, pos + off);
    if (n === 0) throw new Error(`${who}: ${file} ended early at byte ${pos + off} (truncated?)`);
    off += n;
  }
}

function openForRead(file: string, who: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(`${who}: cannot open ${file}: ${(e as Error).message}`, { cause: e });
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new Error(`${who}: ${file} is not a regular file`);
  }
  return { fd, size: st.size };
}

// ---------------------------------------------------------------------------------------------
// token shards

/** The shard's bytes (header + uint16 tokens), as chunks for writeFileAtomic. */
export function serializeTokenShard(tokens: ArrayLike<number> | Tensor): Uint8Array[] {
  const who = 'writeTokenShard';
  let src: ArrayLike<number>;
  if (tokens instanceof Tensor) {
    if (tokens.ndim !== 1) throw new RangeError(`${who}: tokens must be a 1-D tensor, got shape [${tokens.shape.join(',')}]`);
    src = tokens.data;
  } else if (tokens !== null && typeof tokens === 'object' && typeof (tokens as ArrayLike<number>).length === 'number') {
    src = tokens;
  } else {
    throw new TypeError(`${who}: tokens must be an Int32Array, a Uint16Array, a number[] or a 1-D Tensor`);
  }
  if (src.length >= 2 ** 31) throw new RangeError(`${who}: ${src.length} tokens do not fit the int32 count of the header`);
  let u16: Uint16Array;
  if (src instanceof Uint16Array) {
    u16 = src;
  } else {
    u16 = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (!Number.isInteger(v) || v < 0 || v > 65535) {
        throw new RangeError(`${who}: token ${String(v)} at index ${i} does not fit llm.c's uint16 shard (0..65535)`);
      }
      u16[i] = v;
    }
  }
  return [headerBytes([LLMC_TOKENS_MAGIC, LLMC_TOKENS_VERSION, u16.length]), littleEndianBytes(u16)];
}

/** Writes `tokens` (integers 0..65535) as an llm.c token shard, atomically. */
export function writeTokenShard(path: string, tokens: ArrayLike<number> | Tensor): void {
  const file = checkPath(path, 'writeTokenShard');
  writeFileAtomic(file, serializeTokenShard(tokens));
}

function checkShardHeader(h: Int32Array, size: number, file: string, who: string): number {
  if (h[0] === LLAMA3_TOKENS_MAGIC) throw new Error(`${who}: ${file} is an llm.c llama-3 shard (uint32 tokens, magic ${LLAMA3_TOKENS_MAGIC}); only GPT-2 shards (uint16) are supported`);
  if (h[0] !== LLMC_TOKENS_MAGIC) throw new Error(`${who}: ${file} is not an llm.c token shard (magic ${h[0]}, expected ${LLMC_TOKENS_MAGIC})`);
  if (h[1] !== LLMC_TOKENS_VERSION) throw new Error(`${who}: ${file} has token shard version ${h[1]}, expected ${LLMC_TOKENS_VERSION}`);
  const ntok = h[2];
  if (ntok < 0) throw new Error(`${who}: ${file} header gives a negative token count ${ntok}`);
  const expected = HEADER_BYTES + 2 * ntok;
  if (size !== expected) {
    throw new Error(
      `${who}: ${file} has ${size} bytes but its header says ${ntok} tokens (${expected} bytes): ` +
        (size < expected ? 'truncated' : 'trailing bytes after the tokens'),
    );
  }
  return ntok;
}

/** An llm.c token shard held in memory (`name` appears in errors). */
export function parseTokenShard(bytes: Uint8Array, name = 'buffer'): Uint16Array {
  const who = 'readTokenShard';
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${who}: bytes must be a Uint8Array/Buffer`);
  if (bytes.byteLength < HEADER_BYTES) throw new Error(`${who}: ${name} has ${bytes.byteLength} bytes, less than the ${HEADER_BYTES}-byte header (truncated?)`);
  const ntok = checkShardHeader(parseHeader(bytes), bytes.byteLength, name, who);
  const out = new Uint16Array(ntok);
  const outBytes = new Uint8Array(out.buffer);
  outBytes.set(bytes.subarray(HEADER_BYTES, HEADER_BYTES + 2 * ntok));
  if (!hostIsLittleEndian) swapBytesInPlace(outBytes, 2);
  return out;
}

/** The tokens of an llm.c token shard (`.bin`), validated against its header. */
export function readTokenShard(path: string): Uint16Array {
  const who = 'readTokenShard';
  const file = checkPath(path, who);
  const { fd, size } = openForRead(file, who);
  try {
    if (size < HEADER_BYTES) throw new Error(`${who}: ${file} has ${size} bytes, less than the ${HEADER_BYTES}-byte header (truncated?)`);
    const hb = new Uint8Array(HEADER_BYTES);
    readExactly(fd, hb, 0, file, who);
    const ntok = checkShardHeader(parseHeader(hb), size, file, who);
    const out = new Uint16Array(ntok);
    const outBytes = new Uint8Array(out.buffer);
    readExactly(fd, outBytes, HEADER_BYTES, file, who);
    if (!hostIsLittleEndian) swapBytesInPlace(outBytes, 2);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// model checkpoints

export interface LlmcConfig {
  vocabSize: number;
  /** maxT: the context length (rows of wpe). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Rows of wte in the file (vocabSize rounded up; llm.c uses a multiple of 128). */
  paddedVocabSize: number;
}

export interface LlmcCheckpoint {
  config: LlmcConfig;
  /** Parameters as float32 tensors; lm_head.weight is the same Tensor as transformer.wte.weight. */
  stateDict: Record<string, Tensor>;
  /** How the file stored them (version 3 = float32, 5 = bfloat16). */
  dtype: 'float32' | 'bfloat16';
}

export interface ReadLlmcCheckpointOptions {
  /** Keep wte's padding rows: transformer.wte.weight is then [paddedVocabSize, C] (default false: [vocabSize, C]). */
  keepPadding?: boolean;
}

export interface WriteLlmcCheckpointOptions {
  /** 'float32' (llm.c version 3, the default) or 'bfloat16' (version 5, rounded to nearest even). */
  dtype?: 'float32' | 'bfloat16';
}

const VERSION_OF = { float32: 3, bfloat16: 5 } as const;

/** Every tensor of the checkpoint in file order: its state-dict name and shape (wte with Vp rows). */
export function llmcLayout(c: LlmcConfig): { name: string; shape: number[] }[] {
  const { nLayer: L, nEmbd: C, blockSize: T, paddedVocabSize: Vp } = c;
  const out: { name: string; shape: number[] }[] = [
    { name: 'transformer.wte.weight', shape: [Vp, C] },
    { name: 'transformer.wpe.weight', shape: [T, C] },
  ];
  const perLayer: [string, number[]][] = [
    ['ln_1.weight', [C]],
    ['ln_1.bias', [C]],
    ['attn.c_attn.weight', [3 * C, C]],
    ['attn.c_attn.bias', [3 * C]],
    ['attn.c_proj.weight', [C, C]],
    ['attn.c_proj.bias', [C]],
    ['ln_2.weight', [C]],
    ['ln_2.bias', [C]],
    ['mlp.c_fc.weight', [4 * C, C]],
    ['mlp.c_fc.bias', [4 * C]],
    ['mlp.c_proj.weight', [C, 4 * C]],
    ['mlp.c_proj.bias', [C]],
  ];
  for (const [suffix, shape] of perLayer) {
    for (let i = 0; i < L; i++) out.push({ name: `transformer.h.${i}.${suffix}`, shape });
  }
  out.push({ name: 'transformer.ln_f.weight', shape: [C] }, { name: 'transformer.ln_f.bias', shape: [C] });
  return out;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkConfig(c: LlmcConfig, where: string, who: string): void {
  const ints: [keyof LlmcConfig, number][] = [
    ['blockSize', c.blockSize], ['vocabSize', c.vocabSize], ['nLayer', c.nLayer], ['nHead', c.nHead], ['nEmbd', c.nEmbd],
    ['paddedVocabSize', c.paddedVocabSize],
  ];
  for (const [k, v] of ints) {
    if (!Number.isInteger(v) || v < 1 || v >= 2 ** 31) throw new RangeError(`${who}: ${where}${k} must be a positive int32, got ${String(v)}`);
  }
  if (c.paddedVocabSize < c.vocabSize) throw new RangeError(`${who}: ${where}paddedVocabSize ${c.paddedVocabSize} is smaller than vocabSize ${c.vocabSize}`);
  if (c.nEmbd % c.nHead !== 0) throw new RangeError(`${who}: ${where}nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`);
}

/**
 * Reads an llm.c GPT-2 checkpoint (e.g. `gpt2_124M.bin`): its config and its parameters as a state
 * dict with Hugging Face names in nn.Linear layout. The header and the file size are checked before
 * any parameter is read. wte's padding rows are dropped unless `keepPadding`.
 */
export function readLlmcCheckpoint(path: string, options: ReadLlmcCheckpointOptions = {}): LlmcCheckpoint {
  const who = 'readLlmcCheckpoint';
  const file = checkPath(path, who);
  checkOptions(options, ['keepPadding'], who);
  const keepPadding = options.keepPadding ?? false;
  const { fd, size } = openForRead(file, who);
  try {
    if (size < HEADER_BYTES) throw new Error(`${who}: ${file} has ${size} bytes, less than the ${HEADER_BYTES}-byte header (truncated?)`);
    const hb = new Uint8Array(HEADER_BYTES);
    readExactly(fd, hb, 0, file, who);
    const h = parseHeader(hb);
    if (h[0] !== LLMC_MODEL_MAGIC) throw new Error(`${who}: ${file} is not an llm.c GPT-2 checkpoint (magic ${h[0]}, expected ${LLMC_MODEL_MAGIC})`);
    const dtype = h[1] === 3 ? 'float32' : h[1] === 5 ? 'bfloat16' : null;
    if (dtype === null) throw new Error(`${who}: ${file} has checkpoint version ${h[1]}; supported: 3 (float32) and 5 (bfloat16)`);
    const config: LlmcConfig = { blockSize: h[2], vocabSize: h[3], nLayer: h[4], nHead: h[5], nEmbd: h[6], paddedVocabSize: h[7] };
    checkConfig(config, `${file} header: `, who);
    const layout = llmcLayout(config);
    const elem = dtype === 'float32' ? 4 : 2;
    const expected = HEADER_BYTES + elem * layout.reduce((a, t) => a + numel(t.shape), 0);
    if (size !== expected) {
      const cfg = `maxT ${config.blockSize}, V ${config.vocabSize}, L ${config.nLayer}, NH ${config.nHead}, C ${config.nEmbd}, Vp ${config.paddedVocabSize}`;
      throw new Error(
        `${who}: ${file} has ${size} bytes but its header (${cfg}, ${dtype}) needs ${expected}: ` +
          (size < expected ? 'truncated' : 'trailing bytes after the parameters'),
      );
    }
    const stateDict: Record<string, Tensor> = {};
    let pos = HEADER_BYTES;
    for (const { name, shape } of layout) {
      const total = numel(shape);
      let rows = shape;
      if (name === 'transformer.wte.weight' && !keepPadding) rows = [config.vocabSize, config.nEmbd];
      const n = numel(rows);
      let data: Float32Array;
      if (dtype === 'float32') {
        data = new Float32Array(n);
        const b = new Uint8Array(data.buffer);
        readExactly(fd, b, pos, file, who);
        if (!hostIsLittleEndian) swapBytesInPlace(b, 4);
      } else {
        const raw = new Uint16Array(n);
        const b = new Uint8Array(raw.buffer);
        readExactly(fd, b, pos, file, who);
        if (!hostIsLittleEndian) swapBytesInPlace(b, 2);
        data = bf16ToF32(raw);
      }
      stateDict[name] = new Tensor(data, rows);
      pos += total * elem; // padding rows (if dropped) are skipped
    }
    stateDict['lm_head.weight'] = stateDict['transformer.wte.weight'];
    return { config, stateDict, dtype };
  } finally {
    fs.closeSync(fd);
  }
}

function entries(sd: StateDict): Map<string, Tensor> {
  if (sd instanceof Map) return sd;
  if (sd === null || typeof sd !== 'object') throw new TypeError('writeLlmcCheckpoint: stateDict must be an object or a Map of name → Tensor');
  return new Map(Object.entries(sd));
}

/** HF buffers that are not parameters (ignored when present). */
const IGNORED = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;

/**
 * Writes a GPT-2 state dict (Hugging Face names, nn.Linear layout, e.g. ng.models.GPT's stateDict())
 * as an llm.c checkpoint, atomically. `config.paddedVocabSize` defaults to vocabSize rounded up to a
 * multiple of 128 (as llm.c); wte may have vocabSize rows (padded with zeros here) or
 * paddedVocabSize rows. lm_head.weight, when given, must equal wte (llm.c ties them).
 */
export function writeLlmcCheckpoint(
  path: string,
  stateDict: StateDict,
  config: Omit<LlmcConfig, 'paddedVocabSize'> & { paddedVocabSize?: number },
  options: WriteLlmcCheckpointOptions = {},
): void {
  const who = 'writeLlmcCheckpoint';
  const file = checkPath(path, who);
  checkOptions(options, ['dtype'], who);
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'bfloat16') throw new TypeError(`${who}: dtype must be 'float32' or 'bfloat16', got ${String(dtype)}`);
  if (config === null || typeof config !== 'object') throw new TypeError(`${who}: config must be {vocabSize, blockSize, nLayer, nHead, nEmbd, paddedVocabSize?}`);
  checkOptions(config, ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd', 'paddedVocabSize'], `${who} config`);
  const cfg: LlmcConfig = {
    vocabSize: config.vocabSize, blockSize: config.blockSize, nLayer: config.nLayer, nHead: config.nHead, nEmbd: config.nEmbd,
    paddedVocabSize: config.paddedVocabSize ?? Math.ceil(config.vocabSize / 128) * 128,
  };
  checkConfig(cfg, 'config.', who);
  const sd = entries(stateDict);
  const layout = llmcLayout(cfg);
  const C = cfg.nEmbd;

  // wte: from either tied name; both present must agree
  let wte = sd.get('transformer.wte.weight');
  const head = sd.get('lm_head.weight');
  if (wte === undefined) wte = head;
  if (wte === undefined) throw new Error(`${who}: stateDict has neither transformer.wte.weight nor lm_head.weight`);
  if (head !== undefined && head !== wte) {
    const a = wte.data;
    const b = head.data;
    let same = a.length === b.length;
    for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
    if (!same) throw new Error(`${who}: lm_head.weight differs from transformer.wte.weight; llm.c checkpoints tie the head to the embedding`);
  }

  const known = new Set(layout.map((t) => t.name));
  known.add('lm_head.weight');
  const extra = [...sd.keys()].filter((k) => !known.has(k) && !IGNORED.test(k));
  if (extra.length > 0) {
    throw new Error(`${who}: stateDict has keys that are not parameters of a ${cfg.nLayer}-layer GPT-2: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  }

  const chunks: Uint8Array[] = [
    headerBytes([LLMC_MODEL_MAGIC, VERSION_OF[dtype], cfg.blockSize, cfg.vocabSize, cfg.nLayer, cfg.nHead, cfg.nEmbd, cfg.paddedVocabSize]),
  ];
  const encode = (d: Float32Array): Uint8Array => (dtype === 'float32' ? littleEndianBytes(d) : littleEndianBytes(f32ToBf16(d)));
  for (const { name, shape } of layout) {
    const t = name === 'transformer.wte.weight' ? wte : sd.get(name);
    if (t === undefined) throw new Error(`${who}: stateDict lacks ${name} (shape [${shape.join(',')}])`);
    if (!(t instanceof Tensor)) throw new TypeError(`${who}: ${name} must be a Tensor`);
    if (t.dtype !== 'float32') throw new TypeError(`${who}: ${name} must be float32, got ${t.dtype}`);
    const got = t.shape;
    if (name === 'transformer.wte.weight') {
      if (got.length !== 2 || got[1] !== C || (got[0] !== cfg.vocabSize && got[0] !== cfg.paddedVocabSize)) {
        throw new Error(`${who}: ${name} has shape [${got.join(',')}], expected [${cfg.vocabSize},${C}] or [${cfg.paddedVocabSize},${C}]`);
      }
      chunks.push(encode(t.data));
      const padRows = cfg.paddedVocabSize - got[0];
      if (padRows > 0) chunks.push(new Uint8Array(padRows * C * (dtype === 'float32' ? 4 : 2)));
      continue;
    }
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      const conv1d = shape.length === 2 && got.length === 2 && got[0] === shape[1] && got[1] === shape[0] && shape[0] !== shape[1];
      throw new Error(
        `${who}: ${name} has shape [${got.join(',')}], expected [${shape.join(',')}]` +
          (conv1d ? ' (a Hugging Face Conv1D [in, out] weight? transpose it to nn.Linear layout [out, in])' : ''),
      );
    }
    chunks.push(encode(t.data));
  }
  writeFileAtomic(file, chunks);
}
