/**
 * ng.models.GPT.fromPretrained / savePretrained against the committed Hugging Face GPT-2 fixture
 * (fixtures/make_hf_gpt2_fixture.py: PyTorch's float64 logits), a `nodegrad train gpt` folder, LoRA on the real
 * GPT (the PEFT fixture adapter gives PyTorch's logits, so GPT calls its wrapped children), and gradient
 * checkpointing (same loss and gradients as without).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { saveGptDir } from '../../lib/cli-gpt.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';

const FIX = path.join(__dirname, 'fixtures');
const ref = JSON.parse(fs.readFileSync(path.join(FIX, 'gpt2-tiny-reference.json'), 'utf8')) as {
  config: { vocabSize: number; blockSize: number; nLayer: number; nHead: number; nEmbd: number };
  idx: number[][];
  logits: { shape: number[]; data: number[] };
  logitsLora: { shape: number[]; data: number[] };
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-gpt-pre-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const idx = () => ng.tensor(ref.idx, { dtype: 'int32' });
const TOL = { rtol: 1e-4, atol: 2e-5 };
const HF = path.join(FIX, 'gpt2-tiny');

forEachBackend('GPT.fromPretrained', ['gemm'], (backend) => {
  it("loads the HF GPT-2 fixture folder (config.json) into a GPT in eval mode with PyTorch's logits", () => {
    const m = ng.models.GPT.fromPretrained(HF);
    expect(m).toBeInstanceOf(ng.models.GPT);
    expect(m.training).toBe(false);
    expect(m.config).toEqual({ ...ref.config, dropout: 0.1, bias: true });
    expect(m.lm_head.weight).toBe(m.transformer.wte.weight);
    const out = m.forward(idx());
    expect(out.shape).toEqual(ref.logits.shape);
    expectClose(out.data, ref.logits.data, TOL, 'logits');
    // the .safetensors file itself (config.json beside it is read)
    expectClose(ng.models.GPT.fromPretrained(path.join(HF, 'model.safetensors')).forward(idx()).data, ref.logits.data, TOL, 'from the file');
  });

  it('savePretrained writes HF layout (one tied tensor, Conv1D [in, out], config.json); reloading gives bit-identical logits', () => {
    const m = ng.models.GPT.fromPretrained(HF);
    const dir = path.join(tmp, `saved-${backend}`);
    m.savePretrained(dir);
    const orig = ng.loadSafetensors(path.join(HF, 'model.safetensors'));
    const saved = ng.loadSafetensors(path.join(dir, 'model.safetensors'));
    expect(Object.keys(saved).sort()).toEqual(Object.keys(orig).sort());
    expect(Object.keys(saved)).not.toContain('lm_head.weight');
    for (const k of Object.keys(orig)) {
      expect(saved[k].shape, k).toEqual(orig[k].shape);
      expect(saved[k].data, k).toEqual(orig[k].data);
    }
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_type: 'gpt2', n_embd: 16, n_head: 2, n_layer: 2, n_positions: 16, vocab_size: 37, resid_pdrop: 0.1, tie_word_embeddings: true });
    const back = ng.models.GPT.fromPretrained(dir);
    expect(back.config).toEqual(m.config);
    expect(back.forward(idx()).data).toEqual(m.forward(idx()).data);
  });

  it('loads a `nodegrad train gpt` folder (format nodegrad.gpt) bit-identically', () => {
    ng.manualSeed(3);
    const m = new ng.models.GPT({ vocabSize: 5, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 });
    const dir = path.join(tmp, `ng-${backend}`);
    saveGptDir(dir, m, new ng.data.CharTokenizer('abcde'), {});
    const back = ng.models.GPT.fromPretrained(dir);
    const x = ng.tensor([[0, 1, 2, 3, 4, 0]], { dtype: 'int32' });
    expect(back.forward(x).data).toEqual(m.eval().forward(x).data);
    // the same weights as one nanoGPT-layout file ([out, in], both tied names) with an HF config.json beside it
    const nano = path.join(tmp, `nano-${backend}`);
    fs.mkdirSync(nano);
    ng.saveSafetensors(path.join(nano, 'weights.safetensors'), m.stateDict());
    fs.writeFileSync(path.join(nano, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_head: 2, n_embd: 8, n_layer: 1 }));
    const fromNano = ng.models.GPT.fromPretrained(path.join(nano, 'weights.safetensors'));
    expect(fromNano.config).toMatchObject({ vocabSize: 5, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 });
    expect(fromNano.forward(x).data).toEqual(m.forward(x).data);
    fs.writeFileSync(path.join(nano, 'config.json'), JSON.stringify({ n_head: 2, n_layer: 3 }));
    expect(() => ng.models.GPT.fromPretrained(path.join(nano, 'weights.safetensors'))).toThrow(/nLayer = 3 but the checkpoint's shapes give 1/);
  });

  it("LoRA wraps GPT's c_attn / c_proj children; PEFT's fixture adapter (c_attn, c_fc) gives PyTorch's LoRA logits; merge and savePretrained", () => {
    const g = ng.models.GPT.fromPretrained(HF);
    ng.lora.apply(g, { r: 2, alpha: 4, targetModules: ['c_attn', 'c_proj'] });
    expect(ng.lora.loraLayers(g).map(([n]) => n)).toEqual([
      'transformer.h.0.attn.c_attn', 'transformer.h.0.attn.c_proj', 'transformer.h.0.mlp.c_proj',
      'transformer.h.1.attn.c_attn', 'transformer.h.1.attn.c_proj', 'transformer.h.1.mlp.c_proj',
    ]);
    const base = ng.models.GPT.fromPretrained(HF).forward(idx()).data;
    expect(g.forward(idx()).data).toEqual(base); // B = 0: bit-identical
    // a non-zero B must change the output: the model calls the LoRA layers, not the weights directly
    for (const [, l] of ng.lora.loraLayers(g)) l.lora_B.weight.data.fill(0.01);
    expect(Array.from(g.forward(idx()).data).some((v, i) => v !== base[i])).toBe(true);
    expect(() => g.savePretrained(path.join(tmp, 'refused'))).toThrow(/merge LoRA adapters first/);

    const m = ng.models.GPT.fromPretrained(HF);
    ng.lora.loadAdapter(path.join(FIX, 'gpt2-tiny-lora'), m);
    expect(ng.lora.loraLayers(m).map(([n]) => n)).toEqual([
      'transformer.h.0.attn.c_attn', 'transformer.h.0.mlp.c_fc', 'transformer.h.1.attn.c_attn', 'transformer.h.1.mlp.c_fc',
    ]);
    expectClose(m.forward(idx()).data, ref.logitsLora.data, TOL, 'logits with the PEFT adapter');
    ng.lora.merge(m);
    expectClose(m.forward(idx()).data, ref.logitsLora.data, TOL, 'logits after merge');
    const dir = path.join(tmp, `merged-${backend}`);
    m.savePretrained(dir);
    const re = ng.models.GPT.fromPretrained(dir);
    for (const [k, t] of Object.entries(m.stateDict())) expect(re.stateDict()[k].data, k).toEqual(t.data);
    // m's base weights are frozen (lora.apply), re's are not: with grad on, linear() takes the unfused GELU path for
    // re and the fused epilogue for m, which differ in the last bits on the js backend; under noGrad both fuse
    ng.noGrad(() => expect(re.forward(idx()).data).toEqual(m.forward(idx()).data));
  });

  it('gradientCheckpointing: the same loss and gradients as without (LoRA and full, with dropout)', () => {
    const x = ng.tensor([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]], { dtype: 'int32' });
    const y = ng.tensor([[2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13]], { dtype: 'int32' });
    const run = (ckpt: boolean, lora: boolean) => {
      const m = ng.models.GPT.fromPretrained(HF).train(); // dropout 0.1: the recompute must draw the same masks
      if (ckpt) m.gradientCheckpointingEnable();
      expect(m.gradientCheckpointing).toBe(ckpt);
      if (lora) {
        ng.lora.apply(m, { r: 2, targetModules: ['c_attn', 'c_proj'] });
        for (const [, l] of ng.lora.loraLayers(m)) l.lora_B.weight.data.fill(0.05);
      }
      ng.manualSeed(11);
      const logits = m.forward(x);
      const loss = ng.F.crossEntropy(logits.view(-1, 37), y.view(-1));
      loss.backward();
      const grads = m.namedParameters().filter(([, p]) => p.requiresGrad).map(([n, p]) => [n, Array.from(p.grad!.data)] as const);
      return { loss: loss.item(), grads };
    };
    for (const lora of [false, true]) {
      const a = run(false, lora);
      const b = run(true, lora);
      expect(b.loss).toBe(a.loss);
      expect(b.grads.map(([n]) => n)).toEqual(a.grads.map(([n]) => n));
      expect(a.grads.length).toBeGreaterThan(0);
      a.grads.forEach(([n, g], i) => expectClose(b.grads[i][1], g, { rtol: 1e-5, atol: 1e-7 }, n));
    }
    expect(new ng.models.GPT({ ...ref.config, gradientCheckpointing: true }).gradientCheckpointing).toBe(true);
    expect(() => new ng.models.GPT({ ...ref.config, gradientCheckpointing: 1 as unknown as boolean })).toThrow(/gradientCheckpointing must be a boolean/);
  });
});

describe('GPT.fromPretrained errors', () => {
  it('names the path and the problem', () => {
    expect(() => ng.models.GPT.fromPretrained(path.join(tmp, 'nope'))).toThrow(/GPT\.fromPretrained: .*nope does not exist/);
    expect(() => ng.models.GPT.fromPretrained(tmp)).toThrow(/has no model\.safetensors/);
    expect(() => ng.models.GPT.fromPretrained(HF, { dtype: 'x' } as never)).toThrow(/unknown option 'dtype'/);
    expect(() => ng.models.GPT.fromPretrained('')).toThrow(TypeError);
  });
});
