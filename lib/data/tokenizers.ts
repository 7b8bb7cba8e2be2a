/**
 * Tokenizers for language modelling: text ↔ token ids (Int32Array).
 *
 *   const tok = new ng.data.CharTokenizer(text);   // sorted unique characters (code points), as nanoGPT's char-level prepare.py
 *   const bpe = ng.data.gpt2Tokenizer();            // GPT-2 BPE (r50k_base, 50257 ids) from the `gpt-tokenizer` package
 *   tok.encode('Call me') → Int32Array; tok.decode(ids) → string; tok.vocabSize
 *   ng.data.saveTokenizer(dir, tok);  ng.data.loadTokenizer(dir) → an equal tokenizer
 *
 * Serialised form (`tokenizer.json`, this project's own, not Hugging Face's):
 *   {"type": "char", "version": 1, "vocab": ["\n", " ", "!", ...]}       id i is vocab[i]
 *   {"type": "gpt2", "version": 1, "encoding": "r50k_base", "vocabSize": 50257}
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../tensor.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkOptions } from '../util/options.js';
import { requirePackage } from '../util/packages.js';

/** Token ids accepted by decode(). */
export type TokenIds = Int32Array | Uint16Array | readonly number[] | Tensor;

export interface CharTokenizerJSON {
  type: 'char';
  version: 1;
  vocab: string[];
}

export interface Gpt2TokenizerJSON {
  type: 'gpt2';
  version: 1;
  encoding: 'r50k_base';
  vocabSize: number;
}

export type TokenizerJSON = CharTokenizerJSON | Gpt2TokenizerJSON;

/** What every tokenizer offers. */
export interface Tokenizer {
  /** 'char' or 'gpt2' (also the tag of token cache files). */
  readonly type: 'char' | 'gpt2';
  /** Number of ids: they run 0..vocabSize−1. */
  readonly vocabSize: number;
  encode(text: string): Int32Array;
  decode(ids: TokenIds): string;
  toJSON(): TokenizerJSON;
}

/** The ids as a flat ArrayLike of integers in [0, vocabSize), or a TypeError/RangeError naming `who`. */
function idList(ids: TokenIds, vocabSize: number, who: string): ArrayLike<number> & Iterable<number> {
  let a: ArrayLike<number> & Iterable<number>;
  if (ids instanceof Tensor) {
    if (ids.shape.slice(0, -1).some((d) => d !== 1)) {
      throw new RangeError(`${who}: expected a 1-D tensor of ids (or [1, T]), got shape [${ids.shape.join(',')}]`);
    }
    a = ids.data;
  } else if (ids instanceof Int32Array || ids instanceof Uint16Array || Array.isArray(ids)) {
    a = ids;
  } else {
    throw new TypeError(`${who}: ids must be an Int32Array, a Uint16Array, a number[] or a Tensor, got ${ids === null ? 'null' : typeof ids}`);
  }
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0 || v >= vocabSize) {
      throw new RangeError(`${who}: id ${String(v)} at position ${i} is not in [0, ${vocabSize})`);
    }
  }
  return a;
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

/**
 * Character-level tokenizer: one id per Unicode code point of the vocabulary, ids in code-point order
 * (nanoGPT's `sorted(set(text))`). Encoding a character outside the vocabulary throws.
 */
export class CharTokenizer implements Tokenizer {
  readonly type = 'char' as const;
  /** id → character. */
  readonly vocab: readonly string[];
  /** BMP code unit → id (−1: not in the vocabulary). */
  private readonly bmp: Int32Array;
  /** astral code point → id. */
  private readonly astral = new Map<number, number>();

  /** The sorted unique characters of `text` (which must not be empty). */
  constructor(text: string);
  constructor(text: string, vocab?: readonly string[]) {
    let chars: string[];
    if (vocab !== undefined) {
      chars = vocab.slice();
    } else {
      if (typeof text !== 'string') throw new TypeError(`CharTokenizer: text must be a string, got ${text === null ? 'null' : typeof text}`);
      if (text.length === 0) throw new RangeError('CharTokenizer: text is empty, so the vocabulary would be empty');
      const cps = new Set<number>();
      for (const ch of text) cps.add(ch.codePointAt(0)!);
      chars = Array.from(cps).sort((a, b) => a - b).map((c) => String.fromCodePoint(c));
    }
    this.vocab = Object.freeze(chars);
    this.bmp = new Int32Array(65536).fill(-1);
    chars.forEach((ch, id) => {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x10000) this.bmp[cp] = id;
      else this.astral.set(cp, id);
    });
  }

  /** A tokenizer with exactly this id → character list (e.g. a saved one), each entry one code point, no repeats. */
  static fromVocab(vocab: readonly string[]): CharTokenizer {
    if (!Array.isArray(vocab) || vocab.length === 0) throw new TypeError('CharTokenizer.fromVocab: vocab must be a non-empty array of characters');
    const seen = new Set<string>();
    vocab.forEach((ch, i) => {
      if (typeof ch !== 'string' || ch.length === 0 || String.fromCodePoint(ch.codePointAt(0)!) !== ch) {
        throw new TypeError(`CharTokenizer.fromVocab: entry ${i} must be one character, got ${JSON.stringify(ch)}`);
      }
      if (seen.has(ch)) throw new Error(`CharTokenizer.fromVocab: character ${describeChar(ch)} appears twice (entry ${i})`);
      seen.add(ch);
    });
    return new (CharTokenizer as unknown as new (t: string, v: readonly string[]) => CharTokenizer)('', vocab);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`CharTokenizer.encode: text must be a string, got ${text === null ? 'null' : typeof text}`);
    const out = new Int32Array(text.length);
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let id: number | undefined;
      let width = 1;
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
        const cp = text.codePointAt(i)!;
        if (cp >= 0x10000) {
          id = this.astral.get(cp);
          width = 2;
        } else {
          id = this.bmp[c];
        }
      } else {
        id = this.bmp[c];
      }
      if (id === undefined || id < 0) {
        throw new Error(
          `CharTokenizer.encode: character ${describeChar(text.slice(i, i + width))} at offset ${i} is not in the vocabulary ` +
            `of ${this.vocabSize} characters`,
        );
      }
      out[n++] = id;
      i += width - 1;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  decode(ids: TokenIds): string {
    const a = idList(ids, this.vocabSize, 'CharTokenizer.decode');
    const parts = new Array<string>(a.length);
    for (let i = 0; i < a.length; i++) parts[i] = this.vocab[a[i]];
    return parts.join('');
  }

  toJSON(): CharTokenizerJSON {
    return { type: 'char', version: 1, vocab: this.vocab.slice() };
  }
}

/** The part of gpt-tokenizer's per-encoding module we use. */
interface GptTokenizerEncoding {
  encode(text: string, options?: { disallowedSpecial?: Set<string>; allowedSpecial?: Set<string> }): number[];
  decode(ids: Iterable<number>): string;
  vocabularySize: number;
}

const GPT2_VOCAB_SIZE = 50257;
let r50k: GptTokenizerEncoding | null = null;

function loadR50k(): GptTokenizerEncoding {
  if (r50k === null) {
    let mod: GptTokenizerEncoding;
    try {
      // only the r50k_base tables (≈0.1 s), not the package's main entry that loads every encoding
      mod = requirePackage<GptTokenizerEncoding>('gpt-tokenizer/encoding/r50k_base');
    } catch (e) {
      throw new Error('gpt2Tokenizer: the `gpt-tokenizer` package is not installed (npm install gpt-tokenizer@4.0.0)', { cause: e });
    }
    if (mod.vocabularySize !== GPT2_VOCAB_SIZE) {
      throw new Error(`gpt2Tokenizer: gpt-tokenizer's r50k_base has ${mod.vocabularySize} ids, expected ${GPT2_VOCAB_SIZE}`);
    }
    r50k = mod;
  }
  return r50k;
}

const NO_SPECIAL = new Set<string>();

/**
 * GPT-2's byte-level BPE (tiktoken's r50k_base: 50,257 ids, `<|endoftext|>` = 50256). encode() is
 * tiktoken's encode_ordinary: the text "<|endoftext|>" is encoded as ordinary characters; append
 * `eotToken` yourself to separate documents. decode(50256) gives "<|endoftext|>".
 */
export class Gpt2Tokenizer implements Tokenizer {
  readonly type = 'gpt2' as const;
  readonly vocabSize = GPT2_VOCAB_SIZE;
  /** `<|endoftext|>`. */
  readonly eotToken = 50256;
  private readonly enc: GptTokenizerEncoding;

  constructor() {
    this.enc = loadR50k();
  }

  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`Gpt2Tokenizer.encode: text must be a string, got ${text === null ? 'null' : typeof text}`);
    return Int32Array.from(this.enc.encode(text, { disallowedSpecial: NO_SPECIAL }));
  }

  decode(ids: TokenIds): string {
    return this.enc.decode(idList(ids, this.vocabSize, 'Gpt2Tokenizer.decode'));
  }

  toJSON(): Gpt2TokenizerJSON {
    return { type: 'gpt2', version: 1, encoding: 'r50k_base', vocabSize: this.vocabSize };
  }
}

let gpt2Shared: Gpt2Tokenizer | null = null;

/** The GPT-2 BPE tokenizer (one shared instance; the BPE tables load on the first call). */
export function gpt2Tokenizer(): Gpt2Tokenizer {
  gpt2Shared ??= new Gpt2Tokenizer();
  return gpt2Shared;
}

/** Tokenizer file name inside a model folder. */
export const TOKENIZER_FILE = 'tokenizer.json';

/** A tokenizer from its toJSON() form. */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new TypeError(`loadTokenizer: expected a tokenizer object ({type: 'char' | 'gpt2', ...}), got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const o = json as Record<string, unknown>;
  if (o.version !== 1) throw new Error(`loadTokenizer: unsupported tokenizer version ${JSON.stringify(o.version)} (this nodegrad reads version 1)`);
  if (o.type === 'char') {
    checkOptions(o, ['type', 'version', 'vocab'], 'loadTokenizer');
    if (!Array.isArray(o.vocab)) throw new TypeError('loadTokenizer: a char tokenizer needs vocab, an array of characters');
    return CharTokenizer.fromVocab(o.vocab as string[]);
  }
  if (o.type === 'gpt2') {
    checkOptions(o, ['type', 'version', 'encoding', 'vocabSize'], 'loadTokenizer');
    if (o.encoding !== 'r50k_base') throw new Error(`loadTokenizer: unsupported GPT-2 encoding ${JSON.stringify(o.encoding)} (only r50k_base)`);
    if (o.vocabSize !== undefined && o.vocabSize !== GPT2_VOCAB_SIZE) {
      throw new Error(`loadTokenizer: a gpt2 tokenizer has ${GPT2_VOCAB_SIZE} ids, the file says ${String(o.vocabSize)}`);
    }
    return gpt2Tokenizer();
  }
  throw new Error(`loadTokenizer: unknown tokenizer type ${JSON.stringify(o.type)} (known: 'char', 'gpt2')`);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A tokenizer from a toJSON() object, a `tokenizer.json` file, or a folder holding one (a model folder).
 */
export function loadTokenizer(source: string | TokenizerJSON): Tokenizer {
  if (typeof source !== 'string') return tokenizerFromJSON(source);
  if (source.length === 0) throw new TypeError('loadTokenizer: path must be a non-empty string');
  const file = isDirectory(source) ? path.join(source, TOKENIZER_FILE) : source;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`loadTokenizer: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`loadTokenizer: ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  try {
    return tokenizerFromJSON(json);
  } catch (e) {
    const err = e as Error;
    err.message = `loadTokenizer: ${file}: ${err.message.replace(/^loadTokenizer: /, '')}`;
    throw err;
  }
}

/**
 * Writes `tok.toJSON()` atomically. `target` is a `.json` file path, or a folder (created when missing)
 * that receives `tokenizer.json`. Returns the file written.
 */
export function saveTokenizer(target: string, tok: Tokenizer): string {
  if (typeof target !== 'string' || target.length === 0) throw new TypeError('saveTokenizer: path must be a non-empty string');
  if (tok === null || typeof tok !== 'object' || typeof (tok as Tokenizer).toJSON !== 'function') {
    throw new TypeError('saveTokenizer: tok must be a tokenizer (CharTokenizer or gpt2Tokenizer())');
  }
  let file = target;
  if (isDirectory(target) || !target.toLowerCase().endsWith('.json')) {
    fs.mkdirSync(target, { recursive: true });
    file = path.join(target, TOKENIZER_FILE);
  } else {
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  }
  writeFileAtomic(file, Buffer.from(JSON.stringify(tok.toJSON()) + '\n', 'utf8'));
  return file;
}
