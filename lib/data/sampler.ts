/**
 * Samplers: the order of example indices a DataLoader batches (`new DataLoader(ds, {sampler})`).
 * DistributedSampler gives each of `numReplicas` ranks its own share of every epoch (PyTorch's
 * DistributedSampler): the same seeded permutation on every rank (seed + epoch), padded by repeating
 * its first indices to a multiple of numReplicas (or cut down with dropLast), then every
 * numReplicas-th index starting at `rank`.
 */
import { checkOptions } from '../util/options.js';
import { Generator } from '../random.js';
import { getRankOrZero, isInitialized, worldSizeOrOne } from '../distributed/state.js';
import type { Dataset } from './dataset.js';

/** What DataLoader needs of a sampler: its length and the indices of one epoch. */
export interface Sampler extends Iterable<number> {
  readonly length: number;
  /** called by DataLoader at the start of each epoch with its epoch counter (0, 1, …) */
  setEpoch?(epoch: number): void;
}

export interface DistributedSamplerOptions {
  /** number of ranks sharing the data (default: the world size of ng.distributed) */
  numReplicas?: number;
  /** this rank, 0 … numReplicas − 1 (default: ng.distributed's rank) */
  rank?: number;
  /** a new permutation each epoch (default true) */
  shuffle?: boolean;
  /** the permutation of epoch k is seeded with seed + k, identically on every rank (default 0) */
  seed?: number;
  /** drop the tail so that every rank gets the same number without repeats (default false: pad by repeating) */
  dropLast?: boolean;
}

export class DistributedSampler implements Sampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** indices per rank per epoch */
  readonly length: number;
  /** examples per epoch over all ranks (length × numReplicas) */
  readonly totalSize: number;
  private readonly n: number;
  epoch = 0;

  constructor(dataset: Dataset, o: DistributedSamplerOptions = {}) {
    const who = 'DistributedSampler';
    if (!dataset || typeof dataset.length !== 'number') throw new TypeError(`${who}: dataset must have a length`);
    checkOptions(o, ['numReplicas', 'rank', 'shuffle', 'seed', 'dropLast'], who);
    if ((o.numReplicas === undefined || o.rank === undefined) && !isInitialized()) {
      throw new Error(`${who}: pass numReplicas and rank, or call ng.distributed.init() first`);
    }
    const reps = o.numReplicas ?? worldSizeOrOne();
    const rank = o.rank ?? getRankOrZero();
    if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`${who}: numReplicas must be a positive integer, got ${String(reps)}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= reps) throw new RangeError(`${who}: rank must be an integer in [0, ${reps - 1}], got ${String(rank)}`);
    const seed = o.seed ?? 0;
    if (!Number.isFinite(seed)) throw new RangeError(`${who}: seed must be a finite number, got ${String(seed)}`);
    for (const k of ['shuffle', 'dropLast'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new TypeError(`${who}: ${k} must be a boolean`);
    }
    this.numReplicas = reps;
    this.rank = rank;
    this.shuffle = o.shuffle ?? true;
    this.seed = seed;
    this.dropLast = o.dropLast ?? false;
    this.n = dataset.length;
    this.length = this.dropLast ? Math.floor(this.n / reps) : Math.ceil(this.n / reps);
    this.totalSize = this.length * reps;
  }

  /** Sets the epoch whose permutation the next iteration uses (DataLoader does this each epoch). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`DistributedSampler.setEpoch: epoch must be an integer ≥ 0, got ${String(epoch)}`);
    this.epoch = epoch;
  }

  /** This rank's indices for the current epoch. */
  indices(): Int32Array {
    const n = this.n;
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    if (this.shuffle) {
      const g = new Generator(this.seed + this.epoch);
      for (let i = n - 1; i > 0; i--) {
        const j = g.randint(i + 1);
        const t = all[i];
        all[i] = all[j];
        all[j] = t;
      }
    }
    const out = new Int32Array(this.length);
    for (let k = 0; k < this.length; k++) {
      const pos = this.rank + k * this.numReplicas; // < totalSize; past n it wraps round (padding)
      out[k] = n === 0 ? 0 : all[pos % n];
    }
    return out;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
