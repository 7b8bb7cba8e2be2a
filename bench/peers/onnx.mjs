// onnxruntime-node peer: inference samples/s of the MNIST MLP at batch 128 from the ONNX file the
// PyTorch peer exported (same architecture; run after torch_bench.py --onnx FILE).
//   node bench/peers/onnx.mjs --model FILE --threads N
import { createRequire } from 'node:module';
import { BATCH, calibrate, emit, loadMnist, parseArgs, stats, now } from './common.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const version = require('onnxruntime-node/package.json').version;
const o = parseArgs();
const threads = +(o.threads ?? 1);
const sess = await ort.InferenceSession.create(o.model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' });
const test = loadMnist('test');
const feeds = [];
for (let i = 0; i < 16; i++) feeds.push({ x: new ort.Tensor('float32', test.x.slice(i * BATCH * 784, (i + 1) * BATCH * 784), [BATCH, 784]) });
let k = 0;
const run = () => sess.run(feeds[k++ & 15]);
for (let i = 0; i < 50; i++) await run();
// calibrate on the async call
let iters = 1;
for (;;) { const t0 = now(); for (let i = 0; i < iters; i++) await run(); if (now() - t0 > 50) break; iters *= 4; }
iters = Math.max(1, Math.round(iters * 4));
const per = [];
for (let r = 0; r < 7; r++) {
  const t0 = now();
  for (let i = 0; i < iters; i++) await run();
  per.push(((now() - t0) * 1e3) / iters);
}
const us = stats(per);
const sps = (u) => BATCH / (u / 1e6);
emit({ framework: 'onnxruntime-node', version, threads, mlp: { infer: { samplesPerSec: { median: sps(us.median), min: sps(us.max), max: sps(us.min), n: us.n }, batch: BATCH } } });
