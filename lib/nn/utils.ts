/** Gradient utilities (torch.nn.utils). */
import { ReduceOp, UnaryOp } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';

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
  for (const p of params) if (p.grad !== null && p.grad.size > 0) grads.push(p.grad.data);
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
    for (const g of grads) for (let i = 0; i < g.length; i++) total = Math.max(total, Math.abs(g[i]));
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const g of grads) current.unary(UnaryOp.scale, g, g, g.length, coef);
  return total;
}

/** Clamps every gradient element to [−clipValue, clipValue] in place. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  for (const p of params) {
    if (p.grad === null) continue;
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) g[i] = Math.min(clipValue, Math.max(-clipValue, g[i]));
  }
}
