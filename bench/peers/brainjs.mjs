// brain.js peer: XOR 2-3-1 (sigmoid), learning rate 0.1, momentum 1e-6 (brain.js rejects 0). brain.js trains online (one
// update per example), so one "step" here is one pass over the 4 examples (4 updates), timed with
// net.train({iterations}). It has no mini-batch Adam for the MLP, so only XOR is compared.
import { createRequire } from 'node:module';
import { emit, stats, now } from './common.mjs';

const require = createRequire(import.meta.url);
const brain = require('brain.js');
const version = require('brain.js/package.json').version;
const data = [
  { input: [0, 0], output: [0] }, { input: [0, 1], output: [1] },
  { input: [1, 0], output: [1] }, { input: [1, 1], output: [0] },
];
const net = new brain.NeuralNetwork({ hiddenLayers: [3], activation: 'sigmoid', learningRate: 0.1, momentum: 1e-6 });
const opts = { iterations: 2000, errorThresh: 1e-12, learningRate: 0.1, momentum: 1e-6, log: false };
net.train(data, opts); // warm-up (also initialises)
const iters = 5000;
const per = [];
for (let r = 0; r < 7; r++) {
  const t0 = now();
  net.train(data, { ...opts, iterations: iters });
  per.push(((now() - t0) * 1e3) / iters);
}
emit({ framework: 'brain.js', version, threads: 1, xor: { usPerStep: stats(per), note: 'online SGD: 4 per-example updates per step' } });
