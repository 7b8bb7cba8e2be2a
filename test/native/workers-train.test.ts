/**
 * Workers (issue 9): 4 worker_threads each train a small MLP concurrently (nn.Sequential of Linear/ReLU,
 * Adam or SGD-momentum, 30 steps on seeded random data, via require(dist/cjs/index.js)); created and
 * terminated 50 times, one worker per round terminated mid-training. Every worker that finishes must
 * produce weights bit-identical to the same run on the main thread (same seed, backend and thread
 * count), and no round may crash. Runs in a child Node process, so a native crash fails the test
 * instead of killing vitest. Native for 50 rounds; js for 10 (cheap: same code path in the workers).
 */
import { describe, expect, it } from 'vitest';
import { distEntry, requireBuilt, runNode } from '../helpers/dist.js';

interface Summary {
  backend: string;
  threads: number;
  rounds: number;
  finished: number;
  terminatedMidTraining: number;
  mismatches: number;
  errors: string[];
  badExits: number;
  seconds: number;
}

function script(backend: string, rounds: number): string {
  return `
const { Worker } = require('node:worker_threads');
const entry = ${JSON.stringify(distEntry)};
const BACKEND = ${JSON.stringify(backend)};
const ROUNDS = ${rounds};
// The same training function runs on the main thread (reference) and inside the workers.
function train(entry, backend, seed, steps, progress) {
  const ng = require(entry);
  ng.setBackend(backend);
  if (ng.getBackend() !== backend) throw new Error('backend ' + backend + ' unavailable');
  ng.manualSeed(seed);
  const { nn, optim } = ng;
  const B = 32, D = 24, H = 48, C = 6;
  const x = ng.randn([B, D]);
  const labels = Array.from({ length: B }, (_, i) => (i * 5 + seed) % C);
  const model = new nn.Sequential(new nn.Linear(D, H), new nn.ReLU(), new nn.Linear(H, H), new nn.ReLU(), new nn.Linear(H, C));
  const opt = seed % 2 === 0 ? new optim.Adam(model.parameters(), { lr: 1e-2 })
                             : new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const l = nn.functional.crossEntropy(model.forward(x), labels);
    l.backward();
    opt.step();
    loss = l.item();
    if (progress) progress(s);
  }
  return { loss, params: model.parameters().map((p) => p.data.slice()), threads: ng.getNumThreads(), backend: ng.getBackend() };
}
const body = \`
  const { parentPort, workerData } = require('node:worker_threads');
  const train = \${train.toString()};
  const { entry, backend, seed, steps, victim } = workerData;
  if (victim) {
    // Trains until terminated (with a bigger batch of steps between messages).
    train(entry, backend, seed, 1e9, (s) => { if (s === 3) parentPort.postMessage({ started: true }); });
  } else {
    const r = train(entry, backend, seed, steps, null);
    parentPort.postMessage(r, r.params.map((p) => p.buffer));
  }
\`;
const STEPS = 30;
const SEEDS = [11, 12, 13, 14];
(async () => {
  const t0 = Date.now();
  const ref = SEEDS.map((s) => train(entry, BACKEND, s, STEPS, null));
  const same = (a, b) => a.length === b.length && a.every((p, i) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)
      .equals(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength)));
  if (!same(ref[0].params, train(entry, BACKEND, SEEDS[0], STEPS, null).params)) throw new Error('main thread not deterministic');
  const sum = { backend: ref[0].backend, threads: ref[0].threads, rounds: ROUNDS, finished: 0, terminatedMidTraining: 0,
                mismatches: 0, errors: [], badExits: 0, seconds: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const victim = round % 4;
    const workers = SEEDS.map((seed, i) => new Worker(body, { eval: true,
      workerData: { entry, backend: BACKEND, seed, steps: STEPS, victim: i === victim } }));
    const exits = workers.map((w) => new Promise((res) => w.once('exit', res)));
    const done = workers.map((w, i) => new Promise((res) => {
      w.on('error', (e) => { sum.errors.push('round ' + round + ' worker ' + i + ': ' + (e && e.stack || e)); res(null); });
      w.on('message', async (m) => {
        if (m.started) {
          // Mid-training: terminate after a short random delay (0-15 ms) while it is still in its loop.
          await new Promise((r) => setTimeout(r, (round * 7) % 16));
          await w.terminate();
          sum.terminatedMidTraining++;
          res(null);
          return;
        }
        sum.finished++;
        if (!same(m.params, ref[i].params) || m.threads !== ref[i].threads || m.backend !== ref[i].backend) {
          sum.mismatches++;
          if (sum.errors.length < 5) sum.errors.push('round ' + round + ' worker ' + i + ': weights differ from the main thread');
        }
        res(null);
      });
    }));
    await Promise.all(done);
    // Finished workers are terminated too (they would exit on their own; terminate races that exit).
    await Promise.all(workers.map((w, i) => i === victim ? null : w.terminate()));
    const codes = await Promise.all(exits);
    // terminate() gives exit code 1; a natural exit 0. Anything else (or a signal killing us) is a failure.
    for (const c of codes) if (c !== 0 && c !== 1) sum.badExits++;
  }
  sum.seconds = (Date.now() - t0) / 1000;
  console.log(JSON.stringify(sum));
})().catch((e) => { console.error(e); process.exit(1); });
`;
}

function run(backend: string, rounds: number): Summary {
  const r = runNode(['-e', script(backend, rounds)], { timeoutMs: 120_000 });
  expect(r.signal, `child killed by ${r.signal}: ${r.stderr}`).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  const sum = JSON.parse(r.stdout.trim().split('\n').pop()!) as Summary;
  console.log(`workers-train ${backend}: ${JSON.stringify(sum)}`);
  return sum;
}

describe('training in worker_threads', () => {
  it('native: 50 rounds x 4 workers training an MLP (one terminated mid-training per round): 0 crashes, weights bit-identical to the main thread', () => {
    requireBuilt();
    const main = runNode(['-e', `console.log(require(${JSON.stringify(distEntry)}).getBackend())`]);
    if (main.stdout.trim() !== 'native') {
      console.warn('workers-train: native addon not built; native case runs nothing');
      return;
    }
    const s = run('native', 50);
    expect(s.errors).toEqual([]);
    expect(s.badExits).toBe(0);
    expect(s.mismatches).toBe(0);
    expect(s.finished).toBe(50 * 3);
    expect(s.terminatedMidTraining).toBe(50);
  }, 130_000);

  it('js: 10 rounds x 4 workers, weights bit-identical to the main thread', () => {
    requireBuilt();
    const s = run('js', 10);
    expect(s.errors).toEqual([]);
    expect(s.badExits).toBe(0);
    expect(s.mismatches).toBe(0);
    expect(s.finished).toBe(10 * 3);
    expect(s.terminatedMidTraining).toBe(10);
  }, 130_000);
});
