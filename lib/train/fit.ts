/**
 * fit / evaluate / predict: the Keras-style loop over a DataLoader (or a dataset, batched here).
 * Each batch: forward, loss, backward, optimizer.step(), optimizer.zeroGrad(). fit yields to the event
 * loop once per epoch, so it is genuinely async (timers and I/O run between epochs).
 */
import { checkOptions } from '../util/options.js';
import { noGrad } from '../autograd.js';
import { DataLoader } from '../data/loader.js';
import type { Dataset, Labels } from '../data/dataset.js';
import * as F from '../nn/functional.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/scheduler.js';
import { clipGradNorm } from '../nn/utils.js';
import { concat } from '../ops/index.js';
import { Tensor } from '../tensor.js';
import type { Callback, History, TrainContext } from './callbacks.js';
import { loadCheckpoint } from './checkpoint.js';
import { getRankOrZero } from '../distributed/state.js';
import { correctCount, predictionCount, type MetricName } from './metrics.js';
import { Progress, type Logs } from './progress.js';

export type LossName = 'crossEntropy' | 'mse' | 'l1' | 'huber' | 'binaryCrossEntropy' | 'binaryCrossEntropyWithLogits';
/** A loss: (prediction, targets) → 0-d tensor (mean over the batch). */
export type LossFn = (pred: Tensor, target: Labels) => Tensor;

export function resolveLoss(loss: LossName | LossFn, who: string): LossFn {
  if (typeof loss === 'function') return loss;
  switch (loss) {
    case 'crossEntropy': return (p, y) => F.crossEntropy(p, y);
    case 'mse': return (p, y) => F.mseLoss(p, y);
    case 'l1': return (p, y) => F.l1Loss(p, y);
    case 'huber': return (p, y) => F.huberLoss(p, y);
    case 'binaryCrossEntropy': return (p, y) => F.binaryCrossEntropy(p, y);
    case 'binaryCrossEntropyWithLogits': return (p, y) => F.binaryCrossEntropyWithLogits(p, y);
    default:
      throw new RangeError(`${who}: unknown loss '${String(loss)}'; use 'crossEntropy', 'mse', 'l1', 'huber', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits' or a function`);
  }
}

function checkMetrics(metrics: readonly string[] | undefined, who: string): boolean {
  for (const m of metrics ?? []) if (m !== 'accuracy') throw new RangeError(`${who}: unknown metric '${m}'; available: accuracy`);
  return (metrics ?? []).includes('accuracy');
}

function asLoader(d: DataLoader | Dataset, batchSize: number, shuffle: boolean, seed: number | undefined, who: string): DataLoader {
  if (d instanceof DataLoader) return d;
  if (d && typeof d.length === 'number' && typeof d.get === 'function') return new DataLoader(d, { batchSize, shuffle, seed });
  throw new TypeError(`${who}: expected a DataLoader or a dataset (with length and get)`);
}

function labelCount(y: Labels): number {
  return y instanceof Tensor ? y.shape[0] : y.length;
}

export interface FitOptions {
  train: DataLoader | Dataset;
  valid?: DataLoader | Dataset;
  epochs: number;
  /** batch size when train/valid are datasets (default 32) */
  batchSize?: number;
  /** shuffle when train is a dataset (default true) */
  shuffle?: boolean;
  /** shuffling seed when train is a dataset (default: the global generator) */
  seed?: number;
  loss: LossName | LossFn;
  optimizer: Optimizer;
  metrics?: MetricName[];
  callbacks?: Callback[];
  /** progress bar on a TTY, one line per epoch otherwise (default true) */
  progress?: boolean;
  /** stepped once per epoch (default) or per batch (schedulerStep: 'batch') */
  scheduler?: LRScheduler;
  schedulerStep?: 'epoch' | 'batch';
  /** clip the gradients' joint L2 norm to this before each step */
  clipGradNorm?: number;
  onEpochEnd?: (epoch: number, logs: Logs) => void | 'stop' | Promise<void | 'stop'>;
  onBatchEnd?: (batch: number, logs: Logs) => void | Promise<void>;
  /**
   * a checkpoint file (written by callbacks.checkpoint) to continue from: restores the model, the
   * optimizer, the scheduler, the DataLoader's epoch and the global RNG state, then trains epochs
   * checkpoint.epoch + 1 … `epochs` (so `epochs` is the total, as in an uninterrupted run). With the same
   * seed, data and settings the result is bit-identical to the uninterrupted run.
   */
  resumeFrom?: string;
}

const FIT_KEYS = [
  'train', 'valid', 'epochs', 'batchSize', 'shuffle', 'seed', 'loss', 'optimizer', 'metrics', 'callbacks', 'progress',
  'scheduler', 'schedulerStep', 'clipGradNorm', 'onEpochEnd', 'onBatchEnd', 'resumeFrom',
] as const;

/** Trains `model`; resolves to the per-epoch history. Epochs and batches are numbered from 1. */
export async function fit(model: Module, o: FitOptions): Promise<History> {
  const who = 'fit';
  if (!o || typeof o !== 'object') throw new TypeError(`${who}: options are required`);
  checkOptions(o, FIT_KEYS, who);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new RangeError(`${who}: epochs must be an integer ≥ 0, got ${String(o.epochs)}`);
  if (!o.optimizer || typeof o.optimizer.step !== 'function') throw new TypeError(`${who}: an optimizer is required`);
  const lossFn = resolveLoss(o.loss, who);
  const wantAcc = checkMetrics(o.metrics, who);
  const bs = o.batchSize ?? 32;
  const train = asLoader(o.train, bs, o.shuffle ?? true, o.seed, who);
  const valid = o.valid !== undefined ? asLoader(o.valid, bs, false, undefined, who) : null;
  const opt = o.optimizer;
  const callbacks = [...(o.callbacks ?? [])];
  if (o.onEpochEnd || o.onBatchEnd) callbacks.push({ onEpochEnd: o.onEpochEnd, onBatchEnd: o.onBatchEnd });
  const perBatchSched = o.schedulerStep === 'batch';

  const history: History = { epoch: [], loss: [] };
  if (wantAcc) history.accuracy = [];
  if (valid) {
    history.valLoss = [];
    if (wantAcc) history.valAccuracy = [];
  }
  history.lr = [];
  const ctx: TrainContext = { model, optimizer: opt, history, epochs: o.epochs, train, scheduler: o.scheduler };
  let firstEpoch = 1;
  if (o.resumeFrom !== undefined) {
    const r = loadCheckpoint(o.resumeFrom, model, opt, { scheduler: o.scheduler, loader: train });
    firstEpoch = r.epoch + 1;
    ctx.resumed = { epoch: r.epoch, metadata: r.metadata };
    if (r.history && Array.isArray(r.history.epoch)) {
      for (const k of Object.keys(history) as (keyof History)[]) {
        const prev = r.history[k];
        if (Array.isArray(prev)) history[k] = prev.slice(0, r.epoch);
      }
    }
  }
  // under ng.distributed only rank 0 prints (checkpoint callbacks likewise save on rank 0 only)
  const progress = new Progress((o.progress ?? true) && getRankOrZero() === 0, o.epochs);
  let last: Logs = {};
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
    for (let epoch = firstEpoch; epoch <= o.epochs; epoch++) {
      model.train();
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch);
      const lrAtStart = opt.lr;
      progress.epochBegin(epoch, train.length);
      let lossSum = 0;
      let correct = 0;
      let scored = 0;
      let seen = 0;
      let batch = 0;
      for (const [xb, yb] of train) {
        batch++;
        const n = labelCount(yb);
        const pred = model.forward(xb);
        const loss = lossFn(pred, yb);
        if (loss.size !== 1) throw new Error(`${who}: the loss must be a single number, got shape [${loss.shape.join(',')}]`);
        const lv = loss.data[0];
        if (!Number.isFinite(lv)) throw new Error(`${who}: loss is ${lv} at epoch ${epoch}, batch ${batch}`);
        loss.backward();
        if (o.clipGradNorm !== undefined) clipGradNorm(opt.params, o.clipGradNorm);
        opt.step();
        opt.zeroGrad(false); // keep the buffers: the next backward accumulates into them in place
        if (perBatchSched) o.scheduler?.step();
        lossSum += lv * n;
        seen += n;
        const bl: Logs = { loss: lv };
        if (wantAcc) {
          const c = correctCount(pred, yb);
          const k = predictionCount(pred, yb);
          correct += c;
          scored += k;
          bl.accuracy = c / k;
        }
        const running: Logs = { loss: lossSum / seen };
        if (wantAcc) running.accuracy = correct / scored;
        progress.batchEnd(batch, n, running);
        for (const cb of callbacks) await cb.onBatchEnd?.(batch, bl);
      }
      const logs: Logs = { loss: lossSum / seen };
      if (wantAcc) logs.accuracy = correct / scored;
      if (valid) {
        const r = evaluateLoader(model, valid, lossFn, wantAcc);
        logs.valLoss = r.loss;
        if (wantAcc) logs.valAccuracy = r.accuracy!;
      }
      logs.lr = lrAtStart;
      history.epoch.push(epoch);
      history.loss.push(logs.loss);
      if (wantAcc) history.accuracy!.push(logs.accuracy);
      if (valid) {
        history.valLoss!.push(logs.valLoss);
        if (wantAcc) history.valAccuracy!.push(logs.valAccuracy);
      }
      history.lr.push(lrAtStart);
      progress.epochEnd(epoch, logs);
      last = logs;
      if (!perBatchSched) o.scheduler?.step();
      let stop = false;
      for (const cb of callbacks) if ((await cb.onEpochEnd?.(epoch, logs)) === 'stop') stop = true;
      if (stop) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    progress.close();
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(last);
  return history;
}

function evaluateLoader(model: Module, loader: DataLoader, lossFn: LossFn, wantAcc: boolean): { loss: number; accuracy?: number } {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let lossSum = 0;
      let correct = 0;
      let scored = 0;
      let seen = 0;
      for (const [xb, yb] of loader) {
        const n = labelCount(yb);
        const pred = model.forward(xb);
        lossSum += lossFn(pred, yb).data[0] * n;
        if (wantAcc) {
          correct += correctCount(pred, yb);
          scored += predictionCount(pred, yb);
        }
        seen += n;
      }
      const r: { loss: number; accuracy?: number } = { loss: seen > 0 ? lossSum / seen : NaN };
      if (wantAcc) r.accuracy = scored > 0 ? correct / scored : NaN;
      return r;
    });
  } finally {
    model.train(wasTraining);
  }
}

export interface EvaluateOptions {
  /** default 'crossEntropy' */
  loss?: LossName | LossFn;
  metrics?: MetricName[];
  /** when `data` is a dataset (default 256) */
  batchSize?: number;
}

/** Mean loss (and metrics) over a dataset or loader, in eval mode without gradients. Synchronous. */
export function evaluate(model: Module, data: DataLoader | Dataset, o: EvaluateOptions = {}): { loss: number; accuracy?: number } {
  checkOptions(o, ['loss', 'metrics', 'batchSize'], 'evaluate');
  const lossFn = resolveLoss(o.loss ?? 'crossEntropy', 'evaluate');
  const wantAcc = checkMetrics(o.metrics, 'evaluate');
  return evaluateLoader(model, asLoader(data, o.batchSize ?? 256, false, undefined, 'evaluate'), lossFn, wantAcc);
}

/** model(x) in eval mode without gradients, in batches of batchSize (default: all at once) along dim 0. */
export function predict(model: Module, x: Tensor, o: { batchSize?: number } = {}): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('predict: x must be a Tensor');
  checkOptions(o, ['batchSize'], 'predict');
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const n = x.ndim === 0 ? 1 : x.shape[0];
      const bs = o.batchSize ?? n;
      if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`predict: batchSize must be a positive integer, got ${String(bs)}`);
      if (bs >= n || x.ndim === 0) return model.forward(x);
      const w = x.size / n;
      const outs: Tensor[] = [];
      for (let s = 0; s < n; s += bs) {
        const e = Math.min(n, s + bs);
        outs.push(model.forward(new Tensor(x.data.subarray(s * w, e * w), [e - s, ...x.shape.slice(1)])));
      }
      return concat(outs, 0);
    });
  } finally {
    model.train(wasTraining);
  }
}
