/**
 * `nodegrad finetune DIR --corpus sotu`: fine-tunes a GPT — a folder written by `nodegrad train gpt` (its own
 * tokenizer) or a Hugging Face GPT-2 folder (model.safetensors + config.json; the GPT-2 BPE tokenizer, or the
 * folder's tokenizer.json when it has one) — on another corpus, with LoRA (default: r 8, alpha 16 on c_attn and
 * c_proj) or one of the ng.finetune recipes (head, layernorm, bias, full). Prints the validation loss on the new
 * text (the last 10%, contiguous) before and after, and saves
 *   - LoRA: the adapter folder (PEFT's adapter_model.safetensors + adapter_config.json, whose
 *     base_model_name_or_path points at the base folder), a copy of the tokenizer, and finetune.json;
 *     `nodegrad generate BASE --adapter OUT` applies it;
 *   - --merge, or a recipe: a whole model folder (`nodegrad train gpt`'s format for a nodegrad base, Hugging Face
 *     GPT-2's for a HF base), which `nodegrad generate OUT` reads.
 *
 * Characters of the new corpus that a character-level base has no id for cannot be learned (the vocabulary is the
 * model's rows): each becomes a look-alike the vocabulary has (' → ’, " → “, – → -, ...) or, lacking one, is removed
 * from the new text before tokenizing; both counts and the characters are printed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import * as ng from './index.js';
import { GPT_FORMAT, estimateLoss, gptLr, loadGptDir, lossOf, saveGptDir, windows } from './cli-gpt.js';
import { defaultGenerator } from './random.js';
import { writeFileAtomic } from './io/atomic.js';
import { version } from './version.js';

type Tokenizer = ng.data.Tokenizer;

export const FINETUNE_RECIPES = ['lora', 'head', 'layernorm', 'bias', 'full'] as const;
export type FinetuneRecipe = typeof FINETUNE_RECIPES[number];

export interface FinetuneOptions {
  corpus: string;
  recipe: FinetuneRecipe;
  loraR: number;
  loraAlpha: number;
  loraDropout: number;
  target: string[];
  steps: number;
  lr: number;
  minLrRatio: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number;
  batchSize: number;
  /** context length of the training windows (default: the model's blockSize) */
  blockSize?: number;
  evalInterval: number;
  evalIters: number;
  sampleTokens: number;
  seed: number;
  out?: string;
  merge: boolean;
  bf16Base: boolean;
  checkpointing: boolean;
  progress: boolean;
  backend?: string;
  threads?: number;
}

export const FINETUNE_DEFAULTS: Omit<FinetuneOptions, 'out'> = {
  corpus: 'sotu',
  recipe: 'lora',
  loraR: 8,
  loraAlpha: 16,
  loraDropout: 0,
  target: ['c_attn', 'c_proj'],
  steps: 300,
  lr: 1e-3,
  minLrRatio: 0.1,
  warmupSteps: 20,
  weightDecay: 0,
  gradClip: 1,
  batchSize: 16,
  evalInterval: 100,
  evalIters: 20,
  sampleTokens: 200,
  seed: 1337,
  merge: false,
  bf16Base: false,
  checkpointing: false,
  progress: true,
};

export const FINETUNE_META = 'finetune.json';

/** A model folder: `nodegrad train gpt`'s (format nodegrad.gpt) or a Hugging Face GPT-2 one; with its tokenizer. */
export function loadModelDir(dir: string): { model: ng.models.GPT; tokenizer: Tokenizer; kind: 'nodegrad' | 'hf' } {
  const cfgPath = path.join(dir, 'config.json');
  let meta: Record<string, unknown> | null = null;
  try {
    meta = JSON.parse(fs.readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch {
    meta = null;
  }
  const isHF = meta !== null && meta.format !== GPT_FORMAT && (meta.model_type === 'gpt2' || 'n_embd' in meta);
  if (!isHF) {
    const { model, tokenizer } = loadGptDir(dir);
    return { model, tokenizer, kind: 'nodegrad' };
  }
  const model = ng.models.GPT.fromPretrained(dir);
  const tokFile = path.join(dir, 'tokenizer.json');
  let tokenizer: Tokenizer;
  if (fs.existsSync(tokFile)) tokenizer = ng.data.loadTokenizer(tokFile);
  else tokenizer = ng.data.gpt2Tokenizer();
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(`${dir}: the tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize} rows (put the model's tokenizer.json in the folder)`);
  }
  return { model, tokenizer, kind: 'hf' };
}

/** Reads an adapter folder's finetune.json (if any) and the LoRA weights into `model`. */
export function applyAdapterDir(model: ng.models.GPT, adapterDir: string): void {
  if (!fs.existsSync(path.join(adapterDir, ng.lora.ADAPTER_CONFIG))) {
    throw new Error(`generate: ${adapterDir} has no ${ng.lora.ADAPTER_CONFIG} (not a LoRA adapter folder; save one with nodegrad finetune)`);
  }
  ng.lora.loadAdapter(adapterDir, model);
  model.eval();
}

/** The loader `nodegrad generate DIR [--adapter A]` uses: a nodegrad or HF folder, plus the adapter when given. */
export function loadForGenerate(dir: string, adapter?: string): { model: ng.models.GPT; tokenizer: Tokenizer } {
  const { model, tokenizer } = loadModelDir(dir);
  if (adapter !== undefined) applyAdapterDir(model, adapter);
  return { model, tokenizer };
}

/** Look-alikes tried, in order, for a character the vocabulary lacks (ASCII and typographic quotes and dashes). */
const LOOKALIKES: Record<string, string[]> = {
  "'": ['\u2019', '\u2018'], '"': ['\u201C', '\u201D', "'"], '`': ['\u2018', "'"],
  '\u2019': ["'"], '\u2018': ["'"], '\u201C': ['"'], '\u201D': ['"'],
  '\u2013': ['-'], '\u2014': ['-', '\u2013'], '\u2011': ['-'], '\u2010': ['-'], '\u00A0': [' '], '\t': [' '], '\r': [''],
};

/**
 * Puts `text` into a character vocabulary: a missing character becomes its first look-alike the vocabulary has
 * (' → ’, " → “, – → -, ...), or is removed. Returns the text and the mapped and removed characters with counts.
 */
export function fitToVocab(text: string, vocab: readonly string[]): { text: string; mapped: Map<string, number>; removed: Map<string, number> } {
  const known = new Set(vocab);
  const mapped = new Map<string, number>();
  const removed = new Map<string, number>();
  const subst = new Map<string, string>();
  const parts: string[] = [];
  let start = 0; // start of the current run of known characters
  let i = 0;
  for (const ch of text) {
    if (!known.has(ch)) {
      parts.push(text.slice(start, i));
      let to = subst.get(ch);
      if (to === undefined) {
        to = (LOOKALIKES[ch] ?? []).find((c) => c === '' || known.has(c)) ?? '';
        subst.set(ch, to);
      }
      const key = to === '' ? ch : `${ch}→${to}`;
      const m = to === '' ? removed : mapped;
      m.set(key, (m.get(key) ?? 0) + 1);
      if (to !== '') parts.push(to);
      start = i + ch.length;
    }
    i += ch.length;
  }
  parts.push(text.slice(start));
  return { text: parts.join(''), mapped, removed };
}

function describeChars(m: Map<string, number>): string {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  const list = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([c, n]) => `${JSON.stringify(c)} ×${n}`).join(', ');
  return `${total} characters (${m.size} kinds: ${list}${m.size > 10 ? ', ...' : ''})`;
}

export interface FinetuneResult {
  out: string;
  valLossBefore: number;
  valLossAfter: number;
  trainable: number;
  removedChars: number;
}

function sample(model: ng.models.GPT, tokenizer: Tokenizer, n: number, seed: number): string {
  const prompt = tokenizer.encode('\n');
  const out = model.generate(ng.tensor(prompt, [1, prompt.length]), n, { temperature: 0.8, topK: 40, generator: new ng.Generator(seed) });
  return tokenizer.decode((out.data as unknown as Int32Array).subarray(prompt.length));
}

export async function finetuneGpt(baseDir: string, o: FinetuneOptions): Promise<FinetuneResult> {
  const who = 'finetune';
  if (o.backend) ng.setBackend(o.backend as ng.BackendName);
  if (o.threads !== undefined) ng.setNumThreads(o.threads);
  if (!ng.data.corpusNames.includes(o.corpus as ng.data.CorpusName)) {
    throw new TypeError(`${who}: --corpus must be one of ${ng.data.corpusNames.join(', ')}, got '${o.corpus}'`);
  }
  if (!FINETUNE_RECIPES.includes(o.recipe)) throw new TypeError(`${who}: --recipe must be one of ${FINETUNE_RECIPES.join(', ')}, got '${String(o.recipe)}'`);
  if (o.merge && o.recipe !== 'lora') throw new Error(`${who}: --merge applies to LoRA; --recipe ${o.recipe} already saves the whole model`);
  ng.manualSeed(o.seed);
  const base = path.resolve(baseDir);
  const { model, tokenizer, kind } = loadModelDir(base);
  const T = o.blockSize ?? model.config.blockSize;
  if (T > model.config.blockSize) throw new RangeError(`${who}: --block-size ${T} exceeds the model's blockSize ${model.config.blockSize}`);

  // the new text in the base model's vocabulary
  let removedChars = 0;
  let trainTokens: Int32Array | Uint16Array;
  let valTokens: Int32Array | Uint16Array;
  if (tokenizer.type === 'char') {
    const raw = ng.data.corpus(o.corpus as ng.data.CorpusName);
    const { text, mapped, removed } = fitToVocab(raw, (tokenizer as ng.data.CharTokenizer).vocab);
    removedChars = [...removed.values()].reduce((a, b) => a + b, 0);
    if (mapped.size > 0) console.log(`${o.corpus}: mapped ${describeChars(mapped)} missing from the base model's ${tokenizer.vocabSize}-character vocabulary to look-alikes`);
    if (removedChars > 0) console.log(`${o.corpus}: removed ${describeChars(removed)} that the base model's vocabulary lacks, of ${raw.length}`);
    ({ train: trainTokens, val: valTokens } = ng.data.splitTokens(tokenizer.encode(text), 0.9));
  } else {
    const tc = ng.data.tokenizeCorpus(o.corpus as ng.data.CorpusName, tokenizer);
    trainTokens = tc.train;
    valTokens = tc.val;
  }
  if (valTokens.length < 2 || trainTokens.length <= T) throw new RangeError(`${who}: ${o.corpus} is too short for --block-size ${T}`);

  model.train();
  let trainableNames: string[];
  if (o.recipe === 'lora') {
    ng.lora.apply(model, { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targetModules: o.target });
    trainableNames = ng.finetune.trainableParameters(model);
  } else if (o.recipe === 'head') {
    trainableNames = ng.finetune.headOnly(model);
  } else if (o.recipe === 'layernorm') {
    trainableNames = ng.finetune.layerNormOnly(model);
  } else if (o.recipe === 'bias') {
    trainableNames = ng.finetune.biasOnly(model);
  } else {
    for (const p of model.parameters()) p.requiresGrad = true;
    trainableNames = ng.finetune.trainableParameters(model);
  }
  const cast = o.bf16Base ? ng.finetune.castFrozenWeights(model, 'bfloat16') : [];
  if (o.checkpointing) model.gradientCheckpointingEnable();
  const params = model.parameters().filter((p) => p.requiresGrad);
  const trainable = params.reduce((a, p) => a + p.size, 0);
  const total = model.parameters().reduce((a, q) => a + q.size, 0);
  const optimizer = new ng.optim.AdamW(params, { lr: o.lr, betas: [0.9, 0.95], weightDecay: o.weightDecay });

  const evalOpts = { batchSize: o.batchSize, blockSize: T, iters: o.evalIters, seed: o.seed + 1 };
  const how = o.recipe === 'lora' ? `LoRA r ${o.loraR}, alpha ${o.loraAlpha} on ${o.target.join(', ')}` : `recipe ${o.recipe}`;
  console.log(`fine-tuning ${base} (${kind === 'hf' ? 'Hugging Face GPT-2' : 'nodegrad GPT'}, ${(total / 1e6).toFixed(2)} M parameters, ${tokenizer.type} tokenizer) on ${o.corpus} ` +
    `(${trainTokens.length} train / ${valTokens.length} val tokens): ${how}, ${trainable} trainable parameters (${(100 * trainable / total).toFixed(2)}%, ${trainableNames.length} tensors)` +
    `${cast.length ? `, ${cast.length} frozen weights in bfloat16` : ''}${o.checkpointing ? ', gradient checkpointing' : ''}; ` +
    `${o.steps} steps, batch ${o.batchSize}, block ${T}, AdamW lr ${o.lr}, backend ${ng.getBackend()}`);
  const sampleBefore = o.sampleTokens > 0 ? sample(model, tokenizer, o.sampleTokens, o.seed) : '';
  const valLossBefore = estimateLoss(model, valTokens, evalOpts);
  console.log(`val loss before ${valLossBefore.toFixed(3)}`);

  const sched = { lr: o.lr, minLrRatio: o.minLrRatio, warmupSteps: o.warmupSteps, steps: o.steps };
  const trainSet = windows(trainTokens, T);
  let smooth = NaN;
  let valLoss = valLossBefore;
  const t0 = performance.now();
  for (let step = 0; step < o.steps; step++) {
    optimizer.lr = gptLr(step, sched);
    const [x, y] = trainSet.randomBatch(o.batchSize, defaultGenerator);
    const loss = lossOf(model, x, y);
    optimizer.zeroGrad();
    loss.backward();
    if (o.gradClip > 0) ng.nn.utils.clipGradNorm(params, o.gradClip);
    optimizer.step();
    const l = loss.item();
    smooth = Number.isNaN(smooth) ? l : 0.9 * smooth + 0.1 * l;
    const done = step + 1;
    if (done % o.evalInterval === 0 && done < o.steps) {
      valLoss = estimateLoss(model, valTokens, evalOpts);
      console.log(`step ${done}: train loss ${smooth.toFixed(4)}, val loss ${valLoss.toFixed(3)}`);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  valLoss = estimateLoss(model, valTokens, evalOpts);
  console.log(`step ${o.steps}: train loss ${smooth.toFixed(4)}, val loss ${valLoss.toFixed(3)} (${secs.toFixed(1)} s, ${Math.round(o.steps * o.batchSize * T / Math.max(secs, 1e-9))} tokens/s)`);
  console.log(`val loss after ${valLoss.toFixed(3)}`);
  model.eval();
  if (o.sampleTokens > 0) {
    console.log(`\nsample before (temperature 0.8, top-k 40):\n${sampleBefore}\n`);
    console.log(`sample after:\n${sample(model, tokenizer, o.sampleTokens, o.seed)}\n`);
  }

  const lora = o.recipe === 'lora';
  const out = path.resolve(o.out ?? (lora && !o.merge ? `${base}-${o.corpus}-lora` : `${base}-${o.corpus}`));
  const meta = {
    format: 'nodegrad.finetune', nodegrad: version, base, baseKind: kind, corpus: o.corpus, recipe: o.recipe, steps: o.steps,
    lora: lora ? { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targetModules: o.target } : null,
    merged: lora && o.merge, valLossBefore, valLossAfter: valLoss, removedChars,
  };
  if (lora && !o.merge) {
    ng.lora.saveAdapter(out, model, { baseModelNameOrPath: base, taskType: 'CAUSAL_LM', fanInFanOut: kind === 'hf' });
    ng.data.saveTokenizer(path.join(out, 'tokenizer.json'), tokenizer);
    writeFileAtomic(path.join(out, FINETUNE_META), Buffer.from(`${JSON.stringify(meta, null, 2)}\n`, 'utf8'));
    console.log(`adapter saved to ${out} (generate with: nodegrad generate ${path.relative(process.cwd(), base) || '.'} --adapter ${path.relative(process.cwd(), out) || '.'})`);
  } else {
    if (lora) ng.lora.merge(model);
    // bfloat16 frozen weights go back to float32 so the folder is a plain model
    if (cast.length) ng.finetune.castFrozenWeights(model, 'float32');
    if (kind === 'hf') {
      model.savePretrained(out);
      if (tokenizer.type !== 'gpt2') ng.data.saveTokenizer(path.join(out, 'tokenizer.json'), tokenizer);
    } else {
      saveGptDir(out, model, tokenizer, { corpus: o.corpus, finetunedFrom: base, valLoss, finetune: meta });
    }
    console.log(`model saved to ${out} (generate with: nodegrad generate ${path.relative(process.cwd(), out) || '.'})`);
  }
  return { out, valLossBefore, valLossAfter: valLoss, trainable, removedChars };
}

type Parse = (name: string, min?: number) => (v: string) => number;

/** Registers `nodegrad finetune DIR ...` on the program (lib/cli.ts passes its option parsers). */
export function registerFinetuneCommand(program: Command, p: { int: (name: string, min: number) => (v: string) => number; positive: Parse; nonNegative: Parse }): void {
  const d = FINETUNE_DEFAULTS;
  program
    .command('finetune')
    .description('fine-tune a GPT (a `nodegrad train gpt` folder or a Hugging Face GPT-2 folder) on another corpus, with LoRA or a recipe')
    .argument('<dir>', 'base model folder')
    .option('--corpus <name>', `text to fine-tune on, moby-dick or sotu (default: ${d.corpus})`)
    .option('--recipe <name>', `lora, head (the tied head/embedding), layernorm, bias (BitFit) or full (default: ${d.recipe})`)
    .option('--lora-r <n>', `LoRA rank (default: ${d.loraR})`, p.int('--lora-r', 1))
    .option('--lora-alpha <x>', `LoRA alpha; the update is scaled by alpha / r (default: ${d.loraAlpha})`, p.positive('--lora-alpha'))
    .option('--lora-dropout <p>', `dropout on the LoRA branch's input (default: ${d.loraDropout})`, p.nonNegative('--lora-dropout'))
    .option('--target <list>', `comma-separated module names LoRA wraps (default: ${d.target.join(',')})`)
    .option('--steps <n>', `optimizer steps (default: ${d.steps})`, p.int('--steps', 1))
    .option('--lr <x>', `peak learning rate, AdamW with warm-up and cosine decay (default: ${d.lr})`, p.positive('--lr'))
    .option('--warmup-steps <n>', `linear warm-up steps (default: ${d.warmupSteps})`, p.int('--warmup-steps', 0))
    .option('--weight-decay <x>', `AdamW decoupled weight decay (default: ${d.weightDecay})`, p.nonNegative('--weight-decay'))
    .option('--grad-clip <x>', `clip the gradient norm to this, 0 = off (default: ${d.gradClip})`, p.nonNegative('--grad-clip'))
    .option('--batch-size <n>', `windows per step (default: ${d.batchSize})`, p.int('--batch-size', 1))
    .option('--block-size <n>', 'tokens per window (default: the model\'s blockSize)', p.int('--block-size', 1))
    .option('--eval-interval <n>', `steps between validation losses (default: ${d.evalInterval})`, p.int('--eval-interval', 1))
    .option('--eval-iters <n>', `batches per validation loss (default: ${d.evalIters})`, p.int('--eval-iters', 1))
    .option('--sample-tokens <n>', `tokens of the samples printed before and after, 0 = none (default: ${d.sampleTokens})`, p.int('--sample-tokens', 0))
    .option('--seed <n>', `seed (default: ${d.seed})`, p.int('--seed', 0))
    .option('--out <dir>', 'where the adapter (or the merged model) goes (default: DIR-<corpus>-lora, or DIR-<corpus>)')
    .option('--merge', 'fold the LoRA update into the weights and save a whole model folder instead of the adapter')
    .option('--bf16-base', 'store the frozen Linear weights as bfloat16 while fine-tuning (half their memory)')
    .option('--checkpointing', 'gradient checkpointing: recompute each block\'s activations in backward')
    .option('--no-progress', 'no progress output')
    .option('--backend <name>', 'native or js')
    .option('--threads <n>', 'native kernel threads', p.int('--threads', 1))
    .action(async (dir: string, o: Record<string, unknown>) => {
      const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      if (typeof defined.target === 'string') {
        defined.target = (defined.target as string).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
        if ((defined.target as string[]).length === 0) throw new Error('finetune: --target needs at least one module name');
      }
      if (defined.recipe !== undefined && defined.recipe !== 'lora') {
        const loraOnly = ['loraR', 'loraAlpha', 'loraDropout', 'target', 'merge'].filter((k) => o[k] !== undefined);
        if (loraOnly.length) throw new Error(`finetune: ${loraOnly.map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(', ')} apply to --recipe lora only`);
      }
      await finetuneGpt(dir, {
        ...FINETUNE_DEFAULTS, ...defined, merge: o.merge === true, bf16Base: o.bf16Base === true, checkpointing: o.checkpointing === true, progress: o.progress !== false,
      } as FinetuneOptions);
    });
}
