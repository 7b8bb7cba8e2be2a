/**
 * Reference kernels for lib/nn: point-wise losses (value and gradient), NLL pick/scatter, the
 * counter-based dropout mask and the index range check. Math in float64 (JS numbers), rounded once on
 * store; the native kernels (native/include/nn_impl.h) follow the same formulas.
 */
import { LossOp, LossReduction, type LossOpCode, type LossReductionCode } from '../backend.js';

/** out[i] = l(p[i], t[i]), or out[0] = Σ l (/ n for the mean) in float64, rounded once. */
export function pointwiseLoss(
  op: LossOpCode, pred: Float32Array, target: Float32Array, out: Float32Array, n: number, delta: number,
  reduction: LossReductionCode,
): void {
  if (!(op >= 0 && op <= 4 && (op | 0) === op)) throw new RangeError(`pointwiseLoss: unknown op code ${String(op)}`);
  if (reduction !== 0 && reduction !== 1 && reduction !== 2) throw new RangeError(`pointwiseLoss: unknown reduction ${String(reduction)}`);
  // one plain loop per op and reduction: V8 keeps each monomorphic (a per-element switch or closure costs 3-4x)
  const none = reduction === LossReduction.none;
  let total = 0;
  switch (op) {
    case LossOp.mse:
      if (none) for (let i = 0; i < n; i++) { const d = pred[i] - target[i]; out[i] = d * d; }
      else for (let i = 0; i < n; i++) { const d = pred[i] - target[i]; total += d * d; }
      break;
    case LossOp.l1:
      if (none) for (let i = 0; i < n; i++) out[i] = Math.abs(pred[i] - target[i]);
      else for (let i = 0; i < n; i++) total += Math.abs(pred[i] - target[i]);
      break;
    case LossOp.huber: {
      const hd = 0.5 * delta;
      for (let i = 0; i < n; i++) {
        const d = pred[i] - target[i];
        const a = Math.abs(d);
        const v = a <= delta ? 0.5 * d * d : delta * (a - hd);
        if (none) out[i] = v;
        else total += v;
      }
      break;
    }
    case LossOp.bce:
      for (let i = 0; i < n; i++) {
        const p = pred[i], t = target[i];
        const v = -(t * Math.max(Math.log(p), -100) + (1 - t) * Math.max(Math.log(1 - p), -100));
        if (none) out[i] = v;
        else total += v;
      }
      break;
    default:
      for (let i = 0; i < n; i++) {
        const x = pred[i];
        const v = Math.max(x, 0) - x * target[i] + Math.log1p(Math.exp(-Math.abs(x)));
        if (none) out[i] = v;
        else total += v;
      }
  }
  if (!none) out[0] = reduction === LossReduction.mean ? total / n : total;
}

/** dpred[i] = scale·dout[i·ds]·∂l/∂p, dtarget[i] = scale·dout[i·ds]·∂l/∂t (each when non-null). */
export function pointwiseLossBackward(
  op: LossOpCode, pred: Float32Array, target: Float32Array, dout: Float32Array, doutStride: number,
  dpred: Float32Array | null, dtarget: Float32Array | null, n: number, delta: number, scale: number,
): void {
  if (!(op >= 0 && op <= 4 && (op | 0) === op)) throw new RangeError(`pointwiseLossBackward: unknown op code ${String(op)}`);
  if (n === 0 || (dpred === null && dtarget === null)) return;
  const ds = doutStride;
  const g0 = scale * dout[0];
  const dp = dpred ?? EMPTY;
  const dt = dtarget ?? EMPTY;
  const wp = dpred !== null;
  const wt = dtarget !== null;
  switch (op) {
    case LossOp.mse:
      for (let i = 0; i < n; i++) {
        const g = ds ? scale * dout[i] : g0;
        const gp = 2 * (pred[i] - target[i]);
        if (wp) dp[i] = g * gp;
        if (wt) dt[i] = g * -gp;
      }
      return;
    case LossOp.l1:
      for (let i = 0; i < n; i++) {
        const g = ds ? scale * dout[i] : g0;
        const d = pred[i] - target[i];
        const gp = d > 0 ? 1 : d < 0 ? -1 : 0;
        if (wp) dp[i] = g * gp;
        if (wt) dt[i] = g * -gp;
      }
      return;
    case LossOp.huber:
      for (let i = 0; i < n; i++) {
        const g = ds ? scale * dout[i] : g0;
        const d = pred[i] - target[i];
        const gp = Math.abs(d) <= delta ? d : d > 0 ? delta : -delta;
        if (wp) dp[i] = g * gp;
        if (wt) dt[i] = g * -gp;
      }
      return;
    case LossOp.bce:
      for (let i = 0; i < n; i++) {
        const g = ds ? scale * dout[i] : g0;
        const p = pred[i];
        if (wp) dp[i] = g * ((p - target[i]) / Math.max(p * (1 - p), 1e-12));
        if (wt) dt[i] = g * (Math.max(Math.log(1 - p), -100) - Math.max(Math.log(p), -100));
      }
      return;
    default:
      for (let i = 0; i < n; i++) {
        const g = ds ? scale * dout[i] : g0;
        const x = pred[i];
        if (wp) {
          const e = Math.exp(-Math.abs(x));
          const s = x >= 0 ? 1 / (1 + e) : e / (1 + e);
          dp[i] = g * (s - target[i]);
        }
        if (wt) dt[i] = g * -x;
      }
  }
}

const EMPTY = new Float32Array(0);

export function nllLoss(logProbs: Float32Array, labels: Int32Array, losses: Float32Array, rows: number, classes: number): void {
  for (let r = 0; r < rows; r++) losses[r] = -logProbs[r * classes + labels[r]];
}

export function nllLossBackward(
  dlosses: Float32Array, dlossesStride: number, labels: Int32Array, dx: Float32Array, rows: number, classes: number,
  scale: number,
): void {
  dx.fill(0, 0, rows * classes);
  for (let r = 0; r < rows; r++) dx[r * classes + labels[r]] = -(scale * dlosses[r * dlossesStride]);
}

/** lowbias32 (Wellons' hash prospector): a 32-bit bijection with full avalanche. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  return x ^ (x >>> 15);
}

/** The 32 mask bits of counter c under key (seed0, seed1); the contract is in backend.ts. */
export function dropoutBits(c: number, seed0: number, seed1: number): number {
  return mix(mix((Math.imul(c, 0x9e3779b9) + seed0) | 0) ^ seed1) >>> 0;
}

export function dropout(x: Float32Array, out: Float32Array, n: number, p: number, seed0: number, seed1: number, offset: number): void {
  const threshold = Math.ceil(p * 16777216);
  const scale = Math.fround(1 / (1 - p));
  const k0 = seed0 | 0;
  const k1 = seed1 | 0;
  for (let i = 0; i < n; i++) {
    const c = (offset + i) >>> 0;
    const bits = mix(mix((Math.imul(c, 0x9e3779b9) + k0) | 0) ^ k1) >>> 8;
    out[i] = x[i] * (bits >= threshold ? scale : 0);
  }
}

export function indexCheck(idx: Int32Array, n: number, limit: number): number {
  for (let i = 0; i < n; i++) {
    const v = idx[i];
    if (v < 0 || v >= limit) return i;
  }
  return -1;
}
