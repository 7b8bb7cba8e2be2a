/**
 * Element-wise arithmetic with NumPy broadcasting: add sub mul div pow (+ maximum/minimum), and the
 * unary math ops neg exp log sqrt abs square. Each forward is one backend call; broadcast dims are
 * coalesced first so kernels see few dims. Backward rules reduce gradients back to each input's shape.
 */
import { BinaryOp, CompareOp, UnaryOp, type BinaryOpCode, type UnaryOpCode } from '../backend/backend.js';
import { UNARYOP_NAMES } from '../backend/ops.gen.js';
import { describe } from '../util/describe.js';
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, needsGrad2, noGrad, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides, coalesce, contiguousStrides, shapesEqual, sizeOf } from '../util/shape.js';
import { asTensor, ONE, readStrides, storageData, sumToShape } from './core.js';
import { contiguous } from './shape.js';
import { emptyF32, release } from '../util/alloc.js';

/**
 * How a broadcasting binary op walks its operands (coalesced): `aStrides`/`bStrides` read each
 * operand's storage (from `aData`/`bData`, which start at its offset: views cost no copy);
 * `aLog`/`bLog` read a contiguous array of the operand's own shape (derived values in backward).
 */
interface Plan {
  outShape: number[];
  shape: number[];
  aStrides: number[];
  bStrides: number[];
  aLog: number[];
  bLog: number[];
  outStrides: number[];
}

function plan(a: Tensor, b: Tensor, op: string): Plan {
  const outShape = broadcastShapes(a.shape, b.shape, op);
  const c = coalesce(outShape, [
    readStrides(a, outShape), readStrides(b, outShape),
    broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape), contiguousStrides(outShape),
  ]);
  return { outShape, shape: c.shape, aStrides: c.strides[0], bStrides: c.strides[1], aLog: c.strides[2], bLog: c.strides[3], outStrides: c.strides[4] };
}

function run(op: BinaryOpCode, a: Float32Array, as: readonly number[], b: Float32Array, bs: readonly number[], shape: readonly number[], n: number): Float32Array {
  const out = emptyF32(n);
  if (n > 0) current.binary(op, a, as, b, bs, out, shape);
  return out;
}

/** x (op) y for two contiguous arrays of one extent. */
function same(op: BinaryOpCode, x: Float32Array, y: Float32Array): Float32Array {
  return run(op, x, ONE, y, ONE, [x.length], x.length);
}

function un(op: UnaryOpCode, x: Float32Array, alpha = 0): Float32Array {
  const out = emptyF32(x.length);
  current.unary(op, x, out, x.length, alpha);
  return out;
}

/** Gives `buf` (outShape gradient) to t reduced to t's shape. */
function give(t: Tensor, buf: Float32Array, outShape: readonly number[], owned: boolean): void {
  if (!t.requiresGrad) return;
  const r = sumToShape(buf, outShape, t.shape);
  if (r !== buf && owned) release(buf);
  accumulate(t, r, r === buf ? owned : true);
}

/** Binary ops on int32 data (both operands non-float): int32 result, or null when the op computes in float. */
const INT_OPS: ReadonlySet<number> = new Set([BinaryOp.add, BinaryOp.sub, BinaryOp.mul, BinaryOp.pow, BinaryOp.max, BinaryOp.min]);

function binaryForward(op: BinaryOpCode, a: Tensor, b: Tensor, name: string): { out: Tensor; p: Plan | null } {
  if (a._contig && b._contig && shapesEqual(a.shape, b.shape)) {
    const out = new Tensor(run(op, a.data, ONE, b.data, ONE, [a.size], a.size), a.shape);
    return { out, p: null };
  }
  const p = plan(a, b, name);
  const out = new Tensor(emptyF32(sizeOf(p.outShape)), p.outShape);
  if (out.size > 0) current.binary(op, storageData(a), p.aStrides, storageData(b), p.bStrides, out.data, p.shape);
  return { out, p };
}

/** Both operands integer (int32/bool) and an op integers keep: the int32 result; otherwise null. */
function intResult(op: BinaryOpCode, a: Tensor, b: Tensor, name: string): Tensor | null {
  if (a.dtype === 'float32' || b.dtype === 'float32' || a.dtype === 'bfloat16' || b.dtype === 'bfloat16' || !INT_OPS.has(op)) return null;
  if (a.dtype === 'bool' && b.dtype === 'bool') {
    // PyTorch keeps bool: add/max are "or", mul/min are "and"; subtracting bools is an error
    if (op === BinaryOp.sub) throw new TypeError(`${name}: subtraction of two bool tensors is not supported; use logicalXor or cast with int()`);
    if (op === BinaryOp.pow) return intBinary(op, a.int(), b.int(), name);
    return intBinary(op, a.int(), b.int(), name).bool();
  }
  return intBinary(op, a.int(), b.int(), name);
}

function intBinary(op: BinaryOpCode, a: Tensor, b: Tensor, name: string): Tensor {
  const outShape = broadcastShapes(a.shape, b.shape, name);
  const out = new Int32Array(sizeOf(outShape));
  const c = coalesce(outShape, [readStrides(a, outShape), readStrides(b, outShape)]);
  const ab = a._storage.buf as Int32Array;
  const bb = b._storage.buf as Int32Array;
  if (out.length > 0) current.binaryInt(op, a._offset ? ab.subarray(a._offset) : ab, c.strides[0], b._offset ? bb.subarray(b._offset) : bb, c.strides[1], out, c.shape);
  return new Tensor(out, outShape);
}

/** g (op) other, where other broadcasts into the output (other = a or b of the plan). */
function withOperand(op: BinaryOpCode, g: Float32Array, other: Tensor, p: Plan | null, otherIsA: boolean): Float32Array {
  if (p === null) return same(op, g, other.data);
  // g is contiguous over the (coalesced) output shape; other is read from its storage
  return run(op, g, p.outStrides, storageData(other), otherIsA ? p.aStrides : p.bStrides, p.shape, g.length);
}

/** g (op) d, where d is a contiguous array of the shape of plan operand a (or b). */
function withDerived(op: BinaryOpCode, g: Float32Array, d: Float32Array, p: Plan | null, isA: boolean): Float32Array {
  if (p === null) return same(op, g, d);
  return run(op, g, p.outStrides, d, isA ? p.aLog : p.bLog, p.shape, g.length);
}

function unaryForward(x: Tensor, op: UnaryOpCode, alpha: number): Tensor {
  const out = new Tensor(emptyF32(x.size), x.shape);
  if (x.size > 0) current.unary(op, x.data, out.data, x.size, alpha);
  return out;
}

/** Ops that keep an integer dtype (neg, abs, square on int32) — every other unary op computes in float32. */
function floatInput(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : x.float();
}

/** A unary op whose backward is the backend's unaryBackward kernel. Non-contiguous inputs are copied once. */
export function unaryOp(x: Tensor, op: UnaryOpCode, alpha = 0): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${UNARYOP_NAMES[op]}: expected a Tensor, got ${describe(x)}`);
  x = contiguous(floatInput(x));
  const out = unaryForward(x, op, alpha);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = emptyF32(x.size);
      if (x.size > 0) current.unaryBackward(op, x.data, out.data, g, dx, x.size, alpha);
      accumulate(x, dx, true);
    });
  }
  return out;
}

/** tensor (op) number for int32/bool tensors: integer scalars keep int32 (PyTorch), others go to float32. */
function scalarOnInt(a: Tensor, b: number, op: BinaryOpCode, name: string): Tensor | null {
  if (a.dtype === 'float32' || a.dtype === 'bfloat16') return null;
  if (Number.isInteger(b) && INT_OPS.has(op)) return intBinary(op, a.int(), new Tensor(new Int32Array([b]), []), name);
  return null;
}

export function add(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) {
    const r = scalarOnInt(a, b, BinaryOp.add, 'add');
    if (r !== null) return r;
    const x = contiguous(floatInput(a));
    const out = unaryForward(x, UnaryOp.addScalar, b);
    if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, g, false), []);
    return out;
  }
  if (typeof a === 'number' && b instanceof Tensor) return add(b, a);
  let ta = asTensor(a, 'add');
  let tb = asTensor(b, 'add');
  const ir = intResult(BinaryOp.add, ta, tb, 'add');
  if (ir !== null) return ir;
  ta = floatInput(ta);
  tb = floatInput(tb);
  const { out } = binaryForward(BinaryOp.add, ta, tb, 'add');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      give(ta, g, outShape, false);
      give(tb, g, outShape, false);
    }, []);
  }
  return out;
}

export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) {
    const r = scalarOnInt(a, b, BinaryOp.sub, 'sub');
    if (r !== null) return r;
    const x = contiguous(floatInput(a));
    const out = unaryForward(x, UnaryOp.addScalar, -b);
    if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, g, false), []);
    return out;
  }
  let ta = asTensor(a, 'sub');
  let tb = asTensor(b, 'sub');
  const ir = intResult(BinaryOp.sub, ta, tb, 'sub');
  if (ir !== null) return ir;
  ta = floatInput(ta);
  tb = floatInput(tb);
  const { out } = binaryForward(BinaryOp.sub, ta, tb, 'sub');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      give(ta, g, outShape, false);
      if (tb.requiresGrad) give(tb, un(UnaryOp.neg, g), outShape, true);
    }, []);
  }
  return out;
}

export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) {
    const r = scalarOnInt(a, b, BinaryOp.mul, 'mul');
    if (r !== null) return r;
    const x = contiguous(floatInput(a));
    const out = unaryForward(x, UnaryOp.scale, b);
    if (needsGrad1(x)) record(out, [x], (g) => accumulate(x, un(UnaryOp.scale, g, b), true), []);
    return out;
  }
  if (typeof a === 'number' && b instanceof Tensor) return mul(b, a);
  let ta = asTensor(a, 'mul');
  let tb = asTensor(b, 'mul');
  const ir = intResult(BinaryOp.mul, ta, tb, 'mul');
  if (ir !== null) return ir;
  ta = floatInput(ta);
  tb = floatInput(tb);
  const { out, p } = binaryForward(BinaryOp.mul, ta, tb, 'mul');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      if (ta.requiresGrad) give(ta, withOperand(BinaryOp.mul, g, tb, p, false), outShape, true);
      if (tb.requiresGrad) give(tb, withOperand(BinaryOp.mul, g, ta, p, true), outShape, true);
    });
  }
  return out;
}

export function div(a: Tensor | number, b: Tensor | number): Tensor {
  let ta = asTensor(a, 'div');
  let tb = asTensor(b, 'div');
  const ir = intResult(BinaryOp.div, ta, tb, 'div');
  if (ir !== null) return ir;
  ta = floatInput(ta);
  tb = floatInput(tb);
  const { out, p } = binaryForward(BinaryOp.div, ta, tb, 'div');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      if (ta.requiresGrad) give(ta, withOperand(BinaryOp.div, g, tb, p, false), outShape, true);
      if (tb.requiresGrad) {
        // d(a/b)/db = −(a/b)/b = −out/b
        const go = same(BinaryOp.mul, g, out.data);
        const t = withOperand(BinaryOp.div, go, tb, p, false);
        release(go);
        current.unary(UnaryOp.neg, t, t, t.length, 0);
        give(tb, t, outShape, true);
      }
    });
  }
  return out;
}

/** a ** b. A number exponent uses the scalar kernel (2 → square); a tensor exponent broadcasts. */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) {
    return b === 2 ? unaryOp(a, UnaryOp.square) : unaryOp(a, UnaryOp.powScalar, b);
  }
  let ta = asTensor(a, 'pow');
  let tb = asTensor(b, 'pow');
  const ir = intResult(BinaryOp.pow, ta, tb, 'pow');
  if (ir !== null) return ir;
  ta = floatInput(ta);
  tb = floatInput(tb);
  const { out, p } = binaryForward(BinaryOp.pow, ta, tb, 'pow');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      if (ta.requiresGrad) {
        // b · a^(b−1) · g
        const bm1 = un(UnaryOp.addScalar, tb.data, -1);
        const t = p === null ? same(BinaryOp.pow, ta.data, bm1)
          : run(BinaryOp.pow, ta.data, p.aLog, bm1, p.bLog, p.shape, g.length);
        const u = withDerived(BinaryOp.mul, t, tb.data, p, false);
        give(ta, same(BinaryOp.mul, u, g), outShape, true);
      }
      if (tb.requiresGrad) {
        // a^b · ln(a) · g
        const la = un(UnaryOp.log, ta.data);
        const t = withDerived(BinaryOp.mul, same(BinaryOp.mul, g, out.data), la, p, true);
        give(tb, t, outShape, true);
      }
    });
  }
  return out;
}

/** atan2(a, b): the angle of the point (b, a), broadcasting. d/da = b/(a²+b²), d/db = −a/(a²+b²). */
export function atan2(a: Tensor | number, b: Tensor | number): Tensor {
  let ta = floatInput(asTensor(a, 'atan2'));
  let tb = floatInput(asTensor(b, 'atan2'));
  const { out } = binaryForward(BinaryOp.atan2, ta, tb, 'atan2');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      const r = noGrad(() => {
        const G = new Tensor(g, outShape);
        const den = add(square(ta), square(tb));
        return [ta.requiresGrad ? div(mul(G, tb), den) : null, tb.requiresGrad ? neg(div(mul(G, ta), den)) : null];
      });
      if (r[0]) give(ta, r[0].data, outShape, true);
      if (r[1]) give(tb, r[1].data, outShape, true);
    });
  }
  return out;
}

/** a + weight·(b − a) (torch.lerp), weight a tensor or a number; differentiable in all three. */
export function lerp(a: Tensor, b: Tensor, weight: Tensor | number): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError(`lerp: start and end must be Tensors, got ${describe(a)} and ${describe(b)}`);
  return add(a, mul(sub(b, a), weight));
}

/** Element-wise maximum / minimum; on ties the gradient is split evenly (PyTorch). */
function extremum(a: Tensor | number, b: Tensor | number, isMax: boolean): Tensor {
  const name = isMax ? 'maximum' : 'minimum';
  let ta = asTensor(a, name);
  let tb = asTensor(b, name);
  const ir = intResult(isMax ? BinaryOp.max : BinaryOp.min, ta, tb, name);
  if (ir !== null) return ir;
  ta = floatInput(ta);
  tb = floatInput(tb);
  const { out, p } = binaryForward(isMax ? BinaryOp.max : BinaryOp.min, ta, tb, name);
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      // a's share: g where a wins, g/2 on ties, 0 otherwise (b's likewise), from compare + where kernels
      const n = g.length;
      const shp = p === null ? [n] : p.shape;
      const cs = p === null ? ONE : p.outStrides;
      const A = p === null ? ta.data : storageData(ta);
      const B = p === null ? tb.data : storageData(tb);
      const win = new Uint8Array(n);
      const tie = new Uint8Array(n);
      current.compare(isMax ? CompareOp.gt : CompareOp.lt, A, p === null ? ONE : p.aStrides, B, p === null ? ONE : p.bStrides, win, shp);
      current.compare(CompareOp.eq, A, p === null ? ONE : p.aStrides, B, p === null ? ONE : p.bStrides, tie, shp);
      const half = un(UnaryOp.scale, g, 0.5);
      const zs = shp.map(() => 0);
      const t = emptyF32(n);
      if (ta.requiresGrad) {
        current.where(tie, cs, half, cs, ZERO, zs, t, shp);
        const ga = emptyF32(n);
        current.where(win, cs, g, cs, t, cs, ga, shp);
        give(ta, ga, outShape, true);
      }
      if (tb.requiresGrad) {
        current.where(tie, cs, half, cs, g, cs, t, shp);
        const gb = emptyF32(n);
        current.where(win, cs, ZERO, zs, t, cs, gb, shp);
        give(tb, gb, outShape, true);
      }
      release(half);
      release(t);
    });
  }
  return out;
}

const ZERO = new Float32Array(1);

export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return extremum(a, b, true);
}
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return extremum(a, b, false);
}

export const neg = (x: Tensor): Tensor => unaryOp(x, UnaryOp.neg);
export const exp = (x: Tensor): Tensor => unaryOp(x, UnaryOp.exp);
export const log = (x: Tensor): Tensor => unaryOp(x, UnaryOp.log);
export const sqrt = (x: Tensor): Tensor => unaryOp(x, UnaryOp.sqrt);
export const abs = (x: Tensor): Tensor => unaryOp(x, UnaryOp.abs);
export const square = (x: Tensor): Tensor => unaryOp(x, UnaryOp.square);
export const reciprocal = (x: Tensor): Tensor => unaryOp(x, UnaryOp.reciprocal);

declare module '../tensor.js' {
  interface Tensor {
    add(other: Tensor | number): Tensor;
    sub(other: Tensor | number): Tensor;
    mul(other: Tensor | number): Tensor;
    div(other: Tensor | number): Tensor;
    pow(exponent: Tensor | number): Tensor;
    maximum(other: Tensor | number): Tensor;
    minimum(other: Tensor | number): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    atan2(other: Tensor | number): Tensor;
    lerp(end: Tensor, weight: Tensor | number): Tensor;
  }
}

const P = Tensor.prototype;
P.add = function (this: Tensor, o: Tensor | number) { return add(this, o); };
P.sub = function (this: Tensor, o: Tensor | number) { return sub(this, o); };
P.mul = function (this: Tensor, o: Tensor | number) { return mul(this, o); };
P.div = function (this: Tensor, o: Tensor | number) { return div(this, o); };
P.pow = function (this: Tensor, o: Tensor | number) { return pow(this, o); };
P.maximum = function (this: Tensor, o: Tensor | number) { return maximum(this, o); };
P.minimum = function (this: Tensor, o: Tensor | number) { return minimum(this, o); };
P.neg = function (this: Tensor) { return neg(this); };
P.exp = function (this: Tensor) { return exp(this); };
P.log = function (this: Tensor) { return log(this); };
P.sqrt = function (this: Tensor) { return sqrt(this); };
P.abs = function (this: Tensor) { return abs(this); };
P.square = function (this: Tensor) { return square(this); };
P.reciprocal = function (this: Tensor) { return reciprocal(this); };
P.atan2 = function (this: Tensor, o: Tensor | number) { return atan2(this, o); };
P.lerp = function (this: Tensor, e: Tensor, w: Tensor | number) { return lerp(this, e, w); };
