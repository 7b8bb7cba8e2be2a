/**
 * Seeded determinism (issue 5): 100 optimizer steps of a small MLP with dropout, shuffled batches and
 * Adam — the same seed gives bit-identical weights, a different seed gives different ones, on every
 * backend (same backend, same thread count, as promised in reliability.md §7).
 */
import { expect, it } from 'vitest';
import { DataLoader, TensorDataset } from '../../lib/data/index.js';
import { Dropout, Linear, ReLU, Sequential } from '../../lib/nn/index.js';
import * as F from '../../lib/nn/functional.js';
import { Adam } from '../../lib/optim/index.js';
import { manualSeed } from '../../lib/random.js';
import { randn } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';

const KERNELS = ['gemm', 'unary', 'unaryBackward', 'binary', 'reduce', 'copy', 'softmaxCrossEntropy', 'gatherRows', 'adamStep'] as const;

function hundredSteps(seed: number): number[] {
  manualSeed(1234); // the data is the same for every seed
  const x = randn([64, 6]);
  const y = Int32Array.from({ length: 64 }, (_, i) => i % 4);
  manualSeed(seed); // init, dropout masks and shuffling
  const model = new Sequential(new Linear(6, 16), new ReLU(), new Dropout(0.25), new Linear(16, 4));
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true });
  let steps = 0;
  while (steps < 100) {
    for (const [xb, yb] of loader) {
      F.crossEntropy(model.forward(xb), yb).backward();
      opt.step();
      opt.zeroGrad();
      if (++steps === 100) break;
    }
  }
  expect(opt.stepCount).toBe(100);
  return model.parameters().flatMap((p) => Array.from(p.data));
}

forEachBackend('determinism', KERNELS, () => {
  it('same seed → bit-identical weights after 100 steps; a different seed → different weights', () => {
    const a = hundredSteps(7);
    const b = hundredSteps(7);
    const c = hundredSteps(8);
    expect(b).toEqual(a);
    expect(a.every(Number.isFinite)).toBe(true);
    const differing = a.filter((v, i) => v !== c[i]).length;
    expect(differing).toBeGreaterThan(a.length * 0.9);
  });
});
