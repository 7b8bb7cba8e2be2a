/**
 * More reductions and element tests, PyTorch's names and semantics: prod, var, std (correction,
 * keepDim), norm (p = 1, 2, ∞ or any p > 0), logsumexp, cumsum, cumprod, any, all, isnan, isinf,
 * isfinite, nanToNum. Composed from kernels that already exist where that is exact (var, std, norm,
 * logsumexp), the scan kernel (cumsum, cumprod, prod) otherwise. Every differentiable one is
 * gradchecked (test/tensor/ops14.test.ts).
 */
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, noGrad, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32 } from '../util/alloc.js';
import { checkOptions } from '../util/options.js';
import { normDim, splitAt } from '../util/shape.js';
import { to, where } from './compare.js';
import { abs, exp, log, mul, pow, sqrt, sub } from './elementwise.js';
import { max, mean, sum } from './reduce.js';
import { contiguous, select } from './shape.js';

function floatOf(x: Tensor, op: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${x === null ? 'null' : typeof x}`);
  return x.dtype === 'float32' ? x : to(x, 'float32');
}

export interface VarOptions {
  /** degrees of freedom subtracted from the count (1: the unbiased estimate, PyTorch's default) */
  correction?: number;
  keepDim?: boolean;
}

function varOpts(o: VarOptions | boolean | undefined, op: string): { correction: number; keepDim: boolean } {
  if (o === undefined) return { correction: 1, keepDim: false };
  if (typeof o === 'boolean') return { correction: o ? 1 : 0, keepDim: false }; // torch's unbiased flag
  checkOptions(o, ['correction', 'keepDim'], op);
  const correction = o.correction ?? 1;
  if (typeof correction !== 'number' || !(correction >= 0)) throw new RangeError(`${op}: correction must be a non-negative number, got ${String(correction)}`);
  return { correction, keepDim: o.keepDim ?? false };
}

/** Variance over `dim` (all elements when omitted) with Bessel's correction by default. */
export function variance(x: Tensor, dim?: number | readonly number[] | null, opts?: VarOptions | boolean): Tensor {
  x = floatOf(x, 'var');
  const { correction, keepDim } = varOpts(opts, 'var');
  const dims = dim === undefined || dim === null ? x.shape.map((_, i) => i) : typeof dim === 'number' ? [dim] : [...dim];
  let n = 1;
  for (const d of dims) n *= x.shape[normDim(d, Math.max(x.ndim, 1), 'var')] ?? 1;
  const m = mean(x, dims, true);
  const sq = sub(x, m).square();
  const s = sum(sq, dims, keepDim);
  return mul(s, 1 / Math.max(0, n - correction));
}

export function std(x: Tensor, dim?: number | readonly number[] | null, opts?: VarOptions | boolean): Tensor {
  return sqrt(variance(x, dim, opts));
}

/**
 * Vector p-norm over `dim` (all elements when omitted): p = 2 (default), 1, Infinity, -Infinity or
 * any p > 0. The gradient of the 2-norm at a zero vector is 0 (as PyTorch), not NaN.
 */
export function norm(x: Tensor, p: number | 'fro' = 2, dim?: number | readonly number[] | null, keepDim = false): Tensor {
  x = floatOf(x, 'norm');
  const pp = p === 'fro' ? 2 : p;
  if (typeof pp !== 'number' || !(pp > 0 || pp === -Infinity)) throw new RangeError(`norm: p must be > 0, Infinity or -Infinity, got ${String(p)}`);
  const dims = dim === undefined || dim === null ? x.shape.map((_, i) => i) : typeof dim === 'number' ? [dim] : [...dim];
  if (pp === Infinity) return reduceAbs(x, dims, keepDim, true);
  if (pp === -Infinity) return reduceAbs(x, dims, keepDim, false);
  if (pp === 1) return sum(abs(x), dims, keepDim);
  if (pp === 2) {
    const s = sum(x.square(), dims, keepDim);
    // sqrt with a zero-safe gradient: d√s/ds = 1/(2√s), taken as 0 where s = 0
    const out = noGrad(() => sqrt(s));
    if (needsGrad1(s)) {
      record(out, [s], (g) => {
        const gt = new Tensor(g, out.shape);
        accumulate(s, noGrad(() => where(out.gt(0), gt.div(out.mul(2)), 0)).data, true);
      });
    }
    return out;
  }
  return pow(sum(pow(abs(x), pp), dims, keepDim), 1 / pp);
}

function reduceAbs(x: Tensor, dims: number[], keepDim: boolean, isMax: boolean): Tensor {
  let t = abs(x);
  if (!isMax) t = t.neg();
  const sorted = [...new Set(dims.map((d) => normDim(d, Math.max(x.ndim, 1), 'norm')))].sort((a, b) => b - a);
  if (x.ndim === 0) return isMax ? t : t.neg();
  for (const d of sorted) t = max(t, d, true);
  if (!keepDim) t = t.reshape(x.shape.filter((_, i) => !sorted.includes(i)));
  return isMax ? t : t.neg();
}

/** log Σ exp(x) over `dim`, stably (the max is subtracted first); gradient softmax(x). */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepDim = false): Tensor {
  x = floatOf(x, 'logsumexp');
  if (dim === undefined || dim === null) throw new TypeError('logsumexp: dim is required (as in PyTorch)');
  const dims = typeof dim === 'number' ? [dim] : [...dim];
  let m = x.detach();
  for (const d of [...new Set(dims.map((d) => normDim(d, Math.max(x.ndim, 1), 'logsumexp')))].sort((a, b) => b - a)) {
    if (x.ndim > 0) m = max(m, d, true);
  }
  // an all −∞ (or ±∞) slice: shift by 0 instead, as PyTorch
  m = noGrad(() => m.maskedFill(m.isinf(), 0));
  const out = log(sum(exp(sub(x, m)), dims, true)).add(m);
  return keepDim ? out : x.ndim === 0 ? out : squeezeDims(out, dims, x.ndim);
}

function squeezeDims(t: Tensor, dims: number[], rank: number): Tensor {
  const ds = new Set(dims.map((d) => normDim(d, rank, 'logsumexp')));
  return t.reshape(t.shape.filter((_, i) => !ds.has(i)));
}

function scanOp(x: Tensor, dim: number, op: 0 | 1, name: string): Tensor {
  x = contiguous(floatOf(x, name));
  if (x.ndim === 0) return scanOp(x.reshape([1]), 0, op, name).reshape([]);
  const d = normDim(dim, x.ndim, name);
  const [outer, n, inner] = splitAt(x.shape, d);
  const out = new Tensor(emptyF32(x.size), x.shape);
  if (x.size > 0) current.scan(op, x.data, out.data, outer, n, inner);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = emptyF32(x.size);
      if (x.size > 0) current.scanBackward(op, x.data, g, dx, outer, n, inner);
      accumulate(x, dx, true);
    }, op === 0 ? [] : [x]);
  }
  return out;
}

/** Running sum along `dim`. */
export const cumsum = (x: Tensor, dim: number): Tensor => scanOp(x, dim, 0, 'cumsum');
/** Running product along `dim` (gradient exact with zeros). */
export const cumprod = (x: Tensor, dim: number): Tensor => scanOp(x, dim, 1, 'cumprod');

/** Product over `dim` (all elements when omitted); gradient exact with zeros. */
export function prod(x: Tensor, dim?: number | null, keepDim = false): Tensor {
  x = floatOf(x, 'prod');
  if (dim === undefined || dim === null) {
    const flat = contiguous(x).reshape([x.size]);
    if (x.size === 0) return new Tensor(new Float32Array([1]), keepDim ? x.shape.map(() => 1) : []);
    const r = select(cumprod(flat, 0), 0, x.size - 1);
    return keepDim ? r.reshape(x.shape.map(() => 1)) : r;
  }
  if (x.ndim === 0) return x;
  const d = normDim(dim, x.ndim, 'prod');
  if (x.shape[d] === 0) {
    const shape = keepDim ? x.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
    return new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape);
  }
  const r = select(cumprod(x, d), d, x.shape[d] - 1);
  return keepDim ? r.unsqueeze(d) : r;
}

function boolReduce(x: Tensor, dim: number | undefined | null, keepDim: boolean, isAny: boolean): Tensor {
  const name = isAny ? 'any' : 'all';
  if (!(x instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor`);
  const b = to(x, 'bool');
  const cnt = sum(b, dim === null ? undefined : dim, keepDim); // int32 counts of true
  if (isAny) return cnt.gt(0);
  const n = dim === undefined || dim === null ? x.size : x.shape[normDim(dim, Math.max(x.ndim, 1), name)] ?? 1;
  return cnt.eq(n);
}

/** Whether any element (along `dim`) is non-zero → bool. */
export const any = (x: Tensor, dim?: number | null, keepDim = false): Tensor => boolReduce(x, dim, keepDim, true);
/** Whether every element (along `dim`) is non-zero → bool. */
export const all = (x: Tensor, dim?: number | null, keepDim = false): Tensor => boolReduce(x, dim, keepDim, false);

function classified(x: Tensor, op: number, name: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor`);
  const out = new Uint8Array(x.size);
  if (x.dtype !== 'float32') {
    if (op === 2) out.fill(1); // integers are always finite
    return new Tensor(out, x.shape);
  }
  if (x.size > 0) current.classify(op, contiguous(x).data, out, x.size);
  return new Tensor(out, x.shape);
}

export const isnan = (x: Tensor): Tensor => classified(x, 0, 'isnan');
export const isinf = (x: Tensor): Tensor => classified(x, 1, 'isinf');
export const isfinite = (x: Tensor): Tensor => classified(x, 2, 'isfinite');

export interface NanToNumOptions {
  nan?: number;
  posinf?: number;
  neginf?: number;
}

/** NaN → nan (0), +∞ → posinf (largest float32), −∞ → neginf (lowest float32). Gradient passes where x is finite. */
export function nanToNum(x: Tensor, opts: NanToNumOptions = {}): Tensor {
  x = floatOf(x, 'nanToNum');
  checkOptions(opts, ['nan', 'posinf', 'neginf'], 'nanToNum');
  const F32_MAX = 3.4028234663852886e38;
  let r = x.maskedFill(isnan(x), opts.nan ?? 0);
  r = r.maskedFill(classified(x, 3, 'nanToNum'), opts.posinf ?? F32_MAX);
  r = r.maskedFill(classified(x, 4, 'nanToNum'), opts.neginf ?? -F32_MAX);
  return r;
}

declare module '../tensor.js' {
  interface Tensor {
    prod(dim?: number | null, keepDim?: boolean): Tensor;
    var(dim?: number | readonly number[] | null, opts?: VarOptions | boolean): Tensor;
    std(dim?: number | readonly number[] | null, opts?: VarOptions | boolean): Tensor;
    norm(p?: number | 'fro', dim?: number | readonly number[] | null, keepDim?: boolean): Tensor;
    logsumexp(dim: number | readonly number[], keepDim?: boolean): Tensor;
    cumsum(dim: number): Tensor;
    cumprod(dim: number): Tensor;
    any(dim?: number | null, keepDim?: boolean): Tensor;
    all(dim?: number | null, keepDim?: boolean): Tensor;
    isnan(): Tensor;
    isinf(): Tensor;
    isfinite(): Tensor;
    nanToNum(opts?: NanToNumOptions): Tensor;
  }
}

const P = Tensor.prototype;
P.prod = function (this: Tensor, d?: number | null, k?: boolean) { return prod(this, d, k); };
P.var = function (this: Tensor, d?: number | readonly number[] | null, o?: VarOptions | boolean) { return variance(this, d, o); };
P.std = function (this: Tensor, d?: number | readonly number[] | null, o?: VarOptions | boolean) { return std(this, d, o); };
P.norm = function (this: Tensor, p?: number | 'fro', d?: number | readonly number[] | null, k?: boolean) { return norm(this, p, d, k); };
P.logsumexp = function (this: Tensor, d: number | readonly number[], k?: boolean) { return logsumexp(this, d, k); };
P.cumsum = function (this: Tensor, d: number) { return cumsum(this, d); };
P.cumprod = function (this: Tensor, d: number) { return cumprod(this, d); };
P.any = function (this: Tensor, d?: number | null, k?: boolean) { return any(this, d, k); };
P.all = function (this: Tensor, d?: number | null, k?: boolean) { return all(this, d, k); };
P.isnan = function (this: Tensor) { return isnan(this); };
P.isinf = function (this: Tensor) { return isinf(this); };
P.isfinite = function (this: Tensor) { return isfinite(this); };
P.nanToNum = function (this: Tensor, o?: NanToNumOptions) { return nanToNum(this, o); };

