/** The basic layers: Linear, Sequential, activations, Dropout, Flatten, Identity. */
import type { Tensor } from '../tensor.js';
import { flatten, gelu, leakyRelu, relu, sigmoid, softmax, tanh } from '../ops/index.js';
import { dropout } from './dropout.js';
import { linear, type LinearActivation } from './fused-linear.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module, Parameter } from './module.js';
import { MAX_ELEMENTS } from '../util/shape.js';

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

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
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
  constructor(readonly negativeSlope = 0.01) {
    super();
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
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
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
  constructor(p = 0.5) {
    super();
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
