/**
 * ng.models.GPT: the GPT-2 decoder as nanoGPT writes it (karpathy/nanoGPT model.py), with Hugging Face
 * GPT-2's parameter names in nn.Linear layout, so a PyTorch nanoGPT `state_dict()` (saved as
 * safetensors) loads unchanged and back.
 *
 *   x = wte[idx] + wpe[0…T)                       (dropout)
 *   nLayer × { x += c_proj(causalAttention(c_attn(ln_1(x))))  (dropout)
 *              x += c_proj(geluTanh(c_fc(ln_2(x))))            (dropout) }
 *   logits = ln_f(x) · wteᵀ                        (lm_head tied to wte: one Parameter)
 *
 * Attention runs on the fused qkv [B, T, 3C] through the backend's flash-style sdpa kernel, reading
 * the heads through strides (./gpt-attention.ts); c_fc's bias and tanh-GELU are fused into its GEMM.
 * Generation keeps a preallocated key/value cache per layer (see `generate`).
 */
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad } from '../autograd.js';
import { Generator } from '../random.js';
import { add, argmax, cumsum, gather, ge, logicalAnd, maskedFill, multinomial, softmax, sub, topk, div, select } from '../ops/index.js';
import { Dropout, Linear } from '../nn/layers.js';
import { LayerNorm } from '../nn/norm.js';
import { Embedding, embedding } from '../nn/embedding.js';
import { ModuleList } from '../nn/containers.js';
import { Module, type LoadStateDictOptions, type LoadStateDictResult, type StateDict } from '../nn/module.js';
import { normal_ } from '../nn/init.js';
import { scaledDotProductAttention } from '../nn/attention.js';
import { indexData } from '../nn/indices.js';
import { AdamW } from '../optim/adam.js';
import { checkOptions } from '../util/options.js';
import { fmtShape } from '../util/shape.js';
import { registerModuleClass } from '../io/model.js';
import { qkvCachedAttention, qkvCausalAttention, type LayerCache } from './gpt-attention.js';
import { checkpoint } from '../checkpoint.js';
import { gptFromPretrained, gptSavePretrained, type FromPretrainedOptions } from './gpt-pretrained.js';

export interface GPTConfig {
  /** number of token ids (GPT-2: 50257) */
  vocabSize: number;
  /** longest context, the rows of wpe (GPT-2: 1024) */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** model width C; a multiple of nHead */
  nEmbd: number;
  /** dropout after the embeddings, on the attention weights and on each residual branch, in training mode (default 0) */
  dropout?: number;
  /** biases in the Linear layers and LayerNorms (default true, as GPT-2) */
  bias?: boolean;
  /** recompute each block's activations in backward (ng.utils.checkpoint) while training (default false; not part of `config`) */
  gradientCheckpointing?: boolean;
}

/** The config a GPT keeps (`model.config`, saved with it): every field but gradientCheckpointing, defaults filled. */
export type GPTModelConfig = Required<Omit<GPTConfig, 'gradientCheckpointing'>>;

const CONFIG_KEYS = ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd', 'dropout', 'bias', 'gradientCheckpointing'] as const;

function checkConfig(c: GPTConfig): GPTModelConfig {
  const who = 'GPT';
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    throw new TypeError(`${who}: expected a config object {vocabSize, blockSize, nLayer, nHead, nEmbd, dropout?, bias?}, got ${c === null ? 'null' : typeof c}`);
  }
  checkOptions(c, CONFIG_KEYS, who);
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    const v = c[k];
    if (v === undefined) throw new TypeError(`${who}: config.${k} is required`);
    if (typeof v !== 'number') throw new TypeError(`${who}: config.${k} must be a number, got ${typeof v}`);
    if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) throw new RangeError(`${who}: config.${k} must be a positive integer, got ${v}`);
  }
  if (c.nEmbd % c.nHead !== 0) {
    throw new RangeError(`${who}: nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead}): each head gets nEmbd / nHead channels`);
  }
  const dropout = c.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new RangeError(`${who}: config.dropout must be in [0, 1), got ${String(dropout)}`);
  const bias = c.bias ?? true;
  if (typeof bias !== 'boolean') throw new TypeError(`${who}: config.bias must be a boolean, got ${typeof bias}`);
  if (c.vocabSize * c.nEmbd > 2 ** 31 - 1 || 4 * c.nEmbd * c.nEmbd > 2 ** 31 - 1) throw new RangeError(`${who}: vocabSize × nEmbd is more than a tensor can hold`);
  return { vocabSize: c.vocabSize, blockSize: c.blockSize, nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd, dropout, bias };
}

/** nanoGPT's CausalSelfAttention: c_attn [3C, C] → causal attention per head → c_proj [C, C]. */
export class CausalSelfAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly nHead: number;
  readonly nEmbd: number;

  constructor(nEmbd: number, nHead: number, dropout: number, bias: boolean) {
    super();
    this.c_attn = new Linear(nEmbd, 3 * nEmbd, { bias });
    this.c_proj = new Linear(nEmbd, nEmbd, { bias });
    this.attn_dropout = new Dropout(dropout);
    this.resid_dropout = new Dropout(dropout);
    this.nHead = nHead;
    this.nEmbd = nEmbd;
  }

  /** x [B, T, C] → [B, T, C]. */
  forward(x: Tensor): Tensor {
    const qkv = this.c_attn.forward(x);
    const p = this.attn_dropout.p;
    let y: Tensor;
    if (p > 0 && this.training) {
      // dropout on the attention weights: SDPA's composed path on head views of qkv
      const [B, T] = x.shape;
      const C = this.nEmbd;
      const hs = C / this.nHead;
      const v5 = qkv.view(B, T, 3, this.nHead, hs);
      const [q, k, v] = [0, 1, 2].map((i) => select(v5, 2, i).transpose(1, 2));
      y = scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: p }).transpose(1, 2).reshape(B, T, C);
    } else {
      y = qkvCausalAttention(qkv, this.nHead);
    }
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }

  /** Generation: the new rows of x attend to the cache (which receives their keys and values). */
  forwardCached(x: Tensor, cache: LayerCache, pos: number, blockSize: number): Tensor {
    const qkv = this.c_attn.forward(x);
    return this.c_proj.forward(qkvCachedAttention(qkv, this.nHead, cache, pos, blockSize));
  }
}

/** nanoGPT's MLP: c_fc [4C, C] → tanh-GELU (fused into c_fc's GEMM epilogue) → c_proj [C, 4C]. */
export class MLP extends Module {
  c_fc: Linear;
  c_proj: Linear;
  dropout: Dropout;

  constructor(nEmbd: number, dropout: number, bias: boolean) {
    super();
    this.c_fc = new Linear(nEmbd, 4 * nEmbd, { bias });
    this.c_proj = new Linear(4 * nEmbd, nEmbd, { bias });
    this.dropout = new Dropout(dropout);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.forwardNoDropout(x));
  }

  /** The MLP as in eval mode (generation). */
  forwardNoDropout(x: Tensor): Tensor {
    return this.c_proj.forward(this.c_fc.forwardFused(x, 'geluTanh'));
  }
}

/** A pre-LayerNorm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
export class Block extends Module {
  ln_1: LayerNorm;
  attn: CausalSelfAttention;
  ln_2: LayerNorm;
  mlp: MLP;

  constructor(c: GPTModelConfig) {
    super();
    this.ln_1 = new LayerNorm(c.nEmbd, { bias: c.bias });
    this.attn = new CausalSelfAttention(c.nEmbd, c.nHead, c.dropout, c.bias);
    this.ln_2 = new LayerNorm(c.nEmbd, { bias: c.bias });
    this.mlp = new MLP(c.nEmbd, c.dropout, c.bias);
  }

  forward(x: Tensor): Tensor {
    x = add(x, this.attn.forward(this.ln_1.forward(x)));
    return add(x, this.mlp.forward(this.ln_2.forward(x)));
  }

  forwardCached(x: Tensor, cache: LayerCache, pos: number, blockSize: number): Tensor {
    x = add(x, this.attn.forwardCached(this.ln_1.forward(x), cache, pos, blockSize));
    return add(x, this.mlp.forwardNoDropout(this.ln_2.forward(x)));
  }
}

/** The `transformer` container of nanoGPT (its ModuleDict): wte, wpe, drop, h, ln_f. */
export class GPTTransformer extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: ModuleList;
  ln_f: LayerNorm;

  constructor(c: GPTModelConfig) {
    super();
    this.wte = new Embedding(c.vocabSize, c.nEmbd);
    this.wpe = new Embedding(c.blockSize, c.nEmbd);
    this.drop = new Dropout(c.dropout);
    this.h = new ModuleList(Array.from({ length: c.nLayer }, () => new Block(c)));
    this.ln_f = new LayerNorm(c.nEmbd, { bias: c.bias });
  }

  forward(): Tensor {
    throw new Error('GPTTransformer: not callable on its own; call GPT.forward(idx)');
  }
}

export interface GenerateOptions {
  /** logits are divided by it before sampling; 0 = greedy (argmax). Default 1 */
  temperature?: number;
  /** sample only among the topK most likely tokens */
  topK?: number | null;
  /** nucleus sampling: the smallest set of most likely tokens whose probability reaches topP (at least one is kept) */
  topP?: number | null;
  /** the random generator to draw from (default: the library's, seeded by ng.manualSeed) */
  generator?: Generator;
  /** called after every step with the B new token ids (one per row) and the step index; return false to stop early */
  onToken?: (ids: Int32Array, step: number) => void | boolean;
  /** keep keys and values between steps (default true, Hugging Face's use_cache); false recomputes the whole (cropped) context every step */
  useCache?: boolean;
}

const GEN_KEYS = ['temperature', 'topK', 'topP', 'generator', 'onToken', 'useCache'] as const;

interface Sampling {
  useCache: boolean;
  temperature: number;
  topK: number | null;
  topP: number | null;
  generator: Generator | undefined;
}

const TIED = ['transformer.wte.weight', 'lm_head.weight'] as const;
const MASK_BUFFER = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;

/**
 * A GPT-2 language model (nanoGPT). Parameters use Hugging Face GPT-2's names in nn.Linear layout
 * (`transformer.h.0.attn.c_attn.weight` is [3C, C]); `lm_head.weight` is the same Parameter as
 * `transformer.wte.weight` (listed once by `parameters()`, under both names by `stateDict()`).
 * GPT-2 initialisation: Linear and Embedding weights N(0, 0.02), the residual projections
 * (`c_proj.weight`) N(0, 0.02/√(2·nLayer)), biases 0, LayerNorm 1 and 0.
 *
 * ```ts
 * const model = new ng.models.GPT({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
 * const opt = model.configureOptimizers({ weightDecay: 0.1, lr: 1e-3, betas: [0.9, 0.95] });
 * const logits = model.forward(x);                                  // [B, T, 65]
 * const loss = ng.F.crossEntropy(logits.view(-1, 65), y.view(-1));
 * opt.zeroGrad(); loss.backward(); ng.nn.utils.clipGradNorm(model.parameters(), 1); opt.step();
 * const out = model.generate([[0]], 100, { temperature: 0.8, topK: 20 });  // int32 [1, 101]
 * ```
 */
export class GPT extends Module {
  readonly config: GPTModelConfig;
  transformer: GPTTransformer;
  lm_head: Linear;
  /** wrap each block's forward in ng.utils.checkpoint in training mode with grad on (HF's gradient_checkpointing) */
  gradientCheckpointing: boolean;

  constructor(config: GPTConfig) {
    super();
    const c = checkConfig(config);
    this.config = c;
    const gc = config.gradientCheckpointing ?? false;
    if (typeof gc !== 'boolean') throw new TypeError(`GPT: config.gradientCheckpointing must be a boolean, got ${typeof gc}`);
    this.gradientCheckpointing = gc;
    this.transformer = new GPTTransformer(c);
    this.lm_head = new Linear(c.nEmbd, c.vocabSize, { bias: false });
    // weight tying (nanoGPT: transformer.wte.weight = lm_head.weight): one Parameter, two uses
    this.lm_head.weight = this.transformer.wte.weight;
    this.initWeights();
  }

  /** GPT-2's initialisation (nanoGPT `_init_weights` plus the scaled residual projections). */
  private initWeights(): void {
    const std = 0.02;
    const projStd = 0.02 / Math.sqrt(2 * this.config.nLayer);
    for (const [name, p] of this.namedParameters()) {
      if (p.ndim === 2) normal_(p, 0, name.endsWith('c_proj.weight') ? projStd : std);
      else if (name.endsWith('.bias')) p.data.fill(0);
      else p.data.fill(1); // LayerNorm weights
    }
  }

  get blockSize(): number {
    return this.config.blockSize;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  private blocks(): Block[] {
    return [...this.transformer.h] as Block[];
  }

  /** idx → its token ids (validated against vocabSize) with B and T. */
  private tokens(idx: Tensor | readonly (readonly number[])[], who: string): { ids: Int32Array; B: number; T: number } {
    const V = this.config.vocabSize;
    let B: number;
    let T: number;
    let src: Tensor | number[];
    if (idx instanceof Tensor) {
      if (idx.dtype !== 'int32') throw new TypeError(`${who}: idx must be an int32 tensor of token ids [B, T], got dtype ${idx.dtype}`);
      if (idx.ndim !== 2) throw new Error(`${who}: idx must be [B, T] (batch, time), got shape ${fmtShape(idx.shape)}${idx.ndim === 1 ? ' (add a batch dim: idx.unsqueeze(0))' : ''}`);
      [B, T] = idx.shape;
      src = idx;
    } else if (Array.isArray(idx)) {
      B = idx.length;
      if (B === 0 || !Array.isArray(idx[0])) throw new TypeError(`${who}: idx must be an int32 tensor [B, T] or a number[][] of token ids (one array per row)`);
      T = idx[0].length;
      const flat: number[] = [];
      idx.forEach((row, r) => {
        if (!Array.isArray(row)) throw new TypeError(`${who}: idx row ${r} is not an array of token ids`);
        if (row.length !== T) throw new Error(`${who}: idx rows must have equal lengths (row 0 has ${T}, row ${r} has ${row.length})`);
        for (const v of row) {
          if (typeof v !== 'number') throw new TypeError(`${who}: token ids must be numbers, got ${typeof v} in row ${r}`);
          flat.push(v);
        }
      });
      src = flat;
    } else {
      throw new TypeError(`${who}: idx must be an int32 tensor [B, T] or a number[][] of token ids, got ${idx === null ? 'null' : typeof idx}`);
    }
    if (B < 1 || T < 1) throw new RangeError(`${who}: idx must hold at least one token per row, got [${B}, ${T}]`);
    const at = (i: number) => `row ${Math.floor(i / T)}, position ${i % T}`;
    const ids = indexData(src, V, {
      range: (v, i) => `${who}: token id ${v} (${at(i)}) is out of range for vocabSize ${V}`,
      notInteger: (v, i) => `${who}: token id ${v} (${at(i)}) is not an integer`,
    });
    return { ids, B, T };
  }

  /** The residual stream after the embeddings for ids [B, L] at positions pos0… (no dropout when `train` is false). */
  private embed(ids: Int32Array, B: number, L: number, pos0: number, train: boolean): Tensor {
    const tok = embedding(new Tensor(ids, [B, L], false, undefined, 0, 'int32'), this.transformer.wte.weight);
    const positions = new Int32Array(L);
    for (let t = 0; t < L; t++) positions[t] = pos0 + t;
    const x = add(tok, embedding(positions, this.transformer.wpe.weight));
    return train ? this.transformer.drop.forward(x) : x;
  }

  /**
   * Logits [B, T, vocabSize] for token ids idx: an int32 tensor [B, T] or a number[][]. T must not
   * exceed blockSize (RangeError); ids must lie in [0, vocabSize). For the language-modelling loss use
   * `F.crossEntropy(logits.view(-1, V), targets.view(-1))` (a view, no copy of the logits).
   */
  forward(idx: Tensor | readonly (readonly number[])[]): Tensor {
    const { ids, B, T } = this.tokens(idx, 'GPT.forward');
    if (T > this.config.blockSize) {
      throw new RangeError(`GPT.forward: cannot run a sequence of length ${T}, blockSize is only ${this.config.blockSize}`);
    }
    let x = this.embed(ids, B, T, 0, true);
    const ckpt = this.gradientCheckpointing && this.training && isGradEnabled();
    for (const b of this.blocks()) x = ckpt ? checkpoint(b, x) : b.forward(x);
    return this.lm_head.forward(this.transformer.ln_f.forward(x));
  }

  /** Last-position logits [B, V] of ids [B, L] (positions pos0…): through the cache. */
  private cachedLogits(ids: Int32Array, B: number, L: number, pos0: number, caches: LayerCache[]): Tensor {
    let x = this.embed(ids, B, L, pos0, false);
    const blocks = this.blocks();
    for (let i = 0; i < blocks.length; i++) x = blocks[i].forwardCached(x, caches[i], pos0, this.config.blockSize);
    const last = L === 1 ? x : select(x, 1, L - 1);
    return this.lm_head.forward(this.transformer.ln_f.forward(last.reshape(B, this.config.nEmbd)));
  }

  /**
   * Appends maxNewTokens sampled tokens to each row of idx ([B, T] int32 tensor or number[][]) and
   * returns int32 [B, T + maxNewTokens] (PyTorch/nanoGPT's `generate`). Runs under noGrad and without
   * dropout (as in eval mode), whatever the training flag.
   *
   * Sampling (Hugging Face's order): logits / temperature → topK → topP → ng.multinomial with
   * `generator`; temperature 0 is greedy argmax, as is topK 1. topP keeps at least one token.
   *
   * KV cache: a [B, nHead, blockSize, hs] key and value buffer per layer is allocated once per call;
   * the prompt runs once (causal), then each step runs one query row over the cached keys. Greedy output
   * is the same as re-running the full forward every step. When the context grows past blockSize the
   * model (learned absolute positions) must see the last blockSize tokens at positions 0…blockSize−1,
   * as nanoGPT crops them; every position shifts, so from then on each step recomputes that cropped
   * window (one full forward of blockSize rows per token, as nanoGPT) instead of using the cache.
   *
   * Streaming: `onToken(ids, step)` is called with the B new ids after each step (return false to stop
   * early; the result then holds only the tokens made so far), or iterate `model.stream(...)`.
   */
  generate(idx: Tensor | readonly (readonly number[])[], maxNewTokens: number, opts: GenerateOptions = {}): Tensor {
    checkOptions(opts, GEN_KEYS, 'GPT.generate');
    const onToken = opts.onToken;
    if (onToken !== undefined && typeof onToken !== 'function') throw new TypeError(`GPT.generate: onToken must be a function, got ${typeof onToken}`);
    const { ids, B, T } = this.tokens(idx, 'GPT.generate');
    const s = checkSampling(opts, 'GPT.generate');
    checkCount(maxNewTokens, 'GPT.generate');
    const out = new Int32Array(B * (T + maxNewTokens));
    let made = 0;
    for (const next of this.steps(ids, B, T, maxNewTokens, s, out)) {
      const stop = onToken !== undefined && onToken(next, made) === false;
      made++;
      if (stop) break;
    }
    const total = T + made;
    const res = made === maxNewTokens ? out : compactRows(out, B, T + maxNewTokens, total);
    return new Tensor(res, [B, total], false, undefined, 0, 'int32');
  }

  /**
   * The streaming form of generate: yields the B new token ids (Int32Array, one per row) after each
   * step; `for (const ids of model.stream(prompt, 200, {temperature: 0.8})) write(decode(ids))`.
   * Options as generate (without onToken). Breaking out of the loop stops generation.
   */
  stream(idx: Tensor | readonly (readonly number[])[], maxNewTokens: number, opts: Omit<GenerateOptions, 'onToken'> = {}): IterableIterator<Int32Array> {
    checkOptions(opts, GEN_KEYS.filter((k) => k !== 'onToken'), 'GPT.stream');
    const { ids, B, T } = this.tokens(idx, 'GPT.stream');
    const s = checkSampling(opts, 'GPT.stream');
    checkCount(maxNewTokens, 'GPT.stream');
    return this.steps(ids, B, T, maxNewTokens, s, new Int32Array(B * (T + maxNewTokens)));
  }

  /** The decoding loop; writes the whole sequence into out [B, T + n] as it goes. */
  private *steps(prompt: Int32Array, B: number, T: number, n: number, s: Sampling, out: Int32Array): IterableIterator<Int32Array> {
    const { blockSize, nLayer, nHead, nEmbd } = this.config;
    const width = T + n;
    for (let b = 0; b < B; b++) out.set(prompt.subarray(b * T, (b + 1) * T), b * width);
    if (n === 0) return;
    const hs = nEmbd / nHead;
    const caches: LayerCache[] = Array.from({ length: nLayer }, () => ({
      k: new Float32Array(B * nHead * blockSize * hs), v: new Float32Array(B * nHead * blockSize * hs),
    }));
    let len = T; // tokens in out per row
    let cached = 0; // positions of the cache that hold the current context (from position 0)
    for (let step = 0; step < n; step++) {
      const next = noGrad(() => {
        let logits: Tensor;
        if (s.useCache && len <= blockSize && cached > 0 && cached === len - 1) {
          const last = new Int32Array(B);
          for (let b = 0; b < B; b++) last[b] = out[b * width + len - 1];
          logits = this.cachedLogits(last, B, 1, len - 1, caches);
          cached = len;
        } else {
          // the prompt, or (past blockSize) the cropped window of the last blockSize tokens
          const L = Math.min(len, blockSize);
          const win = new Int32Array(B * L);
          for (let b = 0; b < B; b++) win.set(out.subarray(b * width + len - L, b * width + len), b * L);
          logits = this.cachedLogits(win, B, L, 0, caches);
          cached = len <= blockSize ? len : -1;
        }
        return sampleNext(logits, s);
      });
      for (let b = 0; b < B; b++) out[b * width + len] = next[b];
      len++;
      yield next;
    }
  }

  /**
   * AdamW with nanoGPT's parameter groups: weight decay on every parameter of 2 or more dims (matmul
   * weights and embeddings), none on biases and LayerNorm weights. Frozen parameters are left out.
   * Defaults are nanoGPT train.py's: weightDecay 0.1, lr 6e-4, betas [0.9, 0.95], eps 1e-8.
   */
  configureOptimizers(opts: { weightDecay?: number; lr?: number; betas?: [number, number]; eps?: number } = {}): AdamW {
    checkOptions(opts, ['weightDecay', 'lr', 'betas', 'eps'], 'GPT.configureOptimizers');
    const params = this.parameters().filter((p) => p.requiresGrad);
    const decay = params.filter((p) => p.ndim >= 2);
    const rest = params.filter((p) => p.ndim < 2);
    const weightDecay = opts.weightDecay ?? 0.1;
    const groups = [{ params: decay, weightDecay }, { params: rest, weightDecay: 0 }].filter((g) => g.params.length > 0);
    return new AdamW(groups, { lr: opts.lr ?? 6e-4, betas: opts.betas ?? [0.9, 0.95], eps: opts.eps ?? 1e-8, weightDecay });
  }

  /** Every parameter under PyTorch's names, both tied names included (`lm_head.weight` last, as PyTorch). */
  override stateDict(): StateDict {
    const sd = super.stateDict();
    sd['lm_head.weight'] = this.transformer.wte.weight.detach();
    return sd;
  }

  /**
   * Loads a state dict holding both tied names (PyTorch's `state_dict()`) or either one; when both are
   * given they must be equal. The causal-mask buffers `transformer.h.{i}.attn.bias` / `.attn.masked_bias`
   * that nanoGPT on PyTorch < 2 and Hugging Face checkpoints carry are ignored.
   */
  override loadStateDict(sd: StateDict | Map<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    if (sd === null || typeof sd !== 'object') return super.loadStateDict(sd, opts);
    const src = new Map(sd instanceof Map ? sd : Object.entries(sd));
    for (const k of [...src.keys()]) if (MASK_BUFFER.test(k)) src.delete(k);
    const [wte, head] = TIED.map((k) => src.get(k));
    if (wte !== undefined && head !== undefined && wte !== head) {
      if (!(wte instanceof Tensor) || !(head instanceof Tensor)) return super.loadStateDict(src, opts);
      const a = wte.data;
      const b = head.data;
      if (a.length !== b.length || a.some((v, i) => v !== b[i] && !(Number.isNaN(v) && Number.isNaN(b[i])))) {
        throw new Error('GPT.loadStateDict: transformer.wte.weight and lm_head.weight differ, but this GPT ties them (one tensor)');
      }
    }
    if (wte === undefined && head !== undefined) src.set(TIED[0], head);
    if (head === undefined && wte !== undefined) src.set(TIED[1], wte);
    const r = super.loadStateDict(src, opts);
    const given = (k: string) => (sd instanceof Map ? sd.has(k) : k in sd);
    const missingKeys = r.missingKeys.filter((k) => !(TIED.includes(k as typeof TIED[number]) && (given(TIED[0]) || given(TIED[1]))));
    return { missingKeys, unexpectedKeys: r.unexpectedKeys };
  }

  /** Hugging Face's gradient_checkpointing_enable(): recompute block activations in backward while training. */
  gradientCheckpointingEnable(): this {
    this.gradientCheckpointing = true;
    return this;
  }

  gradientCheckpointingDisable(): this {
    this.gradientCheckpointing = false;
    return this;
  }

  /**
   * A Hugging Face GPT-2 checkpoint (a model.safetensors file, or a folder with it and config.json) or a folder
   * written by `nodegrad train gpt`, in eval mode (see ./gpt-pretrained.ts).
   */
  static fromPretrained(p: string, opts: FromPretrainedOptions = {}): GPT {
    return gptFromPretrained(GPT, p, opts);
  }

  /** Writes a Hugging Face GPT-2 folder: model.safetensors (the tied tensor once, Conv1D layout) and config.json. */
  savePretrained(dir: string): void {
    gptSavePretrained(this, dir);
  }

  /** The constructor's config (for ng.saveModel / ng.loadModel). */
  getConfig(): GPTModelConfig {
    return { ...this.config };
  }

  static fromConfig(config: unknown): GPT {
    return new GPT(config as GPTConfig);
  }

  protected override extraRepr(): string {
    const c = this.config;
    return `vocabSize=${c.vocabSize}, blockSize=${c.blockSize}, nLayer=${c.nLayer}, nHead=${c.nHead}, nEmbd=${c.nEmbd}, dropout=${c.dropout}, bias=${c.bias}`;
  }
}

registerModuleClass(GPT);

function checkCount(n: number, who: string): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new RangeError(`${who}: maxNewTokens must be a non-negative integer, got ${String(n)}`);
}

function checkSampling(o: GenerateOptions, who: string): Sampling {
  const temperature = o.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`${who}: temperature must be a finite number ≥ 0, got ${String(temperature)}`);
  }
  const topK = o.topK ?? null;
  if (topK !== null && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1)) {
    throw new RangeError(`${who}: topK must be a positive integer, got ${String(topK)}`);
  }
  const topP = o.topP ?? null;
  if (topP !== null && (typeof topP !== 'number' || !(topP >= 0 && topP <= 1))) {
    throw new RangeError(`${who}: topP must be in [0, 1], got ${String(topP)}`);
  }
  const generator = o.generator;
  if (generator !== undefined && !(generator instanceof Generator)) throw new TypeError(`${who}: generator must be an ng.Generator`);
  const useCache = o.useCache ?? true;
  if (typeof useCache !== 'boolean') throw new TypeError(`${who}: useCache must be a boolean, got ${typeof useCache}`);
  return { useCache, temperature, topK, topP, generator };
}

/** The next token per row from last-position logits [B, V] (temperature → topK → topP → multinomial). */
function sampleNext(logits: Tensor, s: Sampling): Int32Array {
  const [B, V] = logits.shape;
  if (s.temperature === 0 || s.topK === 1) return argmax(logits, -1).data as unknown as Int32Array;
  const l = s.temperature === 1 ? logits : div(logits, s.temperature);
  const gen = s.generator !== undefined ? { generator: s.generator } : {};
  const filterP = s.topP !== null && s.topP < 1;
  if (s.topK === null && !filterP) return multinomial(softmax(l, -1), 1, gen).data as unknown as Int32Array;
  // the candidates in descending order: the topK (or all V) largest logits
  const { values, indices } = topk(l, Math.min(s.topK ?? V, V), -1);
  let v = values;
  if (filterP) {
    // drop a candidate once the probability of those before it reaches topP; the first always stays
    const probs = softmax(v, -1);
    const before = sub(cumsum(probs, -1), probs);
    const k = v.shape[1];
    const notFirst = new Tensor(Uint8Array.from({ length: k }, (_, j) => (j > 0 ? 1 : 0)), [1, k], false, undefined, 0, 'bool');
    v = maskedFill(v, logicalAnd(ge(before, s.topP!), notFirst), -Infinity);
  }
  const pick = multinomial(softmax(v, -1), 1, gen);
  return gather(indices, 1, pick).data.slice(0, B) as unknown as Int32Array;
}

/** The first `keep` columns of each row of a [B, width] int32 buffer. */
function compactRows(buf: Int32Array, B: number, width: number, keep: number): Int32Array {
  const out = new Int32Array(B * keep);
  for (let b = 0; b < B; b++) out.set(buf.subarray(b * width, b * width + keep), b * keep);
  return out;
}
