/**
 * Conv2D, FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter, MaxPool, MaxPoolGrad, AvgPool and
 * AvgPoolGrad on nodegrad's NCHW convolution (im2col + GEMM) and pooling kernels. NHWC tensors (the
 * tfjs default) are re-laid out with native strided copies: x → NCHW (into a padded plane when tfjs's
 * padding is asymmetric, e.g. 'same' with stride 2), filters HWIO ↔ OIHW, results NCHW → NHWC.
 * Geometry comes from tfjs's own computeConv2DInfo/computePool2DInfo; whatever the native kernels do
 * not cover (groups/depthwise, prelu, average pooling over padding, NaN in max pooling) runs on the
 * cpu kernels.
 */
import { UnaryOp, BinaryOp, type Backend, type Conv2dGeometry } from '../../backend/backend.js';
import { tf } from '../core.js';
import type { NodegradBackend } from '../backend.js';
import { cpuKernel, nativeKernels, sizeOf, type KernelArgs } from './util.js';
import { emptyF32, release, zerosF32 } from '../../util/alloc.js';

type Info = tf.backend_util.Conv2DInfo;
type Pad = { top: number; bottom: number; left: number; right: number };

/** Strides of an [N, C, H, W] walk over a tensor stored NHWC (channelsLast) or NCHW. */
function layoutStrides(info: Info, H: number, W: number, C: number): number[] {
  return info.dataFormat === 'channelsLast' ? [H * W * C, 1, W * C, C] : [C * H * W, H * W, W, 1];
}

/**
 * The input as a contiguous NCHW buffer, explicitly padded by `pad` (filled with `fill`); returns the
 * input itself when it is NCHW and unpadded.
 */
function toNCHW(nb: Backend, x: Float32Array, info: Info, pad: Pad, fill: number): Float32Array {
  const { batchSize: N, inChannels: C, inHeight: H, inWidth: W } = info;
  const Hp = H + pad.top + pad.bottom, Wp = W + pad.left + pad.right;
  if (info.dataFormat === 'channelsFirst' && Hp === H && Wp === W) return x;
  const padded = Hp !== H || Wp !== W;
  const out = padded ? zerosF32(N * C * Hp * Wp) : emptyF32(N * C * Hp * Wp);
  if (fill !== 0 && padded) out.fill(fill);
  if (out.length > 0) {
    nb.copy([N, C, H, W], x, 0, layoutStrides(info, H, W, C), out, pad.top * Wp + pad.left, [C * Hp * Wp, Hp * Wp, Wp, 1], false);
  }
  return out;
}

/** An [N, C, H, W] NCHW buffer (a window of a padded plane when `pad` is set) in the tensor's layout. */
function fromNCHW(backend: NodegradBackend, nb: Backend, y: Float32Array, info: Info, N: number, C: number, H: number, W: number, pad?: Pad): Float32Array {
  const Hp = H + (pad ? pad.top + pad.bottom : 0), Wp = W + (pad ? pad.left + pad.right : 0);
  if (info.dataFormat === 'channelsFirst' && Hp === H && Wp === W) return y;
  const out = backend.alloc(N * C * H * W);
  if (out.length > 0) {
    nb.copy([N, C, H, W], y, pad ? pad.top * Wp + pad.left : 0, [C * Hp * Wp, Hp * Wp, Wp, 1], out, 0, layoutStrides(info, H, W, C), false);
  }
  return out;
}

/** fromNCHW, giving the NCHW buffer back when the result is a re-laid-out copy. */
function finish(backend: NodegradBackend, nb: Backend, y: Float32Array, info: Info, N: number, C: number, H: number, W: number, pad?: Pad): Float32Array {
  const out = fromNCHW(backend, nb, y, info, N, C, H, W, pad);
  if (out !== y) backend.releaseTemp(y);
  return out;
}

/** Filter HWIO ([fH, fW, inC, outC], tfjs) → OIHW (nodegrad). */
function filterToOIHW(nb: Backend, f: Float32Array, kH: number, kW: number, I: number, O: number): Float32Array {
  const out = emptyF32(f.length);
  if (out.length > 0) nb.copy([O, I, kH, kW], f, 0, [1, O, kW * I * O, I * O], out, 0, [I * kH * kW, kH * kW, kW, 1], false);
  return out;
}

function filterToHWIO(backend: NodegradBackend, nb: Backend, f: Float32Array, kH: number, kW: number, I: number, O: number): Float32Array {
  const out = backend.alloc(f.length);
  if (out.length > 0) nb.copy([O, I, kH, kW], f, 0, [I * kH * kW, kH * kW, kW, 1], out, 0, [1, O, kW * I * O, I * O], false);
  return out;
}

/**
 * The native geometry for `info`: symmetric padding goes to the kernel; asymmetric padding is
 * applied explicitly (`explicit`) and the kernel sees an unpadded, larger input. Null when the
 * native output size would differ from tfjs's (rounding modes) or the output is empty.
 */
function geometry(info: Info, outC: number): { g: Conv2dGeometry; explicit: Pad | null } | null {
  const p = info.padInfo;
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) return null;
  const symmetric = p.top === p.bottom && p.left === p.right;
  const explicit = symmetric ? null : { top: p.top, bottom: p.bottom, left: p.left, right: p.right };
  const h = info.inHeight + (explicit ? p.top + p.bottom : 0);
  const w = info.inWidth + (explicit ? p.left + p.right : 0);
  const padH = explicit ? 0 : p.top, padW = explicit ? 0 : p.left;
  const effH = info.dilationHeight * (info.filterHeight - 1) + 1, effW = info.dilationWidth * (info.filterWidth - 1) + 1;
  if (h + 2 * padH < effH || w + 2 * padW < effW) return null;
  const outH = Math.floor((h + 2 * padH - effH) / info.strideHeight) + 1;
  const outW = Math.floor((w + 2 * padW - effW) / info.strideWidth) + 1;
  if (outH !== info.outHeight || outW !== info.outWidth || outH <= 0 || outW <= 0) return null;
  if (info.batchSize * info.inChannels * outC === 0) return null;
  return {
    g: {
      n: info.batchSize, c: info.inChannels, h, w, outC, kH: info.filterHeight, kW: info.filterWidth,
      strideH: info.strideHeight, strideW: info.strideWidth, padH, padW,
      dilationH: info.dilationHeight, dilationW: info.dilationWidth, outH, outW,
    },
    explicit,
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const NO_PAD: Pad = { top: 0, bottom: 0, left: 0, right: 0 };

/** A zero buffer of at least n floats for operands the native backward reads but this call does not use. */
let scratch = new Float32Array(0);
function unused(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.subarray(0, n);
}

function convForward(
  backend: NodegradBackend, x: tf.TensorInfo, filter: tf.TensorInfo, info: Info, bias: Float32Array | null,
): { out: Float32Array; shape: number[] } | null {
  const nb = nativeKernels()!;
  const xv = backend.f32(x), fv = backend.f32(filter);
  if (xv === null || fv === null) return null;
  const geo = geometry(info, info.outChannels);
  if (geo === null) return null;
  const { g, explicit } = geo;
  const xn = toNCHW(nb, xv, info, explicit ?? NO_PAD, 0);
  const w = filterToOIHW(nb, fv, info.filterHeight, info.filterWidth, info.inChannels, info.outChannels);
  const y = backend.alloc(g.n * g.outC * g.outH * g.outW);
  nb.conv2d(y, xn, w, bias, g);
  if (xn !== xv) release(xn);
  release(w);
  return { out: finish(backend, nb, y, info, g.n, g.outC, g.outH, g.outW), shape: info.outShape.slice() };
}

function convInfoOf(xShape: number[], filterShape: number[], attrs: tf.Conv2DAttrs, dilations: number | [number, number]): Info {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, dilations,
    attrs.pad, attrs.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

let cpuConv: ReturnType<typeof cpuKernel> | null = null;
function conv2D(args: KernelArgs): tf.TensorInfo {
  const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DAttrs;
  const info = convInfoOf(x.shape, filter.shape, attrs, attrs.dilations);
  const r = convForward(args.backend, x, filter, info, null);
  if (r === null) return (cpuConv ??= cpuKernel(tf.Conv2D))(args) as tf.TensorInfo;
  return args.backend.out(r.shape, r.out);
}

let cpuFused: ReturnType<typeof cpuKernel> | null = null;
function fusedConv2D(args: KernelArgs): tf.TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as unknown as {
    x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo;
  };
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const fallback = () => (cpuFused ??= cpuKernel(tf.FusedConv2D))(args) as tf.TensorInfo;
  const act = attrs.activation ?? 'linear';
  if (preluActivationWeights != null || !['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'].includes(act)) return fallback();
  const info = convInfoOf(x.shape, filter.shape, attrs as unknown as tf.Conv2DAttrs, attrs.dilations);
  let biasV: Float32Array | null = null;
  if (bias != null) {
    biasV = args.backend.f32(bias);
    // a per-channel bias: [outC] (or [1, .., outC] in NHWC)
    const channelsLast = info.dataFormat === 'channelsLast';
    const perChannel = sizeOf(bias.shape) === info.outChannels &&
      (bias.shape.length === 1 || (channelsLast && bias.shape[bias.shape.length - 1] === info.outChannels));
    if (biasV === null || !perChannel) return fallback();
  }
  const r = convForward(args.backend, x, filter, info, biasV);
  if (r === null) return fallback();
  const nb = nativeKernels()!;
  const out = r.out; // this kernel's own buffer: activations run in place
  const n = out.length;
  if (act === 'relu') nb.unary(UnaryOp.relu, out, out, n, 0);
  else if (act === 'sigmoid') nb.unary(UnaryOp.sigmoid, out, out, n, 0);
  else if (act === 'elu') nb.unary(UnaryOp.elu, out, out, n, 1);
  else if (act === 'leakyrelu') nb.unary(UnaryOp.leakyRelu, out, out, n, attrs.leakyreluAlpha ?? 0.2);
  else if (act === 'relu6') {
    nb.binary(BinaryOp.max, out, [1], ZERO, [0], out, [n]);
    nb.binary(BinaryOp.min, out, [1], SIX, [0], out, [n]);
  }
  return args.backend.out(r.shape, out);
}
const ZERO = new Float32Array([0]);
const SIX = new Float32Array([6]);

let cpuBackInput: ReturnType<typeof cpuKernel> | null = null;
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const fallback = () => (cpuBackInput ??= cpuKernel(tf.Conv2DBackpropInput))(args) as tf.TensorInfo;
  const backend = args.backend;
  const dyv = backend.f32(dy), fv = backend.f32(filter);
  if (dyv === null || fv === null) return fallback();
  const info = convInfoOf(attrs.inputShape, filter.shape, attrs as unknown as tf.Conv2DAttrs, 1);
  const geo = geometry(info, info.outChannels);
  // the cpu kernel reads a dy of another shape than the geometry implies with dy's own strides
  if (geo === null || !sameShape(dy.shape, info.outShape)) return fallback();
  const { g, explicit } = geo;
  const nb = nativeKernels()!;
  const w = filterToOIHW(nb, fv, info.filterHeight, info.filterWidth, info.inChannels, info.outChannels);
  const dout = toNCHW(nb, dyv, { ...info, inChannels: g.outC, inHeight: g.outH, inWidth: g.outW }, NO_PAD, 0);
  const dxp = backend.alloc(g.n * g.c * g.h * g.w, true);
  nb.conv2dBackward(dxp, null, null, dout, unused(dxp.length), w, g);
  if (dout !== dyv) release(dout);
  release(w);
  const dx = finish(backend, nb, dxp, info, g.n, g.c, info.inHeight, info.inWidth, explicit ?? undefined);
  return backend.out(attrs.inputShape.slice(), dx);
}

let cpuBackFilter: ReturnType<typeof cpuKernel> | null = null;
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const fallback = () => (cpuBackFilter ??= cpuKernel(tf.Conv2DBackpropFilter))(args) as tf.TensorInfo;
  const backend = args.backend;
  const xv = backend.f32(x), dyv = backend.f32(dy);
  if (xv === null || dyv === null) return fallback();
  const info = convInfoOf(x.shape, attrs.filterShape, attrs as unknown as tf.Conv2DAttrs, 1);
  const geo = geometry(info, info.outChannels);
  if (geo === null || !sameShape(dy.shape, info.outShape)) return fallback();
  const { g, explicit } = geo;
  const nb = nativeKernels()!;
  const xn = toNCHW(nb, xv, info, explicit ?? NO_PAD, 0);
  const dout = toNCHW(nb, dyv, { ...info, inChannels: g.outC, inHeight: g.outH, inWidth: g.outW }, NO_PAD, 0);
  const dw = zerosF32(g.outC * g.c * g.kH * g.kW);
  nb.conv2dBackward(null, dw, null, dout, xn, unused(dw.length), g);
  if (xn !== xv) release(xn);
  if (dout !== dyv) release(dout);
  const out = filterToHWIO(backend, nb, dw, g.kH, g.kW, g.c, g.outC);
  release(dw);
  return backend.out(attrs.filterShape.slice(), out);
}

// ---- pooling (NHWC only in tfjs) ----

function poolInfo(xShape: number[], attrs: tf.MaxPoolAttrs): Info {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
}

function hasNaN(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) return true;
  return false;
}

/** Native max pooling of an NHWC tensor: output and argmax indices, both NCHW, or null. */
function maxPoolNCHW(backend: NodegradBackend, x: tf.TensorInfo, info: Info) {
  const xv = backend.f32(x);
  if (xv === null || identityPool(info)) return null;
  const geo = geometry(info, info.inChannels);
  if (geo === null) return null;
  const { g, explicit } = geo;
  const nb = nativeKernels()!;
  // explicit padding with -inf never wins a window, as tfjs skips padded taps
  const xn = toNCHW(nb, xv, info, explicit ?? NO_PAD, -Infinity);
  const y = backend.alloc(g.n * g.c * g.outH * g.outW);
  const idx = new Int32Array(y.length);
  nb.maxPool2d(y, idx, xn, g);
  if (xn !== xv) release(xn);
  // tfjs's max pooling skips NaNs; nodegrad's propagates them: a NaN in the result → cpu kernel
  if (hasNaN(y)) return null;
  return { y, idx, g, explicit, nb };
}

let cpuMaxPool: ReturnType<typeof cpuKernel> | null = null;
function maxPool(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const info = poolInfo(x.shape, args.attrs as unknown as tf.MaxPoolAttrs);
  const r = maxPoolNCHW(args.backend, x, info);
  if (r === null) return (cpuMaxPool ??= cpuKernel(tf.MaxPool))(args) as tf.TensorInfo;
  return args.backend.out(info.outShape.slice(), finish(args.backend, r.nb, r.y, info, r.g.n, r.g.c, r.g.outH, r.g.outW));
}

let cpuMaxPoolGrad: ReturnType<typeof cpuKernel> | null = null;
function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input.shape, args.attrs as unknown as tf.MaxPoolAttrs);
  const dyv = args.backend.f32(dy);
  const r = dyv === null || !sameShape(dy.shape, info.outShape) ? null : maxPoolNCHW(args.backend, input, info);
  if (r === null || dyv === null) return (cpuMaxPoolGrad ??= cpuKernel(tf.MaxPoolGrad))(args) as tf.TensorInfo;
  const { g, nb } = r;
  const dout = toNCHW(nb, dyv, { ...info, inHeight: g.outH, inWidth: g.outW }, NO_PAD, 0);
  args.backend.releaseTemp(r.y);
  const dxp = args.backend.alloc(g.n * g.c * g.h * g.w, true);
  nb.maxPool2dBackward(dxp, dout, r.idx, g);
  if (dout !== dyv) release(dout);
  return args.backend.out(input.shape.slice(), finish(args.backend, nb, dxp, info, g.n, g.c, info.inHeight, info.inWidth, r.explicit ?? undefined));
}

/** A 1×1 window that keeps the shape: the cpu kernels return the input itself (whatever the padding). */
function identityPool(info: Info): boolean {
  return info.filterHeight === 1 && info.filterWidth === 1 && sameShape(info.inShape, info.outShape);
}

/** Average pooling without padding (nodegrad divides by the window size; tfjs by the taps inside). */
function avgGeometry(info: Info): Conv2dGeometry | null {
  const p = info.padInfo;
  if (p.top !== 0 || p.bottom !== 0 || p.left !== 0 || p.right !== 0 || identityPool(info)) return null;
  const geo = geometry(info, info.inChannels);
  return geo === null ? null : geo.g;
}

let cpuAvgPool: ReturnType<typeof cpuKernel> | null = null;
function avgPool(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const info = poolInfo(x.shape, args.attrs as unknown as tf.MaxPoolAttrs);
  const xv = args.backend.f32(x);
  const g = xv === null ? null : avgGeometry(info);
  if (g === null || xv === null) return (cpuAvgPool ??= cpuKernel(tf.AvgPool))(args) as tf.TensorInfo;
  const nb = nativeKernels()!;
  const y = args.backend.alloc(g.n * g.c * g.outH * g.outW);
  const xn = toNCHW(nb, xv, info, NO_PAD, 0);
  nb.avgPool2d(y, xn, g);
  if (xn !== xv) release(xn);
  return args.backend.out(info.outShape.slice(), finish(args.backend, nb, y, info, g.n, g.c, g.outH, g.outW));
}

let cpuAvgPoolGrad: ReturnType<typeof cpuKernel> | null = null;
function avgPoolGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input.shape, args.attrs as unknown as tf.MaxPoolAttrs);
  const dyv = args.backend.f32(dy);
  const g = dyv === null || input.dtype !== 'float32' || !sameShape(dy.shape, info.outShape) ? null : avgGeometry(info);
  if (g === null || dyv === null) return (cpuAvgPoolGrad ??= cpuKernel(tf.AvgPoolGrad))(args) as tf.TensorInfo;
  const nb = nativeKernels()!;
  const dout = toNCHW(nb, dyv, { ...info, inHeight: g.outH, inWidth: g.outW }, NO_PAD, 0);
  const dx = args.backend.alloc(g.n * g.c * g.h * g.w, true);
  nb.avgPool2dBackward(dx, dout, g);
  if (dout !== dyv) release(dout);
  return args.backend.out(input.shape.slice(), finish(args.backend, nb, dx, info, g.n, g.c, g.h, g.w));
}

export const convKernels = [
  { kernelName: tf.Conv2D, kernelFunc: conv2D },
  { kernelName: tf.FusedConv2D, kernelFunc: fusedConv2D },
  { kernelName: tf.Conv2DBackpropInput, kernelFunc: conv2DBackpropInput },
  { kernelName: tf.Conv2DBackpropFilter, kernelFunc: conv2DBackpropFilter },
  { kernelName: tf.MaxPool, kernelFunc: maxPool },
  { kernelName: tf.MaxPoolGrad, kernelFunc: maxPoolGrad },
  { kernelName: tf.AvgPool, kernelFunc: avgPool },
  { kernelName: tf.AvgPoolGrad, kernelFunc: avgPoolGrad },
];
