// lib/nn through the backend: µs per forward+backward of the point-wise losses, dropout and Embedding
// on the public API, and the small-call break-even of each new kernel (js kernel vs native binding on
// reused arrays, 1 thread) behind the budgets in lib/backend/native/small-nn.ts. Medians over runs.
// Usage: npm run build && node bench/nn.mjs [--quick] [--sections api,small] [--threads N]
// NG_DIST=/path/to/other/dist/cjs runs the api section against another build (e.g. a checkout of HEAD).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = process.env.NG_DIST ?? path.join(here, '..', 'dist', 'cjs');
const ng = require(path.join(dist, 'index.js'));
const registry = require(path.join(dist, 'backend', 'registry.js'));

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sections = (args[args.indexOf('--sections') + 1] ?? 'api,small').split(',');
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : null;
const RUNS = quick ? 3 : 9;
const TARGET_MS = quick ? 10 : 40;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
function timeIt(fn) {
  for (let i = 0; i < 50; i++) fn();
  let iters = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= TARGET_MS / 4 || iters >= 1 << 22) break;
    iters *= 4;
  }
  const per = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / 1e3 / iters);
  }
  return median(per);
}
const fmt = (us) => (us < 10 ? us.toFixed(2) : us < 1000 ? us.toFixed(1) : us.toFixed(0)).padStart(8);

function rand(n, seed) {
  const g = new ng.Generator(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g.random() * 4 - 2;
  return a;
}

if (sections.includes('api')) {
  if (threads !== null) ng.setNumThreads(threads);
  const F = ng.nn.functional;
  console.log(`api (${dist}), threads ${ng.getNumThreads()}: µs per forward + backward`);
  for (const be of ng.backends()) {
    ng.setBackend(be);
    for (const n of [1280, 1 << 20]) {
      const x = ng.tensor(rand(n, 1), [n], { requiresGrad: true });
      const t = ng.tensor(rand(n, 2), [n]);
      const p = ng.tensor(rand(n, 3).map((v) => (v + 2) / 4 * 0.98 + 0.01), [n], { requiresGrad: true });
      const tp = ng.tensor(rand(n, 4).map((v) => (v + 2) / 4), [n]);
      const row = [];
      for (const [name, f] of [
        ['mse', () => F.mseLoss(x, t)], ['l1', () => F.l1Loss(x, t)], ['huber', () => F.huberLoss(x, t)],
        ['bce', () => F.binaryCrossEntropy(p, tp)], ['bceLogits', () => F.binaryCrossEntropyWithLogits(x, tp)],
        ['mse none', () => F.mseLoss(x, t, { reduction: 'none' }).sum()],
      ]) {
        const us = timeIt(() => { x.grad = null; p.grad = null; f().backward(); });
        row.push(`${name} ${fmt(us)}`);
      }
      console.log(`  [${be}] n=${String(n).padEnd(8)} ${row.join('  ')}`);
    }
    for (const [rows, cols] of [[128, 256], [1024, 1024]]) {
      const x = ng.tensor(rand(rows * cols, 5), [rows, cols], { requiresGrad: true });
      const d = new ng.nn.Dropout(0.5);
      const us = timeIt(() => { x.grad = null; d.forward(x).sum().backward(); });
      const fwd = ng.noGrad ? timeIt(() => ng.noGrad(() => d.forward(x))) : NaN;
      console.log(`  [${be}] Dropout(0.5) [${rows},${cols}]: forward+sum+backward ${fmt(us)}   forward (noGrad) ${fmt(fwd)}`);
    }
    {
      const emb = new ng.nn.Embedding(65, 384);
      const ids = new Int32Array(64 * 256).map((_, i) => (i * 7) % 65);
      const idx = ng.tensor(ids, [64, 256], { dtype: 'int32' });
      const fwd = timeIt(() => ng.noGrad(() => emb.forward(idx)));
      const fb = timeIt(() => { emb.weight.grad = null; emb.forward(idx).sum().backward(); });
      const logits = ng.tensor(rand(128 * 10, 6), [128, 10], { requiresGrad: true });
      const lab = ng.tensor(new Int32Array(128).map((_, i) => i % 10), [128], { dtype: 'int32' });
      const ce = timeIt(() => { logits.grad = null; F.crossEntropy(logits, lab).backward(); });
      console.log(`  [${be}] Embedding(65, 384) on int32 [64,256]: forward ${fmt(fwd)}  forward+sum+backward ${fmt(fb)};  crossEntropy [128,10] int32 labels ${fmt(ce)}`);
    }
  }
}

if (sections.includes('small') && registry.nativeBinding()) {
  const js = registry.backendByName('js');
  const nb = registry.nativeBinding();
  nb.setNumThreads(1);
  console.log('small calls, 1 thread: µs per call, js kernel / native binding');
  for (const n of [4, 8, 16, 32, 64, 128, 256]) {
    const p = rand(n, 1).map((v) => (v + 2) / 4 * 0.98 + 0.01);
    const t = rand(n, 2).map((v) => (v + 2) / 4);
    const out = new Float32Array(n), dp = new Float32Array(n), s = new Float32Array(1);
    const row = [];
    for (const [name, op] of [['mse', 0], ['huber', 2], ['bce', 3], ['bceLogits', 4]]) {
      const a = timeIt(() => js.pointwiseLoss(op, p, t, s, n, 1, 2));
      const b = timeIt(() => nb.pointwiseLoss(op, p, t, s, n, 1, 2));
      const c = timeIt(() => js.pointwiseLossBackward(op, p, t, t, 1, dp, null, n, 1, 1));
      const d = timeIt(() => nb.pointwiseLossBackward(op, p, t, t, 1, dp, null, n, 1, 1));
      row.push(`${name} ${a.toFixed(2)}/${b.toFixed(2)} bw ${c.toFixed(2)}/${d.toFixed(2)}`);
    }
    const a = timeIt(() => js.dropout(p, out, n, 0.5, 1, 2, 0));
    const b = timeIt(() => nb.dropout(p, out, n, 0.5, 1, 2, 0));
    const ids = new Int32Array(n).map((_, i) => i % 7);
    const c = timeIt(() => js.indexCheck(ids, n, 7));
    const d = timeIt(() => nb.indexCheck(ids, n, 7));
    const lp = rand(n * 4, 3);
    const lab = new Int32Array(n).map((_, i) => i % 4);
    const e = timeIt(() => js.nllLoss(lp, lab, out, n, 4));
    const f = timeIt(() => nb.nllLoss(lp, lab, out, n, 4));
    const dx = new Float32Array(n * 4);
    const g = timeIt(() => js.nllLossBackward(t, 1, lab, dx, n, 4, 1));
    const h = timeIt(() => nb.nllLossBackward(t, 1, lab, dx, n, 4, 1));
    console.log(`  n=${String(n).padEnd(4)} ${row.join('  ')}  dropout ${a.toFixed(2)}/${b.toFixed(2)}  indexCheck ${c.toFixed(2)}/${d.toFixed(2)}  nll(C=4) ${e.toFixed(2)}/${f.toFixed(2)} bw ${g.toFixed(2)}/${h.toFixed(2)}`);
  }
}
