import { describe, expect, it } from 'vitest';
import { manualSeed } from '../../lib/random.js';
import { Tensor, tensor } from '../../lib/tensor.js';
import { noGrad } from '../../lib/autograd.js';
import { add, matmul, mean, relu, sigmoid, tanh, gelu, transpose } from '../../lib/ops/index.js';
import {
  BatchNorm1d, Dropout, Embedding, Flatten, GELU, LayerNorm, LeakyReLU, Linear, Module, Parameter, ReLU, Sequential, Sigmoid, Softmax, Tanh, linear,
} from '../../lib/nn/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose, REDUCTION } from '../helpers/tolerance.js';

const KERNELS = ['gemm', 'unary', 'unaryBackward', 'binary', 'reduce', 'copy', 'gatherRows', 'scatterAddRows'] as const;

function stats(d: Float32Array): { mean: number; min: number; max: number; std: number } {
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (const v of d) { s += v; s2 += v * v; min = Math.min(min, v); max = Math.max(max, v); }
  const m = s / d.length;
  return { mean: m, min, max, std: Math.sqrt(s2 / d.length - m * m) };
}

class Net extends Module {
  fc1 = new Linear(4, 8);
  act = new ReLU();
  fc2 = new Linear(8, 3, { bias: false });
  bn = new BatchNorm1d(3);
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.fc2.forward(this.act.forward(this.fc1.forward(x))));
  }
}

describe('nn.Module', () => {
  it('names parameters like PyTorch and finds buffers', () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(seq.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual(['0.weight:3x2', '0.bias:3', '2.weight:1x3', '2.bias:1']);
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual([
      'fc1.weight', 'fc1.bias', 'fc2.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked',
    ]);
    expect(net.parameters()).toHaveLength(5);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(net.toString()).toContain('(fc1): Linear(inFeatures=4, outFeatures=8, bias=true)');
  });

  it('stateDict round trip copies values into the existing tensors', () => {
    manualSeed(1);
    const a = new Net();
    manualSeed(2);
    const b = new Net();
    const w = b.fc1.weight;
    b.loadStateDict(a.stateDict());
    expect(b.fc1.weight).toBe(w);
    for (const [k, t] of Object.entries(a.stateDict())) expect(Array.from(b.stateDict()[k].data)).toEqual(Array.from(t.data));
  });

  it('strict loading lists missing, unexpected and mis-shaped keys', () => {
    const net = new Net();
    const sd = net.stateDict();
    delete sd['fc1.bias'];
    sd['extra.weight'] = tensor([1]);
    expect(() => net.loadStateDict(sd)).toThrow(/missing keys: fc1\.bias.*unexpected keys: extra\.weight/);
    const r = net.loadStateDict(sd, { strict: false });
    expect(r).toEqual({ missingKeys: ['fc1.bias'], unexpectedKeys: ['extra.weight'] });
    const bad = net.stateDict();
    bad['fc2.weight'] = tensor([[1, 2]]);
    expect(() => net.loadStateDict(bad, { strict: false })).toThrow(/fc2\.weight: shape \[1,2\] in the state dict, \[3,8\] in the model/);
  });

  it('train/eval are recursive; requiresGrad freezes; zeroGrad clears', () => {
    const net = new Net();
    net.eval();
    expect(net.training).toBe(false);
    expect(net.bn.training).toBe(false);
    net.train();
    expect(net.fc1.training).toBe(true);
    net.fc1.requiresGrad(false);
    const x = randData([5, 4], 1);
    mean(net.forward(x)).backward();
    expect(net.fc1.weight.grad).toBeNull();
    expect(net.fc2.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.fc2.weight.grad).toBeNull();
    net.requiresGrad(true);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('registers explicitly and skips null parameters', () => {
    class M extends Module {
      bias: Parameter | null = null;
      constructor() {
        super();
        this.registerParameter('scale', new Parameter(new Float32Array(2), [2]));
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(new M().namedParameters().map(([n]) => n)).toEqual(['scale']);
  });
});

describe('initialisation', () => {
  it('Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (PyTorch default)', () => {
    manualSeed(0);
    const l = new Linear(256, 512);
    const b = 1 / 16;
    const s = stats(l.weight.data);
    expect(s.min).toBeGreaterThanOrEqual(-b);
    expect(s.max).toBeLessThanOrEqual(b);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
    expect(s.std).toBeCloseTo(b / Math.sqrt(3), 3);
    const sb = stats(l.bias!.data);
    expect(sb.min).toBeGreaterThanOrEqual(-b);
    expect(sb.max).toBeLessThanOrEqual(b);
  });

  it('Embedding: N(0, 1)', () => {
    manualSeed(0);
    const s = stats(new Embedding(1000, 64).weight.data);
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(s.std).toBeCloseTo(1, 1);
  });

  it('manualSeed makes init reproducible', () => {
    manualSeed(7);
    const a = new Linear(5, 5).weight.data.slice();
    manualSeed(7);
    expect(Array.from(new Linear(5, 5).weight.data)).toEqual(Array.from(a));
  });
});

forEachBackend('nn layers', KERNELS, () => {
  it('Linear matches x·Wᵀ + b and its gradients', () => {
    manualSeed(3);
    const l = new Linear(5, 4);
    const x = randData([2, 3, 5], 2, { requiresGrad: true });
    const y = l.forward(x);
    expect(y.shape).toEqual([2, 3, 4]);
    const ref = noGrad(() => add(matmul(x, transpose(l.weight, 0, 1)), l.bias!));
    expectClose(y.data, ref.data, REDUCTION);
    gradcheck((xx, w, b) => linear(xx, w, b), [x, l.weight, l.bias!]);
    const nb = new Linear(5, 4, { bias: false });
    expect(nb.bias).toBeNull();
    gradcheck((xx, w) => linear(xx, w, null), [x, nb.weight]);
  });

  for (const act of ['relu', 'sigmoid', 'tanh', 'gelu', 'geluTanh'] as const) {
    it(`fused Linear + ${act} equals the unfused ops, forward and backward`, () => {
      const x = randData([6, 5], 10, { requiresGrad: true, awayFromZero: 0.05 });
      const w = randData([4, 5], 11, { requiresGrad: true });
      const b = randData([4], 12, { requiresGrad: true });
      const f = { relu, sigmoid, tanh, gelu: (t: Tensor) => gelu(t), geluTanh: (t: Tensor) => gelu(t, { approximate: 'tanh' }) }[act];
      const fused = linear(x, w, b, act);
      const ref = f(add(matmul(x, transpose(w, 0, 1)), b));
      expectClose(fused.data, ref.data, REDUCTION);
      gradcheck((xx, ww, bb) => linear(xx, ww, bb, act), [x, w, b]);
      const fusedNoGrad = noGrad(() => linear(x, w, b, act));
      expectClose(fusedNoGrad.data, ref.data, REDUCTION);
    });
  }

  it('Sequential fuses Linear + activation and matches layer-by-layer', () => {
    manualSeed(4);
    const seq = new Sequential(new Linear(3, 6), new Tanh(), new Linear(6, 6), new GELU(), new Linear(6, 2), new Sigmoid());
    const x = randData([4, 3], 5);
    let ref = x;
    for (const m of seq) ref = m.forward(ref);
    expectClose(seq.forward(x).data, ref.data, REDUCTION);
    const ps = seq.parameters();
    gradcheck((...p) => {
      ps.forEach((q, i) => q.data.set(p[i].data));
      return seq.forward(x);
    }, ps);
  });

  it('activations, Softmax, Flatten', () => {
    const x = randData([2, 3, 4], 6);
    expect(new Flatten().forward(x).shape).toEqual([2, 12]);
    expect(new LeakyReLU(0.2).forward(tensor([-1, 2])).data).toEqual(new Float32Array([-0.2, 2]));
    const s = new Softmax(1).forward(x);
    expectClose([s.data[0] + s.data[4] + s.data[8]], [1]);
  });

  it('Dropout: seeded, inverted scaling, identity in eval', () => {
    const d = new Dropout(0.25);
    const x = new Tensor(new Float32Array(4000).fill(1), [4000], true);
    manualSeed(9);
    const y = d.forward(x);
    const kept = y.data.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(kept.length / 4000).toBeGreaterThan(0.72);
    expect(kept.length / 4000).toBeLessThan(0.78);
    manualSeed(9);
    expect(Array.from(d.forward(x).data)).toEqual(Array.from(y.data));
    y.backward(new Float32Array(4000).fill(1));
    expect(Array.from(x.grad!.data)).toEqual(Array.from(y.data));
    d.eval();
    expect(d.forward(x)).toBe(x);
  });

  it('LayerNorm normalises the last dim (hand-computed) and is differentiable', () => {
    const ln = new LayerNorm(4);
    const y = ln.forward(tensor([[1, 2, 3, 4]]));
    const m = 2.5, v = 1.25;
    expectClose(y.data, [1, 2, 3, 4].map((a) => (a - m) / Math.sqrt(v + 1e-5)), { rtol: 1e-5, atol: 1e-5 });
    ln.weight!.data.set([1, 2, 0.5, -1]);
    ln.bias!.data.set([0.1, 0, -0.2, 0.3]);
    const x = randData([3, 4], 7, { requiresGrad: true });
    gradcheck((xx, w, b) => { ln.weight!.data.set(w.data); ln.bias!.data.set(b.data); return ln.forward(xx); }, [x, ln.weight!, ln.bias!]);
  });

  it('BatchNorm1d: batch statistics in training, unbiased running variance, running stats in eval', () => {
    const bn = new BatchNorm1d(2);
    const x = tensor([[1, 10], [2, 20], [3, 30], [6, 0]]);
    const y = bn.forward(x);
    // column 0: mean 3, biased var 3.5, unbiased 14/3
    expectClose([y.data[0], y.data[2]], [(1 - 3) / Math.sqrt(3.5 + 1e-5), (2 - 3) / Math.sqrt(3.5 + 1e-5)], { rtol: 1e-5, atol: 1e-5 });
    expectClose(bn.runningMean!.data, [0.3, 1.5], { rtol: 1e-6, atol: 1e-6 });
    expectClose([bn.runningVar!.data[0]], [0.9 + 0.1 * (14 / 3)], { rtol: 1e-6, atol: 1e-6 });
    expect(bn.numBatchesTracked!.data[0]).toBe(1);
    bn.eval();
    const e = bn.forward(tensor([[0.3, 1.5]]));
    expectClose(e.data, [0, 0], { rtol: 0, atol: 1e-6 });
    bn.train();
    const x3 = randData([3, 2, 4], 8, { requiresGrad: true });
    expect(bn.forward(x3).shape).toEqual([3, 2, 4]);
    gradcheck((xx) => bn.forward(xx), [x3]);
    expect(() => bn.forward(tensor([[1, 2]]))).toThrow(/more than 1 value per channel/);
  });

  it('Embedding gathers rows, scatters gradients, rejects bad indices', () => {
    manualSeed(5);
    const emb = new Embedding(5, 3);
    const y = emb.forward([4, 0, 4]);
    expect(y.shape).toEqual([3, 3]);
    expect(Array.from(y.data.slice(0, 3))).toEqual(Array.from(emb.weight.data.slice(12, 15)));
    const y2 = emb.forward(tensor([[1, 2], [3, 4]]));
    expect(y2.shape).toEqual([2, 2, 3]);
    y.backward(new Float32Array(9).fill(1));
    expect(Array.from(emb.weight.grad!.data)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2]);
    expect(() => emb.forward([5])).toThrow(RangeError);
    expect(() => emb.forward(new Int32Array([-1]))).toThrow(/index -1 at position 0 is out of range for 5 embeddings/);
    expect(() => emb.forward([1.5])).toThrow(RangeError);
  });
});
