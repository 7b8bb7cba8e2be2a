// Runs under `mpirun -np 2` (see distributed.test.ts): each rank checks the collectives and DDP against
// values it can compute itself, then prints one line `RESULT <json>`; any failed check throws, which
// makes this rank exit non-zero and mpirun end the job. argv[2] picks the scenario.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const ng = require(path.join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'));

const scenario = process.argv[2] ?? 'all';
const { rank, worldSize } = ng.distributed.init();
const D = ng.distributed;

function check(cond, msg) {
  if (!cond) throw new Error(`rank ${rank}: ${msg}`);
}
const results = { rank, worldSize, checks: 0 };
const ok = () => { results.checks++; };

function bitsEqual(a, b) {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

// value of element i on rank r: small integers, so float32 sums are exact
const val = (r, i) => ((i * 7 + r * 13) % 23) - 11;

function collectives() {
  const sizes = [0, 1, 7, 257, (1 << 20) + 3];
  for (const n of sizes) {
    for (const dtype of ['float32', 'int32', 'bool']) {
      for (const op of ['sum', 'mean', 'max', 'min']) {
        const mk = () => {
          const a = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
          for (let i = 0; i < n; i++) a[i] = dtype === 'bool' ? (val(rank, i) > 3 ? 1 : 0) : val(rank, i);
          return new ng.Tensor(a, [n], false, undefined, 0, dtype);
        };
        const t = mk();
        if (op === 'mean' && dtype !== 'float32') {
          let threw = null;
          try { D.allReduce(t, { op }); } catch (e) { threw = e; }
          check(threw instanceof TypeError && /mean/.test(threw.message), `allReduce mean on ${dtype} must throw a TypeError`);
          ok();
          continue;
        }
        D.allReduce(t, { op });
        const got = t.data;
        for (let i = 0; i < n; i++) {
          const vs = [];
          for (let r = 0; r < worldSize; r++) vs.push(dtype === 'bool' ? (val(r, i) > 3 ? 1 : 0) : val(r, i));
          let want;
          if (dtype === 'bool') want = op === 'min' ? Math.min(...vs) : Math.max(...vs);
          else if (op === 'sum') want = vs.reduce((s, v) => s + v, 0);
          else if (op === 'mean') want = Math.fround(vs.reduce((s, v) => s + v, 0) / worldSize);
          else if (op === 'max') want = Math.max(...vs);
          else want = Math.min(...vs);
          if (got[i] !== want) check(false, `allReduce ${op} ${dtype} n=${n} element ${i}: got ${got[i]}, want ${want}`);
        }
        ok();
      }
    }
  }
  // a strided view (a transposed matrix) is reduced and written back through the view
  const base = ng.tensor([[1, 2, 3], [4, 5, 6]]).add(rank);
  const tv = base.transpose(0, 1);
  D.allReduce(tv);
  const wantBase = [1, 2, 3, 4, 5, 6].map((v) => 2 * v + 1);
  check(JSON.stringify(Array.from(base.data)) === JSON.stringify(wantBase), `allReduce of a strided view: ${Array.from(base.data)}`);
  ok();
  // broadcast from the last rank, every dtype
  for (const dtype of ['float32', 'int32', 'bool']) {
    const t = ng.full([5], rank === worldSize - 1 ? 1 : 0, { dtype });
    D.broadcast(t, worldSize - 1);
    check(Array.from(t.data).every((v) => v === 1), `broadcast ${dtype} from rank ${worldSize - 1}`);
    ok();
  }
  // allGather stacks the ranks' tensors
  const g = D.allGather(ng.full([2, 3], rank, { dtype: 'int32' }));
  check(g.shape.join() === `${worldSize},2,3` && g.dtype === 'int32', `allGather shape ${g.shape} dtype ${g.dtype}`);
  for (let r = 0; r < worldSize; r++) for (let i = 0; i < 6; i++) check(g.data[r * 6 + i] === r, 'allGather values');
  ok();
  D.barrier();
  // bad arguments are clear errors, not crashes
  let e1 = null;
  try { D.allReduce(ng.zeros([2]), { op: 'prod' }); } catch (e) { e1 = e; }
  check(e1 instanceof RangeError && /unknown op/.test(e1.message), 'unknown op');
  let e2 = null;
  try { D.broadcast(ng.zeros([2]), worldSize); } catch (e) { e2 = e; }
  check(e2 instanceof RangeError && /root/.test(e2.message), 'bad root');
  ok();
}

// ---- DDP: 2 ranks × batch 32 against one process × batch 64 (computed on every rank) -----------------
function makeModel(seed) {
  ng.manualSeed(seed);
  return new ng.nn.Sequential(new ng.nn.Linear(12, 32), new ng.nn.Tanh(), new ng.nn.Linear(32, 16), new ng.nn.ReLU(), new ng.nn.Linear(16, 4));
}

function dataset(seed) {
  const g = new ng.Generator(seed);
  const n = 64 * 20;
  const x = new Float32Array(n * 12);
  for (let i = 0; i < x.length; i++) x[i] = g.random() * 2 - 1;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = (x[i * 12] + x[i * 12 + 1] > 0 ? 1 : 0) + (x[i * 12 + 2] > 0 ? 2 : 0);
  return { x, y, n };
}

function ddpEquivalence(overlap, bucketCapMb, accumulate) {
  const { x, y } = dataset(7);
  const steps = 20;
  const local = 32;
  // the reference: one process, batch 64 (each rank computes it on its own)
  const ref = makeModel(1);
  const refOpt = new ng.optim.SGD(ref.parameters(), { lr: 0.1, momentum: 0.9 });
  // DDP: rank 1 starts from different weights on purpose; construction must broadcast rank 0's
  const inner = makeModel(rank === 0 ? 1 : 99);
  const ddp = new ng.nn.parallel.DistributedDataParallel(inner, { bucketCapMb, overlap });
  check(ddp.bucketSizes().length >= 1, 'buckets');
  const opt = new ng.optim.SGD(ddp.parameters(), { lr: 0.1, momentum: 0.9 });
  for (let s = 0; s < steps; s++) {
    const xb = new ng.Tensor(x.slice(s * 64 * 12, (s + 1) * 64 * 12), [64, 12]);
    const yb = y.slice(s * 64, (s + 1) * 64);
    const l = ng.F.crossEntropy(ref.forward(xb), yb);
    l.backward();
    refOpt.step();
    refOpt.zeroGrad();
    const lo = (s * 64 + rank * local);
    if (accumulate) {
      // two micro-batches of 16, the first without sync; each loss halved so the sum is the mean over 32
      for (let m = 0; m < 2; m++) {
        const o = lo + m * 16;
        const xm = new ng.Tensor(x.slice(o * 12, (o + 16) * 12), [16, 12]);
        const loss = () => ng.F.crossEntropy(ddp.forward(xm), y.slice(o, o + 16)).mul(0.5).backward();
        if (m === 0) ddp.noSync(loss);
        else loss();
      }
    } else {
      const xm = new ng.Tensor(x.slice(lo * 12, (lo + local) * 12), [local, 12]);
      ng.F.crossEntropy(ddp.forward(xm), y.slice(lo, lo + local)).backward();
    }
    if (overlap && ddp.bucketSizes().length > 1) check(ddp.lastSync.launchedDuringBackward >= 1, `no bucket was launched during backward (${JSON.stringify(ddp.lastSync)})`);
    if (!overlap) check(ddp.lastSync.launchedDuringBackward === 0, 'overlap: false launched during backward');
    results.lastSync = ddp.lastSync;
    opt.step();
    opt.zeroGrad(s % 2 === 0); // both ways: dropped gradients re-attach as zeroed bucket views
  }
  let maxDiff = 0;
  const refParams = ref.parameters();
  ddp.parameters().forEach((p, i) => {
    const a = p.data;
    const b = refParams[i].data;
    for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
    // ranks bit-identical: gather every rank's copy
    const all = D.allGather(p.detach());
    for (let r = 1; r < worldSize; r++) check(bitsEqual(all.data.subarray(0, p.size), all.data.subarray(r * p.size, (r + 1) * p.size)), `rank ${r} differs from rank 0 in parameter ${i}`);
  });
  check(maxDiff <= 1e-5, `DDP (overlap=${overlap}, bucketCapMb=${bucketCapMb}, accumulate=${accumulate}) differs from one process on batch 64 by ${maxDiff}`);
  ok();
  return maxDiff;
}

function bufferSync() {
  ng.manualSeed(3);
  const m = new ng.nn.Sequential(new ng.nn.Linear(6, 8), new ng.nn.BatchNorm1d(8), new ng.nn.Linear(8, 2));
  const ddp = new ng.nn.parallel.DistributedDataParallel(m);
  const bn = m.children()[1];
  // diverge the running statistics on purpose; the next training forward starts from rank 0's
  for (const b of m.buffers()) if (b.dtype === 'float32') b.data = new Float32Array(b.size).fill(rank + 0.5);
  ng.manualSeed(4);
  ddp.forward(ng.randn([10, 6])); // the same batch on every rank
  for (const b of bn.buffers ? m.buffers() : []) {
    const all = D.allGather(b.detach());
    for (let r = 1; r < worldSize; r++) check(bitsEqual(all.data.subarray(0, b.size), all.data.subarray(r * b.size, (r + 1) * b.size)), 'BatchNorm buffers follow rank 0');
  }
  ok();
}

function sampler() {
  const n = 103;
  const ds = { length: n, get: (i) => [ng.tensor([i]), i] };
  for (const dropLast of [false, true]) {
    const s = new ng.data.DistributedSampler(ds, { seed: 5, dropLast });
    const loader = new ng.data.DataLoader(ds, { sampler: s, batchSize: 8 });
    for (let epoch = 0; epoch < 2; epoch++) {
      const mine = [];
      for (const [, yb] of loader) mine.push(...yb);
      check(mine.length === s.length, 'sampler length');
      const all = D.allGather(ng.tensor(mine, { dtype: 'int32' }));
      const seen = new Map();
      for (const v of all.data) seen.set(v, (seen.get(v) ?? 0) + 1);
      if (dropLast) {
        check(all.size === Math.floor(n / worldSize) * worldSize && [...seen.values()].every((c) => c === 1), 'dropLast: disjoint, no repeats');
      } else {
        check(seen.size === n, `every example once per epoch: saw ${seen.size} of ${n}`);
        check(all.size - n === (worldSize - (n % worldSize)) % worldSize, 'only the padding repeats');
      }
      results[`sampler${dropLast ? 'DropLast' : ''}Epoch${epoch}`] = Array.from(all.data.subarray(0, 5));
    }
  }
  ok();
}

async function fitUnderDdp(dir) {
  const { x, y } = dataset(11);
  const ds = new ng.data.TensorDataset(new ng.Tensor(x.slice(0, 256 * 12), [256, 12]), y.slice(0, 256));
  const model = new ng.nn.parallel.DistributedDataParallel(makeModel(2));
  const loader = new ng.data.DataLoader(ds, { sampler: new ng.data.DistributedSampler(ds, { seed: 1 }), batchSize: 16 });
  const file = path.join(dir, 'ddp-{epoch}.safetensors');
  const h = await ng.fit(model, {
    train: loader, epochs: 2, loss: 'crossEntropy', optimizer: new ng.optim.Adam(model.parameters(), { lr: 1e-2 }),
    callbacks: [ng.callbacks.checkpoint(file)], progress: true,
  });
  check(h.loss.length === 2 && h.loss.every(Number.isFinite), 'fit history');
  D.barrier();
  check(fs.existsSync(path.join(dir, 'ddp-2.safetensors')), 'rank 0 saved the checkpoint');
  ok();
}

async function main() {
  if (scenario === 'throw') {
    // rank 1 fails while rank 0 waits in a collective: the job must end, not hang
    if (rank === 1) throw new Error('deliberate failure on rank 1');
    D.allReduce(ng.zeros([4]));
    D.barrier();
    return;
  }
  if (scenario === 'collectives' || scenario === 'all') collectives();
  if (scenario === 'all') {
    results.maxDiff = [
      ddpEquivalence(true, 25, false),
      ddpEquivalence(true, 0.0005, false), // several buckets, launched while backward runs
      ddpEquivalence(false, 0.0005, false),
      ddpEquivalence(true, 0.0005, true), // gradient accumulation with noSync
    ];
    bufferSync();
    sampler();
    await fitUnderDdp(process.argv[3]);
  }
  if (scenario === 'ddp') {
    results.maxDiff = [ddpEquivalence(true, 0.0005, false), ddpEquivalence(true, 0.0005, true)];
    bufferSync();
  }
  results.backend = ng.getBackend();
  console.log(`RESULT ${JSON.stringify(results)}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exitCode = 1;
});
