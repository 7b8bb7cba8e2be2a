/**
 * Tensor: a strided view over a typed storage, as in PyTorch — `{storage, dtype, shape, strides,
 * offset}`. Views (view, transpose, permute, expand, slice, select, ...) share the storage; writing
 * through one changes the others. `t.data` is the elements as a contiguous typed array: the storage
 * itself (a zero-copy subarray) when the view is contiguous, a fresh copy otherwise.
 * This file imports no op: lib/ops/* attach the method forms (`t.add(...)`, `t.matmul(...)`) to
 * Tensor.prototype, so tensor ↔ ops never forms an import cycle.
 */
import { BinaryOp } from './backend/backend.js';
import { current } from './backend/registry.js';
import { _setTensorClass, runBackward, type BackwardFn, type GradHook } from './autograd.js';
import { checkDType, dtypeOfArray, f32ToBf16Into, newArray, type DataArray, type DType } from './dtype.js';
import { defaultGenerator } from './random.js';
import { release, zerosF32 } from './util/alloc.js';
import { describe } from './util/describe.js';
import { checkOptions } from './util/options.js';
import { checkShape, coalesce, contiguousStrides, fmtShape, MAX_ELEMENTS, shapesEqual, sizeOf } from './util/shape.js';

/**
 * One typed array shared by a tensor and all of its views. `version` counts in-place writes made
 * through nodegrad's in-place ops (autograd compares it with the version a backward rule saved).
 */
export class Storage {
  version = 0;
  constructor(public buf: DataArray) {}
}

export interface TensorOptions {
  /** Track gradients for this (leaf) tensor (float32 only). */
  requiresGrad?: boolean;
  /** Element type (default float32; see each constructor). */
  dtype?: DType | 'float' | 'int' | 'long' | 'int64' | 'bf16';
}

export interface BackwardOptions {
  /**
   * Accepted for PyTorch code; nodegrad always keeps the graph after backward (a second backward
   * through it works and accumulates again).
   */
  retainGraph?: boolean;
}


/** Nested arrays of numbers, e.g. [[1, 2], [3, 4]]. */
export type NestedArray = number | boolean | NestedArray[];

export class Tensor {
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  readonly dtype: DType;
  requiresGrad: boolean;
  /** @internal the gradient (`grad` is its public face) */
  _grad: Tensor | null = null;
  /** @internal whether code outside the library may hold _grad (then dropping it must not recycle it) */
  _gradShared = false;
  /** @internal the storage this tensor views */
  _storage: Storage;
  /** @internal element strides per dim (may be 0: expand; never negative) */
  _strides: readonly number[];
  /** @internal element offset of [0, …, 0] in the storage */
  _offset: number;
  /** @internal row-major contiguous (strides equal contiguousStrides(shape), any offset) */
  _contig: boolean;
  /** @internal the tensor this is a view of (null for a tensor owning its storage) */
  _base: Tensor | null = null;
  /** @internal cached contiguous data view */
  _dv: DataArray | null = null;
  /** @internal graph inputs of the op that produced this tensor */
  _inputs: Tensor[] | null = null;
  /** @internal that op's backward rule */
  _backward: BackwardFn | null = null;
  /** @internal tensors the rule reads, and their storage versions when it was recorded */
  _saved: Tensor[] | null = null;
  _savedVersions: number[] | null = null;
  /** @internal pending gradient during a backward pass */
  _g: Float32Array | null = null;
  /** @internal whether _g may be written in place (and released after use) */
  _gOwned = false;
  /** @internal traversal epoch */
  _mark = 0;
  /** @internal input node versions at record time (null: all 0), see autograd's resolve() */
  _inputVers: number[] | null = null;
  /** @internal how many times an in-place op re-based this tensor onto a new graph node */
  _nodeVer = 0;
  /** @internal the nodes that stood for this tensor's earlier values (index = node version) */
  _prior: Tensor[] | null = null;
  /** @internal gradient hooks (registerHook) */
  _hooks: GradHook[] | null = null;
  /** @internal a non-leaf that keeps its .grad (retainGrad) */
  _retainGrad = false;
  /** @internal post-accumulate-grad hooks of a leaf (registerPostAccumulateGradHook) */
  _postAccHooks: ((t: Tensor) => void)[] | null = null;
  /** @internal the backward pass (autograd epoch) in which a kernel last wrote into .grad directly (gradSink) */
  _sunkIn = 0;

  /**
   * Wraps `data` (taken as-is, not copied) with `shape`: a Float32Array (float32), Int32Array (int32)
   * or Uint8Array (bool). Prefer `ng.tensor(...)` in user code; this constructor is the zero-copy path.
   * Internally a Storage plus strides and offset make a view.
   */
  constructor(
    data: DataArray | Storage, shape: readonly number[], requiresGrad = false,
    strides?: readonly number[], offset = 0, dtype?: DType,
  ) {
    let storage: Storage;
    let dt: DType;
    const size = sizeOf(shape);
    if (data instanceof Storage) {
      storage = data;
      dt = dtype ?? (dtypeOfArray(data.buf) as DType);
    } else {
      const d = dtypeOfArray(data);
      if (d === null) {
        throw new TypeError(`Tensor: data must be a Float32Array, Int32Array or Uint8Array, got ${data === null ? 'null' : (data as object)?.constructor?.name ?? typeof data}`);
      }
      if (data.length !== size) {
        throw new Error(`Tensor: data has ${data.length} elements but shape ${fmtShape(shape)} needs ${size}`);
      }
      storage = new Storage(data);
      dt = dtype ?? d;
    }
    this._storage = storage;
    this.dtype = dt;
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.size = size;
    if (strides === undefined) {
      this._strides = contiguousStrides(shape);
      this._contig = true;
    } else {
      this._strides = strides;
      this._contig = isContiguousLayout(shape, strides);
    }
    this._offset = offset;
    if (requiresGrad && dt !== 'float32') {
      throw new TypeError(`Tensor: only float32 tensors can require gradients, got dtype ${dt}`);
    }
    this.requiresGrad = requiresGrad;
  }

  /**
   * The elements as a contiguous typed array (Float32Array for float32, Int32Array for int32,
   * Uint8Array for bool; typed Float32Array for brevity). Zero-copy when the tensor is contiguous:
   * writes go to the storage (views see them). A non-contiguous view returns a fresh copy.
   */
  get data(): Float32Array {
    if (this.dtype === 'bfloat16') throw bf16Unsupported();
    if (this._contig) {
      let v = this._dv;
      if (v === null) {
        const buf = this._storage.buf;
        v = this._offset === 0 && buf.length === this.size ? buf : buf.subarray(this._offset, this._offset + this.size);
        this._dv = v;
      }
      return v as Float32Array;
    }
    const out = this.dtype === 'float32' ? new Float32Array(this.size) : newArray(this.dtype, this.size);
    if (this.size > 0) {
      const c = coalesce(this.shape, [this._strides]);
      const st = c.strides[0];
      if (this.dtype === 'float32') current.copy(c.shape, this._storage.buf as Float32Array, this._offset, st, out as Float32Array, 0, contiguousStrides(c.shape), false);
      else current.copyTyped(c.shape, this._storage.buf, this._offset, st, out, 0, contiguousStrides(c.shape));
    }
    return out as Float32Array;
  }

  /**
   * Replaces the elements (PyTorch's `t.data = …`): a typed array of this dtype and exactly `size`
   * elements, copied into the storage so views keep seeing the tensor. Counts as an in-place write.
   */
  set data(values: Float32Array) {
    if (this.dtype === 'bfloat16') throw bf16Unsupported();
    const d = dtypeOfArray(values);
    if (d !== this.dtype) {
      throw new TypeError(`data: expected a ${arrayName(this.dtype)} for a ${this.dtype} tensor, got ${values === null ? 'null' : (values as object)?.constructor?.name ?? typeof values}`);
    }
    if (values.length !== this.size) {
      throw new RangeError(`data: ${values.length} elements do not fit shape ${fmtShape(this.shape)} (${this.size} elements)`);
    }
    if (this._contig) this.data.set(values);
    else {
      const c = coalesce(this.shape, [this._strides]);
      current.copyTyped(c.shape, values, 0, contiguousStrides(c.shape), this._storage.buf, this._offset, c.strides[0]);
    }
    this._storage.version++;
  }

  /**
   * Accumulated gradient of a leaf that requires grad (null until the first backward). Assigning
   * takes a float32 tensor of this shape, or null.
   */
  get grad(): Tensor | null {
    if (this._grad !== null) this._gradShared = true;
    return this._grad;
  }

  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!(g instanceof Tensor)) throw new TypeError(`grad: expected a Tensor or null, got ${typeof g}`);
      if (!shapesEqual(g.shape, this.shape)) throw new Error(`grad: assigned grad has shape ${fmtShape(g.shape)}, but the tensor has shape ${fmtShape(this.shape)}`);
      if (g.dtype !== 'float32') throw new TypeError(`grad: assigned grad must be float32, got ${g.dtype}`);
    }
    this._grad = g;
    this._gradShared = g !== null;
  }

  /**
   * @internal drops the gradient (zeroGrad's default). Its buffer goes back to the allocator when no
   * code outside the library ever read `.grad` (so nobody else can hold it); otherwise the GC has it.
   */
  _dropGrad(): void {
    const g = this._grad;
    this._grad = null;
    if (g !== null && !this._gradShared && g._contig && g._offset === 0) release(g._storage.buf as Float32Array);
    this._gradShared = false;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Element strides per dim (PyTorch's t.stride()), or one dim's stride. */
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    if (dim === undefined) return [...this._strides];
    const r = this.shape.length;
    if (!Number.isInteger(dim) || dim < -r || dim >= Math.max(r, 1)) throw new RangeError(`stride: dim ${dim} is out of range for a tensor of rank ${r}`);
    return this._strides[dim < 0 ? dim + r : dim];
  }

  /** Offset of the first element in the storage, in elements. */
  storageOffset(): number {
    return this._offset;
  }

  /** Whether the elements lie row-major and dense in the storage (then `data` is zero-copy). */
  isContiguous(): boolean {
    return this._contig;
  }

  /** The storage's own typed array (all of it, shared with every view). */
  untypedStorage(): DataArray {
    return this._storage.buf;
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
    if (flag && this.dtype !== 'float32') throw new TypeError(`requiresGrad_: only float32 tensors can require gradients, got dtype ${this.dtype}`);
    this.requiresGrad = flag;
    return this;
  }

  /** The single element of a one-element tensor (a bool reads as 0/1... as true/false). */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} elements, expected 1`);
    const v = this._storage.buf[this._offset];
    return this.dtype === 'bfloat16' ? bf16Value(v) : v;
  }

  /**
   * The bfloat16 bit patterns of a bfloat16 tensor as a contiguous Uint16Array (zero-copy when contiguous,
   * else a copy). `t.data` refuses bfloat16 (ops that read it as float32 would read bits); widen with `t.float()`.
   */
  bits(): Uint16Array {
    if (this.dtype !== 'bfloat16') throw new TypeError(`bits: expected a bfloat16 tensor, got ${this.dtype}`);
    const buf = this._storage.buf as Uint16Array;
    if (this._contig) return this._offset === 0 && buf.length === this.size ? buf : buf.subarray(this._offset, this._offset + this.size);
    const out = new Uint16Array(this.size);
    if (this.size > 0) {
      const c = coalesce(this.shape, [this._strides]);
      current.copyTyped(c.shape, buf, this._offset, c.strides[0], out, 0, contiguousStrides(c.shape));
    }
    return out;
  }

  /** Nested arrays mirroring the shape (a plain number for a 0-d tensor; bool elements as booleans). */
  toArray(): NestedArray {
    const { shape } = this;
    const buf = this._storage.buf;
    const st = this._strides;
    const conv = this.dtype === 'bool' ? (v: number) => (v !== 0) as unknown as number : this.dtype === 'bfloat16' ? bf16Value : (v: number) => v;
    if (shape.length === 0) return conv(buf[this._offset]);
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim];
      const out = new Array<NestedArray>(n);
      const s = st[dim];
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = conv(buf[offset + i * s]);
      } else {
        for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * s);
      }
      return out;
    };
    return build(0, this._offset);
  }

  /** A view sharing this storage (and its version counter), cut from the graph (requiresGrad false). */
  detach(): Tensor {
    const t = new Tensor(this._storage, this.shape, false, this._strides, this._offset, this.dtype);
    t._base = this._base ?? this;
    return t;
  }

  /**
   * Backpropagates from this tensor. A one-element tensor takes an implicit gradient of 1; any other
   * needs `grad` of the same shape. Leaves with requiresGrad accumulate into `.grad` (call it again
   * and the gradients add up, like PyTorch). The graph is kept, so a second call works.
   */
  backward(grad?: Tensor | Float32Array | number | BackwardOptions, opts?: BackwardOptions): void {
    if (grad !== null && typeof grad === 'object' && !(grad instanceof Tensor) && !(grad instanceof Float32Array)) {
      opts = grad as BackwardOptions;
      grad = undefined;
    }
    checkOptions(opts, ['retainGraph'], 'backward');
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
      if (!(grad instanceof Tensor)) throw new TypeError(`backward: grad must be a Tensor, a Float32Array or a number, got ${grad === null ? 'null' : typeof grad}`);
      if (!shapesEqual(grad.shape, this.shape)) {
        throw new Error(`backward: grad shape ${fmtShape(grad.shape)} does not match output shape ${fmtShape(this.shape)}`);
      }
      if (grad.dtype !== 'float32') throw new TypeError(`backward: grad must be float32, got ${grad.dtype}`);
      seed = grad.data;
    }
    runBackward(this, seed);
  }

  /** Keeps this (non-leaf) tensor's gradient in .grad after backward, as PyTorch's retain_grad(). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error("retainGrad: can't retain the gradient of a tensor that does not require grad");
    if (this._backward !== null) this._retainGrad = true;
    return this;
  }

  /**
   * Calls `hook(grad)` each time this tensor's gradient has been computed in a backward pass (before
   * it flows further, or into .grad for a leaf); a returned tensor replaces the gradient. Returns a
   * handle whose remove() unregisters the hook.
   */
  registerHook(hook: GradHook): { remove(): void } {
    if (typeof hook !== 'function') throw new TypeError(`registerHook: hook must be a function, got ${typeof hook}`);
    if (!this.requiresGrad) throw new Error("registerHook: can't register a hook on a tensor that does not require grad");
    (this._hooks ??= []).push(hook);
    return {
      remove: () => {
        const hs = this._hooks;
        if (hs === null) return;
        const i = hs.indexOf(hook);
        if (i >= 0) hs.splice(i, 1);
        if (hs.length === 0) this._hooks = null;
      },
    };
  }

  /**
   * Calls `hook(this)` in each backward pass once this leaf's gradient for that pass is complete and
   * added into `.grad` — as soon as the last op that uses the leaf has run its backward rule, while
   * the rest of the pass continues (PyTorch's register_post_accumulate_grad_hook). Data-parallel
   * training starts averaging a gradient here. Returns a handle whose remove() unregisters the hook.
   */
  registerPostAccumulateGradHook(hook: (t: Tensor) => void): { remove(): void } {
    if (typeof hook !== 'function') throw new TypeError(`registerPostAccumulateGradHook: hook must be a function, got ${typeof hook}`);
    if (!this.requiresGrad || this._backward !== null) {
      throw new Error("registerPostAccumulateGradHook: only a leaf tensor that requires grad accumulates a gradient");
    }
    (this._postAccHooks ??= []).push(hook);
    return {
      remove: () => {
        const hs = this._postAccHooks;
        if (hs === null) return;
        const i = hs.indexOf(hook);
        if (i >= 0) hs.splice(i, 1);
        if (hs.length === 0) this._postAccHooks = null;
      },
    };
  }

  /** Number of elements (PyTorch's numel()). */
  numel(): number {
    return this.size;
  }

  /** Number of dimensions (PyTorch's dim()). */
  dim(): number {
    return this.shape.length;
  }

  /** @internal adds a finished gradient buffer into .grad (an owned buffer becomes .grad or is released) */
  _addToGrad(buf: Float32Array, owned: boolean): void {
    if (this._grad === null) {
      this._grad = new Tensor(owned ? buf : buf.slice(), this.shape);
      this._gradShared = false;
    } else {
      const g = this._grad.data;
      current.binary(BinaryOp.add, g, [1], buf, [1], g, [g.length]);
      if (owned) release(buf);
    }
  }

  /**
   * PyTorch-style printing for console.log / util.inspect: `tensor([[1, 2], [3, 4]])`, each dim
   * summarised to its first and last 3 entries past 1,000 elements, plus dtype and grad notes.
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const summarise = this.size > 1000;
    const buf = this._storage.buf;
    const st = this._strides;
    const fmt = (v: number): string => (this.dtype === 'bool' ? (v ? 'true' : 'false') : this.dtype === 'bfloat16' ? String(bf16Value(v)) : Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Math.fround(v) === v ? +v.toPrecision(7) : v));
    const rec = (dim: number, off: number): string => {
      if (dim === this.shape.length) return fmt(buf[off]);
      const n = this.shape[dim];
      const parts: string[] = [];
      const pick = summarise && n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
      for (const i of pick) parts.push(i < 0 ? '...' : rec(dim + 1, off + i * st[dim]));
      return `[${parts.join(', ')}]`;
    };
    const body = this.shape.length === 0 ? fmt(buf[this._offset]) : rec(0, this._offset);
    const notes = `${this.dtype !== 'float32' ? `, dtype=${this.dtype}` : ''}${this.requiresGrad ? (this._backward !== null ? ', gradFn' : ', requiresGrad=true') : ''}`;
    return `tensor(${body}${notes})`;
  }

  toString(): string {
    const extra = `${this.dtype !== 'float32' ? `, dtype=${this.dtype}` : ''}${this.requiresGrad ? ', requiresGrad' : ''}`;
    return `Tensor(shape=${fmtShape(this.shape)}, data=${JSON.stringify(this.toArray())}${extra})`;
  }
}

_setTensorClass(Tensor);

/** Is `x` a Tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** Whether `strides` lay `shape` out row-major and dense (size-1 dims may have any stride). */
export function isContiguousLayout(shape: readonly number[], strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i];
    if (d === 0) return true;
    if (d !== 1 && strides[i] !== acc) return false;
    acc *= d;
  }
  return true;
}

function arrayName(d: DType): string {
  return d === 'float32' ? 'Float32Array' : d === 'int32' ? 'Int32Array' : 'Uint8Array';
}

/** A nested level: an array, or a typed-array row (Float32Array rows are accepted, as in PyTorch). */
function isLevel(v: unknown): v is ArrayLike<NestedArray> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function inferShape(values: NestedArray, shape: number[], path: string): void {
  if (isLevel(values)) {
    shape.push(values.length);
    if (values.length > 0) inferShape(values[0], shape, `${path}[0]`);
  }
}

function fill(values: NestedArray, shape: readonly number[], dim: number, out: DataArray, pos: { i: number }, path: string): void {
  if (dim === shape.length) {
    if (typeof values !== 'number' && typeof values !== 'boolean') {
      if (isLevel(values)) throw new Error(`tensor: ragged nested array: expected a number at ${path || 'top level'}, got an array`);
      throw new TypeError(`tensor: expected a number at ${path || 'top level'}, got ${describe(values)}`);
    }
    out[pos.i++] = Number(values);
    return;
  }
  if (!isLevel(values) || values.length !== shape[dim]) {
    const got = isLevel(values) ? `length ${values.length}` : describe(values);
    throw new Error(`tensor: ragged nested array at ${path || 'top level'}: expected length ${shape[dim]}, got ${got}`);
  }
  for (let i = 0; i < values.length; i++) fill(values[i], shape, dim + 1, out, pos, `${path}[${i}]`);
}

const OPTION_KEYS = ['requiresGrad', 'dtype'];

/** Checks an options object of a constructor: known keys only, dtype valid, requiresGrad only on float32. */
function readOpts(opts: TensorOptions | undefined, op: string, fallback: DType = 'float32'): { dtype: DType; rg: boolean } {
  if (opts === undefined || opts === null) return { dtype: fallback, rg: false };
  checkOptions(opts, OPTION_KEYS, op);
  const dtype = opts.dtype === undefined ? fallback : checkDType(opts.dtype, op);
  const rg = opts.requiresGrad ?? false;
  if (typeof rg !== 'boolean') throw new TypeError(`${op}: requiresGrad must be a boolean, got ${typeof rg}`);
  if (rg && dtype !== 'float32') throw new TypeError(`${op}: only float32 tensors can require gradients, got dtype ${dtype}`);
  return { dtype, rg };
}

/** Writes numbers into an array of `dtype` as PyTorch converts them (int32 truncates toward zero, bool is x != 0). */
function convertInto(dst: DataArray, src: ArrayLike<number>, dtype: DType): void {
  const n = src.length;
  if (dtype === 'bool') for (let i = 0; i < n; i++) dst[i] = src[i] ? 1 : 0;
  else if (dtype === 'int32') for (let i = 0; i < n; i++) dst[i] = Math.trunc(Number(src[i]));
  // a Uint16Array already holds bfloat16 bit patterns (tensor(bits) keeps them); numbers round to nearest even
  else if (dtype === 'bfloat16' && src instanceof Uint16Array) (dst as Uint16Array).set(src);
  else if (dtype === 'bfloat16') f32ToBf16Into(Float32Array.from(src, Number), dst as Uint16Array);
  else for (let i = 0; i < n; i++) dst[i] = src[i];
}

/**
 * A tensor from a number (0-d), nested number arrays (shape inferred, ragged → Error), or a flat
 * typed array / `number[]` with an optional `shape` (default 1-D). Data is always copied.
 * The dtype follows the values (Int32Array → int32, Uint8Array → bool, booleans → bool) unless
 * `{dtype}` says otherwise. `ng.tensor(values, {requiresGrad: true})` and
 * `ng.tensor(values, shape, {dtype: 'int32'})` work too.
 */
export function tensor(
  values: NestedArray | boolean | DataArray | ArrayLike<number>,
  shapeOrOpts?: readonly number[] | TensorOptions,
  opts?: TensorOptions,
): Tensor {
  let shape: readonly number[] | undefined;
  if (Array.isArray(shapeOrOpts)) shape = shapeOrOpts;
  else if (shapeOrOpts !== undefined) opts = shapeOrOpts as TensorOptions;
  if (values === null || (typeof values !== 'number' && typeof values !== 'boolean' && typeof values !== 'object')) {
    throw new TypeError(`tensor: values must be a number, a (nested) array or a typed array, got ${values === null ? 'null' : typeof values}`);
  }
  const natural: DType = dtypeOfArray(values) ?? (typeof values === 'boolean' || firstLeafIsBool(values) ? 'bool' : 'float32');
  const { dtype, rg } = readOpts(opts, 'tensor', natural);
  if (shape !== undefined) checkShape(shape, 'tensor');
  if (typeof values === 'number' || typeof values === 'boolean') {
    const s = shape ?? [];
    if (sizeOf(s) !== 1) throw new Error(`tensor: a single number cannot fill shape ${fmtShape(s)}`);
    const a = newArray(dtype, 1);
    convertInto(a, [Number(values)], dtype);
    return new Tensor(a, [...s], rg);
  }
  const flat = ArrayBuffer.isView(values) ||
    (Array.isArray(values) && (values.length === 0 || typeof values[0] === 'number' || typeof values[0] === 'boolean') && shape !== undefined);
  if (flat || (!Array.isArray(values) && typeof (values as ArrayLike<number>).length === 'number')) {
    const arr = values as ArrayLike<number>;
    const s = shape ?? [arr.length];
    if (sizeOf(s) !== arr.length) {
      throw new Error(`tensor: ${arr.length} values do not fit shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
    }
    const a = newArray(dtype, arr.length);
    convertInto(a, arr, dtype);
    return new Tensor(a, [...s], rg);
  }
  const inferred: number[] = [];
  inferShape(values as NestedArray, inferred, '');
  const n = sizeOf(inferred);
  if (n > MAX_ELEMENTS) throw new RangeError(`tensor: ${n} elements are more than a tensor can hold`);
  const tmp = new Float64Array(n);
  fill(values as NestedArray, inferred, 0, tmp as unknown as DataArray, { i: 0 }, '');
  const out = newArray(dtype, n);
  convertInto(out, tmp, dtype);
  if (shape !== undefined) {
    if (sizeOf(shape) !== out.length) {
      throw new Error(`tensor: ${out.length} values (shape ${fmtShape(inferred)}) do not fit shape ${fmtShape(shape)}`);
    }
    return new Tensor(out, [...shape], rg);
  }
  return new Tensor(out, inferred, rg);
}

function firstLeafIsBool(v: unknown): boolean {
  while (Array.isArray(v)) {
    if (v.length === 0) return false;
    v = v[0];
  }
  return typeof v === 'boolean';
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

function filledTensor(s: number[], value: number, opts: TensorOptions | undefined, op: string): Tensor {
  const { dtype, rg } = readOpts(opts, op);
  const n = sizeOf(s);
  const a = dtype === 'float32' ? (value === 0 ? zerosF32(n) : new Float32Array(n)) : newArray(dtype, n);
  if (value !== 0) a.fill(dtype === 'bool' ? (value ? 1 : 0) : dtype === 'int32' ? Math.trunc(value) : dtype === 'bfloat16' ? f32ToBf16Into(new Float32Array([value]), new Uint16Array(1))[0] : value);
  return new Tensor(a, s, rg);
}

/** A tensor of zeros. `shape` is an array (or a single length), or the sizes as arguments: zeros(2, 3). */
export function zeros(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'zeros');
  return filledTensor(s, 0, opts, 'zeros');
}

export function ones(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'ones');
  return filledTensor(s, 1, opts, 'ones');
}

export function full(shape: readonly number[] | number, value: number | boolean, opts?: TensorOptions): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`full: value must be a number, got ${typeof value}`);
  const natural: DType = typeof value === 'boolean' ? 'bool' : 'float32';
  return filledTensor(shapeArg(shape, 'full'), Number(value), opts?.dtype === undefined ? { ...opts, dtype: natural } : opts, 'full');
}

/** zeros/ones/full shaped like another tensor (its dtype unless opts say otherwise). */
export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  return zeros(t.shape, { dtype: t.dtype, ...opts });
}
export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  return ones(t.shape, { dtype: t.dtype, ...opts });
}
export function fullLike(t: Tensor, value: number, opts?: TensorOptions): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...opts });
}

/** n×m identity (m defaults to n). */
export function eye(n: number, m = n, opts?: TensorOptions): Tensor {
  const s = shapeArg([n, m], 'eye');
  const { dtype, rg } = readOpts(opts, 'eye');
  const d = newArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) d[i * m + i] = dtype === 'bfloat16' ? 0x3f80 : 1;
  return new Tensor(d, s, rg);
}

/**
 * arange(n) = [0, 1, …, n−1]; arange(start, end, step = 1) like Python's range (floats allowed).
 * The result is float32 (nodegrad's default dtype; PyTorch would give int64 for integer arguments, and
 * code written for nodegrad 0.1 relies on float32); a trailing options object sets the dtype:
 * arange(5, {dtype: 'int32'}).
 */
export function arange(startOrEnd: number, end?: number | TensorOptions, step: number | TensorOptions = 1, opts?: TensorOptions): Tensor {
  if (typeof end === 'object' && end !== null) { opts = end; end = undefined; }
  if (typeof step === 'object' && step !== null) { opts = step; step = 1; }
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
  const { dtype, rg } = readOpts(opts, 'arange');
  const d = newArray(dtype, n);
  if (dtype === 'bfloat16') {
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = start + i * step;
    f32ToBf16Into(f, d as Uint16Array);
  } else {
    for (let i = 0; i < n; i++) d[i] = start + i * step;
  }
  return new Tensor(d, [n], rg);
}

/** Standard normal samples from the seeded global generator (see manualSeed). */
export function randn(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'randn');
  const { dtype, rg } = readOpts(opts, 'randn');
  if (dtype !== 'float32') throw new TypeError(`randn: dtype must be float32, got ${dtype}`);
  const d = new Float32Array(sizeOf(s));
  for (let i = 0; i < d.length; i++) d[i] = defaultGenerator.normal();
  return new Tensor(d, s, rg);
}

/** Uniform samples in [0, 1) from the seeded global generator. */
export function rand(...args: ShapeArgs): Tensor {
  const [s, opts] = shapeAndOpts(args, 'rand');
  const { dtype, rg } = readOpts(opts, 'rand');
  if (dtype !== 'float32') throw new TypeError(`rand: dtype must be float32, got ${dtype}`);
  const d = new Float32Array(sizeOf(s));
  for (let i = 0; i < d.length; i++) d[i] = defaultGenerator.uniform();
  return new Tensor(d, s, rg);
}

const BF16_VIEW = new Float32Array(1);
const BF16_BITS = new Uint32Array(BF16_VIEW.buffer);

/** The float value of one bfloat16 bit pattern. */
function bf16Value(bits: number): number {
  BF16_BITS[0] = bits << 16;
  return BF16_VIEW[0];
}

/** The directory of this file (lib/, dist/esm/ or dist/cjs/): frames under it are inside the library. */
const LIB_DIR: string = (() => {
  const f = callSites(libDirProbe)[0]?.getFileName() ?? '';
  const i = Math.max(f.lastIndexOf('/'), f.lastIndexOf('\\'));
  return i >= 0 ? f.slice(0, i + 1) : '\0';
})();
function libDirProbe(): void {}

function callSites(below: (...a: never[]) => unknown): NodeJS.CallSite[] {
  const prev = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    Error.captureStackTrace(holder, below === libDirProbe ? undefined : below);
    return (holder.stack as NodeJS.CallSite[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = prev;
  }
}

/**
 * The error for an op that reads a bfloat16 tensor's elements as float32: named after the outermost library
 * function on the stack (the op the user called, e.g. `Tensor.cumsum` or `softmax`).
 */
function bf16Unsupported(): TypeError {
  let op = 'data';
  for (const s of callSites(bf16Unsupported)) {
    const f = s.getFileName() ?? '';
    if (!f.startsWith(LIB_DIR)) break;
    const fn = s.getMethodName() ?? s.getFunctionName();
    // method forms are assigned as `P.sum = function …` (V8 names them 'P.sum'): keep the last segment
    if (fn && !fn.startsWith('get ')) op = fn.slice(fn.lastIndexOf('.') + 1);
  }
  return new TypeError(
    `${op}: bfloat16 tensors are not supported here (bfloat16 is a storage dtype for frozen weights: ` +
    'linear/matmul read it widened to float32, and most element-wise ops widen it; convert with .float() first)',
  );
}
