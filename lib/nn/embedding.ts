/** Embedding: a lookup table [numEmbeddings, embeddingDim] indexed by integer ids (gatherRows / scatterAddRows). */
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { normal_ } from './init.js';
import { Module, Parameter } from './module.js';

/** Indices as an Int32Array plus their shape; each must be an integer in [0, n) (else RangeError). */
export function toIndices(idx: Int32Array | readonly number[] | Tensor, n: number, who: string): { ids: Int32Array; shape: number[] } {
  let src: ArrayLike<number>;
  let shape: number[];
  if (idx instanceof Tensor) {
    src = idx.data;
    shape = [...idx.shape];
  } else if (idx instanceof Int32Array || Array.isArray(idx)) {
    src = idx;
    shape = [idx.length];
  } else {
    throw new TypeError(`${who}: indices must be an Int32Array, a number[] or a Tensor`);
  }
  // always a copy: the backward rule must not see later changes to the caller's array
  const ids = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new RangeError(`${who}: index ${v} at position ${i} is out of range for ${n} embeddings`);
    }
    ids[i] = v;
  }
  return { ids, shape };
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  weight: Parameter;

  /** weight [n, d] initialised N(0, 1) like PyTorch. */
  constructor(numEmbeddings: number, embeddingDim: number) {
    super();
    if (!Number.isInteger(numEmbeddings) || numEmbeddings < 1 || !Number.isInteger(embeddingDim) || embeddingDim < 1) {
      throw new RangeError(`Embedding: sizes must be positive integers, got ${String(numEmbeddings)} and ${String(embeddingDim)}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = new Parameter(new Float32Array(numEmbeddings * embeddingDim), [numEmbeddings, embeddingDim]);
    normal_(this.weight);
  }

  /** Rows of the table for each index: output shape [...indices.shape, embeddingDim]. */
  forward(indices: Int32Array | readonly number[] | Tensor): Tensor {
    const { ids, shape } = toIndices(indices, this.numEmbeddings, 'Embedding');
    const d = this.embeddingDim;
    const rows = ids.length;
    const out = new Tensor(new Float32Array(rows * d), [...shape, d]);
    const w = this.weight;
    if (rows > 0) current.gatherRows(w.data, ids, out.data, rows, d);
    if (needsGrad1(w)) {
      record(out, [w], (g) => {
        const dw = new Float32Array(w.size);
        if (rows > 0) current.scatterAddRows(g, ids, dw, rows, d);
        accumulate(w, dw, true);
      });
    }
    return out;
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
