/**
 * Native element-wise / reduction / copy / softmax kernels against the js reference, every op code,
 * sizes 1…100003 (the last one crosses the threading threshold), broadcasting, thread-count
 * determinism, and the binding's argument validation. Runs once per ISA (vitest.config.ts).
 */
import { describe, expect, it } from 'vitest';
import { BinaryOp, ReduceOp, UnaryOp, type BinaryOpCode, type ReduceOpCode, type UnaryOpCode } from '../../lib/backend/backend.js';
import { backendByName, backends, nativeBinding, setNumThreads, getNumThreads } from '../../lib/backend/registry.js';
import { BINARYOP_NAMES, UNARYOP_NAMES } from '../../lib/backend/ops.gen.js';
import { ELEMENTWISE, expectClose } from '../helpers/tolerance.js';
import { nativeKernelsOnly } from '../helpers/backends.js';
import { randArray } from '../helpers/random.js';

const hasNative = backends().includes('native');
nativeKernelsOnly(); // sizes 1, 7, 17 would otherwise run on the js kernels
const d = hasNative ? describe : describe.skip;
const SIZES = [1, 7, 17, 33, 257, 100003];

function rand(n: number, seed: number, lo = -4, hi = 4): Float32Array {
  return randArray(n, seed, lo, hi);
}
function awayFromZero(a: Float32Array, m = 0.25): Float32Array {
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]) < m) a[i] = a[i] < 0 ? a[i] - m : a[i] + m;
  return a;
}

/** Inputs per unary op: positive where the op needs it, away from the kinks otherwise. */
function unaryInput(op: number, n: number, seed: number): Float32Array {
  if (op === UnaryOp.log || op === UnaryOp.sqrt || op === UnaryOp.powScalar) return rand(n, seed, 0.05, 5);
  if (op === UnaryOp.reciprocal || op === UnaryOp.abs || op === UnaryOp.relu || op === UnaryOp.leakyRelu) {
    return awayFromZero(rand(n, seed));
  }
  return rand(n, seed, -8, 8);
}

d('native element-wise vs js', () => {
  const nb = hasNative ? backendByName('native') : null!;
  const js = backendByName('js');
  const unaryOps = Object.entries(UnaryOp) as [string, UnaryOpCode][];

  for (const [name, op] of unaryOps) {
    it(`unary ${name} (+ backward)`, () => {
      for (const n of SIZES) {
        const alpha = op === UnaryOp.powScalar ? 1.7 : 0.3;
        const x = unaryInput(op, n, 1000 + op * 7 + n);
        const want = new Float32Array(n), got = new Float32Array(n);
        js.unary(op, x, want, n, alpha);
        nb.unary(op, x, got, n, alpha);
        expectClose(got, want, ELEMENTWISE, `${name} n=${n}`);
        const dy = rand(n, 77 + n, -2, 2);
        const gw = new Float32Array(n), gg = new Float32Array(n);
        js.unaryBackward(op, x, want, dy, gw, n, alpha);
        nb.unaryBackward(op, x, want, dy, gg, n, alpha);
        expectClose(gg, gw, ELEMENTWISE, `${name}' n=${n}`);
      }
      // in place, and the special values
      const sp = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 100, -100]);
      const w = new Float32Array(sp.length), g = sp.slice();
      js.unary(op, sp, w, sp.length, 2);
      nb.unary(op, g, g, g.length, 2);
      expectClose(g, w, ELEMENTWISE, `${name} specials`);
    });
  }

  const shapes: [number[], number[], number[]][] = [
    // [out shape, a strides, b strides]
    [[7], [1], [1]], [[100003], [1], [1]], [[33], [1], [0]], [[33], [0], [1]], [[5], [2], [3]],
    [[17, 33], [33, 1], [0, 1]], [[17, 33], [1, 0], [33, 1]], [[300, 400], [400, 1], [1, 0]],
    [[3, 4, 5], [20, 5, 1], [0, 1, 0]], [[], [], []], [[4, 0, 3], [0, 3, 1], [0, 3, 1]],
  ];
  const span = (sh: number[], st: number[]) => sh.some((v) => v === 0) ? 0 : 1 + sh.reduce((s, v, i) => s + (v - 1) * st[i], 0);
  for (const [name, op] of Object.entries(BinaryOp) as [string, BinaryOpCode][]) {
    it(`binary ${name} with broadcasting`, () => {
      for (const [shape, as, bs] of shapes) {
        const a = op === BinaryOp.pow ? rand(span(shape, as), 5, 0.1, 3) : rand(span(shape, as), 5);
        const b = op === BinaryOp.div ? awayFromZero(rand(span(shape, bs), 6)) : rand(span(shape, bs), 6, -3, 3);
        if (op === BinaryOp.max || op === BinaryOp.min) { if (a.length > 3) { a[1] = NaN; b[2] = NaN; a[3] = b[3]; } }
        const total = shape.reduce((s, v) => s * v, 1);
        const want = new Float32Array(total), got = new Float32Array(total);
        js.binary(op, a, as, b, bs, want, shape);
        nb.binary(op, a, as, b, bs, got, shape);
        expectClose(got, want, ELEMENTWISE, `${name} ${JSON.stringify(shape)}`);
      }
    });
  }

  const rshapes: [number, number, number][] = [[1, 1, 1], [1, 7, 1], [3, 17, 1], [1, 100003, 1], [2, 33, 5],
    [1, 257, 1000], [700, 1000, 1], [4, 3, 600], [5, 0, 2]];
  for (const [name, op] of Object.entries(ReduceOp) as [string, ReduceOpCode][]) {
    it(`reduce ${name}`, () => {
      for (const [outer, n, inner] of rshapes) {
        if (n === 0 && op >= ReduceOp.max && op <= ReduceOp.argmin) continue;
        const x = rand(outer * n * inner, outer * 31 + n + inner, -2, 2);
        if (op >= ReduceOp.max && op <= ReduceOp.argmin && x.length > 40) {
          x[5] = x[9] = 3; x[20] = -3; x[21] = -3;  // ties: the first index wins
        }
        const want = new Float32Array(outer * inner), got = new Float32Array(outer * inner);
        js.reduce(op, x, want, outer, n, inner);
        nb.reduce(op, x, got, outer, n, inner);
        // sums: tolerance scaled by Σ|x| (or Σx²) of each output, not by the (cancelling) result
        const scale = new Float64Array(outer * inner);
        for (let o = 0; o < outer; o++) for (let j = 0; j < n; j++) for (let i = 0; i < inner; i++) {
          const v = x[(o * n + j) * inner + i];
          scale[o * inner + i] += op === ReduceOp.sumSquares ? v * v : Math.abs(v);
        }
        for (let k = 0; k < got.length; k++) {
          const s = op === ReduceOp.mean ? scale[k] / n : scale[k];
          const tol = op <= ReduceOp.mean || op === ReduceOp.sumSquares ? 1e-6 + 2e-6 * s : 0;
          if (Number.isNaN(want[k])) { expect(got[k]).toBeNaN(); continue; }
          expect(Math.abs(got[k] - want[k]), `${name} [${outer},${n},${inner}] @${k}: ${got[k]} vs ${want[k]}`).toBeLessThanOrEqual(tol);
        }
      }
    });
  }

  it('reduce: NaN wins max/argmax at its first index', () => {
    const x = new Float32Array([1, 5, NaN, 7, NaN, 2]);
    for (const op of [ReduceOp.max, ReduceOp.argmax, ReduceOp.min, ReduceOp.argmin] as ReduceOpCode[]) {
      const w = new Float32Array(1), g = new Float32Array(1);
      js.reduce(op, x, w, 1, 6, 1);
      nb.reduce(op, x, g, 1, 6, 1);
      expect(Number.isNaN(g[0]) ? 'NaN' : g[0]).toEqual(Number.isNaN(w[0]) ? 'NaN' : w[0]);
    }
  });

  it('results are bit-identical for 1 and 2 threads', () => {
    const prev = getNumThreads();
    const x = rand(1 << 20, 9);
    const run = () => {
      const s = new Float32Array(1), r = new Float32Array(1024), sm = new Float32Array(x.length), u = new Float32Array(x.length);
      nb.reduce(ReduceOp.sum, x, s, 1, x.length, 1);
      nb.reduce(ReduceOp.sum, x, r, 1, 1024, 1024);
      nb.softmax(x, sm, 1024, 1024, 1, true);
      nb.unary(UnaryOp.gelu, x, u, x.length, 0);
      return [s, r, sm, u];
    };
    try {
      setNumThreads(1);
      const a = run();
      setNumThreads(2);
      const b = run();
      for (let k = 0; k < a.length; k++) expect(Buffer.compare(Buffer.from(a[k].buffer), Buffer.from(b[k].buffer))).toBe(0);
    } finally {
      setNumThreads(prev);
    }
  });

  it('copy: permute, slice offsets, broadcast expand, accumulate', () => {
    const cases: [number[], number, number[], number, number[], boolean][] = [
      [[300, 400], 0, [1, 300], 0, [400, 1], false],     // transpose (threaded)
      [[3, 4, 5], 2, [20, 1, 4], 1, [20, 5, 1], false],   // permute with offsets
      [[6, 7], 0, [0, 1], 0, [7, 1], false],               // expand
      [[5, 9], 3, [9, 1], 2, [18, 2], true],               // strided accumulate
      [[], 4, [], 1, [], true], [[0, 3], 0, [3, 1], 0, [3, 1], false],
    ];
    for (const [shape, so, ss, dof, ds, acc] of cases) {
      const src = rand(150000, 3);
      const w = rand(150000, 4), g = w.slice();
      js.copy(shape, src, so, ss, w, dof, ds, acc);
      nb.copy(shape, src, so, ss, g, dof, ds, acc);
      expect(Buffer.compare(Buffer.from(g.buffer), Buffer.from(w.buffer)), JSON.stringify(shape)).toBe(0);
    }
  });

  it('softmax / log-softmax and their backward', () => {
    for (const [outer, n, inner] of [[1, 1, 1], [3, 7, 1], [2, 33, 5], [40, 257, 1], [2, 17, 600], [100, 1001, 1]] as const) {
      const x = rand(outer * n * inner, n + inner, -10, 10);
      if (n > 3) { x[1] = -Infinity; }
      const dy = rand(x.length, 5);
      for (const log of [false, true]) {
        const w = new Float32Array(x.length), g = new Float32Array(x.length);
        js.softmax(x, w, outer, n, inner, log);
        nb.softmax(x, g, outer, n, inner, log);
        expectClose(g, w, { rtol: 1e-5, atol: 1e-6 }, `softmax log=${log}`);
        const dw = new Float32Array(x.length), dg = new Float32Array(x.length);
        js.softmaxBackward(w, dy, dw, outer, n, inner, log);
        nb.softmaxBackward(w, dy, dg, outer, n, inner, log);
        expectClose(dg, dw, { rtol: 1e-5, atol: 1e-5 }, `softmaxBackward log=${log}`);
      }
    }
  });
});

d('native element-wise binding: bad arguments', () => {
  const b = nativeBinding()!;
  const f = new Float32Array(8);
  const i32 = new Int32Array(8);
  const expectErr = (fn: () => unknown, type: typeof TypeError | typeof RangeError, name: string) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(new RegExp(`^${name}`));
  };
  it('unary / unaryBackward', () => {
    const u = b.unary as (...a: unknown[]) => void;
    expectErr(() => u(0, f, f, 8), TypeError, 'unary');
    expectErr(() => u(0, i32, f, 8, 0), TypeError, 'unary');
    expectErr(() => u(0, f, [1, 2], 2, 0), TypeError, 'unary');
    expectErr(() => u(UNARYOP_NAMES.length, f, f, 8, 0), RangeError, 'unary');
    expectErr(() => u(-1, f, f, 8, 0), RangeError, 'unary');
    expectErr(() => u(0, f, f, 9, 0), RangeError, 'unary');
    expectErr(() => u(0, f, f, NaN, 0), RangeError, 'unary');
    expectErr(() => u(0, f, f, -1, 0), RangeError, 'unary');
    expectErr(() => u(0, f, f, 1.5, 0), RangeError, 'unary');
    expectErr(() => u(0, f, f, '8', 0), TypeError, 'unary');
    const ub = b.unaryBackward as (...a: unknown[]) => void;
    expectErr(() => ub(0, f, f, f, new Float32Array(3), 8, 0), RangeError, 'unaryBackward');
    expectErr(() => ub(0, f, f, f, f, 8), TypeError, 'unaryBackward');
  });
  it('binary / copy meta', () => {
    const bin = b.binary as (...a: unknown[]) => void;
    expectErr(() => bin(0, f, f, f, new Int32Array([1, 9, 1, 1])), RangeError, 'binary');       // out too short
    expectErr(() => bin(0, f, f, f, new Int32Array([1, 8, 2, 1])), RangeError, 'binary');       // a's span 15
    expectErr(() => bin(0, f, f, f, new Int32Array([1, 8, -1, 1])), RangeError, 'binary');      // negative stride
    expectErr(() => bin(0, f, f, f, new Int32Array([2, 8, 1, 1])), RangeError, 'binary');       // rank vs length
    expectErr(() => bin(0, f, f, f, new Int32Array([33])), RangeError, 'binary');
    expectErr(() => bin(0, f, f, f, new Float32Array([1, 8, 1, 1])), TypeError, 'binary');
    expectErr(() => bin(BINARYOP_NAMES.length, f, f, f, new Int32Array([1, 8, 1, 1])), RangeError, 'binary');
    expectErr(() => bin(0, f, f, f, new Int32Array([2, 65536, 65536, 1, 1, 1, 1])), RangeError, 'binary');
    const cp = b.copy as (...a: unknown[]) => void;
    expectErr(() => cp(new Int32Array([1, 8, 1, 1]), f, 1, f, 0, false), RangeError, 'copy');
    expectErr(() => cp(new Int32Array([1, 8, 1, 1]), f, 0, f, -1, false), RangeError, 'copy');
    expectErr(() => cp(new Int32Array([1, 8, 1, 1]), f, 0, f, 0, 1), TypeError, 'copy');
  });
  it('reduce / softmax / softmaxBackward', () => {
    const r = b.reduce as (...a: unknown[]) => void;
    expectErr(() => r(7, f, f, 1, 8, 1), RangeError, 'reduce');
    expectErr(() => r(0, f, f, 1, 9, 1), RangeError, 'reduce');
    expectErr(() => r(0, f, new Float32Array(1), 2, 4, 1), RangeError, 'reduce');
    expectErr(() => r(2, f, f, 1, 0, 1), RangeError, 'reduce');
    expectErr(() => r(0, f, f, 1, 8), TypeError, 'reduce');
    const s = b.softmax as (...a: unknown[]) => void;
    expectErr(() => s(f, f, 3, 3, 1, false), RangeError, 'softmax');
    expectErr(() => s(f, f, 1, 8, 1, 'no'), TypeError, 'softmax');
    expectErr(() => s(f, f, 2 ** 31, 8, 1, false), RangeError, 'softmax');
    const sb = b.softmaxBackward as (...a: unknown[]) => void;
    expectErr(() => sb(f, f, new Float32Array(2), 1, 8, 1, false), RangeError, 'softmaxBackward');
  });
});
