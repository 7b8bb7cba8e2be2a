/**
 * Math functions (methods and ng.* forms), each one unary kernel from spec/ops.json with its
 * derivative in the kernel's backward. Integer inputs compute in float32. Rounding ops (sign floor
 * ceil round trunc) have zero gradient, frac passes it through, as in PyTorch.
 */
import { UnaryOp } from '../backend/backend.js';
import { Tensor } from '../tensor.js';
import { unaryOp } from './elementwise.js';
import { clamp } from './inplace.js';
import { checkOptions } from '../util/options.js';

export const sin = (x: Tensor): Tensor => unaryOp(x, UnaryOp.sin);
export const cos = (x: Tensor): Tensor => unaryOp(x, UnaryOp.cos);
export const tan = (x: Tensor): Tensor => unaryOp(x, UnaryOp.tan);
export const asin = (x: Tensor): Tensor => unaryOp(x, UnaryOp.asin);
export const acos = (x: Tensor): Tensor => unaryOp(x, UnaryOp.acos);
export const atan = (x: Tensor): Tensor => unaryOp(x, UnaryOp.atan);
export const sinh = (x: Tensor): Tensor => unaryOp(x, UnaryOp.sinh);
export const cosh = (x: Tensor): Tensor => unaryOp(x, UnaryOp.cosh);
export const erf = (x: Tensor): Tensor => unaryOp(x, UnaryOp.erf);
export const erfinv = (x: Tensor): Tensor => unaryOp(x, UnaryOp.erfinv);
export const log1p = (x: Tensor): Tensor => unaryOp(x, UnaryOp.log1p);
export const expm1 = (x: Tensor): Tensor => unaryOp(x, UnaryOp.expm1);
export const log2 = (x: Tensor): Tensor => unaryOp(x, UnaryOp.log2);
export const log10 = (x: Tensor): Tensor => unaryOp(x, UnaryOp.log10);
export const rsqrt = (x: Tensor): Tensor => unaryOp(x, UnaryOp.rsqrt);
export const sign = (x: Tensor): Tensor => unaryOp(x, UnaryOp.sign);
export const floor = (x: Tensor): Tensor => unaryOp(x, UnaryOp.floor);
export const ceil = (x: Tensor): Tensor => unaryOp(x, UnaryOp.ceil);
export const round = (x: Tensor): Tensor => unaryOp(x, UnaryOp.round);
export const trunc = (x: Tensor): Tensor => unaryOp(x, UnaryOp.trunc);
export const frac = (x: Tensor): Tensor => unaryOp(x, UnaryOp.frac);

export interface SoftplusOptions {
  beta?: number;
  /** above beta·x > threshold the function is x (PyTorch's default 20; only 20 is supported by the kernel) */
  threshold?: number;
}

/** log(1 + e^(βx)) / β, linear above βx > 20 (PyTorch's defaults). */
export function softplus(x: Tensor, opts: SoftplusOptions = {}): Tensor {
  checkOptions(opts, ['beta', 'threshold'], 'softplus');
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta > 0)) throw new RangeError(`softplus: beta must be > 0, got ${String(beta)}`);
  if (opts.threshold !== undefined && opts.threshold !== 20) throw new RangeError('softplus: only threshold 20 (PyTorch\'s default) is supported');
  return unaryOp(x, UnaryOp.softplus, beta);
}
export const silu = (x: Tensor): Tensor => unaryOp(x, UnaryOp.silu);
export const mish = (x: Tensor): Tensor => unaryOp(x, UnaryOp.mish);
/** x > 0 ? x : alpha·(e^x − 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new TypeError(`elu: alpha must be a finite number, got ${String(alpha)}`);
  return unaryOp(x, UnaryOp.elu, alpha);
}
export const selu = (x: Tensor): Tensor => unaryOp(x, UnaryOp.selu);
export const logsigmoid = (x: Tensor): Tensor => unaryOp(x, UnaryOp.logsigmoid);
/** clamp(x, minVal, maxVal) with PyTorch's defaults −1 and 1. */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  if (!(minVal <= maxVal)) throw new RangeError(`hardtanh: minVal ${minVal} must not exceed maxVal ${maxVal}`);
  return clamp(x, minVal, maxVal);
}

const FNS = { silu, mish, selu, logsigmoid, sin, cos, tan, asin, acos, atan, sinh, cosh, erf, erfinv, log1p, expm1, log2, log10, rsqrt, sign, floor, ceil, round, trunc, frac };

type MathMethods = { [K in keyof typeof FNS]: () => Tensor } & {
  softplus(opts?: SoftplusOptions): Tensor;
  elu(alpha?: number): Tensor;
  hardtanh(minVal?: number, maxVal?: number): Tensor;
};
declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Tensor extends MathMethods {}
}

for (const [name, fn] of Object.entries(FNS)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor) { return fn(this); },
    writable: true,
    configurable: true,
  });
}
Object.defineProperty(Tensor.prototype, 'softplus', { value: function (this: Tensor, o?: SoftplusOptions) { return softplus(this, o); }, writable: true, configurable: true });
Object.defineProperty(Tensor.prototype, 'elu', { value: function (this: Tensor, a?: number) { return elu(this, a); }, writable: true, configurable: true });
Object.defineProperty(Tensor.prototype, 'hardtanh', { value: function (this: Tensor, a?: number, b?: number) { return hardtanh(this, a, b); }, writable: true, configurable: true });
