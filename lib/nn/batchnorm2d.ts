/** BatchNorm2d: per-channel batch normalisation of NCHW input with running statistics (PyTorch names). */
import { batchNormNamed } from '../ops/batchnorm.js';
import { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { Module, Parameter } from './module.js';

export interface BatchNorm2dOptions {
  eps?: number;
  /** running = (1 − momentum)·running + momentum·batch (default 0.1) */
  momentum?: number;
  /** learn weight (init 1) and bias (init 0); default true */
  affine?: boolean;
  /** keep running mean/var for eval mode (default true); false: batch statistics in eval too */
  trackRunningStats?: boolean;
}

/**
 * Training: normalises with the batch mean and biased variance over (N, H, W) and updates
 * running_mean / running_var (unbiased variance) in place; eval: uses the running statistics.
 * Buffers running_mean, running_var, num_batches_tracked (saved in the state dict, like PyTorch).
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  weight: Parameter | null;
  bias: Parameter | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, opts: BatchNorm2dOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new RangeError(`BatchNorm2d: numFeatures must be a positive integer, got ${String(numFeatures)}`);
    }
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new RangeError(`BatchNorm2d: eps must be positive, got ${this.eps}`);
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

  forward(x: Tensor): Tensor {
    const C = this.numFeatures;
    if (!(x instanceof Tensor)) throw new TypeError('BatchNorm2d: expected a Tensor input');
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected a 4-D input [N, ${C}, H, W], got ${fmtShape(x.shape)}`);
    if (x.shape[1] !== C) throw new Error(`BatchNorm2d: expected input with ${C} channels, got ${fmtShape(x.shape)}`);
    // training: batch statistics, running ones updated; eval: running statistics (batch ones when not tracked)
    const useBatch = this.training || this.runningMean === null;
    const y = batchNormNamed(
      x, this.runningMean, this.runningVar, this.weight, this.bias,
      { training: useBatch, momentum: this.momentum, eps: this.eps }, 'BatchNorm2d',
    );
    if (this.training && this.numBatchesTracked !== null) this.numBatchesTracked.data[0] += 1;
    return y;
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}`;
  }
}
