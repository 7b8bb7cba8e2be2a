/**
 * Pretrain a small character-level GPT on Moby Dick, then fine-tune it with LoRA on the State of the Union
 * addresses: the new corpus's validation loss falls and the samples change style — what
 * `nodegrad train gpt` + `nodegrad finetune DIR --corpus sotu` do, written out with the API.
 *
 *   npx tsx examples/finetune-gpt.ts [pretrainSteps] [finetuneSteps]     (default 600 and 300: a few minutes on 2 cores)
 *
 * The base model's vocabulary is Moby Dick's characters; the addresses' characters it lacks become look-alikes
 * (' → ’, " → “) or are dropped (fitToVocab, as the CLI does). LoRA (r 8, alpha 16) wraps c_attn and both c_proj
 * layers and freezes everything else; `ng.lora.saveAdapter` would write the PEFT files, `ng.lora.merge` folds them in.
 */
import * as ng from '../lib/index.js';
import { fitToVocab } from '../lib/cli-finetune.js';
import { estimateLoss, gptLr, randomBatch } from '../lib/cli-gpt.js';

const [B, T] = [16, 64];

function trainLoop(model: ng.models.GPT, opt: ng.optim.AdamW, tokens: Int32Array, val: Int32Array, steps: number, lr: number, label: string, gen: ng.Generator): void {
  const params = model.parameters().filter((p) => p.requiresGrad);
  const evalOpts = { batchSize: B, blockSize: T, iters: 10, seed: 7 };
  model.train();
  for (let step = 0; step < steps; step++) {
    opt.lr = gptLr(step, { lr, minLrRatio: 0.1, warmupSteps: 20, steps });
    const [x, y] = randomBatch(tokens, B, T, gen);
    const loss = ng.F.crossEntropy(model.forward(x).view(-1, model.vocabSize), y.view(-1));
    opt.zeroGrad();
    loss.backward();
    ng.nn.utils.clipGradNorm(params, 1);
    opt.step();
    if ((step + 1) % 100 === 0 || step + 1 === steps) console.log(`${label} step ${step + 1}: train loss ${loss.item().toFixed(3)}, val loss ${estimateLoss(model, val, evalOpts).toFixed(3)}`);
  }
}

function sample(model: ng.models.GPT, tok: ng.data.CharTokenizer, prompt: string): string {
  const ids = tok.encode(prompt);
  const out = model.generate([Array.from(ids)], 200, { temperature: 0.8, topK: 40, generator: new ng.Generator(1) });
  return tok.decode(out.data.subarray(ids.length) as unknown as Int32Array);
}

function main(): void {
  const pretrainSteps = Number(process.argv[2] ?? 600);
  const finetuneSteps = Number(process.argv[3] ?? 300);
  ng.manualSeed(1337);
  const gen = new ng.Generator(1337);

  // 1. pretrain on Moby Dick
  const moby = ng.data.corpus('moby-dick');
  const tok = new ng.data.CharTokenizer(moby);
  const mt = ng.data.splitTokens(tok.encode(moby), 0.9);
  const model = new ng.models.GPT({ vocabSize: tok.vocabSize, blockSize: T, nLayer: 3, nHead: 4, nEmbd: 96 });
  console.log(`GPT ${(model.numParameters() / 1e6).toFixed(2)} M parameters, vocabulary ${tok.vocabSize}`);
  trainLoop(model, model.configureOptimizers({ lr: 2e-3 }), mt.train, mt.val, pretrainSteps, 2e-3, 'pretrain', gen);

  // 2. the new corpus in the base vocabulary
  const { text, mapped, removed } = fitToVocab(ng.data.corpus('sotu'), tok.vocab);
  const count = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`sotu: ${count(mapped)} characters mapped to look-alikes, ${count(removed)} removed (not in Moby Dick's vocabulary)`);
  const st = ng.data.splitTokens(tok.encode(text), 0.9);
  const evalOpts = { batchSize: B, blockSize: T, iters: 10, seed: 7 };
  const prompt = '\nFellow citizens';
  const before = sample(model, tok, prompt);
  const valBefore = estimateLoss(model, st.val, evalOpts);

  // 3. LoRA on c_attn and c_proj; everything else frozen
  ng.lora.apply(model, { r: 8, alpha: 16, targetModules: ['c_attn', 'c_proj'] });
  const trainable = model.parameters().filter((p) => p.requiresGrad);
  console.log(`LoRA: ${trainable.reduce((a, p) => a + p.size, 0)} trainable parameters of ${model.parameters().reduce((a, p) => a + p.size, 0)}`);
  console.log(`sotu val loss before ${valBefore.toFixed(3)}`);
  trainLoop(model, new ng.optim.AdamW(trainable, { lr: 3e-3, weightDecay: 0 }), st.train, st.val, finetuneSteps, 3e-3, 'lora', gen);
  console.log(`sotu val loss after ${estimateLoss(model, st.val, evalOpts).toFixed(3)}`);
  model.eval();
  console.log(`\nsample before fine-tuning:${prompt}${before}\n`);
  console.log(`sample after fine-tuning:${prompt}${sample(model, tok, prompt)}\n`);
  ng.lora.merge(model); // fold the update in: a plain GPT again (model.savePretrained(dir) would write HF GPT-2)
}

main();
