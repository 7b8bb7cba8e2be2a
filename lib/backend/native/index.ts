/**
 * The native backend: a thin adapter from the Backend contract to the typed binding. Shapes and
 * strides travel in one reused Int32Array (`meta`) so a call costs no per-call allocation.
 *
 * Calls on tiny tensors run on the js kernels (`small`): an N-API call costs more than the whole
 * js loop over a few dozen elements, so a training step of tiny ops (XOR 2-3-1: ten kernel calls on
 * ≤ 24 elements) ran 4× slower on native than on js. ./small.ts decides from sizes and op codes only
 * (deterministic per call shape, whatever the thread count) and only for calls the binding would
 * accept, so bad input still reaches the binding and its TypeError/RangeError. Routing can be turned
 * off (NODEGRAD_SMALL_JS=0, or setSmallOpRouting(false) from the registry) to run every call natively,
 * as the kernel conformance tests do. Convolution, pooling, batch norm and row gather/scatter always
 * run natively.
 */
import type { Backend, BinaryOpCode, EpilogueCode, ReduceOpCode, SdpaGeometry, UnaryOpCode } from '../backend.js';
import type { NativeBinding } from './binding.js';
import * as typed from '../js/typed.js';
import {
  smallAdam, smallBinary, smallCopy, smallGemm, smallReduce, smallRmsprop, smallSgd, smallSoftmax,
  smallSoftmaxBackward, smallSoftmaxCrossEntropy, smallUnary, smallUnaryBackward,
} from './small.js';
import {
  smallDropout, smallIndexCheck, smallNllLoss, smallNllLossBackward, smallPointwiseLoss, smallPointwiseLossBackward,
} from './small-nn.js';

const MAX_RANK = 32;

export interface NativeBackend extends Backend {
  /** Whether small calls run on the js kernels; returns the previous setting. */
  setSmallOpRouting(enabled: boolean): boolean;
  smallOpRouting(): boolean;
}

export interface NativeBackendOptions {
  /** the kernels small calls run on (the js backend); without it every call goes to the binding */
  small?: Backend | null;
  /** initial routing state (default true when `small` is given) */
  routing?: boolean;
}

export function createNativeBackend(b: NativeBinding, opts: NativeBackendOptions = {}): NativeBackend {
  const meta = new Int32Array(1 + 3 * MAX_RANK);
  const js = opts.small ?? null;
  let route = js !== null && opts.routing !== false;

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

  const sdpaMeta = new Int32Array(19);
  function packSdpa(g: SdpaGeometry): Int32Array {
    const m = sdpaMeta;
    m[0] = g.b0; m[1] = g.b1; m[2] = g.L; m[3] = g.S; m[4] = g.E; m[5] = g.Ev;
    m[6] = g.qStrides[0]; m[7] = g.qStrides[1]; m[8] = g.qStrides[2];
    m[9] = g.kStrides[0]; m[10] = g.kStrides[1]; m[11] = g.kStrides[2];
    m[12] = g.vStrides[0]; m[13] = g.vStrides[1]; m[14] = g.vStrides[2];
    const ms = g.maskStrides ?? [0, 0, 0, 0];
    m[15] = ms[0]; m[16] = ms[1]; m[17] = ms[2]; m[18] = ms[3];
    return m;
  }

  return {
    name: 'native',
    setSmallOpRouting(enabled: boolean): boolean {
      if (typeof enabled !== 'boolean') throw new TypeError(`setSmallOpRouting: argument 'enabled' must be a boolean`);
      const prev = route;
      route = enabled && js !== null;
      return prev;
    },
    smallOpRouting: () => route,
    // dtype-generic kernels (comparisons, masks, casts, int32 math) run on the js reference kernels:
    // memory-bound loops over labels and masks, not yet worth a native kernel each.
    copyTyped: typed.copyTyped,
    cast: typed.cast,
    compare: typed.compare,
    logical: typed.logical,
    where: typed.where,
    binaryInt: typed.binaryInt,
    reduceInt: typed.reduceInt,
    scan: typed.scan,
    scanBackward: typed.scanBackward,
    sortAlong: typed.sortAlong,
    indexSelect: typed.indexSelect,
    indexAdd: typed.indexAdd,
    classify: typed.classify,
    gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue: EpilogueCode, bias, batch, sA, sB, sC) {
      if (route && smallGemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias, batch, sA, sB, sC)) {
        js!.gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias, batch, sA, sB, sC);
      } else {
        b.gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias, batch, sA, sB, sC);
      }
    },
    gemmBf16(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue: EpilogueCode, bias) {
      // tiny products stay on the js reference when small-op routing is on (as gemm); the rest widen in the packing
      if (route && 2 * M * N * K < 4096) js!.gemmBf16(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias);
      else b.gemmBf16(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias);
    },
    unary(op: UnaryOpCode, x, out, n, alpha) {
      if (route && smallUnary(op, x, out, n, alpha)) js!.unary(op, x, out, n, alpha);
      else b.unary(op, x, out, n, alpha);
    },
    unaryBackward(op: UnaryOpCode, x, y, dy, dx, n, alpha) {
      if (route && smallUnaryBackward(op, x, y, dy, dx, n, alpha)) js!.unaryBackward(op, x, y, dy, dx, n, alpha);
      else b.unaryBackward(op, x, y, dy, dx, n, alpha);
    },
    binary(op: BinaryOpCode, a, aStrides, bb, bStrides, out, shape) {
      if (route && smallBinary(op, a, aStrides, bb, bStrides, out, shape)) js!.binary(op, a, aStrides, bb, bStrides, out, shape);
      else b.binary(op, a, bb, out, packMeta(shape, aStrides, bStrides));
    },
    reduce(op: ReduceOpCode, x, out, outer, n, inner) {
      if (route && smallReduce(op, x, out, outer, n, inner)) js!.reduce(op, x, out, outer, n, inner);
      else b.reduce(op, x, out, outer, n, inner);
    },
    copy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides, accumulate) {
      if (route && smallCopy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides, accumulate)) {
        js!.copy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides, accumulate);
      } else {
        b.copy(packMeta(shape, srcStrides, dstStrides), src, srcOffset, dst, dstOffset, accumulate);
      }
    },
    softmax(x, out, outer, n, inner, log) {
      if (route && smallSoftmax(x, out, outer, n, inner, log)) js!.softmax(x, out, outer, n, inner, log);
      else b.softmax(x, out, outer, n, inner, log);
    },
    softmaxBackward(y, dy, dx, outer, n, inner, log) {
      if (route && smallSoftmaxBackward(y, dy, dx, outer, n, inner, log)) js!.softmaxBackward(y, dy, dx, outer, n, inner, log);
      else b.softmaxBackward(y, dy, dx, outer, n, inner, log);
    },
    softmaxCrossEntropy(logits, labels, losses, dlogits, rows, classes, gradScale) {
      if (route && smallSoftmaxCrossEntropy(logits, labels, losses, dlogits, rows, classes, gradScale)) {
        js!.softmaxCrossEntropy(logits, labels, losses, dlogits, rows, classes, gradScale);
      } else {
        b.softmaxCrossEntropy(logits, labels, losses, dlogits, rows, classes, gradScale);
      }
    },
    gatherRows(table, idx, out, rows, dim) {
      b.gatherRows(table, idx, out, rows, dim);
    },
    scatterAddRows(dout, idx, dtable, rows, dim) {
      b.scatterAddRows(dout, idx, dtable, rows, dim);
    },
    adamStep(params, grads, m, v, lr, beta1, beta2, eps, wd, step, decoupled) {
      if (route && smallAdam(params, grads, m, v, lr, beta1, beta2, eps, wd, step, decoupled)) {
        js!.adamStep(params, grads, m, v, lr, beta1, beta2, eps, wd, step, decoupled);
      } else {
        b.adamStep(params, grads, m, v, lr, beta1, beta2, eps, wd, step, decoupled);
      }
    },
    sgdStep(params, grads, bufs, lr, momentum, dampening, wd, nesterov, firstStep) {
      if (route && smallSgd(params, grads, bufs, lr, momentum, dampening, wd, nesterov, firstStep)) {
        js!.sgdStep(params, grads, bufs, lr, momentum, dampening, wd, nesterov, firstStep);
      } else {
        b.sgdStep(params, grads, bufs, lr, momentum, dampening, wd, nesterov, firstStep);
      }
    },
    rmspropStep(params, grads, sq, bufs, lr, alpha, eps, wd, momentum) {
      if (route && smallRmsprop(params, grads, sq, bufs, lr, alpha, eps, wd, momentum)) {
        js!.rmspropStep(params, grads, sq, bufs, lr, alpha, eps, wd, momentum);
      } else {
        b.rmspropStep(params, grads, sq, bufs, lr, alpha, eps, wd, momentum);
      }
    },
    pointwiseLoss(op, pred, target, out, n, delta, reduction) {
      if (route && smallPointwiseLoss(op, pred, target, out, n, delta, reduction)) js!.pointwiseLoss(op, pred, target, out, n, delta, reduction);
      else b.pointwiseLoss(op, pred, target, out, n, delta, reduction);
    },
    pointwiseLossBackward(op, pred, target, dout, ds, dpred, dtarget, n, delta, scale) {
      if (route && smallPointwiseLossBackward(op, pred, target, dout, ds, dpred, dtarget, n, delta, scale)) {
        js!.pointwiseLossBackward(op, pred, target, dout, ds, dpred, dtarget, n, delta, scale);
      } else {
        b.pointwiseLossBackward(op, pred, target, dout, ds, dpred, dtarget, n, delta, scale);
      }
    },
    nllLoss(logProbs, labels, losses, rows, classes) {
      if (route && smallNllLoss(logProbs, labels, losses, rows, classes)) js!.nllLoss(logProbs, labels, losses, rows, classes);
      else b.nllLoss(logProbs, labels, losses, rows, classes);
    },
    nllLossBackward(dl, ds, labels, dx, rows, classes, scale) {
      if (route && smallNllLossBackward(dl, ds, labels, dx, rows, classes, scale)) js!.nllLossBackward(dl, ds, labels, dx, rows, classes, scale);
      else b.nllLossBackward(dl, ds, labels, dx, rows, classes, scale);
    },
    dropout(x, out, n, p, seed0, seed1, offset) {
      if (route && smallDropout(x, out, n, p, seed0, seed1, offset)) js!.dropout(x, out, n, p, seed0, seed1, offset);
      else b.dropout(x, out, n, p, seed0, seed1, offset);
    },
    indexCheck(idx, n, limit) {
      return route && smallIndexCheck(idx, n, limit) ? js!.indexCheck(idx, n, limit) : b.indexCheck(idx, n, limit);
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
    layerNorm(out, mean, rstd, x, w, bias, rows, n, eps) {
      b.layerNorm(out, mean, rstd, x, w, bias, rows, n, eps);
    },
    layerNormBackward(dx, dw, db, dout, x, mean, rstd, w, rows, n) {
      b.layerNormBackward(dx, dw, db, dout, x, mean, rstd, w, rows, n);
    },
    sdpa(out, lse, q, k, v, mask, g) {
      b.sdpa(out, lse, q, k, v, mask, packSdpa(g), g.scale, g.causal);
    },
    sdpaBackward(dq, dk, dv, dout, q, k, v, out, lse, mask, g) {
      b.sdpaBackward(dq, dk, dv, dout, q, k, v, out, lse, mask, packSdpa(g), g.scale, g.causal);
    },
  };
}
