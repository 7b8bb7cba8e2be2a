/**
 * In-place ops add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_, and clamp. They write through views
 * into the shared storage (as PyTorch) and bump the storage's version counter, so a backward rule
 * that saved the old values refuses to run ("modified by an inplace operation") instead of
 * computing a wrong gradient. Under autograd an in-place op on a non-leaf tensor becomes a node of
 * its own (the tensor now stands for the new value; its old node keeps the old graph). Not
 * supported, with a clear error: in-place on a leaf that requires grad (PyTorch's rule: wrap the
 * update in noGrad), and in-place on a view while autograd records (PyTorch's CopySlices).
 */
import { BinaryOp, UnaryOp, type BinaryOpCode } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, isGradEnabled, noGrad, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { emptyF32 } from '../util/alloc.js';
import { broadcastShapes, coalesce, contiguousStrides, fmtShape, shapesEqual } from '../util/shape.js';
import { readStrides, storageData, sumToShape } from './core.js';
import { checkOptions } from '../util/options.js';
import { add, div, maximum, minimum, mul, sub } from './elementwise.js';
import { logicalAnd, ge, le, to } from './compare.js';

function checkSelf(self: unknown, name: string): asserts self is Tensor {
  if (!(self instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor`);
}

/** The node standing for self's old value when autograd must record the in-place op, else null. */
function beginInplace(self: Tensor, name: string, others: readonly Tensor[]): Tensor | null {
  if (!isGradEnabled()) return null;
  const needs = self.requiresGrad || others.some((o) => o.requiresGrad);
  if (!needs) return null;
  if (self.requiresGrad && self._backward === null) {
    throw new Error(`${name}: a leaf tensor that requires grad is being used in an in-place operation; wrap the update in ng.noGrad(() => ...) or use the out-of-place form`);
  }
  if (self._base !== null) {
    throw new Error(`${name}: in-place operation on a view while autograd is recording is not supported; use the out-of-place form (or contiguous()/clone() first)`);
  }
  const old = new Tensor(self._storage, self.shape, false, self._strides, self._offset, self.dtype);
  old.requiresGrad = self.requiresGrad;
  old._inputs = self._inputs;
  old._backward = self._backward;
  old._saved = self._saved;
  old._savedVersions = self._savedVersions;
  old._inputVers = self._inputVers;
  old._nodeVer = 0;
  // ops recorded so far reach the old node through self._prior[their recorded version]
  (self._prior ??= []).push(old);
  self._nodeVer = self._prior.length;
  self._inputs = null;
  self._backward = null;
  self._saved = null;
  self._savedVersions = null;
  self._inputVers = null;
  return old;
}

/** Writes src (a contiguous tensor of self's shape, any dtype) into self's storage through its strides. */
function writeInto(self: Tensor, src: Tensor): void {
  if (self.size === 0) return;
  const c = coalesce(self.shape, [self._strides, contiguousStrides(self.shape)]);
  if (self.dtype === 'float32' && src.dtype === 'float32') {
    current.copy(c.shape, src.data, 0, c.strides[1], self._storage.buf as Float32Array, self._offset, c.strides[0], false);
  } else {
    current.copyTyped(c.shape, src.data, 0, c.strides[1], self._storage.buf, self._offset, c.strides[0]);
  }
}

function checkBroadcastInto(self: Tensor, other: Tensor, name: string): void {
  const s = broadcastShapes(self.shape, other.shape, name);
  if (!shapesEqual(s, self.shape)) {
    throw new Error(`${name}: output with shape ${fmtShape(self.shape)} doesn't match the broadcast shape ${fmtShape(s)}`);
  }
}

const OOP: Record<string, (a: Tensor, b: Tensor | number) => Tensor> = { add_: add, sub_: sub, mul_: mul, div_: div };
const CODES: Record<string, BinaryOpCode> = { add_: BinaryOp.add, sub_: BinaryOp.sub, mul_: BinaryOp.mul, div_: BinaryOp.div };

function inplaceBinary(self: Tensor, other: Tensor | number, name: 'add_' | 'sub_' | 'mul_' | 'div_', alpha = 1): Tensor {
  checkSelf(self, name);
  if (!(other instanceof Tensor) && typeof other !== 'number') throw new TypeError(`${name}: other must be a Tensor or a number, got ${other === null ? 'null' : typeof other}`);
  if (typeof alpha !== 'number') throw new TypeError(`${name}: alpha must be a number`);
  if (other instanceof Tensor) checkBroadcastInto(self, other, name);
  const floatResult = self.dtype === 'float32' || name === 'div_' || (other instanceof Tensor ? other.dtype === 'float32' : !Number.isInteger(other * alpha));
  if (floatResult && self.dtype !== 'float32') {
    throw new TypeError(`${name}: result type float32 can't be cast to the desired output type ${self.dtype}`);
  }
  const others = other instanceof Tensor ? [other] : [];
  if (other instanceof Tensor && other.requiresGrad && (name === 'mul_' || name === 'div_') && isGradEnabled()) {
    throw new Error(`${name}: the other operand requires grad, and its gradient needs the values this op overwrites; use the out-of-place ${name.slice(0, 3)}`);
  }
  const old = beginInplace(self, name, others);
  const scaled = other instanceof Tensor ? (alpha === 1 ? other : noGrad(() => mul(other, alpha))) : other * alpha;
  noGrad(() => {
    if (self.dtype === 'float32' && self._contig && typeof scaled === 'number' && name !== 'div_') {
      const d = self.data;
      if (d.length > 0) current.unary(name === 'mul_' ? UnaryOp.scale : UnaryOp.addScalar, d, d, d.length, name === 'sub_' ? -scaled : scaled);
    } else if (self.dtype === 'float32' && self._contig && scaled instanceof Tensor && scaled.dtype === 'float32') {
      // one kernel straight into self (the output may alias an input of the same extent)
      const d = self.data;
      const c = coalesce(self.shape, [contiguousStrides(self.shape), readStrides(scaled, self.shape)]);
      if (d.length > 0) current.binary(CODES[name], d, c.strides[0], storageData(scaled), c.strides[1], d, c.shape);
    } else {
      writeInto(self, OOP[name](self, scaled));
    }
  });
  self._storage.version++;
  if (old !== null) {
    const o = other instanceof Tensor ? other : null;
    const shape = self.shape;
    const rule = (g: Float32Array): void => {
      if (old.requiresGrad) {
        if (name === 'add_' || name === 'sub_') accumulate(old, g, false);
        else {
          const gt = new Tensor(g, shape);
          const r = noGrad(() => (name === 'mul_' ? mul(gt, o ?? (scaled as number)) : div(gt, o ?? (scaled as number))));
          accumulate(old, r.data, true);
        }
      }
      if (o !== null && o.requiresGrad) {
        let r = sumToShape(g, shape, o.shape);
        const k = name === 'sub_' ? -alpha : alpha;
        if (k !== 1) {
          const t = emptyF32(r.length);
          current.unary(UnaryOp.scale, r, t, r.length, k);
          r = t;
        }
        accumulate(o, r, r !== g);
      }
    };
    record(self, o !== null ? [old, o] : [old], rule, o !== null && (name === 'mul_' || name === 'div_') ? [o] : []);
  }
  return self;
}

/** Fills self with `value` (a number), in place. */
export function fill_(self: Tensor, value: number | boolean): Tensor {
  checkSelf(self, 'fill_');
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`fill_: value must be a number, got ${value === null ? 'null' : typeof value}`);
  const old = beginInplace(self, 'fill_', []);
  const v = self.dtype === 'bool' ? (value ? 1 : 0) : self.dtype === 'int32' ? Math.trunc(Number(value)) : Number(value);
  if (self._contig) self.data.fill(v);
  else {
    const src = new (self._storage.buf.constructor as Float32ArrayConstructor)(1);
    src[0] = v;
    const c = coalesce(self.shape, [self._strides]);
    const st = c.strides[0];
    if (self.dtype === 'float32') current.copy(c.shape, src, 0, c.shape.map(() => 0), self._storage.buf as Float32Array, self._offset, st, false);
    else current.copyTyped(c.shape, src, 0, c.shape.map(() => 0), self._storage.buf, self._offset, st);
  }
  self._storage.version++;
  if (old !== null) record(self, [old], () => {}, []);
  return self;
}

export function zero_(self: Tensor): Tensor {
  checkSelf(self, 'zero_');
  return fill_(self, 0);
}

/** Copies src (broadcast to self's shape, cast to self's dtype) into self, in place; returns self. */
export function copy_(self: Tensor, src: Tensor): Tensor {
  checkSelf(self, 'copy_');
  if (!(src instanceof Tensor)) throw new TypeError(`copy_: src must be a Tensor, got ${src === null ? 'null' : typeof src}`);
  checkBroadcastInto(self, src, 'copy_');
  const old = beginInplace(self, 'copy_', [src]);
  // read src before writing (src may overlap self's storage): materialise it at self's shape and dtype
  const s = noGrad(() => {
    let t = src.dtype === self.dtype ? src : to(src, self.dtype);
    if (!shapesEqual(t.shape, self.shape)) t = t.expand(self.shape as number[]);
    return t._contig && t._storage !== self._storage ? t : t.clone();
  });
  writeInto(self, s);
  self._storage.version++;
  if (old !== null) {
    const shape = self.shape;
    record(self, [old, src], (g) => {
      if (src.requiresGrad && src.dtype === 'float32') {
        const r = sumToShape(g, shape, src.shape);
        accumulate(src, r, r !== g);
      }
    }, []);
  }
  return self;
}

function clampArgs(min: number | null | undefined, max: number | null | undefined, name: string): void {
  for (const [k, v] of [['min', min], ['max', max]] as const) {
    if (v !== undefined && v !== null && typeof v !== 'number') throw new TypeError(`${name}: ${k} must be a number or null, got ${typeof v}`);
  }
  if ((min === undefined || min === null) && (max === undefined || max === null)) throw new Error(`${name}: at least one of min and max must be given`);
}

function clampValues(x: Tensor, min: number | null | undefined, max: number | null | undefined): Tensor {
  let r = x;
  if (min !== undefined && min !== null) r = maximum(r, min);
  if (max !== undefined && max !== null) r = minimum(r, max);
  return r;
}

/** 1 where min ≤ x ≤ max (the gradient mask of clamp, as PyTorch: the bounds themselves pass gradient). */
function clampMask(x: Tensor, min: number | null | undefined, max: number | null | undefined): Tensor {
  let m: Tensor | null = null;
  if (min !== undefined && min !== null) m = ge(x, min);
  if (max !== undefined && max !== null) m = m === null ? le(x, max) : logicalAnd(m, le(x, max));
  return to(m!, 'float32');
}

/** Limits every element to [min, max] (either may be null). Gradient 1 inside the range, 0 outside. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkSelf(x, 'clamp');
  clampArgs(min, max, 'clamp');
  const out = noGrad(() => clampValues(x, min, max));
  if (isGradEnabled() && x.requiresGrad) {
    const mask = noGrad(() => clampMask(x, min, max));
    record(out, [x], (g) => accumulate(x, noGrad(() => mul(new Tensor(g, out.shape), mask)).data, true), []);
  }
  return out;
}

/** clamp in place. */
export function clamp_(self: Tensor, min?: number | null, max?: number | null): Tensor {
  checkSelf(self, 'clamp_');
  clampArgs(min, max, 'clamp_');
  const mask = isGradEnabled() && self.requiresGrad ? noGrad(() => clampMask(self, min, max)) : null;
  const old = beginInplace(self, 'clamp_', []);
  writeInto(self, noGrad(() => clampValues(self, min, max)));
  self._storage.version++;
  if (old !== null) {
    const shape = self.shape;
    record(self, [old], (g) => accumulate(old, noGrad(() => mul(new Tensor(g, shape), mask!)).data, true), []);
  }
  return self;
}

declare module '../tensor.js' {
  interface Tensor {
    add_(other: Tensor | number, opts?: { alpha?: number }): Tensor;
    sub_(other: Tensor | number, opts?: { alpha?: number }): Tensor;
    mul_(other: Tensor | number): Tensor;
    div_(other: Tensor | number): Tensor;
    fill_(value: number | boolean): Tensor;
    zero_(): Tensor;
    copy_(src: Tensor): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    clamp_(min?: number | null, max?: number | null): Tensor;
  }
}

function alphaOf(opts: { alpha?: number } | undefined, name: string): number {
  if (opts === undefined) return 1;
  checkOptions(opts, ['alpha'], name);
  return opts.alpha ?? 1;
}

const P = Tensor.prototype;
P.add_ = function (this: Tensor, o: Tensor | number, opts?: { alpha?: number }) { return inplaceBinary(this, o, 'add_', alphaOf(opts, 'add_')); };
P.sub_ = function (this: Tensor, o: Tensor | number, opts?: { alpha?: number }) { return inplaceBinary(this, o, 'sub_', alphaOf(opts, 'sub_')); };
P.mul_ = function (this: Tensor, o: Tensor | number) { return inplaceBinary(this, o, 'mul_'); };
P.div_ = function (this: Tensor, o: Tensor | number) { return inplaceBinary(this, o, 'div_'); };
P.fill_ = function (this: Tensor, v: number | boolean) { return fill_(this, v); };
P.zero_ = function (this: Tensor) { return zero_(this); };
P.copy_ = function (this: Tensor, s: Tensor) { return copy_(this, s); };
P.clamp = function (this: Tensor, a?: number | null, b?: number | null) { return clamp(this, a, b); };
P.clamp_ = function (this: Tensor, a?: number | null, b?: number | null) { return clamp_(this, a, b); };
