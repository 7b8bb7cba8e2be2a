/**
 * fit() callbacks. A callback is an object with any of the hooks below; onEpochEnd may return 'stop'
 * to end training after that epoch. Hooks may be async (fit awaits them).
 */
import type { Module, StateDict } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/scheduler.js';
import type { DataLoader } from '../data/loader.js';
import { saveSafetensors } from '../io/safetensors.js';
import { getRankOrZero } from '../distributed/state.js';
import type { Tensor } from '../tensor.js';
import { checkpointContents } from './checkpoint.js';
import type { Logs } from './progress.js';

export interface History {
  epoch: number[];
  loss: number[];
  accuracy?: number[];
  valLoss?: number[];
  valAccuracy?: number[];
  lr?: number[];
}

export interface TrainContext {
  model: Module;
  optimizer: Optimizer;
  history: History;
  epochs: number;
  /** the training DataLoader (fit wraps a dataset in one) */
  train?: DataLoader;
  scheduler?: LRScheduler;
  /** set when fit resumed from a checkpoint: its epoch and metadata */
  resumed?: { epoch: number; metadata: Record<string, string> };
}

type MaybePromise<T> = T | Promise<T>;

export interface Callback {
  onTrainBegin?(ctx: TrainContext): MaybePromise<void>;
  /** epoch is 1-based */
  onEpochBegin?(epoch: number): MaybePromise<void>;
  /** batch is 1-based within the epoch; logs: {loss, accuracy?} of that batch */
  onBatchEnd?(batch: number, logs: Logs): MaybePromise<void>;
  /** logs: {loss, accuracy?, valLoss?, valAccuracy?, lr} of the epoch; 'stop' ends training */
  onEpochEnd?(epoch: number, logs: Logs): MaybePromise<void | 'stop'>;
  onTrainEnd?(logs: Logs): MaybePromise<void>;
}

export interface MonitorOptions {
  /** the log to watch (default 'valLoss'; falls back to 'loss' when there is no validation set) */
  monitor?: string;
  /** 'min' for losses, 'max' for accuracies; 'auto' (default) decides from the name */
  mode?: 'min' | 'max' | 'auto';
}

class Monitor {
  best = NaN;
  name: string;
  private readonly mode: 'min' | 'max' | 'auto';
  constructor(o: MonitorOptions, private readonly minDelta = 0) {
    this.name = o.monitor ?? 'valLoss';
    this.mode = o.mode ?? 'auto';
  }
  /** The monitored value from logs (falls back from valX to X when no validation ran). */
  value(logs: Logs): number | undefined {
    if (logs[this.name] !== undefined) return logs[this.name];
    if (this.name.startsWith('val')) {
      const plain = this.name[3].toLowerCase() + this.name.slice(4);
      if (logs[plain] !== undefined) return logs[plain];
    }
    return undefined;
  }
  private get max(): boolean {
    return this.mode === 'max' || (this.mode === 'auto' && /acc/i.test(this.name));
  }
  /** True when v improves on the best so far by more than minDelta (and records it). */
  improve(v: number): boolean {
    const better = Number.isNaN(this.best) || (this.max ? v > this.best + this.minDelta : v < this.best - this.minDelta);
    if (better) this.best = v;
    return better;
  }
}

function snapshot(sd: StateDict): StateDict {
  const out: StateDict = {};
  for (const [k, t] of Object.entries(sd)) out[k] = t.clone();
  return out;
}

export interface EarlyStoppingOptions extends MonitorOptions {
  /** epochs in a row without improvement after which training stops (default 0: the first one stops it, as in Keras) */
  patience?: number;
  /** smallest change that counts as an improvement (default 0) */
  minDelta?: number;
  /** put back the weights of the best epoch when training ends (default false) */
  restoreBestWeights?: boolean;
}

/** Stops training when the monitored value has not improved for `patience` epochs. */
export function earlyStopping(o: EarlyStoppingOptions = {}): Callback & { stoppedEpoch: number; bestEpoch: number } {
  const patience = o.patience ?? 0;
  if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`earlyStopping: patience must be an integer ≥ 0, got ${String(patience)}`);
  let mon = new Monitor(o, o.minDelta ?? 0);
  let wait = 0;
  let best: StateDict | null = null;
  let model: Module | null = null;
  const cb = {
    stoppedEpoch: 0,
    bestEpoch: 0,
    onTrainBegin(ctx: TrainContext) {
      mon = new Monitor(o, o.minDelta ?? 0);
      wait = 0;
      best = null;
      model = ctx.model;
      cb.stoppedEpoch = 0;
      cb.bestEpoch = 0;
    },
    onEpochEnd(epoch: number, logs: Logs): void | 'stop' {
      const v = mon.value(logs);
      if (v === undefined) throw new Error(`earlyStopping: monitored value '${mon.name}' is not among the logs (${Object.keys(logs).join(', ')})`);
      if (mon.improve(v)) {
        wait = 0;
        cb.bestEpoch = epoch;
        if (o.restoreBestWeights && model) best = snapshot(model.stateDict());
        return;
      }
      // Keras / Lightning semantics: stop once `patience` epochs in a row brought no improvement
      // (patience 0 stops at the first such epoch, like patience 1)
      if (++wait >= patience) {
        cb.stoppedEpoch = epoch;
        return 'stop';
      }
    },
    onTrainEnd() {
      if (o.restoreBestWeights && model && best) model.loadStateDict(best);
    },
  };
  return cb;
}

/** Writes a checkpoint file: (path, tensors, string metadata). */
export type SaveFn = (path: string, tensors: Record<string, Tensor>, metadata: Record<string, string>) => MaybePromise<void>;

export interface CheckpointOptions extends MonitorOptions {
  /** only write when the monitored value improves (default false: every epoch) */
  saveBestOnly?: boolean;
  /** the writer (default: saveSafetensors from lib/io/safetensors) */
  save?: SaveFn;
}

/**
 * Saves `path` (a safetensors file; `{epoch}` in the path is replaced by the epoch number) after each
 * epoch, or only on improvement with saveBestOnly. The file holds everything `fit({resumeFrom})` /
 * `loadCheckpoint` need to continue bit-identically: the model's state dict, the optimizer's state
 * buffers as `optimizer.<kind>.<parameter name>` tensors, and metadata {epoch, optimizer: JSON of
 * {type, step, hyper}, scheduler, rng (global generator state), loaderEpoch, history, monitor, value}
 * (see lib/train/checkpoint.ts). Written atomically (temp file, fsync, rename).
 */
export function checkpoint(path: string, o: CheckpointOptions = {}): Callback {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('checkpoint: path must be a non-empty string');
  let mon = new Monitor(o);
  let ctx: TrainContext | null = null;
  return {
    onTrainBegin(c: TrainContext) {
      ctx = c;
      mon = new Monitor(o);
      // resuming: the best value so far comes from the checkpoint we resumed from
      const m = c.resumed?.metadata;
      if (m && m.monitor === mon.name && m.value !== undefined && Number.isFinite(Number(m.value))) mon.best = Number(m.value);
    },
    async onEpochEnd(epoch: number, logs: Logs) {
      if (!ctx) return;
      const v = mon.value(logs);
      if (o.saveBestOnly) {
        if (v === undefined) throw new Error(`checkpoint: monitored value '${mon.name}' is not among the logs (${Object.keys(logs).join(', ')})`);
        if (!mon.improve(v)) return;
      }
      if (getRankOrZero() !== 0) return; // data-parallel: every rank holds the same state, rank 0 writes it
      const { tensors, metadata } = checkpointContents({
        model: ctx.model, optimizer: ctx.optimizer, scheduler: ctx.scheduler, loader: ctx.train, epoch, history: ctx.history,
      });
      if (v !== undefined) {
        metadata.monitor = mon.name;
        metadata.value = String(v);
      }
      const save = o.save ?? saveSafetensors;
      await save(path.replace('{epoch}', String(epoch)), tensors, metadata);
    },
  };
}
