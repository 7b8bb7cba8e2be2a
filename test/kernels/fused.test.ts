/**
 * Native fused kernels (softmax-cross-entropy, gather/scatter rows, Adam/AdamW, SGD, RMSprop) against
 * the js reference (lib/backend/js/fused.ts), plus the binding's argument validation.
 */
import { describe, expect, it } from 'vitest';
import { backendByName, backends, nativeBinding } from '../../lib/backend/registry.js';
import { expectClose } from '../helpers/tolerance.js';
import { nativeKernelsOnly } from '../helpers/backends.js';
import { mulberry32, randArray } from '../helpers/random.js';

const hasNative = backends().includes('native');
nativeKernelsOnly(); // small shapes would otherwise run on the js kernels
const d = hasNative ? describe : describe.skip;

function rand(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  return randArray(n, seed, lo, hi);
}
function labels(n: number, classes: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * classes));
}
const OPT = { rtol: 2e-6, atol: 1e-6 };

d('native fused kernels vs js', () => {
  const nb = hasNative ? backendByName('native') : null!;
  const js = backendByName('js');

  it('softmaxCrossEntropy (loss and dlogits)', () => {
    for (const [rows, classes] of [[1, 1], [7, 10], [17, 33], [64, 257], [40, 1000], [3, 100003]]) {
      const x = rand(rows * classes, rows + classes, -8, 8);
      if (classes > 4) x[2] = -Infinity;
      const lab = labels(rows, classes, rows);
      for (const withGrad of [false, true]) {
        const lw = new Float32Array(rows), lg = new Float32Array(rows);
        const dw = withGrad ? new Float32Array(x.length) : null, dg = withGrad ? new Float32Array(x.length) : null;
        js.softmaxCrossEntropy(x, lab, lw, dw, rows, classes, 1 / rows);
        nb.softmaxCrossEntropy(x, lab, lg, dg, rows, classes, 1 / rows);
        expectClose(lg, lw, { rtol: 1e-5, atol: 1e-5 }, `loss ${rows}x${classes}`);
        if (dw && dg) expectClose(dg, dw, { rtol: 1e-5, atol: 1e-7 }, `dlogits ${rows}x${classes}`);
      }
    }
  });

  it('gatherRows / scatterAddRows (duplicate indices accumulate)', () => {
    for (const [n, rows, dim] of [[5, 1, 1], [10, 7, 17], [50, 257, 33], [100, 3000, 128], [4, 2, 100003]]) {
      const table = rand(n * dim, n + dim);
      const idx = labels(rows, n, dim);
      const ow = new Float32Array(rows * dim), og = new Float32Array(rows * dim);
      js.gatherRows(table, idx, ow, rows, dim);
      nb.gatherRows(table, idx, og, rows, dim);
      expect(Buffer.compare(Buffer.from(og.buffer), Buffer.from(ow.buffer))).toBe(0);
      const dout = rand(rows * dim, 3);
      const tw = rand(n * dim, 4), tg = tw.slice();
      js.scatterAddRows(dout, idx, tw, rows, dim);
      nb.scatterAddRows(dout, idx, tg, rows, dim);
      expect(Buffer.compare(Buffer.from(tg.buffer), Buffer.from(tw.buffer))).toBe(0);
    }
  });

  const sizes = [1, 7, 17, 33, 257, 100003];
  const state = (seed: number, lo = -1, hi = 1) => sizes.map((n, i) => rand(n, seed + i, lo, hi));
  const clone = (a: Float32Array[]) => a.map((t) => t.slice());

  it('adamStep (Adam and AdamW), several steps', () => {
    for (const decoupled of [false, true]) {
      const pw = state(1), pg = clone(pw), g = state(2), mw = state(3, -0.1, 0.1), mg = clone(mw);
      const vw = state(4, 0, 0.01), vg = clone(vw);
      for (let step = 1; step <= 3; step++) {
        js.adamStep(pw, g, mw, vw, 1e-3, 0.9, 0.999, 1e-8, 0.01, step, decoupled);
        nb.adamStep(pg, g, mg, vg, 1e-3, 0.9, 0.999, 1e-8, 0.01, step, decoupled);
      }
      for (let t = 0; t < sizes.length; t++) {
        expectClose(pg[t], pw[t], OPT, `p[${t}] decoupled=${decoupled}`);
        expectClose(mg[t], mw[t], OPT, `m[${t}]`);
        expectClose(vg[t], vw[t], OPT, `v[${t}]`);
      }
    }
  });

  it('sgdStep (plain, momentum, nesterov, dampening, first step)', () => {
    for (const [momentum, dampening, nesterov] of [[0, 0, false], [0.9, 0, false], [0.9, 0.1, true]] as const) {
      const pw = state(5), pg = clone(pw), g = state(6);
      const bw = momentum ? state(7) : null, bg = bw ? clone(bw) : null;
      for (let step = 1; step <= 3; step++) {
        js.sgdStep(pw, g, bw, 0.1, momentum, dampening, 1e-4, nesterov, step === 1);
        nb.sgdStep(pg, g, bg, 0.1, momentum, dampening, 1e-4, nesterov, step === 1);
      }
      for (let t = 0; t < sizes.length; t++) {
        expectClose(pg[t], pw[t], OPT, `p[${t}] momentum=${momentum}`);
        if (bw && bg) expectClose(bg[t], bw[t], OPT, `buf[${t}]`);
      }
    }
  });

  it('rmspropStep (with and without momentum)', () => {
    for (const momentum of [0, 0.9]) {
      const pw = state(8), pg = clone(pw), g = state(9), sw = state(10, 0, 0.1), sg = clone(sw);
      const bw = momentum ? state(11) : null, bg = bw ? clone(bw) : null;
      for (let step = 0; step < 3; step++) {
        js.rmspropStep(pw, g, sw, bw, 1e-2, 0.99, 1e-8, 1e-3, momentum);
        nb.rmspropStep(pg, g, sg, bg, 1e-2, 0.99, 1e-8, 1e-3, momentum);
      }
      for (let t = 0; t < sizes.length; t++) {
        expectClose(pg[t], pw[t], OPT, `p[${t}] momentum=${momentum}`);
        expectClose(sg[t], sw[t], OPT, `sq[${t}]`);
        if (bw && bg) expectClose(bg[t], bw[t], { rtol: 1e-5, atol: 1e-5 }, `buf[${t}]`);
      }
    }
  });
});

d('native fused binding: bad arguments', () => {
  const b = nativeBinding()! as unknown as Record<string, (...a: unknown[]) => void>;
  const f = new Float32Array(20);
  const expectErr = (fn: () => unknown, type: typeof TypeError | typeof RangeError, re: RegExp) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(re);
  };
  it('softmaxCrossEntropy', () => {
    const lab = new Int32Array([1, 12]);
    expectErr(() => b.softmaxCrossEntropy(f, lab, f, null, 2, 10, 1), RangeError,
      /^softmaxCrossEntropy: label 12 at row 1 is out of range for 10 classes/);
    expectErr(() => b.softmaxCrossEntropy(f, new Int32Array([-1, 0]), f, null, 2, 10, 1), RangeError, /label -1 at row 0/);
    expectErr(() => b.softmaxCrossEntropy(f, new Float32Array(2), f, null, 2, 10, 1), TypeError, /^softmaxCrossEntropy.*labels/);
    expectErr(() => b.softmaxCrossEntropy(f, new Int32Array(2), f, null, 3, 10, 1), RangeError, /^softmaxCrossEntropy/);
    expectErr(() => b.softmaxCrossEntropy(f, new Int32Array(2), f, new Float32Array(3), 2, 10, 1), RangeError, /dlogits/);
    expectErr(() => b.softmaxCrossEntropy(f, new Int32Array(2), f, null, 2, 10, NaN), RangeError, /gradScale/);
    expectErr(() => b.softmaxCrossEntropy(f, new Int32Array(2), f, null, 2, 10), TypeError, /^softmaxCrossEntropy/);
  });
  it('gatherRows / scatterAddRows', () => {
    expectErr(() => b.gatherRows(f, new Int32Array([0, 5]), f, 2, 4), RangeError,
      /^gatherRows: index 5 at row 1 is out of range for 'table' of 5 rows/);
    expectErr(() => b.gatherRows(f, new Int32Array([0, 1]), new Float32Array(7), 2, 4), RangeError, /^gatherRows.*out/);
    expectErr(() => b.gatherRows(f, [0, 1], f, 2, 4), TypeError, /^gatherRows.*idx/);
    expectErr(() => b.scatterAddRows(f, new Int32Array([-2]), f, 1, 4), RangeError, /^scatterAddRows: index -2/);
    expectErr(() => b.scatterAddRows(f, new Int32Array([0]), f, 1, 2.5), RangeError, /^scatterAddRows.*dim/);
  });
  it('optimizers', () => {
    const p = [new Float32Array(3), new Float32Array(4)];
    const s = () => [new Float32Array(3), new Float32Array(4)];
    expectErr(() => b.adamStep(p, s(), s(), [new Float32Array(3)], 1e-3, 0.9, 0.999, 1e-8, 0, 1, false), RangeError, /^adamStep.*'v'/);
    expectErr(() => b.adamStep(p, s(), s(), [new Float32Array(3), new Float32Array(5)], 1e-3, 0.9, 0.999, 1e-8, 0, 1, false),
      RangeError, /^adamStep: v\[1\] has 5 elements, params\[1\] has 4/);
    expectErr(() => b.adamStep(p, s(), s(), s(), 1e-3, 0.9, 0.999, 1e-8, 0, 0, false), RangeError, /^adamStep.*step/);
    expectErr(() => b.adamStep(p, s(), s(), s(), NaN, 0.9, 0.999, 1e-8, 0, 1, false), RangeError, /^adamStep.*lr/);
    expectErr(() => b.adamStep(p, s(), s(), [new Int32Array(3), new Float32Array(4)], 1e-3, 0.9, 0.999, 1e-8, 0, 1, false),
      TypeError, /^adamStep: v\[0\] must be a Float32Array/);
    expectErr(() => b.adamStep(f, s(), s(), s(), 1e-3, 0.9, 0.999, 1e-8, 0, 1, false), TypeError, /^adamStep.*params/);
    expectErr(() => b.sgdStep(p, s(), null, 0.1, 0.9, 0, 0, false, true), TypeError, /^sgdStep.*momentumBufs/);
    expectErr(() => b.sgdStep(p, s(), null, 0.1, -1, 0, 0, false, true), RangeError, /^sgdStep.*momentum/);
    expectErr(() => b.sgdStep(p, s(), null, 0.1, 0, 0, 0, false), TypeError, /^sgdStep/);
    expectErr(() => b.rmspropStep(p, s(), s(), null, 0.1, 0.99, 1e-8, 0, 0.5), TypeError, /^rmspropStep.*momentumBufs/);
    expectErr(() => b.rmspropStep(p, s(), [new Float32Array(3)], null, 0.1, 0.99, 1e-8, 0, 0), RangeError, /^rmspropStep.*squareAvg/);
  });
});
