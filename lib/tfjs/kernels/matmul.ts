/**
 * BatchMatMul and _FusedMatMul on nodegrad's GEMM: transposes are GEMM flags, a batch of 1 on either
 * side broadcasts with stride 0, other batch broadcasts run one GEMM per output matrix. The fused
 * bias (a length-N row) and relu / sigmoid run in the GEMM epilogue; other biases are a broadcast
 * add, elu / leakyrelu / relu6 a native pass over the output; prelu uses the cpu kernel.
 */
import { Epilogue, BinaryOp, UnaryOp, type Backend, type EpilogueCode } from '../../backend/backend.js';
import { tf } from '../core.js';
import type { NodegradBackend } from '../backend.js';
import { broadcastStrides, contiguousStrides, cpuKernel, nativeKernels, sizeOf, type KernelArgs } from './util.js';

interface Mm {
  out: Float32Array;
  shape: number[];
  M: number;
  N: number;
}

/** C = op(A)·op(B) over broadcast batch dims, or null when the native path does not apply. */
function matmul(
  nb: Backend, backend: NodegradBackend, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean,
  epilogue: EpilogueCode, bias: Float32Array | null,
): Mm | null {
  const av = backend.f32(a), bv = backend.f32(b);
  if (av === null || bv === null || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length, rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const K2 = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== K2) return null; // the cpu kernel throws its own message
  const aBatchShape = a.shape.slice(0, -2), bBatchShape = b.shape.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = tf.broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  } catch {
    return null;
  }
  const batch = sizeOf(batchShape), aBatch = sizeOf(aBatchShape), bBatch = sizeOf(bBatchShape);
  // overwritten by the GEMM (beta 0), except for K = 0 without an epilogue: zeros
  const out = backend.alloc(batch * M * N, K === 0);
  const shape = [...batchShape, M, N];
  if (out.length === 0) return { out, shape, M, N };
  const lda = transA ? M : K, ldb = transB ? K : N;
  if (K === 0) {
    // an empty inner product: C is the epilogue applied to zeros
    if (epilogue !== Epilogue.none && bias !== null) {
      const zeroA = new Float32Array(Math.max(1, M)), zeroB = new Float32Array(Math.max(1, N));
      nb.gemm(false, false, M, N, 1, 0, zeroA, 1, zeroB, N, 0, out, N, epilogue, bias, batch, 0, 0, M * N);
    }
    return { out, shape, M, N };
  }
  if ((aBatch === batch || aBatch === 1) && (bBatch === batch || bBatch === 1)) {
    nb.gemm(transA, transB, M, N, K, 1, av, lda, bv, ldb, 0, out, N, epilogue, bias, batch,
      aBatch === 1 ? 0 : M * K, bBatch === 1 ? 0 : K * N, M * N);
    return { out, shape, M, N };
  }
  // general batch broadcast: one GEMM per output matrix, operands located through broadcast strides
  const as = broadcastStrides(aBatchShape, batchShape), bs = broadcastStrides(bBatchShape, batchShape);
  const idx = new Array<number>(batchShape.length).fill(0);
  for (let i = 0; i < batch; i++) {
    let ao = 0, bo = 0;
    for (let d = 0; d < idx.length; d++) {
      ao += idx[d] * as[d];
      bo += idx[d] * bs[d];
    }
    nb.gemm(transA, transB, M, N, K, 1, av.subarray(ao * M * K, (ao + 1) * M * K), lda,
      bv.subarray(bo * K * N, (bo + 1) * K * N), ldb, 0, out.subarray(i * M * N, (i + 1) * M * N), N,
      epilogue, bias, 1, 0, 0, 0);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < batchShape[d]) break;
      idx[d] = 0;
    }
  }
  return { out, shape, M, N };
}

const cpuBatchMatMul = () => cpuKernel(tf.BatchMatMul);
const cpuFusedMatMul = () => cpuKernel(tf._FusedMatMul);

function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as unknown as tf.BatchMatMulInputs & { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const nb = nativeKernels()!;
  const r = matmul(nb, args.backend, a, b, transposeA, transposeB, Epilogue.none, null);
  if (r === null) return cpuBatchMatMul()(args) as tf.TensorInfo;
  return args.backend.out(r.shape, r.out);
}

const FUSED_EPILOGUE: Record<string, EpilogueCode | undefined> = {
  linear: Epilogue.bias,
  relu: Epilogue.biasRelu,
  sigmoid: Epilogue.biasSigmoid,
};

function fusedMatMul(args: KernelArgs): tf.TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as unknown as {
    a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo;
  };
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
  const backend = args.backend;
  const nb = nativeKernels()!;
  const act = activation ?? 'linear';
  const fallback = () => cpuFusedMatMul()(args) as tf.TensorInfo;
  if (act === 'prelu' || preluActivationWeights != null) return fallback();
  if (!['linear', 'relu', 'sigmoid', 'elu', 'leakyrelu', 'relu6'].includes(act)) return fallback();
  const biasV = bias != null ? backend.f32(bias) : null;
  if (bias != null && biasV === null) return fallback();
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return fallback();
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  // a length-N bias broadcast along rows (shape [N], [1, N], ...) goes into the GEMM epilogue
  const rowBias = bias != null && biasV !== null && bias.shape.length > 0 && bias.shape[bias.shape.length - 1] === N &&
    sizeOf(bias.shape) === N;
  let epilogue: EpilogueCode = Epilogue.none;
  let epBias: Float32Array | null = null;
  if (rowBias) {
    epilogue = FUSED_EPILOGUE[act] ?? Epilogue.bias;
    epBias = biasV;
  } else if (bias == null && (act === 'relu' || act === 'sigmoid')) {
    epilogue = FUSED_EPILOGUE[act]!;
    epBias = new Float32Array(N);
  }
  const r = matmul(nb, backend, a, b, transposeA, transposeB, epilogue, epBias);
  if (r === null) return fallback();
  let out = r.out;
  const shape = r.shape;
  if (bias != null && !rowBias) {
    let outShape: number[];
    try {
      outShape = tf.broadcast_util.assertAndGetBroadcastShape(shape, bias.shape);
    } catch {
      return fallback();
    }
    if (outShape.length !== shape.length || outShape.some((d, i) => d !== shape[i])) return fallback();
    const sum = backend.alloc(out.length);
    nb.binary(BinaryOp.add, out, contiguousStrides(shape), biasV!, broadcastStrides(bias.shape, shape), sum, shape);
    backend.releaseTemp(out);
    out = sum;
  }
  const needsPass = epilogue === Epilogue.none || epilogue === Epilogue.bias;
  if (needsPass) {
    // out is this kernel's own buffer: the activation may run in place
    if (act === 'relu') nb.unary(UnaryOp.relu, out, out, out.length, 0);
    else if (act === 'sigmoid') nb.unary(UnaryOp.sigmoid, out, out, out.length, 0);
  }
  if (act === 'elu') nb.unary(UnaryOp.elu, out, out, out.length, 1);
  else if (act === 'leakyrelu') nb.unary(UnaryOp.leakyRelu, out, out, out.length, leakyreluAlpha ?? 0.2);
  else if (act === 'relu6') {
    nb.binary(BinaryOp.max, out, contiguousStrides(shape), ZERO, shape.map(() => 0), out, shape);
    nb.binary(BinaryOp.min, out, contiguousStrides(shape), SIX, shape.map(() => 0), out, shape);
  }
  return backend.out(shape, out);
}

const ZERO = new Float32Array([0]);
const SIX = new Float32Array([6]);

export const matmulKernels = [
  { kernelName: tf.BatchMatMul, kernelFunc: batchMatMul },
  { kernelName: tf._FusedMatMul, kernelFunc: fusedMatMul },
];
