/**
 * Reductions sum mean max min argmax argmin with (dim?, keepDim?). Without dim they reduce every
 * element to a 0-d tensor. sum/mean also take an array of dims (PyTorch's tuple of dims).
 * max/min with a dim return the values tensor, which also carries PyTorch's named-tuple fields:
 * `.values` (itself) and `.indices` (int32 positions along dim, as argmax/argmin), and unpacks as
 * `const [values, indices] = t.max(1)`. Their gradient flows to that index (a scatter kernel);
 * without a dim (one value) it is split evenly between tied extremes, as in PyTorch. argmax/argmin
 * return int32 indices (PyTorch's int64, narrowed; not differentiable). int32/bool inputs: sum,
 * max and min stay int32 (sum of bool counts), mean computes in float32.
 */
import { CompareOp, ReduceOp, UnaryOp, type ReduceOpCode } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { fmtShape, normDim, splitAt } from '../util/shape.js';
import { emptyF32, release, zerosF32 } from '../util/alloc.js';
import { ONE } from './core.js';
import { to } from './compare.js';
import { contiguous } from './shape.js';

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
  if (x.dtype !== 'float32') {
    if (op === ReduceOp.mean || op === ReduceOp.sumSquares) return runReduce(to(x, 'float32'), op, L);
    const o = new Int32Array(L.outer * L.inner);
    if (o.length > 0) current.reduceInt(op, x.data as unknown as Int32Array, o, L.outer, L.n, L.inner);
    return new Tensor(o, L.outShape);
  }
  const out = new Tensor(emptyF32(L.outer * L.inner), L.outShape);
  if (out.size > 0) current.reduce(op, x.data, out.data, L.outer, L.n, L.inner);
  return out;
}

/** Float positions (as the reduce kernel writes them) → an int32 tensor. */
function asIndices(pos: Float32Array, shape: readonly number[]): Tensor {
  const idx = new Int32Array(pos.length);
  if (pos.length > 0) current.cast(pos, idx, pos.length);
  return new Tensor(idx, shape);
}

/** g [outer, inner] broadcast back over n: a fresh x-sized buffer. */
function spread(g: Float32Array, L: Layout): Float32Array {
  const dx = emptyF32(L.outer * L.n * L.inner);
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
  if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, spread(g, L), true), []);
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
    }, []);
  }
  return out;
}

function extreme(x: Tensor, dim: number | undefined, keepDim: boolean, isMax: boolean): Tensor {
  const name = isMax ? 'max' : 'min';
  if (x.size === 0) throw new Error(`${name}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  const L = layout(x, dim, keepDim, name);
  if (x.dtype !== 'float32') {
    const out = runReduce(x, isMax ? ReduceOp.max : ReduceOp.min, L);
    if (dim !== undefined && dim !== null) attachIndices(out, () => runReduce(x, isMax ? ReduceOp.argmax : ReduceOp.argmin, L));
    return out;
  }
  x = contiguous(x);
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
    const xs = x;
    record(out, [xs], (g) => {
      const dx = zerosF32(xs.size);
      if (at === null) {
        // one extreme value: PyTorch splits the gradient evenly between the tied positions
        const tie = new Uint8Array(xs.size);
        current.compare(CompareOp.eq, xs.data, ONE, out.data, [0], tie, [xs.size]);
        const cnt = new Int32Array(1);
        current.reduceInt(ReduceOp.sum, tie, cnt, 1, xs.size, 1);
        if (cnt[0] === 0) {
          // a NaN extreme: the gradient goes to the (first) NaN
          const idx = new Int32Array([positions()[0]]);
          current.scatterAddRows(g, idx, dx, 1, 1);
        } else {
          const share = new Float32Array([g[0] / cnt[0]]);
          current.where(tie, ONE, share, [0], ZERO, [0], dx, [xs.size]);
        }
      } else if (at.length > 0) {
        // scatter g[k] to x's flat position (o·n + at[k])·inner + i
        const { inner, n } = L;
        const flat = new Int32Array(at.length);
        for (let k = 0; k < at.length; k++) {
          const o = Math.floor(k / inner);
          flat[k] = (o * n + at[k]) * inner + (k - o * inner);
        }
        current.scatterAddRows(g, flat, dx, at.length, 1);
      }
      accumulate(xs, dx, true);
    });
  }
  if (overDim) attachIndices(out, () => asIndices(positions(), L.outShape));
  return out;
}

const ZERO = new Float32Array(1);

/** PyTorch's (values, indices) named tuple, on the values tensor itself. */
export function attachIndices(out: Tensor, make: () => Tensor): void {
  let indices: Tensor | null = null;
  const getIndices = (): Tensor => (indices ??= make());
  Object.defineProperties(out, {
    values: { value: out, enumerable: false },
    indices: { get: getIndices, enumerable: false },
    [Symbol.iterator]: { value: function* () { yield out; yield getIndices(); }, enumerable: false },
  });
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
  const L = layout(x, dim, keepDim, name);
  if (x.dtype !== 'float32') return runReduce(x, isMax ? ReduceOp.argmax : ReduceOp.argmin, L);
  const pos = emptyF32(L.outer * L.inner);
  if (pos.length > 0) current.reduce(isMax ? ReduceOp.argmax : ReduceOp.argmin, x.data, pos, L.outer, L.n, L.inner);
  const r = asIndices(pos, L.outShape);
  release(pos);
  return r;
}

/** Index of the first maximum (flat index without dim), as int32. */
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
