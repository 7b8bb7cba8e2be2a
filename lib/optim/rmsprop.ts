import { current } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { checkBeta, checkNonNegative, Optimizer, type Hyper, type ParamGroupInput } from './optimizer.js';

const RMSPROP_KEYS = ['alpha', 'eps', 'weightDecay', 'momentum'] as const;

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
}

/** RMSprop (PyTorch semantics, not centred). */
export class RMSprop extends Optimizer {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput>, o: RMSpropOptions = {}) {
    checkOptions(o, ['lr', ...RMSPROP_KEYS], 'RMSprop');
    super(params, o.lr ?? 1e-2, 'RMSprop', RMSPROP_KEYS);
    this.alpha = o.alpha ?? 0.99;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    this.momentum = o.momentum ?? 0;
    checkBeta(this.alpha, 'alpha', 'RMSprop');
    checkNonNegative(this.eps, 'eps', 'RMSprop');
    checkNonNegative(this.weightDecay, 'weightDecay', 'RMSprop');
    checkNonNegative(this.momentum, 'momentum', 'RMSprop');
  }

  protected updateGroup(idx: number[], params: Float32Array[], grads: Float32Array[], lr: number): void {
    const bufs = this.momentum > 0 ? this.buffersFor('momentum', idx) : null;
    current.rmspropStep(params, grads, this.buffersFor('squareAvg', idx), bufs, lr, this.alpha, this.eps,
      this.weightDecay, this.momentum);
  }

  protected hyper(): Hyper {
    return { alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum };
  }

  protected setHyper(h: Hyper): void {
    if (typeof h.alpha === 'number') this.alpha = h.alpha;
    if (typeof h.eps === 'number') this.eps = h.eps;
    if (typeof h.weightDecay === 'number') this.weightDecay = h.weightDecay;
    if (typeof h.momentum === 'number') this.momentum = h.momentum;
  }
}
