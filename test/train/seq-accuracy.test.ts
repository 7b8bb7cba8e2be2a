/**
 * The accuracy metric on a sequence model's logits [B, T, V] against int32 targets [B, T]: scored per
 * position (accuracy(), and fit/evaluate with metrics: ['accuracy']), as a user training a char model hits it.
 */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { accuracy, correctCount } from '../../lib/train/metrics.js';
import { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';

class SeqModel extends ng.nn.Module {
  emb = new ng.nn.Embedding(5, 8);
  head = new ng.nn.Linear(8, 5);
  forward(idx: Tensor): Tensor {
    return this.head.forward(this.emb.forward(idx));
  }
}

forEachBackend('accuracy on [B, T, V]', ['gemm', 'gatherRows', 'scatterAddRows'], () => {
  it('accuracy() and correctCount score every position', () => {
    // argmax along V: [[0, 2, 1], [1, 1, 0]]
    const p = new Tensor(Float32Array.from([
      5, 0, 0, 0, 0, 9, 0, 7, 0, /* b0 */ 0, 3, 1, 0, 4, 2, 8, 1, 0, /* b1 */
    ]), [2, 3, 3]);
    const y = new Tensor(Int32Array.from([0, 2, 2, 1, 0, 0]), [2, 3]);
    expect(correctCount(p, y)).toBe(4);
    expect(accuracy(p, y)).toBeCloseTo(4 / 6, 6);
  });

  it('fit / evaluate with metrics accuracy on a next-token model stay in [0, 1] and learn a copy task', async () => {
    ng.manualSeed(0);
    const x = new Tensor(Int32Array.from({ length: 64 * 4 }, (_, i) => (i * 7 + 3) % 5), [64, 4]);
    const ds = new ng.data.TensorDataset(x, x);
    const model = new SeqModel();
    const opt = new ng.optim.Adam(model.parameters(), { lr: 0.05 });
    const loss = (p: Tensor, y: unknown) => ng.F.crossEntropy(p.permute([0, 2, 1]), y as Tensor);
    const h = await ng.fit(model, { train: ds, epochs: 5, batchSize: 16, loss, optimizer: opt, metrics: ['accuracy'], progress: false });
    for (const a of h.accuracy!) expect(a).toBeGreaterThanOrEqual(0), expect(a).toBeLessThanOrEqual(1);
    const r = ng.evaluate(model, ds, { loss, metrics: ['accuracy'] });
    expect(r.accuracy).toBeGreaterThan(0.95);
    expect(r.accuracy).toBeLessThanOrEqual(1);
  });
});
