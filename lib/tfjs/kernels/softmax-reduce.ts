/**
 * Softmax (last axis) and the float32 reductions Sum, Mean, Max, Min, ArgMax, ArgMin over one
 * contiguous run of axes (outer × n × inner), on nodegrad's native softmax and reduce kernels.
 * Other dtypes, empty reductions and non-contiguous axis sets use the cpu kernels.
 */
import { ReduceOp, type ReduceOpCode } from '../../backend/backend.js';
import { tf } from '../core.js';
import { cpuKernel, nativeKernels, sizeOf, type KernelArgs } from './util.js';

let cpuSoftmax: ReturnType<typeof cpuKernel> | null = null;
function softmax(args: KernelArgs): tf.TensorInfo {
  const { logits } = args.inputs as unknown as { logits: tf.TensorInfo };
  const { dim } = args.attrs as unknown as tf.SoftmaxAttrs;
  const v = args.backend.f32(logits);
  const r = logits.shape.length;
  if (v === null || r === 0 || (dim !== -1 && dim !== r - 1) || v.length === 0) {
    return (cpuSoftmax ??= cpuKernel(tf.Softmax))(args) as tf.TensorInfo;
  }
  const n = logits.shape[r - 1];
  const out = args.backend.alloc(v.length);
  nativeKernels()!.softmax(v, out, v.length / n, n, 1, false);
  return args.backend.out(logits.shape.slice(), out);
}

/** outer × n × inner for reducing `axes` of `shape`, or null when they are not one contiguous run. */
function split(shape: readonly number[], axes: number[]): { outer: number; n: number; inner: number } | null {
  const s = [...axes].sort((p, q) => p - q);
  for (let i = 1; i < s.length; i++) if (s[i] !== s[i - 1] + 1) return null;
  if (s.length === 0) return null;
  return {
    outer: sizeOf(shape.slice(0, s[0])),
    n: sizeOf(shape.slice(s[0], s[s.length - 1] + 1)),
    inner: sizeOf(shape.slice(s[s.length - 1] + 1)),
  };
}

function hasNaN(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) return true;
  return false;
}

function reduceKernel(kernelName: string, op: ReduceOpCode, arg: boolean) {
  let cpu: ReturnType<typeof cpuKernel> | null = null;
  return {
    kernelName,
    kernelFunc(args: KernelArgs): tf.TensorInfo {
      const { x } = args.inputs as { x: tf.TensorInfo };
      // Max names its axes reductionIndices; the others axis
      const attrs = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims?: boolean };
      const v = args.backend.f32(x);
      const fallback = () => (cpu ??= cpuKernel(kernelName))(args) as tf.TensorInfo;
      if (v === null || x.shape.length === 0) return fallback();
      let axes: number[];
      try {
        axes = tf.util.parseAxisParam((attrs.axis ?? attrs.reductionIndices)!, x.shape);
      } catch {
        return fallback();
      }
      if (arg && axes.length !== 1) return fallback();
      const g = split(x.shape, axes);
      if (g === null || g.n === 0 || g.outer * g.inner === 0) return fallback();
      // tfjs's ArgMax/ArgMin skip NaNs; nodegrad's (PyTorch's) pick them: NaN input → cpu kernel
      if (arg && hasNaN(v)) return fallback();
      const out = args.backend.alloc(g.outer * g.inner);
      nativeKernels()!.reduce(op, v, out, g.outer, g.n, g.inner);
      let [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
      if (!arg && attrs.keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
      if (arg) {
        const idx = Int32Array.from(out);
        args.backend.releaseTemp(out);
        return args.backend.makeTensorInfo(outShape, 'int32', idx);
      }
      return args.backend.out(outShape, out);
    },
  };
}

export const softmaxReduceKernels = [
  { kernelName: tf.Softmax, kernelFunc: softmax },
  reduceKernel(tf.Sum, ReduceOp.sum, false),
  reduceKernel(tf.Mean, ReduceOp.mean, false),
  reduceKernel(tf.Max, ReduceOp.max, false),
  reduceKernel(tf.Min, ReduceOp.min, false),
  reduceKernel(tf.ArgMax, ReduceOp.argmax, true),
  reduceKernel(tf.ArgMin, ReduceOp.argmin, true),
];
