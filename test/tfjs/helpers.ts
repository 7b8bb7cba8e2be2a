// Loads @tensorflow/tfjs and the built nodegrad/tfjs through Node's own require (one CommonJS copy of
// tfjs-core, as an application gets it) and runs a function on one backend at a time.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { repoRoot, requireBuilt } from '../helpers/dist.js';

const req = createRequire(__filename);
requireBuilt();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const tf: any = req('@tensorflow/tfjs');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ngtf: any = req(path.join(repoRoot, 'dist', 'cjs', 'tfjs', 'index.js'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ng: any = req(path.join(repoRoot, 'dist', 'cjs', 'index.js'));

// the cpu backend's "install tfjs-node" banner is noise in test logs
tf.env().set('IS_TEST', true);
const warn = console.warn;
console.warn = (...a: unknown[]) => {
  if (typeof a[0] === 'string' && a[0].includes('tfjs-node')) return;
  warn(...a);
};

/** Runs f with backend `name` active (synchronously; returns what f returns). */
export function onBackend<T>(name: 'cpu' | 'nodegrad', f: () => T): T {
  if (!tf.setBackend(name)) throw new Error(`setBackend(${name}) failed`);
  return f();
}

/** mulberry32: seeded floats in [lo, hi). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** max |a − b| / (1 + |b|) over two arrays of the same length (Infinity when the lengths differ). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (a[i] === b[i]) continue;
    m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  }
  return m;
}
