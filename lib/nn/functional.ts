/**
 * Losses (torch.nn.functional), exported as `ng.nn.functional` and `ng.F`. Each takes
 * `{reduction: 'mean' | 'sum' | 'none'}` (default 'mean'). The element-wise losses compute value and
 * gradient in one float64 pass each (PyTorch's formulas, incl. its clamps); crossEntropy runs the
 * backend's fused softmax + cross-entropy kernel, which yields the loss and the gradient together.
 */
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { fmtShape, shapesEqual } from '../util/shape.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  reduction?: Reduction;
}

/** A target given as a tensor, or as plain numbers laid out like the prediction. */
export type Target = Tensor | Float32Array | Int32Array | readonly number[];

function reductionOf(o: LossOptions | undefined, who: string): Reduction {
  const r = o?.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new RangeError(`${who}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  return r;
}

function targetTensor(target: Target, pred: Tensor, who: string): Tensor {
  if (target instanceof Tensor) {
    if (!shapesEqual(target.shape, pred.shape)) {
      throw new Error(`${who}: input shape ${fmtShape(pred.shape)} and target shape ${fmtShape(target.shape)} differ`);
    }
    return target;
  }
  if (!(ArrayBuffer.isView(target) || Array.isArray(target))) throw new TypeError(`${who}: target must be a Tensor or an array of numbers`);
  if (target.length !== pred.size) {
    throw new Error(`${who}: input shape ${fmtShape(pred.shape)} and target shape [${target.length}] differ`);
  }
  return new Tensor(Float32Array.from(target), pred.shape);
}

/**
 * A point-wise loss l(p, t) with ∂l/∂p and ∂l/∂t given by `f`, which writes [value, dp, dt] to r.
 */
function pointwise(
  who: string, pred: Tensor, target: Target, o: LossOptions | undefined,
  f: (p: number, t: number, r: Float64Array) => void,
): Tensor {
  if (!(pred instanceof Tensor)) throw new TypeError(`${who}: input must be a Tensor`);
  const red = reductionOf(o, who);
  const tgt = targetTensor(target, pred, who);
  const n = pred.size;
  const P = pred.data;
  const T = tgt.data;
  const grad = isGradEnabled() && (pred.requiresGrad || tgt.requiresGrad);
  const dp = grad && pred.requiresGrad ? new Float32Array(n) : null;
  const dt = grad && tgt.requiresGrad ? new Float32Array(n) : null;
  const vals = red === 'none' ? new Float32Array(n) : null;
  const r = new Float64Array(3);
  let total = 0;
  for (let i = 0; i < n; i++) {
    f(P[i], T[i], r);
    if (vals) vals[i] = r[0];
    else total += r[0];
    if (dp) dp[i] = r[1];
    if (dt) dt[i] = r[2];
  }
  const out = vals ? new Tensor(vals, pred.shape) : new Tensor(new Float32Array([red === 'mean' ? total / n : total]), []);
  if (!grad) return out;
  const scale = red === 'mean' ? 1 / n : 1;
  return record(out, [pred, tgt], (g) => {
    for (const [t, d] of [[pred, dp], [tgt, dt]] as const) {
      if (d === null) continue;
      const dx = new Float32Array(n);
      if (red === 'none') for (let i = 0; i < n; i++) dx[i] = d[i] * g[i];
      else { const s = g[0] * scale; for (let i = 0; i < n; i++) dx[i] = d[i] * s; }
      accumulate(t, dx, true);
    }
  });
}

/** Mean squared error (p − t)². */
export function mseLoss(pred: Tensor, target: Target, o?: LossOptions): Tensor {
  return pointwise('mseLoss', pred, target, o, (p, t, r) => {
    const d = p - t;
    r[0] = d * d; r[1] = 2 * d; r[2] = -2 * d;
  });
}

/** Mean absolute error |p − t| (gradient sign(p − t), 0 at 0). */
export function l1Loss(pred: Tensor, target: Target, o?: LossOptions): Tensor {
  return pointwise('l1Loss', pred, target, o, (p, t, r) => {
    const d = p - t;
    const s = d > 0 ? 1 : d < 0 ? -1 : 0;
    r[0] = Math.abs(d); r[1] = s; r[2] = -s;
  });
}

/**
 * Huber: ½d² for |d| ≤ delta, delta·(|d| − ½delta) beyond (PyTorch's huber_loss; delta defaults to 1).
 * `huberLoss(p, t, delta, {reduction})`, or the options in third place: `huberLoss(p, t, {reduction, delta})`.
 */
export function huberLoss(pred: Tensor, target: Target, delta: number | (LossOptions & { delta?: number }) = 1, o?: LossOptions): Tensor {
  if (delta !== null && typeof delta === 'object') {
    o = delta;
    delta = delta.delta ?? 1;
  }
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
  return pointwise('huberLoss', pred, target, o, (p, t, r) => {
    const d = p - t;
    const a = Math.abs(d);
    if (a <= delta) { r[0] = 0.5 * d * d; r[1] = d; } else { r[0] = delta * (a - 0.5 * delta); r[1] = d > 0 ? delta : -delta; }
    r[2] = -r[1];
  });
}

/**
 * −(t·log p + (1 − t)·log(1 − p)) with each log clamped to ≥ −100 (PyTorch), for probabilities p in
 * [0, 1]. Gradient (PyTorch's): (p − t) / max(p·(1 − p), 1e-12).
 */
export function binaryCrossEntropy(prob: Tensor, target: Target, o?: LossOptions): Tensor {
  const d = prob.data;
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] >= 0 && d[i] <= 1)) throw new RangeError(`binaryCrossEntropy: input ${d[i]} at index ${i} is not a probability in [0, 1]`);
  }
  return pointwise('binaryCrossEntropy', prob, target, o, (p, t, r) => {
    const lp = Math.max(Math.log(p), -100);
    const l1p = Math.max(Math.log(1 - p), -100);
    r[0] = -(t * lp + (1 - t) * l1p);
    r[1] = (p - t) / Math.max(p * (1 - p), 1e-12);
    r[2] = l1p - lp;
  });
}

/**
 * Sigmoid + binary cross-entropy in the stable form max(x, 0) − x·t + log(1 + e^−|x|).
 * Gradient σ(x) − t.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Target, o?: LossOptions): Tensor {
  return pointwise('binaryCrossEntropyWithLogits', logits, target, o, (x, t, r) => {
    r[0] = Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    r[1] = s - t;
    r[2] = -x;
  });
}

/** Class labels for `rows` rows of `classes` classes, validated (RangeError naming label, index and class count). */
export function toLabels(labels: Int32Array | readonly number[] | Tensor, rows: number, classes: number, who: string): Int32Array {
  let src: ArrayLike<number>;
  if (labels instanceof Tensor) {
    if (labels.ndim > 1) throw new Error(`${who}: labels must be 1-D, got shape ${fmtShape(labels.shape)}`);
    src = labels.data;
  } else if (labels instanceof Int32Array || Array.isArray(labels) || ArrayBuffer.isView(labels)) {
    src = labels as ArrayLike<number>;
  } else {
    throw new TypeError(`${who}: labels must be an Int32Array, a number[] or a Tensor of class indices`);
  }
  if (src.length !== rows) throw new Error(`${who}: ${rows} rows of logits but ${src.length} labels`);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = src[i];
    if (!Number.isInteger(v)) throw new RangeError(`${who}: label ${v} at index ${i} is not an integer class index (${classes} classes)`);
    if (v < 0 || v >= classes) throw new RangeError(`${who}: label ${v} at index ${i} is out of range for ${classes} classes`);
    out[i] = v;
  }
  return out;
}

/**
 * Cross-entropy of logits [N, C] (or [C] for one sample) against class indices: logsumexp(x) − x[label],
 * fused (log-softmax + NLL, loss and gradient in one backend pass).
 */
export function crossEntropy(logits: Tensor, labels: Int32Array | readonly number[] | Tensor, o?: LossOptions): Tensor {
  const who = 'crossEntropy';
  if (!(logits instanceof Tensor)) throw new TypeError(`${who}: logits must be a Tensor`);
  const red = reductionOf(o, who);
  if (logits.ndim !== 1 && logits.ndim !== 2) throw new Error(`${who}: logits must be [N, C] or [C], got shape ${fmtShape(logits.shape)}`);
  const rows = logits.ndim === 2 ? logits.shape[0] : 1;
  const classes = logits.shape[logits.ndim - 1];
  if (classes < 1) throw new Error(`${who}: logits ${fmtShape(logits.shape)} have no classes`);
  const lab = toLabels(labels, rows, classes, who);
  const losses = new Float32Array(rows);
  const grad = isGradEnabled() && logits.requiresGrad;
  const dl = grad ? new Float32Array(logits.size) : null;
  const scale = red === 'mean' ? 1 / rows : 1;
  if (rows > 0) current.softmaxCrossEntropy(logits.data, lab, losses, dl, rows, classes, scale);
  let out: Tensor;
  if (red === 'none') out = new Tensor(losses, logits.ndim === 2 ? [rows] : []);
  else {
    let s = 0;
    for (let i = 0; i < rows; i++) s += losses[i];
    out = new Tensor(new Float32Array([red === 'mean' ? (rows > 0 ? s / rows : NaN) : s]), []);
  }
  if (!grad) return out;
  return record(out, [logits], (g) => {
    const d = dl!;
    if (red !== 'none' || logits.ndim === 1) {
      if (g[0] === 1) { accumulate(logits, d, false); return; }
      const dx = new Float32Array(d.length);
      const s = g[0];
      for (let i = 0; i < d.length; i++) dx[i] = d[i] * s;
      accumulate(logits, dx, true);
      return;
    }
    const dx = new Float32Array(d.length);
    for (let r = 0; r < rows; r++) {
      const s = g[r];
      const base = r * classes;
      for (let j = 0; j < classes; j++) dx[base + j] = d[base + j] * s;
    }
    accumulate(logits, dx, true);
  });
}

/** Negative log-likelihood of log-probabilities [N, C] (e.g. from logSoftmax) against class indices. */
export function nllLoss(logProbs: Tensor, labels: Int32Array | readonly number[] | Tensor, o?: LossOptions): Tensor {
  const who = 'nllLoss';
  const red = reductionOf(o, who);
  if (logProbs.ndim !== 2) throw new Error(`${who}: input must be [N, C], got shape ${fmtShape(logProbs.shape)}`);
  const [rows, classes] = logProbs.shape;
  const lab = toLabels(labels, rows, classes, who);
  const losses = new Float32Array(rows);
  for (let r = 0; r < rows; r++) losses[r] = -logProbs.data[r * classes + lab[r]];
  let s = 0;
  for (let r = 0; r < rows; r++) s += losses[r];
  const out = red === 'none' ? new Tensor(losses, [rows]) : new Tensor(new Float32Array([red === 'mean' ? s / rows : s]), []);
  if (!(isGradEnabled() && logProbs.requiresGrad)) return out;
  return record(out, [logProbs], (g) => {
    const dx = new Float32Array(logProbs.size);
    for (let r = 0; r < rows; r++) dx[r * classes + lab[r]] = -(red === 'none' ? g[r] : red === 'mean' ? g[0] / rows : g[0]);
    accumulate(logProbs, dx, true);
  });
}

export { linear } from './fused-linear.js';
export { gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from '../ops/index.js';
