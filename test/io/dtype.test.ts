import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16BitsToNumber, f16ToF32, f32ToBf16, f32ToF16, numberToF16Bits, swapBytesInPlace } from '../../lib/io/dtype.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('f16', () => {
  it('known bit patterns', () => {
    const cases: [number, number][] = [
      [0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x0400, 2 ** -14],
      [0x03ff, 1023 * 2 ** -24], [0x7c00, Infinity], [0xfc00, -Infinity], [0x3555, 0.333251953125],
    ];
    const f = f16ToF32(Uint16Array.from(cases.map((c) => c[0])));
    cases.forEach(([h, v], i) => {
      expect(f[i]).toBe(v);
      expect(f16BitsToNumber(h)).toBe(v);
      expect(numberToF16Bits(v)).toBe(h);
    });
    expect(Object.is(f16ToF32(Uint16Array.of(0x8000))[0], -0)).toBe(true);
    expect(f16ToF32(Uint16Array.of(0x7e00))[0]).toBeNaN();
  });
  it('every non-NaN f16 survives f16 → f32 → f16; NaNs stay NaN', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      const ok = isNaN ? (back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0 : back[h] === h;
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
  });
  it('rounds to nearest even, overflows to Infinity, underflows to zero', () => {
    const v = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 65520, 1e6, 2 ** -25, 3 * 2 ** -25, 2 ** -26, -1e-10];
    const want = [1, 1 + 2 ** -9, 65504, Infinity, Infinity, 0, 2 ** -23, 0, -0];
    const got = f16ToF32(f32ToF16(Float32Array.from(v)));
    want.forEach((w, i) => expect(Object.is(got[i], w)).toBe(true));
  });
  it.skipIf(!hasNumpy)('matches numpy astype(float16) on 20000 random float32 (needs python3 + numpy)', () => {
    const x = new Float32Array(20000);
    const u = new Uint32Array(x.buffer);
    let s = 12345;
    for (let i = 0; i < x.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      // exponents around the f16 range, random mantissas
      u[i] = ((s & 1) << 31) | ((95 + (s >>> 1) % 60) << 23) | (Math.imul(s, 2654435761) >>> 9);
    }
    const py = spawnSync('python3', ['-c', 'import sys,numpy as np; a=np.frombuffer(sys.stdin.buffer.read(),"<f4"); sys.stdout.buffer.write(a.astype("<f2").view("<u2").tobytes())'], { input: Buffer.from(x.buffer) });
    expect(py.status).toBe(0);
    const ref = new Uint16Array(py.stdout.buffer.slice(py.stdout.byteOffset, py.stdout.byteOffset + py.stdout.length));
    expect(Array.from(f32ToF16(x))).toEqual(Array.from(ref));
  });
});

describe('bf16', () => {
  it('exact widening and round-to-nearest-even narrowing', () => {
    expect(Array.from(bf16ToF32(Uint16Array.of(0x3f80, 0xc000, 0x7f80, 0x0001)))).toEqual([1, -2, Infinity, 2 ** -133]);
    const v = Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4028234663852886e38, -0, 1.5]);
    expect(Array.from(bf16ToF32(f32ToBf16(v)))).toEqual([1, 1 + 2 ** -6, Infinity, -0, 1.5]);
    expect(bf16ToF32(f32ToBf16(Float32Array.of(NaN)))[0]).toBeNaN();
  });
});

it('swapBytesInPlace', () => {
  const b = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  swapBytesInPlace(b, 4);
  expect(Array.from(b)).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
  swapBytesInPlace(b, 8);
  expect(Array.from(b)).toEqual([5, 6, 7, 8, 1, 2, 3, 4]);
});
