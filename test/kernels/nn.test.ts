/**
 * The lib/nn kernels (pointwiseLoss / pointwiseLossBackward, nllLoss / nllLossBackward, dropout,
 * indexCheck): native against the js reference (lib/backend/js/nn.ts) on odd sizes, on every ISA
 * project of vitest.config.mts; dropout masks bit-identical across backends, ISAs, thread counts and
 * offsets; loss sums bit-identical across thread counts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LossOp, LossReduction, type LossOpCode } from '../../lib/backend/backend.js';
import { backendByName, backends, getNumThreads, setNumThreads } from '../../lib/backend/registry.js';
import { dropoutBits } from '../../lib/backend/js/nn.js';
import { nativeKernelsOnly } from '../helpers/backends.js';
import { mulberry32, randArray } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

const hasNative = backends().includes('native');
nativeKernelsOnly(); // sizes 1, 7, 17 would otherwise run on the js kernels
const d = hasNative ? describe : describe.skip;
const js = backendByName('js');

const SIZES = [1, 7, 17, 33, 257, 100003];
const OPS: [string, LossOpCode][] = Object.entries(LossOp);

/** Inputs suited to each loss: probabilities for bce (with the clamped ends), logits up to ±30 for the others. */
function inputs(op: LossOpCode, n: number, seed: number): [Float32Array, Float32Array] {
  if (op === LossOp.bce) {
    const p = randArray(n, seed, 0, 1);
    if (n > 3) { p[0] = 0; p[1] = 1; p[2] = 1e-30; }
    return [p, randArray(n, seed + 1, 0, 1)];
  }
  const x = randArray(n, seed, op === LossOp.bceWithLogits ? -30 : -3, op === LossOp.bceWithLogits ? 30 : 3);
  const t = randArray(n, seed + 1, op === LossOp.bceWithLogits ? 0 : -3, op === LossOp.bceWithLogits ? 1 : 3);
  if (n > 3 && op !== LossOp.bceWithLogits) t[3] = x[3]; // d = 0: the kink of l1 / the centre of huber
  return [x, t];
}

const VALUE_TOL = { rtol: 2e-6, atol: 1e-6 };
const GRAD_TOL = { rtol: 2e-6, atol: 1e-6 };

d('native nn kernels vs js', () => {
  const nb = hasNative ? backendByName('native') : null!;
  const threads = getNumThreads();
  afterAll(() => setNumThreads(threads));

  for (const [name, op] of OPS) {
    it(`pointwiseLoss ${name}: none / sum / mean on sizes ${SIZES.join(', ')}`, () => {
      for (const n of SIZES) {
        const [p, t] = inputs(op, n, n + op);
        const delta = 0.7;
        const vj = new Float32Array(n), vn = new Float32Array(n);
        js.pointwiseLoss(op, p, t, vj, n, delta, LossReduction.none);
        nb.pointwiseLoss(op, p, t, vn, n, delta, LossReduction.none);
        // mse/l1/huber are float64 in both (bit-identical); the bce pair take float32 logs/exps natively
        if (op <= LossOp.huber) expect(Array.from(vn), `${name} none n=${n}`).toEqual(Array.from(vj));
        else expectClose(vn, vj, VALUE_TOL, `${name} none n=${n}`);
        for (const red of [LossReduction.sum, LossReduction.mean]) {
          const sj = new Float32Array(1), sn = new Float32Array(1);
          js.pointwiseLoss(op, p, t, sj, n, delta, red);
          nb.pointwiseLoss(op, p, t, sn, n, delta, red);
          expectClose(sn, sj, { rtol: 1e-6, atol: 1e-7 }, `${name} reduction ${red} n=${n}`);
        }
      }
    });

    it(`pointwiseLossBackward ${name}: strides 0 / 1, either output null`, () => {
      for (const n of SIZES) {
        const [p, t] = inputs(op, n, 2 * n + op);
        const g = randArray(n, n + 9, -2, 2);
        for (const stride of [0, 1]) {
          const scale = stride ? 1 : 1 / n;
          const pj = new Float32Array(n), tj = new Float32Array(n), pn = new Float32Array(n), tn = new Float32Array(n);
          js.pointwiseLossBackward(op, p, t, g, stride, pj, tj, n, 0.7, scale);
          nb.pointwiseLossBackward(op, p, t, g, stride, pn, tn, n, 0.7, scale);
          if (op <= LossOp.huber) {
            expect(Array.from(pn), `${name} dpred n=${n}`).toEqual(Array.from(pj));
            expect(Array.from(tn), `${name} dtarget n=${n}`).toEqual(Array.from(tj));
          } else {
            expectClose(pn, pj, GRAD_TOL, `${name} dpred n=${n} stride ${stride}`);
            expectClose(tn, tj, GRAD_TOL, `${name} dtarget n=${n} stride ${stride}`);
          }
          const only = new Float32Array(n).fill(7);
          nb.pointwiseLossBackward(op, p, t, g, stride, null, only, n, 0.7, scale);
          expect(Array.from(only)).toEqual(Array.from(tn));
          nb.pointwiseLossBackward(op, p, t, g, stride, only, null, n, 0.7, scale);
          expect(Array.from(only)).toEqual(Array.from(pn));
        }
      }
    });
  }

  it('loss sums are bit-identical for 1, 2 and 3 threads (chunks fixed by n)', () => {
    // 17M elements: more than 512 chunks of 32K, so the chunk size grows with n
    for (const [n, ops] of [[40000, [LossOp.mse, LossOp.bceWithLogits]], [1 << 20, [LossOp.huber, LossOp.bce]], [17 * 1024 * 1024 + 3, [LossOp.mse]]] as const) {
      for (const op of ops) {
        const [p, t] = inputs(op, n, n);
        const got: number[] = [];
        for (const th of [1, 2, 3]) {
          setNumThreads(th);
          const s = new Float32Array(1);
          nb.pointwiseLoss(op, p, t, s, n, 1, LossReduction.sum);
          got.push(s[0]);
        }
        expect(got[1], `n=${n} op ${op}`).toBe(got[0]);
        expect(got[2], `n=${n} op ${op}`).toBe(got[0]);
        const sj = new Float32Array(1);
        js.pointwiseLoss(op, p, t, sj, n, 1, LossReduction.sum);
        expectClose([got[0]], sj, { rtol: 1e-6, atol: 0 });
      }
    }
    setNumThreads(threads);
  });

  it('huber with an infinite-like delta is ½d²; NaN inputs give NaN', () => {
    const p = Float32Array.from([1, -3, NaN, 2]), t = Float32Array.from([0, 0, 0, NaN]);
    for (const be of [js, nb]) {
      const v = new Float32Array(4);
      be.pointwiseLoss(LossOp.huber, p, t, v, 4, Number.MAX_VALUE, LossReduction.none);
      expect(v[0]).toBe(0.5);
      expect(v[1]).toBe(4.5);
      expect(v[2]).toBeNaN();
      expect(v[3]).toBeNaN();
      const m = new Float32Array(1);
      be.pointwiseLoss(LossOp.mse, p, t, m, 0, 1, LossReduction.mean);
      expect(m[0]).toBeNaN(); // mean of nothing
      be.pointwiseLoss(LossOp.mse, p, t, m, 0, 1, LossReduction.sum);
      expect(m[0]).toBe(0);
    }
  });

  it('nllLoss / nllLossBackward', () => {
    for (const [rows, classes] of [[1, 1], [7, 3], [17, 33], [257, 10], [33, 1000]]) {
      const x = randArray(rows * classes, rows, -5, 0);
      const r = mulberry32(classes);
      const lab = Int32Array.from({ length: rows }, () => Math.floor(r() * classes));
      const lj = new Float32Array(rows), ln = new Float32Array(rows);
      js.nllLoss(x, lab, lj, rows, classes);
      nb.nllLoss(x, lab, ln, rows, classes);
      expect(Array.from(ln)).toEqual(Array.from(lj));
      for (const stride of [0, 1]) {
        const g = randArray(rows, rows + 3, -1, 1);
        const dj = new Float32Array(rows * classes).fill(9), dn = new Float32Array(rows * classes).fill(9);
        js.nllLossBackward(g, stride, lab, dj, rows, classes, 1 / rows);
        nb.nllLossBackward(g, stride, lab, dn, rows, classes, 1 / rows);
        expect(Array.from(dn)).toEqual(Array.from(dj));
      }
    }
  });

  it('indexCheck finds the first out-of-range index', () => {
    for (const n of [1, 7, 17, 33, 63, 64, 65, 257, 100003]) {
      const idx = Int32Array.from({ length: n }, (_, i) => i % 5);
      for (const be of [js, nb]) expect(be.indexCheck(idx, n, 5)).toBe(-1);
      for (const at of [0, n >> 1, n - 1]) {
        for (const bad of [-1, 5, 2 ** 31 - 1, -(2 ** 31)]) {
          const b = idx.slice();
          b[at] = bad;
          if (at + 1 < n) b[n - 1] = -7; // a later bad one must not win
          expect(nb.indexCheck(b, n, 5), `n=${n} at=${at} bad=${bad}`).toBe(at);
          expect(js.indexCheck(b, n, 5)).toBe(at);
        }
      }
      expect(nb.indexCheck(idx, n, 0)).toBe(0);
      expect(nb.indexCheck(idx, 0, 0)).toBe(-1);
    }
  });
});

d('dropout mask', () => {
  const nb = hasNative ? backendByName('native') : null!;
  const threads = getNumThreads();
  afterAll(() => setNumThreads(threads));

  it('is bit-identical on native and js for odd sizes, several p, seeds and offsets', () => {
    for (const n of SIZES) {
      const x = randArray(n, n, -3, 3);
      for (const p of [0, 1e-7, 0.1, 0.5, 0.9, 1 - 2 ** -24, 1]) {
        for (const [s0, s1, off] of [[0, 0, 0], [1, 2, 3], [0xffffffff, 0x9e3779b9, 0xfffffff0]]) {
          const oj = new Float32Array(n), on = new Float32Array(n);
          js.dropout(x, oj, n, p, s0, s1, off);
          nb.dropout(x, on, n, p, s0, s1, off);
          expect(Array.from(on), `n=${n} p=${p} seeds ${s0},${s1} offset ${off}`).toEqual(Array.from(oj));
        }
      }
    }
  });

  it('depends only on (seed, element counter): thread counts, chunks and offsets agree', () => {
    const n = 1_000_003;
    const x = randArray(n, 5, -1, 1);
    const ref = new Float32Array(n);
    js.dropout(x, ref, n, 0.3, 11, 22, 0);
    for (const th of [1, 2, 3]) {
      setNumThreads(th);
      const o = new Float32Array(n);
      nb.dropout(x, o, n, 0.3, 11, 22, 0);
      expect(o.every((v, i) => Object.is(v, ref[i])), `threads ${th}`).toBe(true);
    }
    setNumThreads(threads);
    // a split call with offset k gives the same mask as one call
    const k = 123457;
    const a = new Float32Array(k), b = new Float32Array(n - k);
    nb.dropout(x.subarray(0, k), a, k, 0.3, 11, 22, 0);
    nb.dropout(x.subarray(k), b, n - k, 0.3, 11, 22, k);
    expect(a.every((v, i) => Object.is(v, ref[i])) && b.every((v, i) => Object.is(v, ref[k + i]))).toBe(true);
  });

  it('keeps each element with probability 1 − p, scaled by float32(1/(1 − p)); NaN·0 stays NaN', () => {
    const n = 200_000;
    const ones = new Float32Array(n).fill(1);
    for (const p of [0.1, 0.5, 0.8]) {
      const o = new Float32Array(n);
      nb.dropout(ones, o, n, p, 3, 4, 0);
      const scale = Math.fround(1 / (1 - p));
      let kept = 0;
      let wrong = 0;
      for (const v of o) {
        if (v !== 0) { kept++; if (v !== scale) wrong++; }
      }
      expect(wrong).toBe(0);
      // binomial: 5 standard deviations
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * sd);
    }
    const all = new Float32Array(n);
    nb.dropout(ones, all, n, 0, 3, 4, 0);
    expect(all.every((v) => v === 1)).toBe(true);
    nb.dropout(ones, all, n, 1, 3, 4, 0);
    expect(all.every((v) => v === 0)).toBe(true);
    const nan = new Float32Array(64).fill(NaN), o = new Float32Array(64);
    nb.dropout(nan, o, 64, 0.5, 3, 4, 0);
    expect(o.every((v) => Number.isNaN(v))).toBe(true);
  });

  it('mask bits look uniform: low and high bits, neighbouring counters and seeds uncorrelated', () => {
    const N = 1 << 16;
    // mean of each of the 32 bits over consecutive counters ≈ ½ (5 sd), and adjacent-seed streams differ in ≈ half the bits
    for (const [s0, s1] of [[0, 0], [1, 0], [0, 1], [12345, 67890]]) {
      const ones = new Array<number>(32).fill(0);
      let flips = 0;
      for (let c = 0; c < N; c++) {
        const b = dropoutBits(c, s0, s1);
        for (let k = 0; k < 32; k++) ones[k] += (b >>> k) & 1;
        let x = b ^ dropoutBits(c, s0 + 1, s1);
        while (x) { flips += x & 1; x >>>= 1; }
      }
      const sd = Math.sqrt(N / 4);
      for (let k = 0; k < 32; k++) expect(Math.abs(ones[k] - N / 2), `bit ${k} seeds ${s0},${s1}`).toBeLessThan(5 * sd);
      expect(Math.abs(flips - 16 * N)).toBeLessThan(5 * Math.sqrt(8 * N));
    }
  });
});
