/**
 * The general forms of F.crossEntropy and F.nllLoss (PyTorch's semantics), used whenever a call is not
 * the plain fused case: class weights, ignoreIndex matches, label smoothing, probability targets and
 * `[N, C, d1, ...]` inputs. Composed from differentiable tensor ops (logSoftmax, gather, where, mul,
 * sum), so every piece runs on the backend's kernels and autograd derives the gradients.
 *
 * Mean reduction as PyTorch: class-index targets divide by Σ weight[target] over non-ignored targets
 * (their count without weights; 0/0 = NaN when every target is ignored); probability targets divide
 * by the number of samples N·d1·… .
 */
import { Tensor } from '../tensor.js';
import { describe } from '../util/describe.js';
import { all, argmin, gather, indexSelect, logSoftmax, permute, to, where } from '../ops/index.js';
import { fmtShape, shapesEqual, sizeOf } from '../util/shape.js';
import { current } from '../backend/registry.js';

export type ClassReduction = 'mean' | 'sum' | 'none';

export interface ClassLossSpec {
  who: string;
  reduction: ClassReduction;
  ignoreIndex: number;
  weight: Tensor | null;
  labelSmoothing: number;
}

/** The class dim (1, or 0 for a single unbatched sample [C]) and the target shape class indices have. */
function layout(input: Tensor, who: string): { classDim: number; classes: number; tshape: number[]; m: number } {
  if (input.ndim < 1) throw new Error(`${who}: input must be [N, C], [N, C, d1, ...] or [C], got shape ${fmtShape(input.shape)}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const classes = input.shape[classDim];
  if (classes < 1) throw new Error(`${who}: input ${fmtShape(input.shape)} has no classes`);
  const tshape = input.shape.filter((_, i) => i !== classDim);
  return { classDim, classes, tshape, m: sizeOf(tshape) };
}

/** Moves the class dim last and flattens the rest: [M, C] (a view/copy as the ops decide). */
function rowsOf(x: Tensor, classDim: number, classes: number, m: number): Tensor {
  if (x.ndim === 1) return x.reshape([1, classes]);
  if (x.ndim === 2) return x;
  const perm = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1];
  return permute(x, perm).reshape([m, classes]);
}

function checkWeight(weight: Tensor | null, classes: number, who: string): void {
  if (weight === null) return;
  if (!(weight instanceof Tensor)) throw new TypeError(`${who}: weight must be a Tensor of ${classes} class weights`);
  if (weight.dtype !== 'float32' || weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new Error(`${who}: weight must be a 1-D float32 tensor of ${classes} class weights, got ${weight.dtype} ${fmtShape(weight.shape)}`);
  }
}

interface RawTargets {
  /** the targets as int32 [M] (fractional values truncated) */
  ids: Tensor;
  /** the values as given, for messages */
  values: ArrayLike<number>;
  /** the first position whose value is not an integer, or −1 */
  nonInt: number;
}

/** Class-index targets as an int32 [M] tensor of raw values (not yet range-checked). */
function rawTargets(target: unknown, input: Tensor, tshape: number[], m: number, who: string): RawTargets {
  if (target instanceof Tensor) {
    const okShape = shapesEqual(target.shape, tshape) || (input.ndim <= 2 && target.ndim <= 1 && target.size === m);
    if (!okShape) {
      if (input.ndim === 2 && target.ndim <= 1) throw new Error(`${who}: ${m} rows of logits but ${target.size} labels`);
      throw new Error(`${who}: input shape ${fmtShape(input.shape)} needs class-index targets of shape ${fmtShape(tshape)}, got ${fmtShape(target.shape)}`);
    }
    const flat = target.reshape([m]);
    if (flat.dtype === 'int32') return { ids: flat, values: flat.data, nonInt: -1 };
    // float/bool labels: cast to int32; the first inexact cast is remembered
    const f = flat.dtype === 'float32' ? flat : to(flat, 'float32');
    const ids = to(f, 'int32');
    let nonInt = -1;
    if (m > 0 && !all(ids.eq(f)).item()) nonInt = argmin(to(ids.eq(f), 'int32')).item();
    return { ids, values: f.data, nonInt };
  }
  if (!(Array.isArray(target) || target instanceof Int32Array || (ArrayBuffer.isView(target) && !(target instanceof DataView)))) {
    throw new TypeError(`${who}: labels must be an Int32Array, a number[] or a Tensor of class indices, got ${describe(target)}`);
  }
  const arr = target as ArrayLike<number>;
  if (arr.length !== m) {
    if (input.ndim <= 2) throw new Error(`${who}: ${m} rows of logits but ${arr.length} labels`);
    throw new Error(`${who}: input shape ${fmtShape(input.shape)} needs ${m} class-index targets, got ${arr.length}`);
  }
  const ids = new Int32Array(m);
  let nonInt = -1;
  for (let i = 0; i < m; i++) {
    const v = arr[i];
    ids[i] = v;
    if (nonInt < 0 && ids[i] !== v) nonInt = i;
  }
  return { ids: new Tensor(ids, [m]), values: arr, nonInt };
}

/**
 * −w[y]·logp[y] per target for log-probabilities `logp` (class dim `classDim`), with ignoreIndex,
 * class weights and label smoothing, reduced as PyTorch's nll_loss / cross_entropy.
 */
export function indexTargetLoss(logp: Tensor, target: unknown, s: ClassLossSpec, input: Tensor): Tensor {
  const { who } = s;
  const { classDim, classes, tshape, m } = layout(input, who);
  checkWeight(s.weight, classes, who);
  const { ids: raw, values, nonInt } = rawTargets(target, input, tshape, m, who);
  const ignored = raw.eq(s.ignoreIndex);
  const safe = where(ignored, 0, raw);
  // range check of the non-ignored labels through the backend; the first offending label is named
  const bad = m > 0 ? current.indexCheck(safe.data as unknown as Int32Array, m, classes) : -1;
  const at = nonInt < 0 ? bad : bad < 0 ? nonInt : Math.min(bad, nonInt);
  if (at >= 0) {
    const v = values[at];
    throw new RangeError(Number.isInteger(v)
      ? `${who}: label ${v} at index ${at} is out of range for ${classes} classes`
      : `${who}: label ${v} at index ${at} is not an integer class index (${classes} classes)`);
  }
  const lp = rowsOf(logp, classDim, classes, m);
  const rowW = s.weight !== null ? indexSelect(s.weight, 0, safe) : new Tensor(new Float32Array(m).fill(1), [m]);
  const w = where(ignored, 0, rowW);
  const picked = m > 0 ? gather(lp, 1, safe.reshape([m, 1])).reshape([m]) : new Tensor(new Float32Array(0), [0]);
  const nll = picked.neg().mul(w);
  const outShape = tshape;
  // the mean's divisor; 0 (every target ignored) gives NaN with a zero gradient, as PyTorch
  const wsum = s.reduction === 'mean' ? w.sum() : null;
  const empty = wsum !== null && wsum.item() === 0;
  const reduce = (per: Tensor): Tensor => {
    if (s.reduction === 'none') return per.reshape(outShape);
    if (s.reduction === 'sum') return per.sum();
    return empty ? per.sum().mul(0).add(NaN) : per.sum().div(wsum!);
  };
  let out = reduce(nll);
  const eps = s.labelSmoothing;
  if (eps > 0) {
    const weighted = s.weight !== null ? lp.mul(s.weight.reshape([1, classes])) : lp;
    const smooth = where(ignored, 0, weighted.sum(1).neg());
    out = out.mul(1 - eps).add(reduce(smooth).mul(eps / classes));
  }
  return out;
}

/** Cross-entropy against class probabilities `target` (same shape as the logits). */
export function probTargetLoss(logits: Tensor, target: Tensor, s: ClassLossSpec): Tensor {
  const { who } = s;
  const { classDim, classes, m } = layout(logits, who);
  checkWeight(s.weight, classes, who);
  if (target.dtype !== 'float32') throw new TypeError(`${who}: probability targets must be float32, got ${target.dtype}`);
  const logp = logSoftmax(logits, classDim);
  const eps = s.labelSmoothing;
  const t = eps > 0 ? target.mul(1 - eps).add(eps / classes) : target;
  let prod = logp.mul(t);
  if (s.weight !== null) {
    const wshape = logits.ndim === 1 ? [classes] : [classes, ...new Array<number>(logits.ndim - 2).fill(1)];
    prod = prod.mul(s.weight.reshape(wshape));
  }
  if (s.reduction === 'none') return prod.sum(classDim).neg();
  const total = prod.sum().neg();
  if (s.reduction === 'sum') return total;
  return m > 0 ? total.div(m) : total.mul(NaN);
}

