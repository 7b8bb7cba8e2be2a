// Training-step and inference figures through the public API, the way a user writes the loop:
// µs per step (median) and minor page faults per step (process.resourceUsage), for
//   - the MNIST MLP 784-256-128-10, batch 128, Adam: reused input vs a fresh input tensor per step
//     (as a DataLoader gives), zeroGrad() (default: set to null) vs zeroGrad(false);
//   - a bigger MLP 784-1024-1024-10 at batch 256;
//   - inference forwards (noGrad) at batch 128.
//   node bench/step.mjs [--threads N] [--steps N] [--json]
import * as ng from '../dist/esm/index.mjs';

const args = process.argv.slice(2);
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
if (opt('--threads')) ng.setNumThreads(+opt('--threads'));
const STEPS = +opt('--steps', 300);
const json = args.includes('--json');

function mlp(sizes) {
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new ng.nn.Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.length) layers.push(new ng.nn.ReLU());
  }
  return new ng.nn.Sequential(...layers);
}

function median(a) { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; }

function run(name, sizes, batch, { fresh, setToNone, infer = false }) {
  ng.manualSeed(0);
  const model = mlp(sizes);
  const optim = new ng.optim.Adam(model.parameters(), { lr: 1e-3 });
  const inF = sizes[0];
  const src = new Float32Array(batch * inF * 8);
  for (let i = 0; i < src.length; i++) src[i] = (i * 2654435761 % 1000) / 1000;
  const labels = new Int32Array(batch * 8);
  for (let i = 0; i < labels.length; i++) labels[i] = i % sizes[sizes.length - 1];
  const fixedX = new ng.Tensor(src.slice(0, batch * inF), [batch, inF]);
  const fixedY = labels.slice(0, batch);
  const step = (k) => {
    const j = k & 7;
    const x = fresh ? new ng.Tensor(src.slice(j * batch * inF, (j + 1) * batch * inF), [batch, inF]) : fixedX;
    const y = fresh ? labels.slice(j * batch, (j + 1) * batch) : fixedY;
    if (infer) { ng.noGrad(() => model.forward(x)); return; }
    optim.zeroGrad(setToNone);
    const loss = ng.F.crossEntropy(model.forward(x), y);
    loss.backward();
    optim.step();
  };
  for (let k = 0; k < 50; k++) step(k);
  const times = [];
  const pf0 = process.resourceUsage().minorPageFault;
  const rss0 = process.memoryUsage().rss;
  for (let k = 0; k < STEPS; k++) {
    const t = process.hrtime.bigint();
    step(k);
    times.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  const faults = (process.resourceUsage().minorPageFault - pf0) / STEPS;
  const r = { name, batch, usPerStep: median(times), faultsPerStep: faults, rssMB: process.memoryUsage().rss / 1e6, rssGrowthMB: (process.memoryUsage().rss - rss0) / 1e6 };
  if (!json) console.log(`${name.padEnd(58)} ${r.usPerStep.toFixed(0).padStart(7)} µs/step  ${faults.toFixed(1).padStart(7)} faults/step  rss ${r.rssMB.toFixed(0)} MB (+${r.rssGrowthMB.toFixed(1)})`);
  return r;
}

const out = { threads: ng.getNumThreads(), pool: ng.allocStats, results: [] };
const small = [784, 256, 128, 10];
const big = [784, 1024, 1024, 10];
out.results.push(run('mlp 784-256-128-10 b128 reused x, zeroGrad(false)', small, 128, { fresh: false, setToNone: false }));
out.results.push(run('mlp 784-256-128-10 b128 fresh x, zeroGrad(false)', small, 128, { fresh: true, setToNone: false }));
out.results.push(run('mlp 784-256-128-10 b128 fresh x, zeroGrad() (user loop)', small, 128, { fresh: true, setToNone: true }));
out.results.push(run('mlp 784-1024-1024-10 b256 fresh x, zeroGrad() (user loop)', big, 256, { fresh: true, setToNone: true }));
out.results.push(run('inference 784-256-128-10 b128 fresh x', small, 128, { fresh: true, infer: true }));
out.results.push(run('inference 784-1024-1024-10 b256 fresh x', big, 256, { fresh: true, infer: true }));
out.pool = ng.allocStats();
if (json) console.log(JSON.stringify(out));
else console.log('pool', out.pool);
