/**
 * Small-op routing of the native backend (lib/backend/native/small.ts): calls on tiny tensors run on
 * the js kernels. Checks that routed and unrouted (pure native) results agree, that routing depends on
 * the call shape only and can be turned off (setSmallOpRouting, NODEGRAD_SMALL_JS=0), and that bad
 * input throws exactly the binding's error either way.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { BINARYOP_NAMES, REDUCEOP_NAMES } from '../../lib/backend/ops.gen.js';
import { BinaryOp, Epilogue, ReduceOp, UnaryOp, type Backend } from '../../lib/backend/backend.js';
import {
  backendByName, backends, getNumThreads, nativeBinding, setNumThreads, setSmallOpRouting, smallOpRouting,
} from '../../lib/backend/registry.js';
import { distEntry, repoRoot, requireBuilt, runNode } from '../helpers/dist.js';
import { ELEMENTWISE, REDUCTION, expectClose } from '../helpers/tolerance.js';
import { randArray } from '../helpers/random.js';

const hasNative = backends().includes('native');
const d = hasNative ? describe : describe.skip;

function rand(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  return randArray(n, seed, lo, hi);
}
const pos = (n: number, seed: number) => rand(n, seed, 0.1, 3);
const lists = (sizes: number[], seed: number, fill?: number) => sizes.map((n, k) => (fill === undefined ? rand(n, seed + k) : new Float32Array(n).fill(fill)));

/**
 * One kernel call on fresh inputs from a seed: `run(be)` calls it on backend `be` and returns every
 * array it wrote. The same seed gives the same inputs, so two runs can be compared.
 */
interface Case {
  name: string;
  kernel: keyof Backend;
  /** small under any sensible budget: must run on js when routing is on */
  tiny?: boolean;
  tol: { rtol: number; atol: number };
  run: (be: Backend) => Float32Array[];
}

function unaryCase(op: number, n: number, backward = false): Case {
  const name = Object.keys(UnaryOp)[op];
  const cheap = op === UnaryOp.relu || op === UnaryOp.scale || (backward && op !== UnaryOp.gelu && op !== UnaryOp.powScalar);
  return {
    name: `${backward ? 'unaryBackward' : 'unary'} ${name} n=${n}`, kernel: backward ? 'unaryBackward' : 'unary', tol: ELEMENTWISE,
    tiny: n === 1 || (cheap && n <= 12),
    run: (be) => {
      const x = op === UnaryOp.log || op === UnaryOp.sqrt || op === UnaryOp.powScalar ? pos(n, n) : rand(n, n);
      const y = new Float32Array(n);
      backendByName('js').unary(op as never, x, y, n, 1.5);
      if (!backward) { be.unary(op as never, x, y, n, 1.5); return [y]; }
      const dx = new Float32Array(n);
      be.unaryBackward(op as never, x, y, rand(n, n + 1), dx, n, 1.5);
      return [dx];
    },
  };
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const n of [1, 7, 12, 17, 64]) {
    for (const op of [UnaryOp.relu, UnaryOp.sigmoid, UnaryOp.exp, UnaryOp.tanh, UnaryOp.gelu, UnaryOp.scale, UnaryOp.powScalar]) {
      out.push(unaryCase(op, n), unaryCase(op, n, true));
    }
  }
  for (const [shape, as, bs] of [[[1], [1], [1]], [[7], [1], [0]], [[4, 3], [3, 1], [0, 1]], [[17], [1], [1]], [[2, 3, 4], [12, 4, 1], [0, 1, 0]], [[8, 8], [8, 1], [1, 0]], [[], [], []]] as number[][][]) {
    for (const op of [BinaryOp.add, BinaryOp.mul, BinaryOp.div, BinaryOp.max]) {
      const span = (st: number[]) => 1 + shape.reduce((s, v, i) => s + (v - 1) * st[i], 0);
      out.push({
        name: `binary ${op} ${JSON.stringify(shape)}`, kernel: 'binary', tol: ELEMENTWISE, tiny: shape.reduce((s, v) => s * v, 1) <= 12,
        run: (be) => {
          const o = new Float32Array(shape.reduce((s, v) => s * v, 1));
          be.binary(op, rand(span(as), 3), as, pos(span(bs), 4), bs, o, shape);
          return [o];
        },
      });
    }
  }
  for (const [outer, n, inner] of [[1, 4, 1], [1, 4, 3], [1, 7, 1], [3, 17, 1], [2, 5, 3], [8, 8, 1]]) {
    for (const op of [ReduceOp.sum, ReduceOp.mean, ReduceOp.max, ReduceOp.argmin, ReduceOp.sumSquares]) {
      out.push({
        name: `reduce ${op} [${outer},${n},${inner}]`, kernel: 'reduce', tol: REDUCTION, tiny: outer * n * inner <= 12,
        run: (be) => { const o = new Float32Array(outer * inner); be.reduce(op, rand(outer * n * inner, 5), o, outer, n, inner); return [o]; },
      });
    }
    for (const log of [false, true]) {
      out.push({
        name: `softmax log=${log} [${outer},${n},${inner}]`, kernel: 'softmax', tol: REDUCTION, tiny: outer * n * inner <= 12,
        run: (be) => {
          const y = new Float32Array(outer * n * inner), dx = new Float32Array(y.length);
          be.softmax(rand(y.length, 6, -4, 4), y, outer, n, inner, log);
          be.softmaxBackward(y, rand(y.length, 7), dx, outer, n, inner, log);
          return [y, dx];
        },
      });
    }
  }
  for (const [shape, ss, ds, so, dof, acc] of [[[3, 2], [1, 3], [2, 1], 0, 0, false], [[2, 3, 4], [1, 2, 6], [12, 4, 1], 1, 2, true], [[5], [0], [1], 3, 0, false], [[], [], [], 2, 1, true], [[8, 8], [1, 8], [8, 1], 0, 0, false]] as [number[], number[], number[], number, number, boolean][]) {
    out.push({
      name: `copy ${JSON.stringify(shape)} acc=${acc}`, kernel: 'copy', tol: ELEMENTWISE, tiny: shape.reduce((s, v) => s * v, 1) <= 24,
      run: (be) => { const dst = rand(80, 9); be.copy(shape, rand(80, 8), so, ss, dst, dof, ds, acc); return [dst]; },
    });
  }
  // the XOR 2-3-1 step's GEMMs, then odd shapes, batches, epilogues, transposes
  const gemms: [boolean, boolean, number, number, number, number, number][] = [
    [false, true, 4, 3, 2, Epilogue.biasSigmoid, 1], [false, true, 4, 1, 3, Epilogue.biasSigmoid, 1],
    [false, false, 4, 3, 1, Epilogue.none, 1], [true, false, 1, 3, 4, Epilogue.none, 1], [true, false, 3, 2, 4, Epilogue.none, 1],
    [false, false, 1, 1, 1, Epilogue.bias, 1], [true, true, 3, 5, 7, Epilogue.biasRelu, 1], [false, false, 4, 4, 4, Epilogue.biasTanh, 1],
    [false, true, 2, 2, 2, Epilogue.biasGelu, 3], [false, false, 2, 3, 2, Epilogue.biasGeluTanh, 2],
  ];
  for (const [g, [tA, tB, M, N, K, epi, batch]] of gemms.entries()) {
    for (const beta of [0, 0.5]) {
      const lda = tA ? M : K, ldb = tB ? K : N, sA = M * K, sB = batch > 2 ? 0 : K * N, sC = M * N;
      out.push({
        name: `gemm tA=${tA} tB=${tB} ${M}x${N}x${K} epi=${epi} batch=${batch} beta=${beta}`, kernel: 'gemm', tol: REDUCTION, tiny: g < 6,
        run: (be) => {
          const C = rand(batch * sC, 12);
          be.gemm(tA, tB, M, N, K, 1.25, rand(batch * sA, 10), lda, rand(sB ? batch * sB : K * N, 11), ldb, beta, C, N, epi as never,
            epi === Epilogue.none ? null : rand(N, 13), batch, sA, sB, sC);
          return [C];
        },
      });
    }
  }
  for (const [rows, classes] of [[1, 1], [4, 3], [2, 7], [3, 10]]) {
    out.push({
      name: `softmaxCrossEntropy ${rows}x${classes}`, kernel: 'softmaxCrossEntropy', tol: REDUCTION, tiny: rows * classes <= 12,
      run: (be) => {
        const losses = new Float32Array(rows), dl = new Float32Array(rows * classes);
        be.softmaxCrossEntropy(rand(rows * classes, 14, -5, 5), Int32Array.from({ length: rows }, (_, r) => (r * 5) % classes), losses, dl, rows, classes, 1 / rows);
        return [losses, dl];
      },
    });
  }
  const sizes = [6, 3, 3, 1]; // XOR 2-3-1 parameters
  for (const [mom, nesterov, wd] of [[0, false, 0], [0.9, false, 0.01], [0.9, true, 0]] as const) {
    out.push({
      name: `sgdStep momentum=${mom} nesterov=${nesterov}`, kernel: 'sgdStep', tol: ELEMENTWISE, tiny: true,
      run: (be) => {
        const p = lists(sizes, 20), g = lists(sizes, 30), bufs = mom ? lists(sizes, 40) : null;
        be.sgdStep(p, g, bufs, 0.1, mom, 0, wd, nesterov, false);
        return [...p, ...(bufs ?? [])];
      },
    });
  }
  for (const decoupled of [false, true]) {
    out.push({
      name: `adamStep decoupled=${decoupled}`, kernel: 'adamStep', tol: { rtol: 2e-6, atol: 1e-6 }, tiny: true,
      run: (be) => {
        const p = lists(sizes, 20), m = lists(sizes, 50), v = lists(sizes, 60, 0.25);
        be.adamStep(p, lists(sizes, 30), m, v, 1e-2, 0.9, 0.999, 1e-8, 0.01, 3, decoupled);
        return [...p, ...m, ...v];
      },
    });
  }
  out.push({
    name: 'rmspropStep momentum=0.5', kernel: 'rmspropStep', tol: { rtol: 2e-6, atol: 1e-6 }, tiny: true,
    run: (be) => {
      const p = lists(sizes, 20), sq = lists(sizes, 70, 0.5), bufs = lists(sizes, 40);
      be.rmspropStep(p, lists(sizes, 30), sq, bufs, 1e-2, 0.99, 1e-8, 0, 0.5);
      return [...p, ...sq, ...bufs];
    },
  });
  return out;
}

/** Counts calls that reach the raw binding, per function (the adapter looks its methods up per call). */
function spyBinding(): { calls: Map<string, number>; restore: () => void } {
  const b = nativeBinding() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const calls = new Map<string, number>();
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  for (const k of Object.keys(b)) {
    if (typeof b[k] !== 'function') continue;
    const f = b[k];
    saved.set(k, f);
    b[k] = (...a: unknown[]) => { calls.set(k, (calls.get(k) ?? 0) + 1); return f(...a); };
  }
  return { calls, restore: () => { for (const [k, f] of saved) b[k] = f; } };
}

function withRouting<T>(on: boolean, fn: () => T): T {
  const prev = setSmallOpRouting(on);
  try {
    return fn();
  } finally {
    setSmallOpRouting(prev);
  }
}

d('native small-op routing', () => {
  const native = hasNative ? backendByName('native') : null!;
  const initial = hasNative ? smallOpRouting() : false;
  afterEach(() => { setSmallOpRouting(initial); });

  it('is on by default, and setSmallOpRouting switches it and returns the previous state', () => {
    if (process.env.NODEGRAD_SMALL_JS === undefined) expect(initial).toBe(true);
    setSmallOpRouting(true);
    expect(setSmallOpRouting(false)).toBe(true);
    expect(smallOpRouting()).toBe(false);
    expect(setSmallOpRouting(true)).toBe(false);
    expect(smallOpRouting()).toBe(true);
    expect(() => setSmallOpRouting('no' as never)).toThrow(TypeError);
    expect(() => setSmallOpRouting('no' as never)).toThrow(/^setSmallOpRouting: argument 'enabled'/);
  });

  it('small calls skip the binding; with routing off every call reaches it', () => {
    const spy = spyBinding();
    try {
      for (const c of cases()) {
        spy.calls.clear();
        withRouting(false, () => c.run(native));
        expect(spy.calls.get(c.kernel) ?? 0, `${c.name} with routing off`).toBeGreaterThan(0);
      }
      const tiny = cases().filter((c) => c.tiny);
      expect(tiny.length).toBeGreaterThan(60);
      for (const c of tiny) {
        spy.calls.clear();
        withRouting(true, () => c.run(native));
        expect(spy.calls.get(c.kernel) ?? 0, `${c.name} reached the binding`).toBe(0);
      }
      // big calls stay native
      spy.calls.clear();
      const n = 4096, x = rand(n, 1), y = new Float32Array(n);
      native.unary(UnaryOp.relu, x, y, n, 0);
      native.binary(BinaryOp.add, x, [1], x, [1], y, [n]);
      native.reduce(ReduceOp.sum, x, y, 1, n, 1);
      native.copy([64, 64], x, 0, [1, 64], y, 0, [64, 1], false);
      native.gemm(false, false, 8, 8, 8, 1, x, 8, x.subarray(64), 8, 0, y, 8, Epilogue.none, null, 1, 0, 0, 0);
      native.sgdStep([y], [x], null, 0.1, 0, 0, 0, false, false);
      for (const k of ['unary', 'binary', 'reduce', 'copy', 'gemm', 'sgdStep']) expect(spy.calls.get(k), k).toBe(1);
    } finally {
      spy.restore();
    }
  });

  it('routed (js) and unrouted (native) results agree within float32 tolerance', () => {
    for (const c of cases()) {
      const want = withRouting(false, () => c.run(native));
      const got = withRouting(true, () => c.run(native));
      expect(got.length).toBe(want.length);
      for (let k = 0; k < got.length; k++) expectClose(got[k], want[k], c.tol, `${c.name} output ${k}`);
    }
  });

  it('the decision reads only the shape: same results for every thread count and every repeat', () => {
    const threads = getNumThreads();
    try {
      for (const c of cases()) {
        setNumThreads(1);
        const a = c.run(native);
        setNumThreads(Math.max(2, threads));
        const b = c.run(native);
        const again = c.run(native);
        for (let k = 0; k < a.length; k++) {
          expect(Buffer.compare(Buffer.from(a[k].buffer, a[k].byteOffset, a[k].byteLength), Buffer.from(b[k].buffer, b[k].byteOffset, b[k].byteLength)), `${c.name} 1 vs ${Math.max(2, threads)} threads`).toBe(0);
          expect(Array.from(again[k]), `${c.name} repeat`).toEqual(Array.from(b[k]));
        }
      }
    } finally {
      setNumThreads(threads);
    }
  });

  it('an XOR 2-3-1 training run gives the same losses routed and unrouted', () => {
    const prev = ng.getBackend();
    ng.setBackend('native');
    const train = (): number[] => {
      ng.manualSeed(4);
      const model = new ng.nn.Sequential(new ng.nn.Linear(2, 3), new ng.nn.Sigmoid(), new ng.nn.Linear(3, 1), new ng.nn.Sigmoid());
      const x = ng.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
      const y = ng.tensor([[0], [1], [1], [0]]);
      const opt = new ng.optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
      const losses: number[] = [];
      for (let i = 0; i < 300; i++) {
        const l = ng.F.mseLoss(model.forward(x), y);
        l.backward();
        opt.step();
        opt.zeroGrad();
        if (i % 30 === 29) losses.push(l.item());
      }
      return losses;
    };
    try {
      const spy = spyBinding();
      let routed: number[];
      try {
        routed = withRouting(true, train);
        // every kernel of this step is small: none reaches the binding
        expect([...spy.calls.entries()].filter(([k]) => k !== 'getNumThreads')).toEqual([]);
      } finally {
        spy.restore();
      }
      const unrouted = withRouting(false, train);
      expectClose(routed, unrouted, { rtol: 1e-4, atol: 1e-6 }, 'XOR losses');
      expect(routed[routed.length - 1]).toBeLessThan(routed[0]);
    } finally {
      ng.setBackend(prev);
    }
  });

  it('bad input throws the binding\'s error, routed or not', () => {
    const f = (n: number) => new Float32Array(n);
    const xs = f(64);
    const bad: [string, () => unknown][] = [
      ['unary x too short', () => native.unary(UnaryOp.relu, f(3), f(4), 4, 0)],
      ['unary out too short', () => native.unary(UnaryOp.relu, f(4), f(3), 4, 0)],
      ['unary op 99', () => native.unary(99 as never, f(4), f(4), 4, 0)],
      ['unary op 1.5', () => native.unary(1.5 as never, f(4), f(4), 4, 0)],
      ['unary op "5"', () => native.unary('5' as never, f(4), f(4), 4, 0)],
      ['unary n -1', () => native.unary(UnaryOp.relu, f(4), f(4), -1, 0)],
      ['unary n 2.5', () => native.unary(UnaryOp.relu, f(4), f(4), 2.5, 0)],
      ['unary n "4"', () => native.unary(UnaryOp.relu, f(4), f(4), '4' as never, 0)],
      ['unary alpha "1"', () => native.unary(UnaryOp.scale, f(4), f(4), 4, '1' as never)],
      ['unary Float64Array', () => native.unary(UnaryOp.relu, new Float64Array(4) as never, f(4), 4, 0)],
      ['unary null x', () => native.unary(UnaryOp.relu, null as never, f(4), 4, 0)],
      ['unaryBackward dy too short', () => native.unaryBackward(UnaryOp.sigmoid, f(4), f(4), f(2), f(4), 4, 0)],
      ['binary a too short', () => native.binary(BinaryOp.add, f(5), [3, 1], f(6), [3, 1], f(6), [2, 3])],
      ['binary out too short', () => native.binary(BinaryOp.add, f(6), [3, 1], f(6), [3, 1], f(5), [2, 3])],
      ['binary op past the table', () => native.binary(BINARYOP_NAMES.length as never, f(6), [3, 1], f(6), [3, 1], f(6), [2, 3])],
      ['binary negative stride', () => native.binary(BinaryOp.add, f(6), [3, -1], f(6), [3, 1], f(6), [2, 3])],
      ['binary negative dim', () => native.binary(BinaryOp.add, f(6), [1], f(6), [1], f(6), [-2])],
      ['binary b an Int32Array', () => native.binary(BinaryOp.add, f(6), [1], new Int32Array(6) as never, [1], f(6), [6])],
      ['reduce max over n = 0', () => native.reduce(ReduceOp.max, f(0), f(3), 1, 0, 3)],
      ['reduce x too short', () => native.reduce(ReduceOp.sum, f(11), f(3), 1, 4, 3)],
      ['reduce op past the table', () => native.reduce(REDUCEOP_NAMES.length as never, f(12), f(3), 1, 4, 3)],
      ['copy src too short', () => native.copy([2, 3], f(6), 1, [3, 1], f(6), 0, [3, 1], false)],
      ['copy dst offset -1', () => native.copy([2, 3], f(6), 0, [3, 1], f(7), -1, [3, 1], false)],
      ['copy accumulate 1', () => native.copy([2, 3], f(6), 0, [3, 1], f(6), 0, [3, 1], 1 as never)],
      ['softmax out too short', () => native.softmax(f(8), f(7), 2, 4, 1, false)],
      ['softmax log "yes"', () => native.softmax(f(8), f(8), 2, 4, 1, 'yes' as never)],
      ['softmaxBackward dy too short', () => native.softmaxBackward(f(8), f(7), f(8), 2, 4, 1, true)],
      ['softmaxCrossEntropy label out of range', () => native.softmaxCrossEntropy(f(6), Int32Array.from([0, 3]), f(2), f(6), 2, 3, 1)],
      ['softmaxCrossEntropy label -1', () => native.softmaxCrossEntropy(f(6), Int32Array.from([-1, 0]), f(2), null, 2, 3, 1)],
      ['softmaxCrossEntropy labels Float32Array', () => native.softmaxCrossEntropy(f(6), f(2) as never, f(2), null, 2, 3, 1)],
      ['softmaxCrossEntropy gradScale NaN', () => native.softmaxCrossEntropy(f(6), Int32Array.from([0, 1]), f(2), f(6), 2, 3, NaN)],
      ['gemm A too short', () => native.gemm(false, false, 4, 3, 2, 1, f(7), 2, f(6), 3, 0, f(12), 3, Epilogue.none, null, 1, 0, 0, 0)],
      ['gemm lda < K', () => native.gemm(false, false, 4, 3, 2, 1, f(8), 1, f(6), 3, 0, f(12), 3, Epilogue.none, null, 1, 0, 0, 0)],
      ['gemm C is A', () => native.gemm(false, false, 2, 2, 2, 1, xs, 2, f(4), 2, 0, xs, 2, Epilogue.none, null, 1, 0, 0, 0)],
      ['gemm C overlaps B (views of > 16 floats)', () => native.gemm(false, false, 1, 1, 1, 1, f(1), 1, xs.subarray(5, 22), 1, 0, xs.subarray(5, 25), 1, Epilogue.none, null, 1, 0, 0, 0)],
      ['gemm C overlaps bias', () => native.gemm(false, false, 1, 2, 1, 1, f(1), 1, f(2), 2, 0, xs.subarray(20, 40), 2, Epilogue.bias, xs.subarray(21, 40), 1, 0, 0, 0)],
      ['gemm bias with epilogue none', () => native.gemm(false, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2, Epilogue.none, f(2), 1, 0, 0, 0)],
      ['gemm bias missing', () => native.gemm(false, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2, Epilogue.bias, null, 1, 0, 0, 0)],
      ['gemm epilogue 7', () => native.gemm(false, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2, 7 as never, f(2), 1, 0, 0, 0)],
      ['gemm alpha Infinity', () => native.gemm(false, false, 2, 2, 2, Infinity, f(4), 2, f(4), 2, 0, f(4), 2, Epilogue.none, null, 1, 0, 0, 0)],
      ['gemm transA 0', () => native.gemm(0 as never, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2, Epilogue.none, null, 1, 0, 0, 0)],
      ['gemm stride too long', () => native.gemm(false, false, 2, 2, 2, 1, f(8), 2, f(4), 2, 0, f(8), 2, Epilogue.none, null, 2, 5, 0, 4)],
      ['sgdStep lengths differ', () => native.sgdStep([f(3), f(2)], [f(3), f(3)], null, 0.1, 0, 0, 0, false, false)],
      ['sgdStep counts differ', () => native.sgdStep([f(3), f(2)], [f(3)], null, 0.1, 0, 0, 0, false, false)],
      ['sgdStep momentum without buffers', () => native.sgdStep([f(3)], [f(3)], null, 0.1, 0.9, 0, 0, false, false)],
      ['sgdStep momentum -1', () => native.sgdStep([f(3)], [f(3)], [f(3)], 0.1, -1, 0, 0, false, false)],
      ['sgdStep lr NaN', () => native.sgdStep([f(3)], [f(3)], null, NaN, 0, 0, 0, false, false)],
      ['sgdStep params not an Array', () => native.sgdStep(f(3) as never, [f(3)], null, 0.1, 0, 0, 0, false, false)],
      ['sgdStep grads[0] a Float64Array', () => native.sgdStep([f(3)], [new Float64Array(3) as never], null, 0.1, 0, 0, 0, false, false)],
      ['adamStep step 0', () => native.adamStep([f(3)], [f(3)], [f(3)], [f(3)], 0.1, 0.9, 0.999, 1e-8, 0, 0, false)],
      ['adamStep v shorter', () => native.adamStep([f(3)], [f(3)], [f(3)], [f(2)], 0.1, 0.9, 0.999, 1e-8, 0, 1, false)],
      ['adamStep decoupled 1', () => native.adamStep([f(3)], [f(3)], [f(3)], [f(3)], 0.1, 0.9, 0.999, 1e-8, 0, 1, 1 as never)],
      ['rmspropStep momentum without buffers', () => native.rmspropStep([f(3)], [f(3)], [f(3)], null, 0.1, 0.99, 1e-8, 0, 0.5)],
      ['rmspropStep squareAvg missing', () => native.rmspropStep([f(3)], [f(3)], [], null, 0.1, 0.99, 1e-8, 0, 0)],
    ];
    const outcome = (fn: () => unknown): string => {
      try {
        fn();
        return 'returned';
      } catch (e) {
        return `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
    };
    for (const [name, fn] of bad) {
      const off = withRouting(false, () => outcome(fn));
      const on = withRouting(true, () => outcome(fn));
      expect(off, `${name}: the binding rejects it`).toMatch(/^(TypeError|RangeError): /);
      expect(on, name).toBe(off);
    }
    // The known gap (small.ts, overlaps()): views of ≤ 16 floats are compared by identity only, as
    // reading .buffer of a small array allocates. Such an overlapping call runs on js, as it would on
    // the js backend; the public API never makes one (it allocates every output).
    const gap = () => native.gemm(false, false, 1, 1, 1, 1, f(1), 1, xs.subarray(0, 1), 1, 0, xs.subarray(0, 4), 1, Epilogue.none, null, 1, 0, 0, 0);
    expect(withRouting(false, () => outcome(gap))).toBe("RangeError: gemm: argument 'C' overlaps 'B'");
    expect(withRouting(true, () => outcome(gap))).toBe('returned');
  });
});

describe.skipIf(!hasNative)('NODEGRAD_SMALL_JS', () => {
  it('=0 turns routing off at load; unset leaves it on', () => {
    requireBuilt();
    const registry = path.join(repoRoot, 'dist', 'cjs', 'backend', 'registry.js');
    const script = `require(${JSON.stringify(distEntry)}); console.log(require(${JSON.stringify(registry)}).smallOpRouting())`;
    for (const [v, want] of [['0', 'false'], ['off', 'false'], [undefined, 'true'], ['1', 'true']] as const) {
      const r = runNode(['-e', script], { env: { NODEGRAD_SMALL_JS: v, NODEGRAD_BACKEND: undefined } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim(), `NODEGRAD_SMALL_JS=${v}`).toBe(want);
    }
  });
});
