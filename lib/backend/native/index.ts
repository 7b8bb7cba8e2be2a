/**
 * The native backend: a thin adapter from the Backend contract to the typed binding. Shapes and
 * strides travel in one reused Int32Array (`meta`) so a call costs no per-call allocation.
 */
import type { Backend, BinaryOpCode, EpilogueCode, ReduceOpCode, UnaryOpCode } from '../backend.js';
import type { NativeBinding } from './binding.js';

const MAX_RANK = 32;

export function createNativeBackend(b: NativeBinding): Backend {
  const meta = new Int32Array(1 + 3 * MAX_RANK);

  function packMeta(shape: readonly number[], s1: readonly number[], s2: readonly number[]): Int32Array {
    const r = shape.length;
    if (r > MAX_RANK) throw new RangeError(`native backend: rank ${r} exceeds ${MAX_RANK}`);
    meta[0] = r;
    for (let i = 0; i < r; i++) {
      meta[1 + i] = shape[i];
      meta[1 + r + i] = s1[i];
      meta[1 + 2 * r + i] = s2[i];
    }
    return meta.subarray(0, 1 + 3 * r);
  }

  return {
    name: 'native',
    gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue: EpilogueCode, bias, batch, sA, sB, sC) {
      b.gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias, batch, sA, sB, sC);
    },
    unary(op: UnaryOpCode, x, out, n, alpha) {
      b.unary(op, x, out, n, alpha);
    },
    unaryBackward(op: UnaryOpCode, x, y, dy, dx, n, alpha) {
      b.unaryBackward(op, x, y, dy, dx, n, alpha);
    },
    binary(op: BinaryOpCode, a, aStrides, bb, bStrides, out, shape) {
      b.binary(op, a, bb, out, packMeta(shape, aStrides, bStrides));
    },
    reduce(op: ReduceOpCode, x, out, outer, n, inner) {
      b.reduce(op, x, out, outer, n, inner);
    },
    copy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides, accumulate) {
      b.copy(packMeta(shape, srcStrides, dstStrides), src, srcOffset, dst, dstOffset, accumulate);
    },
    softmax(x, out, outer, n, inner, log) {
      b.softmax(x, out, outer, n, inner, log);
    },
    softmaxBackward(y, dy, dx, outer, n, inner, log) {
      b.softmaxBackward(y, dy, dx, outer, n, inner, log);
    },
    softmaxCrossEntropy(logits, labels, losses, dlogits, rows, classes, gradScale) {
      b.softmaxCrossEntropy(logits, labels, losses, dlogits, rows, classes, gradScale);
    },
    gatherRows(table, idx, out, rows, dim) {
      b.gatherRows(table, idx, out, rows, dim);
    },
    scatterAddRows(dout, idx, dtable, rows, dim) {
      b.scatterAddRows(dout, idx, dtable, rows, dim);
    },
    adamStep(params, grads, m, v, lr, beta1, beta2, eps, wd, step, decoupled) {
      b.adamStep(params, grads, m, v, lr, beta1, beta2, eps, wd, step, decoupled);
    },
    sgdStep(params, grads, bufs, lr, momentum, dampening, wd, nesterov, firstStep) {
      b.sgdStep(params, grads, bufs, lr, momentum, dampening, wd, nesterov, firstStep);
    },
    rmspropStep(params, grads, sq, bufs, lr, alpha, eps, wd, momentum) {
      b.rmspropStep(params, grads, sq, bufs, lr, alpha, eps, wd, momentum);
    },
    conv2d(out, x, w, bias, g) {
      b.conv2d(out, x, w, bias, g.n, g.c, g.h, g.w, g.outC, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW);
    },
    conv2dBackward(dx, dw, db, dout, x, w, g) {
      b.conv2dBackward(dx, dw, db, dout, x, w, g.n, g.c, g.h, g.w, g.outC, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW);
    },
    maxPool2d(out, indices, x, g) {
      b.maxPool2d(out, indices, x, g.n, g.c, g.h, g.w, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW);
    },
    maxPool2dBackward(dx, dout, indices, g) {
      b.maxPool2dBackward(dx, dout, indices, g.n, g.c, g.h, g.w, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW);
    },
    avgPool2d(out, x, g) {
      b.avgPool2d(out, x, g.n, g.c, g.h, g.w, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW);
    },
    avgPool2dBackward(dx, dout, g) {
      b.avgPool2dBackward(dx, dout, g.n, g.c, g.h, g.w, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW);
    },
    batchNormStats(mean, variance, x, N, C, L) {
      b.batchNormStats(mean, variance, x, N, C, L);
    },
    batchNormForward(out, x, mean, invstd, gamma, beta, N, C, L) {
      b.batchNormForward(out, x, mean, invstd, gamma, beta, N, C, L);
    },
    batchNormBackward(dx, dgamma, dbeta, dout, x, mean, invstd, gamma, N, C, L, batchStats) {
      b.batchNormBackward(dx, dgamma, dbeta, dout, x, mean, invstd, gamma, N, C, L, batchStats);
    },
  };
}
