/**
 * Losses (torch.nn.functional), exported as `ng.nn.functional` and `ng.F`. Each takes
 * `{reduction: 'mean' | 'sum' | 'none'}` (default 'mean'). Everything computes through the backend:
 * the element-wise losses run the pointwiseLoss kernel family (value, or its float64 sum, in one pass;
 * the backward pass recomputes ∂l/∂p and ∂l/∂t from the saved inputs in one more, PyTorch's formulas and
 * clamps — see LossOp), crossEntropy the fused softmax + cross-entropy kernel, nllLoss its pick/scatter
 * kernels. Also the functional forms `dropout` and `embedding`.
 */
import { BinaryOp, LossOp, LossReduction, ReduceOp, UnaryOp, type LossOpCode } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32 } from '../util/alloc.js';
import { fmtShape, shapesEqual, sizeOf } from '../util/shape.js';
import { indexData } from './indices.js';
import { describe } from '../util/describe.js';
import { checkOptions } from '../util/options.js';
import { eq, logSoftmax, to } from '../ops/index.js';
import { indexTargetLoss, probTargetLoss, type ClassLossSpec } from './class-losses.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  reduction?: Reduction;
}

/** A target given as a tensor, or as plain numbers laid out like the prediction. */
export type Target = Tensor | Float32Array | Int32Array | readonly number[];

function reductionOf(o: LossOptions | undefined, who: string): Reduction {
  const r = o?.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new (typeof r === 'string' ? RangeError : TypeError)(`${who}: reduction must be 'mean', 'sum' or 'none', got ${describe(r)}`);
  }
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

/** A tensor's elements as a contiguous Float32Array (int32/bool data cast by the backend). */
function floatData(t: Tensor): Float32Array {
  const d = t.data;
  if (t.dtype === 'float32') return d;
  const f = new Float32Array(t.size);
  if (t.size > 0) current.cast(d, f, t.size);
  return f;
}

/** Σ of a Float32Array through the backend (0 for an empty one). */
function sumOf(x: Float32Array, n: number): number {
  if (n === 0) return 0;
  const s = new Float32Array(1);
  current.reduce(ReduceOp.sum, x, s, 1, n, 1);
  return s[0];
}

/** A point-wise loss l(p, t) of the backend's pointwiseLoss family (see LossOp), with its backward rule. */
function pointwise(who: string, op: LossOpCode, pred: Tensor, target: Target, o: LossOptions | undefined, delta = 0, keys: readonly string[] = ['reduction']): Tensor {
  if (!(pred instanceof Tensor)) throw new TypeError(`${who}: input must be a Tensor, got ${describe(pred)}`);
  checkOptions(o, keys, who);
  const red = reductionOf(o, who);
  const tgt = targetTensor(target, pred, who);
  const n = pred.size;
  const P = floatData(pred);
  const T = floatData(tgt);
  const out = red === 'none' ? new Tensor(emptyF32(n), pred.shape) : new Tensor(new Float32Array(1), []);
  current.pointwiseLoss(op, P, T, out.data, n, delta, LossReduction[red]);
  const gp = pred.requiresGrad;
  const gt = tgt.requiresGrad;
  if (!(isGradEnabled() && (gp || gt))) return out;
  const scale = red === 'mean' ? 1 / n : 1;
  return record(out, [pred, tgt], (g) => {
    const dp = gp ? emptyF32(n) : null;
    const dt = gt ? emptyF32(n) : null;
    if (n > 0) current.pointwiseLossBackward(op, P, T, g, red === 'none' ? 1 : 0, dp, dt, n, delta, scale);
    if (dp) accumulate(pred, dp, true);
    if (dt) accumulate(tgt, dt, true);
  }, [pred, tgt]);
}

/** Mean squared error (p − t)². */
export function mseLoss(pred: Tensor, target: Target, o?: LossOptions): Tensor {
  return pointwise('mseLoss', LossOp.mse, pred, target, o);
}

/** Mean absolute error |p − t| (gradient sign(p − t), 0 at 0). */
export function l1Loss(pred: Tensor, target: Target, o?: LossOptions): Tensor {
  return pointwise('l1Loss', LossOp.l1, pred, target, o);
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
  if (typeof delta !== 'number') throw new TypeError(`huberLoss: delta must be a positive number, got ${describe(delta)}`);
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
  // the kernel takes a finite delta: an infinite one (plain ½d²) is the largest double, which agrees
  return pointwise('huberLoss', LossOp.huber, pred, target, o, Math.min(delta, Number.MAX_VALUE), ['reduction', 'delta']);
}

/**
 * −(t·log p + (1 − t)·log(1 − p)) with each log clamped to ≥ −100 (PyTorch), for probabilities p in
 * [0, 1] (else RangeError). Gradient (PyTorch's): (p − t) / max(p·(1 − p), 1e-12).
 */
export function binaryCrossEntropy(prob: Tensor, target: Target, o?: LossOptions): Tensor {
  if (prob instanceof Tensor && prob.size > 0) {
    // range check through two backend reductions (NaN propagates through max, so it fails too)
    const d = floatData(prob);
    const lo = new Float32Array(1);
    const hi = new Float32Array(1);
    current.reduce(ReduceOp.min, d, lo, 1, d.length, 1);
    current.reduce(ReduceOp.max, d, hi, 1, d.length, 1);
    if (!(lo[0] >= 0 && hi[0] <= 1)) {
      // error path only: name the first offending element
      const i = d.findIndex((v) => !(v >= 0 && v <= 1));
      throw new RangeError(`binaryCrossEntropy: input ${d[i]} at index ${i} is not a probability in [0, 1]`);
    }
  }
  return pointwise('binaryCrossEntropy', LossOp.bce, prob, target, o);
}

/**
 * Sigmoid + binary cross-entropy in the stable form max(x, 0) − x·t + log(1 + e^−|x|).
 * Gradient σ(x) − t.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Target, o?: LossOptions): Tensor {
  return pointwise('binaryCrossEntropyWithLogits', LossOp.bceWithLogits, logits, target, o);
}

/**
 * Class labels for `rows` rows of `classes` classes as an owned Int32Array: an int32 (or float32/bool)
 * tensor, an Int32Array, a number[] or another typed array; validated through the backend (RangeError
 * naming label, index and class count).
 */
export function toLabels(labels: Int32Array | readonly number[] | Tensor, rows: number, classes: number, who: string): Int32Array {
  if (labels instanceof Tensor) {
    if (labels.ndim > 1) throw new Error(`${who}: labels must be 1-D, got shape ${fmtShape(labels.shape)}`);
  } else if (!(Array.isArray(labels) || ArrayBuffer.isView(labels)) || labels instanceof DataView) {
    throw new TypeError(`${who}: labels must be an Int32Array, a number[] or a Tensor of class indices, got ${describe(labels)}`);
  }
  const count = labels instanceof Tensor ? labels.size : (labels as ArrayLike<number>).length;
  if (count !== rows) throw new Error(`${who}: ${rows} rows of logits but ${count} labels`);
  return indexData(labels as Tensor | ArrayLike<number>, classes, {
    range: (v, i) => `${who}: label ${v} at index ${i} is out of range for ${classes} classes`,
    notInteger: (v, i) => `${who}: label ${v} at index ${i} is not an integer class index (${classes} classes)`,
  });
}

/** dx = d · g for the gradient g of a loss over rows: one factor (g[0]) or one per row (g[r], 'none'). */
function scaleRows(d: Float32Array, g: Float32Array, perRow: boolean, rows: number, classes: number): Float32Array {
  const dx = emptyF32(d.length);
  if (d.length === 0) return dx;
  if (perRow) current.binary(BinaryOp.mul, d, [classes, 1], g, [1, 0], dx, [rows, classes]);
  else current.unary(UnaryOp.scale, d, dx, d.length, g[0]);
  return dx;
}

export interface CrossEntropyOptions extends LossOptions {
  /** targets equal to this class index contribute nothing, to the loss or to the mean's divisor (default −100) */
  ignoreIndex?: number;
  /** a rescaling weight per class, float32 [C] */
  weight?: Tensor | null;
  /** in [0, 1]: the target mixes the label (1 − ε) with the uniform distribution (ε) */
  labelSmoothing?: number;
}

export type NllLossOptions = Omit<CrossEntropyOptions, 'labelSmoothing'>;

const CE_KEYS = ['reduction', 'ignoreIndex', 'weight', 'labelSmoothing'] as const;
const NLL_KEYS = ['reduction', 'ignoreIndex', 'weight'] as const;

function classSpec(o: CrossEntropyOptions | undefined, who: string, keys: readonly string[]): ClassLossSpec {
  checkOptions(o, keys, who);
  const reduction = reductionOf(o, who);
  const ignoreIndex = o?.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new TypeError(`${who}: ignoreIndex must be an integer, got ${describe(ignoreIndex)}`);
  const labelSmoothing = o?.labelSmoothing ?? 0;
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new (typeof labelSmoothing === 'number' ? RangeError : TypeError)(`${who}: labelSmoothing must be in [0, 1], got ${describe(labelSmoothing)}`);
  }
  const weight = o?.weight ?? null;
  if (weight !== null && !(weight instanceof Tensor)) throw new TypeError(`${who}: weight must be a Tensor of class weights, got ${describe(weight)}`);
  return { who, reduction, ignoreIndex, weight, labelSmoothing };
}

/** The plain case the fused kernels cover: no weight, no smoothing, an ignoreIndex no valid label can equal. */
function isPlain(s: ClassLossSpec): boolean {
  return s.weight === null && s.labelSmoothing === 0 && s.ignoreIndex < 0;
}

/**
 * Cross-entropy of logits [N, C], [N, C, d1, ...] or [C] (one sample) — torch.nn.functional.cross_entropy.
 * Targets are class indices (an int32 tensor of shape [N, d1, ...], an Int32Array or number[]) or class
 * probabilities (a float32 tensor of the logits' shape). Options `{reduction, ignoreIndex = −100, weight,
 * labelSmoothing}` with PyTorch's semantics (the weighted mean divides by Σ weight[target] of the
 * non-ignored targets). The plain case — [N, C] or [C] logits, class indices, no weight or smoothing —
 * runs the fused kernel (log-softmax + NLL, loss and gradient in one backend pass); everything else
 * composes differentiable ops (./class-losses.ts).
 */
export function crossEntropy(logits: Tensor, labels: Int32Array | readonly number[] | Tensor, o?: CrossEntropyOptions): Tensor {
  const who = 'crossEntropy';
  if (!(logits instanceof Tensor)) throw new TypeError(`${who}: logits must be a Tensor, got ${describe(logits)}`);
  const spec = classSpec(o, who, CE_KEYS);
  const probs = labels instanceof Tensor && labels.dtype === 'float32' && logits.ndim >= 1 && shapesEqual(labels.shape, logits.shape);
  if (probs) {
    if (o?.ignoreIndex !== undefined && o.ignoreIndex !== -100) throw new TypeError(`${who}: ignoreIndex applies to class-index targets, not to probability targets`);
    return probTargetLoss(logits, labels as Tensor, spec);
  }
  if (!isPlain(spec) || (logits.ndim !== 1 && logits.ndim !== 2)) {
    return indexTargetLoss(logSoftmax(logits, logits.ndim === 1 ? 0 : 1), labels, spec, logits);
  }
  const rows = logits.ndim === 2 ? logits.shape[0] : 1;
  const classes = logits.shape[logits.ndim - 1];
  if (classes < 1) throw new Error(`${who}: logits ${fmtShape(logits.shape)} have no classes`);
  let lab: Int32Array;
  let ignored: Uint8Array | null = null;
  try {
    lab = toLabels(labels, rows, classes, who);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    // a label equal to ignoreIndex (−100 by default, nanoGPT's −1) is out of range for the kernel: those
    // rows run as class 0 and are then zeroed (integer labels only; anything else takes the general path)
    const masked = maskIgnored(labels, rows, spec.ignoreIndex);
    if (masked === null) return indexTargetLoss(logSoftmax(logits, logits.ndim === 1 ? 0 : 1), labels, spec, logits);
    lab = toLabels(masked.ids, rows, classes, who);
    ignored = masked.ignored;
  }
  return fusedCrossEntropy(logits, lab, ignored, spec.reduction, rows, classes);
}

/** Integer class labels as an Int32Array with rows equal to ignoreIndex set to 0 and flagged, or null. */
function maskIgnored(labels: Int32Array | readonly number[] | Tensor, rows: number, ignoreIndex: number): { ids: Int32Array; ignored: Uint8Array } | null {
  let src: ArrayLike<number>;
  if (labels instanceof Tensor) {
    if (labels.dtype !== 'int32' || labels.ndim > 1) return null;
    src = labels.data as unknown as Int32Array;
  } else if (labels instanceof Int32Array) src = labels;
  else if (Array.isArray(labels)) {
    if (!labels.every((v) => Number.isInteger(v))) return null;
    src = labels;
  } else return null;
  if (src.length !== rows) return null;
  const ids = Int32Array.from(src);
  const ignored = new Uint8Array(rows);
  let any = false;
  for (let r = 0; r < rows; r++) {
    if (ids[r] === ignoreIndex) {
      ids[r] = 0;
      ignored[r] = 1;
      any = true;
    }
  }
  return any ? { ids, ignored } : null;
}

/**
 * The fused kernel's loss and gradient over validated labels; rows flagged in `ignored` contribute no
 * loss and no gradient, and the mean divides by the rows that are not ignored (NaN when none is, as PyTorch).
 */
function fusedCrossEntropy(logits: Tensor, lab: Int32Array, ignored: Uint8Array | null, red: Reduction, rows: number, classes: number): Tensor {
  let valid = rows;
  if (ignored !== null) for (let r = 0; r < rows; r++) valid -= ignored[r];
  const losses = new Float32Array(rows);
  const grad = isGradEnabled() && logits.requiresGrad;
  const dl = grad ? emptyF32(logits.size) : null;
  const scale = red === 'mean' ? (valid > 0 ? 1 / valid : 0) : 1;
  if (rows > 0) current.softmaxCrossEntropy(floatData(logits), lab, losses, dl, rows, classes, scale);
  if (ignored !== null) {
    for (let r = 0; r < rows; r++) {
      if (ignored[r] === 0) continue;
      losses[r] = 0;
      dl?.fill(0, r * classes, (r + 1) * classes);
    }
  }
  let out: Tensor;
  if (red === 'none') out = new Tensor(losses, logits.ndim === 2 ? [rows] : []);
  else {
    const s = sumOf(losses, rows);
    out = new Tensor(new Float32Array([red === 'mean' ? (valid > 0 ? s / valid : NaN) : s]), []);
  }
  if (!grad) return out;
  return record(out, [logits], (g) => {
    const d = dl!;
    const perRow = red === 'none' && logits.ndim === 2;
    if (!perRow && g[0] === 1) { accumulate(logits, d, false); return; }
    accumulate(logits, scaleRows(d, g, perRow, rows, classes), true);
  });
}

/**
 * Negative log-likelihood of log-probabilities [N, C], [N, C, d1, ...] or [C] (e.g. from logSoftmax)
 * against class indices — torch.nn.functional.nll_loss, with `{reduction, ignoreIndex = −100, weight}`.
 * The plain [N, C] case runs the backend's pick/scatter kernels.
 */
export function nllLoss(logProbs: Tensor, labels: Int32Array | readonly number[] | Tensor, o?: NllLossOptions): Tensor {
  const who = 'nllLoss';
  if (!(logProbs instanceof Tensor)) throw new TypeError(`${who}: input must be a Tensor, got ${describe(logProbs)}`);
  const spec = classSpec(o, who, NLL_KEYS);
  if (!isPlain(spec) || logProbs.ndim !== 2) return indexTargetLoss(logProbs, labels, spec, logProbs);
  const red = spec.reduction;
  const [rows, classes] = logProbs.shape;
  let lab: Int32Array;
  try {
    lab = toLabels(labels, rows, classes, who);
  } catch (e) {
    if (e instanceof RangeError) return indexTargetLoss(logProbs, labels, spec, logProbs);
    throw e;
  }
  const losses = new Float32Array(rows);
  if (rows > 0) current.nllLoss(floatData(logProbs), lab, losses, rows, classes);
  let out: Tensor;
  if (red === 'none') out = new Tensor(losses, [rows]);
  else {
    const s = sumOf(losses, rows);
    out = new Tensor(new Float32Array([red === 'mean' ? s / rows : s]), []);
  }
  if (!(isGradEnabled() && logProbs.requiresGrad)) return out;
  return record(out, [logProbs], (g) => {
    const dx = emptyF32(logProbs.size);
    const perRow = red === 'none';
    if (logProbs.size > 0) current.nllLossBackward(g, perRow ? 1 : 0, lab, dx, rows, classes, red === 'mean' ? 1 / rows : 1);
    accumulate(logProbs, dx, true);
  }, []);
}

export { dropout } from './dropout.js';
export { embedding } from './embedding.js';
export { linear } from './fused-linear.js';
export { gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from '../ops/index.js';
export { softplus, silu, mish, elu, selu, hardtanh, logsigmoid } from '../ops/math.js';

/**
 * One-hot encoding (torch.nn.functional.one_hot): int32 [...indices.shape, numClasses] with a 1 at each
 * index. numClasses −1 (default) means max(indices) + 1. Indices: an int32 tensor, Int32Array or
 * number[] of non-negative integers below numClasses.
 */
export function oneHot(indices: Tensor | Int32Array | readonly number[], numClasses = -1): Tensor {
  const who = 'oneHot';
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new RangeError(`${who}: numClasses must be a non-negative integer or -1, got ${String(numClasses)}`);
  let shape: number[];
  if (indices instanceof Tensor) {
    if (indices.dtype === 'float32') throw new TypeError(`${who}: indices must be an int32 tensor (class indices), got float32`);
    shape = [...indices.shape];
  } else if (indices instanceof Int32Array || Array.isArray(indices)) shape = [indices.length];
  else throw new TypeError(`${who}: indices must be an int32 Tensor, an Int32Array or a number[]`);
  const n = sizeOf(shape);
  let k = numClasses;
  let ids: Int32Array;
  if (k === -1) {
    // classes from the data: max + 1 (validate non-negative first with an open limit)
    ids = indexData(indices as Tensor | ArrayLike<number>, 2147483647, {
      range: (v, i) => `${who}: index ${v} at position ${i} is negative (class values must be non-negative)`,
    });
    if (n === 0) throw new Error(`${who}: cannot infer the number of classes from an empty tensor (pass numClasses)`);
    const mx = new Int32Array(1);
    current.reduceInt(ReduceOp.max, ids, mx, 1, n, 1);
    k = mx[0] + 1;
  } else {
    ids = indexData(indices as Tensor | ArrayLike<number>, k, {
      range: (v, i) => `${who}: index ${v} at position ${i} is out of range for ${k} classes`,
    });
  }
  // out[r, c] = (ids[r] == c): one broadcast compare [n, 1] vs [1, k], cast to int32
  const classes = new Tensor(Int32Array.from({ length: k }, (_, c) => c), [1, k]);
  const hot = to(eq(new Tensor(ids, [n, 1]), classes), 'int32');
  return hot.reshape([...shape, k]);
}
