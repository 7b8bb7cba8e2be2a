/**
 * Dtype casts, comparisons, logical ops and where. Comparisons and logical ops return bool tensors
 * (Uint8Array storage, 0/1) and are not differentiable; `where` and `maskedFill` are, with respect
 * to their float operands. Operands broadcast (NumPy rules) and are read through their strides.
 */
import { CompareOp, LogicalOp, type CompareOpCode, type LogicalOpCode } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { checkDType, newArray, promote, type DataArray, type DType } from '../dtype.js';
import { emptyF32 } from '../util/alloc.js';
import { broadcastShapes, coalesce, contiguousStrides, fmtShape, sizeOf } from '../util/shape.js';
import { readStrides, storageOf, sumToShape } from './core.js';
import { contiguous } from './shape.js';

/** A copy in another dtype (this tensor itself when the dtype already matches, as PyTorch). */
export function to(x: Tensor, dtype: DType | string): Tensor {
  const d = checkDType(dtype, 'to');
  if (d === x.dtype) return x;
  const src = contiguous(x);
  const out = newArray(d, x.size);
  if (x.size > 0) current.cast(src.dtype === 'bfloat16' ? src.bits() : src.data as DataArray, out, x.size);
  // casting away from float32 (or into it from an integer) carries no gradient, as in PyTorch
  return new Tensor(out, x.shape);
}

function operand(x: Tensor | number | boolean, like: Tensor, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'boolean') return new Tensor(new Uint8Array([x ? 1 : 0]), []);
  if (typeof x === 'number') {
    if (like.dtype === 'float32' || !Number.isInteger(x)) return new Tensor(new Float32Array([x]), []);
    return new Tensor(new Int32Array([x]), []);
  }
  throw new TypeError(`${op}: expected a Tensor, a number or a boolean, got ${x === null ? 'null' : typeof x}`);
}

/** Both operands at one dtype (promoted), with their broadcast read plan. */
function align(a: Tensor, b: Tensor, op: string, forceDtype?: DType) {
  const dt = forceDtype ?? promote(a.dtype, b.dtype);
  const ta = a.dtype === dt ? a : to(a, dt);
  const tb = b.dtype === dt ? b : to(b, dt);
  const outShape = broadcastShapes(ta.shape, tb.shape, op);
  const c = coalesce(outShape, [readStrides(ta, outShape), readStrides(tb, outShape)]);
  return { ta, tb, outShape, c };
}

function compareOp(a: Tensor, b: Tensor | number | boolean, op: CompareOpCode, name: string): Tensor {
  if (!(a instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor, got ${a === null ? 'null' : typeof a}`);
  const { ta, tb, outShape, c } = align(a, operand(b, a, name), name);
  const out = new Uint8Array(sizeOf(outShape));
  if (out.length > 0) current.compare(op, storageOf(ta), c.strides[0], storageOf(tb), c.strides[1], out, c.shape);
  return new Tensor(out, outShape);
}

export const eq = (a: Tensor, b: Tensor | number | boolean): Tensor => compareOp(a, b, CompareOp.eq, 'eq');
export const ne = (a: Tensor, b: Tensor | number | boolean): Tensor => compareOp(a, b, CompareOp.ne, 'ne');
export const lt = (a: Tensor, b: Tensor | number | boolean): Tensor => compareOp(a, b, CompareOp.lt, 'lt');
export const le = (a: Tensor, b: Tensor | number | boolean): Tensor => compareOp(a, b, CompareOp.le, 'le');
export const gt = (a: Tensor, b: Tensor | number | boolean): Tensor => compareOp(a, b, CompareOp.gt, 'gt');
export const ge = (a: Tensor, b: Tensor | number | boolean): Tensor => compareOp(a, b, CompareOp.ge, 'ge');

function logicalOp(a: Tensor, b: Tensor | boolean, op: LogicalOpCode, name: string): Tensor {
  if (!(a instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor, got ${a === null ? 'null' : typeof a}`);
  const { ta, tb, outShape, c } = align(a, operand(b, a, name), name, 'bool');
  const out = new Uint8Array(sizeOf(outShape));
  if (out.length > 0) current.logical(op, storageOf(ta), c.strides[0], storageOf(tb), c.strides[1], out, c.shape);
  return new Tensor(out, outShape);
}

export const logicalAnd = (a: Tensor, b: Tensor | boolean): Tensor => logicalOp(a, b, LogicalOp.and, 'logicalAnd');
export const logicalOr = (a: Tensor, b: Tensor | boolean): Tensor => logicalOp(a, b, LogicalOp.or, 'logicalOr');
export const logicalXor = (a: Tensor, b: Tensor | boolean): Tensor => logicalOp(a, b, LogicalOp.xor, 'logicalXor');
export function logicalNot(a: Tensor): Tensor {
  if (!(a instanceof Tensor)) throw new TypeError(`logicalNot: expected a Tensor, got ${a === null ? 'null' : typeof a}`);
  return logicalOp(a, true, LogicalOp.xor, 'logicalNot');
}

/**
 * cond ? a : b element-wise, broadcasting all three (torch.where). `cond` must be a bool tensor;
 * a and b may be tensors or numbers and are promoted to one dtype. Differentiable in a and b.
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (!(cond instanceof Tensor)) throw new TypeError(`where: condition must be a bool Tensor, got ${cond === null ? 'null' : typeof cond}`);
  if (cond.dtype !== 'bool') throw new TypeError(`where: condition must be a bool tensor, got dtype ${cond.dtype} (compare first, e.g. t.gt(0))`);
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : new Tensor(new Float32Array(1), []);
  let ta = operand(a, like, 'where');
  let tb = operand(b, like, 'where');
  const dt: DType = !(a instanceof Tensor) && !(b instanceof Tensor) ? 'float32' : promote(ta.dtype, tb.dtype);
  if (ta.dtype !== dt) ta = to(ta, dt);
  if (tb.dtype !== dt) tb = to(tb, dt);
  let outShape: number[];
  try {
    outShape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  } catch {
    throw new Error(`where: shapes ${fmtShape(cond.shape)}, ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)} cannot be broadcast`);
  }
  const c = coalesce(outShape, [readStrides(cond, outShape), readStrides(ta, outShape), readStrides(tb, outShape), contiguousStrides(outShape)]);
  const n = sizeOf(outShape);
  const out = dt === 'float32' ? emptyF32(n) : newArray(dt, n);
  const condData = storageOf(cond) as Uint8Array;
  if (n > 0) current.where(condData, c.strides[0], storageOf(ta), c.strides[1], storageOf(tb), c.strides[2], out, c.shape);
  const res = new Tensor(out, outShape);
  if (isGradEnabled() && (ta.requiresGrad || tb.requiresGrad)) {
    const zs = c.shape.map(() => 0);
    const cs = c.strides[3];
    record(res, [ta, tb], (g) => {
      for (const [t, first] of [[ta, true], [tb, false]] as const) {
        if (!t.requiresGrad) continue;
        const d = emptyF32(n);
        if (first) current.where(condData, c.strides[0], g, cs, ZERO, zs, d, c.shape);
        else current.where(condData, c.strides[0], ZERO, zs, g, cs, d, c.shape);
        const r = sumToShape(d, outShape, t.shape);
        accumulate(t, r, true);
      }
    }, [cond]);
  }
  return res;
}

const ZERO = new Float32Array(1);

/** value where mask is true, x elsewhere (mask broadcasts to x's shape; x's dtype is kept). */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('maskedFill: expected a Tensor');
  if (!(mask instanceof Tensor) || mask.dtype !== 'bool') throw new TypeError(`maskedFill: mask must be a bool tensor${mask instanceof Tensor ? `, got dtype ${mask.dtype}` : ''}`);
  const outShape = broadcastShapes(x.shape, mask.shape, 'maskedFill');
  if (outShape.length !== x.ndim || outShape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`maskedFill: mask of shape ${fmtShape(mask.shape)} does not broadcast to the tensor's shape ${fmtShape(x.shape)}`);
  }
  let v: Tensor;
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new Error(`maskedFill: value must be a number or a 0-d tensor, got shape ${fmtShape(value.shape)}`);
    v = value.dtype === x.dtype ? value : to(value, x.dtype);
  } else {
    if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`maskedFill: value must be a number, got ${typeof value}`);
    const arr = newArray(x.dtype, 1);
    arr[0] = x.dtype === 'int32' ? Math.trunc(Number(value)) : x.dtype === 'bool' ? (value ? 1 : 0) : Number(value);
    v = new Tensor(arr, []);
  }
  return where(mask, v, x);
}

declare module '../tensor.js' {
  interface Tensor {
    to(dtype: DType | 'float' | 'int' | 'long' | 'bf16'): Tensor;
    float(): Tensor;
    int(): Tensor;
    long(): Tensor;
    bool(): Tensor;
    eq(other: Tensor | number | boolean): Tensor;
    ne(other: Tensor | number | boolean): Tensor;
    lt(other: Tensor | number | boolean): Tensor;
    le(other: Tensor | number | boolean): Tensor;
    gt(other: Tensor | number | boolean): Tensor;
    ge(other: Tensor | number | boolean): Tensor;
    logicalAnd(other: Tensor | boolean): Tensor;
    logicalOr(other: Tensor | boolean): Tensor;
    logicalXor(other: Tensor | boolean): Tensor;
    logicalNot(): Tensor;
    /** where(cond, this, other) */
    where(cond: Tensor, other: Tensor | number): Tensor;
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
  }
}

const P = Tensor.prototype;
P.to = function (this: Tensor, d: DType) { return to(this, d); };
P.float = function (this: Tensor) { return to(this, 'float32'); };
P.int = function (this: Tensor) { return to(this, 'int32'); };
P.long = function (this: Tensor) { return to(this, 'int32'); };
P.bool = function (this: Tensor) { return to(this, 'bool'); };
P.eq = function (this: Tensor, o: Tensor | number | boolean) { return eq(this, o); };
P.ne = function (this: Tensor, o: Tensor | number | boolean) { return ne(this, o); };
P.lt = function (this: Tensor, o: Tensor | number | boolean) { return lt(this, o); };
P.le = function (this: Tensor, o: Tensor | number | boolean) { return le(this, o); };
P.gt = function (this: Tensor, o: Tensor | number | boolean) { return gt(this, o); };
P.ge = function (this: Tensor, o: Tensor | number | boolean) { return ge(this, o); };
P.logicalAnd = function (this: Tensor, o: Tensor | boolean) { return logicalAnd(this, o); };
P.logicalOr = function (this: Tensor, o: Tensor | boolean) { return logicalOr(this, o); };
P.logicalXor = function (this: Tensor, o: Tensor | boolean) { return logicalXor(this, o); };
P.logicalNot = function (this: Tensor) { return logicalNot(this); };
P.where = function (this: Tensor, cond: Tensor, o: Tensor | number) { return where(cond, this, o); };
P.maskedFill = function (this: Tensor, m: Tensor, v: number | Tensor) { return maskedFill(this, m, v); };
