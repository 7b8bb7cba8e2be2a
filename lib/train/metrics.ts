/** Training metrics: counts of correct predictions per batch (fit and evaluate average them by samples). */
import { Tensor } from '../tensor.js';
import type { Labels } from '../data/dataset.js';
import { fmtShape } from '../util/shape.js';

export type MetricName = 'accuracy';

/**
 * Number of correct predictions in a batch. With integer labels, or one-hot/probability targets
 * [N, C>1], the prediction is the argmax over the last dim (first maximum); with a single output per
 * sample ([N] or [N, 1]) it is a binary decision at 0.5 against targets thresholded at 0.5.
 */
export function correctCount(pred: Tensor, y: Labels): number {
  const rows = pred.ndim === 0 ? 1 : pred.shape[0];
  const C = rows > 0 ? pred.size / rows : 0;
  const P = pred.data;
  let correct = 0;
  if (y instanceof Int32Array || (y instanceof Tensor && y.size === rows && C > 1)) {
    const lab = y instanceof Int32Array ? y : y.data;
    if (lab.length !== rows) throw new Error(`accuracy: ${rows} predictions but ${lab.length} labels`);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < C; j++) if (P[r * C + j] > P[r * C + best]) best = j;
      if (best === lab[r]) correct++;
    }
    return correct;
  }
  if (y.size !== pred.size) throw new Error(`accuracy: prediction shape ${fmtShape(pred.shape)} and target shape ${fmtShape(y.shape)} differ`);
  const T = y.data;
  if (C === 1) {
    for (let r = 0; r < rows; r++) if ((P[r] >= 0.5) === (T[r] >= 0.5)) correct++;
    return correct;
  }
  for (let r = 0; r < rows; r++) {
    let bp = 0;
    let bt = 0;
    for (let j = 1; j < C; j++) {
      if (P[r * C + j] > P[r * C + bp]) bp = j;
      if (T[r * C + j] > T[r * C + bt]) bt = j;
    }
    if (bp === bt) correct++;
  }
  return correct;
}

/** Fraction of correct predictions. */
export function accuracy(pred: Tensor, y: Labels): number {
  const rows = pred.ndim === 0 ? 1 : pred.shape[0];
  return rows === 0 ? NaN : correctCount(pred, y) / rows;
}
