/**
 * Training checkpoints: one safetensors file holding everything a run needs to continue bit-identically.
 *
 * Tensors: the model's state dict (PyTorch names) and the optimizer's state buffers as
 * `optimizer.<kind>.<parameter name>` (the parameter's index when it is not among the model's named
 * parameters). String metadata (`__metadata__`):
 *   - `format`: 'nodegrad.checkpoint', `epoch`: the last finished epoch (1-based)
 *   - `optimizer`: JSON {type, step, hyper (incl. lr)}
 *   - `scheduler`: JSON of the scheduler's stateDict() (when fit has one)
 *   - `rng`: JSON of the global generator's state (getRngState()) at the end of that epoch
 *   - `loaderEpoch`: epochs the training DataLoader has started (its own shuffle state: a loader with a
 *     seed shuffles epoch k with a generator seeded seed + k; one without draws from the global generator)
 *   - `history`: JSON of fit's history so far
 * The file is written with saveSafetensors: temp file in the same folder, fsync, rename.
 */
import { loadSafetensors, readSafetensorsMetadata } from '../io/safetensors.js';
import type { DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/scheduler.js';
import { getRngState, setRngState, type RngState } from '../random.js';
import { Tensor } from '../tensor.js';
import type { History } from './callbacks.js';

export const CHECKPOINT_FORMAT = 'nodegrad.checkpoint';
const OPT_PREFIX = 'optimizer.';

export interface CheckpointState {
  model: Module;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  /** the training DataLoader (its epoch counter is saved) */
  loader?: DataLoader;
  epoch: number;
  history?: History;
}

/** The tensors and metadata of a checkpoint of the current state (the RNG state is read now). */
export function checkpointContents(s: CheckpointState): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const tensors: Record<string, Tensor> = { ...s.model.stateDict() };
  const metadata: Record<string, string> = { format: CHECKPOINT_FORMAT, epoch: String(s.epoch) };
  if (s.optimizer) {
    const names = paramNames(s.model);
    const osd = s.optimizer.stateDict();
    for (const [kind, list] of Object.entries(osd.buffers)) {
      list.forEach((b, i) => {
        if (b === null) return;
        const p = s.optimizer!.params[i];
        tensors[`${OPT_PREFIX}${kind}.${names.get(p) ?? String(i)}`] = new Tensor(b, [...p.shape]);
      });
    }
    metadata.optimizer = JSON.stringify({ type: osd.type, step: osd.step, hyper: osd.hyper });
  }
  if (s.scheduler) metadata.scheduler = JSON.stringify({ type: s.scheduler.constructor.name, ...s.scheduler.stateDict() });
  metadata.rng = JSON.stringify(getRngState());
  if (s.loader) metadata.loaderEpoch = String(s.loader.epoch);
  if (s.history) metadata.history = JSON.stringify(s.history);
  return { tensors, metadata };
}

function paramNames(model: Module): Map<Tensor, string> {
  const names = new Map<Tensor, string>();
  for (const [n, p] of model.namedParameters()) names.set(p, n);
  return names;
}

export interface LoadCheckpointOptions {
  /** restore this scheduler's state too (needs the `scheduler` metadata) */
  scheduler?: LRScheduler;
  /** set this DataLoader's epoch counter (its shuffle state) from the checkpoint */
  loader?: DataLoader;
  /** restore the global generator's state (default true) */
  rng?: boolean;
}

export interface LoadedCheckpoint {
  /** the last finished epoch; training continues with epoch + 1 */
  epoch: number;
  metadata: Record<string, string>;
  /** fit's history up to that epoch, when the checkpoint has it */
  history?: History;
}

function parseJson<T>(metadata: Record<string, string>, key: string, path: string): T {
  try {
    return JSON.parse(metadata[key]) as T;
  } catch (e) {
    throw new Error(`loadCheckpoint: ${path}: metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Restores a checkpoint written by `callbacks.checkpoint` (or fit's own): the model's weights (strict),
 * and when given the optimizer's buffers, step count and hyperparameters (lr included), the scheduler,
 * the DataLoader's epoch counter, and (unless `rng: false`) the global random generator's state.
 * Everything is validated before anything is changed.
 */
export function loadCheckpoint(path: string, model: Module, optimizer?: Optimizer, o: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const who = 'loadCheckpoint';
  const all = loadSafetensors(path);
  const metadata = readSafetensorsMetadata(path);
  const epoch = Number(metadata.epoch);
  if (metadata.epoch === undefined || !Number.isInteger(epoch) || epoch < 0) {
    throw new Error(`${who}: ${path} is not a training checkpoint (metadata 'epoch' is ${metadata.epoch === undefined ? 'missing' : `'${metadata.epoch}'`})`);
  }
  const weights: Record<string, Tensor> = {};
  const optTensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(all)) (k.startsWith(OPT_PREFIX) ? optTensors : weights)[k] = t;

  // --- validate and prepare everything first ---
  let osd: OptimizerStateDict | null = null;
  if (optimizer) {
    if (metadata.optimizer === undefined) throw new Error(`${who}: ${path} has no optimizer state (metadata 'optimizer')`);
    const meta = parseJson<{ type?: string; step?: number; hyper?: OptimizerStateDict['hyper'] }>(metadata, 'optimizer', path);
    if (meta.type !== undefined && meta.type !== optimizer.constructor.name) {
      throw new Error(`${who}: ${path} holds ${meta.type} state, not ${optimizer.constructor.name}`);
    }
    const names = paramNames(model);
    const index = new Map<string, number>();
    optimizer.params.forEach((p, i) => index.set(names.get(p) ?? String(i), i));
    const buffers: OptimizerStateDict['buffers'] = {};
    for (const [k, t] of Object.entries(optTensors)) {
      const rest = k.slice(OPT_PREFIX.length);
      const dot = rest.indexOf('.');
      const kind = rest.slice(0, dot);
      const i = dot > 0 ? index.get(rest.slice(dot + 1)) : undefined;
      if (i === undefined) throw new Error(`${who}: ${path}: optimizer tensor '${k}' matches no parameter of the optimizer`);
      (buffers[kind] ??= new Array<Float32Array | null>(optimizer.params.length).fill(null))[i] = t.data;
    }
    osd = { type: meta.type ?? optimizer.constructor.name, step: meta.step ?? 0, hyper: meta.hyper ?? {}, buffers };
  }
  let sched: { lastEpoch: number; baseLr: number; type?: string } | null = null;
  if (o.scheduler) {
    if (metadata.scheduler === undefined) throw new Error(`${who}: ${path} has no scheduler state (metadata 'scheduler')`);
    sched = parseJson(metadata, 'scheduler', path);
    if (sched!.type !== undefined && sched!.type !== o.scheduler.constructor.name) {
      throw new Error(`${who}: ${path} holds ${sched!.type} state, not ${o.scheduler.constructor.name}`);
    }
  }
  let rng: RngState | null = null;
  if (o.rng ?? true) {
    if (metadata.rng === undefined) throw new Error(`${who}: ${path} has no RNG state (metadata 'rng'); pass {rng: false} to skip it`);
    rng = parseJson<RngState>(metadata, 'rng', path);
    if (!rng || !Array.isArray(rng.s) || rng.s.length !== 4) throw new Error(`${who}: ${path}: metadata 'rng' is not a generator state`);
  }
  const loaderEpoch = metadata.loaderEpoch !== undefined ? Number(metadata.loaderEpoch) : epoch;

  // --- apply ---
  try {
    model.loadStateDict(weights, { strict: true });
  } catch (e) {
    throw new Error(`${who}: ${path} does not match the model: ${(e as Error).message}`);
  }
  if (optimizer && osd) optimizer.loadStateDict(osd);
  if (o.scheduler && sched) {
    (o.scheduler as { baseLr: number }).baseLr = sched.baseLr;
    o.scheduler.loadStateDict(sched);
    // the optimizer's saved lr is authoritative (a user may have changed it after the scheduler)
    if (osd && typeof osd.hyper.lr === 'number') optimizer!.lr = osd.hyper.lr;
  }
  if (o.loader) o.loader.epoch = loaderEpoch;
  if (rng) setRngState(rng);
  const out: LoadedCheckpoint = { epoch, metadata };
  if (metadata.history !== undefined) out.history = parseJson<History>(metadata, 'history', path);
  return out;
}
