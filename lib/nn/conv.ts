/** Conv2d: a 2-D convolution layer over NCHW input (PyTorch's nn.Conv2d layout, names and init). */
import { conv2dNamed, pair, type Size2 } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module, Parameter } from './module.js';

export interface Conv2dLayerOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
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

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: Conv2dLayerOptions = {}) {
    super();
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
