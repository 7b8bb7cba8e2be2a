/** Gradient utilities (torch.nn.utils). */
import { BinaryOp, ReduceOp, UnaryOp } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';
import { emptyF32, release } from '../util/alloc.js';

/**
 * Scales the gradients of `params` in place so that their joint L2 norm is at most maxNorm (PyTorch's
 * clip_grad_norm_: coefficient maxNorm / (total + 1e-6), applied only when below 1). Parameters without
 * a gradient are ignored. Returns the total norm before clipping (Infinity/NaN pass through unclipped…
 * and are returned, so callers can detect them).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be ≥ 0, got ${maxNorm}`);
  if (normType !== 2 && normType !== Infinity) throw new RangeError(`clipGradNorm: normType must be 2 or Infinity, got ${normType}`);
  const grads: Float32Array[] = [];
  for (const p of params) if (p._grad !== null && p._grad.size > 0) grads.push(p._grad.data);
  if (grads.length === 0) return 0;
  const tmp = new Float32Array(1);
  let total = 0;
  if (normType === 2) {
    for (const g of grads) {
      current.reduce(ReduceOp.sumSquares, g, tmp, 1, g.length, 1);
      total += tmp[0];
    }
    total = Math.sqrt(total);
  } else {
    // max |g| per tensor: abs into a scratch buffer, then a max reduction (NaN propagates, as Math.max did)
    for (const g of grads) {
      const a = emptyF32(g.length);
      current.unary(UnaryOp.abs, g, a, g.length, 0);
      current.reduce(ReduceOp.max, a, tmp, 1, g.length, 1);
      release(a);
      total = Math.max(total, tmp[0]);
    }
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const g of grads) current.unary(UnaryOp.scale, g, g, g.length, coef);
  return total;
}

/** Clamps every gradient element to [−clipValue, clipValue] in place (NaN stays NaN). */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  const lo = new Float32Array([-clipValue]);
  const hi = new Float32Array([clipValue]);
  for (const p of params) {
    if (p.grad === null || p.grad.size === 0) continue;
    const g = p.grad.data;
    const n = g.length;
    current.binary(BinaryOp.max, g, ONE, lo, ZERO, g, [n]);
    current.binary(BinaryOp.min, g, ONE, hi, ZERO, g, [n]);
    if (!p.grad.isContiguous()) p.grad.data = g; // a strided gradient: .data was a copy, write it back
  }
}

const ONE = [1];
const ZERO = [0];
