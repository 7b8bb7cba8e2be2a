/**
 * Property-based tests (fast-check, seeded, bounded): broadcasting shape inference and values,
 * commutativity of add, reshape/permute/transpose round trips, sum over a dim then sum = sum all,
 * concat then slice = identity — on every backend.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend, ALL_KERNELS } from '../helpers/backends.js';
import { expectClose, REDUCTION } from '../helpers/tolerance.js';

fc.configureGlobal({ seed: 20240909, numRuns: 200, endOnFailure: true });

const dim = fc.integer({ min: 1, max: 4 });
const shapeArb = fc.array(dim, { minLength: 0, maxLength: 4 });
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** values in [-4, 4] on a grid of 1/8: sums of a few are exact in float32 */
const dataFor = (s: readonly number[]) => fc.array(fc.integer({ min: -32, max: 32 }), { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((v) => Float32Array.from(v, (x) => x / 8));
const tensorArb = shapeArb.chain((s) => dataFor(s).map((d) => ng.tensor(d, s)));

/** NumPy broadcasting of two shapes, or null when incompatible. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** Two shapes that broadcast: b is a with some dims set to 1 and some leading dims dropped (or vice versa). */
const broadcastPair = shapeArb.chain((s) =>
  fc.tuple(fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), fc.integer({ min: 0, max: s.length }), fc.boolean()).map(([ones, drop, swap]) => {
    const other = s.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
    return swap ? [other, s] : [s, other];
  }));

function strides(s: readonly number[]): number[] {
  const st = new Array(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = st[i + 1] * s[i + 1];
  return st;
}

forEachBackend('props: broadcasting', ALL_KERNELS, () => {
  it('result shape follows the NumPy rule; incompatible shapes throw', () => {
    fc.assert(fc.property(shapeArb, shapeArb, (sa, sb) => {
      const want = broadcast(sa, sb);
      if (want === null) {
        expect(() => ng.add(ng.zeros(sa), ng.zeros(sb))).toThrow(/add/);
      } else {
        expect(ng.add(ng.zeros(sa), ng.zeros(sb)).shape).toEqual(want);
      }
    }));
  });

  it('a.add(b) equals the element-wise loop over broadcast indices, and add commutes', () => {
    fc.assert(fc.property(broadcastPair.chain(([sa, sb]) => fc.tuple(fc.constant(sa), fc.constant(sb), dataFor(sa), dataFor(sb))), ([sa, sb, da, db]) => {
      const a = ng.tensor(da, sa), b = ng.tensor(db, sb);
      const c = a.add(b);
      const out = broadcast(sa, sb)!;
      expect(c.shape).toEqual(out);
      const n = out.length, sta = strides(sa), stb = strides(sb);
      const want = new Float32Array(sizeOf(out));
      const idx = new Array(n).fill(0);
      for (let k = 0; k < want.length; k++) {
        let ia = 0, ib = 0;
        for (let d = 0; d < n; d++) {
          const da_ = d - (n - sa.length), db_ = d - (n - sb.length);
          if (da_ >= 0 && sa[da_] !== 1) ia += idx[d] * sta[da_];
          if (db_ >= 0 && sb[db_] !== 1) ib += idx[d] * stb[db_];
        }
        want[k] = Math.fround(da[ia] + db[ib]);
        for (let d = n - 1; d >= 0; d--) { if (++idx[d] < out[d]) break; idx[d] = 0; }
      }
      expect(Array.from(c.data)).toEqual(Array.from(want));
      expect(Array.from(b.add(a).data)).toEqual(Array.from(c.data));
    }));
  });
});

forEachBackend('props: shape round trips', ALL_KERNELS, () => {
  it('reshape to a random factorisation and back is the identity', () => {
    fc.assert(fc.property(tensorArb, fc.integer({ min: 0, max: 3 }), (t, k) => {
      const n = t.size;
      const f = [1, 2, 3, 4].filter((d) => n % d === 0)[k % 4] ?? 1;
      const r = t.reshape([f, n / f]).reshape([...t.shape]);
      expect(r.shape).toEqual(t.shape);
      expect(Array.from(r.data)).toEqual(Array.from(t.data));
    }));
  });

  it('permute then the inverse permutation is the identity; transpose twice is the identity', () => {
    fc.assert(fc.property(tensorArb.filter((t) => t.ndim >= 1).chain((t) => fc.tuple(fc.constant(t), fc.shuffledSubarray([...Array(t.ndim).keys()], { minLength: t.ndim, maxLength: t.ndim }), fc.nat(), fc.nat())), ([t, perm, i, j]) => {
      const inv = new Array(perm.length);
      perm.forEach((p, k) => { inv[p] = k; });
      const p = t.permute(perm);
      expect(p.shape).toEqual(perm.map((d) => t.shape[d]));
      const back = p.permute(inv);
      expect(back.shape).toEqual(t.shape);
      expect(Array.from(back.data)).toEqual(Array.from(t.data));
      const d0 = i % t.ndim, d1 = j % t.ndim;
      const tt = t.transpose(d0, d1).transpose(d0, d1);
      expect(Array.from(tt.data)).toEqual(Array.from(t.data));
    }));
  });

  it('concat then slice gives back the parts', () => {
    fc.assert(fc.property(shapeArb.filter((s) => s.length >= 1).chain((s) => fc.tuple(fc.constant(s), fc.nat({ max: s.length - 1 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }))), ([s, d, sizes]) => {
      const parts = sizes.map((k, i) => ng.tensor(Float32Array.from({ length: sizeOf(s) / s[d] * k }, (_, j) => i * 100 + j), s.map((x, q) => (q === d ? k : x))));
      const c = ng.concat(parts, d);
      expect(c.shape[d]).toBe(sizes.reduce((a, b) => a + b, 0));
      let at = 0;
      parts.forEach((p) => {
        const back = ng.slice(c, d, at, at + p.shape[d]);
        expect(back.shape).toEqual(p.shape);
        expect(Array.from(back.data)).toEqual(Array.from(p.data));
        at += p.shape[d];
      });
    }));
  });
});

forEachBackend('props: reductions', ALL_KERNELS, () => {
  it('sum over a dim then sum = sum of all (within tolerance); keepDim only changes the shape', () => {
    fc.assert(fc.property(tensorArb.filter((t) => t.ndim >= 1).chain((t) => fc.tuple(fc.constant(t), fc.nat({ max: t.ndim - 1 }))), ([t, d]) => {
      const all = ng.sum(t).item();
      const partial = ng.sum(t, d);
      expect(partial.shape).toEqual(t.shape.filter((_, i) => i !== d));
      let ref = 0;
      for (const v of t.data) ref += v;
      const mag = Array.from(t.data).reduce((a, v) => a + Math.abs(v), 0);
      expectClose([ng.sum(partial).item()], [ref], { rtol: 0, atol: 1e-6 + REDUCTION.rtol * mag }, 'sum(sum(x, d))');
      expectClose([all], [ref], { rtol: 0, atol: 1e-6 + REDUCTION.rtol * mag }, 'sum(x)');
      const kept = ng.sum(t, d, true);
      expect(kept.shape).toEqual(t.shape.map((x, i) => (i === d ? 1 : x)));
      expect(Array.from(kept.data)).toEqual(Array.from(partial.data));
    }));
  });
});
