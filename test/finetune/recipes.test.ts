/** ng.finetune recipes: parameter filters that freeze the rest (no gradient, no optimizer state, no movement). */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { TinyGPT } from './tiny-gpt.js';

const CFG = { vocabSize: 13, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 8 };
const idx = () => ng.tensor([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: 'int32' });

/** One AdamW step; returns the names of parameters whose values changed. */
function stepChanges(m: TinyGPT): string[] {
  const before = new Map(m.namedParameters().map(([n, p]) => [n, Float32Array.from(p.data)]));
  const opt = new ng.optim.AdamW(m.parameters(), { lr: 0.01 });
  ng.F.crossEntropy(m.forward(idx()).reshape([8, 13]), [2, 3, 4, 5, 6, 7, 8, 9]).backward();
  for (const [n, p] of m.namedParameters()) if (!p.requiresGrad) expect(p.grad, n).toBeNull();
  opt.step();
  return m.namedParameters().filter(([n, p]) => p.data.some((v, i) => v !== before.get(n)![i])).map(([n]) => n);
}

describe('finetune recipes', () => {
  it('biasOnly (BitFit) trains exactly the biases', () => {
    ng.manualSeed(1);
    const m = new TinyGPT(CFG);
    const names = ng.finetune.biasOnly(m);
    expect(names.every((n) => n.endsWith('.bias'))).toBe(true);
    expect(names).toContain('transformer.h.0.attn.c_attn.bias');
    expect(names).toContain('transformer.ln_f.bias');
    expect(stepChanges(m).sort()).toEqual([...names].sort());
    expect(ng.finetune.trainableParameters(m)).toEqual(names);
  });

  it('layerNormOnly trains the LayerNorm weights and biases', () => {
    ng.manualSeed(2);
    const m = new TinyGPT(CFG);
    const names = ng.finetune.layerNormOnly(m);
    expect(names).toEqual([
      'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias', 'transformer.h.0.ln_2.weight', 'transformer.h.0.ln_2.bias',
      'transformer.h.1.ln_1.weight', 'transformer.h.1.ln_1.bias', 'transformer.h.1.ln_2.weight', 'transformer.h.1.ln_2.bias',
      'transformer.ln_f.weight', 'transformer.ln_f.bias',
    ]);
    expect(stepChanges(m).sort()).toEqual([...names].sort());
  });

  it('headOnly on a tied GPT retrains the tied embedding by default; {untie} trains a copy and keeps wte frozen', () => {
    ng.manualSeed(3);
    const tied = new TinyGPT(CFG);
    expect(ng.finetune.headOnly(tied)).toEqual(['transformer.wte.weight']);
    expect(tied.lm_head.weight).toBe(tied.transformer.wte.weight);
    expect(stepChanges(tied)).toEqual(['transformer.wte.weight']);

    ng.manualSeed(3);
    const untied = new TinyGPT(CFG);
    const wte0 = Float32Array.from(untied.transformer.wte.weight.data);
    expect(ng.finetune.headOnly(untied, { untie: true })).toEqual(['lm_head.weight']);
    expect(untied.lm_head.weight).not.toBe(untied.transformer.wte.weight);
    expect(untied.lm_head.weight.data).toEqual(wte0);
    expect(stepChanges(untied)).toEqual(['lm_head.weight']);
    expect(untied.transformer.wte.weight.data).toEqual(wte0);
  });

  it('freezeExcept takes a predicate, a RegExp or PEFT-style names; combines with LoRA', () => {
    ng.manualSeed(4);
    const m = new TinyGPT(CFG);
    expect(ng.finetune.freezeExcept(m, /h\.1\.mlp/)).toEqual(['transformer.h.1.mlp.c_fc.weight', 'transformer.h.1.mlp.c_fc.bias', 'transformer.h.1.mlp.c_proj.weight', 'transformer.h.1.mlp.c_proj.bias']);
    expect(ng.finetune.freezeExcept(m, ['ln_f.weight'])).toEqual(['transformer.ln_f.weight']);
    ng.lora.apply(m, { r: 2, targetModules: ['c_attn'] });
    // LoRA plus biases (PEFT's bias="all" in spirit)
    const names = ng.finetune.freezeExcept(m, (n) => n.includes('.lora_') || n.endsWith('.bias'));
    expect(names).toContain('transformer.h.0.attn.c_attn.lora_A.weight');
    expect(names).toContain('transformer.h.0.attn.c_attn.bias');
    expect(() => ng.finetune.freezeExcept(m, () => false)).toThrow(/picks no parameter/);
    expect(() => ng.finetune.freezeExcept(m, 3 as never)).toThrow(/select must be a function/);
    expect(() => ng.finetune.headOnly(m, { head: 'head' })).toThrow(/no module 'head'/);
    expect(() => ng.finetune.headOnly(m, { unite: true } as never)).toThrow(/did you mean untie/);
    expect(() => ng.finetune.layerNormOnly(new ng.nn.Linear(2, 2))).toThrow(/no LayerNorm/);
  });
});
