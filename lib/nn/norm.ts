/** LayerNorm (one fused kernel forward and backward: ./layernorm.ts) and BatchNorm1d/2d (one set of fused batch-norm kernels). */
import { Tensor } from '../tensor.js';
import { fmtShape, shapesEqual, sizeOf } from '../util/shape.js';
import { batchNormNamed } from '../ops/batchnorm.js';
import { layerNorm, normalizedShapeOf } from './layernorm.js';
import { describe } from '../util/describe.js';
import { checkOptions } from '../util/options.js';
import { Module, Parameter } from './module.js';

export interface LayerNormOptions {
  eps?: number;
  /** learn a per-element scale (weight, init 1) and shift (bias, init 0); default true */
  elementwiseAffine?: boolean;
  /** learn the shift (default true; only with elementwiseAffine) */
  bias?: boolean;
}

/** Normalises over the last dims `normalizedShape` with biased variance, then scales and shifts. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  /** `new LayerNorm(shape, {eps, elementwiseAffine, bias})` or PyTorch's positional `(shape, eps, elementwiseAffine)`. */
  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions | number = {}, elementwiseAffine?: boolean) {
    super();
    if (typeof opts === 'number') opts = elementwiseAffine === undefined ? { eps: opts } : { eps: opts, elementwiseAffine };
    else if (elementwiseAffine !== undefined) throw new TypeError('LayerNorm: a positional elementwiseAffine follows a positional eps');
    this.normalizedShape = normalizedShapeOf(normalizedShape, 'LayerNorm');
    checkOptions(opts, ['eps', 'elementwiseAffine', 'bias'], 'LayerNorm');
    this.eps = opts.eps ?? 1e-5;
    if (typeof this.eps !== 'number') throw new TypeError(`LayerNorm: eps must be a non-negative number, got ${describe(this.eps)}`);
    if (!(this.eps >= 0)) throw new RangeError(`LayerNorm: eps must be a non-negative number, got ${String(this.eps)}`);
    for (const k of ['elementwiseAffine', 'bias'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw new TypeError(`LayerNorm: ${k} must be a boolean, got ${describe(opts[k])}`);
    }
    const n = sizeOf(this.normalizedShape);
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(new Float32Array(n).fill(1), [...this.normalizedShape]) : null;
    this.bias = affine && (opts.bias ?? true) ? new Parameter(new Float32Array(n), [...this.normalizedShape]) : null;
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new TypeError(`LayerNorm: expected a Tensor input, got ${describe(x)}`);
    if (x.dtype !== 'float32') throw new TypeError(`LayerNorm: input must be float32, got ${x.dtype}`);
    const k = this.normalizedShape.length;
    if (x.ndim < k || !shapesEqual(x.shape.slice(x.ndim - k), this.normalizedShape)) {
      throw new Error(`LayerNorm: input shape ${fmtShape(x.shape)} does not end with normalized shape ${fmtShape(this.normalizedShape)}`);
    }
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  protected override extraRepr(): string {
    return `${fmtShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

export interface BatchNormOptions {
  eps?: number;
  /** running-stat update factor (default 0.1): running = (1 − m)·running + m·batch */
  momentum?: number;
  /** learn weight (init 1) and bias (init 0); default true */
  affine?: boolean;
  /** keep running mean/var for eval mode (default true); false: batch statistics in eval too */
  trackRunningStats?: boolean;
}

function bnOptions(opts: BatchNormOptions | number, momentum: number | undefined, affine: boolean | undefined, track: boolean | undefined, who: string): BatchNormOptions {
  if (typeof opts !== 'number') {
    if (momentum !== undefined || affine !== undefined || track !== undefined) throw new TypeError(`${who}: positional momentum/affine/trackRunningStats follow a positional eps`);
    return opts;
  }
  const o: BatchNormOptions = { eps: opts };
  if (momentum !== undefined) o.momentum = momentum;
  if (affine !== undefined) o.affine = affine;
  if (track !== undefined) o.trackRunningStats = track;
  return o;
}

/**
 * Per-channel batch normalisation of [N, C, ...] inputs, shared by BatchNorm1d and BatchNorm2d (one
 * set of fused kernels: statistics, normalise+affine, backward). Training normalises with the batch
 * mean and biased variance and updates the running statistics with the unbiased variance (PyTorch);
 * eval uses the running statistics. Buffers: running_mean, running_var, num_batches_tracked.
 */
abstract class BatchNormNd extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  weight: Parameter | null;
  bias: Parameter | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, opts: BatchNormOptions, private readonly layer: string) {
    super();
    checkOptions(opts, ['eps', 'momentum', 'affine', 'trackRunningStats'], layer);
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new RangeError(`${layer}: numFeatures must be a positive integer, got ${String(numFeatures)}`);
    }
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new RangeError(`${layer}: eps must be positive, got ${this.eps}`);
    const affine = opts.affine ?? true;
    this.weight = affine ? new Parameter(new Float32Array(numFeatures).fill(1), [numFeatures]) : null;
    this.bias = affine ? new Parameter(new Float32Array(numFeatures), [numFeatures]) : null;
    if (opts.trackRunningStats ?? true) {
      this.runningMean = new Tensor(new Float32Array(numFeatures), [numFeatures]);
      this.runningVar = new Tensor(new Float32Array(numFeatures).fill(1), [numFeatures]);
      this.numBatchesTracked = new Tensor(new Float32Array(1), []);
      this.registerBuffer('running_mean', this.runningMean);
      this.registerBuffer('running_var', this.runningVar);
      this.registerBuffer('num_batches_tracked', this.numBatchesTracked);
    } else {
      this.runningMean = this.runningVar = this.numBatchesTracked = null;
    }
  }

  /** Throws naming the layer when x is not an input this layer takes. */
  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new TypeError(`${this.layer}: expected a Tensor input`);
    this.checkInput(x);
    const useBatch = this.training || this.runningMean === null;
    const y = batchNormNamed(
      x, this.runningMean, this.runningVar, this.weight, this.bias,
      { training: useBatch, momentum: this.momentum, eps: this.eps }, this.layer,
    );
    if (this.training && this.numBatchesTracked !== null) this.numBatchesTracked.data[0] += 1;
    return y;
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}`;
  }
}

/** Batch normalisation over [N, C] or [N, C, L] inputs per channel C. */
export class BatchNorm1d extends BatchNormNd {
  /** `(numFeatures, {eps, momentum, affine, trackRunningStats})` or PyTorch's positional `(numFeatures, eps, momentum, affine, trackRunningStats)`. */
  constructor(numFeatures: number, opts: BatchNormOptions | number = {}, momentum?: number, affine?: boolean, trackRunningStats?: boolean) {
    super(numFeatures, bnOptions(opts, momentum, affine, trackRunningStats, 'BatchNorm1d'), 'BatchNorm1d');
  }
  protected checkInput(x: Tensor): void {
    const C = this.numFeatures;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== C) {
      throw new Error(`BatchNorm1d: expected input [N, ${C}] or [N, ${C}, L], got ${fmtShape(x.shape)}`);
    }
  }
}

/** Batch normalisation of NCHW input per channel. */
export class BatchNorm2d extends BatchNormNd {
  /** `(numFeatures, {eps, momentum, affine, trackRunningStats})` or PyTorch's positional `(numFeatures, eps, momentum, affine, trackRunningStats)`. */
  constructor(numFeatures: number, opts: BatchNormOptions | number = {}, momentum?: number, affine?: boolean, trackRunningStats?: boolean) {
    super(numFeatures, bnOptions(opts, momentum, affine, trackRunningStats, 'BatchNorm2d'), 'BatchNorm2d');
  }
  protected checkInput(x: Tensor): void {
    const C = this.numFeatures;
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected a 4-D input [N, ${C}, H, W], got ${fmtShape(x.shape)}`);
    if (x.shape[1] !== C) throw new Error(`BatchNorm2d: expected input with ${C} channels, got ${fmtShape(x.shape)}`);
  }
}

/** BatchNorm2d takes the same options as BatchNorm1d. */
export type BatchNorm2dOptions = BatchNormOptions;
