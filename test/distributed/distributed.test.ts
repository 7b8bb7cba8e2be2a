/**
 * ng.distributed, nn.parallel.DistributedDataParallel and data.DistributedSampler.
 * The collectives and DDP run under `mpirun -np 2` on loopback (test/distributed/worker.cjs, against
 * dist/), skipped with the reason when Open MPI or the MPI addon is absent. The rest runs in-process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { mpiAddonPath } from '../../lib/distributed/index.js';
import { repoRoot, requireBuilt } from '../helpers/dist.js';

const worker = path.join(__dirname, 'worker.cjs');
const haveMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
const haveAddon = fs.existsSync(mpiAddonPath());
const skipReason = !haveMpirun ? 'mpirun not on PATH (apt-get install openmpi-bin libopenmpi-dev)'
  : !haveAddon ? `${mpiAddonPath()} not built (npm run build:mpi)` : null;

/** mpirun -np 2 on loopback only; `btl` 'vader' = shared memory + TCP, 'tcp' = sockets only. */
function mpirun(args: string[], btl: 'vader' | 'tcp', timeoutMs: number, backend?: 'js') {
  const flags = [
    '-np', '2', '--bind-to', 'none', '--mca', 'pml', 'ob1',
    '--mca', 'btl', btl === 'vader' ? 'self,vader,tcp' : 'self,tcp',
    '--mca', 'btl_tcp_if_include', 'lo', '--mca', 'oob_tcp_if_include', 'lo',
    '--mca', 'btl_vader_single_copy_mechanism', 'none', '-x', 'NODEGRAD_NUM_THREADS=1',
  ];
  if (backend) flags.push('-x', `NODEGRAD_BACKEND=${backend}`);
  if (process.getuid?.() === 0) flags.unshift('--allow-run-as-root');
  if (os.cpus().length < 2) flags.unshift('--oversubscribe');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('OMPI_') || k.startsWith('PMIX_')) delete env[k];
  return spawnSync('mpirun', [...flags, process.execPath, worker, ...args], { cwd: repoRoot, env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
}

function results(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>);
}

describe.skipIf(skipReason !== null)(`mpirun -np 2 on loopback${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('collectives exact on odd sizes, every op and dtype; DDP (2 × 32) equals one process (64) and ranks are bit-identical; sampler partitions; fit on rank 0', () => {
    requireBuilt();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-ddp-'));
    try {
      const r = mpirun(['all', dir], 'vader', 120_000);
      expect(r.error, String(r.error)).toBeUndefined();
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const res = results(r.stdout);
      expect(res.map((x) => x.rank).sort()).toEqual([0, 1]);
      for (const x of res) {
        expect(x.checks).toBe(res[0].checks);
        for (const d of x.maxDiff as number[]) expect(d).toBeLessThanOrEqual(1e-5);
      }
      // the same shuffled partition seen from both ranks
      expect(res[0].samplerEpoch0).toEqual(res[1].samplerEpoch0);
      expect(res[0].samplerEpoch0).not.toEqual(res[0].samplerEpoch1);
      // only rank 0 prints the per-epoch lines (progress is not a TTY here)
      expect(r.stdout.match(/^epoch 1\/2/gm)?.length).toBe(1);
      expect(fs.existsSync(path.join(dir, 'ddp-2.safetensors'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('DDP on the js backend: equals one process, ranks bit-identical, noSync, buffers from rank 0', () => {
    requireBuilt();
    const r = mpirun(['ddp'], 'vader', 120_000, 'js');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const res = results(r.stdout);
    expect(res).toHaveLength(2);
    for (const x of res) {
      expect(x.backend).toBe('js');
      for (const d of x.maxDiff as number[]) expect(d).toBeLessThanOrEqual(1e-5);
    }
  }, 150_000);

  it('collectives over TCP sockets only (btl self,tcp)', () => {
    requireBuilt();
    const r = mpirun(['collectives'], 'tcp', 90_000);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(results(r.stdout)).toHaveLength(2);
  }, 100_000);

  it('a rank that throws ends the job with a non-zero status and its error, without hanging', () => {
    requireBuilt();
    const r = mpirun(['throw'], 'vader', 60_000);
    expect(r.error, 'mpirun did not finish within 60 s (a hang)').toBeUndefined();
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/deliberate failure on rank 1/);
  }, 70_000);
});

describe('distributed without mpirun', () => {
  it('init() outside mpirun throws an Error saying so and how to launch', () => {
    const saved = process.env.OMPI_COMM_WORLD_SIZE;
    delete process.env.OMPI_COMM_WORLD_SIZE;
    try {
      expect(() => ng.distributed.init()).toThrow(/not launched by mpirun.*mpirun -np 2 node/);
    } finally {
      if (saved !== undefined) process.env.OMPI_COMM_WORLD_SIZE = saved;
    }
    expect(ng.distributed.isInitialized()).toBe(false);
    // launched, but the addon is missing: a different message, saying how to build it
    const env = { OMPI_COMM_WORLD_SIZE: process.env.OMPI_COMM_WORLD_SIZE, NODEGRAD_MPI_ADDON_PATH: process.env.NODEGRAD_MPI_ADDON_PATH };
    process.env.OMPI_COMM_WORLD_SIZE = '2';
    process.env.NODEGRAD_MPI_ADDON_PATH = path.join(os.tmpdir(), 'no-such-dir', 'nodegrad_mpi.node');
    try {
      expect(() => ng.distributed.init()).toThrow(/MPI addon is not built .*apt-get install openmpi-bin libopenmpi-dev.*npm run build:mpi/);
    } finally {
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    expect(ng.distributed.isInitialized()).toBe(false);
    expect(() => ng.distributed.getRank()).toThrow(/init\(\) first/);
    expect(() => ng.distributed.allReduce(ng.zeros([2]))).toThrow(/init\(\) first/);
    expect(() => new ng.nn.parallel.DistributedDataParallel(new ng.nn.Linear(2, 2))).toThrow(/init\(\) first/);
  });

  it('DistributedSampler partitions every epoch exactly (explicit numReplicas and rank)', () => {
    const ds = { length: 50, get: (i: number): [ng.Tensor, number] => [ng.tensor([i]), i] };
    for (const reps of [1, 2, 3, 7]) {
      for (const dropLast of [false, true]) {
        for (const epoch of [0, 1]) {
          const parts = Array.from({ length: reps }, (_, rank) => {
            const s = new ng.data.DistributedSampler(ds, { numReplicas: reps, rank, seed: 9, dropLast });
            s.setEpoch(epoch);
            const idx = [...s];
            expect(idx).toHaveLength(s.length);
            return idx;
          });
          const flat = parts.flat();
          const counts = new Map<number, number>();
          for (const v of flat) counts.set(v, (counts.get(v) ?? 0) + 1);
          if (dropLast) {
            expect(flat).toHaveLength(Math.floor(50 / reps) * reps);
            expect([...counts.values()].every((c) => c === 1)).toBe(true);
          } else {
            expect(counts.size).toBe(50);
            expect(flat.length - 50).toBe((reps - (50 % reps)) % reps);
          }
        }
      }
    }
    const a = [...new ng.data.DistributedSampler(ds, { numReplicas: 2, rank: 0, seed: 1 })];
    const s = new ng.data.DistributedSampler(ds, { numReplicas: 2, rank: 0, seed: 1 });
    s.setEpoch(1);
    expect([...s]).not.toEqual(a);
    expect([...new ng.data.DistributedSampler(ds, { numReplicas: 2, rank: 1, shuffle: false })].slice(0, 3)).toEqual([1, 3, 5]);
    expect(() => new ng.data.DistributedSampler(ds)).toThrow(/numReplicas and rank, or call ng.distributed.init/);
    expect(() => new ng.data.DistributedSampler(ds, { numReplicas: 2, rank: 2 })).toThrow(RangeError);
    expect(() => new ng.data.DistributedSampler(ds, { numReplicas: 2, rank: 0, seeds: 1 } as never)).toThrow(/did you mean seed/);
  });

  it('DataLoader({sampler}) follows the sampler and calls setEpoch each epoch', () => {
    const x = ng.arange(0, 20).reshape([20, 1]);
    const ds = new ng.data.TensorDataset(x, Int32Array.from({ length: 20 }, (_, i) => i));
    const sampler = new ng.data.DistributedSampler(ds, { numReplicas: 2, rank: 1, seed: 3 });
    const loader = new ng.data.DataLoader(ds, { sampler, batchSize: 4 });
    expect(loader.length).toBe(3);
    const epochs: number[][] = [];
    for (let e = 0; e < 2; e++) {
      const seen: number[] = [];
      for (const [xb, yb] of loader) {
        expect(Array.from(xb.data)).toEqual(Array.from(yb as Int32Array));
        seen.push(...(yb as Int32Array));
      }
      sampler.setEpoch(e);
      expect(seen).toEqual([...sampler]);
      epochs.push(seen);
    }
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(() => new ng.data.DataLoader(ds, { sampler, shuffle: true })).toThrow(/exclusive/);
    expect(() => new ng.data.DataLoader(ds, { sampler: { length: 2 } as never })).toThrow(/sampler must be iterable/);
    expect([...new ng.data.DataLoader(ds, { sampler: [3, 1], batchSize: 2 })].map(([, y]) => Array.from(y as Int32Array))).toEqual([[3, 1]]); // an index array is a sampler
    const bad = { length: 1, *[Symbol.iterator]() { yield 99; } };
    expect(() => [...new ng.data.DataLoader(ds, { sampler: bad })]).toThrow(/index 99/);
  });
});

describe('registerPostAccumulateGradHook', () => {
  it("fires as soon as a leaf's gradient is complete, before the rest of backward", () => {
    const x = ng.tensor([0.5, -1, 2]);
    const w1 = ng.tensor([1, 2, 3], { requiresGrad: true });
    const w2 = ng.tensor([0.3, 0.2, 0.1], { requiresGrad: true });
    const events: string[] = [];
    const a = x.mul(w1);
    a.registerHook(() => { events.push('a'); });
    w2.registerPostAccumulateGradHook((t) => { events.push(`w2:${Array.from(t.grad!.data).map((v) => v.toFixed(3)).join(',')}`); });
    const h1 = w1.registerPostAccumulateGradHook(() => { events.push('w1'); });
    const loss = a.tanh().mul(w2).add(w2).sum(); // w2 used twice: its hook waits for both uses
    loss.backward();
    const t = [0.5, -2, 6].map(Math.tanh);
    expect(events).toEqual([`w2:${t.map((v) => (v + 1).toFixed(3)).join(',')}`, 'a', 'w1']);
    // a second pass accumulates, and the hook sees the accumulated .grad; remove() unregisters
    h1.remove();
    events.length = 0;
    x.mul(w1).tanh().mul(w2).add(w2).sum().backward();
    expect(events).toHaveLength(1); // only w2's hook is left
    expect(w2.grad!.data[0]).toBeCloseTo(2 * (t[0] + 1), 5);
    expect(() => ng.zeros([1]).registerPostAccumulateGradHook(() => {})).toThrow(/leaf tensor that requires grad/);
    expect(() => w1.mul(2).registerPostAccumulateGradHook(() => {})).toThrow(/leaf/);
  });

  it('fires for a weight whose gradient a fused Linear backward writes straight into .grad', () => {
    ng.manualSeed(1);
    const lin = new ng.nn.Linear(4, 3);
    const fired: string[] = [];
    for (const [n, p] of lin.namedParameters()) p.registerPostAccumulateGradHook(() => { fired.push(n); });
    const xin = ng.randn([5, 4]);
    lin.forward(xin).sum().backward();
    const g1 = Array.from(lin.weight.grad!.data);
    for (const p of lin.parameters()) p.grad!.data.fill(0); // kept buffers: the GEMM accumulates into them
    fired.length = 0;
    lin.forward(xin).sum().backward();
    expect(fired.sort()).toEqual(['bias', 'weight']);
    expect(Array.from(lin.weight.grad!.data)).toEqual(g1);
  });
});
