/** ng.topk and ng.multinomial: values as torch, gradients, seeded sampling, errors, on every backend. */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';

forEachBackend('topk / multinomial', ['scatterAddRows'], () => {
  it('topk: largest / smallest along a dim, destructurable, int32 indices', () => {
    const x = ng.tensor([[1, 5, 3, 4], [9, 2, 8, 7]]);
    const { values, indices } = ng.topk(x, 2);
    expect(Array.from(values.data)).toEqual([5, 4, 9, 8]);
    expect(indices.dtype).toBe('int32');
    expect(Array.from(indices.data)).toEqual([1, 3, 0, 2]);
    const [v0, i0] = ng.topk(x, 1, 0, { largest: false });
    expect(v0.shape).toEqual([1, 4]);
    expect(Array.from(v0.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(i0.data)).toEqual([0, 1, 0, 0]);
    expect(ng.topk(x, 0).values.shape).toEqual([2, 0]);
  });
  it('topk gradient flows to the chosen elements', () => {
    gradcheck((a) => ng.topk(a, 3, 1).values, [randData([3, 5], 1, { requiresGrad: true })]);
  });
  it('topk errors', () => {
    expect(() => ng.topk(ng.ones([2, 3]), 4)).toThrow(/topk: k must be an integer in \[0, 3\]/);
    expect(() => ng.topk(ng.ones([2, 3]), 1, 2)).toThrow(/topk: dim 2 is out of range/);
  });
  it('multinomial: seeded, with and without replacement, frequencies follow the weights', () => {
    const p = ng.tensor([0.1, 0.0, 0.6, 0.3]);
    ng.manualSeed(5);
    const a = ng.multinomial(p, 2000, { replacement: true });
    ng.manualSeed(5);
    expect(ng.multinomial(p, 2000, { replacement: true }).data).toEqual(a.data);
    const counts = [0, 0, 0, 0];
    for (const i of a.data as unknown as Int32Array) counts[i]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / 2000).toBeGreaterThan(0.55);
    expect(counts[2] / 2000).toBeLessThan(0.65);
    const b = ng.multinomial(ng.tensor([[1, 1, 1, 0], [0, 2, 0, 3]]), 2, { generator: new ng.Generator(3) });
    expect(b.shape).toEqual([2, 2]);
    const rows = Array.from(b.data as unknown as Int32Array);
    expect(new Set(rows.slice(0, 2)).size).toBe(2);
    expect(rows.slice(2).sort()).toEqual([1, 3]);
  });
  it('multinomial errors', () => {
    expect(() => ng.multinomial(ng.tensor([1, 0]), 2)).toThrow(/fewer than numSamples 2/);
    expect(() => ng.multinomial(ng.tensor([1, -1]), 1)).toThrow(/invalid weight -1/);
    expect(() => ng.multinomial(ng.tensor([0, 0]), 1)).toThrow(/sums to 0/);
    expect(() => ng.multinomial(ng.tensor([1, 2]), 3)).toThrow(/cannot draw 3 samples from 2 categories without replacement/);
  });
});
