/**
 * Native convolution / pooling / batch-norm kernels against the js reference (lib/backend/js/conv.ts)
 * on random geometries with odd sizes, conv2d against a naive direct convolution, and the binding's
 * argument validation (TypeError/RangeError naming the function).
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Conv2dGeometry } from '../../lib/backend/backend.js';
import { backendByName, backends, getNumThreads, nativeBinding, setNumThreads } from '../../lib/backend/registry.js';
import { conv2d } from '../../lib/ops/conv.js';
import { Tensor } from '../../lib/tensor.js';
import { onJs } from '../helpers/backends.js';
import { REDUCTION, expectClose } from '../helpers/tolerance.js';
import { mulberry32, randArray } from '../helpers/random.js';

const hasNative = backends().includes('native') && typeof (nativeBinding() as unknown as Record<string, unknown> | null)?.conv2d === 'function';
const d = hasNative ? describe : describe.skip;

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  return randArray(n, seed, lo, hi);
}

function geom(n: number, c: number, h: number, w: number, outC: number, k: [number, number], s: [number, number], p: [number, number], dl: [number, number]): Conv2dGeometry {
  const effH = dl[0] * (k[0] - 1) + 1;
  const effW = dl[1] * (k[1] - 1) + 1;
  return {
    n, c, h, w, outC, kH: k[0], kW: k[1], strideH: s[0], strideW: s[1], padH: p[0], padW: p[1], dilationH: dl[0], dilationW: dl[1],
    outH: Math.floor((h + 2 * p[0] - effH) / s[0]) + 1, outW: Math.floor((w + 2 * p[1] - effW) / s[1]) + 1,
  };
}

/** Random valid geometries with sizes drawn from {1, 7, 17} and friends. */
function geometries(count: number, seed: number, pool = false): Conv2dGeometry[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: Conv2dGeometry[] = [];
  while (out.length < count) {
    const k: [number, number] = [pick([1, 2, 3, 5]), pick([1, 2, 3, 4])];
    const s: [number, number] = [pick([1, 1, 2, 3]), pick([1, 2])];
    const dl: [number, number] = pool ? [1, 1] : [pick([1, 1, 2]), pick([1, 2])];
    const p: [number, number] = pool ? [Math.min(pick([0, 1]), k[0] >> 1), Math.min(pick([0, 1]), k[1] >> 1)] : [pick([0, 1, 2]), pick([0, 1])];
    const g = geom(pick([1, 2, 7]), pick([1, 3, 7]), pick([1, 7, 17]), pick([1, 7, 17]), pick([1, 7, 17]), k, s, p, dl);
    if (g.outH >= 1 && g.outW >= 1) out.push(g);
  }
  return out;
}
const sz = (g: Conv2dGeometry) => ({ x: g.n * g.c * g.h * g.w, w: g.outC * g.c * g.kH * g.kW, out: g.n * g.outC * g.outH * g.outW, pool: g.n * g.c * g.outH * g.outW });
const TOL = { rtol: 1e-4, atol: 1e-5 };

/** out[n,o,oh,ow] = b[o] + Σ w[o,c,i,j]·x[n,c,oh·s−p+i·d, ow·s−p+j·d], in float64. */
function naiveConv(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Conv2dGeometry): Float64Array {
  const out = new Float64Array(g.n * g.outC * g.outH * g.outW);
  let k = 0;
  for (let n = 0; n < g.n; n++) for (let o = 0; o < g.outC; o++) for (let oh = 0; oh < g.outH; oh++) for (let ow = 0; ow < g.outW; ow++) {
    let s = b ? b[o] : 0;
    for (let c = 0; c < g.c; c++) for (let i = 0; i < g.kH; i++) for (let j = 0; j < g.kW; j++) {
      const ih = oh * g.strideH - g.padH + i * g.dilationH;
      const iw = ow * g.strideW - g.padW + j * g.dilationW;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
      s += w[((o * g.c + c) * g.kH + i) * g.kW + j] * x[((n * g.c + c) * g.h + ih) * g.w + iw];
    }
    out[k++] = s;
  }
  return out;
}

describe('conv2d vs a naive direct convolution', () => {
  for (const be of backends()) {
    it(`[${be}] random geometries`, () => {
      const B: Backend = backendByName(be);
      if (typeof (B as unknown as Record<string, unknown>).conv2d !== 'function') return;
      for (const [i, g] of geometries(12, 11).entries()) {
        const n = sz(g);
        const x = rand(n.x, i * 3 + 1);
        const w = rand(n.w, i * 3 + 2);
        const b = i % 2 ? rand(g.outC, i * 3 + 3) : null;
        const out = new Float32Array(n.out).fill(NaN);
        B.conv2d(out, x, w, b, g);
        expectClose(out, naiveConv(x, w, b, g), TOL, `conv2d ${JSON.stringify(g)}`);
      }
    });
  }
  it('the op computes the same as the naive loop (stride 2, dilation 2, padding [2,1])', () => {
    const g = geom(2, 3, 17, 7, 5, [3, 2], [2, 1], [2, 1], [2, 1]);
    const x = rand(sz(g).x, 5);
    const w = rand(sz(g).w, 6);
    const y = conv2d(new Tensor(x, [2, 3, 17, 7]), new Tensor(w, [5, 3, 3, 2]), null, { stride: [2, 1], padding: [2, 1], dilation: [2, 1] });
    expect(y.shape).toEqual([2, 5, g.outH, g.outW]);
    expectClose(y.data, naiveConv(x, w, null, g), TOL);
    const yj = onJs(() => conv2d(new Tensor(x, [2, 3, 17, 7]), new Tensor(w, [5, 3, 3, 2]), null, { stride: [2, 1], padding: [2, 1], dilation: [2, 1] }));
    expectClose(y.data, yj.data, TOL);
  });
});

d('native conv / pool / batch-norm kernels vs js', () => {
  const nb = hasNative ? backendByName('native') : null!;
  const js = backendByName('js');
  const threads = getNumThreads();

  for (const t of [1, 2]) {
    it(`conv2d and conv2dBackward (${t} thread${t > 1 ? 's' : ''})`, () => {
      setNumThreads(t);
      try {
        for (const [i, g] of geometries(16, 100 + t).entries()) {
          const n = sz(g);
          const x = rand(n.x, i + 1);
          const w = rand(n.w, i + 2);
          const b = i % 3 ? rand(g.outC, i + 3) : null;
          const what = JSON.stringify(g);
          const o1 = new Float32Array(n.out).fill(NaN);
          const o2 = new Float32Array(n.out);
          nb.conv2d(o1, x, w, b, g);
          js.conv2d(o2, x, w, b, g);
          expectClose(o1, o2, TOL, `conv2d ${what}`);
          const dout = rand(n.out, i + 4);
          const r1 = [new Float32Array(n.x).fill(NaN), new Float32Array(n.w).fill(NaN), new Float32Array(g.outC).fill(NaN)];
          const r2 = [new Float32Array(n.x), new Float32Array(n.w), new Float32Array(g.outC)];
          nb.conv2dBackward(r1[0], r1[1], r1[2], dout, x, w, g);
          js.conv2dBackward(r2[0], r2[1], r2[2], dout, x, w, g);
          expectClose(r1[0], r2[0], TOL, `dx ${what}`);
          expectClose(r1[1], r2[1], TOL, `dweight ${what}`);
          expectClose(r1[2], r2[2], TOL, `dbias ${what}`);
          // null outputs are skipped, the others still right
          const dx = new Float32Array(n.x);
          nb.conv2dBackward(dx, null, null, dout, x, w, g);
          expectClose(dx, r2[0], TOL, `dx only ${what}`);
        }
      } finally {
        setNumThreads(threads);
      }
    });
  }

  it('a training-sized conv (batch 64, 16→32, 5×5 pad 2 on 14×14) on 2 threads', () => {
    const g = geom(64, 16, 14, 14, 32, [5, 5], [1, 1], [2, 2], [1, 1]);
    const n = sz(g);
    const x = rand(n.x, 1);
    const w = rand(n.w, 2);
    const dout = rand(n.out, 3);
    const a = [new Float32Array(n.out), new Float32Array(n.x), new Float32Array(n.w), new Float32Array(g.outC)];
    const b = [new Float32Array(n.out), new Float32Array(n.x), new Float32Array(n.w), new Float32Array(g.outC)];
    nb.conv2d(a[0], x, w, null, g);
    nb.conv2dBackward(a[1], a[2], a[3], dout, x, w, g);
    js.conv2d(b[0], x, w, null, g);
    js.conv2dBackward(b[1], b[2], b[3], dout, x, w, g);
    // dweight sums 64·196 products of magnitude ≤ 1: scale the absolute tolerance
    expectClose(a[0], b[0], { rtol: 1e-4, atol: 1e-4 }, 'out');
    expectClose(a[1], b[1], { rtol: 1e-4, atol: 1e-4 }, 'dx');
    expectClose(a[2], b[2], { rtol: 1e-4, atol: 2e-3 }, 'dweight');
    expectClose(a[3], b[3], { rtol: 1e-4, atol: 2e-3 }, 'dbias');
  });

  it('maxPool2d / avgPool2d forward and backward', () => {
    // the 2×2 stride-2 fast path (odd sizes leave a row/column out) plus random geometries
    const fixed = [geom(2, 3, 7, 17, 0, [2, 2], [2, 2], [0, 0], [1, 1]), geom(1, 2, 28, 28, 0, [2, 2], [2, 2], [0, 0], [1, 1])];
    for (const [i, g] of [...fixed, ...geometries(20, 7, true)].entries()) {
      const n = sz(g);
      const what = JSON.stringify(g);
      const x = rand(n.x, i + 50);
      if (i === 3 || i === 0) x[i === 0 ? 5 : 0] = NaN;
      const o1 = new Float32Array(n.pool);
      const o2 = new Float32Array(n.pool);
      const i1 = new Int32Array(n.pool);
      const i2 = new Int32Array(n.pool);
      nb.maxPool2d(o1, i1, x, g);
      js.maxPool2d(o2, i2, x, g);
      expectClose(o1, o2, { rtol: 0, atol: 0 }, `maxPool2d ${what}`);
      expect(Array.from(i1)).toEqual(Array.from(i2));
      const dout = rand(n.pool, i + 60);
      const d1 = new Float32Array(n.x).fill(NaN);
      const d2 = new Float32Array(n.x);
      nb.maxPool2dBackward(d1, dout, i1, g);
      js.maxPool2dBackward(d2, dout, i2, g);
      expectClose(d1, d2, REDUCTION, `maxPool2dBackward ${what}`);
      nb.avgPool2d(o1, x, g);
      js.avgPool2d(o2, x, g);
      expectClose(o1, o2, { rtol: 1e-5, atol: 1e-6 }, `avgPool2d ${what}`);
      nb.avgPool2dBackward(d1, dout, g);
      js.avgPool2dBackward(d2, dout, g);
      expectClose(d1, d2, { rtol: 1e-5, atol: 1e-6 }, `avgPool2dBackward ${what}`);
    }
  });

  it('batchNormStats / batchNormForward / batchNormBackward', () => {
    for (const [i, [N, C, L]] of ([[1, 1, 7], [7, 3, 1], [2, 17, 17], [17, 7, 49], [64, 16, 196], [3, 1, 1]] as const).entries()) {
      const what = `N=${N} C=${C} L=${L}`;
      const x = rand(N * C * L, i + 1, -3, 5);
      const mv = [new Float32Array(C), new Float32Array(C), new Float32Array(C), new Float32Array(C)];
      nb.batchNormStats(mv[0], mv[1], x, N, C, L);
      js.batchNormStats(mv[2], mv[3], x, N, C, L);
      expectClose(mv[0], mv[2], { rtol: 1e-6, atol: 1e-6 }, `mean ${what}`);
      expectClose(mv[1], mv[3], { rtol: 1e-6, atol: 1e-6 }, `var ${what}`);
      const invstd = mv[3].map((v) => 1 / Math.sqrt(v + 1e-5));
      const gamma = i % 2 ? rand(C, i + 2) : null;
      const beta = i % 3 ? rand(C, i + 3) : null;
      const o1 = new Float32Array(x.length);
      const o2 = new Float32Array(x.length);
      nb.batchNormForward(o1, x, mv[2], invstd, gamma, beta, N, C, L);
      js.batchNormForward(o2, x, mv[2], invstd, gamma, beta, N, C, L);
      expectClose(o1, o2, { rtol: 1e-5, atol: 1e-5 }, `forward ${what}`);
      const dout = rand(x.length, i + 4);
      for (const batchStats of [true, false]) {
        const a = [new Float32Array(x.length), new Float32Array(C), new Float32Array(C)];
        const b = [new Float32Array(x.length), new Float32Array(C), new Float32Array(C)];
        nb.batchNormBackward(a[0], a[1], a[2], dout, x, mv[2], invstd, gamma, N, C, L, batchStats);
        js.batchNormBackward(b[0], b[1], b[2], dout, x, mv[2], invstd, gamma, N, C, L, batchStats);
        expectClose(a[0], b[0], { rtol: 1e-4, atol: 1e-4 }, `dx ${what} ${batchStats}`);
        expectClose(a[1], b[1], { rtol: 1e-4, atol: 1e-4 }, `dgamma ${what}`);
        expectClose(a[2], b[2], { rtol: 1e-4, atol: 1e-4 }, `dbeta ${what}`);
      }
    }
  });
});
