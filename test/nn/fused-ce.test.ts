/**
 * The fused softmax + cross-entropy kernel (F.crossEntropy: loss and gradient in one pass per row)
 * against the unfused compositions — logSoftmax + F.nllLoss, and logSoftmax · one-hot summed with plain
 * ops — values and gradients (to the logits and through a matmul to a weight), every reduction, every
 * backend; including large logits where a naive softmax would overflow. (Fused Linear + activation vs
 * unfused is covered in test/nn/layers.test.ts.)
 */
import { expect, it } from 'vitest';
import * as F from '../../lib/nn/functional.js';
import { manualSeed } from '../../lib/random.js';
import { randn, Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';

const KERNELS = ['gemm', 'unary', 'unaryBackward', 'binary', 'reduce', 'copy', 'softmax', 'softmaxBackward', 'softmaxCrossEntropy'] as const;
const TOL = { rtol: 1e-5, atol: 1e-6 };
type Red = 'mean' | 'sum' | 'none';

function oneHot(labels: Int32Array, classes: number): Tensor {
  const d = new Float32Array(labels.length * classes);
  labels.forEach((l, r) => { d[r * classes + l] = 1; });
  return new Tensor(d, [labels.length, classes]);
}

/** loss(x·W) and the gradients of x·W's input W, for a loss built by `f`. */
function run(xData: Tensor, w0: Float32Array, wShape: number[], f: (logits: Tensor) => Tensor, red: Red) {
  const w = new Tensor(w0.slice(), wShape, true);
  const logits = xData.matmul(w);
  const loss = f(logits);
  // for 'none' backpropagate a non-uniform upstream gradient
  const g = red === 'none' ? new Tensor(Float32Array.from({ length: loss.size }, (_, i) => 0.5 + i / 7), [...loss.shape]) : undefined;
  loss.backward(g);
  return { loss: Array.from(loss.data), gw: Array.from(w.grad!.data) };
}

forEachBackend('fused softmax-CE vs unfused', KERNELS, () => {
  for (const red of ['mean', 'sum', 'none'] as const) {
    for (const scale of [1, 30]) {
      it(`reduction ${red}, logits scale ${scale}: values and gradients match`, () => {
        manualSeed(17 + scale);
        const N = 13;
        const C = 7;
        const x = randn([N, 5]).mul(scale);
        const w0 = randn([5, C]).data;
        const labels = Int32Array.from({ length: N }, (_, i) => (i * 5) % C);
        const fused = run(x, w0, [5, C], (z) => F.crossEntropy(z, labels, { reduction: red }), red);
        const viaNll = run(x, w0, [5, C], (z) => F.nllLoss(z.logSoftmax(1), labels, { reduction: red }), red);
        const viaOps = run(x, w0, [5, C], (z) => {
          const per = z.logSoftmax(1).mul(oneHot(labels, C)).sum(1).neg();
          return red === 'none' ? per : red === 'sum' ? per.sum() : per.mean();
        }, red);
        for (const other of [viaNll, viaOps]) {
          expectClose(fused.loss, other.loss, TOL, 'loss');
          expectClose(fused.gw, other.gw, { rtol: 1e-4, atol: 1e-5 * scale }, 'grad W');
        }
        expect(fused.loss.every(Number.isFinite)).toBe(true);
      });
    }
  }

  it('gradient to the logits themselves equals softmax − onehot (scaled by the reduction)', () => {
    manualSeed(3);
    const z = new Tensor(randn([6, 4]).data, [6, 4], true);
    const labels = new Int32Array([0, 1, 2, 3, 2, 1]);
    F.crossEntropy(z, labels).backward();
    const want = z.detach().softmax(1).sub(oneHot(labels, 4)).div(6);
    expectClose(Array.from(z.grad!.data), Array.from(want.data), TOL, 'dlogits');
  });
});
