/**
 * DataLoader: batches of a dataset, optionally shuffled (seeded Fisher–Yates, a new permutation each
 * epoch). A TensorDataset's batch is gathered with one copy per tensor (backend gatherRows into a new
 * contiguous tensor); class labels come as an Int32Array. Other datasets are assembled item by item.
 */
import { current } from '../backend/registry.js';
import { checkOptions } from '../util/options.js';
import { defaultGenerator, Generator } from '../random.js';
import { Tensor } from '../tensor.js';
import { fmtShape, shapesEqual } from '../util/shape.js';
import { TensorDataset, type Dataset, type Labels } from './dataset.js';
import { TokenDataset } from './text.js';

export type Batch = [Tensor, Labels];

export interface DataLoaderOptions {
  /** examples per batch (default 1) */
  batchSize?: number;
  /** a new random order every epoch (default false) */
  shuffle?: boolean;
  /**
   * shuffling seed: epoch k uses a generator seeded with seed + k, so the order does not depend on
   * anything else; without a seed the global generator (ng.manualSeed) is used
   */
  seed?: number;
  /** drop the last batch when it is smaller than batchSize (default false) */
  dropLast?: boolean;
}

export class DataLoader implements Iterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number | undefined;
  readonly dropLast: boolean;
  /** Epochs started so far (each iteration is one epoch). */
  epoch = 0;

  constructor(dataset: Dataset, o: DataLoaderOptions = {}) {
    if (!dataset || typeof dataset.length !== 'number' || typeof dataset.get !== 'function') {
      throw new TypeError('DataLoader: dataset must have a length and get(i)');
    }
    checkOptions(o, ['batchSize', 'shuffle', 'seed', 'dropLast'], 'DataLoader');
    const bs = o.batchSize ?? 1;
    if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${String(bs)}`);
    if (o.seed !== undefined && !Number.isFinite(o.seed)) throw new RangeError(`DataLoader: seed must be a finite number, got ${String(o.seed)}`);
    this.dataset = dataset;
    this.batchSize = bs;
    this.shuffle = o.shuffle ?? false;
    this.seed = o.seed;
    this.dropLast = o.dropLast ?? false;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order of examples for epoch k (identity without shuffle). */
  order(k: number): Int32Array {
    const n = this.dataset.length;
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    if (!this.shuffle) return perm;
    const g = this.seed !== undefined ? new Generator(this.seed + k) : defaultGenerator;
    for (let i = n - 1; i > 0; i--) {
      const j = g.randint(i + 1);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const perm = this.order(this.epoch++);
    const nb = this.length;
    for (let b = 0; b < nb; b++) {
      const idx = perm.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, perm.length));
      yield this.batch(idx);
    }
  }

  /** The batch of the given example indices. */
  batch(idx: Int32Array): Batch {
    const ds = this.dataset;
    if (ds instanceof TensorDataset) {
      const x = gather(ds.x, idx);
      if (ds.yLabels !== null) {
        const lab = new Int32Array(idx.length);
        for (let i = 0; i < idx.length; i++) lab[i] = ds.yLabels[idx[i]];
        return [x, lab];
      }
      return [x, gather(ds.yTensor!, idx)];
    }
    if (ds instanceof TokenDataset) return ds.batch(idx); // int32 [B, T] windows, one copy each
    return stackItems(ds, idx);
  }
}

/** Rows idx of t (first dim) into one new contiguous tensor. */
function gather(t: Tensor, idx: Int32Array): Tensor {
  const w = t.size / t.shape[0];
  if (t.dtype !== 'float32') {
    // int32 (token ids, class labels) and bool rows keep their dtype: the dtype-generic row select
    const d = t.data as unknown as Int32Array | Uint8Array;
    const buf = t.dtype === 'int32' ? new Int32Array(idx.length * w) : new Uint8Array(idx.length * w);
    if (buf.length > 0) current.indexSelect(d, idx, buf, 1, t.shape[0], w);
    return new Tensor(buf, [idx.length, ...t.shape.slice(1)]);
  }
  const out = new Tensor(new Float32Array(idx.length * w), [idx.length, ...t.shape.slice(1)]);
  if (out.size === 0) return out;
  let contiguous = true;
  for (let i = 1; i < idx.length && contiguous; i++) contiguous = idx[i] === idx[0] + i;
  if (contiguous) out.data.set(t.data.subarray(idx[0] * w, (idx[0] + idx.length) * w));
  else current.gatherRows(t.data, idx, out.data, idx.length, w);
  return out;
}

/** A new array for n elements of t's dtype (items keep their dtype: int32 token ids stay int32). */
function alloc(t: Tensor, n: number): Float32Array | Int32Array | Uint8Array {
  return t.dtype === 'int32' ? new Int32Array(n) : t.dtype === 'bool' ? new Uint8Array(n) : new Float32Array(n);
}

function stackItems(ds: Dataset, idx: Int32Array): Batch {
  const items = Array.from(idx, (i) => ds.get(i));
  const x0 = items[0][0];
  const w = x0.size;
  const xd = alloc(x0, items.length * w);
  items.forEach(([x], k) => {
    if (!shapesEqual(x.shape, x0.shape)) throw new Error(`DataLoader: item ${idx[k]} has shape ${fmtShape(x.shape)}, item ${idx[0]} has ${fmtShape(x0.shape)}`);
    if (x.dtype !== x0.dtype) throw new Error(`DataLoader: item ${idx[k]} is ${x.dtype}, item ${idx[0]} is ${x0.dtype}`);
    xd.set(x.data, k * w);
  });
  const xb = new Tensor(xd, [items.length, ...x0.shape]);
  const y0 = items[0][1];
  if (typeof y0 === 'number') {
    return [xb, Int32Array.from(items, ([, y]) => {
      if (typeof y !== 'number' || !Number.isInteger(y)) throw new Error('DataLoader: targets mix labels and tensors, or a label is not an integer');
      return y;
    })];
  }
  const yw = y0.size;
  const yd = alloc(y0, items.length * yw);
  items.forEach(([, y], k) => {
    if (!(y instanceof Tensor) || !shapesEqual(y.shape, y0.shape)) throw new Error(`DataLoader: target of item ${idx[k]} does not match the first item's shape ${fmtShape(y0.shape)}`);
    if (y.dtype !== y0.dtype) throw new Error(`DataLoader: target of item ${idx[k]} is ${y.dtype}, item ${idx[0]}'s is ${y0.dtype}`);
    yd.set(y.data, k * yw);
  });
  return [xb, new Tensor(yd, [items.length, ...y0.shape])];
}
