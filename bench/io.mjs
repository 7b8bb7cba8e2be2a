// I/O benchmark: MNIST parse (cold and cached), safetensors save/load of a ~50 MB state dict.
// Run after `npm run build` (uses dist/cjs). Prints medians; asserts nothing.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const dist = process.env.NODEGRAD_DIST ?? path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'cjs');
const { mnist } = require(path.join(dist, 'data', 'mnist.js'));
const { saveSafetensors, loadSafetensors } = require(path.join(dist, 'io', 'safetensors.js'));
const { Tensor } = require(path.join(dist, 'tensor.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => { const t = performance.now(); fn(); return performance.now() - t; };

console.log(`mnist train, cold parse: ${time(() => mnist({ split: 'train' })).toFixed(0)} ms`);
console.log(`mnist train, cached:     ${time(() => mnist({ split: 'train' })).toFixed(3)} ms`);
console.log(`mnist test, cold parse:  ${time(() => mnist({ split: 'test', flatten: true })).toFixed(0)} ms`);

const sd = {};
for (let i = 0; i < 50; i++) sd[`layer.${i}.weight`] = new Tensor(new Float32Array(512 * 512).fill(i), [512, 512]);
const mb = (50 * 512 * 512 * 4) / 2 ** 20;
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-bench-')), 'sd.safetensors');
const saves = [], loads = [];
for (let r = 0; r < 5; r++) {
  saves.push(time(() => saveSafetensors(file, sd)));
  loads.push(time(() => loadSafetensors(file)));
}
const s = median(saves), l = median(loads);
console.log(`safetensors save ${mb} MB (atomic, fsync): ${s.toFixed(0)} ms (${(mb / (s / 1000)).toFixed(0)} MB/s)`);
console.log(`safetensors load ${mb} MB (validated):     ${l.toFixed(0)} ms (${(mb / (l / 1000)).toFixed(0)} MB/s)`);
fs.rmSync(path.dirname(file), { recursive: true, force: true });
