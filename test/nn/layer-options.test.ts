/**
 * Layer constructors as a PyTorch user calls them: positional flags (`nn.Linear(3, 2, false)` = no bias,
 * Conv2d/pool positional stride and padding, LayerNorm/BatchNorm positional eps…), options objects that
 * reject unknown keys naming the nearest known one, Embedding's paddingIdx (row zeroed, no gradient),
 * the activation layers SiLU Mish ELU SELU LogSigmoid Softplus Hardtanh, fit()/evaluate()/predict()
 * option checks — on every backend, with gradchecks through the new layers.
 */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import * as F from '../../lib/nn/functional.js';
import { nn } from '../../lib/index.js';
import { Tensor, tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { expectClose } from '../helpers/tolerance.js';

const KERNELS = ['gemm', 'unary', 'unaryBackward', 'gatherRows', 'scatterAddRows'] as const;

forEachBackend('layer constructors (PyTorch forms)', KERNELS, () => {
  it('Linear: positional bias flag, options object, unknown keys', () => {
    const a = new nn.Linear(3, 2, false);
    expect(a.bias).toBeNull();
    expect([...a.parameters()].length).toBe(1);
    expect(Object.keys(a.stateDict())).toEqual(['weight']);
    expect(new nn.Linear(3, 2, true).bias).not.toBeNull();
    expect(new nn.Linear(3, 2, { bias: false }).bias).toBeNull();
    expect(new nn.Linear(3, 2).bias).not.toBeNull();
    expect(() => new nn.Linear(3, 2, { bais: false } as never)).toThrow(/Linear: unknown option 'bais' \(did you mean bias\?\)/);
    expect(() => new nn.Linear(3, 2, 'no' as never)).toThrow(TypeError);
    expect(() => new nn.Linear(3, 2, { bias: 0 } as never)).toThrow(/bias must be a boolean/);
    expect(String(a)).toContain('bias=false');
  });

  it('Conv2d: positional stride, padding, dilation, groups, bias; options checked', () => {
    const c = new nn.Conv2d(1, 2, 3, 2, 1);
    expect(c.stride).toEqual([2, 2]);
    expect(c.padding).toEqual([1, 1]);
    const nb = new nn.Conv2d(1, 2, 3, 1, 0, 1, 1, false);
    expect(nb.bias).toBeNull();
    expect(new nn.Conv2d(1, 2, 3, [1, 2]).stride).toEqual([1, 2]);
    const y = c.forward(ng.randn([1, 1, 5, 5]));
    expect([...y.shape]).toEqual([1, 2, 3, 3]);
    expect(() => new nn.Conv2d(1, 2, 3, { strides: 2 } as never)).toThrow(/did you mean stride\?/);
    expect(() => new nn.Conv2d(1, 2, 3, { groups: 2 })).toThrow(/Conv2d: inChannels \(1\) and outChannels \(2\) must be divisible by groups \(2\)/);
    expect(new nn.Conv2d(2, 4, 3, { groups: 2 }).weight.shape).toEqual([4, 1, 3, 3]);
    expect(new nn.Conv2d(1, 2, 3, { groups: 1, bias: false }).bias).toBeNull();
  });

  it('MaxPool2d / AvgPool2d: positional stride and padding; options checked', () => {
    const m = new nn.MaxPool2d(3, 2, 1);
    expect(m.stride).toEqual([2, 2]);
    expect(m.padding).toEqual([1, 1]);
    expect(new nn.MaxPool2d(2).stride).toEqual([2, 2]);
    expect(new nn.MaxPool2d(2, null).stride).toEqual([2, 2]);
    expect(new nn.AvgPool2d(2, 1).stride).toEqual([1, 1]);
    expect(new nn.AvgPool2d(2, { stride: 1, padding: 1 }).padding).toEqual([1, 1]);
    expect(() => new nn.MaxPool2d(2, { stide: 1 } as never)).toThrow(/MaxPool2d: unknown option 'stide' \(did you mean stride\?\)/);
    expect(new nn.AvgPool2d(2, { ceilMode: true }).ceilMode).toBe(true);
    expect(() => new nn.AvgPool2d(2, { ceilMode: 1 } as never)).toThrow(/ceilMode must be a boolean/);
    expect([...m.forward(ng.randn([1, 1, 6, 6])).shape]).toEqual([1, 1, 3, 3]);
  });

  it('LayerNorm and BatchNorm: positional eps/affine flags; snake_case keys suggested', () => {
    const ln = new nn.LayerNorm(4, 1e-3);
    expect(ln.eps).toBe(1e-3);
    const ln2 = new nn.LayerNorm(4, 1e-5, false);
    expect(ln2.weight).toBeNull();
    expect(() => new nn.LayerNorm(4, { elementwise_affine: false } as never)).toThrow(/did you mean elementwiseAffine\?/);
    const bn = new nn.BatchNorm1d(3, 1e-3, 0.2, false);
    expect(bn.eps).toBe(1e-3);
    expect(bn.momentum).toBe(0.2);
    expect(bn.weight).toBeNull();
    const bn2 = new nn.BatchNorm2d(3, 1e-5, 0.1, true, false);
    expect(bn2.runningMean).toBeNull();
    expect(() => new nn.BatchNorm2d(3, { track_running_stats: false } as never)).toThrow(/did you mean trackRunningStats\?/);
    expect(() => new nn.BatchNorm1d(3, { momentun: 0.1 } as never)).toThrow(/did you mean momentum\?/);
  });

  it('Dropout: p positional or {p}; inplace only false; GELU(\'tanh\'); LeakyReLU({negativeSlope})', () => {
    expect(new nn.Dropout({ p: 0.2 }).p).toBe(0.2);
    expect(new nn.Dropout(0.3, false).p).toBe(0.3);
    expect(() => new nn.Dropout(0.3, true)).toThrow(/inplace/);
    expect(() => new nn.Dropout({ prob: 0.3 } as never)).toThrow(/unknown option 'prob'/);
    expect(new nn.GELU('tanh').approximate).toBe('tanh');
    expect(() => new nn.GELU({ aproximate: 'tanh' } as never)).toThrow(/did you mean approximate\?/);
    expect(new nn.LeakyReLU({ negativeSlope: 0.2 }).negativeSlope).toBe(0.2);
    expect(new nn.LeakyReLU(0.3).negativeSlope).toBe(0.3);
  });

  it('Embedding(n, d, {paddingIdx}): row zeroed at init, no gradient to it; positional and negative forms', () => {
    ng.manualSeed(5);
    const e = new nn.Embedding(5, 3, { paddingIdx: 0 });
    expect(Array.from(e.weight.data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(e.paddingIdx).toBe(0);
    const y = e.forward(new Tensor(Int32Array.from([0, 2, 0, 4]), [2, 2]));
    expect([...y.shape]).toEqual([2, 2, 3]);
    expectClose(y.data.subarray(0, 3), [0, 0, 0]);
    y.mul(tensor([1, 2, 3])).sum().backward();
    const g = e.weight.grad!.data;
    expect(Array.from(g.subarray(0, 3))).toEqual([0, 0, 0]);
    expectClose(g.subarray(6, 9), [1, 2, 3]);
    expectClose(g.subarray(12, 15), [1, 2, 3]);
    expect(new nn.Embedding(5, 3, -1).paddingIdx).toBe(4);
    expect(new nn.Embedding(5, 3, null).paddingIdx).toBeNull();
    expect(() => new nn.Embedding(5, 3, { padding_idx: 0 } as never)).toThrow(/Embedding: unknown option 'padding_idx' \(did you mean paddingIdx\?\)/);
    expect(new nn.Embedding(5, 3, { maxNorm: 1 }).maxNorm).toBe(1);
    expect(() => new nn.Embedding(5, 3, { maxNorms: 1 } as never)).toThrow(TypeError);
    expect(() => new nn.Embedding(5, 3, 5)).toThrow(RangeError);
    expect(String(e)).toContain('paddingIdx=0');
    // the functional form takes paddingIdx positionally or as {paddingIdx}
    const w = new Tensor(Float32Array.from({ length: 8 }, (_, i) => i + 1), [4, 2], true);
    F.embedding([1, 3, 1], w, 1).sum().backward();
    expect(Array.from(w.grad!.data)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    w.grad = null;
    F.embedding([1, 3, 1], w, { paddingIdx: 3 }).sum().backward();
    expect(Array.from(w.grad!.data)).toEqual([0, 0, 2, 2, 0, 0, 0, 0]);
  });

  it('activation layers SiLU Mish ELU SELU LogSigmoid Softplus Hardtanh Identity: PyTorch arguments, values, gradients', () => {
    const x = tensor([-3, -0.5, 0.2, 0.7, 4]);
    expectClose(new nn.SiLU().forward(x).data, F.silu(x).data);
    expectClose(new nn.Mish().forward(x).data, F.mish(x).data);
    expectClose(new nn.ELU(0.5).forward(x).data, F.elu(x, 0.5).data);
    expectClose(new nn.ELU({ alpha: 0.5 }).forward(x).data, F.elu(x, 0.5).data);
    expect(new nn.ELU().alpha).toBe(1);
    expectClose(new nn.SELU().forward(x).data, F.selu(x).data);
    expectClose(new nn.LogSigmoid().forward(x).data, F.logsigmoid(x).data);
    expectClose(new nn.Softplus(2).forward(x).data, F.softplus(x, { beta: 2 }).data);
    expectClose(new nn.Softplus({ beta: 2 }).forward(x).data, F.softplus(x, { beta: 2 }).data);
    expectClose(new nn.Hardtanh(-2, 2).forward(x).data, [-2, -0.5, 0.2, 0.7, 2]);
    expectClose(new nn.Hardtanh({ minVal: 0, maxVal: 0.5 }).forward(x).data, [0, 0, 0.2, 0.5, 0.5]);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(() => new nn.ELU({ alpah: 1 } as never)).toThrow(/did you mean alpha\?/);
    expect(() => new nn.Hardtanh(1, -1)).toThrow(RangeError);
    expect(() => new nn.Softplus(-1)).toThrow(RangeError);
    expect(String(new nn.ELU(0.5))).toContain('alpha=0.5');
    const xs = tensor([-1.3, -0.4, 0.3, 0.9, 2.1], { requiresGrad: true });
    for (const m of [new nn.SiLU(), new nn.Mish(), new nn.ELU(0.7), new nn.Softplus(1.5), new nn.Hardtanh(-1, 1)]) {
      gradcheck((t) => m.forward(t), [xs]);
    }
    // in a Sequential: trained like any layer
    ng.manualSeed(1);
    const net = new nn.Sequential(new nn.Linear(2, 4), new nn.SiLU(), new nn.Linear(4, 1, false));
    expect([...net.parameters()].length).toBe(3);
    expect([...net.forward(ng.randn([3, 2])).shape]).toEqual([3, 1]);
  });

  it('fit / evaluate / predict reject unknown option keys', async () => {
    const m = new nn.Linear(2, 2);
    await expect(ng.fit(m, { epochs: 1, batch_size: 4 } as never)).rejects.toThrow(/fit: unknown option 'batch_size' \(did you mean batchSize\?\)/);
    expect(() => ng.predict(m, ng.randn([2, 2]), { batch: 1 } as never)).toThrow(/predict: unknown option 'batch'/);
    const ds = new ng.data.TensorDataset(ng.randn([4, 2]), new Tensor(Int32Array.from([0, 1, 0, 1]), [4]));
    expect(() => ng.evaluate(m, ds, { metric: ['accuracy'] } as never)).toThrow(/did you mean metrics\?/);
  });
});
