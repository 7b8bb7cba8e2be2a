/**
 * Finite-difference gradient check for float32 (shared/research/reliability.md §1): random projection
 * f = ⟨op(x), v⟩ in float64, central differences with h = 5e-3 (divided by the step actually stored
 * in float32), pass if |g_num − g_an| ≤ 1e-3 + 1e-2·|g_an|. Large inputs check a seeded sample of
 * elements.
 */
import { expect } from 'vitest';
import { noGrad } from '../../lib/autograd.js';
import { Generator } from '../../lib/random.js';
import type { Tensor } from '../../lib/tensor.js';

export interface GradcheckOptions {
  h?: number;
  atol?: number;
  rtol?: number;
  /** most elements checked per input (a seeded sample beyond that) */
  maxElements?: number;
  seed?: number;
}

function project(out: Tensor, v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += out.data[i] * v[i];
  return s;
}

/** Checks d⟨fn(inputs), v⟩/d(input) for every input with requiresGrad. */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o: GradcheckOptions = {}): void {
  const h = o.h ?? 5e-3;
  const atol = o.atol ?? 1e-3;
  const rtol = o.rtol ?? 1e-2;
  const g = new Generator(o.seed ?? 1234);
  for (const x of inputs) x.grad = null;
  const out = fn(...inputs);
  const v = new Float64Array(out.size);
  for (let i = 0; i < v.length; i++) v[i] = g.random() * 2 - 1;
  out.backward(new Float32Array(v));
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    expect(x.grad, `input ${k}: grad`).not.toBeNull();
    const an = x.grad!.data;
    expect(an.length).toBe(x.size);
    const max = o.maxElements ?? 48;
    const picks: number[] = [];
    if (x.size <= max) for (let i = 0; i < x.size; i++) picks.push(i);
    else for (let j = 0; j < max; j++) picks.push(g.randint(x.size));
    for (const i of picks) {
      const orig = x.data[i];
      x.data[i] = orig + h;
      const up = x.data[i];
      const fp = noGrad(() => project(fn(...inputs), v));
      x.data[i] = orig - h;
      const dn = x.data[i];
      const fm = noGrad(() => project(fn(...inputs), v));
      x.data[i] = orig;
      const num = (fp - fm) / (up - dn);
      const a = an[i];
      if (!(Math.abs(num - a) <= atol + rtol * Math.abs(a))) {
        expect.fail(`gradcheck: input ${k} element ${i}: analytic ${a}, numeric ${num} (|diff| ${Math.abs(num - a)})`);
      }
    }
  });
}
