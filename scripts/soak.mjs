#!/usr/bin/env node
// Memory soak (issue 9): trains the MNIST MLP (784-256-128-10, Adam, batch 128, shuffled DataLoader over
// ng.data.mnist({ split: 'train', flatten: true })) for N steps on the native backend and samples
// process.memoryUsage() every `every` steps after a forced GC. Reports RSS / external / arrayBuffers /
// heapUsed, their drift after warm-up (first post-warm-up sample to last), and the slope of a least-squares
// line through the post-warm-up samples (MB per 1000 steps). Exit status 1 when the RSS drift is >= 32 MB or
// the RSS slope says it would grow by >= 32 MB over 10,000 steps (a growth trend).
//
//   npm run soak                       (= node --expose-gc scripts/soak.mjs; needs npm run build first)
//   node --expose-gc scripts/soak.mjs --steps 10000 --every 500 --warmup 1000 --backend native --json out.json
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const STEPS = Number(opt('steps', 10000));
const EVERY = Number(opt('every', 500));
const WARMUP = Number(opt('warmup', 1000));
const BACKEND = opt('backend', 'native');
const JSON_OUT = opt('json', null);
const RSS_LIMIT_MB = Number(opt('rss-limit', 32));

if (typeof globalThis.gc !== 'function') {
  console.error('soak: run with --expose-gc (npm run soak does)');
  process.exit(2);
}
const entry = path.join(root, 'dist', 'cjs', 'index.js');
if (!fs.existsSync(entry)) {
  console.error(`soak: ${entry} is missing: run npm run build first`);
  process.exit(2);
}
const ng = require(entry);
ng.setBackend(BACKEND);
if (ng.getBackend() !== BACKEND) {
  console.error(`soak: backend ${BACKEND} unavailable (got ${ng.getBackend()})`);
  process.exit(2);
}

const MB = 1024 * 1024;
function sample(step) {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { step, rss: m.rss / MB, external: m.external / MB, arrayBuffers: m.arrayBuffers / MB, heapUsed: m.heapUsed / MB };
}
function slopePer1000(samples, key) {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((s, p) => s + p.step, 0) / n;
  const my = samples.reduce((s, p) => s + p[key], 0) / n;
  let sxy = 0, sxx = 0;
  for (const p of samples) { sxy += (p.step - mx) * (p[key] - my); sxx += (p.step - mx) ** 2; }
  return (sxy / sxx) * 1000;
}

ng.manualSeed(0);
const { nn, optim, data } = ng;
const train = data.mnist({ split: 'train', flatten: true });
const ds = new data.TensorDataset(train.images.mul(1 / 255), train.labels);
const loader = new data.DataLoader(ds, { batchSize: 128, shuffle: true, seed: 0, dropLast: true });
const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
const opt2 = new optim.Adam(model.parameters(), { lr: 1e-3 });

const info = ng.nativeInfo();
console.log(`soak: ${STEPS} steps of MNIST 784-256-128-10 Adam b128 on ${ng.getBackend()}` +
  (info ? ` (${info.isa}, ${ng.getNumThreads()} threads)` : '') + `, sample every ${EVERY}, warm-up ${WARMUP}`);
const samples = [sample(0)];
console.log('   step   RSS MB  external MB  arrayBuffers MB  heapUsed MB   loss   steps/s');
const t0 = performance.now();
let step = 0, lastLoss = NaN, tLast = t0;
outer: for (;;) {
  for (const [x, y] of loader) {
    opt2.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt2.step();
    step++;
    if (step % EVERY === 0) {
      lastLoss = loss.item();
      const s = sample(step);
      const now = performance.now();
      samples.push(s);
      console.log(`${String(step).padStart(7)} ${s.rss.toFixed(1).padStart(8)} ${s.external.toFixed(2).padStart(12)} ` +
        `${s.arrayBuffers.toFixed(2).padStart(16)} ${s.heapUsed.toFixed(2).padStart(12)} ${lastLoss.toFixed(3).padStart(6)} ` +
        `${(EVERY / ((now - tLast) / 1000)).toFixed(0).padStart(9)}`);
      tLast = now;
    }
    if (step >= STEPS) break outer;
  }
}
const secs = (performance.now() - t0) / 1000;
const post = samples.filter((s) => s.step >= WARMUP);
const first = post[0], last = post[post.length - 1];
const keys = ['rss', 'external', 'arrayBuffers', 'heapUsed'];
const result = {
  steps: STEPS, every: EVERY, warmup: WARMUP, backend: ng.getBackend(), isa: info?.isa ?? null, threads: ng.getNumThreads(),
  seconds: +secs.toFixed(1), finalLoss: lastLoss,
  drift: Object.fromEntries(keys.map((k) => [k, +(last[k] - first[k]).toFixed(3)])),
  maxMinusMinPostWarmup: Object.fromEntries(keys.map((k) => [k, +(Math.max(...post.map((s) => s[k])) - Math.min(...post.map((s) => s[k]))).toFixed(3)])),
  slopeMBPer1000Steps: Object.fromEntries(keys.map((k) => [k, +slopePer1000(post, k).toFixed(4)])),
  samples,
};
console.log(`\n${STEPS} steps in ${secs.toFixed(1)} s (${(STEPS / secs).toFixed(0)} steps/s), final loss ${lastLoss.toFixed(4)}`);
console.log(`after warm-up (steps ${first.step}..${last.step}):`);
for (const k of keys) {
  console.log(`  ${k.padEnd(13)} drift ${result.drift[k].toFixed(2).padStart(7)} MB   range ${result.maxMinusMinPostWarmup[k].toFixed(2).padStart(6)} MB   ` +
    `slope ${result.slopeMBPer1000Steps[k].toFixed(3).padStart(7)} MB/1000 steps`);
}
if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(result, null, 2));
const trend = result.slopeMBPer1000Steps.rss * 10;
const ok = Math.abs(result.drift.rss) < RSS_LIMIT_MB && trend < RSS_LIMIT_MB;
console.log(ok ? `PASS (RSS drift < ${RSS_LIMIT_MB} MB, no growth trend)` : `FAIL (RSS drift ${result.drift.rss} MB, trend ${trend.toFixed(1)} MB/10k steps)`);
process.exit(ok ? 0 : 1);
