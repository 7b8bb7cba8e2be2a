// TensorFlow.js peer (@tensorflow/tfjs with the wasm or the pure-JS cpu backend): per-op overhead,
// XOR, MNIST MLP (train/acc/infer), CNN — shared protocol of common.mjs. Default initialisers are
// tfjs's own (Glorot-uniform); Adam(1e-3, 0.9, 0.999, eps 1e-8) to match PyTorch's defaults.
//   node bench/peers/tfjs.mjs --backend wasm|cpu [--quick] [--sections ops,xor,mlp,cnn]
import { createRequire } from 'node:module';
import {
  BATCH, CNN_BATCH, LR, XOR_LR, calibrate, cnnSchedule, emit, gatherBatch, loadMnist, loadPerm, mlpSchedule,
  now, parseArgs, stats, usPerCall,
} from './common.mjs';

const require = createRequire(import.meta.url);
const o = parseArgs();
const backend = o.backend ?? 'wasm';
const tf = require('@tensorflow/tfjs');
if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
const log = console.error; // keep stdout for the JSON line
console.warn = () => {};
if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
await tf.ready();
const slow = backend === 'cpu';
const mid = { ...o, quick: true }; // wasm: the quick schedule even in full runs (an epoch takes ~1 min)
const sections = new Set((o.sections ?? 'ops,xor,mlp,cnn').split(','));
const pkg = require('@tensorflow/tfjs/package.json');
const out = { framework: 'tfjs', version: pkg.version, backend, threads: 1, ...(backend === 'wasm' ? { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') } : {}) };

const mlp = () => tf.sequential({ layers: [
  tf.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }),
  tf.layers.dense({ units: 128, activation: 'relu' }),
  tf.layers.dense({ units: 10 }),
] });
const cnn = () => tf.sequential({ layers: [
  tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', inputShape: [28, 28, 1] }),
  tf.layers.batchNormalization(), tf.layers.reLU(), tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same' }),
  tf.layers.batchNormalization(), tf.layers.reLU(), tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.flatten(), tf.layers.dense({ units: 10 }),
] });
const countParams = (m) => m.trainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);

function accuracy(model, test, shape, n = test.n) {
  let c = 0;
  for (let s = 0; s < n; s += 1000) {
    const k = Math.min(1000, n - s);
    const am = tf.tidy(() => model.predict(tf.tensor(test.x.subarray(s * 784, (s + k) * 784), [k, ...shape])).argMax(1).dataSync());
    for (let i = 0; i < k; i++) if (am[i] === test.y[s + i]) c++;
  }
  return c / n;
}

function trainRun(make, shape, bs, sched, train, test, perm, testN) {
  const stepFn = (model, opt) => (b) => {
    const { x, y } = gatherBatch(train, perm, b, bs);
    return tf.tidy(() => {
      const xt = tf.tensor(x, [bs, ...shape]);
      const yt = tf.oneHot(tf.tensor1d(y, 'int32'), 10);
      const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(yt, model.apply(xt, { training: true })), true);
      return l;
    });
  };
  { const m = make(); const s = stepFn(m, tf.train.adam(LR, 0.9, 0.999, 1e-8)); for (let b = 0; b < 3; b++) s(b).dispose(); }
  const model = make();
  const step = stepFn(model, tf.train.adam(LR, 0.9, 0.999, 1e-8));
  const chunks = [];
  let lastLoss = NaN;
  const tAll = now();
  let t0 = now();
  for (let b = 0; b < sched.steps; b++) {
    const l = step(b);
    if ((b + 1) % sched.chunk === 0) {
      lastLoss = l.dataSync()[0]; // forces completion of the chunk
      const t = now();
      chunks.push((sched.chunk * bs) / ((t - t0) / 1e3));
      t0 = now();
    }
    l.dispose();
  }
  const overall = (sched.steps * bs) / ((now() - tAll) / 1e3);
  const acc = accuracy(model, test, shape, testN);
  return { model, res: { samplesPerSec: stats(chunks), overall, steps: sched.steps, chunk: sched.chunk, batch: bs, testAccuracy: acc, testN: testN ?? test.n, lastLoss, params: countParams(model) } };
}

if (sections.has('ops')) {
  const a = tf.randomNormal([8, 8]);
  const b = tf.randomNormal([8, 8]);
  out.ops = { shape: [8, 8], autograd: false, note: 'tfjs records gradients only inside tf.grad/minimize' };
  for (const [k, fn] of Object.entries({ add: () => tf.add(a, b).dispose(), matmul: () => tf.matMul(a, b).dispose(), sigmoid: () => tf.sigmoid(a).dispose() })) {
    for (let i = 0; i < 500; i++) fn();
    out.ops[k] = usPerCall(fn, { iters: calibrate(fn, 30), runs: 7 });
  }
}

if (sections.has('xor')) {
  const model = tf.sequential({ layers: [
    tf.layers.dense({ units: 3, activation: 'sigmoid', inputShape: [2] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
  const x = tf.tensor2d([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tf.tensor2d([[0], [1], [1], [0]]);
  const opt = tf.train.sgd(XOR_LR);
  const step = () => tf.tidy(() => { opt.minimize(() => tf.losses.meanSquaredError(y, model.apply(x))); });
  for (let i = 0; i < 300; i++) step();
  out.xor = { usPerStep: usPerCall(step, { iters: calibrate(step, 50), runs: 7 }) };
}

if (sections.has('mlp') || sections.has('cnn')) {
  const train = loadMnist('train');
  const test = loadMnist('test');
  const perm = loadPerm(train.n);
  if (sections.has('mlp')) {
    const { model, res } = trainRun(mlp, [784], BATCH, mlpSchedule(mid, slow), train, test, perm);
    const batches = [];
    for (let i = 0; i < 16; i++) batches.push(tf.tensor(test.x.subarray(i * BATCH * 784, (i + 1) * BATCH * 784), [BATCH, 784]));
    let k = 0;
    const fwd = () => { const r = model.predict(batches[k++ & 15]); r.dataSync(); r.dispose(); };
    const us = usPerCall(fwd, { iters: calibrate(fwd, slow ? 100 : 200), runs: 7 });
    const sps = (u) => BATCH / (u / 1e6);
    out.mlp = { train: res, infer: { samplesPerSec: { median: sps(us.median), min: sps(us.max), max: sps(us.min), n: us.n }, batch: BATCH } };
    log(`tfjs ${backend} mlp done`);
  }
  if (sections.has('cnn')) {
    // tfjs is NHWC; with one channel the [N, 784] rows reshape to [N, 28, 28, 1] unchanged.
    try {
      const { res } = trainRun(cnn, [28, 28, 1], CNN_BATCH, cnnSchedule(mid, slow), train, test, perm, slow ? 1000 : undefined);
      out.cnn = { train: res };
    } catch (e) {
      out.cnn = { error: String(e.message ?? e).slice(0, 200) };
    }
  }
}

emit(out);
