import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EpilogueCode } from '../../lib/backend/backend.js';
import { gemm as jsGemm } from '../../lib/backend/js/gemm.js';
import type { NativeBinding } from '../../lib/backend/native/binding.js';
import { mulberry32 } from '../helpers/random.js';

// Native gemm (whatever ISA this process runs: vitest.config.ts reruns test/kernels per ISA)
// against the js reference, plus the binding's argument validation.
const addonPath = path.resolve(__dirname, '..', '..', 'build', 'Release', 'nodegrad.node');
function load(): NativeBinding | null {
  if (!fs.existsSync(addonPath)) return null;
  const mod = { exports: {} as NativeBinding };
  process.dlopen(mod, addonPath);
  return mod.exports;
}
const native = load();


interface Case {
  ta: boolean; tb: boolean; M: number; N: number; K: number; alpha: number; beta: number;
  lda: number; ldb: number; ldc: number; epi: EpilogueCode; batch: number;
  sA: number; sB: number; sC: number; A: Float32Array; B: Float32Array; C: Float32Array; bias: Float32Array | null;
}

function makeCase(rnd: () => number, ta: boolean, tb: boolean, M: number, N: number, K: number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const extra = () => (rnd() < 0.3 ? 1 + Math.floor(rnd() * 4) : 0);
  const lda = Math.max(1, (ta ? M : K) + extra());
  const ldb = Math.max(1, (tb ? K : N) + extra());
  const ldc = N + extra();
  const batch = rnd() < 0.25 ? 2 + Math.floor(rnd() * 2) : 1;
  const extA = (ta ? K : M) * lda, extB = (tb ? N : K) * ldb, extC = M * ldc;
  const sA = rnd() < 0.25 ? 0 : extA + Math.floor(rnd() * 3);
  const sB = rnd() < 0.25 ? 0 : extB + Math.floor(rnd() * 3);
  const sC = batch > 1 && rnd() < 0.15 ? 0 : extC + Math.floor(rnd() * 3);
  const beta = pick([0, 0, 1, 0.75]);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rnd() * 2 - 1);
  const C = fill((batch - 1) * sC + extC + 1);
  if (beta === 0) C.fill(NaN); // beta = 0 must not read C
  const epi = Math.floor(rnd() * 7) as EpilogueCode;
  return {
    ta, tb, M, N, K, alpha: pick([1, 1, -0.5, 2]), beta, lda, ldb, ldc, epi, batch, sA, sB, sC,
    A: fill((batch - 1) * sA + extA + 1), B: fill((batch - 1) * sB + extB + 1), C,
    bias: epi === 0 ? null : fill(N + 1),
  };
}

type GemmFn = typeof jsGemm;
function runWith(f: GemmFn | NativeBinding['gemm'], c: Case, C = c.C.slice()): Float32Array {
  f(c.ta, c.tb, c.M, c.N, c.K, c.alpha, c.A, c.lda, c.B, c.ldb, c.beta, C, c.ldc, c.epi, c.bias, c.batch, c.sA, c.sB, c.sC);
  return C;
}

// |alpha|·Σ|a·b| + |beta·c| + |bias|: the scale of each element's rounding error.
function magnitude(c: Case): Float32Array {
  const abs = (x: Float32Array) => x.map(Math.abs);
  const C0 = c.beta === 0 ? new Float32Array(c.C.length) : abs(c.C);
  const m = runWith(jsGemm, { ...c, A: abs(c.A), B: abs(c.B), C: C0, alpha: Math.abs(c.alpha), beta: Math.abs(c.beta),
    epi: c.bias ? 1 : 0, bias: c.bias ? abs(c.bias) : null });
  return m;
}

function expectMatch(c: Case, got: Float32Array, want: Float32Array, what: string): void {
  const mag = magnitude(c);
  let bad = 0;
  for (let i = 0; i < want.length && bad < 5; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    const tol = 1e-4 * Math.abs(mag[i]) + 1e-5;
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      bad++;
      expect.fail(`${what}: C[${i}] = ${got[i]}, js ${want[i]} (tol ${tol})`);
    }
  }
}

describe.skipIf(!native)('native gemm vs js reference', () => {
  const b = native!;
  const dims = [1, 7, 17, 33, 257];
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      const name = `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;
      it(`${name}: random shapes, ld > row, alpha/beta, epilogues, batches`, () => {
        const rnd = mulberry32(0x9e3779b9 ^ ((ta ? 2 : 0) + (tb ? 1 : 0)));
        for (let rep = 0; rep < 16; rep++) {
          let M = dims[Math.floor(rnd() * 5)], N = dims[Math.floor(rnd() * 5)], K = dims[Math.floor(rnd() * 5)];
          if (M * N * K > 257 * 257 * 33) K = 7; // keep the js side quick
          if (rep === 0) K = 0;
          const c = makeCase(rnd, ta, tb, M, N, K);
          const want = runWith(jsGemm, c);
          const got = runWith(b.gemm, c);
          expectMatch(c, got, want, `${name} M=${M} N=${N} K=${K} epi=${c.epi} beta=${c.beta} batch=${c.batch}`);
          if (c.beta === 0) {
            for (let bi = 0; bi < c.batch; bi++)
              for (let i = 0; i < M; i++)
                for (let j = 0; j < N; j++) expect(Number.isNaN(got[bi * c.sC + i * c.ldc + j])).toBe(false);
          }
        }
      });
    }
  }

  it('is bit-identical on 1 and 2 threads', () => {
    const rnd = mulberry32(7);
    const before = b.getNumThreads();
    try {
      for (const [ta, tb, M, N, K] of [[false, false, 257, 300, 200], [true, false, 300, 17, 257], [false, true, 40, 520, 33]] as const) {
        const c = makeCase(rnd, ta, tb, M, N, K);
        b.setNumThreads(1);
        const one = runWith(b.gemm, c);
        b.setNumThreads(2);
        const two = runWith(b.gemm, c);
        expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
      }
    } finally {
      b.setNumThreads(before);
    }
  });

  it('measures an FMA peak', () => {
    expect(b.fmaPeak(1, 5)).toBeGreaterThan(0);
  });
});

describe.skipIf(!native)('native gemm argument checks', () => {
  const b = native!;
  const A = new Float32Array(12), B = new Float32Array(12), C = new Float32Array(9), bias = new Float32Array(3);
  // M=3, N=3, K=4: A 3×4, B 4×3, C 3×3.
  const good = (): unknown[] => [false, false, 3, 3, 4, 1, A, 4, B, 3, 0, C, 3, 0, null, 1, 0, 0, 0];
  const call = (args: unknown[]) => (b.gemm as unknown as (...a: unknown[]) => void)(...args);
  const expectError = (args: unknown[], type: typeof TypeError | typeof RangeError, arg?: string) => {
    let err: unknown = null;
    try { call(args); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(type);
    expect(String((err as Error).message)).toContain('gemm');
    if (arg) expect(String((err as Error).message)).toContain(arg);
  };
  const withArg = (i: number, v: unknown) => { const a = good(); a[i] = v; return a; };

  it('accepts the baseline call', () => { expect(() => call(good())).not.toThrow(); });
  it('rejects a wrong argument count', () => {
    expectError(good().slice(0, 18), TypeError);
    expectError([...good(), 0], TypeError);
  });
  it('rejects wrong types', () => {
    expectError(withArg(0, 1), TypeError, 'transA');
    expectError(withArg(6, new Float64Array(12)), TypeError, "'A'");
    expectError(withArg(8, [1, 2, 3]), TypeError, "'B'");
    expectError(withArg(11, new Int32Array(9)), TypeError, "'C'");
    expectError(withArg(2, '3'), TypeError, "'M'");
    expectError(withArg(14, bias), TypeError, 'bias'); // epilogue 0 needs null
    const e = withArg(13, 1);
    expectError(e, TypeError, 'bias'); // epilogue 1 needs a Float32Array
  });
  it('rejects bad sizes', () => {
    for (const v of [-1, 1.5, NaN, Infinity, 2 ** 53]) expectError(withArg(2, v), RangeError, "'M'");
    expectError(withArg(13, 7), RangeError, 'epilogue');
    expectError(withArg(5, NaN), RangeError, 'alpha');
    expectError(withArg(10, Infinity), RangeError, 'beta');
    expectError(withArg(16, -3), RangeError, 'strideA');
  });
  it('rejects a too-small leading dimension', () => {
    expectError(withArg(7, 3), RangeError, 'lda');
    expectError(withArg(9, 2), RangeError, 'ldb');
    expectError(withArg(12, 2), RangeError, 'ldc');
    expectError(withArg(1, true), RangeError, 'ldb'); // transB: B is stored N×K = 3×4, so ldb 3 < 4
  });
  it('rejects too-short arrays', () => {
    expectError(withArg(6, new Float32Array(11)), RangeError, "'A'");
    expectError(withArg(8, new Float32Array(11)), RangeError, "'B'");
    expectError(withArg(11, new Float32Array(8)), RangeError, "'C'");
    const e = withArg(13, 2); e[14] = new Float32Array(2);
    expectError(e, RangeError, 'bias');
    const batched = good(); batched[15] = 2; batched[16] = 12; // needs 24 elements of A
    expectError(batched, RangeError, "'A'");
    const huge = good(); huge[15] = 2 ** 31 - 1; huge[18] = 2 ** 53;
    expectError(huge, RangeError);
  });
  it('rejects C overlapping A', () => {
    const buf = new Float32Array(32);
    const a = good(); a[6] = buf.subarray(0, 12); a[11] = buf.subarray(8, 17);
    expectError(a, RangeError, 'overlaps');
  });
});

// Large products are checked cheaply (Freivalds / BLIS testsuite style): C·v against A·(B·v) in
// float64, for every transpose pair, without an O(n³) reference.
describe.skipIf(!native)('native gemm on large shapes, checked against a random vector', () => {
  const rnd = mulberry32(7331);
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    it(`${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} 515×1031×769`, () => {
      const M = 515, N = 1031, K = 769;
      const A = Float32Array.from({ length: M * K }, () => rnd() * 2 - 1);
      const B = Float32Array.from({ length: K * N }, () => rnd() * 2 - 1);
      const C = new Float32Array(M * N);
      native!.gemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C, N, 0, null, 1, 0, 0, 0);
      const v = Float64Array.from({ length: N }, () => rnd() * 2 - 1);
      const a = (i: number, k: number) => (ta ? A[k * M + i] : A[i * K + k]);
      const b = (k: number, j: number) => (tb ? B[j * K + k] : B[k * N + j]);
      const bv = new Float64Array(K);
      for (let k = 0; k < K; k++) { let s = 0; for (let j = 0; j < N; j++) s += b(k, j) * v[j]; bv[k] = s; }
      let worst = 0;
      for (let i = 0; i < M; i++) {
        let want = 0, got = 0, mag = 0;
        for (let k = 0; k < K; k++) { want += a(i, k) * bv[k]; mag += Math.abs(a(i, k) * bv[k]); }
        for (let j = 0; j < N; j++) got += C[i * N + j] * v[j];
        worst = Math.max(worst, Math.abs(got - want) / (mag + 1e-30));
      }
      // float32 products summed over K = 769 and then over N: relative to Σ|terms| well under 1e-5.
      expect(worst).toBeLessThan(1e-5);
    });
  }
});
