/**
 * conv2d, maxPool2d and avgPool2d on NCHW tensors (PyTorch semantics; pools also with ceilMode, conv2d with groups). Each op checks
 * shapes, allocates its output and records one backward rule that calls one coarse backend kernel
 * (the native kernel runs im2col + the packed GEMM per image, spread over the thread pool).
 */
import type { Conv2dGeometry } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { fmtShape } from '../util/shape.js';
import { mul } from './elementwise.js';
import { describe } from '../util/describe.js';
import { concat } from './join.js';

/** A size given once for both spatial dims, or as [h, w]. */
export type Size2 = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  /** split the channels into this many groups, each convolved with its own slice of the filters (default 1) */
  groups?: number;
}

export interface Pool2dOptions {
  /** default: the kernel size */
  stride?: Size2;
  padding?: Size2;
  /** PyTorch's ceil_mode: the output size rounds up, so a last partial window is kept (default false) */
  ceilMode?: boolean;
}

/** @internal Expands a number or [h, w] pair, checking each is an integer ≥ min. */
export function pair(v: Size2, what: string, min: number, op: string): [number, number] {
  const p: readonly number[] = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    const req = min === 0 ? 'non-negative' : 'positive';
    throw new RangeError(`${op}: ${what} must be a ${req} integer or a pair [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/**
 * @internal The geometry of a conv/pool on input x [N, C, H, W] (checked 4-D, kernel not larger than
 * the padded input). `op` names the caller in errors ('conv2d', 'Conv2d', ...).
 */
export function geometry(
  x: Tensor, outC: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number], op: string,
): Conv2dGeometry {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor input, got ${describe(x)}`);
  if (x.dtype !== 'float32') throw new TypeError(`${op}: input must be a float32 tensor, got dtype ${x.dtype}`);
  if (x.ndim !== 4) throw new Error(`${op}: expected a 4-D input [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape;
  const effH = d[0] * (k[0] - 1) + 1;
  const effW = d[1] * (k[1] - 1) + 1;
  if (effH > h + 2 * p[0] || effW > w + 2 * p[1]) {
    throw new Error(`${op}: kernel ${effH}x${effW}${d[0] > 1 || d[1] > 1 ? ' (dilated)' : ''} is larger than the padded input ${h + 2 * p[0]}x${w + 2 * p[1]} (input ${fmtShape(x.shape)}, padding ${fmtShape(p)})`);
  }
  return {
    n, c, h, w, outC, kH: k[0], kW: k[1], strideH: s[0], strideW: s[1], padH: p[0], padW: p[1],
    dilationH: d[0], dilationW: d[1],
    outH: Math.floor((h + 2 * p[0] - effH) / s[0]) + 1,
    outW: Math.floor((w + 2 * p[1] - effW) / s[1]) + 1,
  };
}

/** @internal conv2d with the caller's name in errors (the Conv2d layer passes 'Conv2d'). */
export function conv2dNamed(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: Conv2dOptions, op: string): Tensor {
  if (!(weight instanceof Tensor)) throw new TypeError(`${op}: weight must be a Tensor, got ${describe(weight)}`);
  if (weight.dtype !== 'float32') throw new TypeError(`${op}: weight must be a float32 tensor, got dtype ${weight.dtype}`);
  if (weight.ndim !== 4) throw new Error(`${op}: weight must be 4-D [outC, inC, kH, kW], got ${fmtShape(weight.shape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${typeof groups === 'string' ? `"${groups}" (string)` : String(groups)}`);
  if (groups > 1) return groupedConv2d(x, weight, bias, opts, groups, op);
  const [outC, inC, kH, kW] = weight.shape;
  if (kH < 1 || kW < 1) throw new RangeError(`${op}: kernel size must be positive, got weight ${fmtShape(weight.shape)}`);
  const s = pair(opts.stride ?? 1, 'stride', 1, op);
  const p = pair(opts.padding ?? 0, 'padding', 0, op);
  const d = pair(opts.dilation ?? 1, 'dilation', 1, op);
  if (x instanceof Tensor && x.ndim === 4 && x.shape[1] !== inC) {
    throw new Error(`${op}: expected input with ${inC} channels, got ${fmtShape(x.shape)} (weight ${fmtShape(weight.shape)})`);
  }
  const g = geometry(x, outC, [kH, kW], s, p, d, op);
  const b = bias ?? null;
  if (b !== null) {
    if (!(b instanceof Tensor)) throw new TypeError(`${op}: bias must be a Tensor or null`);
    if (b.ndim !== 1 || b.shape[0] !== outC) throw new Error(`${op}: bias must have shape [${outC}], got ${fmtShape(b.shape)}`);
  }
  const out = new Tensor(new Float32Array(g.n * outC * g.outH * g.outW), [g.n, outC, g.outH, g.outW]);
  if (out.size > 0) current.conv2d(out.data, x.data, weight.data, b === null ? null : b.data, g);
  const needX = x.requiresGrad;
  const needW = weight.requiresGrad;
  const needB = b !== null && b.requiresGrad;
  if (isGradEnabled() && (needX || needW || needB)) {
    record(out, b === null ? [x, weight] : [x, weight, b], (dout) => {
      const dx = needX ? new Float32Array(x.size) : null;
      const dw = needW ? new Float32Array(weight.size) : null;
      const db = needB ? new Float32Array(outC) : null;
      current.conv2dBackward(dx, dw, db, dout, x.data, weight.data, g);
      if (dx !== null) accumulate(x, dx, true);
      if (dw !== null) accumulate(weight, dw, true);
      if (db !== null) accumulate(b!, db, true);
    });
  }
  return out;
}

/**
 * groups > 1 (torch's grouped convolution): weight [outC, C / groups, kH, kW]; input channels
 * g·C/groups … and filters g·outC/groups … form group g. Each group is one conv2d on channel views of x
 * and weight (differentiable through narrow), the outputs joined along the channels.
 */
function groupedConv2d(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: Conv2dOptions, groups: number, op: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor input`);
  if (x.ndim !== 4) throw new Error(`${op}: expected a 4-D input [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [outC, inPer] = weight.shape;
  if (outC % groups !== 0) throw new Error(`${op}: out channels ${outC} (weight ${fmtShape(weight.shape)}) must be divisible by groups ${groups}`);
  if (x.shape[1] !== inPer * groups) {
    throw new Error(`${op}: expected input with ${inPer * groups} channels (weight ${fmtShape(weight.shape)} × groups ${groups}), got ${fmtShape(x.shape)}`);
  }
  if (bias !== null && bias !== undefined && (!(bias instanceof Tensor) || bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new Error(`${op}: bias must be a Tensor of shape [${outC}], got ${bias instanceof Tensor ? fmtShape(bias.shape) : typeof bias}`);
  }
  const outPer = outC / groups;
  const one = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation };
  const ys: Tensor[] = [];
  for (let g = 0; g < groups; g++) {
    const xg = x.narrow(1, g * inPer, inPer);
    const wg = weight.narrow(0, g * outPer, outPer);
    const bg = bias ? bias.narrow(0, g * outPer, outPer) : null;
    ys.push(conv2dNamed(xg, wg, bg, one, op));
  }
  return concat(ys, 1);
}

/**
 * 2-D convolution (cross-correlation, like torch.nn.functional.conv2d): x [N, C, H, W], weight
 * [outC, C / groups, kH, kW], optional bias [outC] → [N, outC, outH, outW].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  checkOptions(opts, ['stride', 'padding', 'dilation', 'groups'], 'conv2d');
  return conv2dNamed(x, weight, bias, opts, 'conv2d');
}

function poolGeometry(x: Tensor, kernelSize: Size2, opts: Pool2dOptions & { dilation?: Size2 }, op: string): Conv2dGeometry {
  const k = pair(kernelSize, 'kernel size', 1, op);
  const s = pair(opts.stride ?? k, 'stride', 1, op);
  const p = pair(opts.padding ?? 0, 'padding', 0, op);
  const d = pair(opts.dilation ?? 1, 'dilation', 1, op);
  // PyTorch's rule: pad ≤ half the kernel, so every window holds at least one input element
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw new RangeError(`${op}: padding ${fmtShape(p)} must be at most half the kernel size ${fmtShape(k)}`);
  }
  return geometry(x, 0, k, s, p, d, op);
}

function ceilModeFlag(v: unknown, op: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ceilMode must be a boolean, got ${typeof v === 'string' ? `"${v}" (string)` : String(v)}`);
  return v;
}

/**
 * Rows (or columns) to append so that the floor-mode pool gives PyTorch's ceil-mode output size:
 * out = ⌈(n + 2p − eff) / s⌉ + 1, less one when that last window would start past the input and
 * its left padding ((out − 1)·s ≥ n + p). 0 when ceil and floor agree.
 */
function ceilExtra(n: number, eff: number, s: number, p: number): { extra: number; out: number } {
  const floorOut = Math.floor((n + 2 * p - eff) / s) + 1;
  let out = Math.ceil((n + 2 * p - eff) / s) + 1;
  if ((out - 1) * s >= n + p) out--;
  return { extra: out > floorOut ? (out - 1) * s + eff - 2 * p - n : 0, out };
}

/**
 * ceilMode: x grown at the bottom/right by the rows/columns the last partial windows reach, filled with
 * `fill` (−∞ for max: never chosen; 0 for avg), so the floor-mode kernels compute the ceil-mode windows.
 */
function growForCeil(x: Tensor, kernelSize: Size2, opts: Pool2dOptions & { dilation?: Size2 }, fill: number, op: string): { x: Tensor; eh: number; ew: number } {
  if (!(x instanceof Tensor) || x.ndim !== 4) return { x, eh: 0, ew: 0 };
  const k = pair(kernelSize, 'kernel size', 1, op);
  const s = pair(opts.stride ?? k, 'stride', 1, op);
  const p = pair(opts.padding ?? 0, 'padding', 0, op);
  const d = pair(opts.dilation ?? 1, 'dilation', 1, op);
  const [n, c, h, w] = x.shape;
  const eh = ceilExtra(h, d[0] * (k[0] - 1) + 1, s[0], p[0]).extra;
  const ew = ceilExtra(w, d[1] * (k[1] - 1) + 1, s[1], p[1]).extra;
  let y = x;
  if (eh > 0) y = concat([y, new Tensor(new Float32Array(n * c * eh * w).fill(fill), [n, c, eh, w])], 2);
  if (ew > 0) y = concat([y, new Tensor(new Float32Array(n * c * (h + eh) * ew).fill(fill), [n, c, h + eh, ew])], 3);
  return { x: y, eh, ew };
}

/** @internal maxPool2d with the caller's name in errors. */
export function maxPool2dNamed(x: Tensor, kernelSize: Size2, opts: Pool2dOptions & { dilation?: Size2 }, op: string): Tensor {
  if (ceilModeFlag(opts.ceilMode, op)) {
    const grown = growForCeil(x, kernelSize, opts, -Infinity, op);
    if (grown.eh > 0 || grown.ew > 0) return maxPool2dNamed(grown.x, kernelSize, { ...opts, ceilMode: false }, op);
  }
  const g = poolGeometry(x, kernelSize, opts, op);
  const shape = [g.n, g.c, g.outH, g.outW];
  const size = g.n * g.c * g.outH * g.outW;
  const out = new Tensor(new Float32Array(size), shape);
  const idx = new Int32Array(size);
  if (size > 0) current.maxPool2d(out.data, idx, x.data, g);
  if (isGradEnabled() && x.requiresGrad) {
    record(out, [x], (dout) => {
      const dx = new Float32Array(x.size);
      current.maxPool2dBackward(dx, dout, idx, g);
      accumulate(x, dx, true);
    });
  }
  return out;
}

/** Max pooling over NCHW (torch.nn.functional.max_pool2d; stride defaults to the kernel size). */
export function maxPool2d(x: Tensor, kernelSize: Size2, opts: Pool2dOptions & { dilation?: Size2 } = {}): Tensor {
  checkOptions(opts, ['stride', 'padding', 'dilation', 'ceilMode'], 'maxPool2d');
  return maxPool2dNamed(x, kernelSize, opts, 'maxPool2d');
}

/** @internal avgPool2d with the caller's name in errors. */
export function avgPool2dNamed(x: Tensor, kernelSize: Size2, opts: Pool2dOptions, op: string): Tensor {
  if (ceilModeFlag(opts.ceilMode, op)) {
    const grown = growForCeil(x, kernelSize, opts, 0, op);
    if (grown.eh > 0 || grown.ew > 0) {
      // the kernel divides by kH·kW; PyTorch divides a window by its part inside the padded input
      // (count_include_pad): hend = min(hstart + kH, H + padH)
      const y = avgPool2dNamed(grown.x, kernelSize, { stride: opts.stride, padding: opts.padding }, op);
      const k = pair(kernelSize, 'kernel size', 1, op);
      const s = pair(opts.stride ?? k, 'stride', 1, op);
      const p = pair(opts.padding ?? 0, 'padding', 0, op);
      const [, , oh, ow] = y.shape;
      const [h, w] = [x.shape[2], x.shape[3]];
      const scale = new Float32Array(oh * ow);
      for (let i = 0; i < oh; i++) {
        const ch = Math.min(i * s[0] - p[0] + k[0], h + p[0]) - (i * s[0] - p[0]);
        for (let j = 0; j < ow; j++) {
          const cw = Math.min(j * s[1] - p[1] + k[1], w + p[1]) - (j * s[1] - p[1]);
          scale[i * ow + j] = (k[0] * k[1]) / (ch * cw);
        }
      }
      return mul(y, new Tensor(scale, [oh, ow]));
    }
  }
  const g = poolGeometry(x, kernelSize, { stride: opts.stride, padding: opts.padding }, op);
  const shape = [g.n, g.c, g.outH, g.outW];
  const out = new Tensor(new Float32Array(g.n * g.c * g.outH * g.outW), shape);
  if (out.size > 0) current.avgPool2d(out.data, x.data, g);
  if (isGradEnabled() && x.requiresGrad) {
    record(out, [x], (dout) => {
      const dx = new Float32Array(x.size);
      current.avgPool2dBackward(dx, dout, g);
      accumulate(x, dx, true);
    });
  }
  return out;
}

/**
 * Average pooling over NCHW (torch.nn.functional.avg_pool2d with count_include_pad=true: padded
 * zeros count in the divisor kH·kW; stride defaults to the kernel size).
 */
export function avgPool2d(x: Tensor, kernelSize: Size2, opts: Pool2dOptions = {}): Tensor {
  checkOptions(opts, ['stride', 'padding', 'ceilMode'], 'avgPool2d');
  return avgPool2dNamed(x, kernelSize, opts, 'avgPool2d');
}
