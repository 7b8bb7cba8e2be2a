/**
 * nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.TransformerEncoder with PyTorch's children,
 * parameter names and state-dict keys (`in_proj_weight`, `in_proj_bias`, `out_proj.weight`,
 * `self_attn.…`, `linear1`, `norm1`, `layers.0.…`), so a PyTorch `state_dict()` saved as safetensors
 * loads with loadStateDict and gives PyTorch's outputs.
 *
 * Attention runs on F.scaledDotProductAttention (the fused kernel) when the weights are not asked for;
 * with needWeights the explicit softmax path computes them. The q/k/v heads of self-attention are
 * strided views of one fused projection (no copies). Masks follow MultiheadAttention's convention:
 * a bool attnMask / keyPaddingMask entry true means "masked out" (the opposite of SDPA's), float masks
 * are added. A query row with every key masked out gives output 0 on the fused path (PyTorch's math
 * path gives NaN).
 */
import { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions } from '../util/options.js';
import { add, mul } from '../ops/elementwise.js';
import { where } from '../ops/compare.js';
import { mean } from '../ops/reduce.js';
import { gelu, softmax } from '../ops/activation.js';
import { matmul } from '../ops/matmul.js';
import { narrow, reshape, split, squeeze, transpose, unsqueeze, view } from '../ops/shape.js';
import { triu } from '../ops/indexing.js';
import { ones } from '../tensor.js';
import { constant_, xavierUniform_ } from './init.js';
import { linear } from './fused-linear.js';
import { Dropout, Linear } from './layers.js';
import { LayerNorm } from './norm.js';
import { Module, Parameter } from './module.js';
import { ModuleList } from './containers.js';
import { scaledDotProductAttention } from './attention.js';
import { describe } from '../util/describe.js';


function posInt(v: unknown, name: string, who: string): number {
  if (typeof v !== 'number') throw new TypeError(`${who}: ${name} must be a positive integer, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${who}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function flag(v: unknown, name: string, who: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${who}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** A float32 input tensor of a layer (TypeError naming the layer and the argument otherwise). */
function floatInput(t: unknown, name: string, who: string): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${who}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32') throw new TypeError(`${who}: ${name} must be a float32 tensor, got dtype ${t.dtype}`);
  return t;
}

/** Runs a sub-layer, prefixing its errors with the calling layer's name (same error class). */
function within<T>(who: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(who)) e.message = `${who}: ${e.message}`;
    throw e;
  }
}

function prob(v: unknown, name: string, who: string): number {
  if (typeof v !== 'number') throw new TypeError(`${who}: ${name} must be a number in [0, 1], got ${describe(v)}`);
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${who}: ${name} must be in [0, 1], got ${String(v)}`);
  return v;
}

/** Defines a camelCase alias that is not enumerable (so the PyTorch name is the only state-dict key). */
function alias(obj: object, name: string, get: () => unknown): void {
  Object.defineProperty(obj, name, { get, enumerable: false, configurable: true });
}

export interface MultiheadAttentionOptions {
  dropout?: number;
  bias?: boolean;
  /** inputs are [N, L, E] instead of [L, N, E] */
  batchFirst?: boolean;
  kdim?: number;
  vdim?: number;
}

export interface MultiheadAttentionForwardOptions {
  /** [L, S] or [N·numHeads, L, S]; bool true = masked out, float added */
  attnMask?: Tensor | null;
  /** [N, S] (or [S] unbatched); bool true = ignore that key, float added */
  keyPaddingMask?: Tensor | null;
  /** also return the attention weights (default true, as PyTorch) */
  needWeights?: boolean;
  /** average the returned weights over heads (default true) */
  averageAttnWeights?: boolean;
  /** causal self-attention; without attnMask it builds the causal mask, with one it is a hint (the mask is used) */
  isCausal?: boolean;
}

/** A float mask (−inf where a bool mask is true: MultiheadAttention's convention). */
function floatMask(m: Tensor, what: string): Tensor {
  if (m.dtype === 'bool') return where(m, -Infinity, 0);
  if (m.dtype !== 'float32') throw new TypeError(`MultiheadAttention: ${what} must be a bool or float32 tensor, got dtype ${m.dtype}`);
  return m;
}

/** Multi-head attention (torch.nn.MultiheadAttention). forward → [output, weights | null]. */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  declare readonly inProjWeight: Parameter | null;
  declare readonly qProjWeight: Parameter | null;
  declare readonly kProjWeight: Parameter | null;
  declare readonly vProjWeight: Parameter | null;
  declare readonly inProjBias: Parameter | null;
  declare readonly outProj: Linear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const who = 'MultiheadAttention';
    checkOptions(opts, ['dropout', 'bias', 'batchFirst', 'kdim', 'vdim'], who);
    this.embedDim = posInt(embedDim, 'embedDim', who);
    this.numHeads = posInt(numHeads, 'numHeads', who);
    if (embedDim % numHeads !== 0) throw new RangeError(`${who}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim === undefined ? embedDim : posInt(opts.kdim, 'kdim', who);
    this.vdim = opts.vdim === undefined ? embedDim : posInt(opts.vdim, 'vdim', who);
    this.dropout = prob(opts.dropout ?? 0, 'dropout', who);
    this.batchFirst = flag(opts.batchFirst, 'batchFirst', who, false);
    flag(opts.bias, 'bias', who, true);
    const E = embedDim;
    const same = this.kdim === E && this.vdim === E;
    const mk = (shape: number[]) => new Parameter(new Float32Array(shape[0] * (shape[1] ?? 1)), shape);
    let inW: Parameter | null = null, qW: Parameter | null = null, kW: Parameter | null = null, vW: Parameter | null = null;
    if (same) {
      inW = mk([3 * E, E]);
      xavierUniform_(inW);
      this.registerParameter('in_proj_weight', inW);
    } else {
      qW = mk([E, E]); kW = mk([E, this.kdim]); vW = mk([E, this.vdim]);
      xavierUniform_(qW); xavierUniform_(kW); xavierUniform_(vW);
      this.registerParameter('q_proj_weight', qW);
      this.registerParameter('k_proj_weight', kW);
      this.registerParameter('v_proj_weight', vW);
    }
    const bias = opts.bias ?? true;
    const inB = bias ? mk([3 * E]) : null;
    if (inB) this.registerParameter('in_proj_bias', inB);
    const out = new Linear(E, E, { bias });
    if (out.bias) constant_(out.bias, 0);
    this.registerModule('out_proj', out);
    alias(this, 'inProjWeight', () => inW);
    alias(this, 'qProjWeight', () => qW);
    alias(this, 'kProjWeight', () => kW);
    alias(this, 'vProjWeight', () => vW);
    alias(this, 'inProjBias', () => inB);
    alias(this, 'outProj', () => out);
  }

  /** q, k, v projections as [N, H, L, hd] views. */
  private project(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const E = this.embedDim, H = this.numHeads, hd = this.headDim;
    const heads = (t: Tensor): Tensor => {
      // t: [L, N, E] (or [N, L, E]) → [N, H, L, hd]
      const [a, b] = t.shape;
      const v4 = view(t, [a, b, H, hd]);
      return this.batchFirst ? transpose(v4, 1, 2) : v4.permute(1, 2, 0, 3);
    };
    const bq = this.inProjBias !== null ? narrow(this.inProjBias, 0, 0, E) : null;
    const bk = this.inProjBias !== null ? narrow(this.inProjBias, 0, E, E) : null;
    const bv = this.inProjBias !== null ? narrow(this.inProjBias, 0, 2 * E, E) : null;
    if (this.inProjWeight !== null && query === key && key === value) {
      const qkv = linear(query, this.inProjWeight, this.inProjBias);
      const [q, k, v] = split(qkv, E, -1);
      return [heads(q), heads(k), heads(v)];
    }
    const W = this.inProjWeight;
    const wq = W !== null ? narrow(W, 0, 0, E) : this.qProjWeight!;
    const wk = W !== null ? narrow(W, 0, E, E) : this.kProjWeight!;
    const wv = W !== null ? narrow(W, 0, 2 * E, E) : this.vProjWeight!;
    return [heads(linear(query, wq, bq)), heads(linear(key, wk, bk)), heads(linear(value, wv, bv))];
  }

  /** [output, weights | null]; key and value default to query (self-attention). */
  forward(query: Tensor, key?: Tensor, value?: Tensor, opts: MultiheadAttentionForwardOptions = {}): Tensor & [Tensor, Tensor | null] {
    return this.attend(query, key ?? query, value ?? key ?? query, opts) as unknown as Tensor & [Tensor, Tensor | null];
  }

  /** [output, weights | null] (forward's result, typed as the pair). */
  attend(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const who = 'MultiheadAttention';
    checkOptions(opts, ['attnMask', 'keyPaddingMask', 'needWeights', 'averageAttnWeights', 'isCausal'], who);
    flag(opts.needWeights, 'needWeights', who, true);
    flag(opts.averageAttnWeights, 'averageAttnWeights', who, true);
    flag(opts.isCausal, 'isCausal', who, false);
    for (const [t, n] of [[query, 'query'], [key, 'key'], [value, 'value']] as const) {
      floatInput(t, n, who);
      if (t.ndim !== 2 && t.ndim !== 3) throw new Error(`${who}: ${n} must be 3-D ([L, N, E], or [N, L, E] with batchFirst) or 2-D unbatched, got ${fmtShape(t.shape)}`);
    }
    const unbatched = query.ndim === 2;
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new Error(`${who}: query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} must all be batched or all unbatched`);
    }
    const bdim = this.batchFirst ? 0 : 1;
    let q = unbatched ? unsqueeze(query, bdim) : query;
    let k = unbatched ? unsqueeze(key, bdim) : key;
    let v = unbatched ? unsqueeze(value, bdim) : value;
    if (query === key && key === value) k = v = q;
    const E = this.embedDim, H = this.numHeads;
    if (q.shape[2] !== E) throw new Error(`${who}: query ${fmtShape(query.shape)} has embedding size ${q.shape[2]}, expected embedDim ${E}`);
    if (k.shape[2] !== this.kdim) throw new Error(`${who}: key ${fmtShape(key.shape)} has size ${k.shape[2]}, expected kdim ${this.kdim}`);
    if (v.shape[2] !== this.vdim) throw new Error(`${who}: value ${fmtShape(value.shape)} has size ${v.shape[2]}, expected vdim ${this.vdim}`);
    const N = q.shape[bdim], L = q.shape[1 - bdim], S = k.shape[1 - bdim];
    if (k.shape[bdim] !== N || v.shape[bdim] !== N || v.shape[1 - bdim] !== S) {
      throw new Error(`${who}: query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} disagree in batch size or key count`);
    }
    // one additive mask [N or 1, H or 1, L, S]
    let mask: Tensor | null = null;
    if (opts.attnMask != null) {
      const m = opts.attnMask;
      if (!(m instanceof Tensor)) throw new TypeError(`${who}: attnMask must be a Tensor, got ${describe(m)}`);
      if (m.ndim === 2) {
        if (m.shape[0] !== L || m.shape[1] !== S) throw new Error(`${who}: attnMask ${fmtShape(m.shape)} must be [L, S] = [${L}, ${S}]`);
        mask = floatMask(m, 'attnMask');
      } else if (m.ndim === 3) {
        if (m.shape[0] !== N * H || m.shape[1] !== L || m.shape[2] !== S) throw new Error(`${who}: attnMask ${fmtShape(m.shape)} must be [N·numHeads, L, S] = [${N * H}, ${L}, ${S}]`);
        mask = reshape(floatMask(m, 'attnMask'), [N, H, L, S]);
      } else {
        throw new Error(`${who}: attnMask must be 2-D [L, S] or 3-D [N·numHeads, L, S], got ${fmtShape(m.shape)}`);
      }
    } else if (opts.isCausal) {
      mask = where(triu(ones([L, S], { dtype: 'bool' }), 1), -Infinity, 0);
    }
    if (opts.keyPaddingMask != null) {
      const m = opts.keyPaddingMask;
      if (!(m instanceof Tensor)) throw new TypeError(`${who}: keyPaddingMask must be a Tensor, got ${describe(m)}`);
      const want = unbatched ? [S] : [N, S];
      if (m.ndim !== want.length || m.shape.some((d, i) => d !== want[i])) {
        throw new Error(`${who}: keyPaddingMask ${fmtShape(m.shape)} must be ${fmtShape(want)} ([N, S])`);
      }
      const kp = reshape(floatMask(m, 'keyPaddingMask'), [N, 1, 1, S]);
      mask = mask === null ? kp : add(mask, kp);
    }
    const [qh, kh, vh] = this.project(q, k, v);
    const p = this.training ? this.dropout : 0;
    const needWeights = opts.needWeights ?? true;
    let attn: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      let s = mul(matmul(qh, transpose(kh, -2, -1)), 1 / Math.sqrt(this.headDim));
      if (mask !== null) s = add(s, mask);
      let w = softmax(s, -1);
      if (p > 0) w = new Dropout(p).forward(w);
      attn = matmul(w, vh);
      weights = (opts.averageAttnWeights ?? true) ? mean(w, 1) : w;
      if (unbatched) weights = squeeze(weights, 0);
    } else {
      attn = scaledDotProductAttention(qh, kh, vh, { attnMask: mask, dropoutP: p });
    }
    // [N, H, L, hd] → [L, N, E] (or [N, L, E])
    const merged = this.batchFirst ? reshape(transpose(attn, 1, 2), [N, L, E]) : reshape(attn.permute(2, 0, 1, 3), [L, N, E]);
    let out = this.outProj.forward(merged);
    if (unbatched) out = squeeze(out, bdim);
    return [out, weights];
  }

  protected override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, batchFirst=${this.batchFirst}`;
  }
}

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
}

export interface TransformerEncoderForwardOptions {
  /** attention mask ([L, L] or [N·nhead, L, L]; bool true = masked out) */
  srcMask?: Tensor | null;
  /** [N, L] bool (true = padding) or float */
  srcKeyPaddingMask?: Tensor | null;
  /** causal self-attention */
  isCausal?: boolean;
}

const ENC_KEYS = ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias'];

/** Validates and applies the option handling shared by TransformerEncoderLayer and TransformerDecoderLayer. */
function layerConfig(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions, who: string) {
  dModel = posInt(dModel, 'dModel', who);
  nhead = posInt(nhead, 'nhead', who);
  const ff = posInt(opts.dimFeedforward ?? 2048, 'dimFeedforward', who);
  const p = prob(opts.dropout ?? 0.1, 'dropout', who);
  if (dModel % nhead !== 0) throw new RangeError(`${who}: dModel ${dModel} must be divisible by nhead ${nhead}`);
  const act = opts.activation ?? 'relu';
  if (act !== 'relu' && act !== 'gelu') {
    throw new (typeof act === 'string' ? RangeError : TypeError)(`${who}: activation must be 'relu' or 'gelu', got ${describe(act)}`);
  }
  const activation: 'relu' | 'gelu' = act;
  const eps = opts.layerNormEps ?? 1e-5;
  if (typeof eps !== 'number') throw new TypeError(`${who}: layerNormEps must be a non-negative number, got ${describe(eps)}`);
  if (!(eps >= 0)) throw new RangeError(`${who}: layerNormEps must be a non-negative number, got ${eps}`);
  const bias = flag(opts.bias, 'bias', who, true);
  const normFirst = flag(opts.normFirst, 'normFirst', who, false);
  flag(opts.batchFirst, 'batchFirst', who, false);
  return { dModel, nhead, ff, p, activation, eps, bias, normFirst };
}

/** One encoder block (torch.nn.TransformerEncoderLayer): self-attention and a feed-forward net, post- or pre-norm. */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';
  declare private readonly config: [number, number, TransformerEncoderLayerOptions];
  declare readonly selfAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const who = 'TransformerEncoderLayer';
    checkOptions(opts, ENC_KEYS, who);
    Object.defineProperty(this, 'config', { value: [dModel, nhead, { ...opts }], enumerable: false });
    const { ff, p, eps, bias, ...cfg } = layerConfig(dModel, nhead, opts, who);
    this.dModel = cfg.dModel;
    this.nhead = cfg.nhead;
    this.activation = cfg.activation;
    this.normFirst = cfg.normFirst;
    // children in PyTorch's order: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2
    const sa = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: opts.batchFirst ?? false });
    alias(this, 'selfAttn', () => sa);
    this.registerModule('self_attn', sa);
    this.linear1 = new Linear(dModel, ff, { bias });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    for (const name of ['linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2'] as const) {
      const m = this[name];
      Object.defineProperty(this, name, { value: m, enumerable: false, writable: true });
      this.registerModule(name, m);
    }
  }

  private sa(x: Tensor, o: TransformerEncoderForwardOptions): Tensor {
    const [y] = this.selfAttn.attend(x, x, x, { attnMask: o.srcMask ?? null, keyPaddingMask: o.srcKeyPaddingMask ?? null, needWeights: false, isCausal: o.isCausal ?? false });
    return this.dropout1.forward(y);
  }

  private ff(x: Tensor): Tensor {
    const h = this.activation === 'relu' ? this.linear1.forwardFused(x, 'relu') : gelu(this.linear1.forward(x));
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(h)));
  }

  forward(src: Tensor, opts: TransformerEncoderForwardOptions = {}): Tensor {
    const who = 'TransformerEncoderLayer';
    checkOptions(opts, ['srcMask', 'srcKeyPaddingMask', 'isCausal'], who);
    floatInput(src, 'src', who);
    flag(opts.isCausal, 'isCausal', who, false);
    return within(who, () => {
      let x = src;
      if (this.normFirst) {
        x = add(x, this.sa(this.norm1.forward(x), opts));
        x = add(x, this.ff(this.norm2.forward(x)));
      } else {
        x = this.norm1.forward(add(x, this.sa(x, opts)));
        x = this.norm2.forward(add(x, this.ff(x)));
      }
      return x;
    });
  }

  /** A deep copy: same configuration, a copy of every parameter (PyTorch's copy.deepcopy). */
  copy(): TransformerEncoderLayer {
    const [d, h, o] = this.config;
    const c = new TransformerEncoderLayer(d, h, o);
    const sd = this.stateDict();
    c.loadStateDict(sd);
    c.training = this.training;
    return c;
  }

  protected override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, normFirst=${this.normFirst}, activation=${this.activation}`;
  }
}

/** A stack of numLayers deep copies of `encoderLayer` (torch.nn.TransformerEncoder), then an optional norm. */
export class TransformerEncoder extends Module {
  readonly numLayers: number;
  layers: ModuleList;
  norm: Module | null;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    checkOptions(opts, ['norm'], 'TransformerEncoder');
    if (!(encoderLayer instanceof TransformerEncoderLayer)) throw new TypeError('TransformerEncoder: encoderLayer must be a TransformerEncoderLayer');
    this.numLayers = posInt(numLayers, 'numLayers', 'TransformerEncoder');
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.copy()));
    this.norm = opts.norm ?? null;
  }

  forward(src: Tensor, opts: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    checkOptions(opts, ['mask', 'srcKeyPaddingMask', 'isCausal'], 'TransformerEncoder');
    let x = src;
    for (const layer of this.layers) {
      x = (layer as TransformerEncoderLayer).forward(x, { srcMask: opts.mask ?? null, srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null, isCausal: opts.isCausal ?? false });
    }
    return this.norm !== null ? this.norm.forward(x) : x;
  }
}

export interface TransformerDecoderForwardOptions {
  /** self-attention mask ([T, T] or [N·nhead, T, T]; bool true = masked out) */
  tgtMask?: Tensor | null;
  /** cross-attention mask ([T, S] or [N·nhead, T, S]) */
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  /** causal self-attention */
  tgtIsCausal?: boolean;
}

/**
 * One decoder block (torch.nn.TransformerDecoderLayer): self-attention, cross-attention over `memory`
 * and a feed-forward net, post- or pre-norm. Children in PyTorch's order: self_attn, multihead_attn,
 * linear1, dropout, linear2, norm1, norm2, norm3, dropout1, dropout2, dropout3.
 */
export class TransformerDecoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';
  declare readonly selfAttn: MultiheadAttention;
  declare readonly multiheadAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const who = 'TransformerDecoderLayer';
    checkOptions(opts, ENC_KEYS, who);
    const { ff, p, eps, bias, ...cfg } = layerConfig(dModel, nhead, opts, who);
    this.dModel = cfg.dModel;
    this.nhead = cfg.nhead;
    this.activation = cfg.activation;
    this.normFirst = cfg.normFirst;
    const bf = opts.batchFirst ?? false;
    const sa = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: bf });
    const ca = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: bf });
    alias(this, 'selfAttn', () => sa);
    alias(this, 'multiheadAttn', () => ca);
    this.registerModule('self_attn', sa);
    this.registerModule('multihead_attn', ca);
    this.linear1 = new Linear(dModel, ff, { bias });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.norm3 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.dropout3 = new Dropout(p);
    for (const name of ['linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'norm3', 'dropout1', 'dropout2', 'dropout3'] as const) {
      const m = this[name];
      Object.defineProperty(this, name, { value: m, enumerable: false, writable: true });
      this.registerModule(name, m);
    }
  }

  private sa(x: Tensor, o: TransformerDecoderForwardOptions): Tensor {
    const [y] = this.selfAttn.attend(x, x, x, { attnMask: o.tgtMask ?? null, keyPaddingMask: o.tgtKeyPaddingMask ?? null, needWeights: false, isCausal: o.tgtIsCausal ?? false });
    return this.dropout1.forward(y);
  }

  private mha(x: Tensor, mem: Tensor, o: TransformerDecoderForwardOptions): Tensor {
    const [y] = this.multiheadAttn.attend(x, mem, mem, { attnMask: o.memoryMask ?? null, keyPaddingMask: o.memoryKeyPaddingMask ?? null, needWeights: false });
    return this.dropout2.forward(y);
  }

  private ff(x: Tensor): Tensor {
    const h = this.activation === 'relu' ? this.linear1.forwardFused(x, 'relu') : gelu(this.linear1.forward(x));
    return this.dropout3.forward(this.linear2.forward(this.dropout.forward(h)));
  }

  forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions = {}): Tensor {
    const who = 'TransformerDecoderLayer';
    checkOptions(opts, ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask', 'tgtIsCausal'], who);
    floatInput(tgt, 'tgt', who);
    floatInput(memory, 'memory', who);
    flag(opts.tgtIsCausal, 'tgtIsCausal', who, false);
    return within(who, () => {
      let x = tgt;
      if (this.normFirst) {
        x = add(x, this.sa(this.norm1.forward(x), opts));
        x = add(x, this.mha(this.norm2.forward(x), memory, opts));
        x = add(x, this.ff(this.norm3.forward(x)));
      } else {
        x = this.norm1.forward(add(x, this.sa(x, opts)));
        x = this.norm2.forward(add(x, this.mha(x, memory, opts)));
        x = this.norm3.forward(add(x, this.ff(x)));
      }
      return x;
    });
  }
}
