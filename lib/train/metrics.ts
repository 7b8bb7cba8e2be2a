/** Training metrics: counts of correct predictions per batch (fit and evaluate average them by samples). */
import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { argmax, eq, ge, reshape, sum } from '../ops/index.js';
import type { Labels } from '../data/dataset.js';
import { fmtShape } from '../util/shape.js';

export type MetricName = 'accuracy';

/**
 * Number of correct predictions in a batch. With integer labels, or one-hot/probability targets
 * [N, C>1], the prediction is the argmax over the last dim (first maximum; NaN counts as the maximum,
 * as torch.argmax); with a single output per sample ([N] or [N, 1]) it is a binary decision at 0.5
 * against targets thresholded at 0.5. Computed with ops (argmax, ge, eq, sum), under noGrad.
 */
export function correctCount(pred: Tensor, y: Labels): number {
  if (isSequence(pred, y)) {
    // [B, T, V] predictions against class indices [B, T]: every position counts
    const m = (y as Tensor).size;
    const V = pred.shape[pred.ndim - 1];
    if (m === 0) return 0;
    return noGrad(() => sum(eq(argmax(reshape(pred, [m, V]), 1), reshape(y as Tensor, [m]))).item());
  }
  const rows = pred.ndim === 0 ? 1 : pred.shape[0];
  const C = rows > 0 ? pred.size / rows : 0;
  if (y instanceof Int32Array || (y instanceof Tensor && y.size === rows && C > 1)) {
    const n = y instanceof Int32Array ? y.length : y.size;
    if (n !== rows) throw new Error(`accuracy: ${rows} predictions but ${n} labels`);
    if (rows === 0) return 0;
    return noGrad(() => {
      const lab = y instanceof Int32Array ? new Tensor(y, [rows]) : reshape(y, [rows]);
      const best = C > 0 ? argmax(reshape(pred, [rows, C]), 1) : new Tensor(new Int32Array(rows), [rows]);
      return sum(eq(best, lab)).item();
    });
  }
  if (y.size !== pred.size) throw new Error(`accuracy: prediction shape ${fmtShape(pred.shape)} and target shape ${fmtShape(y.shape)} differ`);
  if (rows === 0) return 0;
  return noGrad(() => {
    if (C === 1) return sum(eq(ge(reshape(pred, [rows]), 0.5), ge(reshape(y, [rows]), 0.5))).item();
    return sum(eq(argmax(reshape(pred, [rows, C]), 1), argmax(reshape(y, [rows, C]), 1))).item();
  });
}

/**
 * Class-index targets [B, T, ...] (int32, 2-D or more) for predictions [B, T, ..., V]: a sequence
 * model's logits, scored per position.
 */
function isSequence(pred: Tensor, y: Labels): boolean {
  if (!(y instanceof Tensor) || y.dtype !== 'int32' || y.ndim < 2 || pred.ndim !== y.ndim + 1) return false;
  for (let i = 0; i < y.ndim; i++) if (pred.shape[i] !== y.shape[i]) return false;
  return true;
}

/** How many predictions correctCount scores: one per sample, or one per position for [B, T, V] against [B, T]. */
export function predictionCount(pred: Tensor, y: Labels): number {
  if (isSequence(pred, y)) return (y as Tensor).size;
  return pred.ndim === 0 ? 1 : pred.shape[0];
}

/** Fraction of correct predictions (per position for [B, T, V] predictions against int32 targets [B, T]). */
export function accuracy(pred: Tensor, y: Labels): number {
  const rows = predictionCount(pred, y);
  return rows === 0 ? NaN : correctCount(pred, y) / rows;
}
