/**
 * Math functions (methods and ng.* forms), each one unary kernel from spec/ops.json with its
 * derivative in the kernel's backward. Integer inputs compute in float32. Rounding ops (sign floor
 * ceil round trunc) have zero gradient, frac passes it through, as in PyTorch.
 */
import { UnaryOp } from '../backend/backend.js';
import { Tensor } from '../tensor.js';
import { unaryOp } from './elementwise.js';

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

const FNS = { sin, cos, tan, asin, acos, atan, sinh, cosh, erf, erfinv, log1p, expm1, log2, log10, rsqrt, sign, floor, ceil, round, trunc, frac };

type MathMethods = { [K in keyof typeof FNS]: () => Tensor };
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
