/**
 * Small-call routing (see ./small.ts for the rules) for the lib/nn kernels: losses, NLL, dropout and
 * the index check. Each predicate estimates the js cost from sizes and op codes only (never data or
 * the thread count) and says yes only for calls the binding would accept, so bad input still reaches
 * the binding's TypeError/RangeError. Budgets, in element units, at ½–1× the break-even measured by
 * `node bench/nn.mjs --sections small` (binding vs js kernel on reused arrays, 1 thread, Node 20, x86-64;
 * a busy 2-core host, so ±30 %).
 */
import type { LossOpCode, LossReductionCode } from '../backend.js';

const SMALL_BUDGET = {
  /** n·weight; break-even (js ≈ native ≈ 0.26 µs): mse ≈ 32 elements, huber ≈ 24, bce ≈ 10, bceWithLogits ≈ 8 */
  loss: 32,
  /** n·weight; break-even (≈ 0.37 µs): mse ≈ 32, huber ≈ 14, bce and bceWithLogits ≈ 8 */
  lossBackward: 32,
  /** forward: rows; backward: rows·(1 + classes/4); break-even at 4 classes ≈ 100 rows forward, ≈ 128 backward */
  nll: 64,
  /** 3 per element: break-even ≈ 64 elements (0.25 µs) */
  dropout: 128,
  /** one per element: break-even ≈ 64 indices (0.1 µs) */
  indexCheck: 48,
} as const;

/** js cost per element of each LossOp (forward / backward): mse l1 huber bce bceWithLogits. */
const LOSS_W: readonly number[] = [1, 1, 2, 4, 5];
const LOSS_BACKWARD_W: readonly number[] = [1, 1, 3, 5, 5];
const MAX_U32 = 2 ** 32 - 1;

function isSize(v: number): boolean {
  return (v | 0) === v && v >= 0;
}
function f32(a: unknown, need: number): a is Float32Array {
  return a instanceof Float32Array && a.length >= need;
}
function u32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_U32;
}
function labelsOk(labels: unknown, rows: number, classes: number): boolean {
  if (!(labels instanceof Int32Array) || labels.length < rows) return false;
  for (let r = 0; r < rows; r++) if (!(labels[r] >= 0 && labels[r] < classes)) return false;
  return true;
}

export function smallPointwiseLoss(
  op: LossOpCode, pred: Float32Array, target: Float32Array, out: Float32Array, n: number, delta: number,
  reduction: LossReductionCode,
): boolean {
  const w = LOSS_W[op];
  return w !== undefined && typeof op === 'number' && isSize(n) && n * w <= SMALL_BUDGET.loss
    && (reduction === 0 || reduction === 1 || reduction === 2)
    && Number.isFinite(delta) && f32(pred, n) && f32(target, n) && f32(out, reduction === 0 ? n : 1);
}

export function smallPointwiseLossBackward(
  op: LossOpCode, pred: Float32Array, target: Float32Array, dout: Float32Array, doutStride: number,
  dpred: Float32Array | null, dtarget: Float32Array | null, n: number, delta: number, scale: number,
): boolean {
  const w = LOSS_BACKWARD_W[op];
  if (w === undefined || typeof op !== 'number' || !isSize(n) || n * w > SMALL_BUDGET.lossBackward) return false;
  if (!(doutStride === 0 || doutStride === 1) || !Number.isFinite(delta) || !Number.isFinite(scale)) return false;
  return f32(pred, n) && f32(target, n) && f32(dout, n === 0 ? 0 : doutStride ? n : 1)
    && (dpred === null || f32(dpred, n)) && (dtarget === null || f32(dtarget, n));
}

export function smallNllLoss(logProbs: Float32Array, labels: Int32Array, losses: Float32Array, rows: number, classes: number): boolean {
  if (!isSize(rows) || !isSize(classes) || rows > SMALL_BUDGET.nll) return false;
  return f32(logProbs, rows * classes) && f32(losses, rows) && labelsOk(labels, rows, classes);
}

export function smallNllLossBackward(
  dlosses: Float32Array, dlossesStride: number, labels: Int32Array, dx: Float32Array, rows: number, classes: number, scale: number,
): boolean {
  if (!isSize(rows) || !isSize(classes) || rows * (1 + classes / 4) > SMALL_BUDGET.nll) return false;
  if (!(dlossesStride === 0 || dlossesStride === 1) || !Number.isFinite(scale)) return false;
  return f32(dlosses, rows === 0 ? 0 : dlossesStride ? rows : 1) && f32(dx, rows * classes) && labelsOk(labels, rows, classes);
}

export function smallDropout(x: Float32Array, out: Float32Array, n: number, p: number, seed0: number, seed1: number, offset: number): boolean {
  return isSize(n) && 3 * n <= SMALL_BUDGET.dropout && typeof p === 'number' && p >= 0 && p <= 1
    && u32(seed0) && u32(seed1) && u32(offset) && f32(x, n) && f32(out, n);
}

export function smallIndexCheck(idx: Int32Array, n: number, limit: number): boolean {
  return isSize(n) && n <= SMALL_BUDGET.indexCheck && isSize(limit) && idx instanceof Int32Array && idx.length >= n;
}
