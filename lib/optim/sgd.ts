import { current } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { checkNonNegative, Optimizer, type Hyper, type ParamGroupInput } from './optimizer.js';

const SGD_KEYS = ['momentum', 'dampening', 'nesterov', 'weightDecay'] as const;

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with optional momentum / Nesterov / L2 weight decay (PyTorch semantics:
 * the momentum buffer starts as the first gradient).
 */
export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput>, o: SGDOptions) {
    if (!o || typeof o.lr !== 'number') throw new TypeError('SGD: options {lr} are required');
    checkOptions(o, ['lr', ...SGD_KEYS], 'SGD');
    super(params, o.lr, 'SGD', SGD_KEYS);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    checkNonNegative(this.momentum, 'momentum', 'SGD');
    checkNonNegative(this.weightDecay, 'weightDecay', 'SGD');
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD: nesterov momentum requires momentum > 0 and dampening = 0');
    }
  }

  protected updateGroup(idx: number[], params: Float32Array[], grads: Float32Array[], lr: number): void {
    const { momentum, dampening, weightDecay, nesterov } = this;
    if (momentum === 0) {
      current.sgdStep(params, grads, null, lr, 0, dampening, weightDecay, nesterov, false);
      return;
    }
    // A parameter's first update initialises its buffer to the gradient: one call for those that have a
    // buffer and one for those that do not (normally all parameters are in one group).
    const fresh = idx.map((i) => !this.hasBuffer('momentum', i));
    const bufs = this.buffersFor('momentum', idx);
    for (const first of [false, true]) {
      const sel = fresh.map((f, k) => (f === first ? k : -1)).filter((k) => k >= 0);
      if (sel.length === 0) continue;
      current.sgdStep(sel.map((k) => params[k]), sel.map((k) => grads[k]), sel.map((k) => bufs[k]),
        lr, momentum, dampening, weightDecay, nesterov, first);
    }
  }

  protected hyper(): Hyper {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected setHyper(h: Hyper): void {
    if (typeof h.momentum === 'number') this.momentum = h.momentum;
    if (typeof h.dampening === 'number') this.dampening = h.dampening;
    if (typeof h.nesterov === 'boolean') this.nesterov = h.nesterov;
    if (typeof h.weightDecay === 'number') this.weightDecay = h.weightDecay;
  }
}
