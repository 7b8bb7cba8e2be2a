/** Conv2d: a 2-D convolution layer over NCHW input (PyTorch's nn.Conv2d layout, names and init). */
import { conv2dNamed, pair, type Size2 } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions } from '../util/options.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module, Parameter } from './module.js';

export interface Conv2dLayerOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  /** only 1 (no grouped convolution yet) */
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
    if ((opts.groups ?? 1) !== 1) throw new RangeError(`Conv2d: only groups = 1 is supported, got ${String(opts.groups)}`);
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`Conv2d: bias must be a boolean, got ${typeof opts.bias}`);
    for (const [v, what] of [[inChannels, 'inChannels'], [outChannels, 'outChannels']] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Conv2d: ${what} must be a positive integer, got ${String(v)}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'kernel size', 1, 'Conv2d');
    this.stride = pair(opts.stride ?? 1, 'stride', 1, 'Conv2d');
    this.padding = pair(opts.padding ?? 0, 'padding', 0, 'Conv2d');
    this.dilation = pair(opts.dilation ?? 1, 'dilation', 1, 'Conv2d');
    const [kH, kW] = this.kernelSize;
    this.weight = new Parameter(new Float32Array(outChannels * inChannels * kH * kW), [outChannels, inChannels, kH, kW]);
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (opts.bias ?? true) {
      this.bias = new Parameter(new Float32Array(outChannels), [outChannels]);
      const bound = 1 / Math.sqrt(inChannels * kH * kW);
      uniform_(this.bias, -bound, bound);
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    return conv2dNamed(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation }, 'Conv2d');
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${fmtShape(this.kernelSize)}, stride=${fmtShape(this.stride)}, ` +
      `padding=${fmtShape(this.padding)}${this.dilation[0] > 1 || this.dilation[1] > 1 ? `, dilation=${fmtShape(this.dilation)}` : ''}, bias=${this.bias !== null}`;
  }
}
