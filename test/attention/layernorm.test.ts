/** F.layerNorm and nn.LayerNorm on the fused kernels: values, gradients, errors, on every backend. */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

const F = ng.F;

forEachBackend('layerNorm', ['layerNorm', 'layerNormBackward'], () => {
  it('normalises the last dims (biased variance), then scales and shifts', () => {
    const x = ng.tensor([[1, 2, 3, 4], [2, 2, 2, 10]]);
    const y = F.layerNorm(x, [4], null, null, 0);
    const m = [2.5, 4];
    const s = [Math.sqrt(1.25), Math.sqrt(12)];
    const want = [1, 2, 3, 4].map((v) => (v - m[0]) / s[0]).concat([2, 2, 2, 10].map((v) => (v - m[1]) / s[1]));
    expectClose(y.data, want, { rtol: 1e-6, atol: 1e-6 });
    const w = ng.tensor([1, 2, 3, 4]), b = ng.tensor([0, 1, 0, 1]);
    const y2 = F.layerNorm(x, 4, w, b, 0);
    expectClose(y2.data, want.map((v, i) => v * [1, 2, 3, 4][i % 4] + [0, 1, 0, 1][i % 4]), { rtol: 1e-6, atol: 1e-6 });
  });
  it('several normalized dims, a transposed (non-contiguous) input', () => {
    const x = randData([3, 4, 5], 1);
    const a = F.layerNorm(x, [4, 5]);
    const b = F.layerNorm(x.reshape([3, 20]), [20]).reshape([3, 4, 5]);
    expectClose(a.data, b.data);
    const xt = randData([6, 3], 2).t();
    expectClose(F.layerNorm(xt, [6]).data, F.layerNorm(xt.contiguous(), [6]).data);
  });
  it('gradients in x, weight and bias (gradcheck)', () => {
    const x = randData([5, 7], 3, { requiresGrad: true });
    const w = randData([7], 4, { lo: 0.5, hi: 1.5, requiresGrad: true });
    const b = randData([7], 5, { requiresGrad: true });
    gradcheck((a, ww, bb) => F.layerNorm(a, [7], ww, bb), [x, w, b]);
    gradcheck((a) => F.layerNorm(a, [3, 2]), [randData([2, 3, 2], 6, { requiresGrad: true })]);
    gradcheck((a, ww) => F.layerNorm(a, [4], ww, null, 1e-3), [randData([3, 4], 7, { requiresGrad: true }), randData([4], 8, { requiresGrad: true })]);
  });
  it('nn.LayerNorm keeps weight/bias names and options', () => {
    const ln = new ng.nn.LayerNorm(6, { eps: 1e-6 });
    expect(Object.keys(ln.stateDict())).toEqual(['weight', 'bias']);
    expect(Object.keys(new ng.nn.LayerNorm(6, { bias: false }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new ng.nn.LayerNorm([2, 3], { elementwiseAffine: false }).stateDict())).toEqual([]);
    const x = randData([4, 6], 9, { requiresGrad: true });
    const y = ln.forward(x);
    y.sum().backward();
    expect(ln.weight!.grad).not.toBeNull();
    expect(ln.bias!.grad!.data[0]).toBeCloseTo(4, 5);
    expect(() => new ng.nn.LayerNorm(4, { epsilon: 1 } as never)).toThrow(/LayerNorm: unknown option 'epsilon'/);
  });
  it('errors name the op and shapes', () => {
    expect(() => F.layerNorm(ng.ones([2, 3]), [4])).toThrow(/layerNorm: input shape \[2, ?3\] does not end with normalizedShape \[4\]/);
    expect(() => F.layerNorm(ng.ones([2, 3]), [3], ng.ones([4]))).toThrow(/layerNorm: weight of shape \[4\] does not match normalizedShape \[3\]/);
    expect(() => F.layerNorm(ng.ones([2, 3], { dtype: 'int32' }), [3])).toThrow(/layerNorm: input must be float32/);
  });
});
