/**
 * "Everything computes through a backend": the losses, dropout, Embedding, crossEntropy/nllLoss labels,
 * the accuracy metric and the gradient clippers on every backend — values against float64 formulas
 * written out here, finite-difference gradchecks on odd sizes (1, 7, 17, 33, 257), int32 tensors as
 * indices and labels, and dropout masks reproducible from ng.manualSeed and identical on every backend.
 */
import { expect, it } from 'vitest';
import { backends, getBackend, setBackend } from '../../lib/backend/registry.js';
import { manualSeed } from '../../lib/random.js';
import { Tensor, tensor } from '../../lib/tensor.js';
import '../../lib/ops/index.js';
import * as F from '../../lib/nn/functional.js';
import { Dropout, Embedding, Parameter } from '../../lib/nn/index.js';
import { clipGradNorm, clipGradValue } from '../../lib/nn/utils.js';
import { accuracy, correctCount } from '../../lib/train/metrics.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

nativeKernelsOnly(); // odd sizes down to 1 must reach the native kernels, not the small-call js route

const SIZES = [1, 7, 17, 33, 257];
const KERNELS = ['pointwiseLoss', 'pointwiseLossBackward', 'nllLoss', 'nllLossBackward', 'dropout', 'indexCheck'] as const;
const TOL = { rtol: 1e-5, atol: 1e-6 };

const softplus = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
/** float64 reference values of each loss for one element */
const REF: Record<string, (p: number, t: number) => number> = {
  mseLoss: (p, t) => (p - t) ** 2,
  l1Loss: (p, t) => Math.abs(p - t),
  huberLoss: (p, t) => { const a = Math.abs(p - t); return a <= 0.7 ? 0.5 * a * a : 0.7 * (a - 0.35); },
  binaryCrossEntropy: (p, t) => -(t * Math.max(Math.log(p), -100) + (1 - t) * Math.max(Math.log(1 - p), -100)),
  binaryCrossEntropyWithLogits: (x, t) => softplus(x) - x * t,
};
type LossFn = (p: Tensor, t: Tensor, o?: F.LossOptions) => Tensor;
const LOSSES: Record<string, LossFn> = {
  mseLoss: (p, t, o) => F.mseLoss(p, t, o),
  l1Loss: (p, t, o) => F.l1Loss(p, t, o),
  huberLoss: (p, t, o) => F.huberLoss(p, t, 0.7, o),
  binaryCrossEntropy: (p, t, o) => F.binaryCrossEntropy(p, t, o),
  binaryCrossEntropyWithLogits: (p, t, o) => F.binaryCrossEntropyWithLogits(p, t, o),
};

function lossInputs(name: string, n: number, seed: number): [Tensor, Tensor] {
  if (name === 'binaryCrossEntropy') {
    return [randData([n], seed, { lo: 0.1, hi: 0.9, requiresGrad: true }), randData([n], seed + 1, { lo: 0, hi: 1, requiresGrad: true })];
  }
  const p = randData([n], seed, { requiresGrad: true });
  const t = randData([n], seed + 1, { requiresGrad: true });
  // keep |p − t| ≥ 0.05 (and away from huber's ±delta): finite differences must not straddle a kink
  const pd = p.data, td = t.data;
  for (let i = 0; i < n; i++) {
    let dd = pd[i] - td[i];
    if (Math.abs(dd) < 0.05) dd = dd < 0 ? -0.05 - Math.abs(dd) : 0.05 + dd;
    if (Math.abs(Math.abs(dd) - 0.7) < 0.02) dd += dd > 0 ? 0.05 : -0.05;
    pd[i] = td[i] + dd;
  }
  return [p, t];
}

forEachBackend('losses through the backend', KERNELS, () => {
  for (const name of Object.keys(LOSSES)) {
    it(`${name}: values (none / sum / mean) and gradchecks on sizes ${SIZES.join(', ')}`, () => {
      for (const n of SIZES) {
        const [p, t] = lossInputs(name, n, n * 7);
        const ref = Array.from(p.data, (v, i) => REF[name](v, t.data[i]));
        const sum = ref.reduce((a, b) => a + b, 0);
        const fn = LOSSES[name];
        expectClose(fn(p, t, { reduction: 'none' }).data, ref, TOL, `${name} none n=${n}`);
        expectClose(fn(p, t, { reduction: 'sum' }).data, [sum], TOL, `${name} sum n=${n}`);
        const m = fn(p, t);
        expect(m.shape).toEqual([]);
        expectClose(m.data, [sum / n], TOL, `${name} mean n=${n}`);
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          // bce's target gradient is defined too (l1p − lp); every loss is differentiable in both inputs
          gradcheck((a, b) => fn(a, b, { reduction }), [p, t], { maxElements: 24 });
        }
      }
    });
  }

  it('targets may be int32 or bool tensors, or plain arrays', () => {
    const p = tensor([0.5, -1, 2, 3]);
    const ti = tensor([1, 0, 2, 1], { dtype: 'int32' });
    expectClose(F.mseLoss(p, ti, { reduction: 'none' }).data, [0.25, 1, 0, 4], TOL);
    const tb = tensor([true, false, true, true]);
    expectClose(F.l1Loss(p, tb, { reduction: 'none' }).data, [0.5, 1, 1, 2], TOL);
    expectClose(F.mseLoss(p, [1, 0, 2, 1]).data, [(0.25 + 1 + 0 + 4) / 4], TOL);
  });

  it('an empty input: mean is NaN, sum 0, none empty; backward runs', () => {
    const p = new Tensor(new Float32Array(0), [0], true);
    const t = new Tensor(new Float32Array(0), [0]);
    expect(F.mseLoss(p, t).item()).toBeNaN();
    expect(F.mseLoss(p, t, { reduction: 'sum' }).item()).toBe(0);
    expect(F.mseLoss(p, t, { reduction: 'none' }).shape).toEqual([0]);
    F.mseLoss(p, t, { reduction: 'sum' }).backward();
    expect(p.grad!.size).toBe(0);
  });

  it('binaryCrossEntropy rejects inputs outside [0, 1] naming the first one; huberLoss takes delta Infinity', () => {
    expect(() => F.binaryCrossEntropy(tensor([0.5, 1.5, -1]), tensor([1, 1, 1]))).toThrow(/input 1\.5 at index 1 is not a probability/);
    expect(() => F.binaryCrossEntropy(tensor([0.5, NaN]), tensor([1, 1]))).toThrow(/input NaN at index 1/);
    const p = tensor([3, -1]);
    expectClose(F.huberLoss(p, tensor([0, 0]), Infinity, { reduction: 'none' }).data, [4.5, 0.5], TOL);
  });
});

forEachBackend('crossEntropy / nllLoss labels', KERNELS, () => {
  it('int32 label tensors equal number[] labels; out of range is a RangeError naming the loss', () => {
    const logits = randData([7, 5], 3, { requiresGrad: true });
    const labs = [0, 4, 2, 2, 1, 3, 0];
    const li = tensor(labs, { dtype: 'int32' });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(Array.from(F.crossEntropy(logits, li, { reduction }).data)).toEqual(Array.from(F.crossEntropy(logits, labs, { reduction }).data));
    }
    expect(() => F.crossEntropy(logits, tensor([0, 4, 2, 2, 1, 3, 5], { dtype: 'int32' }))).toThrow(
      'crossEntropy: label 5 at index 6 is out of range for 5 classes');
    expect(() => F.crossEntropy(logits, tensor([0, 4, -1, 9, 1, 3, 0], { dtype: 'int32' }))).toThrow(/label -1 at index 2/);
    // the first offending label wins, whether out of range or fractional
    expect(() => F.crossEntropy(logits, tensor([0, 9, 2.5, 2, 1, 3, 0]))).toThrow(/label 9 at index 1 is out of range/);
    expect(() => F.crossEntropy(logits, tensor([0, 1, 2.5, 9, 1, 3, 0]))).toThrow(/label 2\.5 at index 2 is not an integer/);
    expect(() => F.nllLoss(logits, tensor([0, 4, 2, 2, 1, 3, 7], { dtype: 'int32' }))).toThrow(/^nllLoss: label 7 at index 6/);
  });

  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`nllLoss values and gradcheck on odd row counts (reduction ${reduction})`, () => {
      for (const rows of SIZES) {
        const classes = (rows % 5) + 2;
        const lp = randData([rows, classes], rows, { lo: -4, hi: 0, requiresGrad: true });
        const lab = Int32Array.from({ length: rows }, (_, r) => (r * 3) % classes);
        const per = Array.from(lab, (c, r) => -lp.data[r * classes + c]);
        const out = F.nllLoss(lp, tensor(Array.from(lab), { dtype: 'int32' }), { reduction });
        const want = reduction === 'none' ? per : [per.reduce((a, b) => a + b, 0) / (reduction === 'mean' ? rows : 1)];
        expectClose(out.data, want, TOL);
        gradcheck((x) => F.nllLoss(x, lab, { reduction }), [lp], { maxElements: 24 });
        const logits = randData([rows, classes], rows + 1, { requiresGrad: true });
        gradcheck((x) => F.crossEntropy(x, lab, { reduction }), [logits], { maxElements: 24 });
      }
    });
  }
});

forEachBackend('dropout', KERNELS, () => {
  it('F.dropout: inverted scaling, reproducible from manualSeed, backward reuses the mask', () => {
    for (const n of SIZES) {
      const x = randData([n], n, { requiresGrad: true, awayFromZero: 0.1 });
      manualSeed(42);
      const y = F.dropout(x, 0.3);
      manualSeed(42);
      const y2 = F.dropout(x, 0.3, true);
      expect(Array.from(y2.data)).toEqual(Array.from(y.data));
      const scale = Math.fround(1 / 0.7);
      for (let i = 0; i < n; i++) {
        const v = y.data[i];
        expect(v === 0 || v === Math.fround(x.data[i] * scale), `n=${n} i=${i}`).toBe(true);
      }
      const g = randData([n], n + 1);
      y.backward(g.data);
      for (let i = 0; i < n; i++) expect(x.grad!.data[i] === (y.data[i] === 0 ? 0 : Math.fround(g.data[i] * scale)), `grad n=${n} i=${i}`).toBe(true);
      gradcheck((a) => { manualSeed(7); return F.dropout(a, 0.4); }, [new Tensor(x.data.slice(), [n], true)]);
    }
  });

  it('training = false and p = 0 return the input; p = 1 zeroes it; eval-mode Dropout is the identity', () => {
    const x = randData([3, 5], 1, { requiresGrad: true });
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
    const z = F.dropout(x, 1);
    expect(Array.from(z.data).every((v) => v === 0)).toBe(true);
    z.sum().backward();
    expect(Array.from(x.grad!.data).every((v) => v === 0)).toBe(true);
    const d = new Dropout(0.5);
    manualSeed(3);
    const a = d.forward(x);
    manualSeed(3);
    expect(Array.from(F.dropout(x, 0.5).data)).toEqual(Array.from(a.data));
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(() => F.dropout(x, 1.5)).toThrow(/^dropout: p must be in \[0, 1\]/);
    expect(() => F.dropout(tensor([1, 2], { dtype: 'int32' }), 0.5)).toThrow(TypeError);
  });

  it('a strided view drops like its contiguous copy', () => {
    const x = randData([4, 6], 2);
    const v = x.transpose(0, 1);
    manualSeed(11);
    const a = F.dropout(v, 0.5);
    manualSeed(11);
    const b = F.dropout(v.contiguous(), 0.5);
    expect(a.shape).toEqual([6, 4]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

it('dropout masks are identical on every backend for the same seed', () => {
  const prev = getBackend();
  const x = randData([1000], 5);
  const outs = backends().map((b) => {
    setBackend(b);
    manualSeed(123);
    return Array.from(F.dropout(x, 0.25).data);
  });
  setBackend(prev);
  for (const o of outs) expect(o).toEqual(outs[0]);
});

forEachBackend('Embedding and F.embedding', KERNELS, () => {
  it('int32, float32 and bool index tensors, Int32Array and number[] all gather the same rows', () => {
    manualSeed(1);
    const emb = new Embedding(6, 3);
    const ids = [5, 0, 5, 2];
    const ref = emb.forward(ids).data;
    for (const idx of [tensor(ids, { dtype: 'int32' }), tensor(ids), Int32Array.from(ids)]) {
      expect(Array.from(emb.forward(idx).data)).toEqual(Array.from(ref));
    }
    const y = emb.forward(tensor([[1, 0], [0, 1]], { dtype: 'bool' }));
    expect(y.shape).toEqual([2, 2, 3]);
    expect(Array.from(y.data.slice(0, 3))).toEqual(Array.from(emb.weight.data.slice(3, 6)));
    // a strided int32 view
    const idx2 = tensor([[1, 2, 3], [4, 5, 0]], { dtype: 'int32' }).transpose(0, 1);
    expect(emb.forward(idx2).shape).toEqual([3, 2, 3]);
    expect(Array.from(emb.forward(idx2).data.slice(0, 3))).toEqual(Array.from(emb.weight.data.slice(3, 6)));
  });

  it('out-of-range or fractional indices are RangeErrors naming Embedding / embedding', () => {
    const emb = new Embedding(5, 2);
    expect(() => emb.forward(tensor([0, 5], { dtype: 'int32' }))).toThrow('Embedding: index 5 at position 1 is out of range for 5 embeddings');
    expect(() => emb.forward(tensor([-3], { dtype: 'int32' }))).toThrow(RangeError);
    expect(() => emb.forward(tensor([0, 1.5]))).toThrow(/index 1\.5 at position 1/);
    expect(() => emb.forward([0, NaN])).toThrow(RangeError);
    expect(() => F.embedding(Int32Array.from([9]), new Tensor(new Float32Array(8), [4, 2]))).toThrow(/^embedding: index 9/);
  });

  it('the weight gradient scatter-adds (duplicates accumulate) and passes gradcheck on odd sizes', () => {
    for (const n of SIZES) {
      const d = (n % 4) + 1;
      const w = randData([Math.max(2, n >> 1), d], n, { requiresGrad: true });
      const rows = w.shape[0];
      const idx = tensor(Array.from({ length: n }, (_, i) => (i * 7) % rows), { dtype: 'int32' });
      gradcheck((ww) => F.embedding(idx, ww), [w], { maxElements: 24 });
      const emb = new Embedding(rows, d);
      emb.weight = new Parameter(w.data.slice(), [rows, d]);
      emb.forward(idx).sum().backward();
      const counts = new Array<number>(rows).fill(0);
      for (const i of idx.data) counts[i]++;
      expect(Array.from(emb.weight.grad!.data)).toEqual(counts.flatMap((c) => new Array<number>(d).fill(c)));
    }
  });
});

forEachBackend('accuracy and gradient clipping through ops', KERNELS, () => {
  it('correctCount: integer labels (Int32Array, int32 and float tensors), binary outputs, probability targets', () => {
    const pred = tensor([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]]);
    expect(correctCount(pred, Int32Array.from([1, 0, 0, 1]))).toBe(3);
    expect(correctCount(pred, tensor([1, 0, 0, 1], { dtype: 'int32' }))).toBe(3);
    expect(correctCount(pred, tensor([[1], [0], [2], [1]]))).toBe(4);
    expect(accuracy(pred, Int32Array.from([2, 2, 2, 2]))).toBe(0.25);
    const onehot = tensor([[0, 1, 0], [0, 0, 1], [0, 0, 1], [1, 0, 0]]);
    expect(correctCount(pred, onehot)).toBe(2);
    expect(correctCount(tensor([[0.2], [0.8], [0.5]]), tensor([[0], [1], [0]]))).toBe(2);
    expect(correctCount(tensor([0.2, 0.8, 0.6]), tensor([0, 1, 1]))).toBe(3);
    expect(correctCount(new Tensor(new Float32Array(0), [0, 3]), new Int32Array(0))).toBe(0);
    expect(() => correctCount(pred, Int32Array.from([1, 0]))).toThrow(/4 predictions but 2 labels/);
  });

  it('clipGradValue clamps in place (NaN stays), clipGradNorm(…, Infinity) returns max |g|', () => {
    const a = new Parameter(new Float32Array(17), [17]);
    a.grad = new Tensor(Float32Array.from({ length: 17 }, (_, i) => (i - 8) / 2), [17]);
    a.grad.data[3] = NaN;
    clipGradValue([a], 1.5);
    const g = Array.from(a.grad.data);
    expect(g[3]).toBeNaN();
    expect(g.filter((_, i) => i !== 3)).toEqual(Array.from({ length: 17 }, (_, i) => Math.min(1.5, Math.max(-1.5, (i - 8) / 2))).filter((_, i) => i !== 3));
    const b = new Parameter(new Float32Array(7), [7]);
    b.grad = new Tensor(Float32Array.from([1, -9, 3, 0, 2, -4, 5]), [7]);
    expect(clipGradNorm([a, b], 100, Infinity)).toBeNaN();
    a.grad.data[3] = 0;
    expect(clipGradNorm([a, b], 100, Infinity)).toBe(9);
    expect(clipGradNorm([b], 4.5, Infinity)).toBe(9);
    expectClose(b.grad.data, [1, -9, 3, 0, 2, -4, 5].map((v) => (v * 4.5) / (9 + 1e-6)), { rtol: 1e-6, atol: 1e-7 });
  });
});
