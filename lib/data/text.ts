/**
 * Token streams for language-model training (nanoGPT's data path):
 *
 *   const { train, val } = ng.data.tokenizeCorpus('moby-dick', 'char');   // cached llm.c shards, 90/10 split
 *   const ds = new ng.data.TokenDataset(train, 64);   // item i: x = tokens[i, i+64), y = tokens[i+1, i+65)
 *   const [x, y] = ds.randomBatch(12, gen);            // int32 [12, 64] each, nanoGPT's get_batch
 *   for (const [xb, yb] of new ng.data.DataLoader(ds, { batchSize: 12, shuffle: true })) ...
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tensor } from '../tensor.js';
import { defaultGenerator, Generator } from '../random.js';
import { writeFileAtomic } from '../io/atomic.js';
import { littleEndianBytes } from '../io/dtype.js';
import { readTokenShard, writeTokenShard } from '../io/llmc.js';
import { checkOptions } from '../util/options.js';
import { corpus, type CorpusName } from './corpus.js';
import type { Dataset } from './dataset.js';
import { CharTokenizer, gpt2Tokenizer, type Tokenizer } from './tokenizers.js';

/** A token stream: typed arrays are used as they are (no copy), number[] and tensors are copied to an Int32Array. */
export type Tokens = Int32Array | Uint16Array | readonly number[] | Tensor;

function tokenArray(tokens: Tokens, who: string): Int32Array | Uint16Array {
  let a: Int32Array | Uint16Array;
  if (tokens instanceof Int32Array || tokens instanceof Uint16Array) {
    a = tokens;
  } else if (tokens instanceof Tensor || Array.isArray(tokens)) {
    let src: ArrayLike<unknown>;
    if (tokens instanceof Tensor) {
      if (tokens.ndim !== 1) throw new RangeError(`${who}: tokens must be a 1-D tensor, got shape [${tokens.shape.join(',')}]`);
      src = tokens.data;
    } else {
      src = tokens as readonly unknown[];
    }
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v > 2147483647) throw new TypeError(`${who}: token at index ${i} is not an int32: ${String(v)}`);
    }
    a = Int32Array.from(src as ArrayLike<number>);
  } else {
    throw new TypeError(`${who}: tokens must be an Int32Array, a Uint16Array, a number[] or a 1-D Tensor, got ${tokens === null ? 'null' : typeof tokens}`);
  }
  if (a instanceof Int32Array) {
    for (let i = 0; i < a.length; i++) if (a[i] < 0) throw new RangeError(`${who}: token ${a[i]} at index ${i} is negative`);
  }
  return a;
}

/**
 * Next-token prediction windows over one token stream. Item i is `[x, y]` with x = tokens[i .. i+T)
 * and y = tokens[i+1 .. i+T+1) as int32 tensors [T] (T = blockSize); there are tokens.length − T
 * items (every start with a full target window). A DataLoader batches them as int32 [B, T].
 */
export class TokenDataset implements Dataset {
  readonly tokens: Int32Array | Uint16Array;
  readonly blockSize: number;

  constructor(tokens: Tokens, blockSize: number) {
    const who = 'TokenDataset';
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`${who}: blockSize must be a positive integer, got ${String(blockSize)}`);
    const a = tokenArray(tokens, who);
    if (a.length <= blockSize) {
      throw new RangeError(`${who}: ${a.length} tokens are too few for blockSize ${blockSize} (need at least ${blockSize + 1})`);
    }
    this.tokens = a;
    this.blockSize = blockSize;
  }

  get length(): number {
    return this.tokens.length - this.blockSize;
  }

  private checkIndex(i: number, who: string): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`${who}: index ${String(i)} is out of range for ${this.length} items`);
  }

  get(i: number): [Tensor, Tensor] {
    this.checkIndex(i, 'TokenDataset.get');
    const T = this.blockSize;
    return [new Tensor(Int32Array.from(this.tokens.subarray(i, i + T)), [T]), new Tensor(Int32Array.from(this.tokens.subarray(i + 1, i + T + 1)), [T])];
  }

  /** The items at `starts` stacked: [x, y], int32 [starts.length, blockSize] each. */
  batch(starts: ArrayLike<number>): [Tensor, Tensor] {
    const T = this.blockSize;
    const B = starts.length;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const s = starts[b];
      this.checkIndex(s, 'TokenDataset.batch');
      x.set(this.tokens.subarray(s, s + T), b * T);
      y.set(this.tokens.subarray(s + 1, s + T + 1), b * T);
    }
    return [new Tensor(x, [B, T]), new Tensor(y, [B, T])];
  }

  /**
   * `batchSize` windows at uniformly random starts (with replacement), as nanoGPT's get_batch:
   * [x, y], int32 [batchSize, blockSize]. Draws from `generator` (default: the global one, ng.manualSeed).
   */
  randomBatch(batchSize: number, generator: Generator = defaultGenerator): [Tensor, Tensor] {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`TokenDataset.randomBatch: batchSize must be a positive integer, got ${String(batchSize)}`);
    if (!(generator instanceof Generator)) throw new TypeError('TokenDataset.randomBatch: generator must be an ng.Generator');
    const starts = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) starts[b] = generator.randint(this.length);
    return this.batch(starts);
  }
}

/**
 * A contiguous split of a token stream: the first ⌊trainFraction·n⌋ tokens and the rest (nanoGPT's
 * `n = int(0.9 * len(data))`). Typed arrays come back as views (subarray, no copy).
 */
export function splitTokens<T extends Int32Array | Uint16Array | readonly number[]>(tokens: T, trainFraction = 0.9): { train: T; val: T } {
  const who = 'splitTokens';
  if (typeof trainFraction !== 'number' || !(trainFraction >= 0 && trainFraction <= 1)) {
    throw new RangeError(`${who}: trainFraction must be in [0, 1], got ${String(trainFraction)}`);
  }
  let n: number;
  if (tokens instanceof Int32Array || tokens instanceof Uint16Array) {
    n = Math.floor(trainFraction * tokens.length);
    return { train: tokens.subarray(0, n) as T, val: tokens.subarray(n) as T };
  }
  if (Array.isArray(tokens)) {
    n = Math.floor(trainFraction * tokens.length);
    return { train: tokens.slice(0, n) as unknown as T, val: tokens.slice(n) as unknown as T };
  }
  throw new TypeError(`${who}: tokens must be an Int32Array, a Uint16Array or a number[]`);
}

// ---------------------------------------------------------------------------------------------
// token cache

/**
 * Folder of the token cache: `NODEGRAD_CACHE_DIR` when set, else `$XDG_CACHE_HOME/nodegrad`, else
 * `~/.cache/nodegrad`.
 */
export function defaultCacheDir(): string {
  const env = process.env.NODEGRAD_CACHE_DIR;
  if (env !== undefined && env !== '') return path.resolve(env);
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== '' && path.isAbsolute(xdg)) return path.join(xdg, 'nodegrad');
  return path.join(os.homedir(), '.cache', 'nodegrad');
}

export interface TokenizeCorpusOptions {
  /** Cache folder (default defaultCacheDir()). */
  cacheDir?: string;
  /** Share of the tokens in the train split (default 0.9, contiguous: the start of the text). */
  trainFraction?: number;
  /** Tokenize again even when a valid cache exists (default false). */
  refresh?: boolean;
}

export interface TokenizedCorpus {
  train: Uint16Array;
  val: Uint16Array;
  tokenizer: Tokenizer;
  trainPath: string;
  valPath: string;
  /** True when the shards were read from the cache, false when this call tokenized the corpus. */
  fromCache: boolean;
}

const META_FORMAT = 'nodegrad-token-cache';

interface CacheMeta {
  format: string;
  version: 1;
  corpus: string;
  corpusChars: number;
  corpusSha256: string;
  tokenizer: unknown;
  trainFraction: number;
  trainTokens: number;
  valTokens: number;
  /** sha256 of each shard's tokens (their little-endian uint16 bytes) */
  trainSha256: string;
  valSha256: string;
}

function sha256(s: string): string {
  return crypto.createHash('sha256').update(s, 'utf8').digest('hex');
}

function tokensSha256(t: Uint16Array): string {
  return crypto.createHash('sha256').update(littleEndianBytes(t)).digest('hex');
}

/** 'gpt2', or 'char-<8 hex of the vocabulary's hash>' (two char vocabularies never share files). */
function tokenizerTag(tok: Tokenizer): string {
  if (tok.type === 'gpt2') return 'gpt2';
  return `${tok.type}-${sha256(JSON.stringify(tok.toJSON())).slice(0, 8)}`;
}

function readMeta(file: string): CacheMeta | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CacheMeta;
  } catch {
    return null;
  }
}

/**
 * Tokenizes a corpus once and caches it as llm.c token shards
 * `<cacheDir>/<corpus>_<tag>_{train,val}.bin` (tag 'gpt2' or 'char-<hash>') plus `<corpus>_<tag>.json`
 * (what was tokenized: the corpus hash, the tokenizer, the split, each shard's token hash). A later
 * call with the same corpus text, tokenizer and trainFraction reads the shards instead; a cache that
 * does not match, does not parse or whose tokens changed is rebuilt. `tokenizer` is a Tokenizer, or 'char' (a CharTokenizer of the corpus) or 'gpt2'.
 * The split is contiguous: the first ⌊trainFraction·n⌋ tokens train, the rest validate.
 */
export function tokenizeCorpus(name: CorpusName, tokenizer: Tokenizer | 'char' | 'gpt2', options: TokenizeCorpusOptions = {}): TokenizedCorpus {
  const who = 'tokenizeCorpus';
  checkOptions(options, ['cacheDir', 'trainFraction', 'refresh'], who);
  const text = corpus(name);
  let tok: Tokenizer;
  if (tokenizer === 'char') tok = new CharTokenizer(text);
  else if (tokenizer === 'gpt2') tok = gpt2Tokenizer();
  else if (tokenizer !== null && typeof tokenizer === 'object' && typeof tokenizer.encode === 'function' && typeof tokenizer.toJSON === 'function') tok = tokenizer;
  else throw new TypeError(`${who}: tokenizer must be a Tokenizer, 'char' or 'gpt2', got ${String(tokenizer)}`);
  if (tok.vocabSize > 65536) throw new RangeError(`${who}: a vocabulary of ${tok.vocabSize} ids does not fit llm.c's uint16 shards`);
  const trainFraction = options.trainFraction ?? 0.9;
  if (typeof trainFraction !== 'number' || !(trainFraction >= 0 && trainFraction <= 1)) {
    throw new RangeError(`${who}: trainFraction must be in [0, 1], got ${String(trainFraction)}`);
  }
  const dir = options.cacheDir !== undefined ? path.resolve(options.cacheDir) : defaultCacheDir();
  const stem = path.join(dir, `${name}_${tokenizerTag(tok)}`);
  const trainPath = `${stem}_train.bin`;
  const valPath = `${stem}_val.bin`;
  const metaPath = `${stem}.json`;
  const want: CacheMeta = {
    format: META_FORMAT, version: 1, corpus: name, corpusChars: text.length, corpusSha256: sha256(text), tokenizer: tok.toJSON(),
    trainFraction, trainTokens: 0, valTokens: 0, trainSha256: '', valSha256: '',
  };

  if (options.refresh !== true) {
    const meta = readMeta(metaPath);
    const same = meta !== null && meta.format === META_FORMAT && meta.version === 1 && meta.corpusSha256 === want.corpusSha256 &&
      meta.trainFraction === trainFraction && JSON.stringify(meta.tokenizer) === JSON.stringify(want.tokenizer);
    if (same) {
      try {
        const train = readTokenShard(trainPath);
        const val = readTokenShard(valPath);
        if (train.length === meta.trainTokens && val.length === meta.valTokens && tokensSha256(train) === meta.trainSha256 && tokensSha256(val) === meta.valSha256) {
          return { train, val, tokenizer: tok, trainPath, valPath, fromCache: true };
        }
      } catch {
        // missing or corrupt shard: rebuild below
      }
    }
  }

  const ids = tok.encode(text);
  const u16 = new Uint16Array(ids.length);
  for (let i = 0; i < ids.length; i++) u16[i] = ids[i];
  const { train, val } = splitTokens(u16, trainFraction);
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(metaPath, { force: true }); // until both shards are rewritten the cache is not valid
  writeTokenShard(trainPath, train);
  writeTokenShard(valPath, val);
  // the description goes last: its presence means both shards are complete
  writeFileAtomic(metaPath, Buffer.from(JSON.stringify({ ...want, trainTokens: train.length, valTokens: val.length, trainSha256: tokensSha256(train), valSha256: tokensSha256(val) }, null, 2) + '\n'));
  return { train, val, tokenizer: tok, trainPath, valPath, fromCache: false };
}
