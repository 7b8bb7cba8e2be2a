/** Datasets: anything with `length` and `get(i)`; TensorDataset pairs inputs with targets or labels. */
import { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';

/** Integer class labels (Int32Array) or a target tensor. */
export type Labels = Int32Array | Tensor;

/** A map-style dataset (PyTorch's Dataset): items 0..length−1. */
export interface Dataset {
  readonly length: number;
  /** The i-th example: its input and its target (a class index or a target tensor). */
  get(i: number): [Tensor, number | Tensor];
}

/**
 * Rows of `x` (first dim = examples) paired with `y`. The rule is explicit, by type (as PyTorch's dtype):
 * class labels are a 1-D int32 (or bool) tensor or an Int32Array; numbers are targets — a float32 Tensor
 * (same first dim), a Float32Array or a number[] (a target tensor [N], whatever its values: write
 * `Int32Array.from(ys)` for class labels). Losses such as crossEntropy also take a float tensor of class
 * indices, so integer-valued number[] targets still train a classifier.
 */
export class TensorDataset implements Dataset {
  readonly x: Tensor;
  /** targets as a tensor, or null when y holds class labels */
  readonly yTensor: Tensor | null;
  /** class labels, or null when y is a tensor */
  readonly yLabels: Int32Array | null;

  constructor(x: Tensor, y: Tensor | Int32Array | Float32Array | readonly number[]) {
    if (!(x instanceof Tensor)) throw new TypeError('TensorDataset: x must be a Tensor');
    if (x.ndim < 1) throw new Error('TensorDataset: x must have at least one dim (the examples)');
    this.x = x;
    const n = x.shape[0];
    let yn: number;
    if (y instanceof Tensor && y.dtype !== 'float32' && y.ndim === 1) {
      // an int32 (or bool) tensor of class labels, as PyTorch's LongTensor targets
      this.yTensor = null;
      this.yLabels = Int32Array.from(y.data);
      yn = y.shape[0];
    } else if (y instanceof Tensor) {
      if (y.ndim < 1) throw new Error('TensorDataset: y must have at least one dim (the examples)');
      this.yTensor = y;
      this.yLabels = null;
      yn = y.shape[0];
    } else if (y instanceof Int32Array) {
      this.yTensor = null;
      this.yLabels = y;
      yn = y.length;
    } else if (y instanceof Float32Array || Array.isArray(y)) {
      if (Array.isArray(y)) {
        const bad = y.findIndex((v) => typeof v !== 'number');
        if (bad >= 0) {
          const v = y[bad] as unknown;
          throw new TypeError(`TensorDataset: y[${bad}] must be a number, got ${typeof v === 'string' ? `"${v}" (string)` : v === null ? 'null' : typeof v}`);
        }
      }
      this.yLabels = null;
      this.yTensor = new Tensor(Float32Array.from(y), [y.length]);
      yn = y.length;
    } else {
      const got = y === null ? 'null' : ArrayBuffer.isView(y) ? (y as object).constructor.name : typeof y;
      throw new TypeError(`TensorDataset: y must be a Tensor, an Int32Array (class labels), a Float32Array or a number[] (targets), got ${got}`);
    }
    if (yn !== n) {
      throw new Error(`TensorDataset: x has ${n} examples (shape ${fmtShape(x.shape)}) but y has ${yn}`);
    }
  }

  get length(): number {
    return this.x.shape[0];
  }

  get(i: number): [Tensor, number | Tensor] {
    const n = this.length;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`TensorDataset: index ${i} is out of range for ${n} examples`);
    const row = (t: Tensor): Tensor => {
      const w = t.size / t.shape[0];
      return new Tensor(t.data.slice(i * w, (i + 1) * w), t.shape.slice(1));
    };
    return [row(this.x), this.yLabels !== null ? this.yLabels[i] : row(this.yTensor!)];
  }
}
