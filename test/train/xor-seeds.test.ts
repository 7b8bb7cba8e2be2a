/**
 * The XOR example (examples/xor.ts: 2-3-1 sigmoid, MSE, plain SGD lr 0.1, 20,000 full-batch epochs)
 * over several seeds on every backend. Measured per seed (final MSE; identical on native and js):
 *   0: 0.1293 STUCK — a local minimum: outputs ≈ [0.06, 0.50, 0.94, 0.51], two points undecided
 *   1: 0.0057  2: 0.0036  3: 0.0028  4: 0.0025 (the example's default)  6: 0.0037  7: 0.0031  8: 0.0025
 *   5: 0.0121 — slow: classifies all four points but is still above MSE 0.01 after 20,000 epochs
 * Tested here: seeds 1, 2, 3, 4, 6 must reach MSE < 0.01 and classify all four points; seeds 0 and 5 are asserted
 * as documented above, so a change in behaviour shows up instead of being hidden.
 */
import { expect, it } from 'vitest';
import { trainXor } from '../../examples/xor.js';
import { forEachBackend } from '../helpers/backends.js';

const KERNELS = ['gemm', 'unary', 'unaryBackward', 'binary', 'reduce', 'copy', 'sgdStep'] as const;
const CONVERGE = [1, 2, 3, 4, 6];
const cls = (p: number[]) => p.map((v) => (v >= 0.5 ? 1 : 0));

forEachBackend('XOR over seeds', KERNELS, () => {
  for (const seed of CONVERGE) {
    it(`seed ${seed}: MSE < 0.01 and all four points classified`, () => {
      const { result, predictions } = trainXor({ seed });
      expect(result.finalLoss).toBeLessThan(0.01);
      expect(cls(predictions)).toEqual([0, 1, 1, 0]);
    });
  }

  it('seed 0 gets stuck in a local minimum (documented, 2-3-1 sigmoid nets do this)', () => {
    const { result, predictions } = trainXor({ seed: 0 });
    expect(result.finalLoss).toBeGreaterThan(0.1);
    expect(cls(predictions)).not.toEqual([0, 1, 1, 0]);
  });

  it('seed 5 converges slowly: all four points right, MSE still ≈ 0.012 at 20,000 epochs', () => {
    const { result, predictions } = trainXor({ seed: 5 });
    expect(cls(predictions)).toEqual([0, 1, 1, 0]);
    expect(result.finalLoss).toBeGreaterThan(0.01);
    expect(result.finalLoss).toBeLessThan(0.02);
  });
});
