/**
 * Native LayerNorm and flash-attention kernels against the js reference (lib/backend/js/attention.ts),
 * on odd shapes, every ISA (this folder reruns per NODEGRAD_ISA): L ∈ {1, 7, 64, 257}, E ∈ {8, 16, 64},
 * causal or not, bool-derived and float masks, L ≠ S, strided heads of a fused qkv, fully masked rows.
 */
import { describe, expect, it } from 'vitest';
import type { SdpaGeometry } from '../../lib/backend/backend.js';
import { backendByName, backends } from '../../lib/backend/registry.js';
import { expectClose } from '../helpers/tolerance.js';
import { nativeKernelsOnly } from '../helpers/backends.js';
import { randArray } from '../helpers/random.js';

const hasNative = backends().includes('native');
nativeKernelsOnly();
const d = hasNative ? describe : describe.skip;

/** A contiguous [b0, b1, R, C] geometry's strides. */
const cs = (b1: number, R: number, C: number): [number, number, number] => [b1 * R * C, R * C, C];

d('native LayerNorm vs js', () => {
  const nb = hasNative ? backendByName('native') : null!;
  const js = backendByName('js');
  it('forward and backward, with and without affine, odd sizes', () => {
    for (const [rows, n] of [[1, 1], [3, 7], [17, 33], [64, 768], [300, 129], [2048, 64]]) {
      const x = randArray(rows * n, rows + n, -3, 3);
      for (let i = 0; i < x.length; i += 5) x[i] += 7; // a non-zero mean
      const w = randArray(n, 7, 0.5, 1.5);
      const b = randArray(n, 8, -1, 1);
      const dout = randArray(rows * n, 9, -1, 1);
      for (const [ww, bb] of [[w, b], [w, null], [null, b], [null, null]] as const) {
        const run = (be: typeof js) => {
          const out = new Float32Array(rows * n), mean = new Float32Array(rows), rstd = new Float32Array(rows);
          be.layerNorm(out, mean, rstd, x, ww, bb, rows, n, 1e-5);
          const dx = new Float32Array(rows * n), dw = new Float32Array(n).fill(9), db = new Float32Array(n).fill(9);
          be.layerNormBackward(dx, ww ? dw : null, bb ? db : null, dout, x, mean, rstd, ww, rows, n);
          return { out, mean, rstd, dx, dw, db };
        };
        const a = run(nb), e = run(js);
        const tag = `${rows}x${n} w=${!!ww} b=${!!bb}`;
        expectClose(a.mean, e.mean, { rtol: 1e-6, atol: 1e-6 }, `mean ${tag}`);
        expectClose(a.rstd, e.rstd, { rtol: 1e-6, atol: 1e-6 }, `rstd ${tag}`);
        expectClose(a.out, e.out, { rtol: 1e-5, atol: 1e-5 }, `out ${tag}`);
        expectClose(a.dx, e.dx, { rtol: 1e-4, atol: 1e-5 }, `dx ${tag}`);
        if (ww) expectClose(a.dw, e.dw, { rtol: 1e-4, atol: 1e-4 }, `dw ${tag}`);
        if (bb) expectClose(a.db, e.db, { rtol: 1e-4, atol: 1e-4 }, `db ${tag}`);
      }
    }
  });
  it('out may be x; dx only; deterministic across thread counts', async () => {
    const { setNumThreads, getNumThreads } = await import('../../lib/backend/registry.js');
    const rows = 4096, n = 96;
    const x = randArray(rows * n, 3, -2, 2), w = randArray(n, 4, -1, 1), dout = randArray(rows * n, 5, -1, 1);
    const res: Float32Array[] = [];
    const prev = getNumThreads();
    for (const t of [1, 2, 3]) {
      setNumThreads(t);
      const mean = new Float32Array(rows), rstd = new Float32Array(rows), dw = new Float32Array(n), dx = new Float32Array(rows * n);
      const y = x.slice();
      nb.layerNorm(y, mean, rstd, y, w, null, rows, n, 1e-5);
      nb.layerNormBackward(dx, dw, null, dout, x, mean, rstd, w, rows, n);
      res.push(new Float32Array([...y.subarray(0, 64), ...dx.subarray(0, 64), ...dw]));
    }
    setNumThreads(prev);
    expect(res[1]).toEqual(res[0]);
    expect(res[2]).toEqual(res[0]);
  });
});

d('native SDPA vs js', () => {
  const nb = hasNative ? backendByName('native') : null!;
  const js = backendByName('js');

  function check(g: SdpaGeometry, q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, tag: string) {
    const heads = g.b0 * g.b1;
    const dout = randArray(heads * g.L * g.Ev, 99, -1, 1);
    const run = (be: typeof js) => {
      const out = new Float32Array(heads * g.L * g.Ev).fill(NaN), lse = new Float32Array(heads * g.L).fill(NaN);
      be.sdpa(out, lse, q, k, v, mask, g);
      const dq = new Float32Array(heads * g.L * g.E).fill(NaN);
      const dk = new Float32Array(heads * g.S * g.E).fill(NaN);
      const dv = new Float32Array(heads * g.S * g.Ev).fill(NaN);
      be.sdpaBackward(dq, dk, dv, dout, q, k, v, out, lse, mask, g);
      return { out, lse, dq, dk, dv };
    };
    const a = run(nb), e = run(js);
    expectClose(a.out, e.out, { rtol: 1e-4, atol: 2e-5 }, `out ${tag}`);
    expectClose(a.lse, e.lse, { rtol: 1e-5, atol: 1e-5 }, `lse ${tag}`);
    expectClose(a.dq, e.dq, { rtol: 1e-3, atol: 1e-4 }, `dq ${tag}`);
    expectClose(a.dk, e.dk, { rtol: 1e-3, atol: 1e-4 }, `dk ${tag}`);
    expectClose(a.dv, e.dv, { rtol: 1e-3, atol: 1e-4 }, `dv ${tag}`);
    return a;
  }

  it('contiguous heads: L ∈ {1, 7, 64, 257}, E ∈ {8, 16, 64}, causal or not, L = S and L ≠ S', () => {
    let seed = 1;
    for (const L of [1, 7, 64, 257]) {
      for (const E of [8, 16, 64]) {
        for (const S of L === 64 ? [64, 33, 130] : [L]) {
          for (const causal of [false, true]) {
            const b0 = 2, b1 = L > 64 ? 1 : 3;
            const Ev = E === 16 ? 24 : E;
            const q = randArray(b0 * b1 * L * E, seed++, -1, 1);
            const k = randArray(b0 * b1 * S * E, seed++, -1, 1);
            const v = randArray(b0 * b1 * S * Ev, seed++, -1, 1);
            const g: SdpaGeometry = {
              b0, b1, L, S, E, Ev, scale: 1 / Math.sqrt(E), causal,
              qStrides: cs(b1, L, E), kStrides: cs(b1, S, E), vStrides: cs(b1, S, Ev), maskStrides: null,
            };
            check(g, q, k, v, null, `L${L} S${S} E${E} causal=${causal}`);
          }
        }
      }
    }
  });

  it('masks: float mask broadcast over heads, bool-derived −inf entries, fully masked rows', () => {
    const b0 = 2, b1 = 2, L = 70, S = 90, E = 16, Ev = 16;
    const q = randArray(b0 * b1 * L * E, 11, -1, 1), k = randArray(b0 * b1 * S * E, 12, -1, 1), v = randArray(b0 * b1 * S * Ev, 13, -1, 1);
    const mask = randArray(b0 * L * S, 14, -2, 2); // [b0, 1, L, S]
    for (let i = 0; i < mask.length; i += 3) mask[i] = -Infinity;
    for (let j = 0; j < S; j++) mask[5 * S + j] = -Infinity; // row 5 of batch 0: every key masked
    const g: SdpaGeometry = {
      b0, b1, L, S, E, Ev, scale: 0.3, causal: false,
      qStrides: cs(b1, L, E), kStrides: cs(b1, S, E), vStrides: cs(b1, S, Ev), maskStrides: [L * S, 0, S, 1],
    };
    const a = check(g, q, k, v, mask, 'masked');
    for (let h = 0; h < 2; h++) {
      const row = a.out.subarray((h * L + 5) * Ev, (h * L + 6) * Ev);
      expect(Array.from(row)).toEqual(new Array(Ev).fill(0));
      expect(a.lse[h * L + 5]).toBe(-Infinity);
      expect(Array.from(a.dq.subarray((h * L + 5) * E, (h * L + 6) * E))).toEqual(new Array(E).fill(0));
    }
  });

  it('strided heads of a fused qkv [B, T, 3C] (no copies), causal', () => {
    const B = 2, T = 100, H = 3, hs = 16, C = H * hs;
    const qkv = randArray(B * T * 3 * C, 21, -1, 1);
    // q, k, v as [B, H, T, hs] views: strides [T·3C, hs, 3C, 1], offsets 0, C, 2C
    const st: [number, number, number] = [T * 3 * C, hs, 3 * C];
    const g: SdpaGeometry = { b0: B, b1: H, L: T, S: T, E: hs, Ev: hs, scale: 0.25, causal: true, qStrides: st, kStrides: st, vStrides: st, maskStrides: null };
    check(g, qkv, qkv.subarray(C), qkv.subarray(2 * C), null, 'fused qkv');
  });

  it('causal: keys after the query get exactly zero weight (changing them changes nothing)', () => {
    const L = 257, E = 64;
    const q = randArray(L * E, 31, -1, 1), k = randArray(L * E, 32, -1, 1), v = randArray(L * E, 33, -1, 1);
    const g: SdpaGeometry = { b0: 1, b1: 1, L, S: L, E, Ev: E, scale: 0.125, causal: true, qStrides: cs(1, L, E), kStrides: cs(1, L, E), vStrides: cs(1, L, E), maskStrides: null };
    const out1 = new Float32Array(L * E), lse = new Float32Array(L);
    nb.sdpa(out1, lse, q, k, v, null, g);
    const k2 = k.slice(), v2 = v.slice();
    for (let i = 100 * E; i < L * E; i++) { k2[i] = 1e4; v2[i] = 1e30; }
    const out2 = new Float32Array(L * E);
    nb.sdpa(out2, lse, q, k2, v2, null, g);
    expect(out2.subarray(0, 100 * E)).toEqual(out1.subarray(0, 100 * E));
  });

  it('bit-identical across thread counts', async () => {
    const { setNumThreads, getNumThreads } = await import('../../lib/backend/registry.js');
    const b0 = 2, b1 = 3, L = 200, E = 32;
    const n = b0 * b1 * L * E;
    const q = randArray(n, 41, -1, 1), k = randArray(n, 42, -1, 1), v = randArray(n, 43, -1, 1), dout = randArray(n, 44, -1, 1);
    const g: SdpaGeometry = { b0, b1, L, S: L, E, Ev: E, scale: 0.2, causal: true, qStrides: cs(b1, L, E), kStrides: cs(b1, L, E), vStrides: cs(b1, L, E), maskStrides: null };
    const prev = getNumThreads();
    const res: Float32Array[] = [];
    for (const t of [1, 2, 4]) {
      setNumThreads(t);
      const out = new Float32Array(q.length), lse = new Float32Array(b0 * b1 * L), dq = new Float32Array(q.length), dk = new Float32Array(q.length), dv = new Float32Array(q.length);
      nb.sdpa(out, lse, q, k, v, null, g);
      nb.sdpaBackward(dq, dk, dv, dout, q, k, v, out, lse, null, g);
      res.push(new Float32Array([...out, ...lse, ...dq, ...dk, ...dv]));
    }
    setNumThreads(prev);
    expect(res[1]).toEqual(res[0]);
    expect(res[2]).toEqual(res[0]);
  });
});
