// Small- and large-op cost: µs per op for add / mul / sigmoid at 4, 1k and 1M elements, on every
// backend, with autograd off (plain inputs) and on (inputs require grad: the graph is recorded).
// Medians over runs. Usage: npm run build && node bench/ops.mjs [--quick]
import * as ng from '../dist/esm/index.mjs';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 9;
const TARGET_MS = quick ? 10 : 40;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** µs per call of fn: calibrate iterations to ~TARGET_MS per run, then take the median of RUNS. */
function timeIt(fn) {
  for (let i = 0; i < 200; i++) fn(); // JIT warm-up
  let iters = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= TARGET_MS / 4 || iters >= 1 << 24) break;
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

const OPS = {
  add: (a, b) => a.add(b),
  mul: (a, b) => a.mul(b),
  sigmoid: (a) => a.sigmoid(),
};
const SIZES = [4, 1024, 1 << 20];

const rows = [];
for (const backend of ng.backends()) {
  ng.setBackend(backend);
  for (const n of SIZES) {
    ng.manualSeed(0);
    for (const grad of [false, true]) {
      const a = ng.randn([n], { requiresGrad: grad });
      const b = ng.randn([n], { requiresGrad: grad });
      for (const [name, op] of Object.entries(OPS)) {
        let us;
        try {
          us = timeIt(() => op(a, b));
        } catch (e) {
          us = `n/a (${String(e.message).slice(0, 60)})`;
        }
        rows.push({ backend, op: name, n, autograd: grad ? 'on' : 'off', us: typeof us === 'number' ? +us.toFixed(us < 10 ? 3 : 1) : us });
      }
    }
  }
}
console.log(`nodegrad ops bench — median µs per op over ${RUNS} runs (node ${process.version})`);
console.table(rows);
