/**
 * Checkpoint / resume: N epochs straight vs k epochs + checkpoint + a process-like restart (new model,
 * optimizer, scheduler and loader objects, the global seed reset to something else) + N − k more epochs
 * must end with bit-identical weights, optimizer state, lr and RNG state, on every backend.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DataLoader, TensorDataset } from '../../lib/data/index.js';
import { saveSafetensors } from '../../lib/io/safetensors.js';
import { BatchNorm1d, Dropout, Linear, ReLU, Sequential } from '../../lib/nn/index.js';
import { Adam, AdamW, LinearWarmup, RMSprop, SGD, StepLR, type LRScheduler, type Optimizer } from '../../lib/optim/index.js';
import { getRngState, manualSeed } from '../../lib/random.js';
import { randn as trandn, Tensor } from '../../lib/tensor.js';
import { callbacks, fit, loadCheckpoint, type FitOptions } from '../../lib/train/index.js';
import { forEachBackend } from '../helpers/backends.js';

const KERNELS = ['gemm', 'unary', 'unaryBackward', 'binary', 'reduce', 'copy', 'softmaxCrossEntropy', 'gatherRows', 'adamStep', 'sgdStep', 'rmspropStep'] as const;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-resume-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function blobs(): { x: Tensor; y: Int32Array } {
  manualSeed(1);
  const x = trandn([90, 4]);
  const y = new Int32Array(90);
  for (let i = 0; i < 90; i++) {
    y[i] = i % 3;
    x.data[i * 4 + y[i]] += 2;
  }
  return { x, y };
}

interface Setup {
  name: string;
  makeOpt: (m: Sequential) => Optimizer;
  makeSched?: (o: Optimizer) => LRScheduler;
  schedulerStep?: 'epoch' | 'batch';
  /** a DataLoader with its own seed (otherwise a dataset shuffled by the global generator) */
  loaderSeed?: number;
}

const SETUPS: Setup[] = [
  { name: 'Adam + StepLR, dataset shuffled by the global generator, dropout', makeOpt: (m) => new Adam(m.parameters(), { lr: 0.01 }), makeSched: (o) => new StepLR(o, { stepSize: 1, gamma: 0.7 }) },
  { name: 'SGD nesterov + weight decay, seeded DataLoader, per-batch warm-up', makeOpt: (m) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }), makeSched: (o) => new LinearWarmup(o, { warmupSteps: 7 }), schedulerStep: 'batch', loaderSeed: 42 },
  { name: 'AdamW, no scheduler', makeOpt: (m) => new AdamW(m.parameters(), { lr: 0.01 }) },
  { name: 'RMSprop with momentum', makeOpt: (m) => new RMSprop(m.parameters(), { lr: 0.005, momentum: 0.5 }) },
];

function model(): Sequential {
  return new Sequential(new Linear(4, 12), new BatchNorm1d(12), new ReLU(), new Dropout(0.2), new Linear(12, 3));
}

function weights(m: Sequential): number[][] {
  return Object.values(m.stateDict()).map((t) => Array.from(t.data));
}

async function run(s: Setup, epochs: number, extra: Partial<FitOptions> & { seed?: number } = {}) {
  const { x, y } = blobs();
  manualSeed(extra.seed ?? 7);
  const m = model();
  const optimizer = s.makeOpt(m);
  const scheduler = s.makeSched?.(optimizer);
  const ds = new TensorDataset(x, y);
  const trainData = s.loaderSeed !== undefined ? new DataLoader(ds, { batchSize: 16, shuffle: true, seed: s.loaderSeed }) : ds;
  const { seed: _seed, ...rest } = extra;
  void _seed;
  const h = await fit(m, {
    train: trainData, valid: ds, epochs, batchSize: 16, loss: 'crossEntropy', optimizer, scheduler, schedulerStep: s.schedulerStep,
    metrics: ['accuracy'], progress: false, ...rest,
  });
  return { m, optimizer, h };
}

forEachBackend('checkpoint / resume', KERNELS, () => {
  SETUPS.forEach((s, si) => {
    it(`4 epochs straight == 2 + checkpoint + restart + 2, bit for bit: ${s.name}`, async () => {
      const straight = await run(s, 4);
      const rngStraight = getRngState();
      const file = path.join(dir, `ckpt-${si}-{epoch}.safetensors`);
      await run(s, 2, { callbacks: [callbacks.checkpoint(file)] });
      // a "new process": different seed, fresh objects; only the file carries the state
      manualSeed(12345);
      const resumed = await run(s, 4, { seed: 999, resumeFrom: file.replace('{epoch}', '2') });
      expect(weights(resumed.m)).toEqual(weights(straight.m));
      expect(resumed.optimizer.stepCount).toBe(straight.optimizer.stepCount);
      expect(resumed.optimizer.lr).toBe(straight.optimizer.lr);
      const a = resumed.optimizer.stateDict();
      const b = straight.optimizer.stateDict();
      expect(Object.keys(a.buffers)).toEqual(Object.keys(b.buffers));
      for (const k of Object.keys(a.buffers)) expect(a.buffers[k].map((t) => Array.from(t!))).toEqual(b.buffers[k].map((t) => Array.from(t!)));
      expect(getRngState()).toEqual(rngStraight);
      // the history covers all 4 epochs and equals the uninterrupted one
      expect(resumed.h).toEqual(straight.h);
    });
  });

  it('resuming from the last epoch trains nothing more; saveBestOnly keeps its best across a resume', async () => {
    const s = SETUPS[0];
    const file = path.join(dir, 'best.safetensors');
    const cb = () => callbacks.checkpoint(file, { monitor: 'lr', mode: 'max', saveBestOnly: true });
    // StepLR lowers lr every epoch: only epoch 1 is a "best"
    await run(s, 2, { callbacks: [cb()] });
    expect(loadCheckpoint(file, model(), undefined, { rng: false }).epoch).toBe(1);
    const r = await run(s, 1, { resumeFrom: file });
    expect(r.h.epoch).toEqual([1]);
    // resumed at epoch 2: the best (epoch 1's lr) comes from the file, so epochs 2-3 do not overwrite it
    const r3 = await run(s, 3, { resumeFrom: file, callbacks: [cb()] });
    expect(r3.h.epoch).toEqual([1, 2, 3]);
    expect(loadCheckpoint(file, model(), undefined, { rng: false }).epoch).toBe(1);
  });
});

it('loadCheckpoint restores and validates; errors name the file and the problem', async () => {
  const s = SETUPS[0];
  const file = path.join(dir, 'direct.safetensors');
  const { m, optimizer } = await run(s, 1, { callbacks: [callbacks.checkpoint(file)] });
  manualSeed(3);
  const m2 = model();
  const o2 = new Adam(m2.parameters(), { lr: 0.5 });
  const r = loadCheckpoint(file, m2, o2);
  expect(r.epoch).toBe(1);
  expect(r.metadata.format).toBe('nodegrad.checkpoint');
  expect(r.history?.epoch).toEqual([1]);
  expect(weights(m2)).toEqual(weights(m));
  expect(o2.lr).toBe(optimizer.lr);
  expect(o2.stepCount).toBe(optimizer.stepCount);
  // wrong optimizer kind
  expect(() => loadCheckpoint(file, model(), new SGD(model().parameters(), { lr: 1 }))).toThrow(/holds Adam state, not SGD/);
  // wrong model
  const other = new Sequential(new Linear(4, 3));
  expect(() => loadCheckpoint(file, other)).toThrow(/direct\.safetensors does not match the model/);
  // a plain safetensors file is not a checkpoint
  const plain = path.join(dir, 'plain.safetensors');
  saveSafetensors(plain, m.stateDict());
  expect(() => loadCheckpoint(plain, model())).toThrow(/plain\.safetensors is not a training checkpoint/);
  // no scheduler state in a run without a scheduler
  const noSched = path.join(dir, 'nosched.safetensors');
  await run({ ...s, makeSched: undefined }, 1, { callbacks: [callbacks.checkpoint(noSched)] });
  const m3 = model();
  const o3 = new Adam(m3.parameters());
  expect(() => loadCheckpoint(noSched, m3, o3, { scheduler: new StepLR(o3, { stepSize: 1 }) })).toThrow(/has no scheduler state/);
});
