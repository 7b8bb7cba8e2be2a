import { expect, it } from 'vitest';
import { tensor, Tensor } from '../../lib/tensor.js';
import * as F from '../../lib/nn/functional.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const KERNELS = ['softmaxCrossEntropy', 'binary', 'unary'] as const;

forEachBackend('losses', KERNELS, () => {
  const p = tensor([0.5, -1, 2, 3]);
  const t = tensor([1, 1, 1, 1]);

  it('mseLoss / l1Loss / huberLoss with every reduction', () => {
    expectClose(F.mseLoss(p, t).data, [(0.25 + 4 + 1 + 4) / 4], TOL);
    expectClose(F.mseLoss(p, t, { reduction: 'sum' }).data, [9.25], TOL);
    expectClose(F.mseLoss(p, t, { reduction: 'none' }).data, [0.25, 4, 1, 4], TOL);
    expectClose(F.l1Loss(p, t).data, [(0.5 + 2 + 1 + 2) / 4], TOL);
    // delta 1: |d| = .5 → .125, 2 → 1.5, 1 → .5, 2 → 1.5
    expectClose(F.huberLoss(p, t).data, [(0.125 + 1.5 + 0.5 + 1.5) / 4], TOL);
    expectClose(F.huberLoss(p, t, 2, { reduction: 'none' }).data, [0.125, 2, 0.5, 2], TOL);
    expect(F.mseLoss(p, t).shape).toEqual([]);
    expect(F.mseLoss(p, [1, 1, 1, 1]).item()).toBeCloseTo(9.25 / 4, 5);
  });

  it('binaryCrossEntropy clamps log at -100; with logits it is stable', () => {
    const prob = tensor([0.9, 0.2, 0, 1]);
    const y = tensor([1, 0, 1, 1]);
    const expected = [-Math.log(0.9), -Math.log(0.8), 100, 0];
    expectClose(F.binaryCrossEntropy(prob, y, { reduction: 'none' }).data, expected, TOL);
    const x = tensor([-200, -1, 0, 3, 200]);
    const yt = tensor([1, 0, 1, 0.5, 0]);
    const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); // softplus
    const ref = [0, 1, 2, 3, 4].map((i) => sp(x.data[i]) - x.data[i] * yt.data[i]);
    expectClose(F.binaryCrossEntropyWithLogits(x, yt, { reduction: 'none' }).data, ref, TOL);
    expect(() => F.binaryCrossEntropy(tensor([1.5]), tensor([1]))).toThrow(RangeError);
  });

  it('crossEntropy = logsumexp − x[label], with labels as Int32Array, number[] or Tensor', () => {
    const logits = tensor([[1, 2, 3], [0, 0, 0]]);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    const per = [lse - 1, Math.log(3)];
    expectClose(F.crossEntropy(logits, [0, 2], { reduction: 'none' }).data, per, TOL);
    expectClose(F.crossEntropy(logits, new Int32Array([0, 2])).data, [(per[0] + per[1]) / 2], TOL);
    expectClose(F.crossEntropy(logits, tensor([0, 2]), { reduction: 'sum' }).data, [per[0] + per[1]], TOL);
    expectClose(F.crossEntropy(tensor([1, 2, 3]), [0]).data, [per[0]], TOL);
  });

  it('crossEntropy rejects bad labels with RangeError naming label and class count', () => {
    const logits = randData([4, 10], 1);
    expect(() => F.crossEntropy(logits, [1, 2, 3, 10])).toThrow('crossEntropy: label 10 at index 3 is out of range for 10 classes');
    expect(() => F.crossEntropy(logits, [1, -1, 3, 4])).toThrow(RangeError);
    expect(() => F.crossEntropy(logits, [1, 2.5, 3, 4])).toThrow(/label 2\.5 at index 1 is not an integer/);
    expect(() => F.crossEntropy(logits, [1, 2])).toThrow(/4 rows of logits but 2 labels/);
  });

  it('shape mismatches name the loss and both shapes', () => {
    expect(() => F.mseLoss(randData([2, 3], 1), randData([3, 2], 2))).toThrow('mseLoss: input shape [2,3] and target shape [3,2] differ');
    expect(() => F.l1Loss(randData([2], 1), randData([3], 2))).toThrow(/l1Loss: input shape \[2\] and target shape \[3\]/);
    expect(() => F.mseLoss(randData([2], 1), randData([2], 2), { reduction: 'avg' as never })).toThrow(RangeError);
  });

  for (const red of ['mean', 'sum', 'none'] as const) {
    it(`gradients match finite differences (reduction ${red})`, () => {
      const a = randData([3, 4], 3, { requiresGrad: true, awayFromZero: 0.1 });
      const b = randData([3, 4], 4, { requiresGrad: true });
      gradcheck((x, y) => F.mseLoss(x, y, { reduction: red }), [a, b]);
      gradcheck((x, y) => F.huberLoss(x, y, 0.7, { reduction: red }), [a, b]);
      const shifted = new Tensor(a.data.map((v, i) => v - b.data[i] + (v - b.data[i] > 0 ? 0.05 : -0.05)), a.shape, true);
      gradcheck((x) => F.l1Loss(x, b, { reduction: red }), [shifted]);
      const prob = randData([3, 4], 5, { lo: 0.1, hi: 0.9, requiresGrad: true });
      const tgt = randData([3, 4], 6, { lo: 0, hi: 1 });
      gradcheck((x) => F.binaryCrossEntropy(x, tgt, { reduction: red }), [prob]);
      gradcheck((x, y) => F.binaryCrossEntropyWithLogits(x, y, { reduction: red }), [a, new Tensor(tgt.data, tgt.shape, true)]);
      const logits = randData([5, 7], 7, { requiresGrad: true });
      gradcheck((x) => F.crossEntropy(x, [0, 6, 3, 3, 1], { reduction: red }), [logits]);
    });
  }

  it('crossEntropy backward twice accumulates correctly (cached gradient is not reused in place)', () => {
    const logits = randData([3, 4], 8, { requiresGrad: true });
    const l = F.crossEntropy(logits, [0, 1, 2]);
    l.backward();
    const g1 = logits.grad!.data.slice();
    l.backward();
    expectClose(logits.grad!.data, Array.from(g1, (v) => 2 * v), TOL);
    const l2 = F.crossEntropy(logits, [0, 1, 2]);
    logits.grad = null;
    l2.backward();
    expectClose(logits.grad!.data, g1, TOL);
  });
});
