/**
 * ng.models.GPT: PyTorch 1.13 parity (fixtures/make_gpt_fixture.py: logits, loss and every parameter's
 * gradient of a nanoGPT loaded from its own state dict), weight tying, GPT-2 init statistics, the state
 * dict's names, nanoGPT's optimizer groups, dropout, bad input — on every backend.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';

interface Enc { shape: number[]; data: number[] }
interface Case {
  name: string;
  config: { vocabSize: number; blockSize: number; nLayer: number; nHead: number; nEmbd: number; bias: boolean };
  tied: boolean;
  keys: string[];
  idx: number[];
  targets: number[];
  B: number;
  T: number;
  logits: Enc;
  loss: number;
  grads: Record<string, Enc>;
}
const here = __dirname;
const ref = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'gpt-reference.json'), 'utf8')) as { cases: Case[] };
const weights = ng.loadSafetensors(path.join(here, 'fixtures', 'gpt-weights.safetensors'));
const byName = (n: string) => ref.cases.find((c) => c.name === n)!;

export function stateOf(name: string): Record<string, Tensor> {
  const sd: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(weights)) if (k.startsWith(`${name}/`)) sd[k.slice(name.length + 1)] = t;
  return sd;
}

const OUT = { rtol: 1e-4, atol: 1e-5 };
const GRAD = { rtol: 1e-3, atol: 1e-5 };

function ids(c: Case, what: 'idx' | 'targets'): Tensor {
  return ng.tensor(c[what], { dtype: 'int32' }).reshape(c.B, c.T);
}

function lossOf(m: ng.models.GPT, c: Case): Tensor {
  const logits = m.forward(ids(c, 'idx'));
  return ng.F.crossEntropy(logits.view(-1, c.config.vocabSize), ids(c, 'targets').view(-1), { ignoreIndex: -1 });
}

forEachBackend('GPT: PyTorch parity', ['sdpa', 'sdpaBackward', 'layerNorm', 'layerNormBackward', 'gemm', 'gatherRows', 'scatterAddRows', 'softmaxCrossEntropy'], () => {
  for (const name of ['tied', 'ignore_index', 'nobias']) {
    it(`${name}: logits, loss and every gradient match nanoGPT on PyTorch ${name === 'nobias' ? '(bias=false)' : ''}`, () => {
      const c = byName(name);
      const m = new ng.models.GPT(c.config);
      const sd = stateOf(name);
      // nanoGPT on PyTorch 1.13 saves its causal-mask buffers (attn.bias): accepted and ignored
      expect(Object.keys(sd).some((k) => /attn\.bias$/.test(k))).toBe(true);
      m.loadStateDict(sd);
      expect(Object.keys(m.stateDict())).toEqual(c.keys.filter((k) => !/\.attn\.bias$/.test(k)));
      const logits = m.forward(ids(c, 'idx'));
      expect(logits.shape).toEqual(c.logits.shape);
      expectClose(logits.data, c.logits.data, OUT, 'logits');
      const loss = ng.F.crossEntropy(logits.view(-1, c.config.vocabSize), ids(c, 'targets').view(-1), { ignoreIndex: -1 });
      expect(loss.item()).toBeCloseTo(c.loss, 5);
      loss.backward();
      const named = m.namedParameters();
      expect(named.map(([n]) => n)).toEqual(Object.keys(c.grads));
      for (const [n, p] of named) expectClose(p.grad!.data, c.grads[n].data, GRAD, `grad ${n}`);
    });
  }

  it('the tied matrix gets the sum of both uses (embedding + head), as an untied PyTorch model splits it', () => {
    const u = byName('untied');
    const m = new ng.models.GPT(u.config);
    m.loadStateDict(stateOf('tied'));
    lossOf(m, u).backward();
    const wte = u.grads['transformer.wte.weight'].data;
    const head = u.grads['lm_head.weight'].data;
    // neither use alone is the gradient
    const g = m.transformer.wte.weight.grad!.data;
    expectClose(g, wte.map((v, i) => v + head[i]), GRAD, 'tied grad');
    expect(Math.max(...head.map(Math.abs))).toBeGreaterThan(1e-3);
    expect(Math.max(...wte.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('a nodegrad state dict round-trips through safetensors into a fresh model', () => {
    const c = byName('tied');
    const a = new ng.models.GPT(c.config);
    a.loadStateDict(stateOf('tied'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-'));
    const file = path.join(dir, 'model.safetensors');
    ng.saveSafetensors(file, a.stateDict());
    const b = new ng.models.GPT(c.config);
    b.loadStateDict(ng.loadSafetensors(file));
    expect(Array.from(b.forward(ids(c, 'idx')).data)).toEqual(Array.from(a.forward(ids(c, 'idx')).data));
    ng.saveModel(a, path.join(dir, 'm'));
    const d = ng.loadModel(path.join(dir, 'm')).model as ng.models.GPT;
    expect(d instanceof ng.models.GPT).toBe(true); // (toBeInstanceOf would print a whole model on failure)
    expect(Array.from(d.forward(ids(c, 'idx')).data)).toEqual(Array.from(a.forward(ids(c, 'idx')).data));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('dropout > 0 changes training forwards, not eval ones; gradients flow through every dropout', () => {
    ng.manualSeed(3);
    const m = new ng.models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.2 });
    const x = [[1, 2, 3, 4, 5, 6, 7, 8]];
    const a = m.forward(x).data;
    const b = m.forward(x).data;
    expect(Array.from(a)).not.toEqual(Array.from(b));
    m.eval();
    expect(Array.from(m.forward(x).data)).toEqual(Array.from(m.forward(x).data));
    m.train();
    m.forward(x).sum().backward();
    for (const [n, p] of m.namedParameters()) expect(p.grad, n).not.toBeNull();
  });
});

describe('GPT: structure, init, optimizer', () => {
  it('stateDict lists both tied names over one tensor; parameters() yields it once', () => {
    const m = new ng.models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
    const sd = m.stateDict();
    expect(Object.keys(sd)[0]).toBe('transformer.wte.weight');
    expect(Object.keys(sd).at(-1)).toBe('lm_head.weight');
    expect(sd['lm_head.weight'].data.buffer).toBe(sd['transformer.wte.weight'].data.buffer);
    expect(m.lm_head.weight).toBe(m.transformer.wte.weight);
    const ps = m.parameters();
    expect(ps.filter((p) => p === m.transformer.wte.weight)).toHaveLength(1);
    expect(new Set(ps).size).toBe(ps.length);
    expect(sd['transformer.h.0.attn.c_attn.weight'].shape).toEqual([48, 16]);
    expect(sd['transformer.h.1.mlp.c_proj.weight'].shape).toEqual([16, 64]);
    // 124M-style count: every parameter once
    expect(m.numParameters()).toBe(ps.reduce((s, p) => s + p.size, 0));
  });

  it('loadStateDict takes either tied name alone, and refuses two different tensors under them', () => {
    const c = byName('tied');
    const full = stateOf('tied');
    for (const drop of ['transformer.wte.weight', 'lm_head.weight']) {
      const m = new ng.models.GPT(c.config);
      const sd = { ...full };
      delete sd[drop];
      const r = m.loadStateDict(sd);
      expect(r.missingKeys).toEqual([]);
      expectClose(m.forward(ids(c, 'idx')).data, c.logits.data, OUT, `logits without ${drop}`);
    }
    const m = new ng.models.GPT(c.config);
    const bad = { ...full, 'lm_head.weight': ng.zerosLike(full['lm_head.weight']) };
    expect(() => m.loadStateDict(bad)).toThrow(/transformer\.wte\.weight and lm_head\.weight differ/);
    const { 'transformer.h.0.ln_1.bias': _drop, ...missing } = full;
    expect(() => new ng.models.GPT(c.config).loadStateDict(missing)).toThrow(/missing keys: transformer\.h\.0\.ln_1\.bias/);
  });

  it('GPT-2 initialisation: N(0, 0.02) weights, c_proj at 0.02/√(2·nLayer), zero biases, LayerNorm 1/0', () => {
    ng.manualSeed(11);
    const L = 4;
    const m = new ng.models.GPT({ vocabSize: 300, blockSize: 64, nLayer: L, nHead: 4, nEmbd: 64 });
    const stats = (d: Float32Array) => {
      let s = 0, s2 = 0;
      for (const v of d) { s += v; s2 += v * v; }
      const mean = s / d.length;
      return { mean, std: Math.sqrt(s2 / d.length - mean * mean) };
    };
    for (const [n, p] of m.namedParameters()) {
      const d = p.data;
      if (p.ndim === 2) {
        const want = n.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * L) : 0.02;
        const st = stats(d);
        expect(Math.abs(st.std / want - 1), n).toBeLessThan(0.06);
        expect(Math.abs(st.mean), n).toBeLessThan(want * 0.05);
      } else if (n.endsWith('.bias')) expect(d.every((v) => v === 0), n).toBe(true);
      else expect(d.every((v) => v === 1), n).toBe(true);
    }
  });

  it('configureOptimizers: AdamW with decay on 2-D weights only, every parameter once', () => {
    const m = new ng.models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
    const opt = m.configureOptimizers({ weightDecay: 0.1, lr: 1e-3, betas: [0.9, 0.95] });
    expect(opt).toBeInstanceOf(ng.optim.AdamW);
    const [decay, rest] = opt.paramGroups;
    expect(decay.weightDecay).toBe(0.1);
    expect(rest.weightDecay).toBe(0);
    expect(decay.params.every((p) => p.ndim === 2)).toBe(true);
    expect(rest.params.every((p) => p.ndim === 1)).toBe(true);
    expect(decay.params.length + rest.params.length).toBe(m.parameters().length);
    expect(decay.params).toContain(m.transformer.wte.weight);
    expect(opt.lr).toBe(1e-3);
    expect(() => m.configureOptimizers({ weight_decay: 0.1 } as never)).toThrow(/did you mean weightDecay/);
    // one step moves the tied weight by exactly one AdamW update (not two)
    const x = [[1, 2, 3, 4, 5, 6, 7, 8]];
    ng.F.crossEntropy(m.forward(x).view(-1, 11), [2, 3, 4, 5, 6, 7, 8, 9]).backward();
    const before = m.transformer.wte.weight.data.slice();
    const g = m.transformer.wte.weight.grad!.data.slice();
    opt.step();
    const after = m.transformer.wte.weight.data;
    // first AdamW step: p ← p(1 − lr·wd) − lr·sign(g) (for |g| ≫ eps)
    for (let i = 0; i < g.length; i++) {
      if (Math.abs(g[i]) < 1e-5) continue;
      expect(after[i]).toBeCloseTo(before[i] * (1 - 1e-4) - 1e-3 * Math.sign(g[i]), 5);
    }
  });

  it('clipGradNorm over the model parameters clips the joint norm', () => {
    ng.manualSeed(2);
    const m = new ng.models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
    const x = [[1, 2, 3, 4, 5, 6, 7, 8]];
    m.forward(x).pow(2).sum().mul(100).backward();
    const norm = () => Math.sqrt(m.parameters().reduce((s, p) => s + p.grad!.data.reduce((a, v) => a + v * v, 0), 0));
    const before = norm();
    expect(before).toBeGreaterThan(1);
    const total = ng.nn.utils.clipGradNorm(m.parameters(), 1);
    expect(total).toBeCloseTo(before, 3);
    expect(norm()).toBeCloseTo(1, 4);
  });

  it('crossEntropy on logits.view(-1, V) reads the logits in place (no copy) and reaches them in backward', () => {
    const m = new ng.models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 });
    const logits = m.forward([[1, 2, 3], [4, 5, 6]]);
    const flat = logits.view(-1, 11);
    expect(flat.data.buffer).toBe(logits.data.buffer);
    expect(flat.data.byteOffset).toBe(logits.data.byteOffset);
    logits.retainGrad();
    ng.F.crossEntropy(flat, ng.tensor([1, 2, 3, 4, 5, -1], { dtype: 'int32' }), { ignoreIndex: -1 }).backward();
    const g = logits.grad!.data;
    expect(g.subarray(55, 66).every((v) => v === 0)).toBe(true); // the ignored row
    expect(g.subarray(0, 11).some((v) => v !== 0)).toBe(true);
  });

  it('fromPretrained: a Hugging Face GPT-2 layout (no prefix, Conv1D [in, out], mask buffers, config.json) loads to the same logits', () => {
    const c = byName('tied');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-hf-'));
    // the fixture's PyTorch weights rewritten the way the hub stores GPT-2 (modeling_gpt2.py Conv1D)
    const hf: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(stateOf('tied'))) {
      if (k === 'lm_head.weight') continue;
      const key = k.replace(/^transformer\./, '');
      hf[key] = /(c_attn|c_proj|c_fc)\.weight$/.test(key) ? t.t().contiguous() : t;
    }
    for (let i = 0; i < c.config.nLayer; i++) hf[`h.${i}.attn.masked_bias`] = ng.tensor(-1e4);
    expect(hf['h.0.attn.c_attn.weight'].shape).toEqual([16, 48]);
    ng.saveSafetensors(path.join(dir, 'model.safetensors'), hf);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      model_type: 'gpt2', vocab_size: 11, n_positions: 8, n_embd: 16, n_layer: 2, n_head: 2, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
    }));
    for (const src of [dir, path.join(dir, 'model.safetensors')]) {
      const m = ng.models.GPT.fromPretrained(src);
      expect(m.training).toBe(false);
      expect(m.config).toMatchObject({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, bias: true });
      expectClose(m.forward(ids(c, 'idx')).data, c.logits.data, OUT, `logits from ${src}`);
    }
    // nanoGPT layout (already [out, in], prefixed, both tied names) is taken as it is
    const nano = path.join(dir, 'nano.safetensors');
    ng.saveSafetensors(nano, stateOf('tied'));
    fs.renameSync(path.join(dir, 'config.json'), path.join(dir, 'c.json'));
    const m2 = ng.models.GPT.fromPretrained(nano);
    expect(m2.config.nHead).toBe(1); // no config.json: GPT-2's head size 64 → max(1, round(16 / 64))
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ n_head: 2, activation_function: 'relu' }));
    expect(() => ng.models.GPT.fromPretrained(nano)).toThrow(/activation_function 'relu'.*tanh GELU/);
    expect(() => ng.models.GPT.fromPretrained(path.join(dir, 'nope'))).toThrow(/does not exist/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bad config and bad input give clear errors', () => {
    const ok = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 };
    expect(() => new ng.models.GPT({ ...ok, nEmbd: 15 })).toThrow(/GPT: nEmbd \(15\) must be divisible by nHead \(2\)/);
    expect(() => new ng.models.GPT({ ...ok, nLayer: '2' as never })).toThrow(TypeError);
    expect(() => new ng.models.GPT({ ...ok, nLayer: '2' as never })).toThrow(/config\.nLayer must be a number, got string/);
    expect(() => new ng.models.GPT({ ...ok, nHead: 0 })).toThrow(/config\.nHead must be a positive integer, got 0/);
    expect(() => new ng.models.GPT({ ...ok, blockSize: 2.5 })).toThrow(RangeError);
    expect(() => new ng.models.GPT({ ...ok, vocabSize: undefined } as never)).toThrow(/config\.vocabSize is required/);
    expect(() => new ng.models.GPT({ ...ok, dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => new ng.models.GPT({ ...ok, bias: 1 } as never)).toThrow(/config\.bias must be a boolean/);
    expect(() => new ng.models.GPT({ ...ok, n_embd: 16 } as never)).toThrow(/unknown option 'n_embd'.*did you mean nEmbd/);
    expect(() => new ng.models.GPT(null as never)).toThrow(TypeError);
    const m = new ng.models.GPT(ok);
    expect(() => m.forward([[1, 2, 11]])).toThrow(/GPT\.forward: token id 11 \(row 0, position 2\) is out of range for vocabSize 11/);
    expect(() => m.forward([[1, 2], [3, -1]])).toThrow(RangeError);
    expect(() => m.forward([[1, 2.5]])).toThrow(/token id 2\.5 .* is not an integer/);
    expect(() => m.forward([Array.from({ length: 9 }, () => 1)])).toThrow(/GPT\.forward: cannot run a sequence of length 9, blockSize is only 8/);
    expect(() => m.forward([[1, 2], [3]])).toThrow(/rows must have equal lengths/);
    expect(() => m.forward(ng.tensor([1, 2, 3], { dtype: 'int32' }))).toThrow(/\[B, T\].*unsqueeze\(0\)/);
    expect(() => m.forward(ng.tensor([[1, 2, 3]]))).toThrow(/int32 tensor of token ids .* got dtype float32/);
    expect(() => m.forward('abc' as never)).toThrow(TypeError);
    expect(() => m.forward([[]])).toThrow(/at least one token/);
  });
});
