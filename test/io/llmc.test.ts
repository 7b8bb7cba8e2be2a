/**
 * llm.c interop (lib/io/llmc.ts): token shards and GPT-2 checkpoints. Besides round trips, both are
 * checked against files written independently by fixtures/make_llmc_fixture.py (numpy, llm.c's
 * write_model / write_datafile layout): the reader gets every element right and the writer reproduces
 * the files byte for byte.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  llmcLayout, parseTokenShard, readLlmcCheckpoint, readTokenShard, writeLlmcCheckpoint, writeTokenShard, type LlmcConfig,
} from '../../lib/io/llmc.js';
import * as ng from '../../lib/index.js';
import { Generator } from '../../lib/random.js';
import { Tensor } from '../../lib/tensor.js';

const fixtures = path.join(__dirname, 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-llmc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const newFile = (ext = '.bin') => path.join(tmp, `f${n++}${ext}`);

function header(values: number[]): Buffer {
  const b = Buffer.alloc(1024);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

describe('token shards', () => {
  it('write → read round trip; the file is llm.c’s: 256-int32 header [20240520, 1, ntok], then uint16', () => {
    const tokens = Int32Array.of(0, 1, 50256, 65535, 300, 7);
    const f = newFile();
    writeTokenShard(f, tokens);
    const bytes = fs.readFileSync(f);
    expect(bytes.length).toBe(1024 + 2 * 6);
    expect([bytes.readInt32LE(0), bytes.readInt32LE(4), bytes.readInt32LE(8), bytes.readInt32LE(12)]).toEqual([20240520, 1, 6, 0]);
    expect(bytes.readUInt16LE(1024 + 2 * 3)).toBe(65535);
    const back = readTokenShard(f);
    expect(back).toBeInstanceOf(Uint16Array);
    expect(Array.from(back)).toEqual(Array.from(tokens));
    expect(Array.from(parseTokenShard(bytes))).toEqual(Array.from(tokens));
    // number[], Uint16Array, 1-D tensor, empty
    writeTokenShard(f, [3, 2, 1]);
    expect(Array.from(readTokenShard(f))).toEqual([3, 2, 1]);
    writeTokenShard(f, Uint16Array.of(9));
    expect(Array.from(readTokenShard(f))).toEqual([9]);
    writeTokenShard(f, new Tensor(Int32Array.of(4, 5), [2]));
    expect(Array.from(readTokenShard(f))).toEqual([4, 5]);
    writeTokenShard(f, []);
    expect(readTokenShard(f).length).toBe(0);
  });

  it('reads the shard written by make_llmc_fixture.py (write_datafile) and writes the same bytes', () => {
    const file = path.join(fixtures, 'llmc_tokens.bin');
    const tokens = readTokenShard(file);
    expect(Array.from(tokens)).toEqual([0, 1, 2, 50256, 65535, 12345, 7]);
    const f = newFile();
    writeTokenShard(f, tokens);
    expect(fs.readFileSync(f).equals(fs.readFileSync(file))).toBe(true);
  });

  it('tokens outside uint16 → RangeError naming index and value; nothing is written', () => {
    const f = newFile();
    expect(() => writeTokenShard(f, [1, 65536])).toThrow("writeTokenShard: token 65536 at index 1 does not fit llm.c's uint16 shard (0..65535)");
    expect(() => writeTokenShard(f, [-1])).toThrow(RangeError);
    expect(() => writeTokenShard(f, [0.5])).toThrow(RangeError);
    expect(fs.existsSync(f)).toBe(false);
    expect(() => writeTokenShard(f, new Tensor(Int32Array.of(1, 2), [1, 2]))).toThrow('1-D');
    expect(() => writeTokenShard('', [1])).toThrow(TypeError);
  });

  it('corrupt or truncated → Error naming the file and what is wrong', () => {
    const good = Buffer.concat([header([20240520, 1, 4]), Buffer.from(Uint16Array.of(1, 2, 3, 4).buffer)]);
    const write = (b: Buffer) => {
      const f = newFile();
      fs.writeFileSync(f, b);
      return f;
    };
    let f = write(good.subarray(0, good.length - 2));
    expect(() => readTokenShard(f)).toThrow(`readTokenShard: ${f} has 1030 bytes but its header says 4 tokens (1032 bytes): truncated`);
    f = write(Buffer.concat([good, Buffer.alloc(2)]));
    expect(() => readTokenShard(f)).toThrow('trailing bytes after the tokens');
    f = write(good.subarray(0, 100));
    expect(() => readTokenShard(f)).toThrow(`readTokenShard: ${f} has 100 bytes, less than the 1024-byte header (truncated?)`);
    f = write(Buffer.concat([header([20240326, 1, 4]), good.subarray(1024)]));
    expect(() => readTokenShard(f)).toThrow(`readTokenShard: ${f} is not an llm.c token shard (magic 20240326, expected 20240520)`);
    f = write(Buffer.concat([header([20240520, 2, 4]), good.subarray(1024)]));
    expect(() => readTokenShard(f)).toThrow('has token shard version 2, expected 1');
    f = write(Buffer.concat([header([20240801, 7, 2]), Buffer.alloc(8)]));
    expect(() => readTokenShard(f)).toThrow('llama-3 shard (uint32 tokens');
    f = write(header([20240520, 1, -3]));
    expect(() => readTokenShard(f)).toThrow('negative token count -3');
    expect(() => readTokenShard(path.join(tmp, 'missing.bin'))).toThrow('readTokenShard: cannot open');
    expect(() => readTokenShard(tmp)).toThrow();
    expect(() => parseTokenShard(good.subarray(0, 1030), 'mem')).toThrow('readTokenShard: mem has 1030 bytes');
  });
});

/** element j of parameter k (HF named_parameters order) in the fixture: (k + 1) * 1000 + j */
const tinyConfig = { blockSize: 4, vocabSize: 5, nLayer: 2, nHead: 2, nEmbd: 4 };
function fixtureStateDict(): Record<string, Tensor> {
  const C = 4;
  const names: [string, number[]][] = [['transformer.wte.weight', [5, C]], ['transformer.wpe.weight', [4, C]]];
  const per: [string, number[]][] = [
    ['ln_1.weight', [C]], ['ln_1.bias', [C]], ['attn.c_attn.weight', [3 * C, C]], ['attn.c_attn.bias', [3 * C]],
    ['attn.c_proj.weight', [C, C]], ['attn.c_proj.bias', [C]], ['ln_2.weight', [C]], ['ln_2.bias', [C]],
    ['mlp.c_fc.weight', [4 * C, C]], ['mlp.c_fc.bias', [4 * C]], ['mlp.c_proj.weight', [C, 4 * C]], ['mlp.c_proj.bias', [C]],
  ];
  for (let i = 0; i < 2; i++) for (const [s, sh] of per) names.push([`transformer.h.${i}.${s}`, sh]);
  names.push(['transformer.ln_f.weight', [C]], ['transformer.ln_f.bias', [C]]);
  const sd: Record<string, Tensor> = {};
  names.forEach(([name, shape], k) => {
    const size = shape.reduce((a, b) => a * b, 1);
    sd[name] = new Tensor(Float32Array.from({ length: size }, (_, j) => (k + 1) * 1000 + j), shape);
  });
  sd['lm_head.weight'] = sd['transformer.wte.weight'];
  return sd;
}

function randomStateDict(c: LlmcConfig, seed: number): Record<string, Tensor> {
  const g = new Generator(seed);
  const sd: Record<string, Tensor> = {};
  for (const { name, shape } of llmcLayout(c)) {
    const s = name === 'transformer.wte.weight' ? [c.vocabSize, c.nEmbd] : shape;
    sd[name] = new Tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => g.normal()), s);
  }
  sd['lm_head.weight'] = sd['transformer.wte.weight'];
  return sd;
}

describe('GPT-2 checkpoints (gpt2_124M.bin format)', () => {
  it('reads the checkpoint written by make_llmc_fixture.py: config, every element, padding dropped, head tied', () => {
    const { config, stateDict, dtype } = readLlmcCheckpoint(path.join(fixtures, 'llmc_tiny_model.bin'));
    expect(config).toEqual({ ...tinyConfig, paddedVocabSize: 128 });
    expect(dtype).toBe('float32');
    const want = fixtureStateDict();
    expect(Object.keys(stateDict).sort()).toEqual(Object.keys(want).sort());
    for (const [k, t] of Object.entries(want)) {
      expect(stateDict[k].shape, k).toEqual(t.shape);
      expect(Array.from(stateDict[k].data), k).toEqual(Array.from(t.data));
    }
    expect(stateDict['lm_head.weight']).toBe(stateDict['transformer.wte.weight']);
    const padded = readLlmcCheckpoint(path.join(fixtures, 'llmc_tiny_model.bin'), { keepPadding: true }).stateDict['transformer.wte.weight'];
    expect(padded.shape).toEqual([128, 4]);
    expect(Array.from(padded.data.subarray(0, 20))).toEqual(Array.from(want['transformer.wte.weight'].data));
    expect(padded.data.subarray(20).every((v) => v === 0)).toBe(true);
    expect(() => readLlmcCheckpoint(path.join(fixtures, 'llmc_tiny_model.bin'), { keepPading: true } as never)).toThrow('did you mean keepPadding?');
  });

  it('writes the same bytes as the independent writer (from an unpadded wte, or a padded one)', () => {
    const fixture = fs.readFileSync(path.join(fixtures, 'llmc_tiny_model.bin'));
    const f = newFile();
    writeLlmcCheckpoint(f, fixtureStateDict(), tinyConfig);
    expect(fs.readFileSync(f).equals(fixture)).toBe(true);
    const sd = fixtureStateDict();
    delete sd['lm_head.weight'];
    sd['transformer.wte.weight'] = readLlmcCheckpoint(path.join(fixtures, 'llmc_tiny_model.bin'), { keepPadding: true }).stateDict['transformer.wte.weight'];
    writeLlmcCheckpoint(f, new Map(Object.entries(sd)), { ...tinyConfig, paddedVocabSize: 128 });
    expect(fs.readFileSync(f).equals(fixture)).toBe(true);
  });

  it('round trip of a random config; byte-level check of a known offset', () => {
    const config: LlmcConfig = { blockSize: 7, vocabSize: 33, nLayer: 3, nHead: 3, nEmbd: 6, paddedVocabSize: 40 };
    const sd = randomStateDict(config, 5);
    const f = newFile();
    writeLlmcCheckpoint(f, sd, config);
    const back = readLlmcCheckpoint(f);
    expect(back.config).toEqual(config);
    for (const [k, t] of Object.entries(sd)) expect(Array.from(back.stateDict[k].data), k).toEqual(Array.from(t.data));

    // transformer.h.1.attn.c_attn.weight[5, 2] by llm.c's layout: header, wte (Vp·C), wpe (maxT·C),
    // ln1w (L·C), ln1b (L·C), then qkvw layer 0 (3C·C), then layer 1 row 5 column 2
    const { nEmbd: C, nLayer: L, blockSize: T, paddedVocabSize: Vp } = config;
    const floatIndex = Vp * C + T * C + L * C + L * C + 3 * C * C + 5 * C + 2;
    const bytes = fs.readFileSync(f);
    expect(bytes.readFloatLE(1024 + 4 * floatIndex)).toBe(sd['transformer.h.1.attn.c_attn.weight'].data[5 * C + 2]);
    // lnfb[C-1] is the file's last float; wte padding rows are zeros
    expect(bytes.readFloatLE(bytes.length - 4)).toBe(sd['transformer.ln_f.bias'].data[C - 1]);
    for (let i = 33 * C; i < Vp * C; i++) expect(bytes.readFloatLE(1024 + 4 * i)).toBe(0);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => bytes.readInt32LE(4 * i))).toEqual([20240326, 3, 7, 33, 3, 3, 6, 40]);
    // default padding: a multiple of 128
    writeLlmcCheckpoint(f, sd, { blockSize: 7, vocabSize: 33, nLayer: 3, nHead: 3, nEmbd: 6 });
    expect(readLlmcCheckpoint(f).config.paddedVocabSize).toBe(128);
  });

  it('bfloat16 (llm.c version 5): written rounded to nearest even, read back as float32', () => {
    const config: LlmcConfig = { blockSize: 2, vocabSize: 3, nLayer: 1, nHead: 1, nEmbd: 2, paddedVocabSize: 4 };
    const sd = randomStateDict(config, 9);
    sd['transformer.ln_f.weight'] = new Tensor(Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8), [2]); // ties: to even
    const f = newFile();
    writeLlmcCheckpoint(f, sd, config, { dtype: 'bfloat16' });
    const back = readLlmcCheckpoint(f);
    expect(back.dtype).toBe('bfloat16');
    expect(fs.statSync(f).size).toBe(1024 + 2 * llmcLayout(config).reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0));
    expect(Array.from(back.stateDict['transformer.ln_f.weight'].data)).toEqual([1, 1 + 2 ** -6]);
    for (const [k, t] of Object.entries(sd)) {
      const got = back.stateDict[k].data;
      t.data.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8));
    }
  });

  it('wrong magic / version, truncated, inconsistent header → Error naming the file and the problem', () => {
    const good = fs.readFileSync(path.join(fixtures, 'llmc_tiny_model.bin'));
    const write = (b: Buffer) => {
      const f = newFile();
      fs.writeFileSync(f, b);
      return f;
    };
    const patched = (i: number, v: number) => {
      const b = Buffer.from(good);
      b.writeInt32LE(v, 4 * i);
      return write(b);
    };
    let f = patched(0, 20240520);
    expect(() => readLlmcCheckpoint(f)).toThrow(`readLlmcCheckpoint: ${f} is not an llm.c GPT-2 checkpoint (magic 20240520, expected 20240326)`);
    f = patched(1, 4);
    expect(() => readLlmcCheckpoint(f)).toThrow(`readLlmcCheckpoint: ${f} has checkpoint version 4; supported: 3 (float32) and 5 (bfloat16)`);
    f = write(good.subarray(0, good.length - 4));
    expect(() => readLlmcCheckpoint(f)).toThrow(`readLlmcCheckpoint: ${f} has 5116 bytes but its header (maxT 4, V 5, L 2, NH 2, C 4, Vp 128, float32) needs 5120: truncated`);
    f = write(good.subarray(0, 512));
    expect(() => readLlmcCheckpoint(f)).toThrow('less than the 1024-byte header');
    f = patched(4, 3); // 3 layers claimed
    expect(() => readLlmcCheckpoint(f)).toThrow('needs 6096: truncated');
    f = patched(7, 4); // Vp < V
    expect(() => readLlmcCheckpoint(f)).toThrow('paddedVocabSize 4 is smaller than vocabSize 5');
    f = patched(5, 3); // C % NH
    expect(() => readLlmcCheckpoint(f)).toThrow('nEmbd 4 is not divisible by nHead 3');
    f = patched(6, 0);
    expect(() => readLlmcCheckpoint(f)).toThrow('nEmbd must be a positive int32, got 0');
    f = write(Buffer.concat([good, Buffer.alloc(4)]));
    expect(() => readLlmcCheckpoint(f)).toThrow('trailing bytes after the parameters');
    expect(() => readLlmcCheckpoint(path.join(tmp, 'none.bin'))).toThrow('readLlmcCheckpoint: cannot open');
  });

  it('write errors: missing key, wrong shape (with the Conv1D hint), untied head, extra keys, bad config', () => {
    const f = newFile();
    const sd = fixtureStateDict();
    const without = { ...sd };
    delete without['transformer.h.1.mlp.c_fc.bias'];
    expect(() => writeLlmcCheckpoint(f, without, tinyConfig)).toThrow('writeLlmcCheckpoint: stateDict lacks transformer.h.1.mlp.c_fc.bias (shape [16])');
    const conv = { ...sd, 'transformer.h.0.attn.c_attn.weight': new Tensor(new Float32Array(48), [4, 12]) };
    expect(() => writeLlmcCheckpoint(f, conv, tinyConfig)).toThrow('has shape [4,12], expected [12,4] (a Hugging Face Conv1D [in, out] weight?');
    const untied = { ...sd, 'lm_head.weight': new Tensor(new Float32Array(20), [5, 4]) };
    expect(() => writeLlmcCheckpoint(f, untied, tinyConfig)).toThrow('lm_head.weight differs from transformer.wte.weight');
    const tiedCopy = { ...sd, 'lm_head.weight': new Tensor(sd['transformer.wte.weight'].data.slice(), [5, 4]) };
    writeLlmcCheckpoint(f, tiedCopy, tinyConfig); // equal values: fine
    const headOnly: Record<string, Tensor> = { ...sd };
    delete headOnly['transformer.wte.weight'];
    writeLlmcCheckpoint(f, headOnly, tinyConfig);
    expect(fs.readFileSync(f).equals(fs.readFileSync(path.join(fixtures, 'llmc_tiny_model.bin')))).toBe(true);
    const extra = { ...sd, 'transformer.h.2.ln_1.weight': new Tensor(new Float32Array(4), [4]), 'transformer.h.0.attn.bias': new Tensor(new Float32Array(1), [1]) };
    expect(() => writeLlmcCheckpoint(f, extra, tinyConfig)).toThrow('keys that are not parameters of a 2-layer GPT-2: transformer.h.2.ln_1.weight');
    expect(() => writeLlmcCheckpoint(f, { ...sd, 'transformer.h.0.attn.bias': new Tensor(new Float32Array(1), [1]) }, tinyConfig)).not.toThrow();
    expect(() => writeLlmcCheckpoint(f, sd, { ...tinyConfig, nHead: 3 })).toThrow('nEmbd 4 is not divisible by nHead 3');
    expect(() => writeLlmcCheckpoint(f, sd, { ...tinyConfig, paddedVocabSize: 4 })).toThrow('paddedVocabSize 4 is smaller than vocabSize 5');
    expect(() => writeLlmcCheckpoint(f, sd, { ...tinyConfig, nLayers: 2 } as never)).toThrow("unknown option 'nLayers' (did you mean nLayer?)");
    expect(() => writeLlmcCheckpoint(f, sd, tinyConfig, { dtype: 'float16' } as never)).toThrow(TypeError);
    const badWte = { ...sd, 'transformer.wte.weight': new Tensor(new Float32Array(24), [6, 4]) };
    delete (badWte as Record<string, Tensor>)['lm_head.weight'];
    expect(() => writeLlmcCheckpoint(f, badWte, tinyConfig)).toThrow('transformer.wte.weight has shape [6,4], expected [5,4] or [128,4]');
  });

  it('exported as ng.io', () => {
    expect(ng.io.readLlmcCheckpoint).toBe(readLlmcCheckpoint);
    expect(ng.io.writeLlmcCheckpoint).toBe(writeLlmcCheckpoint);
    expect(ng.io.readTokenShard).toBe(readTokenShard);
    expect(ng.io.writeTokenShard).toBe(writeTokenShard);
    expect(typeof ng.data.TokenDataset).toBe('function');
  });
});
