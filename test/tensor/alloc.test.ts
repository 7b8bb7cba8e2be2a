/**
 * The allocator never hands one buffer to two live owners: a stress run that keeps random tensors
 * (outputs, gradients, views) alive across many forward/backward passes that recycle buffers, and
 * checks that every kept tensor still holds exactly what it held when it was kept.
 */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { emptyF32, release, setPoolEnabled, allocStats, zerosF32 } from '../../lib/util/alloc.js';
import { Generator } from '../../lib/random.js';
import { forEachBackend } from '../helpers/backends.js';

forEachBackend('allocator reuse', ['gemm', 'binary', 'unary'], () => {
  it('kept tensors keep their contents while 300 training steps recycle buffers', () => {
    const g = new Generator(7);
    const kept: { t: ng.Tensor; snap: Float32Array }[] = [];
    const keep = (t: ng.Tensor): void => { kept.push({ t, snap: Float32Array.from(t.data) }); };
    const w1 = ng.randn([64, 48], { requiresGrad: true });
    const w2 = ng.randn([48, 16], { requiresGrad: true });
    const before = allocStats().hits;
    for (let step = 0; step < 300; step++) {
      const x = ng.randn([32, 64]);
      const h = x.matmul(w1).relu();
      const y = h.matmul(w2).tanh().mul(h.sum(1, true).div(48)).sub(0.5);
      // half the steps seed backward with a user tensor (which flows unowned through sub → mul → ...)
      const seed = ng.randn([32, 16]);
      if (step % 2 === 0) y.backward(seed);
      else y.square().mean().backward();
      // keep a random selection of what this step made: outputs, views, gradient copies and the grads themselves
      const r = g.random();
      if (r < 0.2) keep(h);
      else if (r < 0.3) keep(y.t());
      else if (r < 0.4) keep(w1.grad!);
      else if (r < 0.5) keep(h.slice(1, 3, 40, 3));
      else if (r < 0.7) keep(seed);
      // let the user drop the gradients (zeroGrad's default), so new ones come from the pool
      w1.grad = null;
      w2.grad = null;
      if (kept.length > 40) kept.splice(Math.floor(g.random() * kept.length), 1);
      for (const k of kept) {
        const now = k.t.data;
        for (let i = 0; i < now.length; i++) {
          if (!(now[i] === k.snap[i] || (Number.isNaN(now[i]) && Number.isNaN(k.snap[i])))) {
            expect.fail(`step ${step}: a kept tensor of shape [${k.t.shape}] changed at element ${i}: ${k.snap[i]} → ${now[i]}`);
          }
        }
      }
    }
    expect(allocStats().hits).toBeGreaterThan(before); // buffers were in fact reused
  });
});

describe('allocator: release rules', () => {
  it('a double release never hands one buffer out twice; views and small arrays are not pooled', () => {
    const prev = setPoolEnabled(true);
    try {
      const a = emptyF32(1000);
      release(a);
      release(a);
      const b = emptyF32(1000);
      const c = emptyF32(1000);
      expect(b).toBe(a);
      expect(c).not.toBe(a);
      const big = new Float32Array(4000);
      release(big.subarray(0, 2000)); // a view of something larger: ignored
      expect(emptyF32(2000).buffer).not.toBe(big.buffer);
      const small = new Float32Array(10);
      release(small);
      expect(emptyF32(10)).not.toBe(small);
      const d = zerosF32(1000);
      d[5] = 3;
      release(d);
      expect(zerosF32(1000)[5]).toBe(0);
    } finally {
      setPoolEnabled(prev);
    }
  });
});

describe('allocator: dropped gradients', () => {
  it("zeroGrad() recycles a gradient nobody read, and never one that user code holds", () => {
    const p = ng.randn([64, 64], { requiresGrad: true });
    const opt = new ng.optim.SGD([p], { lr: 0.1 });
    p.mul(2).sum().backward();
    let before = allocStats().released;
    opt.zeroGrad();
    expect(allocStats().released).toBe(before + 1);
    p.mul(3).sum().backward();
    const held = p.grad!; // user code reads it: from now on it is theirs
    const snap = Float32Array.from(held.data);
    before = allocStats().released;
    opt.zeroGrad();
    expect(allocStats().released).toBe(before);
    for (let k = 0; k < 5; k++) { p.mul(k).sum().backward(); opt.zeroGrad(); }
    expect(Array.from(held.data)).toEqual(Array.from(snap));
    expect(() => { p.grad = ng.zeros([3]); }).toThrow(/assigned grad has shape \[3\]/);
  });
});

