// MNIST-CNN training throughput: samples/s at batch 64 for the LeNet-style network of
// lib/models/mnist-cnn.ts (conv5x5 1→16 pad 2, BN, ReLU, maxpool 2, conv5x5 16→32 pad 2, BN, ReLU,
// maxpool 2, flatten, linear 1568→10; cross-entropy; Adam lr 1e-3), on synthetic inputs.
// native on 1 and 2 threads, js on a few batches, and PyTorch (CPU, same net) when `import torch` works.
// Medians over several timed runs after warm-up.
//
//   npm run build && node bench/cnn.mjs [--quick]
//   NODEGRAD_BENCH_ENTRY=/abs/path/to/entry.ts npx tsx bench/cnn.mjs   (when dist cannot be built)
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { pathToFileURL } from 'node:url';

const quick = process.argv.includes('--quick');
const entry = process.env.NODEGRAD_BENCH_ENTRY ? pathToFileURL(process.env.NODEGRAD_BENCH_ENTRY).href : '../dist/esm/index.mjs';
const ng = await import(entry);

const BATCH = 64;
// forward multiply-adds ×2 per sample: conv1 16·784·25, conv2 32·196·400, linear 1568·10; training ≈ 3× forward
const TRAIN_FLOP_PER_SAMPLE = 3 * 2 * (16 * 784 * 25 + 32 * 196 * 400 + 1568 * 10);

if (!ng.nn?.Conv2d || !ng.nn?.BatchNorm2d || !ng.nn?.MaxPool2d || !ng.optim?.Adam) {
  console.log('cnn: this build does not export nn.Conv2d / nn.BatchNorm2d / nn.MaxPool2d / optim.Adam; skipped');
  process.exit(0);
}

function model() {
  const { nn } = ng;
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 5, { padding: 2 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 5, { padding: 2 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(32 * 7 * 7, 10),
  );
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** samples/s of `runs` timed runs of `steps` training steps each, after `warm` warm-up steps. */
function trainThroughput(backend, threads, warm, runs, steps) {
  ng.setBackend(backend);
  if (threads) ng.setNumThreads(threads);
  ng.manualSeed(0);
  const net = model();
  net.train();
  const opt = new ng.optim.Adam(net.parameters(), { lr: 1e-3 });
  const x = ng.randn([BATCH, 1, 28, 28]);
  const labels = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
  const step = () => {
    const loss = ng.nn.functional.crossEntropy(net.forward(x), labels);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return loss.item();
  };
  for (let i = 0; i < warm; i++) step();
  const rates = [];
  const cpuRates = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    rates.push((BATCH * steps) / ((performance.now() - t0) / 1000));
    const c = process.cpuUsage(c0);
    cpuRates.push((BATCH * steps) / ((c.user + c.system) / 1e6));
  }
  return { rate: median(rates), cpuRate: median(cpuRates) };
}

const PY = `
import sys, time, statistics, torch, torch.nn as nn
threads, warm, runs, steps = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads); torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(16, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.randn(64, 1, 28, 28); y = torch.arange(64) * 7 % 10
def step():
    loss = nn.functional.cross_entropy(net(x), y); opt.zero_grad(); loss.backward(); opt.step()
for _ in range(warm): step()
rates = []
for _ in range(runs):
    t0 = time.perf_counter()
    for _ in range(steps): step()
    rates.append(64 * steps / (time.perf_counter() - t0))
print(statistics.median(rates)); print(torch.__version__)
`;

function torchThroughput(threads, warm, runs, steps) {
  const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { error: 'not installed' };
  const r = spawnSync('python3', ['-c', PY, String(threads), String(warm), String(runs), String(steps)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  const [rate, version] = r.stdout.trim().split('\n');
  return { rate: Number(rate), version };
}

const info = ng.nativeInfo?.();
const cores = os.availableParallelism?.() ?? os.cpus().length;
console.log(`MNIST CNN training, batch ${BATCH}, Adam; ${info ? `native ISA ${info.isa}` : 'native addon not loaded'}; ${cores} cores; ` +
  `~${(TRAIN_FLOP_PER_SAMPLE / 1e6).toFixed(1)} MFLOP per training sample`);
const [warm, runs, steps] = quick ? [3, 3, 5] : [5, 7, 20];
const rows = [];
const add = (name, r, note = '') => rows.push({ name, rate: r.rate, cpuRate: r.cpuRate ?? NaN, note });
if (ng.backends().includes('native')) {
  const prev = ng.getNumThreads();
  for (const t of [1, 2]) add(`nodegrad native, ${t} thread${t > 1 ? 's' : ''}`, trainThroughput('native', t, warm, runs, steps));
  ng.setNumThreads(prev);
} else {
  add('nodegrad native', { rate: NaN }, 'addon not loaded');
}
add('nodegrad js', trainThroughput('js', 0, 1, quick ? 1 : 3, 2), 'few batches');
for (const t of [1, 2]) {
  const r = torchThroughput(t, warm, runs, steps);
  add(`PyTorch CPU, ${t} thread${t > 1 ? 's' : ''}`, { rate: r.rate ?? NaN }, r.error ?? `torch ${r.version}`);
}

// samples per CPU-second (all threads) is robust to other processes sharing the cores: on one
// thread it is the speed an idle core would give; wall-clock samples/s is what a user sees.
console.log('\n| configuration | samples/s | samples per CPU-s | effective GFLOP/s | note |\n| --- | ---: | ---: | ---: | --- |');
const fmt = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '—');
for (const r of rows) {
  console.log(`| ${r.name} | ${fmt(r.rate)} | ${fmt(r.cpuRate)} | ${fmt((r.rate * TRAIN_FLOP_PER_SAMPLE) / 1e9, 1)} | ${r.note} |`);
}
const load = os.loadavg()[0];
if (load > cores * 0.75) console.log(`\n(load average ${load.toFixed(1)} on ${cores} cores during this run: wall-clock figures are pessimistic)`);
