/**
 * Float32 element-wise kernels on nodegrad's native binary (any broadcast, through strides) and unary
 * kernels. Other dtypes (int32, bool, complex64) stay on the cpu kernels, as tfjs defines them.
 */
import { BinaryOp, UnaryOp, type BinaryOpCode, type UnaryOpCode } from '../../backend/backend.js';
import { tf } from '../core.js';
import { broadcastStrides, cpuKernel, nativeKernels, sizeOf, type KernelArgs } from './util.js';

function binaryKernel(kernelName: string, op: BinaryOpCode, square = false) {
  let cpu: ReturnType<typeof cpuKernel> | null = null;
  return {
    kernelName,
    kernelFunc(args: KernelArgs): tf.TensorInfo {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const backend = args.backend;
      const av = backend.f32(a), bv = backend.f32(b);
      let shape: number[] | null = null;
      if (av !== null && bv !== null) {
        try {
          shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
        } catch {
          shape = null; // the cpu kernel throws tfjs's own message
        }
      }
      if (shape === null || av === null || bv === null) return (cpu ??= cpuKernel(kernelName))(args) as tf.TensorInfo;
      const n = sizeOf(shape);
      const out = backend.alloc(n);
      if (n > 0) {
        const nb = nativeKernels()!;
        nb.binary(op, av, broadcastStrides(a.shape, shape), bv, broadcastStrides(b.shape, shape), out, shape);
        if (square) nb.unary(UnaryOp.square, out, out, n, 0); // out is this kernel's own buffer
      }
      return backend.out(shape, out);
    },
  };
}

function unaryKernel(kernelName: string, op: UnaryOpCode, alpha: (attrs: tf.NamedAttrMap | undefined) => number = () => 0) {
  let cpu: ReturnType<typeof cpuKernel> | null = null;
  return {
    kernelName,
    kernelFunc(args: KernelArgs): tf.TensorInfo {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const xv = args.backend.f32(x);
      if (xv === null) return (cpu ??= cpuKernel(kernelName))(args) as tf.TensorInfo;
      const out = args.backend.alloc(xv.length);
      if (xv.length > 0) nativeKernels()!.unary(op, xv, out, xv.length, alpha(args.attrs));
      return args.backend.out(x.shape.slice(), out);
    },
  };
}

export const elementwiseKernels = [
  binaryKernel(tf.Add, BinaryOp.add),
  binaryKernel(tf.Sub, BinaryOp.sub),
  binaryKernel(tf.Multiply, BinaryOp.mul),
  binaryKernel(tf.RealDiv, BinaryOp.div),
  binaryKernel(tf.Maximum, BinaryOp.max),
  binaryKernel(tf.Minimum, BinaryOp.min),
  binaryKernel(tf.Pow, BinaryOp.pow),
  binaryKernel(tf.Atan2, BinaryOp.atan2),
  binaryKernel(tf.SquaredDifference, BinaryOp.sub, true),
  unaryKernel(tf.Neg, UnaryOp.neg),
  unaryKernel(tf.Exp, UnaryOp.exp),
  unaryKernel(tf.Expm1, UnaryOp.expm1),
  unaryKernel(tf.Log, UnaryOp.log),
  unaryKernel(tf.Log1p, UnaryOp.log1p),
  unaryKernel(tf.Sqrt, UnaryOp.sqrt),
  unaryKernel(tf.Rsqrt, UnaryOp.rsqrt),
  unaryKernel(tf.Square, UnaryOp.square),
  unaryKernel(tf.Reciprocal, UnaryOp.reciprocal),
  unaryKernel(tf.Abs, UnaryOp.abs),
  unaryKernel(tf.Relu, UnaryOp.relu),
  unaryKernel(tf.Elu, UnaryOp.elu, () => 1),
  unaryKernel(tf.LeakyRelu, UnaryOp.leakyRelu, (attrs) => (attrs as unknown as tf.LeakyReluAttrs).alpha),
  unaryKernel(tf.Sigmoid, UnaryOp.sigmoid),
  unaryKernel(tf.Tanh, UnaryOp.tanh),
  unaryKernel(tf.Softplus, UnaryOp.softplus, () => 1),
  unaryKernel(tf.Sin, UnaryOp.sin),
  unaryKernel(tf.Cos, UnaryOp.cos),
  unaryKernel(tf.Tan, UnaryOp.tan),
  unaryKernel(tf.Asin, UnaryOp.asin),
  unaryKernel(tf.Acos, UnaryOp.acos),
  unaryKernel(tf.Atan, UnaryOp.atan),
  unaryKernel(tf.Sinh, UnaryOp.sinh),
  unaryKernel(tf.Cosh, UnaryOp.cosh),
  unaryKernel(tf.Erf, UnaryOp.erf),
  unaryKernel(tf.Sign, UnaryOp.sign),
  unaryKernel(tf.Floor, UnaryOp.floor),
  unaryKernel(tf.Ceil, UnaryOp.ceil),
  unaryKernel(tf.Round, UnaryOp.round),
];

/**
 * Step (x > 0 ? 1 : alpha, NaN stays NaN): the gradient of every relu. nodegrad has no native step,
 * and the cpu kernel's generic unary loop was the costliest kernel of a CNN epoch, so float32 runs
 * this plain typed-array loop.
 */
let cpuStep: ReturnType<typeof cpuKernel> | null = null;
function step(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const xv = args.backend.f32(x);
  if (xv === null) return (cpuStep ??= cpuKernel(tf.Step))(args) as tf.TensorInfo;
  const alpha = (args.attrs as unknown as tf.StepAttrs).alpha ?? 0;
  const out = args.backend.alloc(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i];
    out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
  }
  return args.backend.out(x.shape.slice(), out);
}
elementwiseKernels.push({ kernelName: tf.Step, kernelFunc: step } as unknown as (typeof elementwiseKernels)[number]);
