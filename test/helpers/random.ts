/** Seeded test data (independent of the library's global generator). */
import { Generator } from '../../lib/random.js';
import { Tensor } from '../../lib/tensor.js';

export interface DataOptions {
  lo?: number;
  hi?: number;
  /** keep |x| ≥ this (away from kinks at 0: relu, abs, log, sqrt, div) */
  awayFromZero?: number;
  requiresGrad?: boolean;
}

/** Uniform data in [lo, hi) (default [−2, 2)) from a fixed seed. */
export function randData(shape: readonly number[], seed: number, o: DataOptions = {}): Tensor {
  const g = new Generator(seed);
  const lo = o.lo ?? -2;
  const hi = o.hi ?? 2;
  const away = o.awayFromZero ?? 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * g.random();
    if (away > 0 && Math.abs(v) < away) v = v < 0 ? -away - Math.abs(v) : away + v;
    d[i] = v;
  }
  return new Tensor(d, [...shape], o.requiresGrad ?? false);
}

/** Positive data in [lo, hi) (default [0.5, 2)) for log/sqrt/div denominators. */
export function positiveData(shape: readonly number[], seed: number, lo = 0.5, hi = 2, requiresGrad = false): Tensor {
  return randData(shape, seed, { lo, hi, requiresGrad });
}

/** mulberry32: a tiny seeded generator of uniform floats in [0, 1) for raw kernel-test inputs. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform floats in [lo, hi) from mulberry32(seed). */
export function randArray(n: number, seed: number, lo: number, hi: number): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}
