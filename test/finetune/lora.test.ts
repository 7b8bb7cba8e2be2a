/** ng.lora: PEFT's LoRA on nn.Linear — wrapping, freezing, training, merge/unmerge, adapter files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';
import { TinyGPT, type Block } from './tiny-gpt.js';

const block = (m: TinyGPT, i: number): Block => m.transformer.h.at(i) as Block;

const { nn } = ng;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-lora-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CFG = { vocabSize: 23, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 };
const idx = () => ng.tensor([[1, 5, 7, 2, 9], [3, 3, 0, 22, 4]], { dtype: 'int32' });

function snapshot(m: ng.nn.Module): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Float32Array.from(t.data)]));
}

forEachBackend('lora', ['gemm'], () => {
  it('wraps the target Linears by PEFT name matching and freezes everything else', () => {
    ng.manualSeed(1);
    const m = new TinyGPT(CFG);
    const base = snapshot(m);
    ng.lora.apply(m, { r: 4, alpha: 8, targetModules: ['c_attn', 'mlp.c_proj'] });
    const names = ng.lora.loraLayers(m).map(([n]) => n);
    expect(names).toEqual(['transformer.h.0.attn.c_attn', 'transformer.h.0.mlp.c_proj', 'transformer.h.1.attn.c_attn', 'transformer.h.1.mlp.c_proj']);
    // attn.c_proj does not end with ".mlp.c_proj": not wrapped
    expect(block(m, 0).attn.c_proj).toBeInstanceOf(nn.Linear);
    const trainable = m.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
    expect(trainable).toEqual(names.flatMap((n) => [`${n}.lora_A.weight`, `${n}.lora_B.weight`]));
    const l = ng.lora.loraLayers(m)[0][1];
    expect(l.lora_A.weight.shape).toEqual([4, 8]);
    expect(l.lora_B.weight.shape).toEqual([24, 4]);
    expect(l.scaling).toBe(2);
    expect([...l.lora_B.weight.data].every((v) => v === 0)).toBe(true);
    // Kaiming-uniform a = √5: U(−1/√in, 1/√in)
    const bound = 1 / Math.sqrt(8);
    expect(Math.max(...l.lora_A.weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...l.lora_A.weight.data.map(Math.abs))).toBeGreaterThan(bound * 0.5);
    // base keys unchanged; the adapter adds lora_A / lora_B
    const keys = Object.keys(m.stateDict());
    for (const k of Object.keys(base)) expect(keys).toContain(k);
    expect(keys).toContain('transformer.h.0.attn.c_attn.lora_A.weight');
    expect(keys).not.toContain('transformer.h.0.attn.c_attn.base_layer.weight');
    expect(String(m)).toMatch(/LoraLinear\(inFeatures=8, outFeatures=24, r=4/);
  });

  it('leaves the output unchanged bit for bit while B is zero', () => {
    ng.manualSeed(2);
    const m = new TinyGPT(CFG);
    const before = m.forward(idx()).data.slice();
    ng.lora.apply(m, { r: 2, targetModules: ['c_attn', 'c_fc'], dropout: 0.1 });
    m.eval();
    expect(m.forward(idx()).data).toEqual(before);
  });

  it('computes base(x) + (alpha/r)·B·A·x and its gradients; frozen weights get none and do not move', () => {
    ng.manualSeed(3);
    const lin = new nn.Linear(7, 5);
    const seq = new nn.Sequential(lin, new nn.ReLU(), new nn.Linear(5, 3));
    ng.lora.apply(seq, { r: 3, alpha: 6, targetModules: ['0'] });
    const l = seq.at(0) as ng.lora.LoraLinear;
    expect(l).toBeInstanceOf(ng.lora.LoraLinear);
    ng.nn.init.normal_(l.lora_B.weight, 0, 0.5);
    const x = ng.randn([4, 7]);
    const W = lin.weight.detach();
    const ref = x.matmul(W.t()).add(lin.bias!.detach()).add(x.matmul(l.lora_A.weight.detach().t()).matmul(l.lora_B.weight.detach().t()).mul(2));
    expectClose(l.forward(x).data, ref.data, { rtol: 1e-5, atol: 1e-6 });
    const w0 = Float32Array.from(lin.weight.data);
    const opt = new ng.optim.Adam(seq.parameters(), { lr: 0.01 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      const loss = seq.forward(x).square().mean();
      loss.backward();
      expect(lin.weight.grad).toBeNull();
      expect(lin.bias!.grad).toBeNull();
      expect(l.lora_A.weight.grad).not.toBeNull();
      opt.step();
    }
    expect(lin.weight.data).toEqual(w0);
    // frozen parameters have no optimizer state
    const sd = opt.stateDict();
    const pi = opt.params.indexOf(lin.weight);
    for (const list of Object.values(sd.buffers)) expect(list[pi]).toBeNull();
    // gradients against finite differences of the composed formula (A)
    const A = l.lora_A.weight;
    opt.zeroGrad();
    l.forward(x).sum().backward();
    const gA = Float32Array.from(A.grad!.data);
    const eps = 1e-2;
    for (const j of [0, 5, 13, 20]) {
      const v = A.data[j];
      A.data[j] = v + eps;
      const up = ng.noGrad(() => l.forward(x).sum().item());
      A.data[j] = v - eps;
      const dn = ng.noGrad(() => l.forward(x).sum().item());
      A.data[j] = v;
      expect(gA[j]).toBeCloseTo((up - dn) / (2 * eps), 2);
    }
  });

  it('merge folds the update in (same output), unload restores the plain Linear and its state-dict keys', () => {
    ng.manualSeed(4);
    const m = new TinyGPT(CFG);
    const plainKeys = Object.keys(m.stateDict());
    ng.lora.apply(m, { r: 4, alpha: 16, targetModules: ['c_attn', 'c_fc', 'c_proj'] });
    for (const [, l] of ng.lora.loraLayers(m)) ng.nn.init.normal_(l.lora_B.weight, 0, 0.1);
    m.eval();
    const y = m.forward(idx()).data.slice();
    const w0 = Float32Array.from(block(m, 1).attn.c_attn.weight.data);
    ng.lora.merge(m, { unload: false });
    expectClose(m.forward(idx()).data, y, { rtol: 1e-4, atol: 1e-5 });
    ng.lora.unmerge(m);
    expectClose(block(m, 1).attn.c_attn.weight.data, w0, { rtol: 0, atol: 1e-6 });
    expectClose(m.forward(idx()).data, y, { rtol: 1e-5, atol: 1e-6 });
    ng.lora.merge(m);
    expect(ng.lora.loraLayers(m)).toEqual([]);
    expect(block(m, 1).attn.c_attn).toBeInstanceOf(nn.Linear);
    expect(Object.keys(m.stateDict())).toEqual(plainKeys);
    expectClose(m.forward(idx()).data, y, { rtol: 1e-4, atol: 1e-5 });
    // the merged state dict loads into a fresh, un-wrapped model
    const fresh = new TinyGPT(CFG);
    // the tied lm_head.weight is listed once (as transformer.wte.weight) by nn.Module.stateDict
    expect(fresh.loadStateDict(m.stateDict(), { strict: false }).missingKeys).toEqual(['lm_head.weight']);
    fresh.eval();
    expectClose(fresh.forward(idx()).data, y, { rtol: 1e-4, atol: 1e-5 });
    expect(() => ng.lora.merge(m)).toThrow(/no LoRA layers/);
  });

  it('saveAdapter writes PEFT files; loadAdapter onto a fresh base reproduces the outputs', () => {
    ng.manualSeed(5);
    const m = new TinyGPT(CFG);
    const baseSd = snapshot(m);
    ng.lora.apply(m, { r: 2, alpha: 4, dropout: 0.05, targetModules: ['c_attn'] });
    for (const [, l] of ng.lora.loraLayers(m)) ng.nn.init.normal_(l.lora_B.weight, 0, 0.2);
    m.eval();
    const y = m.forward(idx()).data.slice();
    const dir = path.join(tmp, 'adapter');
    ng.lora.saveAdapter(dir, m, { taskType: 'CAUSAL_LM', baseModelNameOrPath: 'gpt2', fanInFanOut: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 2, lora_alpha: 4, lora_dropout: 0.05, target_modules: ['c_attn'], fan_in_fan_out: true, bias: 'none', base_model_name_or_path: 'gpt2', inference_mode: true });
    const hdr = ng.readSafetensorsHeader(path.join(dir, 'adapter_model.safetensors'));
    expect(hdr.tensors.map((t) => t.name).sort()).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight', 'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight', 'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
    ]);
    expect(hdr.tensors.find((t) => t.name.endsWith('h.0.attn.c_attn.lora_B.weight'))!.shape).toEqual([24, 2]);

    const fresh = new TinyGPT(CFG);
    fresh.loadStateDict(Object.fromEntries(Object.entries(baseSd).map(([k, v]) => [k, ng.tensor(v, [...m.stateDict()[k].shape])])), { strict: false });
    ng.lora.loadAdapter(dir, fresh);
    fresh.eval();
    expect(fresh.forward(idx()).data).toEqual(y);
    expect(ng.lora.config(fresh)).toMatchObject({ r: 2, alpha: 4, targetModules: ['c_attn'] });
    // loading into a model that already has the layers (e.g. the same model) works too
    ng.lora.loadAdapter(dir, m);
    expect(m.forward(idx()).data).toEqual(y);
  });

  it('loadAdapter checks shapes, missing and unexpected keys, and unsupported configs', () => {
    ng.manualSeed(6);
    const m = new TinyGPT(CFG);
    ng.lora.apply(m, { r: 2, targetModules: ['c_attn'] });
    const dir = path.join(tmp, 'a2');
    ng.lora.saveAdapter(dir, m);
    const other = new TinyGPT(CFG);
    ng.lora.apply(other, { r: 3, targetModules: ['c_attn'] });
    expect(() => ng.lora.loadAdapter(dir, other)).toThrow(/shape \[2, 8\] in the adapter, \[3, 8\] in the model/);
    const more = new TinyGPT(CFG);
    ng.lora.apply(more, { r: 2, targetModules: ['c_attn', 'c_fc'] });
    expect(() => ng.lora.loadAdapter(dir, more)).toThrow(/missing base_model\.model\.transformer\.h\.0\.mlp\.c_fc\.lora_A\.weight/);
    const small = new TinyGPT({ ...CFG, nLayer: 1 });
    expect(() => ng.lora.loadAdapter(dir, small)).toThrow(/unexpected base_model\.model\.transformer\.h\.1\.attn\.c_attn\.lora_A\.weight/);
    const cfgPath = path.join(dir, 'adapter_config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, use_dora: true }));
    expect(() => ng.lora.loadAdapter(dir, new TinyGPT(CFG))).toThrow(/use_dora/);
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, peft_type: 'IA3' }));
    expect(() => ng.lora.loadAdapter(dir, new TinyGPT(CFG))).toThrow(/only "LORA"/);
    expect(() => ng.lora.loadAdapter(path.join(tmp, 'nope'), new TinyGPT(CFG))).toThrow(/cannot read/);
  });
});

describe('lora argument checks', () => {
  it('reject bad options with named errors', () => {
    const m = new nn.Sequential(new nn.Linear(3, 3));
    expect(() => ng.lora.apply(m, { r: 0, targetModules: ['0'] })).toThrow(/r must be a positive integer/);
    expect(() => ng.lora.apply(m, { r: 2, targetModules: [] })).toThrow(/targetModules must be a non-empty array/);
    expect(() => ng.lora.apply(m, { r: 2, targetModules: ['q_proj'] })).toThrow(/no Linear matches targetModules \["q_proj"\]; the model's Linear layers are: 0/);
    expect(() => ng.lora.apply(m, { r: 2, targetModules: ['0'], dropuot: 0.1 } as never)).toThrow(/unknown option 'dropuot' \(did you mean dropout\?\)/);
    expect(() => ng.lora.apply(m, { r: 2, targetModules: ['0'], dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    ng.lora.apply(m, { r: 2, targetModules: '\\d+' });
    expect(m.at(0)).toBeInstanceOf(ng.lora.LoraLinear);
    expect(() => ng.lora.apply(m, { r: 2, targetModules: ['0'] })).toThrow(/already has LoRA layers/);
    expect(() => ng.lora.saveAdapter('', m)).toThrow(/dir must be a non-empty string/);
    expect(() => ng.lora.unmerge(new nn.Linear(2, 2))).toThrow(/no LoRA layers/);
  });

  it('matchesTarget follows PEFT (exact or dotted suffix; a string is a full-match regex)', () => {
    expect(ng.lora.matchesTarget('h.0.attn.c_attn', ['c_attn'])).toBe(true);
    expect(ng.lora.matchesTarget('h.0.attn.xc_attn', ['c_attn'])).toBe(false);
    expect(ng.lora.matchesTarget('c_attn', ['c_attn'])).toBe(true);
    expect(ng.lora.matchesTarget('h.0.attn.c_attn', '.*attn\\.c_attn')).toBe(true);
    expect(ng.lora.matchesTarget('h.0.attn.c_attn', 'c_attn')).toBe(false);
  });

  it('wraps Linears inside ModuleDict and plain properties', () => {
    const d = new nn.ModuleDict({ q: new nn.Linear(2, 2), k: new nn.Linear(2, 2) });
    ng.lora.apply(d, { r: 1, targetModules: ['q'] });
    expect(d.get('q')).toBeInstanceOf(ng.lora.LoraLinear);
    expect(d.get('k')).toBeInstanceOf(nn.Linear);
    ng.lora.merge(d);
    expect(d.get('q')).toBeInstanceOf(nn.Linear);
  });
});
