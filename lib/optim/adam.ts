import { UnaryOp } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { checkBeta, checkNonNegative, Optimizer, type Hyper, type ParamGroupInput } from './optimizer.js';

const ADAM_KEYS = ['betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'] as const;

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** keep the running maximum of v and divide by it (Reddi et al.; PyTorch's amsgrad), default false */
  amsgrad?: boolean;
  /** ascend the objective instead of descending (the gradient's sign flipped), default false */
  maximize?: boolean;
}

/**
 * Adam (Kingma & Ba) with PyTorch's bias correction; weightDecay adds wd·p to the gradient (L2).
 * `maximize` feeds the negated gradients to the same fused kernel; `amsgrad` runs an unfused update
 * (a plain loop in float64 like the js kernel, an extra state buffer 'vmax') — the fused js/native
 * kernels are used whenever amsgrad is off.
 * The step count is shared by all parameters (one fused call needs one bias correction); a parameter
 * that first receives a gradient late starts from the shared count.
 */
export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
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
    this.amsgrad = o.amsgrad ?? false;
    this.maximize = o.maximize ?? false;
    for (const k of ['amsgrad', 'maximize'] as const) {
      if (typeof this[k] !== 'boolean') throw new TypeError(`${defaults.who}: ${k} must be a boolean, got ${typeof this[k]}`);
    }
    checkNonNegative(this.eps, 'eps', defaults.who);
    checkNonNegative(this.weightDecay, 'weightDecay', defaults.who);
  }

  protected updateGroup(idx: number[], params: Float32Array[], grads: Float32Array[], lr: number): void {
    checkBeta(this.beta1, 'betas[0]', this.constructor.name);
    checkBeta(this.beta2, 'betas[1]', this.constructor.name);
    if (this.maximize) {
      grads = grads.map((g) => {
        const ng = new Float32Array(g.length);
        current.unary(UnaryOp.scale, g, ng, g.length, -1);
        return ng;
      });
    }
    if (this.amsgrad) {
      this.amsgradStep(params, grads, this.buffersFor('m', idx), this.buffersFor('v', idx), this.buffersFor('vmax', idx), lr);
      return;
    }
    current.adamStep(params, grads, this.buffersFor('m', idx), this.buffersFor('v', idx), lr,
      this.beta1, this.beta2, this.eps, this.weightDecay, this.stepCount, this.decoupled);
  }

  /** The js kernel's update with v replaced by its running maximum in the denominator (PyTorch's amsgrad). */
  private amsgradStep(params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[], vmax: Float32Array[], lr: number): void {
    const { beta1, beta2, eps } = this;
    const step = this.stepCount;
    const stepSize = lr / (1 - beta1 ** step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    const decay = this.decoupled ? 1 - lr * this.weightDecay : 1;
    const wd = this.decoupled ? 0 : this.weightDecay;
    for (let t = 0; t < params.length; t++) {
      const p = params[t], g = grads[t], mt = m[t], vt = v[t], vm = vmax[t];
      for (let i = 0; i < p.length; i++) {
        const pi = p[i] * decay;
        const gi = g[i] + wd * pi;
        const mi = beta1 * mt[i] + (1 - beta1) * gi;
        const vi = beta2 * vt[i] + (1 - beta2) * gi * gi;
        mt[i] = mi;
        vt[i] = vi;
        const vmi = Math.max(vm[i], Math.fround(vi));
        vm[i] = vmi;
        p[i] = pi - stepSize * (mi / (Math.sqrt(vmi) / bc2Sqrt + eps));
      }
    }
  }

  protected hyper(): Hyper {
    return { betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad, maximize: this.maximize };
  }

  protected setHyper(h: Hyper): void {
    if (Array.isArray(h.betas)) [this.beta1, this.beta2] = h.betas as [number, number];
    if (typeof h.eps === 'number') this.eps = h.eps;
    if (typeof h.weightDecay === 'number') this.weightDecay = h.weightDecay;
    if (typeof h.amsgrad === 'boolean') this.amsgrad = h.amsgrad;
    if (typeof h.maximize === 'boolean') this.maximize = h.maximize;
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay p −= lr·wd·p, default wd 1e-2. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput>, o: AdamOptions = {}) {
    super(params, o, { weightDecay: 1e-2, who: 'AdamW' });
  }
}
