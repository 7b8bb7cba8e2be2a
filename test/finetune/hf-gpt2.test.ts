/**
 * Hugging Face GPT-2 checkpoints and PEFT adapters against PyTorch's answers (fixtures/make_hf_gpt2_fixture.py):
 * both key spellings, the attention buffers, Conv1D transposes, the tie, F16 widening, the inverse conversion,
 * and a PEFT LoRA adapter loaded, run and merged.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';
import { TinyGPT } from './tiny-gpt.js';

const FIX = path.join(__dirname, 'fixtures');
const ref = JSON.parse(fs.readFileSync(path.join(FIX, 'gpt2-tiny-reference.json'), 'utf8')) as {
  config: { vocabSize: number; blockSize: number; nLayer: number; nHead: number; nEmbd: number };
  idx: number[][];
  logits: { shape: number[]; data: number[] };
  logitsLora: { shape: number[]; data: number[] };
  mergedConv1D: Record<string, { shape: number[]; data: number[] }>;
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-hf-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const idx = () => ng.tensor(ref.idx, { dtype: 'int32' });
const TOL = { rtol: 1e-4, atol: 2e-5 };

function modelFrom(sd: Record<string, ng.Tensor>): TinyGPT {
  const m = new TinyGPT(ref.config);
  m.loadStateDict(sd);
  return m.eval();
}

forEachBackend('hf gpt-2', ['gemm'], () => {
  it('loads a GPT2LMHeadModel checkpoint (transformer.* keys, no lm_head) and gives PyTorch\'s logits', () => {
    const { stateDict, config } = ng.loadHFGPT2(path.join(FIX, 'gpt2-tiny'));
    expect(config).toEqual({ ...ref.config, layerNormEps: 1e-5, dropout: 0.1, bias: true });
    expect(stateDict['lm_head.weight']).toBe(stateDict['transformer.wte.weight']);
    expect(stateDict['transformer.h.0.attn.c_attn.weight'].shape).toEqual([48, 16]);
    expect(stateDict['transformer.h.1.mlp.c_proj.weight'].shape).toEqual([16, 64]);
    expectClose(modelFrom(stateDict).forward(idx()).data, ref.logits.data, TOL, 'logits');
  });

  it('loads a GPT2Model checkpoint (bare keys, attn.bias / masked_bias buffers, F16) with shapes inferred', () => {
    const raw = ng.loadSafetensors(path.join(FIX, 'gpt2-tiny-bare.safetensors'));
    expect(Object.keys(raw)).toContain('h.0.attn.masked_bias');
    const { stateDict, config } = ng.hfToNanoGPT(raw, { config: { nHead: 2 } });
    expect(config).toMatchObject(ref.config);
    expect(Object.keys(stateDict).some((k) => k.includes('masked_bias') || /\.attn\.bias$/.test(k))).toBe(false);
    const f32 = ng.loadHFGPT2(path.join(FIX, 'gpt2-tiny', 'model.safetensors')).stateDict;
    expect(Object.keys(stateDict).sort()).toEqual(Object.keys(f32).sort());
    // the bare file's weights are F16: widened, within half-precision rounding of the F32 ones
    for (const k of Object.keys(f32)) expectClose(stateDict[k].data, f32[k].data, { rtol: 1e-3, atol: 1e-4 }, k);
    // logits within the F16 rounding of the weights
    expectClose(modelFrom(stateDict).forward(idx()).data, ref.logits.data, { rtol: 2e-2, atol: 2e-2 }, 'logits');
  });

  it('nanoGPTToHF is the inverse: one tied tensor, Conv1D layout, a config.json transformers reads', () => {
    const { stateDict } = ng.loadHFGPT2(path.join(FIX, 'gpt2-tiny'));
    const { tensors, config } = ng.nanoGPTToHF(stateDict, { nHead: 2 });
    const orig = ng.loadSafetensors(path.join(FIX, 'gpt2-tiny', 'model.safetensors'));
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(orig).sort());
    for (const k of Object.keys(orig)) {
      expect(tensors[k].shape, k).toEqual(orig[k].shape);
      expect(tensors[k].data, k).toEqual(orig[k].data);
    }
    const cfg = JSON.parse(fs.readFileSync(path.join(FIX, 'gpt2-tiny', 'config.json'), 'utf8'));
    for (const k of ['n_embd', 'n_layer', 'n_head', 'n_positions', 'vocab_size', 'layer_norm_epsilon', 'model_type', 'activation_function']) {
      expect(config[k], k).toEqual(cfg[k]);
    }
    const dir = path.join(tmp, 'saved');
    ng.saveHFGPT2(dir, stateDict, { nHead: 2 });
    expect(ng.readSafetensorsMetadata(path.join(dir, 'model.safetensors'))).toEqual({ format: 'pt' });
    const back = ng.loadHFGPT2(dir);
    expect(back.config).toMatchObject(ref.config);
    expectClose(modelFrom(back.stateDict).forward(idx()).data, ref.logits.data, TOL, 'logits after a round trip');
  });

  it("a PEFT adapter for the HF model gives PyTorch's LoRA logits, and merging gives PEFT's merged Conv1D weights", () => {
    const m = modelFrom(ng.loadHFGPT2(path.join(FIX, 'gpt2-tiny')).stateDict);
    ng.lora.loadAdapter(path.join(FIX, 'gpt2-tiny-lora'), m);
    expect(ng.lora.loraLayers(m).map(([n]) => n)).toEqual([
      'transformer.h.0.attn.c_attn', 'transformer.h.0.mlp.c_fc', 'transformer.h.1.attn.c_attn', 'transformer.h.1.mlp.c_fc',
    ]);
    m.eval();
    expectClose(m.forward(idx()).data, ref.logitsLora.data, TOL, 'logits with the adapter');
    ng.lora.merge(m);
    expectClose(m.forward(idx()).data, ref.logitsLora.data, TOL, 'logits after merge');
    const { tensors } = ng.nanoGPTToHF(m.stateDict(), { nHead: 2 });
    for (const [k, v] of Object.entries(ref.mergedConv1D)) {
      expect(tensors[k].shape).toEqual(v.shape);
      expectClose(tensors[k].data, v.data, { rtol: 1e-5, atol: 1e-6 }, k);
    }
  });

  it('an adapter nodegrad saves for the HF base round-trips to the same logits', () => {
    const m = modelFrom(ng.loadHFGPT2(path.join(FIX, 'gpt2-tiny')).stateDict);
    ng.lora.loadAdapter(path.join(FIX, 'gpt2-tiny-lora'), m);
    const dir = path.join(tmp, 'adapter');
    ng.lora.saveAdapter(dir, m, { fanInFanOut: true, taskType: 'CAUSAL_LM' });
    const a = ng.loadSafetensors(path.join(dir, 'adapter_model.safetensors'));
    const b = ng.loadSafetensors(path.join(FIX, 'gpt2-tiny-lora', 'adapter_model.safetensors'));
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(b)) expect(a[k].data, k).toEqual(b[k].data);
    const m2 = modelFrom(ng.loadHFGPT2(path.join(FIX, 'gpt2-tiny')).stateDict);
    ng.lora.loadAdapter(dir, m2);
    expectClose(m2.eval().forward(idx()).data, ref.logitsLora.data, TOL);
  });
});

describe('hf gpt-2 bf16 checkpoints', () => {
  it('save BF16 and load without widening ({keepBf16}): transposes move the bits unchanged', () => {
    const { stateDict } = ng.loadHFGPT2(path.join(FIX, 'gpt2-tiny'));
    const bf = Object.fromEntries(Object.entries(stateDict).map(([k, t]) => [k, t.to('bfloat16')]));
    bf['lm_head.weight'] = bf['transformer.wte.weight'];
    const dir = path.join(tmp, 'bf16');
    ng.saveHFGPT2(dir, bf, { nHead: 2 });
    const hdr = ng.readSafetensorsHeader(path.join(dir, 'model.safetensors'));
    expect(new Set(hdr.tensors.map((t) => t.dtype))).toEqual(new Set(['BF16']));
    const kept = ng.loadHFGPT2(dir, { keepBf16: true }).stateDict;
    for (const k of Object.keys(bf)) {
      expect(kept[k].dtype, k).toBe('bfloat16');
      expect(kept[k].bits(), k).toEqual(bf[k].bits());
    }
    const wide = ng.loadHFGPT2(dir).stateDict;
    expect(wide['transformer.h.0.attn.c_attn.weight'].data).toEqual(bf['transformer.h.0.attn.c_attn.weight'].float().data);
  });
});

describe('hf gpt-2 converter checks', () => {
  const raw = () => ng.loadSafetensors(path.join(FIX, 'gpt2-tiny', 'model.safetensors'));
  const opts = { config: { n_head: 2 } };
  it('names missing, mis-shaped and unexpected tensors', () => {
    const a = raw();
    delete a['transformer.h.1.ln_2.bias'];
    expect(() => ng.hfToNanoGPT(a, opts)).toThrow(/missing h\.1\.ln_2\.bias/);
    const b = raw();
    b['transformer.h.0.attn.c_attn.weight'] = ng.zeros([48, 16]);
    expect(() => ng.hfToNanoGPT(b, opts)).toThrow(/h\.0\.attn\.c_attn\.weight: \[48, 16\], expected \[16, 48\]/);
    const c = raw();
    c['transformer.h.0.attn.q_proj.weight'] = ng.zeros([2]);
    expect(() => ng.hfToNanoGPT(c, opts)).toThrow(/unexpected h\.0\.attn\.q_proj\.weight/);
    expect(() => ng.hfToNanoGPT({ foo: ng.zeros([2]) })).toThrow(/not a GPT-2 checkpoint/);
  });

  it('checks the config against the shapes and rejects what the GPT cannot express', () => {
    expect(() => ng.hfToNanoGPT(raw(), { config: { n_embd: 32, n_head: 2 } })).toThrow(/nEmbd = 32 but the checkpoint's shapes give 16/);
    expect(() => ng.hfToNanoGPT(raw())).toThrow(/n_head cannot be inferred for n_embd 16/);
    expect(() => ng.hfToNanoGPT(raw(), { config: { n_head: 2, activation_function: 'relu' } })).toThrow(/activation_function "relu"/);
    expect(() => ng.hfToNanoGPT(raw(), { config: { n_head: 2, n_inner: 8 } })).toThrow(/n_inner = 8/);
    const untied = raw();
    untied['lm_head.weight'] = ng.zeros(untied['transformer.wte.weight'].shape as number[]);
    expect(() => ng.hfToNanoGPT(untied, { config: { n_head: 2 } })).toThrow(/untied head/);
    const tied = raw();
    tied['lm_head.weight'] = tied['transformer.wte.weight'].clone();
    expect(ng.hfToNanoGPT(tied, { config: { n_head: 2 } }).stateDict['lm_head.weight'].shape).toEqual([37, 16]);
    const { stateDict } = ng.hfToNanoGPT(raw(), { config: { n_head: 2 } });
    expect(() => ng.nanoGPTToHF({ ...stateDict, 'transformer.h.0.attn.c_attn.lora_A.weight': ng.zeros([2, 16]) }, { nHead: 2 })).toThrow(/merge LoRA adapters first/);
    expect(() => ng.loadHFGPT2(tmp)).toThrow(/has no model\.safetensors/);
  });
});
