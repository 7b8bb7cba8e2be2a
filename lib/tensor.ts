/**
 * Tensor: float32 data in a contiguous row-major Float32Array owned by JavaScript (nothing to free),
 * plus autograd bookkeeping. This file imports no op: lib/ops/* attach the method forms
 * (`t.add(...)`, `t.matmul(...)`) to Tensor.prototype, so tensor ↔ ops never forms an import cycle.
 */
import { BinaryOp } from './backend/backend.js';
import { current } from './backend/registry.js';
import { runBackward, type BackwardFn } from './autograd.js';
import { defaultGenerator } from './random.js';
import { checkShape, fmtShape, MAX_ELEMENTS, shapesEqual, sizeOf } from './util/shape.js';

export interface TensorOptions {
  /** Track gradients for this (leaf) tensor. */
  requiresGrad?: boolean;
}

/** Nested arrays of numbers, e.g. [[1, 2], [3, 4]]. */
export type NestedArray = number | NestedArray[];

export class Tensor {
  /** The elements, row-major. Ops never write an input's data; reshape/view/detach share it. */
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf that requires grad (null until the first backward). */
  grad: Tensor | null = null;
  /** @internal graph inputs of the op that produced this tensor */
  _inputs: Tensor[] | null = null;
  /** @internal that op's backward rule */
  _backward: BackwardFn | null = null;
  /** @internal pending gradient during a backward pass */
  _g: Float32Array | null = null;
  /** @internal whether _g may be written in place */
  _gOwned = false;
  /** @internal traversal epoch */
  _mark = 0;

  /**
   * Wraps `data` (taken as-is, not copied) with `shape`. Prefer `ng.tensor(...)` in user code; this
   * constructor is the zero-copy path for data already in a Float32Array.
   */
  constructor(data: Float32Array, shape: readonly number[], requiresGrad = false) {
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`Tensor: data must be a Float32Array, got ${data === null ? 'null' : (data as object)?.constructor?.name ?? typeof data}`);
    }
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${fmtShape(shape)} needs ${size}`);
    }
    this.data = data;
    this.shape = shape;
    this.size = size;
    this.requiresGrad = requiresGrad;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** True when no op produced this tensor (user-created, or detached). */
  get isLeaf(): boolean {
    return this._backward === null;
  }

  /** Sets requiresGrad in place (PyTorch's requires_grad_) and returns this. */
  requiresGrad_(flag = true): this {
    if (!flag && this._backward !== null) {
      throw new Error('requiresGrad_: cannot turn off gradients of a non-leaf tensor; use detach()');
    }
    this.requiresGrad = flag;
    return this;
  }

  /** The single element of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} elements, expected 1`);
    return this.data[0];
  }

  /** Nested arrays mirroring the shape (a plain number for a 0-d tensor). */
  toArray(): NestedArray {
    const { data, shape } = this;
    if (shape.length === 0) return data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim];
      const out = new Array<NestedArray>(n);
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = data[offset + i];
      } else {
        const step = sizeOf(shape.slice(dim + 1));
        for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * step);
      }
      return out;
    };
    return build(0, 0);
  }

  /** A tensor sharing this data, cut from the graph (requiresGrad false). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy of the data with the same graph connection as an identity op would have. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /**
   * Backpropagates from this tensor. A one-element tensor takes an implicit gradient of 1; any other
   * needs `grad` of the same shape. Leaves with requiresGrad accumulate into `.grad` (call it again
   * and the gradients add up, like PyTorch). The graph is kept, so a second call works.
   */
  backward(grad?: Tensor | Float32Array | number): void {
    if (!this.requiresGrad) {
      throw new Error('backward: this tensor does not require grad (set requiresGrad on an input, outside noGrad)');
    }
    let seed: Float32Array;
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new Error(`backward: grad can be implicitly created only for scalar outputs; got shape ${fmtShape(this.shape)}`);
      }
      seed = new Float32Array([1]);
    } else if (typeof grad === 'number') {
      if (this.size !== 1) throw new Error(`backward: a number gradient needs a one-element output; got shape ${fmtShape(this.shape)}`);
      seed = new Float32Array([grad]);
    } else if (grad instanceof Float32Array) {
      if (grad.length !== this.size) throw new Error(`backward: grad has ${grad.length} elements, expected ${this.size}`);
      seed = grad;
    } else {
      if (!shapesEqual(grad.shape, this.shape)) {
        throw new Error(`backward: grad shape ${fmtShape(grad.shape)} does not match output shape ${fmtShape(this.shape)}`);
      }
      seed = grad.data;
    }
    runBackward(this, seed);
  }

  /** @internal adds a finished gradient buffer into .grad */
  _addToGrad(buf: Float32Array, owned: boolean): void {
    if (this.grad === null) {
      this.grad = new Tensor(owned ? buf : buf.slice(), this.shape);
    } else {
      const g = this.grad.data;
      current.binary(BinaryOp.add, g, [1], buf, [1], g, [g.length]);
    }
  }

  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, data=${JSON.stringify(this.toArray())}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** Is `x` a Tensor (also across duplicate module copies: checks the shape of the object). */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

function inferShape(values: NestedArray, shape: number[], path: string): void {
  if (Array.isArray(values)) {
    shape.push(values.length);
    if (values.length > 0) inferShape(values[0], shape, `${path}[0]`);
  }
}

function fill(values: NestedArray, shape: readonly number[], dim: number, out: Float32Array, pos: { i: number }, path: string): void {
  if (dim === shape.length) {
    if (typeof values !== 'number') {
      throw new Error(`tensor: ragged nested array: expected a number at ${path || 'top level'}, got ${Array.isArray(values) ? 'an array' : typeof values}`);
    }
    out[pos.i++] = values;
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim]) {
    const got = Array.isArray(values) ? `length ${values.length}` : typeof values;
    throw new Error(`tensor: ragged nested array at ${path || 'top level'}: expected length ${shape[dim]}, got ${got}`);
  }
  for (let i = 0; i < values.length; i++) fill(values[i], shape, dim + 1, out, pos, `${path}[${i}]`);
}

/**
 * A tensor from a number (0-d), nested number arrays (shape inferred, ragged → Error), or a flat
 * `Float32Array` / `number[]` with an optional `shape` (default 1-D). Data is always copied.
 * `ng.tensor(values, {requiresGrad: true})` and `ng.tensor(values, shape, {requiresGrad: true})` work too.
 */
export function tensor(
  values: NestedArray | Float32Array | ArrayLike<number>,
  shapeOrOpts?: readonly number[] | TensorOptions,
  opts?: TensorOptions,
): Tensor {
  let shape: readonly number[] | undefined;
  if (Array.isArray(shapeOrOpts)) shape = shapeOrOpts;
  else if (shapeOrOpts !== undefined) opts = shapeOrOpts as TensorOptions;
  const rg = opts?.requiresGrad ?? false;
  if (values === null || (typeof values !== 'number' && typeof values !== 'object')) {
    throw new TypeError(`tensor: values must be a number, a (nested) array or a typed array, got ${values === null ? 'null' : typeof values}`);
  }
  if (shape !== undefined) checkShape(shape, 'tensor');
  if (typeof values === 'number') {
    const s = shape ?? [];
    if (sizeOf(s) !== 1) throw new Error(`tensor: a single number cannot fill shape ${fmtShape(s)}`);
    return new Tensor(new Float32Array([values]), [...s], rg);
  }
  const flat = values instanceof Float32Array || ArrayBuffer.isView(values) ||
    (Array.isArray(values) && (values.length === 0 || typeof values[0] === 'number') && shape !== undefined);
  if (flat || (!Array.isArray(values) && typeof (values as ArrayLike<number>).length === 'number')) {
    const arr = values as ArrayLike<number>;
    const s = shape ?? [arr.length];
    if (sizeOf(s) !== arr.length) {
      throw new Error(`tensor: ${arr.length} values do not fit shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
    }
    return new Tensor(Float32Array.from(arr), [...s], rg);
  }
  const inferred: number[] = [];
  inferShape(values as NestedArray, inferred, '');
  const out = new Float32Array(sizeOf(inferred));
  fill(values as NestedArray, inferred, 0, out, { i: 0 }, '');
  if (shape !== undefined) {
    if (sizeOf(shape) !== out.length) {
      throw new Error(`tensor: ${out.length} values (shape ${fmtShape(inferred)}) do not fit shape ${fmtShape(shape)}`);
    }
    return new Tensor(out, [...shape], rg);
  }
  return new Tensor(out, inferred, rg);
}

function shapeArg(shape: readonly number[] | number, op: string): number[] {
  if (typeof shape !== 'number' && !Array.isArray(shape)) {
    throw new TypeError(`${op}: shape must be an array of non-negative integers or a single length, got ${shape === null ? 'null' : typeof shape}`);
  }
  const s = typeof shape === 'number' ? [shape] : [...shape];
  checkShape(s, op);
  return s;
}

type ShapeArgs = [shape: readonly number[] | number, opts?: TensorOptions] | number[] | [...sizes: number[], opts: TensorOptions];

/**
 * (shape, opts?) or PyTorch's separate sizes (2, 3) → [shape, opts]. Sizes followed by an options
 * object are accepted too: zeros(2, 3, {requiresGrad: true}).
 */
function shapeAndOpts(args: readonly unknown[], op: string): [number[], TensorOptions | undefined] {
  if (args.length >= 2 && typeof args[0] === 'number' && typeof args[1] === 'number') {
    const last = args[args.length - 1];
    const hasOpts = typeof last === 'object' && last !== null && !Array.isArray(last);
    const dims = hasOpts ? args.slice(0, -1) : args;
    if (dims.some((d) => typeof d !== 'number')) {
      throw new TypeError(`${op}: sizes must all be numbers, got (${dims.map((d) => (Array.isArray(d) ? 'array' : typeof d)).join(', ')})`);
    }
    return [shapeArg(dims as number[], op), hasOpts ? (last as TensorOptions) : undefined];
  }
  const opts = args[1];
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
    throw new TypeError(`${op}: the second argument must be an options object, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  return [shapeArg(args[0] as readonly number[] | number, op), opts as TensorOptions | undefined];
}

/** A tensor of zeros. `shape` is an array (or a single length), or the sizes as arguments: zeros(2, 3). */
export function zeros(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'zeros');
  return new Tensor(new Float32Array(sizeOf(s)), s, opts?.requiresGrad ?? false);
}

export function ones(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'ones');
  return filled(s, 1, opts, 'ones');
}

export function full(shape: readonly number[] | number, value: number, opts?: TensorOptions): Tensor {
  if (typeof value !== 'number') throw new TypeError(`full: value must be a number, got ${typeof value}`);
  return filled(shape, value, opts, 'full');
}

function filled(shape: readonly number[] | number, value: number, opts: TensorOptions | undefined, op: string): Tensor {
  const s = shapeArg(shape, op);
  return new Tensor(new Float32Array(sizeOf(s)).fill(value), s, opts?.requiresGrad ?? false);
}

/** zeros/ones/full shaped like another tensor. */
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape);
}
export function onesLike(t: Tensor): Tensor {
  return ones(t.shape);
}

/** n×m identity (m defaults to n). */
export function eye(n: number, m = n, opts?: TensorOptions): Tensor {
  const s = shapeArg([n, m], 'eye');
  const d = new Float32Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) d[i * m + i] = 1;
  return new Tensor(d, s, opts?.requiresGrad ?? false);
}

/** arange(n) = [0, 1, …, n−1]; arange(start, end, step = 1) like Python's range (floats allowed). */
export function arange(startOrEnd: number, end?: number, step = 1): Tensor {
  let start = startOrEnd;
  if (end === undefined) {
    end = startOrEnd;
    start = 0;
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step) || step === 0) {
    throw new RangeError(`arange: invalid arguments (start ${start}, end ${end}, step ${step})`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  if (n > MAX_ELEMENTS) throw new RangeError(`arange: ${n} elements (start ${start}, end ${end}, step ${step}) are more than a tensor can hold`);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = start + i * step;
  return new Tensor(d, [n]);
}

/** Standard normal samples from the seeded global generator (see manualSeed). */
export function randn(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'randn');
  const d = new Float32Array(sizeOf(s));
  for (let i = 0; i < d.length; i++) d[i] = defaultGenerator.normal();
  return new Tensor(d, s, opts?.requiresGrad ?? false);
}

/** Uniform samples in [0, 1) from the seeded global generator. */
export function rand(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'rand');
  const d = new Float32Array(sizeOf(s));
  for (let i = 0; i < d.length; i++) d[i] = defaultGenerator.uniform();
  return new Tensor(d, s, opts?.requiresGrad ?? false);
}
