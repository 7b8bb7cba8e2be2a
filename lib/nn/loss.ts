/**
 * Loss modules (torch.nn.CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, HuberLoss, BCELoss,
 * BCEWithLogitsLoss): `new nn.CrossEntropyLoss({weight, ignoreIndex, reduction, labelSmoothing})`,
 * then `loss.forward(input, target)` — the functional forms of ./functional.ts with the options kept.
 * A class-weight tensor is registered as the buffer `weight`, as in PyTorch.
 */
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { describe } from '../util/describe.js';
import * as F from './functional.js';
import { Module } from './module.js';

/**
 * The option values, checked when the module is built (PyTorch checks some only at the first forward;
 * an error at construction names the mistake where it was made).
 */
function checkLossValues(o: Record<string, unknown>, who: string): void {
  const r = o.reduction;
  if (r !== undefined && r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new (typeof r === 'string' ? RangeError : TypeError)(`${who}: reduction must be 'mean', 'sum' or 'none', got ${describe(r)}`);
  }
  const w = o.weight;
  if (w !== undefined && w !== null) {
    if (!(w instanceof Tensor)) throw new TypeError(`${who}: weight must be a 1-D float32 Tensor of class weights, got ${describe(w)}`);
    if (w.dtype !== 'float32' || w.ndim !== 1) throw new TypeError(`${who}: weight must be a 1-D float32 Tensor of class weights, got ${w.dtype} [${w.shape.join(', ')}]`);
  }
  const ii = o.ignoreIndex;
  if (ii !== undefined) {
    if (typeof ii !== 'number') throw new TypeError(`${who}: ignoreIndex must be an integer, got ${describe(ii)}`);
    if (!Number.isInteger(ii)) throw new RangeError(`${who}: ignoreIndex must be an integer, got ${ii}`);
  }
  const ls = o.labelSmoothing;
  if (ls !== undefined) {
    if (typeof ls !== 'number') throw new TypeError(`${who}: labelSmoothing must be a number in [0, 1], got ${describe(ls)}`);
    if (!(ls >= 0 && ls <= 1)) throw new RangeError(`${who}: labelSmoothing must be in [0, 1], got ${ls}`);
  }
  const d = o.delta;
  if (d !== undefined) {
    if (typeof d !== 'number') throw new TypeError(`${who}: delta must be a positive number, got ${describe(d)}`);
    if (!(d > 0)) throw new RangeError(`${who}: delta must be positive, got ${d}`);
  }
}

abstract class Loss<O extends object> extends Module {
  readonly options: Readonly<O>;
  constructor(opts: O | undefined, known: readonly string[]) {
    super();
    const who = this.constructor.name;
    if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
      throw new TypeError(`${who}: options must be an object such as {reduction: 'sum'}, got ${describe(opts)}`);
    }
    checkOptions(opts, known, who);
    checkLossValues((opts ?? {}) as Record<string, unknown>, who);
    this.options = Object.freeze({ ...(opts ?? {}) }) as O;
    const w = (opts as { weight?: Tensor | null } | undefined)?.weight;
    if (w) this.registerBuffer('weight', w);
  }
  /** Runs the functional form, its errors prefixed with this module's name (same error class). */
  protected named(fn: () => Tensor): Tensor {
    const who = this.constructor.name;
    try {
      return fn();
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith(who)) e.message = `${who}: ${e.message}`;
      throw e;
    }
  }

  protected override extraRepr(): string {
    const r = (this.options as F.LossOptions).reduction;
    return r && r !== 'mean' ? `reduction='${r}'` : '';
  }
}

export class CrossEntropyLoss extends Loss<F.CrossEntropyOptions> {
  constructor(opts?: F.CrossEntropyOptions) {
    super(opts, ['reduction', 'ignoreIndex', 'weight', 'labelSmoothing']);
  }
  forward(input: Tensor, target: Tensor | Int32Array | readonly number[]): Tensor {
    return this.named(() => F.crossEntropy(input, target, this.options));
  }
}

export class NLLLoss extends Loss<F.NllLossOptions> {
  constructor(opts?: F.NllLossOptions) {
    super(opts, ['reduction', 'ignoreIndex', 'weight']);
  }
  forward(input: Tensor, target: Tensor | Int32Array | readonly number[]): Tensor {
    return this.named(() => F.nllLoss(input, target, this.options));
  }
}

export class MSELoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return this.named(() => F.mseLoss(input, target, this.options));
  }
}

export class L1Loss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return this.named(() => F.l1Loss(input, target, this.options));
  }
}

export class HuberLoss extends Loss<F.LossOptions & { delta?: number }> {
  constructor(opts?: F.LossOptions & { delta?: number }) {
    super(opts, ['reduction', 'delta']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return this.named(() => F.huberLoss(input, target, { ...this.options }));
  }
}

export class BCELoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return this.named(() => F.binaryCrossEntropy(input, target, this.options));
  }
}

export class BCEWithLogitsLoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return this.named(() => F.binaryCrossEntropyWithLogits(input, target, this.options));
  }
}
