/** Embedding: a lookup table [numEmbeddings, embeddingDim] indexed by integer ids (gatherRows / scatterAddRows). */
import { current } from '../backend/registry.js';
import { accumulate, gradSink, needsGrad1, pendingGradSink, record } from '../autograd.js';
import { Tensor, tensor } from '../tensor.js';
import { describe } from '../util/describe.js';
import { emptyF32, zerosF32 } from '../util/alloc.js';
import { indexData } from './indices.js';
import { normal_ } from './init.js';
import { Module, Parameter } from './module.js';
import { checkOptions } from '../util/options.js';

/**
 * Indices as an owned Int32Array plus their shape: an int32 (or float32/bool) tensor, an Int32Array or a
 * number[]; each must be an integer in [0, n) (else a RangeError naming `who`). Validated by the backend.
 */
export function toIndices(idx: Indices, n: number, who: string): { ids: Int32Array; shape: number[] } {
  let shape: number[];
  if (Array.isArray(idx) && idx.some((v) => Array.isArray(v))) {
    // nested arrays (number[][], as torch.tensor([[1, 2]])): a rectangular int32 tensor
    try {
      idx = tensor(idx as never, { dtype: 'int32' });
    } catch (e) {
      if (e instanceof Error) e.message = `${who}: indices: ${e.message}`;
      throw e;
    }
  }
  if (idx instanceof Tensor) shape = [...idx.shape];
  else if (idx instanceof Int32Array || Array.isArray(idx)) {
    const bad = (idx as readonly unknown[]).findIndex((v) => typeof v !== 'number');
    if (bad >= 0) throw new TypeError(`${who}: index at position ${bad} must be an integer, got ${describe((idx as readonly unknown[])[bad])}`);
    shape = [idx.length];
  } else throw new TypeError(`${who}: indices must be an Int32Array, a number[] (or nested number[][]) or a Tensor, got ${describe(idx)}`);
  const ids = indexData(idx, n, { range: (v, i) => `${who}: index ${v} at position ${i} is out of range for ${n} embeddings` });
  return { ids, shape };
}

/** Integer ids: an int32 tensor, an Int32Array, a number[] or nested number[][] (any rank). */
export type Indices = Int32Array | readonly number[] | readonly (readonly number[])[] | Tensor;

export interface EmbeddingOptions {
  /** this row is zeroed at construction and receives no gradient (negative counts from the end) */
  paddingIdx?: number | null;
  /** each looked-up row whose normType-norm exceeds this is rescaled to it, in place, before the lookup */
  maxNorm?: number | null;
  /** the p of the maxNorm norm (default 2) */
  normType?: number;
}

const EMBEDDING_KEYS = ['paddingIdx', 'maxNorm', 'normType'];

/** maxNorm / normType checked (PyTorch's rules: maxNorm > 0 or null; normType a positive number or Infinity). */
function renormArgs(o: EmbeddingOptions, who: string): { maxNorm: number | null; normType: number } {
  const maxNorm = o.maxNorm ?? null;
  if (maxNorm !== null && (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm))) {
    throw new RangeError(`${who}: maxNorm must be a positive finite number or null, got ${typeof maxNorm === 'string' ? `"${maxNorm}" (string)` : String(maxNorm)}`);
  }
  const normType = o.normType ?? 2;
  if (typeof normType !== 'number' || !(normType > 0)) throw new RangeError(`${who}: normType must be a positive number (or Infinity), got ${String(normType)}`);
  return { maxNorm, normType };
}

/**
 * torch.embedding_renorm_: each distinct row of `ids` whose p-norm exceeds maxNorm is scaled by
 * maxNorm / (norm + 1e-7), in place (no gradient; the weight's version counter counts the write).
 */
function renorm(weight: Tensor, ids: Int32Array, maxNorm: number, p: number): void {
  const d = weight.shape[1];
  const w = weight.data;
  const seen = new Set<number>();
  let changed = false;
  for (const r of ids) {
    if (seen.has(r)) continue;
    seen.add(r);
    let norm = 0;
    if (p === Infinity) for (let j = 0; j < d; j++) norm = Math.max(norm, Math.abs(w[r * d + j]));
    else if (p === 1) for (let j = 0; j < d; j++) norm += Math.abs(w[r * d + j]);
    else if (p === 2) { for (let j = 0; j < d; j++) norm += w[r * d + j] ** 2; norm = Math.sqrt(norm); }
    else { for (let j = 0; j < d; j++) norm += Math.abs(w[r * d + j]) ** p; norm **= 1 / p; }
    norm = Math.fround(norm);
    if (norm > maxNorm) {
      const scale = Math.fround(maxNorm / Math.fround(norm + 1e-7));
      for (let j = 0; j < d; j++) w[r * d + j] = Math.fround(w[r * d + j] * scale);
      changed = true;
    }
  }
  if (changed) weight._storage.version++;
}

/** paddingIdx normalised to [0, n) (or null), PyTorch's rules. */
function paddingRow(p: number | null | undefined, n: number, who: string): number | null {
  if (p === null || p === undefined) return null;
  if (!Number.isInteger(p) || p < -n || p >= n) throw new RangeError(`${who}: paddingIdx must be an integer in [-${n}, ${n}), got ${String(p)}`);
  return p < 0 ? p + n : p;
}

/**
 * Rows of `weight` [n, d] for each index (torch.nn.functional.embedding): output [...indices.shape, d].
 * Backward scatter-adds the output gradient into weight's rows (duplicates add up in order); the row
 * `paddingIdx` (a number or `{paddingIdx}`) receives no gradient.
 */
export function embedding(
  indices: Indices, weight: Tensor, paddingIdx?: number | null | EmbeddingOptions,
): Tensor {
  let p = paddingIdx;
  let renormOpts: { maxNorm: number | null; normType: number } = { maxNorm: null, normType: 2 };
  if (p !== null && typeof p === 'object') {
    checkOptions(p, EMBEDDING_KEYS, 'embedding');
    renormOpts = renormArgs(p, 'embedding');
    p = p.paddingIdx;
  }
  return embeddingNamed(indices, weight, p ?? null, 'embedding', renormOpts.maxNorm, renormOpts.normType);
}

function embeddingNamed(
  indices: Indices, weight: Tensor, paddingIdx: number | null, who: string,
  maxNorm: number | null = null, normType = 2,
): Tensor {
  if (!(weight instanceof Tensor) || weight.ndim !== 2 || weight.dtype !== 'float32') {
    throw new TypeError(`${who}: weight must be a 2-D float32 tensor [numEmbeddings, embeddingDim], got ${weight instanceof Tensor ? `${weight.dtype} [${weight.shape.join(', ')}]` : describe(weight)}`);
  }
  const [num, d] = weight.shape;
  const pad = paddingRow(paddingIdx, num, who);
  const { ids, shape } = toIndices(indices, num, who);
  if (maxNorm !== null) {
    if (!weight.isContiguous()) throw new Error(`${who}: maxNorm rescales weight rows in place, so weight must be contiguous`);
    renorm(weight, ids, maxNorm, normType);
  }
  const rows = ids.length;
  const out = new Tensor(emptyF32(rows * d), [...shape, d]);
  if (rows > 0 && d > 0) current.gatherRows(weight.data, ids, out.data, rows, d);
  if (needsGrad1(weight)) {
    record(out, [weight], (g) => {
      // no padding row to spare: scatter straight into a pending (or an existing) gradient of the table
      const sink = pad === null && rows > 0 && d > 0 ? pendingGradSink(weight) ?? gradSink(weight, [g]) : null;
      if (sink !== null) {
        current.scatterAddRows(g, ids, sink, rows, d);
        return;
      }
      const dw = zerosF32(weight.size);
      if (rows > 0 && d > 0) current.scatterAddRows(g, ids, dw, rows, d);
      if (pad !== null) dw.fill(0, pad * d, (pad + 1) * d);
      accumulate(weight, dw, true);
    }, []);
  }
  return out;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** the padding row in [0, numEmbeddings), or null */
  readonly paddingIdx: number | null;
  /** looked-up rows with a larger normType-norm are rescaled to it in place (null: never) */
  readonly maxNorm: number | null;
  readonly normType: number;
  weight: Parameter;

  /**
   * weight [n, d] initialised N(0, 1) like PyTorch, the paddingIdx row zeroed. `new Embedding(n, d)`,
   * `new Embedding(n, d, {paddingIdx, maxNorm, normType})` or PyTorch's positional
   * `new Embedding(n, d, paddingIdx, maxNorm, normType)`.
   */
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions | number | null = {}, maxNorm?: number | null, normType?: number) {
    super();
    if (typeof opts === 'number' || opts === null) {
      opts = { paddingIdx: opts };
      if (maxNorm !== undefined) opts.maxNorm = maxNorm;
      if (normType !== undefined) opts.normType = normType;
    } else if (maxNorm !== undefined || normType !== undefined) {
      throw new TypeError('Embedding: positional maxNorm/normType follow a positional paddingIdx; with an options object pass them there');
    }
    checkOptions(opts, EMBEDDING_KEYS, 'Embedding');
    ({ maxNorm: this.maxNorm, normType: this.normType } = renormArgs(opts, 'Embedding'));
    for (const [v, what] of [[numEmbeddings, 'numEmbeddings'], [embeddingDim, 'embeddingDim']] as const) {
      if (typeof v !== 'number') throw new TypeError(`Embedding: ${what} must be a positive integer, got ${describe(v)}`);
    }
    if (!Number.isInteger(numEmbeddings) || numEmbeddings < 1 || !Number.isInteger(embeddingDim) || embeddingDim < 1) {
      throw new RangeError(`Embedding: sizes must be positive integers, got ${String(numEmbeddings)} and ${String(embeddingDim)}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = paddingRow(opts.paddingIdx, numEmbeddings, 'Embedding');
    this.weight = new Parameter(new Float32Array(numEmbeddings * embeddingDim), [numEmbeddings, embeddingDim]);
    normal_(this.weight);
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }

  /** Rows of the table for each index: output shape [...indices.shape, embeddingDim]. */
  forward(indices: Indices): Tensor {
    return embeddingNamed(indices, this.weight, this.paddingIdx, 'Embedding', this.maxNorm, this.normType);
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}` +
      `${this.maxNorm !== null ? `, maxNorm=${this.maxNorm}` : ''}${this.normType !== 2 ? `, normType=${this.normType}` : ''}`;
  }
}
