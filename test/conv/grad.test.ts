/** Finite-difference gradient checks of conv2d, pooling and batch norm on every backend. */
import { it } from 'vitest';
import type { Tensor } from '../../lib/tensor.js';
import { conv2d, maxPool2d, avgPool2d, type Conv2dOptions } from '../../lib/ops/conv.js';
import { batchNorm } from '../../lib/ops/batchnorm.js';
import { sub } from '../../lib/ops/elementwise.js';
import { Generator } from '../../lib/random.js';
import { Tensor as T } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';

let seed = 7000;
const t = (shape: number[]): Tensor => randData(shape, seed++, { lo: -1, hi: 1, requiresGrad: true });

/** Distinct values (a shuffled ramp, spacing ≫ the gradcheck step) so max-pool windows have no near-ties. */
function distinct(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const g = new Generator(seed++);
  const v = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = g.randint(i + 1); [v[i], v[j]] = [v[j], v[i]]; }
  return new T(Float32Array.from(v, (k) => (k - n / 2) * 0.05), shape, true);
}

const CONV = ['conv2d', 'conv2dBackward'];

forEachBackend('grad: conv2d', CONV, () => {
  const cases: [string, number[], number[], boolean, Conv2dOptions][] = [
    ['3x3 stride 1 pad 0', [2, 3, 6, 5], [4, 3, 3, 3], true, {}],
    ['3x3 pad 1', [1, 2, 5, 5], [3, 2, 3, 3], true, { padding: 1 }],
    ['5x5 pad 2 no bias', [2, 1, 7, 7], [2, 1, 5, 5], false, { padding: 2 }],
    ['stride 2 odd size', [2, 2, 7, 9], [3, 2, 3, 3], true, { stride: 2, padding: 1 }],
    ['dilation 2', [1, 2, 9, 8], [2, 2, 3, 3], true, { dilation: 2, padding: 1 }],
    ['non-square kernel, [h,w] options', [2, 3, 6, 7], [2, 3, 2, 4], true, { stride: [2, 1], padding: [1, 2] }],
    ['1x1 pointwise', [3, 4, 3, 5], [5, 4, 1, 1], true, {}],
    ['1x1 stride 2', [2, 3, 5, 5], [2, 3, 1, 1], false, { stride: 2 }],
  ];
  for (const [name, xs, ws, withBias, o] of cases) {
    it(name, () => {
      const inputs = withBias ? [t(xs), t(ws), t([ws[0]])] : [t(xs), t(ws)];
      gradcheck((x, w, b) => conv2d(x, w, b ?? null, o), inputs, { maxElements: 40 });
    });
  }
});

forEachBackend('grad: pooling', ['maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward'], () => {
  it('maxPool 2', () => gradcheck((x) => maxPool2d(x, 2), [distinct([2, 3, 6, 6])]));
  it('maxPool 3 stride 2 pad 1, odd size', () => gradcheck((x) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [distinct([1, 2, 7, 9])]));
  it('maxPool [2,3] stride [1,2]', () => gradcheck((x) => maxPool2d(x, [2, 3], { stride: [1, 2] }), [distinct([2, 1, 5, 7])]));
  it('maxPool negative inputs with padding', () => gradcheck((x) => maxPool2d(sub(x, 100), 3, { stride: 1, padding: 1 }), [distinct([1, 1, 4, 5])]));
  it('avgPool 2', () => gradcheck((x) => avgPool2d(x, 2), [t([2, 3, 6, 6])]));
  it('avgPool 3 stride 2 pad 1 (count_include_pad)', () => gradcheck((x) => avgPool2d(x, 3, { stride: 2, padding: 1 }), [t([1, 2, 7, 9])]));
  it('avgPool [3,2] stride 1', () => gradcheck((x) => avgPool2d(x, [3, 2], { stride: 1 }), [t([2, 1, 5, 4])]));
});

forEachBackend('grad: batchNorm', ['batchNormStats', 'batchNormForward', 'batchNormBackward', 'binary'], () => {
  const opts = { training: true };
  it('2-D input [N, C, H, W] with affine', () => gradcheck((x, w, b) => batchNorm(x, null, null, w, b, opts), [t([3, 2, 3, 4]), t([2]), t([2])]));
  it('1-D input [N, C]', () => gradcheck((x, w, b) => batchNorm(x, null, null, w, b, opts), [t([6, 3]), t([3]), t([3])]));
  it('no affine', () => gradcheck((x) => batchNorm(x, null, null, null, null, opts), [t([2, 3, 3, 3])]));
  it('eval mode (running statistics)', () => {
    const rm = randData([2], 1, { lo: -0.5, hi: 0.5 });
    const rv = randData([2], 2, { lo: 0.5, hi: 2 });
    gradcheck((x, w, b) => batchNorm(x, rm, rv, w, b, { training: false }), [t([2, 2, 3, 3]), t([2]), t([2])]);
  });
});
