/**
 * Conv2d on native is bit-identical whatever the thread count: forward, dx, dweight and dbias for
 * 1, 2 and 3 threads (native/core/conv.cc sums dweight over a batch split fixed by the shapes, never
 * by the thread count), and a whole MNIST CNN (Conv2d + BatchNorm2d + ReLU + MaxPool2d + Linear,
 * Adam) trained 20 steps from one seed ends with the same bits on 1 and 2 threads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { getBackend, getNumThreads, nativeBinding, setBackend, setNumThreads } from '../../lib/backend/registry.js';
import { conv2d, type Conv2dOptions } from '../../lib/ops/conv.js';
import { mul, sum } from '../../lib/ops/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { randData } from '../helpers/random.js';

const prevBackend = getBackend();
const prevThreads = getNumThreads();
afterAll(() => {
  setBackend(prevBackend);
  setNumThreads(prevThreads);
});

function withThreads<T>(n: number, f: () => T): T {
  setNumThreads(n);
  try {
    expect(getNumThreads()).toBe(n);
    return f();
  } finally {
    setNumThreads(prevThreads);
  }
}

/** First element where a and b differ as bit patterns (−1: identical). */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

function expectSameBits(a: Float32Array[], b: Float32Array[], names: string[], what: string): void {
  expect(a.length, what).toBe(b.length);
  a.forEach((x, i) => {
    const k = firstDiff(x, b[i]);
    if (k >= 0) expect.fail(`${what}: ${names[i]} differs first at element ${k}: ${x[k]} vs ${b[i][k]}`);
  });
}

// [name, x shape, weight shape, bias, options]
const CASES: [string, number[], number[], boolean, Conv2dOptions][] = [
  ['batch 1, 5×5 pad 2 (one chunk; the GEMMs thread themselves)', [1, 16, 28, 28], [32, 16, 5, 5], true, { padding: 2 }],
  ['batch 3, 3×3 stride 2 pad 1', [3, 4, 11, 9], [6, 4, 3, 3], true, { stride: 2, padding: 1 }],
  ['batch 64, MNIST conv 16→32 5×5 pad 2', [64, 16, 14, 14], [32, 16, 5, 5], true, { padding: 2 }],
  ['batch 64, conv 1→16 5×5 pad 2', [64, 1, 28, 28], [16, 1, 5, 5], true, { padding: 2 }],
  ['batch 20, 3×3 stride 2, no padding, no bias', [20, 3, 10, 10], [6, 3, 3, 3], false, { stride: 2 }],
  ['batch 64, 1×1 pointwise', [64, 8, 6, 6], [12, 8, 1, 1], true, {}],
  ['batch 5, 1×1 stride 2', [5, 6, 7, 7], [4, 6, 1, 1], true, { stride: 2 }],
  ['batch 37, dilation 2, non-square', [37, 3, 9, 8], [5, 3, 3, 2], true, { dilation: 2, padding: [2, 1] }],
  ['batch 2, 512→512 3×3 (weight too big for per-chunk partials)', [2, 512, 4, 4], [512, 512, 3, 3], true, { padding: 1 }],
];

describe.skipIf(!nativeBinding())('conv2d [native]: thread-count invariance', () => {
  for (const [name, xs, ws, withBias, opts] of CASES) {
    it(name, () => {
      setBackend('native');
      const seed = xs.reduce((a, b) => a * 31 + b, 17);
      const run = (threads: number): Float32Array[] => withThreads(threads, () => {
        const x = randData(xs, seed, { lo: -1, hi: 1, requiresGrad: true });
        const w = randData(ws, seed + 1, { lo: -0.5, hi: 0.5, requiresGrad: true });
        const b = withBias ? randData([ws[0]], seed + 2, { requiresGrad: true }) : null;
        const out = conv2d(x, w, b, opts);
        // a random upstream gradient, so that dweight sums distinct terms
        sum(mul(out, randData(out.shape, seed + 3))).backward();
        const grads = [x.grad!, w.grad!, ...(b ? [b.grad!] : [])];
        return [out, ...grads].map((t: Tensor) => t.data.slice());
      });
      const names = ['output', 'x grad', 'weight grad', 'bias grad'];
      const one = run(1);
      expect(one[2].some((v) => v !== 0)).toBe(true);
      expectSameBits(one, run(2), names, '1 vs 2 threads');
      expectSameBits(one, run(3), names, '1 vs 3 threads');
    });
  }

  it('MNIST CNN (conv + batch norm + relu + max pool + linear, Adam): 20 steps on 1 and 2 threads end bit-identical', () => {
    setBackend('native');
    const B = 64, STEPS = 20;
    const train = (threads: number) => withThreads(threads, () => {
      ng.manualSeed(42);
      const model = ng.mnistCnn();
      model.train();
      const opt = new ng.optim.Adam(model.parameters(), { lr: 1e-3 });
      const losses = new Float32Array(STEPS);
      for (let s = 0; s < STEPS; s++) {
        const x = randData([B, 1, 28, 28], 900 + s, { lo: 0, hi: 1 });
        const y = Array.from({ length: B }, (_, i) => (i * 7 + s) % 10);
        opt.zeroGrad();
        const loss = ng.F.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        losses[s] = loss.item();
      }
      const named = [...model.namedParameters(), ...model.namedBuffers()];
      return { losses, names: named.map(([n]) => n), values: named.map(([, t]) => t.data.slice()) };
    });
    const a = train(1), b = train(2);
    expect(a.losses[STEPS - 1]).toBeLessThan(a.losses[0]); // it trained
    expectSameBits([a.losses, ...a.values], [b.losses, ...b.values], ['loss history', ...a.names], 'CNN, 1 vs 2 threads');
  });
});
