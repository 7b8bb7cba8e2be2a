// Data-parallel benchmarks (ng.distributed over Open MPI). Run without mpirun it is the driver: it runs
// every configuration as a child process (`mpirun -np 2 ...` for the distributed ones) and prints a table.
//   node bench/ddp.mjs [--steps N] [--reps R] [--only train|allreduce] [--json]
// One configuration by hand: mpirun -np 2 ... node bench/ddp.mjs --role train --model mlp|gpt --ddp 1 [--overlap 0|1] [--barrier 0] [--threads N]
// Training: the same global batch per step everywhere (MLP 784-256-128-10 on 128 samples, a small
// transformer LM — 2 nn.TransformerEncoderLayer, d 128, 4 heads, seq 64, vocab 96 — on 16 sequences):
//   1 process × 1 thread, 1 process × 2 threads, 2 ranks × 1 thread (DDP, overlap on and off).
// All-reduce: float32 in-place sum, 2 ranks, 4 B … 64 MiB, over shared memory (btl vader) and TCP loopback
// (btl tcp); bus bandwidth = bytes × 2(P−1)/P ÷ time (the NCCL-tests convention).
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (k, d) => { const i = args.indexOf(`--${k}`); return i >= 0 ? args[i + 1] : d; };
const role = opt('role', 'driver');

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function worker() {
  const ng = await import('../dist/esm/index.mjs');
  const distributed = opt('ddp', '0') === '1';
  const threads = +opt('threads', '1');
  ng.setNumThreads(threads);
  let rank = 0;
  let world = 1;
  if (distributed) ({ rank, worldSize: world } = ng.distributed.init());
  if (role === 'allreduce') {
    const out = [];
    for (let bytes = 4; bytes <= 64 * 1024 * 1024; bytes *= 4) {
      const a = new ng.Tensor(new Float32Array(bytes / 4).fill(1), [bytes / 4]);
      const iters = Math.max(3, Math.min(200, Math.floor(64e6 / bytes)));
      ng.distributed.allReduce(a); // warm-up
      const times = [];
      for (let r = 0; r < 5; r++) {
        ng.distributed.barrier();
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < iters; i++) ng.distributed.allReduce(a);
        times.push(Number(process.hrtime.bigint() - t0) / 1e9 / iters);
      }
      const t = median(times);
      out.push({ bytes, us: t * 1e6, busGBs: (bytes * 2 * (world - 1) / world) / t / 1e9 });
    }
    if (rank === 0) console.log(`RESULT ${JSON.stringify(out)}`);
    return;
  }
  const model = opt('model', 'mlp');
  const steps = +opt('steps', '30');
  const globalBatch = model === 'mlp' ? 128 : 16;
  const local = globalBatch / world;
  ng.manualSeed(1);
  let net;
  let makeBatch;
  const g = new ng.Generator(2);
  if (model === 'mlp') {
    net = new ng.nn.Sequential(new ng.nn.Linear(784, 256), new ng.nn.ReLU(), new ng.nn.Linear(256, 128), new ng.nn.ReLU(), new ng.nn.Linear(128, 10));
    const x = new Float32Array(local * 784).map(() => g.random());
    const y = Int32Array.from({ length: local }, () => g.randint(10));
    makeBatch = () => [new ng.Tensor(x, [local, 784]), y];
  } else {
    const V = 96, D = 128, L = 64;
    class TinyLM extends ng.nn.Module {
      constructor() {
        super();
        this.tok = new ng.nn.Embedding(V, D);
        this.pos = new ng.nn.Embedding(L, D);
        this.blocks = new ng.nn.ModuleList([0, 1].map(() => new ng.nn.TransformerEncoderLayer(D, 4, { dimFeedforward: 4 * D, dropout: 0, batchFirst: true, normFirst: true, activation: 'gelu' })));
        this.norm = new ng.nn.LayerNorm(D);
        this.head = new ng.nn.Linear(D, V);
      }
      forward(idx) {
        const [B, T] = idx.shape;
        let h = this.tok.forward(idx).add(this.pos.forward(ng.arange(0, T, { dtype: 'int32' })));
        for (const b of this.blocks) h = b.forward(h, { isCausal: true });
        return this.head.forward(this.norm.forward(h)).reshape([B * T, V]);
      }
    }
    net = new TinyLM();
    const idx = Int32Array.from({ length: local * L }, () => g.randint(V));
    const tgt = Int32Array.from({ length: local * L }, () => g.randint(V));
    makeBatch = () => [new ng.Tensor(idx, [local, L], false, undefined, 0, 'int32'), tgt];
  }
  const m = distributed ? new ng.nn.parallel.DistributedDataParallel(net, { overlap: opt('overlap', '1') === '1' }) : net;
  const optim = new ng.optim.Adam(m.parameters(), { lr: 1e-3 });
  const times = [];
  for (let s = 0; s < steps + 3; s++) {
    const [xb, yb] = makeBatch();
    const t0 = process.hrtime.bigint();
    ng.F.crossEntropy(m.forward(xb), yb).backward();
    optim.step();
    optim.zeroGrad(false);
    if (distributed && opt('barrier', '1') === '1') ng.distributed.barrier(); // every rank finished the step
    if (s >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const t = median(times);
  if (rank === 0) console.log(`RESULT ${JSON.stringify({ model, world, threads, msPerStep: t * 1e3, samplesPerS: globalBatch / t, params: net.numParameters(), buckets: distributed ? m.bucketSizes().length : 0 })}`);
}

function mpiFlags(btl) {
  const f = ['-np', '2', '--bind-to', 'none', '--mca', 'pml', 'ob1', '--mca', 'btl', btl, '--mca', 'btl_tcp_if_include', 'lo', '--mca', 'oob_tcp_if_include', 'lo', '--mca', 'btl_vader_single_copy_mechanism', 'none'];
  if (process.getuid?.() === 0) f.unshift('--allow-run-as-root');
  return f;
}

function runChild(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 600_000 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line.slice(7));
}

function driver() {
  const self = fileURLToPath(import.meta.url);
  const steps = opt('steps', '30');
  const reps = +opt('reps', '3');
  const only = opt('only', 'train,allreduce').split(',');
  const json = args.includes('--json');
  const report = { load: os.loadavg(), cpus: os.cpus().length, train: [], allreduce: {} };
  if (only.includes('train')) {
    for (const model of ['mlp', 'gpt']) {
      const configs = [
        ['1 proc × 1 thread', process.execPath, [self, '--role', 'train', '--model', model, '--threads', '1', '--steps', steps]],
        ['1 proc × 2 threads', process.execPath, [self, '--role', 'train', '--model', model, '--threads', '2', '--steps', steps]],
        ['2 ranks × 1 thread, overlap', 'mpirun', [...mpiFlags('self,vader,tcp'), process.execPath, self, '--role', 'train', '--model', model, '--threads', '1', '--ddp', '1', '--overlap', '1', '--steps', steps]],
        ['2 ranks × 1 thread, no overlap', 'mpirun', [...mpiFlags('self,vader,tcp'), process.execPath, self, '--role', 'train', '--model', model, '--threads', '1', '--ddp', '1', '--overlap', '0', '--steps', steps]],
      ];
      const runs = configs.map(() => []);
      // interleaved repetitions: a load change on this shared machine hits every configuration alike
      for (let r = 0; r < reps; r++) configs.forEach(([, cmd, argv], i) => runs[i].push(runChild(cmd, argv)));
      configs.forEach(([name], i) => {
        const ms = median(runs[i].map((x) => x.msPerStep));
        const row = { model, config: name, msPerStep: ms, samplesPerS: runs[i][0].samplesPerS * runs[i][0].msPerStep / ms, params: runs[i][0].params, buckets: runs[i][0].buckets };
        report.train.push(row);
        if (!json) console.log(`${model.padEnd(4)} ${name.padEnd(32)} ${ms.toFixed(2).padStart(8)} ms/step  ${row.samplesPerS.toFixed(0).padStart(7)} samples/s  (${row.params} params, runs ${runs[i].map((x) => x.msPerStep.toFixed(2)).join('/')})`);
      });
    }
  }
  if (only.includes('allreduce')) {
    for (const [name, btl] of [['shared memory (vader)', 'self,vader'], ['TCP loopback', 'self,tcp']]) {
      const res = runChild('mpirun', [...mpiFlags(btl), process.execPath, self, '--role', 'allreduce', '--ddp', '1']);
      report.allreduce[name] = res;
      if (!json) {
        console.log(`all-reduce, 2 ranks, ${name}:`);
        for (const x of res) console.log(`  ${String(x.bytes).padStart(9)} B  ${x.us.toFixed(1).padStart(9)} µs  ${x.busGBs.toFixed(3).padStart(7)} GB/s bus`);
      }
    }
  }
  report.loadAfter = os.loadavg();
  if (json) console.log(JSON.stringify(report, null, 1));
  else console.log(`load average before ${report.load.map((v) => v.toFixed(2)).join(' ')}, after ${report.loadAfter.map((v) => v.toFixed(2)).join(' ')}; ${report.cpus} CPUs`);
}

if (role === 'driver') driver();
else await worker();
