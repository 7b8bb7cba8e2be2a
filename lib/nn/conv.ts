/** Conv2d: a 2-D convolution layer over NCHW input (PyTorch's nn.Conv2d layout, names and init). */
import { conv2dNamed, pair, type Size2 } from '../ops/conv.js';
import { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions } from '../util/options.js';
import { describe } from '../util/describe.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module, Parameter } from './module.js';

export interface Conv2dLayerOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  /** split the channels into this many groups (inChannels and outChannels divisible by it; default 1) */
  groups?: number;
  /** learn an additive per-channel bias (default true) */
  bias?: boolean;
}

/**
 * y = conv2d(x, weight) + bias with weight [outC, inC, kH, kW] and bias [outC]. Initialisation as in
 * PyTorch: Kaiming-uniform with a = √5, i.e. U(−1/√fanIn, 1/√fanIn) with fanIn = inC·kH·kW, for both.
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  /**
   * `new Conv2d(inC, outC, kernelSize, {stride, padding, dilation, groups: 1, bias})`, or PyTorch's
   * positional form `new Conv2d(inC, outC, kernelSize, stride, padding, dilation, groups, bias)`.
   */
  constructor(
    inChannels: number, outChannels: number, kernelSize: Size2, strideOrOpts: Conv2dLayerOptions | Size2 = {},
    padding?: Size2, dilation?: Size2, groups?: number, bias?: boolean,
  ) {
    super();
    let opts: Conv2dLayerOptions;
    if (typeof strideOrOpts === 'number' || Array.isArray(strideOrOpts)) {
      opts = { stride: strideOrOpts as Size2, padding, dilation, groups, bias };
      for (const k of Object.keys(opts) as (keyof Conv2dLayerOptions)[]) if (opts[k] === undefined) delete opts[k];
    } else {
      if (padding !== undefined || dilation !== undefined || groups !== undefined || bias !== undefined) {
        throw new TypeError('Conv2d: positional padding/dilation/groups/bias follow a positional stride; with an options object pass them there');
      }
      opts = strideOrOpts as Conv2dLayerOptions;
    }
    checkOptions(opts, ['stride', 'padding', 'dilation', 'groups', 'bias'], 'Conv2d');
    const g = opts.groups ?? 1;
    if (!Number.isInteger(g) || g < 1) throw new RangeError(`Conv2d: groups must be a positive integer, got ${JSON.stringify(g)}`);
    this.groups = g;
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`Conv2d: bias must be a boolean, got ${typeof opts.bias}`);
    for (const [v, what] of [[inChannels, 'inChannels'], [outChannels, 'outChannels']] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Conv2d: ${what} must be a positive integer, got ${String(v)}`);
    }
    if (inChannels % g !== 0 || outChannels % g !== 0) {
      throw new RangeError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${g})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'kernel size', 1, 'Conv2d');
    this.stride = pair(opts.stride ?? 1, 'stride', 1, 'Conv2d');
    this.padding = pair(opts.padding ?? 0, 'padding', 0, 'Conv2d');
    this.dilation = pair(opts.dilation ?? 1, 'dilation', 1, 'Conv2d');
    const [kH, kW] = this.kernelSize;
    const inPer = inChannels / g;
    this.weight = new Parameter(new Float32Array(outChannels * inPer * kH * kW), [outChannels, inPer, kH, kW]);
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (opts.bias ?? true) {
      this.bias = new Parameter(new Float32Array(outChannels), [outChannels]);
      const bound = 1 / Math.sqrt(inPer * kH * kW);
      uniform_(this.bias, -bound, bound);
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    return conv2dNamed(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups }, 'Conv2d');
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${fmtShape(this.kernelSize)}, stride=${fmtShape(this.stride)}, ` +
      `padding=${fmtShape(this.padding)}${this.dilation[0] > 1 || this.dilation[1] > 1 ? `, dilation=${fmtShape(this.dilation)}` : ''}${this.groups > 1 ? `, groups=${this.groups}` : ''}, bias=${this.bias !== null}`;
  }
}

export interface Conv1dLayerOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  /** split the channels into this many groups (inChannels and outChannels divisible by it; default 1) */
  groups?: number;
  /** learn an additive per-channel bias (default true) */
  bias?: boolean;
}

function intArg(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number') throw new TypeError(`Conv1d: ${what} must be an integer ≥ ${min}, got ${describe(v)}`);
  if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`Conv1d: ${what} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v as number;
}

/**
 * y = conv1d(x, weight) + bias over [N, C, L] (or unbatched [C, L]) input, weight [outC, inC, k] and
 * bias [outC] (PyTorch's nn.Conv1d layout and init: U(−1/√(inC·k), 1/√(inC·k)) for both). Runs as a
 * conv2d with a 1×k kernel on an [N, C, 1, L] view.
 */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  /** `(inC, outC, k, {stride, padding, dilation, groups: 1, bias})` or PyTorch's positional `(inC, outC, k, stride, padding, dilation, groups, bias)`. */
  constructor(
    inChannels: number, outChannels: number, kernelSize: number, strideOrOpts: Conv1dLayerOptions | number = {},
    padding?: number, dilation?: number, groups?: number, bias?: boolean,
  ) {
    super();
    let opts: Conv1dLayerOptions;
    if (typeof strideOrOpts === 'number') {
      opts = { stride: strideOrOpts, padding, dilation, groups, bias };
      for (const k of Object.keys(opts) as (keyof Conv1dLayerOptions)[]) if (opts[k] === undefined) delete opts[k];
    } else {
      if (padding !== undefined || dilation !== undefined || groups !== undefined || bias !== undefined) {
        throw new TypeError('Conv1d: positional padding/dilation/groups/bias follow a positional stride; with an options object pass them there');
      }
      opts = strideOrOpts;
    }
    checkOptions(opts, ['stride', 'padding', 'dilation', 'groups', 'bias'], 'Conv1d');
    const g = opts.groups ?? 1;
    if (!Number.isInteger(g) || g < 1) throw new RangeError(`Conv1d: groups must be a positive integer, got ${JSON.stringify(g)}`);
    this.groups = g;
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`Conv1d: bias must be a boolean, got ${typeof opts.bias}`);
    this.inChannels = intArg(inChannels, 'inChannels', 1);
    this.outChannels = intArg(outChannels, 'outChannels', 1);
    if (inChannels % g !== 0 || outChannels % g !== 0) {
      throw new RangeError(`Conv1d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${g})`);
    }
    this.kernelSize = intArg(kernelSize, 'kernel size', 1);
    this.stride = intArg(opts.stride ?? 1, 'stride', 1);
    this.padding = intArg(opts.padding ?? 0, 'padding', 0);
    this.dilation = intArg(opts.dilation ?? 1, 'dilation', 1);
    const k = this.kernelSize;
    const inPer = inChannels / g;
    this.weight = new Parameter(new Float32Array(outChannels * inPer * k), [outChannels, inPer, k]);
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (opts.bias ?? true) {
      this.bias = new Parameter(new Float32Array(outChannels), [outChannels]);
      const bound = 1 / Math.sqrt(inPer * k);
      uniform_(this.bias, -bound, bound);
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new TypeError(`Conv1d: expected a Tensor input, got ${describe(x)}`);
    if (x.dtype !== 'float32') throw new TypeError(`Conv1d: input must be a float32 tensor, got dtype ${x.dtype}`);
    const C = this.inChannels;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 2] !== C) {
      throw new Error(`Conv1d: expected input [N, ${C}, L] or [${C}, L], got ${fmtShape(x.shape)}`);
    }
    const L = x.shape[x.ndim - 1];
    const eff = this.dilation * (this.kernelSize - 1) + 1;
    if (eff > L + 2 * this.padding) {
      throw new Error(`Conv1d: kernel ${eff}${this.dilation > 1 ? ' (dilated)' : ''} is longer than the padded input length ${L + 2 * this.padding} (input ${fmtShape(x.shape)}, padding ${this.padding})`);
    }
    const batched = x.ndim === 3 ? x : x.unsqueeze(0);
    const w = this.weight.reshape([this.outChannels, C / this.groups, 1, this.kernelSize]);
    const y = conv2dNamed(batched.unsqueeze(2), w, this.bias,
      { stride: [1, this.stride], padding: [0, this.padding], dilation: [1, this.dilation], groups: this.groups }, 'Conv1d').squeeze(2);
    return x.ndim === 3 ? y : y.squeeze(0);
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}` +
      `${this.dilation > 1 ? `, dilation=${this.dilation}` : ''}${this.groups > 1 ? `, groups=${this.groups}` : ''}, bias=${this.bias !== null}`;
  }
}
