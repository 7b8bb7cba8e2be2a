/**
 * Element-wise arithmetic with NumPy broadcasting: add sub mul div pow (+ maximum/minimum), and the
 * unary math ops neg exp log sqrt abs square. Each forward is one backend call; broadcast dims are
 * coalesced first so kernels see few dims. Backward rules reduce gradients back to each input's shape.
 */
import { BinaryOp, UnaryOp, type BinaryOpCode, type UnaryOpCode } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, needsGrad2, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides, coalesce, contiguousStrides, shapesEqual, sizeOf } from '../util/shape.js';
import { asTensor, ONE, sumToShape } from './core.js';

/** How a broadcasting binary op walks its operands (coalesced). */
interface Plan {
  outShape: number[];
  shape: number[];
  aStrides: number[];
  bStrides: number[];
}

function plan(a: Tensor, b: Tensor, op: string): Plan {
  const outShape = broadcastShapes(a.shape, b.shape, op);
  const c = coalesce(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape), contiguousStrides(outShape)]);
  return { outShape, shape: c.shape, aStrides: c.strides[0], bStrides: c.strides[1] };
}

function run(op: BinaryOpCode, a: Float32Array, as: readonly number[], b: Float32Array, bs: readonly number[], shape: readonly number[], n: number): Float32Array {
  const out = new Float32Array(n);
  if (n > 0) current.binary(op, a, as, b, bs, out, shape);
  return out;
}

/** x (op) y for two contiguous arrays of one extent. */
function same(op: BinaryOpCode, x: Float32Array, y: Float32Array): Float32Array {
  return run(op, x, ONE, y, ONE, [x.length], x.length);
}

function un(op: UnaryOpCode, x: Float32Array, alpha = 0): Float32Array {
  const out = new Float32Array(x.length);
  current.unary(op, x, out, x.length, alpha);
  return out;
}

/** Gives `buf` (outShape gradient) to t reduced to t's shape. */
function give(t: Tensor, buf: Float32Array, outShape: readonly number[], owned: boolean): void {
  if (!t.requiresGrad) return;
  const r = sumToShape(buf, outShape, t.shape);
  accumulate(t, r, r === buf ? owned : true);
}

function binaryForward(op: BinaryOpCode, a: Tensor, b: Tensor, name: string): { out: Tensor; p: Plan | null } {
  if (shapesEqual(a.shape, b.shape)) {
    const out = new Tensor(run(op, a.data, ONE, b.data, ONE, [a.size], a.size), a.shape);
    return { out, p: null };
  }
  const p = plan(a, b, name);
  const out = new Tensor(new Float32Array(sizeOf(p.outShape)), p.outShape);
  if (out.size > 0) current.binary(op, a.data, p.aStrides, b.data, p.bStrides, out.data, p.shape);
  return { out, p };
}

/** g (op) other, where other broadcasts into the output (other = a or b of the plan). */
function withOperand(op: BinaryOpCode, g: Float32Array, other: Tensor, p: Plan | null, otherIsA: boolean): Float32Array {
  if (p === null) return same(op, g, other.data);
  // g is contiguous over the (coalesced) output shape
  return run(op, g, contiguousStrides(p.shape), other.data, otherIsA ? p.aStrides : p.bStrides, p.shape, g.length);
}

function unaryForward(x: Tensor, op: UnaryOpCode, alpha: number): Tensor {
  const out = new Tensor(new Float32Array(x.size), x.shape);
  current.unary(op, x.data, out.data, x.size, alpha);
  return out;
}

/** A unary op whose backward is the backend's unaryBackward kernel. */
export function unaryOp(x: Tensor, op: UnaryOpCode, alpha = 0): Tensor {
  const out = unaryForward(x, op, alpha);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = new Float32Array(x.size);
      current.unaryBackward(op, x.data, out.data, g, dx, x.size, alpha);
      accumulate(x, dx, true);
    });
  }
  return out;
}

export function add(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) {
    const out = unaryForward(a, UnaryOp.addScalar, b);
    if (needsGrad1(a)) record(out, [a], (g) => accumulate(a, g, false));
    return out;
  }
  if (typeof a === 'number' && b instanceof Tensor) return add(b, a);
  const ta = asTensor(a, 'add');
  const tb = asTensor(b, 'add');
  const { out } = binaryForward(BinaryOp.add, ta, tb, 'add');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      give(ta, g, outShape, false);
      give(tb, g, outShape, false);
    });
  }
  return out;
}

export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) {
    const out = unaryForward(a, UnaryOp.addScalar, -b);
    if (needsGrad1(a)) record(out, [a], (g) => accumulate(a, g, false));
    return out;
  }
  const ta = asTensor(a, 'sub');
  const tb = asTensor(b, 'sub');
  const { out } = binaryForward(BinaryOp.sub, ta, tb, 'sub');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      give(ta, g, outShape, false);
      if (tb.requiresGrad) give(tb, un(UnaryOp.neg, g), outShape, true);
    });
  }
  return out;
}

export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) {
    const out = unaryForward(a, UnaryOp.scale, b);
    if (needsGrad1(a)) record(out, [a], (g) => accumulate(a, un(UnaryOp.scale, g, b), true));
    return out;
  }
  if (typeof a === 'number' && b instanceof Tensor) return mul(b, a);
  const ta = asTensor(a, 'mul');
  const tb = asTensor(b, 'mul');
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
  const ta = asTensor(a, 'div');
  const tb = asTensor(b, 'div');
  const { out, p } = binaryForward(BinaryOp.div, ta, tb, 'div');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      if (ta.requiresGrad) give(ta, withOperand(BinaryOp.div, g, tb, p, false), outShape, true);
      if (tb.requiresGrad) {
        // d(a/b)/db = −(a/b)/b = −out/b
        const t = withOperand(BinaryOp.div, same(BinaryOp.mul, g, out.data), tb, p, false);
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
  const ta = asTensor(a, 'pow');
  const tb = asTensor(b, 'pow');
  const { out, p } = binaryForward(BinaryOp.pow, ta, tb, 'pow');
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      if (ta.requiresGrad) {
        // b · a^(b−1) · g
        const bm1 = new Tensor(un(UnaryOp.addScalar, tb.data, -1), tb.shape);
        const t = p === null ? same(BinaryOp.pow, ta.data, bm1.data)
          : run(BinaryOp.pow, ta.data, p.aStrides, bm1.data, p.bStrides, p.shape, g.length);
        const u = withOperand(BinaryOp.mul, t, tb, p, false);
        give(ta, same(BinaryOp.mul, u, g), outShape, true);
      }
      if (tb.requiresGrad) {
        // a^b · ln(a) · g
        const la = new Tensor(un(UnaryOp.log, ta.data), ta.shape);
        const t = withOperand(BinaryOp.mul, same(BinaryOp.mul, g, out.data), la, p, true);
        give(tb, t, outShape, true);
      }
    });
  }
  return out;
}

/** Element-wise maximum / minimum; on ties the gradient is split evenly (PyTorch). */
function extremum(a: Tensor | number, b: Tensor | number, isMax: boolean): Tensor {
  const name = isMax ? 'maximum' : 'minimum';
  const ta = asTensor(a, name);
  const tb = asTensor(b, name);
  const { out, p } = binaryForward(isMax ? BinaryOp.max : BinaryOp.min, ta, tb, name);
  if (needsGrad2(ta, tb)) {
    const outShape = out.shape;
    record(out, [ta, tb], (g) => {
      // mask_a = 1 where a wins, 0.5 on ties, 0 otherwise (computed from broadcast a and b)
      const ea = p === null ? ta.data : expand(ta, p);
      const eb = p === null ? tb.data : expand(tb, p);
      const ga = new Float32Array(g.length);
      const gb = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) {
        const x = ea[i];
        const y = eb[i];
        if (x === y) { ga[i] = 0.5 * g[i]; gb[i] = ga[i]; } else if (isMax ? x > y : x < y) ga[i] = g[i]; else gb[i] = g[i];
      }
      give(ta, ga, outShape, true);
      give(tb, gb, outShape, true);
    });
  }
  return out;
}

function expand(t: Tensor, p: Plan): Float32Array {
  const n = sizeOf(p.outShape);
  const out = new Float32Array(n);
  const c = coalesce(p.outShape, [broadcastStrides(t.shape, p.outShape), contiguousStrides(p.outShape)]);
  current.copy(c.shape, t.data, 0, c.strides[0], out, 0, c.strides[1], false);
  return out;
}

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
