/** The basic layers: Linear, Sequential, activations, Dropout, Flatten, Identity. */
import { Tensor } from '../tensor.js';
import { flatten, gelu, leakyRelu, relu, sigmoid, softmax, tanh } from '../ops/index.js';
import { elu, hardtanh, logsigmoid, mish, selu, silu, softplus } from '../ops/math.js';
import { checkOptions } from '../util/options.js';
import { dropout } from './dropout.js';
import { linear, type LinearActivation } from './fused-linear.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module, Parameter } from './module.js';
import { MAX_ELEMENTS } from '../util/shape.js';

function checkNumber(v: unknown, what: string, layer: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${layer}: ${what} must be a finite number, got ${String(v)}`);
}

/** Positional numbers or an options object of those names (PyTorch's constructors take both forms). */
function numArgs<K extends string>(layer: string, names: readonly K[], defaults: readonly number[], args: readonly unknown[]): Record<K, number> {
  let o: Record<string, unknown> = {};
  if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
    checkOptions(args[0], names, layer);
    o = args[0] as Record<string, unknown>;
  } else {
    if (args.length > names.length) throw new TypeError(`${layer}: takes at most ${names.length} arguments (${names.join(', ')}), got ${args.length}`);
    args.forEach((a, i) => { if (a !== undefined) o[names[i]] = a; });
  }
  const r = {} as Record<K, number>;
  names.forEach((k, i) => {
    const v = o[k] ?? defaults[i];
    checkNumber(v, k, layer);
    r[k] = v as number;
  });
  return r;
}

function checkPositiveInt(v: number, what: string, layer: string): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_ELEMENTS) {
    throw new RangeError(`${layer}: ${what} must be a non-negative integer below 2^31, got ${String(v)}`);
  }
}

export interface LinearOptions {
  /** learn an additive bias (default true) */
  bias?: boolean;
}

/**
 * y = x·Wᵀ + b with weight [outFeatures, inFeatures] and bias [outFeatures] (PyTorch layout and init:
 * Kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in), for both). One gemm with the bias epilogue.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  /** `new Linear(in, out)`, `new Linear(in, out, false)` (PyTorch's positional bias) or `new Linear(in, out, {bias})`. */
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions | boolean = {}) {
    super();
    if (typeof opts === 'boolean') opts = { bias: opts };
    checkOptions(opts, ['bias'], 'Linear');
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`Linear: bias must be a boolean, got ${typeof opts.bias}`);
    checkPositiveInt(inFeatures, 'inFeatures', 'Linear');
    checkPositiveInt(outFeatures, 'outFeatures', 'Linear');
    if (inFeatures * outFeatures > MAX_ELEMENTS) {
      throw new RangeError(`Linear: a ${outFeatures}×${inFeatures} weight is more than a tensor can hold`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(new Float32Array(outFeatures * inFeatures), [outFeatures, inFeatures]);
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (opts.bias ?? true) {
      this.bias = new Parameter(new Float32Array(outFeatures), [outFeatures]);
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      uniform_(this.bias, -bound, bound);
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, 'none');
  }

  /** act(x·Wᵀ + b) in one gemm (Sequential uses it for Linear followed by an activation). */
  forwardFused(x: Tensor, act: LinearActivation): Tensor {
    return linear(x, this.weight, this.bias, act);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Activations a following Linear can fuse into its gemm epilogue. */
interface Fusable {
  fusedActivation(): LinearActivation | null;
}

function fusedActivationOf(m: Module): LinearActivation | null {
  const f = (m as Module & Partial<Fusable>).fusedActivation;
  return typeof f === 'function' ? f.call(m) : null;
}

/**
 * Runs its layers in order; children are named '0', '1', … (PyTorch's names). A Linear immediately
 * followed by ReLU, GELU, Sigmoid or Tanh runs as one gemm with a fused bias+activation epilogue.
 */
export class Sequential extends Module {
  declare private readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    Object.defineProperty(this, 'layers', { value: [], enumerable: false, writable: false });
    for (const l of layers) this.append(l);
  }

  append(layer: Module): this {
    if (!(layer instanceof Module)) throw new TypeError(`Sequential: item ${this.layers.length} is not a Module`);
    this.registerModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  /** The i-th layer (negative counts from the end). */
  at(i: number): Module {
    const m = this.layers[i < 0 ? i + this.layers.length : i];
    if (m === undefined) throw new RangeError(`Sequential: index ${i} is out of range for ${this.layers.length} layers`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    const ls = this.layers;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      if (l instanceof Linear && i + 1 < ls.length) {
        const act = fusedActivationOf(ls[i + 1]);
        if (act !== null) {
          x = l.forwardFused(x, act);
          i++;
          continue;
        }
      }
      x = l.forward(x);
    }
    return x;
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  fusedActivation(): LinearActivation {
    return 'relu';
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  /** `new LeakyReLU(0.2)` or `new LeakyReLU({negativeSlope})`. */
  constructor(negativeSlope: number | { negativeSlope?: number } = 0.01) {
    super();
    const o = typeof negativeSlope === 'number' ? { negativeSlope } : negativeSlope;
    checkOptions(o, ['negativeSlope'], 'LeakyReLU');
    this.negativeSlope = o.negativeSlope ?? 0.01;
    checkNumber(this.negativeSlope, 'negativeSlope', 'LeakyReLU');
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
  fusedActivation(): LinearActivation {
    return 'sigmoid';
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
  fusedActivation(): LinearActivation {
    return 'tanh';
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  /** `new GELU()`, `new GELU('tanh')` or `new GELU({approximate: 'tanh'})`. */
  constructor(opts: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' } = {}) {
    super();
    if (typeof opts === 'string') opts = { approximate: opts };
    checkOptions(opts, ['approximate'], 'GELU');
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') {
      throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got '${String(this.approximate)}'`);
    }
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  fusedActivation(): LinearActivation {
    return this.approximate === 'tanh' ? 'geluTanh' : 'gelu';
  }
  protected override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Merges dims startDim..endDim (default 1..−1: keeps the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/**
 * Zeroes each element with probability p during training and scales the rest by 1/(1−p) (inverted
 * dropout), so eval mode is the identity: F.dropout, whose counter-based mask is keyed from the library's
 * seeded generator.
 */
export class Dropout extends Module {
  readonly p: number;
  /** `new Dropout(0.1)` or `new Dropout({p})`; PyTorch's `inplace` flag may be given as false. */
  constructor(p: number | { p?: number; inplace?: boolean } = 0.5, inplace = false) {
    super();
    if (typeof p === 'object' && p !== null) {
      checkOptions(p, ['p', 'inplace'], 'Dropout');
      inplace = p.inplace ?? false;
      p = p.p ?? 0.5;
    }
    if (inplace !== false) throw new TypeError('Dropout: inplace dropout is not supported (pass false or leave it out)');
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${String(p)}`);
    this.p = p;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** x·σ(x) (torch.nn.SiLU). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** x·tanh(softplus(x)) (torch.nn.Mish). */
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

/** x > 0 ? x : α·(eˣ − 1): `new ELU()`, `new ELU(0.5)` or `new ELU({alpha})`. */
export class ELU extends Module {
  readonly alpha: number;
  constructor(...args: [number?] | [{ alpha?: number }]) {
    super();
    this.alpha = numArgs('ELU', ['alpha'], [1], args).alpha;
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** Scaled ELU with PyTorch's constants (torch.nn.SELU). */
export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/** log σ(x) (torch.nn.LogSigmoid). */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return logsigmoid(x);
  }
}

/** log(1 + e^(βx)) / β, linear above βx > threshold: `new Softplus(beta = 1, threshold = 20)` or `{beta, threshold}`. */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(...args: [number?, number?] | [{ beta?: number; threshold?: number }]) {
    super();
    const o = numArgs('Softplus', ['beta', 'threshold'], [1, 20], args);
    this.beta = o.beta;
    this.threshold = o.threshold;
    softplus(new Tensor(new Float32Array(1), []), { beta: this.beta, threshold: this.threshold }); // validates both
  }
  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  protected override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** clamp(x, minVal, maxVal): `new Hardtanh(minVal = −1, maxVal = 1)` or `{minVal, maxVal}`. */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(...args: [number?, number?] | [{ minVal?: number; maxVal?: number }]) {
    super();
    const o = numArgs('Hardtanh', ['minVal', 'maxVal'], [-1, 1], args);
    if (!(o.minVal <= o.maxVal)) throw new RangeError(`Hardtanh: minVal ${o.minVal} must not exceed maxVal ${o.maxVal}`);
    this.minVal = o.minVal;
    this.maxVal = o.maxVal;
  }
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
  protected override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}
