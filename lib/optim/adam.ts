import { current } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { checkBeta, checkNonNegative, Optimizer, type Hyper, type ParamGroupInput } from './optimizer.js';

const ADAM_KEYS = ['betas', 'eps', 'weightDecay'] as const;

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba) with PyTorch's bias correction; weightDecay adds wd·p to the gradient (L2).
 * The step count is shared by all parameters (one fused call needs one bias correction); a parameter
 * that first receives a gradient late starts from the shared count.
 */
export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput>, o: AdamOptions = {}, defaults: { weightDecay: number; who: string } = { weightDecay: 0, who: 'Adam' }) {
    checkOptions(o, ['lr', ...ADAM_KEYS], defaults.who);
    super(params, o.lr ?? 1e-3, defaults.who, ADAM_KEYS);
    const [b1, b2] = o.betas ?? [0.9, 0.999];
    checkBeta(b1, 'betas[0]', defaults.who);
    checkBeta(b2, 'betas[1]', defaults.who);
    this.beta1 = b1;
    this.beta2 = b2;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? defaults.weightDecay;
    checkNonNegative(this.eps, 'eps', defaults.who);
    checkNonNegative(this.weightDecay, 'weightDecay', defaults.who);
  }

  protected updateGroup(idx: number[], params: Float32Array[], grads: Float32Array[], lr: number): void {
    checkBeta(this.beta1, 'betas[0]', this.constructor.name);
    checkBeta(this.beta2, 'betas[1]', this.constructor.name);
    current.adamStep(params, grads, this.buffersFor('m', idx), this.buffersFor('v', idx), lr,
      this.beta1, this.beta2, this.eps, this.weightDecay, this.stepCount, this.decoupled);
  }

  protected hyper(): Hyper {
    return { betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay };
  }

  protected setHyper(h: Hyper): void {
    if (Array.isArray(h.betas)) [this.beta1, this.beta2] = h.betas as [number, number];
    if (typeof h.eps === 'number') this.eps = h.eps;
    if (typeof h.weightDecay === 'number') this.weightDecay = h.weightDecay;
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay p −= lr·wd·p, default wd 1e-2. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput>, o: AdamOptions = {}) {
    super(params, o, { weightDecay: 1e-2, who: 'AdamW' });
  }
}
