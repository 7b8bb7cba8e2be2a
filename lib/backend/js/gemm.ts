/**
 * The js reference GEMM: the executable specification the native kernels are checked against.
 *
 * C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b], then the epilogue, for b in [0, batch), in batch
 * order (a broadcast C, strideC = 0, sees the previous batch's result). Row-major, BLAS argument
 * order (see Backend.gemm). beta = 0 never reads C; alpha = 0 or K = 0 skips the product (so
 * Inf/NaN in A or B do not leak into C = beta·C). Sums are accumulated in float64 and rounded once.
 */
import { Epilogue, type EpilogueCode } from '../backend.js';
import { gelu, geluTanh, sigmoid } from './math.js';

function activate(epilogue: EpilogueCode, v: number): number {
  switch (epilogue) {
    case Epilogue.biasRelu: return v < 0 ? 0 : v; // NaN stays NaN
    case Epilogue.biasGelu: return gelu(v);
    case Epilogue.biasSigmoid: return sigmoid(v);
    case Epilogue.biasTanh: return Math.tanh(v);
    case Epilogue.biasGeluTanh: return geluTanh(v);
    default: return v;
  }
}

export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number,
  C: Float32Array, ldc: number, epilogue: EpilogueCode, bias: Float32Array | null,
  batch: number, strideA: number, strideB: number, strideC: number,
): void {
  if (M === 0 || N === 0) return;
  if (epilogue !== Epilogue.none && (bias === null || bias.length < N)) {
    throw new RangeError(`gemm: argument 'bias' needs ${N} elements for epilogue ${epilogue}`);
  }
  const product = K > 0 && alpha !== 0;
  const acc = new Float64Array(N); // one row of op(A)·op(B)
  for (let b = 0; b < batch; b++) {
    const a0 = b * strideA;
    const b0 = b * strideB;
    const c0 = b * strideC;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      if (product) {
        if (!transB) {
          // i-k-j: row p of B is contiguous, so the inner loop streams it.
          for (let p = 0; p < K; p++) {
            const a = transA ? A[a0 + p * lda + i] : A[a0 + i * lda + p];
            const bo = b0 + p * ldb;
            for (let j = 0; j < N; j++) acc[j] += a * B[bo + j];
          }
        } else {
          // op(B)(p, j) = B[j·ldb + p]: row j of B is contiguous along K, so take dot products.
          for (let j = 0; j < N; j++) {
            const bo = b0 + j * ldb;
            let s = 0;
            if (transA) for (let p = 0; p < K; p++) s += A[a0 + p * lda + i] * B[bo + p];
            else for (let p = 0; p < K; p++) s += A[a0 + i * lda + p] * B[bo + p];
            acc[j] = s;
          }
        }
      }
      const co = c0 + i * ldc;
      for (let j = 0; j < N; j++) {
        let v = product ? alpha * acc[j] : 0;
        if (beta !== 0) v += beta * C[co + j];
        if (epilogue !== Epilogue.none) v = activate(epilogue, v + bias![j]);
        C[co + j] = v;
      }
    }
  }
}
