/**
 * Learning-rate schedulers. Each reads the optimizer's lr at construction as the base lr, sets the
 * lr for step 0 right away (like PyTorch), and on every `step()` advances one unit — an epoch or a
 * batch, as the caller chooses — and writes the new lr into `optimizer.lr`. Closed-form formulas.
 */
import { checkNonNegative, type Optimizer } from './optimizer.js';
import { checkOptions } from '../util/options.js';

export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  readonly baseLr: number;
  /** Steps taken so far (PyTorch's last_epoch). */
  lastEpoch = 0;

  constructor(optimizer: Optimizer) {
    this.optimizer = optimizer;
    this.baseLr = optimizer.lr;
  }

  /** The lr at step t. */
  abstract lrAt(t: number): number;

  /** Advances one epoch/batch and updates optimizer.lr. */
  step(): void {
    this.lastEpoch++;
    this.optimizer.lr = this.lrAt(this.lastEpoch);
  }

  /** The lr most recently set (of the first parameter group; every group keeps its ratio to it). */
  getLastLr(): number {
    return this.optimizer.lr;
  }

  stateDict(): { lastEpoch: number; baseLr: number } {
    return { lastEpoch: this.lastEpoch, baseLr: this.baseLr };
  }

  loadStateDict(sd: { lastEpoch: number }): void {
    this.lastEpoch = sd.lastEpoch;
    this.optimizer.lr = this.lrAt(this.lastEpoch);
  }

  protected init(): void {
    this.optimizer.lr = this.lrAt(0);
  }
}

/** lr = base · gamma^⌊t / stepSize⌋. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  /** `new StepLR(opt, {stepSize, gamma})`, or PyTorch's positional `new StepLR(opt, stepSize, gamma)`. */
  constructor(optimizer: Optimizer, o: { stepSize: number; gamma?: number } | number, gamma?: number) {
    super(optimizer);
    if (typeof o === 'number') o = { stepSize: o, gamma };
    else checkOptions(o, ['stepSize', 'gamma'], 'StepLR');
    if (!o || !Number.isInteger(o.stepSize) || o.stepSize < 1) throw new RangeError(`StepLR: stepSize must be a positive integer, got ${String(o?.stepSize)}`);
    this.stepSize = o.stepSize;
    this.gamma = o.gamma ?? 0.1;
    checkNonNegative(this.gamma, 'gamma', 'StepLR');
    this.init();
  }

  lrAt(t: number): number {
    return this.baseLr * Math.pow(this.gamma, Math.floor(t / this.stepSize));
  }
}

/** lr = etaMin + (base − etaMin)·(1 + cos(π·t / tMax)) / 2 (PyTorch's closed form; periodic past tMax). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  /** `new CosineAnnealingLR(opt, {tMax, etaMin})`, or positional `new CosineAnnealingLR(opt, tMax, etaMin)`. */
  constructor(optimizer: Optimizer, o: { tMax: number; etaMin?: number } | number, etaMin?: number) {
    super(optimizer);
    if (typeof o === 'number') o = { tMax: o, etaMin };
    else checkOptions(o, ['tMax', 'etaMin'], 'CosineAnnealingLR');
    if (!o || !(o.tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be positive, got ${String(o?.tMax)}`);
    this.tMax = o.tMax;
    this.etaMin = o.etaMin ?? 0;
    this.init();
  }

  lrAt(t: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/**
 * Linear warm-up (PyTorch's LinearLR with endFactor 1): lr = base · (s + (1 − s)·min(t, W)/W) with
 * s = startFactor (default 1/3, PyTorch's), W = warmupSteps; constant at base afterwards.
 */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;

  /** `new LinearWarmup(opt, {warmupSteps, startFactor})`, or positional `new LinearWarmup(opt, warmupSteps, startFactor)`. */
  constructor(optimizer: Optimizer, o: { warmupSteps: number; startFactor?: number } | number, startFactor?: number) {
    super(optimizer);
    if (typeof o === 'number') o = { warmupSteps: o, startFactor };
    else checkOptions(o, ['warmupSteps', 'startFactor'], 'LinearWarmup');
    if (!o || !Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new RangeError(`LinearWarmup: warmupSteps must be an integer ≥ 0, got ${String(o?.warmupSteps)}`);
    this.warmupSteps = o.warmupSteps;
    this.startFactor = o.startFactor ?? 1 / 3;
    if (!(this.startFactor >= 0 && this.startFactor <= 1)) throw new RangeError(`LinearWarmup: startFactor must be in [0, 1], got ${this.startFactor}`);
    this.init();
  }

  lrAt(t: number): number {
    if (this.warmupSteps === 0 || t >= this.warmupSteps) return this.baseLr;
    return this.baseLr * (this.startFactor + ((1 - this.startFactor) * t) / this.warmupSteps);
  }
}
