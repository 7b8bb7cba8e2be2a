/** ng.utils.checkpoint: same gradients as without it (inputs and parameters inside fn, dropout), less memory held. */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';
import { TinyGPT } from './tiny-gpt.js';

const { nn } = ng;

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

function grads(m: ng.nn.Module): Record<string, Float32Array> {
  return Object.fromEntries(m.namedParameters().filter(([, p]) => p.grad !== null).map(([k, p]) => [k, Float32Array.from(p.grad!.data)]));
}

class Deep extends nn.Module {
  blocks: ng.nn.ModuleList;
  useCheckpoint = false;
  constructor(width: number, depth: number, p = 0) {
    super();
    this.blocks = new nn.ModuleList(Array.from({ length: depth }, () => new nn.Sequential(new nn.Linear(width, width), new nn.Tanh(), new nn.Dropout(p), new nn.Linear(width, width), new nn.GELU())));
  }
  forward(x: ng.Tensor): ng.Tensor {
    for (const b of this.blocks) x = this.useCheckpoint ? ng.utils.checkpoint(b, x) : b.forward(x);
    return x;
  }
}

forEachBackend('checkpoint', ['gemm'], () => {
  it('gives the same gradients for the input and every parameter (with dropout inside, RNG restored)', () => {
    ng.manualSeed(7);
    const m = new Deep(9, 4, 0.3);
    const x = ng.randn([5, 9], { requiresGrad: true });
    ng.manualSeed(100);
    const y0 = m.forward(x);
    y0.square().sum().backward();
    const g0 = grads(m);
    const gx0 = Float32Array.from(x.grad!.data);
    m.zeroGrad();
    x.grad = null;
    m.useCheckpoint = true;
    ng.manualSeed(100);
    const y1 = m.forward(x);
    // (no-grad forward takes the fused bias+GELU epilogue: equal within rounding, not bit for bit)
    expectClose(y1.data, y0.data, { rtol: 1e-5, atol: 1e-6 }, 'output');
    // the recompute in backward restores the generator, then puts the current state back
    const state = ng.getRngState();
    y1.square().sum().backward();
    expect(ng.getRngState()).toEqual(state);
    const g1 = grads(m);
    expect(Object.keys(g1)).toEqual(Object.keys(g0));
    for (const k of Object.keys(g0)) expectClose(g1[k], g0[k], { rtol: 1e-5, atol: 1e-6 }, k);
    expectClose(x.grad!.data, gx0, { rtol: 1e-5, atol: 1e-6 }, 'x.grad');
  });

  it('reaches parameters inside fn when no input requires grad (a frozen embedding before LoRA blocks)', () => {
    ng.manualSeed(8);
    const cfg = { vocabSize: 11, blockSize: 6, nLayer: 3, nHead: 2, nEmbd: 8 };
    const m = new TinyGPT(cfg);
    ng.lora.apply(m, { r: 2, targetModules: ['c_attn', 'c_fc'] });
    for (const [, l] of ng.lora.loraLayers(m)) ng.nn.init.normal_(l.lora_B.weight, 0, 0.1);
    const idx = ng.tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], { dtype: 'int32' });
    ng.F.crossEntropy(m.forward(idx).reshape([10, 11]), [2, 3, 4, 5, 6, 7, 8, 9, 10, 0]).backward();
    const g0 = grads(m);
    m.zeroGrad();
    m.checkpointBlocks = true;
    ng.F.crossEntropy(m.forward(idx).reshape([10, 11]), [2, 3, 4, 5, 6, 7, 8, 9, 10, 0]).backward();
    const g1 = grads(m);
    expect(Object.keys(g1).sort()).toEqual(Object.keys(g0).sort());
    expect(Object.keys(g0).length).toBe(12);
    for (const k of Object.keys(g0)) expectClose(g1[k], g0[k], { rtol: 1e-4, atol: 1e-6 }, k);
  });

  it('a parameter used both inside and outside fn gets both contributions', () => {
    ng.manualSeed(9);
    const w = ng.randn([4, 4], { requiresGrad: true });
    const x = ng.randn([3, 4], { requiresGrad: true });
    const f = (t: ng.Tensor) => t.matmul(w).tanh();
    const loss = (y: ng.Tensor) => y.matmul(w).sum();
    loss(f(x)).backward();
    const gw0 = Float32Array.from(w.grad!.data);
    const gx0 = Float32Array.from(x.grad!.data);
    w.grad = null;
    x.grad = null;
    loss(ng.utils.checkpoint(f, x)).backward();
    expectClose(w.grad!.data, gw0, { rtol: 1e-5, atol: 1e-6 });
    expectClose(x.grad!.data, gx0, { rtol: 1e-5, atol: 1e-6 });
  });

  it('holds far less activation memory on a deep stack', async () => {
    // V8 sweeps freed ArrayBuffers concurrently: collect, then let the sweeper finish, before each reading
    const settle = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      return process.memoryUsage().arrayBuffers;
    };
    const prevPool = ng.setPoolEnabled(false);
    try {
      ng.manualSeed(10);
      const m = new Deep(128, 16);
      const x = ng.randn([64, 128], { requiresGrad: true });
      const held = async (ck: boolean): Promise<number> => {
        m.useCheckpoint = ck;
        const before = await settle();
        const y = m.forward(x);
        const bytes = (await settle()) - before;
        y.sum().backward();
        m.zeroGrad();
        x.grad = null;
        return bytes;
      };
      await held(false);
      const plain = await held(false);
      const ck = await held(true);
      // 16 blocks × 3 kept activations of 64×128 floats (32 KB each) without; one per block with
      expect(plain).toBeGreaterThanOrEqual(16 * 3 * 32 * 1024);
      expect(ck).toBeLessThan(plain / 2.5);
      console.log(`checkpoint: activations held after forward ${(plain / 2 ** 20).toFixed(2)} MB plain, ${(ck / 2 ** 20).toFixed(2)} MB checkpointed`);
    } finally {
      ng.setPoolEnabled(prevPool);
    }
  });
});

describe('checkpoint checks', () => {
  it('rejects bad fn, non-tensor outputs, and in-place changes of a saved input', () => {
    expect(() => ng.utils.checkpoint(3 as never, ng.zeros([1]))).toThrow(/fn must be a function or an nn.Module/);
    expect(() => ng.utils.checkpoint(() => [ng.zeros([1])] as never, ng.zeros([1]))).toThrow(/must return a Tensor, got an array/);
    const x = ng.randn([3], { requiresGrad: true });
    const h = x.mul(2);
    const y = ng.utils.checkpoint((t: ng.Tensor) => t.exp(), h);
    h.add_(1);
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation/);
    // with grad mode off it simply runs fn; non-tensor inputs pass through
    const z = ng.noGrad(() => ng.utils.checkpoint((t: ng.Tensor, k: number) => t.mul(k), x, 3));
    expect(z.requiresGrad).toBe(false);
    expect(z.data).toEqual(x.data.map((v) => Math.fround(v * 3)));
    // identity fn: the output is a copy, the input keeps being a leaf
    const w = ng.utils.checkpoint((t: ng.Tensor) => t, x);
    w.sum().backward();
    expect(x.grad!.data).toEqual(new Float32Array([1, 1, 1]));
  });
});
