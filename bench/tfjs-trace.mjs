// Kernel trace of one tfjs model.fit epoch on a backend: calls, elements and ms per kernel, ranked
// (the ranking that chose which kernels nodegrad/tfjs runs natively).
//   node bench/tfjs-trace.mjs [--backend nodegrad] [--model mlp|cnn]
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './peers/common.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const o = parseArgs();
const backend = o.backend ?? 'nodegrad';
const tf = require('@tensorflow/tfjs');
require(path.join(root, 'dist', 'cjs', 'tfjs', 'index.js'));
await tf.setBackend(backend);
const stats = new Map();
for (const k of tf.getKernelsForBackend(backend)) {
  const f = k.kernelFunc;
  const name = k.kernelName;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...k, kernelFunc: (args) => {
    const t0 = performance.now();
    const r = f(args);
    const s = stats.get(name) ?? { calls: 0, ms: 0, elems: 0 };
    s.calls++; s.ms += performance.now() - t0;
    for (const t of Array.isArray(r) ? r : [r]) s.elems += t.shape.reduce((a, b) => a * b, 1);
    stats.set(name, s);
    return r;
  } });
}
const init = (seed) => tf.initializers.glorotUniform({ seed });
const model = o.model ?? 'mlp';
const net = model === 'mlp'
  ? tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: init(1) }),
    tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(2) }),
    tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }),
  ] })
  : tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(4) }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(5) }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(6) }),
  ] });
const n = model === 'mlp' ? 1024 : 256, batch = model === 'mlp' ? 128 : 64;
const x = tf.randomUniform(model === 'mlp' ? [n, 784] : [n, 28, 28, 1], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 2), 10).toFloat();
net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
await net.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
stats.clear();
const t0 = performance.now();
await net.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
const total = performance.now() - t0;
const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((s, [, v]) => s + v.ms, 0);
console.log(`${backend} ${model}: epoch ${total.toFixed(1)} ms, ${inKernels.toFixed(1)} ms inside kernels`);
for (const [k, v] of rows.slice(0, 25)) console.log(`${k.padEnd(22)} ${String(v.calls).padStart(6)} calls ${v.ms.toFixed(2).padStart(9)} ms ${(v.elems / v.calls).toFixed(0).padStart(9)} elems/call`);
