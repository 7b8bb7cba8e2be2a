// Fine-tuning benchmark (issue 17): one training step (forward, backward, AdamW) of a GPT-2-shaped stack built
// from nn layers (HF GPT-2 child names, pre-LayerNorm blocks, causal SDPA, tanh-GELU MLP, head tied to wte),
// in five configurations, each in its own child process so peak RSS is its own:
//   full      every parameter trained
//   lora      ng.lora r 8 on c_attn (PEFT's GPT-2 default), everything else frozen
//   lora+bf16 the same with frozen Linear weights stored as bfloat16 (ng.finetune.castFrozenWeights)
//   lora+ckpt the same as lora with every block under ng.utils.checkpoint
//   all       lora + bf16 + checkpointing
// Reports the median step time after warm-up, peak RSS (process.resourceUsage().maxRSS) and the trainable
// parameter count. `--model gpt` runs the real ng.models.GPT instead (checkpointing through its
// gradientCheckpointing option); `--gpt2` is GPT-2 124M's shape (12 layers × 768, 12 heads, V 50257, T 64, B 4,
// random weights) on ng.models.GPT. `--target c_attn,c_proj` changes the LoRA targets (default c_attn).
//
//   npm run build && node bench/finetune.mjs [--quick] [--layers 6 --embd 768 --heads 12 --vocab 50257 --T 128 --B 4]
//   node bench/finetune.mjs --gpt2 [--target c_attn,c_proj] [--modes full,lora,...]
//   NODEGRAD_BENCH_ENTRY=$PWD/lib/index.ts node --import tsx bench/finetune.mjs   (without dist/)
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const entry = process.env.NODEGRAD_BENCH_ENTRY ? pathToFileURL(process.env.NODEGRAD_BENCH_ENTRY).href : '../dist/esm/index.mjs';
const opt = (k, d) => (args.includes(`--${k}`) ? Number(args[args.indexOf(`--${k}`) + 1]) : d);
const quick = args.includes('--quick');
const gpt2 = args.includes('--gpt2');
const str = (k, d) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : d);
const CFG = {
  nLayer: opt('layers', gpt2 ? 12 : quick ? 2 : 4), nEmbd: opt('embd', gpt2 ? 768 : quick ? 128 : 384), nHead: opt('heads', gpt2 ? 12 : quick ? 4 : 6),
  vocabSize: opt('vocab', gpt2 ? 50257 : quick ? 1024 : 8192), blockSize: opt('T', gpt2 ? 64 : quick ? 32 : 128), batch: opt('B', 4),
  steps: opt('steps', gpt2 ? 3 : quick ? 3 : 6), threads: opt('threads', 0),
  model: str('model', gpt2 ? 'gpt' : 'stack'), target: str('target', 'c_attn').split(','),
};
const MODES = str('modes', 'full,lora,lora+bf16,lora+ckpt,all').split(',');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function child(mode) {
  const ng = await import(entry);
  const { nn } = ng;
  if (CFG.threads > 0) ng.setNumThreads(CFG.threads);
  class Attn extends nn.Module {
    constructor(C, H) { super(); this.H = H; this.c_attn = new nn.Linear(C, 3 * C); this.c_proj = new nn.Linear(C, C); }
    forward(x) {
      const [B, T, C] = x.shape;
      const [q, k, v] = ng.split(this.c_attn.forward(x), C, 2).map((t) => t.reshape([B, T, this.H, C / this.H]).transpose(1, 2));
      return this.c_proj.forward(ng.F.scaledDotProductAttention(q, k, v, { isCausal: true }).transpose(1, 2).reshape([B, T, C]));
    }
  }
  class Mlp extends nn.Module {
    constructor(C) { super(); this.c_fc = new nn.Linear(C, 4 * C); this.c_proj = new nn.Linear(4 * C, C); }
    forward(x) { return this.c_proj.forward(this.c_fc.forward(x).gelu({ approximate: 'tanh' })); }
  }
  class Block extends nn.Module {
    constructor(C, H) { super(); this.ln_1 = new nn.LayerNorm(C); this.attn = new Attn(C, H); this.ln_2 = new nn.LayerNorm(C); this.mlp = new Mlp(C); }
    forward(x) { x = x.add(this.attn.forward(this.ln_1.forward(x))); return x.add(this.mlp.forward(this.ln_2.forward(x))); }
  }
  class Trunk extends nn.Module {
    constructor(c) {
      super();
      this.wte = new nn.Embedding(c.vocabSize, c.nEmbd);
      this.wpe = new nn.Embedding(c.blockSize, c.nEmbd);
      this.h = new nn.ModuleList(Array.from({ length: c.nLayer }, () => new Block(c.nEmbd, c.nHead)));
      this.ln_f = new nn.LayerNorm(c.nEmbd);
    }
    forward() { throw new Error('unused'); }
  }
  class GPTStack extends nn.Module {
    constructor(c) {
      super();
      this.ckpt = false;
      this.transformer = new Trunk(c);
      this.lm_head = new nn.Linear(c.nEmbd, c.vocabSize, false);
      this.lm_head.weight = this.transformer.wte.weight;
    }
    forward(idx) {
      let x = this.transformer.wte.forward(idx).add(this.transformer.wpe.forward(ng.arange(idx.shape[1]).int()));
      for (const b of this.transformer.h) x = this.ckpt ? ng.utils.checkpoint(b, x) : b.forward(x);
      return this.lm_head.forward(this.transformer.ln_f.forward(x));
    }
  }
  ng.manualSeed(0);
  const real = CFG.model === 'gpt';
  const m = real ? new ng.models.GPT({ vocabSize: CFG.vocabSize, blockSize: CFG.blockSize, nLayer: CFG.nLayer, nHead: CFG.nHead, nEmbd: CFG.nEmbd }) : new GPTStack(CFG);
  if (mode !== 'full') ng.lora.apply(m, { r: 8, alpha: 16, targetModules: CFG.target });
  if (mode === 'lora+bf16' || mode === 'all') ng.finetune.castFrozenWeights(m, 'bfloat16');
  if (mode === 'lora+ckpt' || mode === 'all') { if (real) m.gradientCheckpointingEnable(); else m.ckpt = true; }
  m.train();
  const params = m.parameters().filter((p) => p.requiresGrad);
  const optim = new ng.optim.AdamW(params, { lr: 1e-4 });
  const { batch: B, blockSize: T, vocabSize: V } = CFG;
  const tok = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919) % V);
  const x = ng.tensor(Int32Array.from({ length: B * T }, (_, i) => tok[Math.floor(i / T) * (T + 1) + (i % T)]), [B, T]);
  const y = Int32Array.from({ length: B * T }, (_, i) => tok[Math.floor(i / T) * (T + 1) + (i % T) + 1]);
  const step = () => {
    optim.zeroGrad();
    const loss = ng.F.crossEntropy(m.forward(x).reshape([B * T, V]), y);
    loss.backward();
    optim.step();
    return loss.item();
  };
  step();
  step();
  const ts = [];
  for (let i = 0; i < CFG.steps; i++) {
    const t = performance.now();
    step();
    ts.push(performance.now() - t);
  }
  const trainable = params.reduce((s, p) => s + p.size, 0);
  process.stdout.write(JSON.stringify({ mode, stepMs: median(ts), peakRssMB: process.resourceUsage().maxRSS / 1024, trainable, isa: ng.nativeInfo()?.isa ?? 'js', backend: ng.getBackend() }));
}

if (args[0] === '--child') {
  await child(args[1]);
} else {
  const rows = [];
  for (const mode of MODES) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, ...args], { encoding: 'utf8', env: process.env });
    if (r.status !== 0) { console.error(`${mode} failed:\n${r.stderr}`); process.exit(1); }
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  console.log(`fine-tuning step, ${CFG.model === 'gpt' ? 'ng.models.GPT' : 'GPT-2-shaped stack'} ${CFG.nLayer}L ${CFG.nHead}H ${CFG.nEmbd}d V ${CFG.vocabSize} T ${CFG.blockSize} B ${CFG.batch}, LoRA r 8 on ${CFG.target.join(',')}; ${rows[0].backend} (${rows[0].isa}), load ${os.loadavg()[0].toFixed(2)}`);
  console.log('| mode | trainable params | step ms (median) | peak RSS MB |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.mode} | ${r.trainable.toLocaleString('en-US')} | ${r.stepMs.toFixed(1)} | ${r.peakRssMB.toFixed(1)} |`);
}
