/**
 * F.crossEntropy / F.nllLoss options as a PyTorch user writes them — ignoreIndex (default −100), class
 * weights, labelSmoothing, probability targets, [N, C, d1, ...] logits — against PyTorch 1.13
 * (fixtures/make_loss_fixture.py → loss-options-reference.json), values and input gradients, on every
 * backend; gradchecks of the composed paths; F.oneHot; the activation functions of the namespace.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import * as F from '../../lib/nn/functional.js';
import { Tensor, tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { expectClose } from '../helpers/tolerance.js';

interface Case {
  name: string;
  fn: 'crossEntropy' | 'nllLoss';
  kind: 'index' | 'prob';
  input: number[];
  inputShape: number[];
  target: number[];
  targetShape: number[];
  opts: { reduction?: 'mean' | 'sum' | 'none'; ignoreIndex?: number; weight?: number[]; labelSmoothing?: number };
  out: (number | string)[];
  outShape: number[];
  gradOut: number[];
  grad: (number | string)[];
}

const REF = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'loss-options-reference.json'), 'utf8')) as { cases: Case[] };
const num = (v: number | string): number => (v === 'NaN' ? NaN : (v as number));
const TOL = { rtol: 2e-5, atol: 2e-6 };

function options(c: Case): F.CrossEntropyOptions {
  const o: F.CrossEntropyOptions = {};
  if (c.opts.reduction !== undefined) o.reduction = c.opts.reduction;
  if (c.opts.ignoreIndex !== undefined) o.ignoreIndex = c.opts.ignoreIndex;
  if (c.opts.weight !== undefined) o.weight = tensor(c.opts.weight);
  if (c.opts.labelSmoothing !== undefined) o.labelSmoothing = c.opts.labelSmoothing;
  return o;
}

function targetOf(c: Case, form: 'tensor' | 'Int32Array' | 'number[]'): Tensor | Int32Array | number[] {
  if (c.kind === 'prob') return new Tensor(Float32Array.from(c.target), c.targetShape);
  if (form === 'tensor') return new Tensor(Int32Array.from(c.target), c.targetShape);
  return form === 'Int32Array' ? Int32Array.from(c.target) : [...c.target];
}

function run(c: Case, target: Tensor | Int32Array | number[]) {
  const x = new Tensor(Float32Array.from(c.input), c.inputShape, true);
  const f = c.fn === 'crossEntropy' ? F.crossEntropy : F.nllLoss;
  const out = f(x, target, options(c));
  const g = new Tensor(Float32Array.from(c.gradOut), [...out.shape]);
  out.mul(g).sum().backward();
  return { out, grad: x.grad! };
}

forEachBackend('crossEntropy / nllLoss options vs PyTorch', ['softmax', 'softmaxBackward', 'softmaxCrossEntropy', 'gatherRows', 'scatterAddRows'], () => {
  for (const c of REF.cases) {
    it(c.name, () => {
      const { out, grad } = run(c, targetOf(c, 'tensor'));
      expect([...out.shape]).toEqual(c.outShape);
      expectClose(out.data, c.out.map(num), TOL, 'loss');
      expectClose(grad.data, c.grad.map(num), TOL, 'grad');
    });
  }

  it('class indices as Int32Array and number[] give the tensor result (1-D targets)', () => {
    for (const c of REF.cases.filter((k) => k.kind === 'index' && k.targetShape.length === 1)) {
      for (const form of ['Int32Array', 'number[]'] as const) {
        const { out, grad } = run(c, targetOf(c, form));
        expectClose(out.data, c.out.map(num), TOL, `${c.name} (${form}) loss`);
        expectClose(grad.data, c.grad.map(num), TOL, `${c.name} (${form}) grad`);
      }
    }
  });

  it('a sequence model: logits [B, V, T] against int32 targets [B, T], and the [B, T, V] habit via permute', () => {
    ng.manualSeed(3);
    const logits = ng.randn([2, 5, 7], { requiresGrad: true }); // [B, T, V]
    const y = new Tensor(Int32Array.from([0, 1, 2, 3, 4, 6, 5, 2, 3, 4]), [2, 5]);
    const a = F.crossEntropy(logits.permute([0, 2, 1]), y); // [B, V, T] as PyTorch wants it
    const flat = F.crossEntropy(logits.reshape([10, 7]), y.reshape([10]));
    expect(a.item()).toBeCloseTo(flat.item(), 5);
    expect(() => F.crossEntropy(logits, y)).toThrow(/needs class-index targets of shape \[2,7\], got \[2,5\]/);
  });

  it('gradchecks: weight + ignoreIndex + labelSmoothing on [N, C, d], probability targets, weighted nllLoss', () => {
    ng.manualSeed(11);
    const w = tensor([0.7, 1.3, 2.0]);
    const y = new Tensor(Int32Array.from([2, -100, 0, 1, 1, 0]), [2, 3]);
    const x = ng.randn([2, 3, 3], { requiresGrad: true });
    gradcheck((t) => F.crossEntropy(t, y, { weight: w, labelSmoothing: 0.2 }), [x]);
    gradcheck((t) => F.crossEntropy(t, y, { weight: w, reduction: 'none' }), [x]);
    const p = ng.softmax(ng.randn([4, 3]), 1);
    const x2 = ng.randn([4, 3], { requiresGrad: true });
    gradcheck((t) => F.crossEntropy(t, p, { weight: w, labelSmoothing: 0.1 }), [x2]);
    gradcheck((t) => F.crossEntropy(t, p, { reduction: 'sum' }), [x2]);
    const lp = ng.randn([4, 3], { requiresGrad: true });
    gradcheck((t) => F.nllLoss(t, [0, 2, 1, 2], { weight: w, ignoreIndex: 1 }), [lp]);
  });

  it('the plain call keeps the fused path and its errors; a bad label is still named', () => {
    const x = tensor([[1, 2, 3], [0, 0, 1]]);
    expect(() => F.crossEntropy(x, [0, 3])).toThrow(/label 3 at index 1 is out of range for 3 classes/);
    expect(() => F.crossEntropy(x, [0, -1])).toThrow(RangeError);
    expect(() => F.crossEntropy(x, [0, 5], { ignoreIndex: 5 })).not.toThrow();
    expect(() => F.crossEntropy(x, [-100, 3])).toThrow(/label 3 at index 1 is out of range/);
    expect(() => F.crossEntropy(x, [0.5, 1])).toThrow(/not an integer/);
    expect(() => F.nllLoss(x, [0, 7], { weight: tensor([1, 1, 1]) })).toThrow(/label 7 at index 1 is out of range for 3 classes/);
    expect(() => F.crossEntropy(x, [0, 1], { weight: tensor([1, 1]) })).toThrow(/3 class weights/);
    expect(() => F.crossEntropy(x, [0, 1], { labelSmoothing: 1.5 })).toThrow(RangeError);
  });

  it('unknown option keys throw naming the nearest known one', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => F.crossEntropy(x, [0], { label_smoothing: 0.1 } as never)).toThrow(/unknown option 'label_smoothing' \(did you mean labelSmoothing\?\)/);
    expect(() => F.crossEntropy(x, [0], { ignore_index: 1 } as never)).toThrow(TypeError);
    expect(() => F.nllLoss(x, [0], { labelSmoothing: 0.1 } as never)).toThrow(/nllLoss: unknown option 'labelSmoothing'/);
    expect(() => F.crossEntropy(x, [0], { weights: tensor([1, 1, 1]) } as never)).toThrow(/did you mean weight\?/);
    expect(() => F.mseLoss(x, x, { reductoin: 'sum' } as never)).toThrow(/did you mean reduction\?/);
  });
});

forEachBackend('loss modules', ['softmax', 'softmaxBackward', 'softmaxCrossEntropy', 'gatherRows', 'pointwiseLoss'], () => {
  it('nn.CrossEntropyLoss({weight, ignoreIndex, labelSmoothing}) equals F.crossEntropy; weight is a buffer; keys checked', () => {
    const c = REF.cases.find((k) => k.name === 'ce smoothing + weight + ignore mean')!;
    const x = new Tensor(Float32Array.from(c.input), c.inputShape);
    const loss = new ng.nn.CrossEntropyLoss({ weight: tensor(c.opts.weight!), labelSmoothing: c.opts.labelSmoothing });
    expectClose(loss.forward(x, c.target).data, c.out.map(num), TOL);
    expect(Object.keys(loss.stateDict())).toEqual(['weight']);
    expect([...loss.parameters()].length).toBe(0);
    expect(() => new ng.nn.CrossEntropyLoss({ ignore_index: 0 } as never)).toThrow(/CrossEntropyLoss: unknown option 'ignore_index' \(did you mean ignoreIndex\?\)/);
    const nll = new ng.nn.NLLLoss({ ignoreIndex: 2, reduction: 'sum' });
    expectClose(nll.forward(ng.logSoftmax(x, 1), [1, 2, 0, 3]).data, F.nllLoss(ng.logSoftmax(x, 1), [1, 2, 0, 3], { ignoreIndex: 2, reduction: 'sum' }).data);
    const p = tensor([0.5, -1, 2]);
    const t = tensor([1, 1, 0]);
    expectClose(new ng.nn.MSELoss({ reduction: 'sum' }).forward(p, t).data, F.mseLoss(p, t, { reduction: 'sum' }).data);
    expectClose(new ng.nn.L1Loss().forward(p, t).data, F.l1Loss(p, t).data);
    expectClose(new ng.nn.HuberLoss({ delta: 0.5 }).forward(p, t).data, F.huberLoss(p, t, 0.5).data);
    expectClose(new ng.nn.BCEWithLogitsLoss().forward(p, t).data, F.binaryCrossEntropyWithLogits(p, t).data);
    expectClose(new ng.nn.BCELoss().forward(tensor([0.2, 0.9]), [0, 1]).data, F.binaryCrossEntropy(tensor([0.2, 0.9]), [0, 1]).data);
    expect(() => new ng.nn.MSELoss({ reducton: 'sum' } as never)).toThrow(/did you mean reduction\?/);
  });
});

forEachBackend('F.oneHot and the functional activations', ['unary', 'unaryBackward'], () => {
  it('oneHot: int32 [..., numClasses], numClasses inferred as max + 1', () => {
    const h = F.oneHot(new Tensor(Int32Array.from([0, 2, 1]), [3]));
    expect(h.dtype).toBe('int32');
    expect([...h.shape]).toEqual([3, 3]);
    expect(Array.from(h.data)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    const h2 = F.oneHot(new Tensor(Int32Array.from([3, 0, 1, 1]), [2, 2]), 5);
    expect([...h2.shape]).toEqual([2, 2, 5]);
    expect(Array.from(h2.data)).toEqual([0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(F.oneHot([1, 0], 2).data)).toEqual([0, 1, 1, 0]);
    expect(() => F.oneHot([1, 3], 3)).toThrow(/index 3 at position 1 is out of range for 3 classes/);
    expect(() => F.oneHot([-1, 0])).toThrow(RangeError);
    expect(() => F.oneHot(tensor([0, 1]))).toThrow(/int32/);
  });

  it('softplus silu mish elu selu hardtanh logsigmoid are the ops', () => {
    const x = tensor([-3, -0.5, 0, 0.7, 4]);
    expectClose(F.softplus(x, { beta: 2 }).data, x.softplus({ beta: 2 }).data);
    expectClose(F.silu(x).data, Array.from(x.data, (v) => v / (1 + Math.exp(-v))));
    expectClose(F.mish(x).data, Array.from(x.data, (v) => v * Math.tanh(Math.log1p(Math.exp(v)))));
    expectClose(F.elu(x, 0.5).data, Array.from(x.data, (v) => (v > 0 ? v : 0.5 * Math.expm1(v))));
    expectClose(F.selu(x).data, ng.selu(x).data);
    expectClose(F.hardtanh(x, -0.6, 0.6).data, [-0.6, -0.5, 0, 0.6, 0.6]);
    expectClose(F.logsigmoid(x).data, Array.from(x.data, (v) => -Math.log1p(Math.exp(-v))), { rtol: 1e-5, atol: 1e-6 });
    expect(typeof ng.F.oneHot).toBe('function');
    expect(typeof ng.nn.functional.silu).toBe('function');
  });
});
