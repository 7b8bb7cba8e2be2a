/** MaxPool2d and AvgPool2d over NCHW input (PyTorch semantics, ceilMode included). */
import { avgPool2dNamed, maxPool2dNamed, pair, type Size2 } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions } from '../util/options.js';
import { Module } from './module.js';

export interface Pool2dLayerOptions {
  /** default: the kernel size */
  stride?: Size2;
  /** implicit padding on both sides, at most half the kernel (max: −∞, avg: zeros counted in the divisor) */
  padding?: Size2;
  /** PyTorch's ceil_mode: round the output size up, keeping a last partial window (default false) */
  ceilMode?: boolean;
}

/** `(kernel, {stride, padding, ceilMode})` or PyTorch's positional `(kernel, stride, padding)`. */
function poolOptions(opts: Pool2dLayerOptions | Size2 | null | undefined, padding: Size2 | undefined, who: string): Pool2dLayerOptions {
  let o: Pool2dLayerOptions;
  if (opts === null || opts === undefined || typeof opts === 'number' || Array.isArray(opts)) {
    o = {};
    if (opts !== null && opts !== undefined) o.stride = opts as Size2;
    if (padding !== undefined) o.padding = padding;
  } else {
    if (padding !== undefined) throw new TypeError(`${who}: a positional padding follows a positional stride; with an options object pass it there`);
    o = opts as Pool2dLayerOptions;
  }
  checkOptions(o, ['stride', 'padding', 'ceilMode'], who);
  if (o.ceilMode !== undefined && typeof o.ceilMode !== 'boolean') throw new TypeError(`${who}: ceilMode must be a boolean, got ${typeof o.ceilMode === 'string' ? `"${o.ceilMode}" (string)` : String(o.ceilMode)}`);
  return o;
}

/** Window maximum; stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Size2, stride?: Pool2dLayerOptions | Size2 | null, padding?: Size2) {
    super();
    const opts = poolOptions(stride, padding, 'MaxPool2d');
    this.kernelSize = pair(kernelSize, 'kernel size', 1, 'MaxPool2d');
    this.stride = pair(opts.stride ?? this.kernelSize, 'stride', 1, 'MaxPool2d');
    this.padding = pair(opts.padding ?? 0, 'padding', 0, 'MaxPool2d');
    this.ceilMode = opts.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    return maxPool2dNamed(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode }, 'MaxPool2d');
  }

  protected override extraRepr(): string {
    return `kernelSize=${fmtShape(this.kernelSize)}, stride=${fmtShape(this.stride)}, padding=${fmtShape(this.padding)}${this.ceilMode ? ', ceilMode=true' : ''}`;
  }
}

/** Window mean with padded zeros counted (PyTorch's count_include_pad=true); stride defaults to the kernel size. */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Size2, stride?: Pool2dLayerOptions | Size2 | null, padding?: Size2) {
    super();
    const opts = poolOptions(stride, padding, 'AvgPool2d');
    this.kernelSize = pair(kernelSize, 'kernel size', 1, 'AvgPool2d');
    this.stride = pair(opts.stride ?? this.kernelSize, 'stride', 1, 'AvgPool2d');
    this.padding = pair(opts.padding ?? 0, 'padding', 0, 'AvgPool2d');
    this.ceilMode = opts.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    return avgPool2dNamed(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode }, 'AvgPool2d');
  }

  protected override extraRepr(): string {
    return `kernelSize=${fmtShape(this.kernelSize)}, stride=${fmtShape(this.stride)}, padding=${fmtShape(this.padding)}${this.ceilMode ? ', ceilMode=true' : ''}`;
  }
}
