/**
 * The typed surface of the native addon — the one hand-written declaration of every function the
 * C++ binding exports (native/binding/bind_*.cc). The adapter (./index.ts) is its only user.
 * Every function validates its arguments again and throws TypeError/RangeError naming itself.
 */

export interface NativeInfoRaw {
  isa: 'avx512' | 'avx2' | 'neon' | 'scalar';
  bestIsa: 'avx512' | 'avx2' | 'neon' | 'scalar';
  bf16: boolean;
  threads: number;
  l1dBytes: number;
  l2Bytes: number;
  l3Bytes: number;
  version: string;
  /** why NODEGRAD_ISA was not honoured, or null */
  isaWarning: string | null;
  /** the op tables the addon was compiled with (spec/ops.json → native/include/ops.gen.h) */
  ops?: { unary: string[]; binary: string[]; reduce: string[]; epilogue: string[] };
}

export interface NativeBinding {
  nativeInfo(): NativeInfoRaw;
  /** Whether the addon raised glibc's mmap/trim thresholds at load (native/binding/addon.cc). */
  mallocTuned(): boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** measured FP32 FMA GFLOP/s of the active ISA on `threads` threads over about `ms` milliseconds */
  fmaPeak(threads: number, ms: number): number;

  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number,
    C: Float32Array, ldc: number, epilogue: number, bias: Float32Array | null,
    batch: number, strideA: number, strideB: number, strideC: number,
  ): void;

  /** one matrix, B a Uint16Array of bfloat16 bit patterns widened inside the B packing (native/core/gemm_bf16.cc); K ≥ 1 */
  gemmBf16(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Uint16Array, ldb: number, beta: number,
    C: Float32Array, ldc: number, epilogue: number, bias: Float32Array | null,
  ): void;

  unary(op: number, x: Float32Array, out: Float32Array, n: number, alpha: number): void;
  unaryBackward(
    op: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, alpha: number,
  ): void;
  /** meta = [rank, shape[0..rank), aStrides[0..rank), bStrides[0..rank)] */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, meta: Int32Array): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;
  /** meta = [rank, shape[0..rank), srcStrides[0..rank), dstStrides[0..rank)] */
  copy(
    meta: Int32Array, src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number,
    accumulate: boolean,
  ): void;
  softmax(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number, log: boolean): void;
  softmaxBackward(
    y: Float32Array, dy: Float32Array, dx: Float32Array, outer: number, n: number, inner: number, log: boolean,
  ): void;
  softmaxCrossEntropy(
    logits: Float32Array, labels: Int32Array, losses: Float32Array, dlogits: Float32Array | null,
    rows: number, classes: number, gradScale: number,
  ): void;
  gatherRows(table: Float32Array, idx: Int32Array, out: Float32Array, rows: number, dim: number): void;
  scatterAddRows(dout: Float32Array, idx: Int32Array, dtable: Float32Array, rows: number, dim: number): void;
  adamStep(
    params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[],
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, decoupled: boolean,
  ): void;
  sgdStep(
    params: Float32Array[], grads: Float32Array[], momentumBufs: Float32Array[] | null,
    lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean, firstStep: boolean,
  ): void;
  rmspropStep(
    params: Float32Array[], grads: Float32Array[], squareAvg: Float32Array[], momentumBufs: Float32Array[] | null,
    lr: number, alpha: number, eps: number, weightDecay: number, momentum: number,
  ): void;

  // lib/nn kernels (native/binding/bind_nn.cc)
  pointwiseLoss(op: number, pred: Float32Array, target: Float32Array, out: Float32Array, n: number, delta: number, reduction: number): void;
  pointwiseLossBackward(
    op: number, pred: Float32Array, target: Float32Array, dout: Float32Array, doutStride: number,
    dpred: Float32Array | null, dtarget: Float32Array | null, n: number, delta: number, scale: number,
  ): void;
  nllLoss(logProbs: Float32Array, labels: Int32Array, losses: Float32Array, rows: number, classes: number): void;
  nllLossBackward(
    dlosses: Float32Array, dlossesStride: number, labels: Int32Array, dx: Float32Array, rows: number, classes: number, scale: number,
  ): void;
  dropout(x: Float32Array, out: Float32Array, n: number, p: number, seed0: number, seed1: number, offset: number): void;
  /** the first position of idx[0..n) outside [0, limit), or -1 */
  indexCheck(idx: Int32Array, n: number, limit: number): number;

  // Convolution / pooling geometry travels as plain integers (the binding recomputes outH/outW):
  // N, C, H, W[, outC], kH, kW, strideH, strideW, padH, padW, dilationH, dilationW.
  conv2d(
    out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array | null,
    N: number, C: number, H: number, W: number, outC: number, kH: number, kW: number,
    sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
  ): void;
  conv2dBackward(
    dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null,
    dout: Float32Array, x: Float32Array, weight: Float32Array,
    N: number, C: number, H: number, W: number, outC: number, kH: number, kW: number,
    sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
  ): void;
  maxPool2d(
    out: Float32Array, indices: Int32Array, x: Float32Array, N: number, C: number, H: number, W: number,
    kH: number, kW: number, sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
  ): void;
  maxPool2dBackward(
    dx: Float32Array, dout: Float32Array, indices: Int32Array, N: number, C: number, H: number, W: number,
    kH: number, kW: number, sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
  ): void;
  avgPool2d(
    out: Float32Array, x: Float32Array, N: number, C: number, H: number, W: number,
    kH: number, kW: number, sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
  ): void;
  avgPool2dBackward(
    dx: Float32Array, dout: Float32Array, N: number, C: number, H: number, W: number,
    kH: number, kW: number, sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
  ): void;
  batchNormStats(mean: Float32Array, variance: Float32Array, x: Float32Array, N: number, C: number, L: number): void;
  batchNormForward(
    out: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array,
    gamma: Float32Array | null, beta: Float32Array | null, N: number, C: number, L: number,
  ): void;
  batchNormBackward(
    dx: Float32Array | null, dgamma: Float32Array | null, dbeta: Float32Array | null,
    dout: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array,
    gamma: Float32Array | null, N: number, C: number, L: number, batchStats: boolean,
  ): void;

  // transformer kernels (native/binding/bind_transformer.cc)
  layerNorm(
    out: Float32Array, mean: Float32Array, rstd: Float32Array, x: Float32Array, weight: Float32Array | null,
    bias: Float32Array | null, rows: number, n: number, eps: number,
  ): void;
  layerNormBackward(
    dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
    x: Float32Array, mean: Float32Array, rstd: Float32Array, weight: Float32Array | null, rows: number, n: number,
  ): void;
  /** meta = [b0, b1, L, S, E, Ev, q0, q1, qL, k0, k1, kL, v0, v1, vL, m0, m1, mL, mS] (19 Int32) */
  sdpa(
    out: Float32Array, lse: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
    mask: Float32Array | null, meta: Int32Array, scale: number, causal: boolean,
  ): void;
  sdpaBackward(
    dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array, q: Float32Array, k: Float32Array,
    v: Float32Array, out: Float32Array, lse: Float32Array, mask: Float32Array | null, meta: Int32Array,
    scale: number, causal: boolean,
  ): void;
}

/**
 * Every function of NativeBinding, checked at load (a stale or foreign addon that lacks one is
 * refused with the list of what is missing). The type below fails to compile when a function is
 * declared above but not listed here.
 */
export const BINDING_FUNCTIONS = [
  'nativeInfo', 'mallocTuned', 'setNumThreads', 'getNumThreads', 'fmaPeak', 'gemm', 'gemmBf16', 'unary', 'unaryBackward',
  'binary', 'reduce', 'copy', 'softmax', 'softmaxBackward', 'softmaxCrossEntropy', 'gatherRows', 'scatterAddRows',
  'adamStep', 'sgdStep', 'rmspropStep', 'conv2d', 'conv2dBackward', 'maxPool2d', 'maxPool2dBackward', 'avgPool2d',
  'avgPool2dBackward', 'batchNormStats', 'batchNormForward', 'batchNormBackward',
  'layerNorm', 'layerNormBackward', 'sdpa', 'sdpaBackward',
  'pointwiseLoss', 'pointwiseLossBackward', 'nllLoss', 'nllLossBackward', 'dropout', 'indexCheck',
] as const satisfies readonly (keyof NativeBinding)[];

type Unlisted = Exclude<keyof NativeBinding, (typeof BINDING_FUNCTIONS)[number]>;
/** Compile-time check: `Unlisted` must be never (add new binding functions to BINDING_FUNCTIONS). */
export const BINDING_FUNCTIONS_COMPLETE: [Unlisted] extends [never] ? true : Unlisted = true;
