/**
 * Tolerances (shared/research/reliability.md §2): element-wise float32 rtol 1.3e-6 / atol 1e-5
 * (PyTorch); sums of many products rtol 1e-4 scaled by magnitude.
 */
import { expect } from 'vitest';

export const ELEMENTWISE = { rtol: 1.3e-6, atol: 1e-5 } as const;
export const REDUCTION = { rtol: 1e-4, atol: 1e-6 } as const;

export interface Tol {
  rtol: number;
  atol: number;
}

/** Asserts |a − e| ≤ atol + rtol·|e| element-wise (NaN matches NaN, ±inf must match exactly). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol = ELEMENTWISE, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e) { worst = i; worstExcess = Infinity; break; }
      continue;
    }
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (excess > worstExcess || (excess > 0 && worst < 0)) { worst = i; worstExcess = excess; }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (|diff| ${Math.abs(actual[worst] - expected[worst])} > atol ${tol.atol} + rtol ${tol.rtol}·|e|)`);
  }
}
