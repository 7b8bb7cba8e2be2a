/**
 * crossEntropy with ignored targets on the fused kernel (rows equal to ignoreIndex zeroed, mean over the
 * rest) against the composed general path; an embedding table used twice accumulates both uses
 * whether its gradient is pending, already allocated (zeroGrad(false)) or neither — on every backend.
 */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

forEachBackend('crossEntropy ignoreIndex (fused) and shared embeddings', ['softmaxCrossEntropy', 'scatterAddRows'], () => {
  const C = 7;
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`ignoreIndex −1, ${reduction}: fused = the general path (weights of one)`, () => {
      const labels = [3, -1, 0, 6, -1, 2, 5, -1, 1];
      const a = randData([labels.length, C], 4, { requiresGrad: true });
      const b = new ng.Tensor(a.data.slice(), a.shape, true);
      const fused = ng.F.crossEntropy(a, ng.tensor(labels, { dtype: 'int32' }), { ignoreIndex: -1, reduction });
      const general = ng.F.crossEntropy(b, labels, { ignoreIndex: -1, reduction, weight: ng.ones([C]) });
      expectClose(fused.data, general.data, { rtol: 1e-5, atol: 1e-6 }, 'loss');
      const g = reduction === 'none' ? ng.randn([labels.length]).data : undefined;
      fused.backward(g);
      general.backward(g);
      expectClose(a.grad!.data, b.grad!.data, { rtol: 1e-5, atol: 1e-6 }, 'grad');
      expect(a.grad!.data.subarray(C, 2 * C).every((v) => v === 0)).toBe(true);
    });
  }
  it('every target ignored: mean is NaN, sum 0, gradient 0', () => {
    const x = randData([3, C], 5, { requiresGrad: true });
    expect(Number.isNaN(ng.F.crossEntropy(x, [-100, -100, -100]).item())).toBe(true);
    const s = ng.F.crossEntropy(x, [-100, -100, -100], { reduction: 'sum' });
    expect(s.item()).toBe(0);
    s.backward();
    expect(x.grad!.data.every((v) => v === 0)).toBe(true);
  });
  it('a label out of range that is not ignoreIndex still throws', () => {
    expect(() => ng.F.crossEntropy(ng.zeros([2, C]), [-1, 9], { ignoreIndex: -1 })).toThrow(/label 9 at index 1 is out of range for 7 classes/);
  });
  it('a table used by two embeddings gets the sum of both, with or without an existing .grad', () => {
    for (const existing of [false, true]) {
      const w = randData([10, 4], 6, { requiresGrad: true });
      const i1 = ng.tensor([1, 2, 2, 9], { dtype: 'int32' });
      const i2 = ng.tensor([2, 0], { dtype: 'int32' });
      const g1 = randData([4, 4], 7).data, g2 = randData([2, 4], 8).data;
      if (existing) w.grad = ng.ones([10, 4]);
      const y = ng.concat([ng.F.embedding(i1, w), ng.F.embedding(i2, w)], 0);
      y.backward(Float32Array.from([...g1, ...g2]));
      const want = new Float32Array(40).fill(existing ? 1 : 0);
      [[i1, g1], [i2, g2]].forEach(([ix, g]) => (ix as ng.Tensor).data.forEach((r: number, j: number) => {
        for (let k = 0; k < 4; k++) want[r * 4 + k] += (g as Float32Array)[j * 4 + k];
      }));
      expectClose(w.grad!.data, want, { rtol: 1e-6, atol: 1e-6 }, `grad (existing ${existing})`);
    }
  });
});
