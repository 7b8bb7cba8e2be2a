/**
 * Functional batch normalisation (torch.nn.functional.batch_norm) over [N, C], [N, C, L] or
 * [N, C, H, W] inputs, per channel C. One fused kernel each for the statistics, the normalisation
 * and the gradient; the running-statistics update (C numbers) happens here.
 */
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { fmtShape } from '../util/shape.js';

export interface BatchNormFnOptions {
  /** batch statistics (and running-stat update) when true; running statistics when false (default false, like PyTorch) */
  training?: boolean;
  /** running = (1 − momentum)·running + momentum·batch (default 0.1) */
  momentum?: number;
  eps?: number;
}

/** @internal batchNorm with the caller's name in errors (BatchNorm2d passes its own). */
export function batchNormNamed(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  opts: BatchNormFnOptions, op: string,
): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor input`);
  if (x.ndim < 2) throw new Error(`${op}: expected an input [N, C, ...] with at least 2 dims, got ${fmtShape(x.shape)}`);
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const N = x.shape[0];
  const C = x.shape[1];
  let L = 1;
  for (let i = 2; i < x.ndim; i++) L *= x.shape[i];
  const vec = (t: Tensor | null, what: string): void => {
    if (t !== null && (!(t instanceof Tensor) || t.size !== C || t.ndim !== 1)) {
      throw new Error(`${op}: ${what} must have shape [${C}] for input ${fmtShape(x.shape)}, got ${t instanceof Tensor ? fmtShape(t.shape) : String(t)}`);
    }
  };
  vec(runningMean, 'running mean');
  vec(runningVar, 'running var');
  vec(weight, 'weight');
  vec(bias, 'bias');
  if (!(eps > 0)) throw new RangeError(`${op}: eps must be positive, got ${eps}`);

  const mean = new Float32Array(C);
  const invstd = new Float32Array(C);
  if (training) {
    if (N * L <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
    const variance = new Float32Array(C);
    current.batchNormStats(mean, variance, x.data, N, C, L);
    for (let c = 0; c < C; c++) invstd[c] = 1 / Math.sqrt(variance[c] + eps);
    if (runningMean !== null || runningVar !== null) {
      const unbias = (N * L) / (N * L - 1);
      const rm = runningMean?.data;
      const rv = runningVar?.data;
      for (let c = 0; c < C; c++) {
        if (rm) rm[c] = (1 - momentum) * rm[c] + momentum * mean[c];
        if (rv) rv[c] = (1 - momentum) * rv[c] + momentum * variance[c] * unbias;
      }
    }
  } else {
    if (runningMean === null || runningVar === null) throw new Error(`${op}: running mean and var are required when not training`);
    mean.set(runningMean.data);
    for (let c = 0; c < C; c++) invstd[c] = 1 / Math.sqrt(runningVar.data[c] + eps);
  }
  const out = new Tensor(new Float32Array(x.size), [...x.shape]);
  const gamma = weight === null ? null : weight.data;
  if (x.size > 0) current.batchNormForward(out.data, x.data, mean, invstd, gamma, bias === null ? null : bias.data, N, C, L);

  const needX = x.requiresGrad;
  const needW = weight !== null && weight.requiresGrad;
  const needB = bias !== null && bias.requiresGrad;
  if (isGradEnabled() && (needX || needW || needB)) {
    const inputs = [x];
    if (weight !== null) inputs.push(weight);
    if (bias !== null) inputs.push(bias);
    record(out, inputs, (dout) => {
      const dx = needX ? new Float32Array(x.size) : null;
      const dg = needW ? new Float32Array(C) : null;
      const db = needB ? new Float32Array(C) : null;
      current.batchNormBackward(dx, dg, db, dout, x.data, mean, invstd, gamma, N, C, L, training);
      if (dx !== null) accumulate(x, dx, true);
      if (dg !== null) accumulate(weight!, dg, true);
      if (db !== null) accumulate(bias!, db, true);
    });
  }
  return out;
}

/**
 * Batch normalisation per channel (dim 1): y = (x − μ)/√(σ² + eps)·weight + bias. In training, μ and
 * the biased σ² come from the batch (over N and the spatial dims) and the running statistics, when
 * given, are updated in place with the unbiased variance; otherwise the running statistics are used.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null,
  bias: Tensor | null = null, opts: BatchNormFnOptions = {},
): Tensor {
  checkOptions(opts, ['training', 'momentum', 'eps'], 'batchNorm');
  return batchNormNamed(x, runningMean, runningVar, weight, bias, opts, 'batchNorm');
}
