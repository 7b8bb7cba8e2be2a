/** Embedding: a lookup table [numEmbeddings, embeddingDim] indexed by integer ids (gatherRows / scatterAddRows). */
import { current } from '../backend/registry.js';
import { accumulate, gradSink, needsGrad1, pendingGradSink, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32, zerosF32 } from '../util/alloc.js';
import { indexData } from './indices.js';
import { normal_ } from './init.js';
import { Module, Parameter } from './module.js';
import { checkOptions } from '../util/options.js';

/**
 * Indices as an owned Int32Array plus their shape: an int32 (or float32/bool) tensor, an Int32Array or a
 * number[]; each must be an integer in [0, n) (else a RangeError naming `who`). Validated by the backend.
 */
export function toIndices(idx: Int32Array | readonly number[] | Tensor, n: number, who: string): { ids: Int32Array; shape: number[] } {
  let shape: number[];
  if (idx instanceof Tensor) shape = [...idx.shape];
  else if (idx instanceof Int32Array || Array.isArray(idx)) shape = [idx.length];
  else throw new TypeError(`${who}: indices must be an Int32Array, a number[] or a Tensor`);
  const ids = indexData(idx, n, { range: (v, i) => `${who}: index ${v} at position ${i} is out of range for ${n} embeddings` });
  return { ids, shape };
}

export interface EmbeddingOptions {
  /** this row is zeroed at construction and receives no gradient (negative counts from the end) */
  paddingIdx?: number | null;
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
  indices: Int32Array | readonly number[] | Tensor, weight: Tensor, paddingIdx?: number | null | EmbeddingOptions,
): Tensor {
  let p = paddingIdx;
  if (p !== null && typeof p === 'object') {
    checkOptions(p, ['paddingIdx'], 'embedding');
    p = p.paddingIdx;
  }
  return embeddingNamed(indices, weight, p ?? null, 'embedding');
}

function embeddingNamed(indices: Int32Array | readonly number[] | Tensor, weight: Tensor, paddingIdx: number | null, who: string): Tensor {
  if (!(weight instanceof Tensor) || weight.ndim !== 2 || weight.dtype !== 'float32') {
    throw new TypeError(`${who}: weight must be a 2-D float32 tensor [numEmbeddings, embeddingDim]`);
  }
  const [num, d] = weight.shape;
  const pad = paddingRow(paddingIdx, num, who);
  const { ids, shape } = toIndices(indices, num, who);
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
  weight: Parameter;

  /**
   * weight [n, d] initialised N(0, 1) like PyTorch, the paddingIdx row zeroed. `new Embedding(n, d)`,
   * `new Embedding(n, d, {paddingIdx})` or PyTorch's positional `new Embedding(n, d, paddingIdx)`.
   */
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions | number | null = {}) {
    super();
    if (typeof opts === 'number' || opts === null) opts = { paddingIdx: opts };
    checkOptions(opts, ['paddingIdx'], 'Embedding');
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
  forward(indices: Int32Array | readonly number[] | Tensor): Tensor {
    return embeddingNamed(indices, this.weight, this.paddingIdx, 'Embedding');
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
