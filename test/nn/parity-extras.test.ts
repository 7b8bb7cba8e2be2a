/**
 * Issue 14's remaining PyTorch parity items, written as a PyTorch user meets them: grouped Conv2d/Conv1d
 * (`groups`), pooling with `ceilMode`, `Embedding({maxNorm})` (rows renormalised in place) — values and
 * gradients against PyTorch 1.13 (test/nn/fixtures/make_extras_fixture.py) on every backend; `t.index(i, dim)`
 * on any dim (an integer → a view; a list → indexSelect); nn.init with PyTorch's names; TensorDataset's
 * explicit labels rule; save/load keeps the new options.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose, REDUCTION } from '../helpers/tolerance.js';

const { nn } = ng;
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'extras-reference.json'), 'utf8'));

function seq(shape: number[], k: number, scale = 1, requiresGrad = true): ng.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return ng.tensor(Float32Array.from({ length: n }, (_, i) => Math.fround(scale * Math.sin(0.37 * i + k))), shape, { requiresGrad });
}
const weightsFor = (y: ng.Tensor): ng.Tensor => ng.tensor(Float32Array.from({ length: y.size }, (_, i) => i * 0.25 - 0.5), [...y.shape]);
const TOL = { rtol: 1e-4, atol: 2e-5 };

forEachBackend('grouped conv, ceilMode pools, Embedding maxNorm vs PyTorch 1.13', ['conv2d', 'maxPool2d', 'avgPool2d', 'gatherRows'], () => {
  for (const c of fx.conv) {
    it(`${c.name}: F form and layer, values and x/weight/bias gradients`, () => {
      const x = seq(c.x, 0);
      const w = seq(c.w, 1, 0.5);
      const b = c.bias ? seq([c.w[0]], 2, 0.3) : null;
      let y: ng.Tensor;
      if (c.dims === 2) {
        y = ng.conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
      } else {
        const layer = new nn.Conv1d(c.x[1], c.w[0], c.w[2], { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias });
        expect(layer.weight.shape).toEqual(c.w);
        layer.weight.data.set(w.data);
        if (b) layer.bias!.data.set(b.data);
        y = layer.forward(x);
        y.mul(weightsFor(y)).sum().backward();
        expect(y.shape).toEqual(c.shape);
        expectClose(y.data, c.values, TOL);
        expectClose(x.grad!.data, c.dx, TOL, 'dx');
        expectClose(layer.weight.grad!.data, c.dw, TOL, 'dw');
        expectClose(layer.bias!.grad!.data, c.db, TOL, 'db');
        return;
      }
      y.mul(weightsFor(y)).sum().backward();
      expect(y.shape).toEqual(c.shape);
      expectClose(y.data, c.values, TOL);
      expectClose(x.grad!.data, c.dx, TOL, 'dx');
      expectClose(w.grad!.data, c.dw, TOL, 'dw');
      if (b) expectClose(b.grad!.data, c.db, TOL, 'db');
      // the layer: weight [outC, inC / groups, kH, kW], same output with the same weights
      const layer = new nn.Conv2d(c.x[1], c.w[0], [c.w[2], c.w[3]], { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias });
      expect(layer.weight.shape).toEqual(c.w);
      layer.weight.data.set(w.data);
      if (b) layer.bias!.data.set(b.data);
      expectClose(layer.forward(x.detach()).data, c.values, TOL);
      expect(String(layer)).toContain(`groups=${c.groups}`);
    });
  }

  for (const c of fx.pool) {
    it(`${c.name}: F form and layer with ceilMode`, () => {
      const x = seq(c.x, 3);
      const f = c.kind === 'max' ? ng.maxPool2d : ng.avgPool2d;
      const y = f(x, c.k, { stride: c.stride, padding: c.padding, ceilMode: true });
      expect(y.shape).toEqual(c.shape);
      expectClose(y.data, c.values, TOL);
      y.mul(weightsFor(y)).sum().backward();
      expectClose(x.grad!.data, c.dx, TOL, 'dx');
      const Layer = c.kind === 'max' ? nn.MaxPool2d : nn.AvgPool2d;
      const layer = new Layer(c.k, { stride: c.stride, padding: c.padding, ceilMode: true });
      expectClose(layer.forward(x.detach()).data, c.values, TOL);
      expect(String(layer)).toContain('ceilMode=true');
    });
  }

  for (const c of fx.embedding) {
    it(`Embedding ${c.name}: looked-up rows renormalised in place, output and weight gradient`, () => {
      const e = new nn.Embedding(c.n, c.d, { maxNorm: c.maxNorm, normType: c.normType });
      e.weight.data.set(seq([c.n, c.d], 4, 2, false).data);
      const v0 = e.weight._storage.version;
      const y = e.forward(ng.tensor(c.idx, { dtype: 'int32' }));
      expect(y.shape).toEqual(c.shape);
      expectClose(y.data, c.values, TOL);
      expectClose(e.weight.data, c.weightAfter, TOL, 'weight after');
      expect(e.weight._storage.version).toBeGreaterThan(v0);
      y.mul(weightsFor(y)).sum().backward();
      expectClose(e.weight.grad!.data, c.dw, TOL, 'dw');
      // F.embedding takes {maxNorm, normType} too
      const w = seq([c.n, c.d], 4, 2, false);
      expectClose(nn.functional.embedding(c.idx.flat(), w, { maxNorm: c.maxNorm, normType: c.normType }).data, c.values, TOL);
      expectClose(w.data, c.weightAfter, TOL, 'F weight after');
    });
  }

  it('grouped conv gradcheck (groups 2, stride 2)', () => {
    const x = randData([1, 4, 5, 5], 1, { requiresGrad: true });
    const w = randData([4, 2, 3, 3], 2, { requiresGrad: true });
    const b = randData([4], 3, { requiresGrad: true });
    gradcheck((xx, ww, bb) => ng.conv2d(xx, ww, bb, { stride: 2, groups: 2 }), [x, w, b]);
  });

  it('ceilMode pools gradcheck', () => {
    const x = randData([1, 2, 5, 6], 4, { requiresGrad: true });
    gradcheck((xx) => ng.avgPool2d(xx, 3, { stride: 2, padding: 1, ceilMode: true }), [x]);
    gradcheck((xx) => ng.maxPool2d(xx, 2, { ceilMode: true }), [x]);
  });
});

forEachBackend('t.index(i, dim) on any dim', [], () => {
  it('an integer selects a view along dim; a list is indexSelect; gradients flow', () => {
    const x = ng.arange(24).reshape([2, 3, 4]).float().requiresGrad_(true);
    const col = x.index(2, 2);
    expect(col.shape).toEqual([2, 3]);
    expect(col.toArray()).toEqual([[2, 6, 10], [14, 18, 22]]);
    expect(x.index(-1, 1).toArray()).toEqual([[8, 9, 10, 11], [20, 21, 22, 23]]);
    const pick = x.index([2, 0, 2], 1);
    expect(pick.shape).toEqual([2, 3, 4]);
    expect(pick.index(0).toArray()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
    expect(x.index(ng.tensor([1], { dtype: 'int32' })).shape).toEqual([1, 3, 4]);
    col.sum().add(pick.sum()).backward();
    const g = x.grad!.toArray() as number[][][];
    expect(g[0][0]).toEqual([1, 1, 2, 1]); // row 0 picked once, col 2 selected once
    expect(g[0][1]).toEqual([0, 0, 1, 0]);
    expect(g[0][2]).toEqual([2, 2, 3, 2]);
    expect(x.index(1).toArray()).toEqual(x.select(0, 1).toArray());
  });

  it('bad indices name index and the argument', () => {
    const x = ng.zeros([2, 3]);
    expect(() => x.index(3, 1)).toThrow(/index: index 3 is out of range for dim 1 of size 3/);
    expect(() => x.index(0, 2)).toThrow(RangeError);
    expect(() => x.index('1' as unknown as number)).toThrow(/index: index must be an integer or a list of integers .* got "1" \(string\)/);
    expect(() => x.index([5], 1)).toThrow(/indexSelect: index 5 is out of range/);
    expect(() => x.index(0, 0.5)).toThrow(/index: dim must be an integer, got 0.5/);
  });
});

describe('nn.init with PyTorch\'s names', () => {
  it('every torch.nn.init initialiser exists in camelCase and fills in place', () => {
    const names = ['uniform_', 'normal_', 'constant_', 'ones_', 'zeros_', 'eye_', 'dirac_', 'xavierUniform_', 'xavierNormal_',
      'kaimingUniform_', 'kaimingNormal_', 'truncNormal_', 'orthogonal_', 'sparse_', 'calculateGain'];
    for (const n of names) expect(typeof (nn.init as Record<string, unknown>)[n], n).toBe('function');
    ng.manualSeed(0);
    const w = ng.zeros([64, 32]);
    expect(nn.init.kaimingUniform_(w, 0, 'fanIn', 'relu')).toBe(w);
    const bound = Math.sqrt(2) * Math.sqrt(3 / 32);
    expect(w.max().item()).toBeLessThanOrEqual(bound);
    expect(w.max().item()).toBeGreaterThan(0.9 * bound);
    nn.init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' });
    expect(w.std().item()).toBeCloseTo(Math.sqrt(2 / 64), 1);
    nn.init.xavierNormal_(w);
    expect(w.std().item()).toBeCloseTo(Math.sqrt(2 / 96), 1);
    nn.init.truncNormal_(w, 0, 1, -0.5, 0.5);
    expect(w.abs().max().item()).toBeLessThanOrEqual(0.5);
    nn.init.orthogonal_(w);
    expectClose(w.t().matmul(w).data, ng.eye(32).data, { rtol: 0, atol: 1e-5 }, 'WᵀW = I');
    const q = ng.zeros([3, 8]);
    nn.init.orthogonal_(q, 2);
    expectClose(q.matmul(q.t()).data, ng.eye(3).mul(4).data, { rtol: 0, atol: 1e-5 }, 'QQᵀ = 4I');
    const e = ng.zeros([3, 4]);
    expect(nn.init.eye_(e).toArray()).toEqual([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]);
    const d = ng.zeros([2, 2, 3, 3]);
    nn.init.dirac_(d);
    const img = randData([1, 2, 4, 4], 5);
    expectClose(ng.conv2d(img, d, null, { padding: 1 }).data, img.data, REDUCTION, 'dirac passes through');
    const s = ng.zeros([10, 4]);
    nn.init.sparse_(s, 0.3);
    expect(s.eq(0).sum(0).toArray()).toEqual([3, 3, 3, 3]);
    expect(nn.init.calculateGain('selu')).toBe(0.75);
    expect(nn.init.calculateGain('conv2d')).toBe(1);
    expect(nn.init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
  });

  it('a strided view is filled through (PyTorch fills views in place)', () => {
    const base = ng.zeros([3, 4]);
    nn.init.constant_(base.t(), 2);
    expect(Array.from(base.data)).toEqual(new Array(12).fill(2));
    const half = ng.zeros([4, 4]);
    nn.init.ones_(half.slice(1, 0, 4, 2));
    expect((half.toArray() as number[][])[0]).toEqual([1, 0, 1, 0]);
  });

  it('bad arguments: TypeError / RangeError naming the initialiser and the argument', () => {
    expect(() => nn.init.xavierUniform_([1, 2] as never)).toThrow(/xavierUniform_: tensor must be a Tensor, got an array/);
    expect(() => nn.init.normal_(ng.zeros([2]), 0, '1' as never)).toThrow(/normal_: std must be a finite number, got "1" \(string\)/);
    expect(() => nn.init.kaimingUniform_(ng.zeros([2, 2]), { mode: 'fan_in' as never })).toThrow(/kaimingUniform_: mode must be 'fanIn' or 'fanOut'/);
    expect(() => nn.init.kaimingUniform_(ng.zeros([2, 2]), { nonlinearty: 'relu' } as never)).toThrow(/unknown option 'nonlinearty' \(did you mean nonlinearity\?\)/);
    expect(() => nn.init.calculateGain('gelu' as never)).toThrow(/calculateGain: unknown nonlinearity "gelu" \(string\)/);
    expect(() => nn.init.eye_(ng.zeros([2, 2, 2]))).toThrow(/eye_: tensor must be 2-D/);
    expect(() => nn.init.uniform_(ng.zeros([2], { dtype: 'int32' }))).toThrow(/uniform_: tensor must be float32, got int32/);
    expect(() => nn.init.truncNormal_(ng.zeros([2]), 0, 1, 1, -1)).toThrow(/truncNormal_: a must be below b/);
  });
});

describe('layer options: groups, ceilMode, maxNorm checked and saved', () => {
  it('bad values name the layer and the argument', () => {
    expect(() => new nn.Conv2d(4, 6, 3, { groups: 4 })).toThrow(/Conv2d: inChannels \(4\) and outChannels \(6\) must be divisible by groups \(4\)/);
    expect(() => new nn.Conv1d(4, 4, 3, { groups: 0 })).toThrow(/Conv1d: groups must be a positive integer, got 0/);
    expect(() => ng.conv2d(ng.zeros([1, 4, 5, 5]), ng.zeros([5, 2, 3, 3]), null, { groups: 2 })).toThrow(/conv2d: out channels 5 .* must be divisible by groups 2/);
    expect(() => ng.conv2d(ng.zeros([1, 3, 5, 5]), ng.zeros([6, 2, 3, 3]), null, { groups: 2 })).toThrow(/conv2d: expected input with 4 channels/);
    expect(() => new nn.MaxPool2d(2, { ceilMode: 'yes' as never })).toThrow(/MaxPool2d: ceilMode must be a boolean, got "yes" \(string\)/);
    expect(() => ng.avgPool2d(ng.zeros([1, 1, 4, 4]), 2, { ceil_mode: true } as never)).toThrow(/unknown option 'ceil_mode' \(did you mean ceilMode\?\)/);
    expect(() => new nn.Embedding(5, 3, { maxNorm: -1 })).toThrow(/Embedding: maxNorm must be a positive finite number or null, got -1/);
    expect(() => new nn.Embedding(5, 3, { max_norm: 1 } as never)).toThrow(/did you mean maxNorm\?/);
    expect(new nn.Embedding(5, 3, null, 1.5).maxNorm).toBe(1.5);
  });

  it('saveModel / loadModel keep groups, ceilMode and Embedding options (paddingIdx was dropped before)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-extras-'));
    try {
      const m = new nn.Sequential(new nn.Conv2d(4, 4, 3, { groups: 2, padding: 1 }), new nn.MaxPool2d(2, { ceilMode: true }));
      ng.saveModel(m, path.join(dir, 'conv'));
      const back = ng.loadModel(path.join(dir, 'conv')).model as ng.nn.Sequential;
      const x = randData([1, 4, 5, 5], 9);
      expectClose(back.forward(x).data, m.forward(x).data, REDUCTION);
      expect(back.forward(x).shape).toEqual([1, 4, 3, 3]);
      const e = new nn.Sequential(new nn.Embedding(6, 3, { paddingIdx: 1, maxNorm: 1 }));
      ng.saveModel(e, path.join(dir, 'emb'));
      const eb = (ng.loadModel(path.join(dir, 'emb')).model as ng.nn.Sequential).at(0) as ng.nn.Embedding;
      expect([eb.paddingIdx, eb.maxNorm, eb.normType]).toEqual([1, 1, 2]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TensorDataset: labels only by type (int32 / Int32Array); numbers are targets', () => {
  const x = ng.zeros([3, 2]);
  it('integer-valued number[] is a target tensor now, Float32Array is accepted', () => {
    const a = new ng.data.TensorDataset(x, [0, 1, 2]);
    expect(a.yLabels).toBeNull();
    expect(a.yTensor!.toArray()).toEqual([0, 1, 2]);
    expect(new ng.data.TensorDataset(x, Float32Array.of(0.5, 1, 2)).yTensor!.shape).toEqual([3]);
    expect(Array.from(new ng.data.TensorDataset(x, Int32Array.of(0, 1, 2)).yLabels!)).toEqual([0, 1, 2]);
    expect(Array.from(new ng.data.TensorDataset(x, ng.tensor([2, 1, 0], { dtype: 'int32' })).yLabels!)).toEqual([2, 1, 0]);
    expect(() => new ng.data.TensorDataset(x, [0, '1', 2] as never)).toThrow(/TensorDataset: y\[1\] must be a number, got "1" \(string\)/);
    expect(() => new ng.data.TensorDataset(x, new Float64Array(3) as never)).toThrow(/got Float64Array/);
  });

  it('a classifier still trains from number[] targets (crossEntropy and accuracy take float class indices)', async () => {
    ng.manualSeed(1);
    const xs = ng.tensor([[2, 0], [0, 2], [2, 0], [0, 2], [2, 0], [0, 2]]);
    const model = new nn.Linear(2, 2);
    const h = await ng.fit(model, {
      train: new ng.data.TensorDataset(xs, [0, 1, 0, 1, 0, 1]), epochs: 40, batchSize: 6, loss: 'crossEntropy', metrics: ['accuracy'],
      optimizer: new ng.optim.Adam(model.parameters(), { lr: 0.1 }), progress: false,
    });
    expect(h.accuracy!.at(-1)).toBe(1);
  });
});
