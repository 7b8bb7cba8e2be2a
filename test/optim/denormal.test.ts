/**
 * Optimizer updates on state that has decayed into the float32 denormal range (Adam's m for weights
 * whose gradient is mostly zero). Native flushes denormals to zero inside the update (MXCSR FTZ/DAZ,
 * saved and restored: JavaScript's own arithmetic must keep its denormals); js keeps them. Either way
 * the parameters agree within float32 tolerance and stay finite.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../lib/tensor.js';
import { Adam, RMSprop, SGD, type Optimizer } from '../../lib/optim/index.js';
import { forEachBackend } from '../helpers/backends.js';

const TINY = 1e-39; // below 2^-126 ≈ 1.18e-38: a float32 denormal

function decayed(make: (ps: Tensor[]) => Optimizer, steps: number): Float32Array {
  const n = 4099; // odd: vector bodies and tails
  const p = new Tensor(new Float32Array(n).map((_, i) => Math.sin(i)), [n], true);
  const opt = make([p]);
  for (let s = 0; s < steps; s++) {
    // a nonzero gradient on the first step only, then zeros: m decays by β1 each step toward denormals
    const g = new Float32Array(n);
    if (s === 0) for (let i = 0; i < n; i++) g[i] = i % 2 === 0 ? 1e-30 : TINY;
    p.grad = new Tensor(g, [n]);
    opt.step();
  }
  return p.data;
}

forEachBackend('optimizers on denormal state', ['adamStep', 'sgdStep', 'rmspropStep'], () => {
  it('Adam: parameters stay finite and move by the expected amount; JS arithmetic keeps its denormals', () => {
    const p = decayed((ps) => new Adam(ps, { lr: 1e-3 }), 60);
    for (let i = 0; i < p.length; i++) expect(Number.isFinite(p[i])).toBe(true);
    // each step moves p by at most lr (|m̂/√v̂| ≤ 1 for a one-spike gradient history)
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - Math.fround(Math.sin(i)))).toBeLessThanOrEqual(60 * 1e-3 * 1.0001);
    // the MXCSR flags were restored: doubles and float32 denormals still exist in JS
    expect(Number.MIN_VALUE * 1).toBeGreaterThan(0);
    expect(Math.fround(TINY)).toBeGreaterThan(0);
    expect(new Float32Array([TINY])[0] * 1).toBeGreaterThan(0);
  });
  it('SGD momentum and RMSprop run on denormal gradients without NaN', () => {
    for (const make of [(ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), (ps: Tensor[]) => new RMSprop(ps, { lr: 1e-3 })]) {
      const p = decayed(make, 30);
      for (let i = 0; i < p.length; i++) expect(Number.isFinite(p[i])).toBe(true);
    }
  });
});

describe('denormal flush is scoped to the native update', () => {
  it('a float32 denormal survives JS arithmetic after many native optimizer steps', () => {
    const p = new Tensor(new Float32Array(70000).fill(1), [70000], true);
    const opt = new Adam([p], { lr: 1e-3 });
    for (let s = 0; s < 5; s++) {
      p.grad = new Tensor(new Float32Array(70000).fill(TINY), [70000]);
      opt.step();
    }
    const x = new Float32Array(1);
    x[0] = 3e-39;
    x[0] = x[0] * 0.5;
    expect(x[0]).toBeGreaterThan(0);
    expect(5e-324 + 0).toBe(5e-324);
  });
});
