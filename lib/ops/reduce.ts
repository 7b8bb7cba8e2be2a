/**
 * Reductions sum mean max min argmax argmin with (dim?, keepDim?). Without dim they reduce every
 * element to a 0-d tensor. max/min return values only (use argmax/argmin for indices); their gradient
 * flows to the first extreme position. argmax/argmin return indices as float32 (not differentiable).
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

export function sum(x: Tensor, dim?: number, keepDim = false): Tensor {
  const L = layout(x, dim, keepDim, 'sum');
  const out = runReduce(x, ReduceOp.sum, L);
  if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, spread(g, L), true));
  return out;
}

export function mean(x: Tensor, dim?: number, keepDim = false): Tensor {
  const L = layout(x, dim, keepDim, 'mean');
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
  if (needsGrad1(x)) {
    const arg = new Float32Array(L.outer * L.inner);
    current.reduce(isMax ? ReduceOp.argmax : ReduceOp.argmin, x.data, arg, L.outer, L.n, L.inner);
    record(out, [x], (g) => {
      const dx = new Float32Array(x.size);
      const { inner, n } = L;
      for (let k = 0; k < arg.length; k++) {
        const o = Math.floor(k / inner);
        const i = k - o * inner;
        dx[(o * n + arg[k]) * inner + i] = g[k];
      }
      accumulate(x, dx, true);
    });
  }
  return out;
}

export const max = (x: Tensor, dim?: number, keepDim = false): Tensor => extreme(x, dim, keepDim, true);
export const min = (x: Tensor, dim?: number, keepDim = false): Tensor => extreme(x, dim, keepDim, false);

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
    sum(dim?: number, keepDim?: boolean): Tensor;
    mean(dim?: number, keepDim?: boolean): Tensor;
    max(dim?: number, keepDim?: boolean): Tensor;
    min(dim?: number, keepDim?: boolean): Tensor;
    argmax(dim?: number, keepDim?: boolean): Tensor;
    argmin(dim?: number, keepDim?: boolean): Tensor;
  }
}

const P = Tensor.prototype;
P.sum = function (this: Tensor, dim?: number, keepDim?: boolean) { return sum(this, dim, keepDim); };
P.mean = function (this: Tensor, dim?: number, keepDim?: boolean) { return mean(this, dim, keepDim); };
P.max = function (this: Tensor, dim?: number, keepDim?: boolean) { return max(this, dim, keepDim); };
P.min = function (this: Tensor, dim?: number, keepDim?: boolean) { return min(this, dim, keepDim); };
P.argmax = function (this: Tensor, dim?: number, keepDim?: boolean) { return argmax(this, dim, keepDim); };
P.argmin = function (this: Tensor, dim?: number, keepDim?: boolean) { return argmin(this, dim, keepDim); };
