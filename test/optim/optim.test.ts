import { describe, expect, it } from 'vitest';
import { Tensor } from '../../lib/tensor.js';
import { Adam, AdamW, CosineAnnealingLR, LinearWarmup, RMSprop, SGD, StepLR, type Optimizer } from '../../lib/optim/index.js';
import { clipGradNorm } from '../../lib/nn/utils.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';

const TOL = { rtol: 2e-5, atol: 1e-6 };
const KERNELS = ['adamStep', 'sgdStep', 'rmspropStep', 'reduce', 'unary'] as const;

/** grad of f(p) = Σ c_i p_i² + p_i (differs per element, changes each step) */
function gradOf(p: ArrayLike<number>): number[] {
  return Array.from(p, (v, i) => 2 * (i + 1) * 0.1 * v + 1 - 0.3 * i);
}

function run(make: (ps: Tensor[]) => Optimizer, steps: number): Float32Array[] {
  const a = new Tensor(Float32Array.from([0.5, -1, 2]), [3], true);
  const b = new Tensor(Float32Array.from([1.5, 0.25]), [2], true);
  const c = new Tensor(Float32Array.from([3]), [1], true); // never gets a gradient
  const opt = make([a, b, c]);
  for (let s = 0; s < steps; s++) {
    for (const t of [a, b]) t.grad = new Tensor(Float32Array.from(gradOf(t.data)), t.shape);
    opt.step();
    opt.zeroGrad();
  }
  expect(c.data[0]).toBe(3);
  return [a.data, b.data];
}

/** the same in float64 with a per-element update rule */
function reference(update: (p: number[], g: number[], st: Record<string, number[]>, step: number) => void, steps: number): number[][] {
  const ps = [[0.5, -1, 2], [1.5, 0.25]];
  const states: Record<string, number[]>[] = [{}, {}];
  for (let s = 1; s <= steps; s++) ps.forEach((p, k) => update(p, gradOf(Float32Array.from(p)), states[k], s));
  return ps;
}

function sgdRef(lr: number, mom: number, damp: number, wd: number, nesterov: boolean) {
  return (p: number[], g0: number[], st: Record<string, number[]>) => {
    p.forEach((v, i) => {
      let g = g0[i] + wd * v;
      if (mom > 0) {
        st.buf ??= [];
        st.buf[i] = st.buf[i] === undefined ? g : mom * st.buf[i] + (1 - damp) * g;
        g = nesterov ? g + mom * st.buf[i] : st.buf[i];
      }
      p[i] = v - lr * g;
    });
  };
}

function adamRef(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean) {
  return (p: number[], g0: number[], st: Record<string, number[]>, step: number) => {
    st.m ??= p.map(() => 0);
    st.v ??= p.map(() => 0);
    p.forEach((v0, i) => {
      let v = v0;
      let g = g0[i];
      if (decoupled) v *= 1 - lr * wd;
      else g += wd * v;
      st.m[i] = b1 * st.m[i] + (1 - b1) * g;
      st.v[i] = b2 * st.v[i] + (1 - b2) * g * g;
      const mh = st.m[i] / (1 - b1 ** step);
      const vh = st.v[i] / (1 - b2 ** step);
      p[i] = v - (lr * mh) / (Math.sqrt(vh) + eps);
    });
  };
}

function rmsRef(lr: number, alpha: number, eps: number, wd: number, mom: number) {
  return (p: number[], g0: number[], st: Record<string, number[]>) => {
    st.sq ??= p.map(() => 0);
    st.buf ??= p.map(() => 0);
    p.forEach((v, i) => {
      const g = g0[i] + wd * v;
      st.sq[i] = alpha * st.sq[i] + (1 - alpha) * g * g;
      const u = g / (Math.sqrt(st.sq[i]) + eps);
      if (mom > 0) { st.buf[i] = mom * st.buf[i] + u; p[i] = v - lr * st.buf[i]; } else p[i] = v - lr * u;
    });
  };
}

function check(got: Float32Array[], want: number[][]): void {
  got.forEach((g, k) => expectClose(g, want[k], TOL, `tensor ${k}`));
}

forEachBackend('optimizers', KERNELS, () => {
  const STEPS = 6;
  it('SGD plain, momentum, dampening, nesterov, weight decay', () => {
    check(run((ps) => new SGD(ps, { lr: 0.1 }), STEPS), reference(sgdRef(0.1, 0, 0, 0, false), STEPS));
    check(run((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9 }), STEPS), reference(sgdRef(0.05, 0.9, 0, 0, false), STEPS));
    check(run((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }), STEPS), reference(sgdRef(0.05, 0.9, 0.3, 0.01, false), STEPS));
    check(run((ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 }), STEPS), reference(sgdRef(0.05, 0.8, 0, 0.1, true), STEPS));
    expect(() => new SGD([new Tensor(new Float32Array(1), [1], true)], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
  });

  it('Adam and AdamW (decoupled weight decay, default 1e-2)', () => {
    check(run((ps) => new Adam(ps, { lr: 0.01 }), STEPS), reference(adamRef(0.01, 0.9, 0.999, 1e-8, 0, false), STEPS));
    check(run((ps) => new Adam(ps, { lr: 0.02, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }), STEPS), reference(adamRef(0.02, 0.8, 0.99, 1e-6, 0.1, false), STEPS));
    check(run((ps) => new AdamW(ps, { lr: 0.01 }), STEPS), reference(adamRef(0.01, 0.9, 0.999, 1e-8, 0.01, true), STEPS));
    check(run((ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.5 }), STEPS), reference(adamRef(0.01, 0.9, 0.999, 1e-8, 0.5, true), STEPS));
  });

  it('RMSprop with and without momentum', () => {
    check(run((ps) => new RMSprop(ps, { lr: 0.01 }), STEPS), reference(rmsRef(0.01, 0.99, 1e-8, 0, 0), STEPS));
    check(run((ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9, momentum: 0.5, weightDecay: 0.1 }), STEPS), reference(rmsRef(0.01, 0.9, 1e-8, 0.1, 0.5), STEPS));
  });

  it('stateDict / loadStateDict resume exactly', () => {
    const mk = () => [new Tensor(Float32Array.from([0.5, -1, 2]), [3], true)];
    const stepWith = (opt: Optimizer, ps: Tensor[]) => {
      ps[0].grad = new Tensor(Float32Array.from(gradOf(ps[0].data)), [3]);
      opt.step();
      opt.zeroGrad();
    };
    const pa = mk();
    const a = new Adam(pa, { lr: 0.05 });
    for (let i = 0; i < 3; i++) stepWith(a, pa);
    const sd = a.stateDict();
    expect(sd.step).toBe(3);
    expect(sd.hyper.lr).toBe(0.05);
    const pb = [new Tensor(pa[0].data.slice(), [3], true)];
    const b = new Adam(pb, { lr: 1 });
    b.loadStateDict(sd);
    expect(b.lr).toBe(0.05);
    stepWith(a, pa);
    stepWith(b, pb);
    expect(Array.from(pb[0].data)).toEqual(Array.from(pa[0].data));
    expect(() => new SGD(pb, { lr: 1 }).loadStateDict(sd)).toThrow(/for Adam, not SGD/);
  });

  it('zeroGrad sets grads to null, or zero-fills with zeroGrad(false)', () => {
    const p = new Tensor(new Float32Array(2), [2], true);
    p.grad = new Tensor(Float32Array.from([1, 2]), [2]);
    const o = new SGD([p], { lr: 1 });
    o.zeroGrad(false);
    expect(Array.from(p.grad!.data)).toEqual([0, 0]);
    o.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('clipGradNorm returns the total norm and scales like PyTorch', () => {
    const a = new Tensor(new Float32Array(2), [2], true);
    const b = new Tensor(new Float32Array(1), [1], true);
    a.grad = new Tensor(Float32Array.from([3, 4]), [2]);
    b.grad = new Tensor(Float32Array.from([12]), [1]);
    expect(clipGradNorm([a, b], 100)).toBeCloseTo(13, 5);
    expect(Array.from(b.grad.data)).toEqual([12]);
    expect(clipGradNorm([a, b], 1.3)).toBeCloseTo(13, 5);
    const c = 1.3 / (13 + 1e-6);
    expectClose([...a.grad.data, ...b.grad.data], [3 * c, 4 * c, 12 * c], TOL);
  });
});

describe('schedulers (PyTorch formulas)', () => {
  const mk = (lr = 0.1) => new SGD([new Tensor(new Float32Array(1), [1], true)], { lr });
  const seq = (s: { step(): void; getLastLr(): number }, n: number) => {
    const out = [s.getLastLr()];
    for (let i = 0; i < n; i++) { s.step(); out.push(s.getLastLr()); }
    return out;
  };
  it('StepLR', () => {
    const o = mk();
    expectClose(seq(new StepLR(o, { stepSize: 2, gamma: 0.5 }), 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]);
  });
  it('CosineAnnealingLR', () => {
    const o = mk();
    const want = [0, 1, 2, 3, 4].map((t) => 0.001 + (0.1 - 0.001) * (1 + Math.cos((Math.PI * t) / 4)) / 2);
    expectClose(seq(new CosineAnnealingLR(o, { tMax: 4, etaMin: 0.001 }), 4), want);
  });
  it('LinearWarmup (LinearLR to factor 1)', () => {
    const o = mk();
    expectClose(seq(new LinearWarmup(o, { warmupSteps: 4, startFactor: 0.2 }), 6), [0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1]);
    expect(o.lr).toBeCloseTo(0.1);
  });
});
