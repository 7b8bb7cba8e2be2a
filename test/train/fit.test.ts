import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { DataLoader, TensorDataset } from '../../lib/data/index.js';
import { Dropout, Linear, ReLU, Sequential, Sigmoid } from '../../lib/nn/index.js';
import { Adam, SGD, StepLR } from '../../lib/optim/index.js';
import { manualSeed } from '../../lib/random.js';
import { randn, Tensor, tensor } from '../../lib/tensor.js';
import { callbacks, evaluate, fit, predict } from '../../lib/train/index.js';
import { loadSafetensors, readSafetensorsMetadata } from '../../lib/io/safetensors.js';
import { forEachBackend } from '../helpers/backends.js';
import { trainXor } from '../../examples/xor.js';

const KERNELS = ['gemm', 'unary', 'unaryBackward', 'binary', 'reduce', 'copy', 'softmaxCrossEntropy', 'gatherRows', 'adamStep', 'sgdStep'] as const;

/** 3 Gaussian blobs in 4-D, 96 points */
function blobs(seed: number): { x: Tensor; y: Int32Array } {
  manualSeed(seed);
  const x = randn([96, 4]);
  const y = new Int32Array(96);
  for (let i = 0; i < 96; i++) {
    y[i] = i % 3;
    x.data[i * 4 + y[i]] += 3;
  }
  return { x, y };
}

function mlp(): Sequential {
  return new Sequential(new Linear(4, 16), new ReLU(), new Dropout(0.1), new Linear(16, 3));
}

forEachBackend('fit', KERNELS, () => {
  it('decreases the loss; history, evaluate and predict', async () => {
    const { x, y } = blobs(1);
    manualSeed(2);
    const model = mlp();
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    const seen: number[] = [];
    const h = await fit(model, {
      train: new TensorDataset(x, y), valid: new TensorDataset(x, y), epochs: 8, batchSize: 16, loss: 'crossEntropy',
      optimizer, metrics: ['accuracy'], progress: false, scheduler: new StepLR(optimizer, { stepSize: 4, gamma: 0.5 }),
      onBatchEnd: (b) => { seen.push(b); },
    });
    expect(h.epoch).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr'] as const) expect(h[k]).toHaveLength(8);
    expect(h.lr).toEqual([0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005]);
    expect(h.loss[7]).toBeLessThan(h.loss[0] * 0.5);
    expect(h.valAccuracy![7]).toBeGreaterThan(0.9);
    expect(seen).toHaveLength(8 * 6);
    expect(model.training).toBe(true);
    const r = evaluate(model, new TensorDataset(x, y), { loss: 'crossEntropy', metrics: ['accuracy'], batchSize: 50 });
    expect(r.loss).toBeCloseTo(h.valLoss![7], 5);
    expect(r.accuracy).toBeCloseTo(h.valAccuracy![7], 10);
    const p = predict(model, x, { batchSize: 10 });
    expect(p.shape).toEqual([96, 3]);
    expect(Array.from(p.data)).toEqual(Array.from(predict(model, x).data));
  });

  it('earlyStopping stops and restores the best weights', async () => {
    const { x, y } = blobs(1);
    manualSeed(2);
    const model = mlp();
    const es = callbacks.earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
    // lr 0: the loss never improves, so training stops after patience + 1 epochs
    const h = await fit(model, {
      train: new DataLoader(new TensorDataset(x, y), { batchSize: 96 }), epochs: 50, loss: 'crossEntropy',
      optimizer: new SGD(model.parameters(), { lr: 0 }), progress: false, callbacks: [es],
    });
    expect(h.epoch.length).toBeLessThan(50);
    expect(es.stoppedEpoch).toBe(h.epoch.length);
  });

  it('a NaN loss stops training with an error naming epoch and batch', async () => {
    const { x, y } = blobs(1);
    manualSeed(2);
    const model = mlp();
    let batches = 0;
    const loss = (p: Tensor, t: Tensor | Int32Array) => {
      void t;
      batches++;
      return batches === 10 ? p.sum().mul(NaN) : p.mean();
    };
    await expect(fit(model, {
      train: new DataLoader(new TensorDataset(x, y), { batchSize: 16 }), epochs: 3, loss, optimizer: new SGD(model.parameters(), { lr: 0.01 }), progress: false,
    })).rejects.toThrow('fit: loss is NaN at epoch 2, batch 4');
  });

  it('two seeded runs give bit-identical weights (init, shuffle, dropout)', async () => {
    const runOnce = async () => {
      const { x, y } = blobs(5);
      manualSeed(11);
      const model = mlp();
      await fit(model, { train: new TensorDataset(x, y), epochs: 3, batchSize: 8, loss: 'crossEntropy', optimizer: new Adam(model.parameters()), progress: false });
      return model.parameters().map((p) => Array.from(p.data));
    };
    expect(await runOnce()).toEqual(await runOnce());
  });

  it('checkpoint writes the state dict, optimizer buffers and metadata', async () => {
    const { x, y } = blobs(1);
    manualSeed(2);
    const model = mlp();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-ckpt-'));
    const file = path.join(dir, 'ckpt.safetensors');
    await fit(model, {
      train: new TensorDataset(x, y), epochs: 2, batchSize: 32, loss: 'crossEntropy', optimizer: new Adam(model.parameters()),
      progress: false, callbacks: [callbacks.checkpoint(file, { monitor: 'loss' })],
    });
    const t = loadSafetensors(file);
    expect(Object.keys(t)).toContain('0.weight');
    expect(Object.keys(t)).toContain('optimizer.m.3.bias');
    expect(Array.from(t['3.bias'].data)).toEqual(Array.from(model.stateDict()['3.bias'].data));
    const meta = readSafetensorsMetadata(file);
    expect(meta.epoch).toBe('2');
    expect(JSON.parse(meta.optimizer).step).toBe(6);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('mse with tensor targets and binary accuracy', async () => {
    manualSeed(0);
    const model = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 1), new Sigmoid());
    const xs = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const ys = tensor([[0], [1], [1], [1]]);
    const h = await fit(model, { train: new TensorDataset(xs, ys), epochs: 200, batchSize: 4, loss: 'mse', metrics: ['accuracy'], optimizer: new Adam(model.parameters(), { lr: 0.05 }), progress: false });
    expect(h.accuracy![199]).toBe(1);
  });

  it('the XOR example converges (2-3-1 sigmoid, MSE, SGD lr 0.1)', () => {
    const { result, predictions } = trainXor();
    expect(result.finalLoss).toBeLessThan(0.01);
    expect(predictions.map((p) => (p >= 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
  });
});
