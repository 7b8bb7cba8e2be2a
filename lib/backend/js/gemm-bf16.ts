/**
 * The reference gemmBf16: widens the part of B the product reads (exactly: a bfloat16 is the top half of a
 * float32) and runs the float32 reference gemm on it.
 */
import type { EpilogueCode } from '../backend.js';
import { bf16ToF32Into } from '../../dtype.js';
import { gemm } from './gemm.js';

export function gemmBf16(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: Float32Array, lda: number, B: Uint16Array, ldb: number, beta: number,
  C: Float32Array, ldc: number, epilogue: EpilogueCode, bias: Float32Array | null,
): void {
  const rows = transB ? N : K;
  const cols = transB ? K : N;
  const need = rows > 0 && cols > 0 ? (rows - 1) * ldb + cols : 0;
  if (B.length < need) throw new RangeError(`gemmBf16: argument 'B' has ${B.length} elements, needs ${need}`);
  const wide = bf16ToF32Into(B.subarray(0, need), new Float32Array(need));
  gemm(transA, transB, M, N, K, alpha, A, lda, wide, ldb, beta, C, ldc, epilogue, bias, 1, 0, 0, 0);
}
