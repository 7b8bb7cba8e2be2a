/** MaxPool2d and AvgPool2d over NCHW input (PyTorch semantics, ceil_mode false). */
import { avgPool2dNamed, maxPool2dNamed, pair, type Size2 } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { Module } from './module.js';

export interface Pool2dLayerOptions {
  /** default: the kernel size */
  stride?: Size2;
  /** implicit padding on both sides, at most half the kernel (max: −∞, avg: zeros counted in the divisor) */
  padding?: Size2;
}

/** Window maximum; stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2, opts: Pool2dLayerOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize, 'kernel size', 1, 'MaxPool2d');
    this.stride = pair(opts.stride ?? this.kernelSize, 'stride', 1, 'MaxPool2d');
    this.padding = pair(opts.padding ?? 0, 'padding', 0, 'MaxPool2d');
  }

  forward(x: Tensor): Tensor {
    return maxPool2dNamed(x, this.kernelSize, { stride: this.stride, padding: this.padding }, 'MaxPool2d');
  }

  protected override extraRepr(): string {
    return `kernelSize=${fmtShape(this.kernelSize)}, stride=${fmtShape(this.stride)}, padding=${fmtShape(this.padding)}`;
  }
}

/** Window mean with padded zeros counted (PyTorch's count_include_pad=true); stride defaults to the kernel size. */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2, opts: Pool2dLayerOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize, 'kernel size', 1, 'AvgPool2d');
    this.stride = pair(opts.stride ?? this.kernelSize, 'stride', 1, 'AvgPool2d');
    this.padding = pair(opts.padding ?? 0, 'padding', 0, 'AvgPool2d');
  }

  forward(x: Tensor): Tensor {
    return avgPool2dNamed(x, this.kernelSize, { stride: this.stride, padding: this.padding }, 'AvgPool2d');
  }

  protected override extraRepr(): string {
    return `kernelSize=${fmtShape(this.kernelSize)}, stride=${fmtShape(this.stride)}, padding=${fmtShape(this.padding)}`;
  }
}
