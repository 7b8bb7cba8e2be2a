/**
 * Reductions sum mean max min argmax argmin with (dim?, keepDim?). Without dim they reduce every
 * element to a 0-d tensor. sum/mean also take an array of dims (PyTorch's tuple of dims).
 * max/min with a dim return the values tensor, which also carries PyTorch's named-tuple fields:
 * `.values` (itself) and `.indices` (float32 positions along dim, as argmax/argmin), and unpacks as
 * `const [values, indices] = t.max(1)`. Their gradient flows to that index; without a dim (one
 * value) it is split evenly between tied extremes, as in PyTorch. argmax/argmin return indices as
 * float32 (not differentiable).
 */
import { ReduceOp, UnaryOp, type ReduceOpCode } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { fmtShape, normDim, splitAt } from '../util/shape.js';

interface Layout {
  outer: number;
  n: number;
  inner: number;
  outShape: number[];
}

function layout(x: Tensor, dim: number | undefined, keepDim: boolean, op: string): Layout {
  if (dim === undefined || dim === null) {
    return { outer: 1, n: x.size, inner: 1, outShape: keepDim ? x.shape.map(() => 1) : [] };
  }
  if (x.ndim === 0) {
    if (dim !== 0 && dim !== -1) normDim(dim, 1, op);
    return { outer: 1, n: 1, inner: 1, outShape: [] };
  }
  const d = normDim(dim, x.ndim, op);
  const [outer, n, inner] = splitAt(x.shape, d);
  const outShape = keepDim ? x.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
  return { outer, n, inner, outShape };
}

function runReduce(x: Tensor, op: ReduceOpCode, L: Layout): Tensor {
  const out = new Tensor(new Float32Array(L.outer * L.inner), L.outShape);
  if (out.size > 0) current.reduce(op, x.data, out.data, L.outer, L.n, L.inner);
  return out;
}

/** g [outer, inner] broadcast back over n: a fresh x-sized buffer. */
function spread(g: Float32Array, L: Layout): Float32Array {
  const dx = new Float32Array(L.outer * L.n * L.inner);
  if (dx.length > 0) current.copy([L.outer, L.n, L.inner], g, 0, [L.inner, 0, 1], dx, 0, [L.n * L.inner, L.inner, 1], false);
  return dx;
}

/** Several dims at once: reduce each (highest first, keeping it), then drop them unless keepDim. */
function overDims(
  x: Tensor, dims: readonly number[], keepDim: boolean, op: string,
  reduce: (t: Tensor, dim: number | undefined, keepDim: boolean) => Tensor,
): Tensor {
  if (dims.length === 0) return reduce(x, undefined, keepDim);
  const ds = dims.map((d) => {
    if (typeof d !== 'number') throw new TypeError(`${op}: dims must be integers, got ${typeof d}`);
    return normDim(d, Math.max(x.ndim, 1), op);
  });
  const uniq = [...new Set(ds)].sort((a, b) => b - a);
  if (uniq.length !== ds.length) throw new RangeError(`${op}: dim ${ds.find((d, i) => ds.indexOf(d) !== i)} appears more than once in [${dims.join(', ')}]`);
  let t = x;
  for (const d of uniq) t = reduce(t, d, true);
  return keepDim || x.ndim === 0 ? t : t.reshape(x.shape.filter((_, i) => !uniq.includes(i)));
}

export function sum(x: Tensor, dim?: number | readonly number[], keepDim = false): Tensor {
  if (Array.isArray(dim)) return overDims(x, dim, keepDim, 'sum', sum);
  const L = layout(x, dim as number | undefined, keepDim, 'sum');
  const out = runReduce(x, ReduceOp.sum, L);
  if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, spread(g, L), true));
  return out;
}

export function mean(x: Tensor, dim?: number | readonly number[], keepDim = false): Tensor {
  if (Array.isArray(dim)) return overDims(x, dim, keepDim, 'mean', mean);
  const L = layout(x, dim as number | undefined, keepDim, 'mean');
  const out = runReduce(x, ReduceOp.mean, L);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = spread(g, L);
      current.unary(UnaryOp.scale, dx, dx, dx.length, 1 / L.n);
      accumulate(x, dx, true);
    });
  }
  return out;
}

function extreme(x: Tensor, dim: number | undefined, keepDim: boolean, isMax: boolean): Tensor {
  const name = isMax ? 'max' : 'min';
  if (x.size === 0) throw new Error(`${name}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  const L = layout(x, dim, keepDim, name);
  const out = runReduce(x, isMax ? ReduceOp.max : ReduceOp.min, L);
  const argOp = isMax ? ReduceOp.argmax : ReduceOp.argmin;
  let arg: Float32Array | null = null;
  const positions = (): Float32Array => {
    if (arg === null) {
      arg = new Float32Array(L.outer * L.inner);
      current.reduce(argOp, x.data, arg, L.outer, L.n, L.inner);
    }
    return arg;
  };
  const overDim = dim !== undefined && dim !== null;
  if (needsGrad1(x)) {
    const at = overDim ? positions() : null;
    record(out, [x], (g) => {
      const dx = new Float32Array(x.size);
      if (at === null) {
        // one extreme value: PyTorch splits the gradient evenly between the tied positions
        const v = out.data[0];
        let ties = 0;
        for (let k = 0; k < x.size; k++) if (x.data[k] === v) ties++;
        if (ties === 0) dx[positions()[0]] = g[0]; // NaN extreme
        else for (let k = 0; k < x.size; k++) if (x.data[k] === v) dx[k] = g[0] / ties;
      } else {
        const { inner, n } = L;
        for (let k = 0; k < at.length; k++) {
          const o = Math.floor(k / inner);
          const i = k - o * inner;
          dx[(o * n + at[k]) * inner + i] = g[k];
        }
      }
      accumulate(x, dx, true);
    });
  }
  if (overDim) {
    // PyTorch's (values, indices) named tuple, on the values tensor itself
    let indices: Tensor | null = null;
    const getIndices = (): Tensor => (indices ??= new Tensor(positions().slice(), L.outShape));
    Object.defineProperties(out, {
      values: { value: out, enumerable: false },
      indices: { get: getIndices, enumerable: false },
      [Symbol.iterator]: { value: function* () { yield out; yield getIndices(); }, enumerable: false },
    });
  }
  return out;
}

/** The result of max/min over a dim: the values, with PyTorch's `.values` / `.indices` fields. */
export type ExtremeResult = Tensor & { readonly values: Tensor; readonly indices: Tensor } & Iterable<Tensor>;

export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepDim?: boolean): ExtremeResult;
export function max(x: Tensor, dim?: number, keepDim?: boolean): Tensor;
export function max(x: Tensor, dim?: number, keepDim = false): Tensor {
  return extreme(x, dim, keepDim, true);
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepDim?: boolean): ExtremeResult;
export function min(x: Tensor, dim?: number, keepDim?: boolean): Tensor;
export function min(x: Tensor, dim?: number, keepDim = false): Tensor {
  return extreme(x, dim, keepDim, false);
}

function argExtreme(x: Tensor, dim: number | undefined, keepDim: boolean, isMax: boolean): Tensor {
  const name = isMax ? 'argmax' : 'argmin';
  if (x.size === 0) throw new Error(`${name}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  return runReduce(x, isMax ? ReduceOp.argmax : ReduceOp.argmin, layout(x, dim, keepDim, name));
}

/** Index of the first maximum (flat index without dim), as float32. */
export const argmax = (x: Tensor, dim?: number, keepDim = false): Tensor => argExtreme(x, dim, keepDim, true);
export const argmin = (x: Tensor, dim?: number, keepDim = false): Tensor => argExtreme(x, dim, keepDim, false);

declare module '../tensor.js' {
  interface Tensor {
    sum(dim?: number | readonly number[], keepDim?: boolean): Tensor;
    mean(dim?: number | readonly number[], keepDim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepDim?: boolean): ExtremeResult;
    max(dim?: number, keepDim?: boolean): Tensor;
    min(): Tensor;
    min(dim: number, keepDim?: boolean): ExtremeResult;
    min(dim?: number, keepDim?: boolean): Tensor;
    argmax(dim?: number, keepDim?: boolean): Tensor;
    argmin(dim?: number, keepDim?: boolean): Tensor;
  }
}

const P = Tensor.prototype;
P.sum = function (this: Tensor, dim?: number | readonly number[], keepDim?: boolean) { return sum(this, dim, keepDim); };
P.mean = function (this: Tensor, dim?: number | readonly number[], keepDim?: boolean) { return mean(this, dim, keepDim); };
P.max = function (this: Tensor, dim?: number, keepDim?: boolean) { return max(this, dim, keepDim); } as Tensor['max'];
P.min = function (this: Tensor, dim?: number, keepDim?: boolean) { return min(this, dim, keepDim); } as Tensor['min'];
P.argmax = function (this: Tensor, dim?: number, keepDim?: boolean) { return argmax(this, dim, keepDim); };
P.argmin = function (this: Tensor, dim?: number, keepDim?: boolean) { return argmin(this, dim, keepDim); };
