/**
 * Loss modules (torch.nn.CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, HuberLoss, BCELoss,
 * BCEWithLogitsLoss): `new nn.CrossEntropyLoss({weight, ignoreIndex, reduction, labelSmoothing})`,
 * then `loss.forward(input, target)` — the functional forms of ./functional.ts with the options kept.
 * A class-weight tensor is registered as the buffer `weight`, as in PyTorch.
 */
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import * as F from './functional.js';
import { Module } from './module.js';

abstract class Loss<O extends object> extends Module {
  readonly options: Readonly<O>;
  constructor(opts: O | undefined, known: readonly string[]) {
    super();
    checkOptions(opts, known, this.constructor.name);
    this.options = Object.freeze({ ...(opts ?? {}) }) as O;
    const w = (opts as { weight?: Tensor | null } | undefined)?.weight;
    if (w) this.registerBuffer('weight', w);
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
    return F.crossEntropy(input, target, this.options);
  }
}

export class NLLLoss extends Loss<F.NllLossOptions> {
  constructor(opts?: F.NllLossOptions) {
    super(opts, ['reduction', 'ignoreIndex', 'weight']);
  }
  forward(input: Tensor, target: Tensor | Int32Array | readonly number[]): Tensor {
    return F.nllLoss(input, target, this.options);
  }
}

export class MSELoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return F.mseLoss(input, target, this.options);
  }
}

export class L1Loss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return F.l1Loss(input, target, this.options);
  }
}

export class HuberLoss extends Loss<F.LossOptions & { delta?: number }> {
  constructor(opts?: F.LossOptions & { delta?: number }) {
    super(opts, ['reduction', 'delta']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return F.huberLoss(input, target, { ...this.options });
  }
}

export class BCELoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return F.binaryCrossEntropy(input, target, this.options);
  }
}

export class BCEWithLogitsLoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super(opts, ['reduction']);
  }
  forward(input: Tensor, target: F.Target): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, this.options);
  }
}
