/**
 * Which native-backend calls are small enough to run on the js kernels instead (./index.ts).
 *
 * An N-API call costs 0.17–0.35 µs before it does any work (gemm ≈ 0.55 µs, a multi-tensor optimizer
 * step ≈ 0.3 µs more per tensor), which buys a js loop over about a hundred elements; on a fresh
 * output of ≤ 16 floats the binding also pays ≈ 0.5 µs for V8 to give the array a backing store.
 * Each predicate below estimates the js cost of a call in "element units" (≈ 2 ns: one cheap
 * element-wise step, Node 20, x86-64) from its sizes and op code, and routes it to js when that is
 * within a budget set at ½–¾ of the break-even measured against the binding (a per-kernel sweep,
 * binding vs js kernel on reused arrays, 1 thread; figures beside each budget). The estimate reads
 * only sizes, op codes and tensor counts — never data or the thread count — so a given call shape
 * always takes the same path and results stay deterministic from run to run and across thread counts.
 *
 * A predicate also says yes only when the binding would accept the call (types, integer sizes,
 * lengths against the extent, op codes, finite scalars, labels, overlap): anything else goes to the
 * binding, which throws its usual TypeError/RangeError naming the function and the argument. So the
 * validation that callers rely on is the binding's, whichever way a call would have gone.
 */
import type { BinaryOpCode, EpilogueCode, ReduceOpCode, UnaryOpCode } from '../backend.js';
import { BINARYOP_JS_COST, EPILOGUE_JS_COST, REDUCEOP_NAMES, UNARYOP_JS_BACKWARD_COST, UNARYOP_JS_COST } from '../ops.gen.js';

/** Per-kernel budgets, in element units. Break-even measured on the call shapes noted. */
const SMALL_BUDGET = {
  /** relu/scale/neg break even at ≈ 100 elements (native 0.17 µs) */
  unary: 64,
  /** the binding costs ≈ 0.3 µs: cheap backward rules break even at ≈ 150 elements */
  unaryBackward: 128,
  /** total·weight + 4 per innermost row (js pays per row); add/mul break even at ≈ 100 elements */
  binary: 96,
  /** as binary; a transpose of 8×8 runs 0.22 µs on js vs 0.38 µs native */
  copy: 96,
  /** elements + 4 per output; sum over 64 elements: 0.09 µs js vs 0.19 µs native */
  reduce: 128,
  /** elements (js pays an exp per element): 4×8 log-softmax 0.49 µs js vs 0.71 µs native */
  softmax: 32,
  softmaxBackward: 32,
  /** rows·(classes + 1): 4×3 runs 0.34 µs js vs 1.38 µs native; 4×10 is even */
  softmaxCrossEntropy: 32,
  /**
   * batch·M·(N·K + 8 + N·epilogue weight): js pays ≈ 2.5 ns per multiply-add and ≈ 25 ns per row;
   * 4×4×4 runs 0.37 µs js vs 0.55 µs native, 8×4×4 0.69 vs 0.56
   */
  gemm: 128,
  /** total elements ≤ budget·(1 + tensors): sgd over 4 tensors of 64 runs 1.25 µs js vs 1.6 µs native */
  optimizer: 64,
} as const;

/** js cost per element of each op code, in element units (exp/log/pow are slow in js): declared in spec/ops.json. */
const UNARY_W = UNARYOP_JS_COST;
/** The same for the backward rules (most only multiply by the saved output). */
const UNARY_BACKWARD_W = UNARYOP_JS_BACKWARD_COST;
const BINARY_W = BINARYOP_JS_COST;
/** Extra js cost per output element of each GEMM epilogue. */
const EPILOGUE_W = EPILOGUE_JS_COST;
const REDUCE_OPS = REDUCEOP_NAMES.length;
/** The binding's limits: sizes are integers in [0, 2^31), offsets/strides/leading dims in [0, 2^53]. */
const MAX_OFFSET = 2 ** 53;
const MAX_RANK = 32;
const MAX_TENSORS = 2 ** 20;

function isSize(v: number): boolean {
  return (v | 0) === v && v >= 0;
}
function isOffset(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_OFFSET;
}
function f32(a: unknown, need: number): a is Float32Array {
  return a instanceof Float32Array && a.length >= need;
}

export function smallUnary(op: UnaryOpCode, x: Float32Array, out: Float32Array, n: number, alpha: number): boolean {
  const w = UNARY_W[op];
  return w !== undefined && typeof op === 'number' && isSize(n) && n * w <= SMALL_BUDGET.unary
    && typeof alpha === 'number' && f32(x, n) && f32(out, n);
}

export function smallUnaryBackward(
  op: UnaryOpCode, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, alpha: number,
): boolean {
  const w = UNARY_BACKWARD_W[op];
  return w !== undefined && typeof op === 'number' && isSize(n) && n * w <= SMALL_BUDGET.unaryBackward
    && typeof alpha === 'number' && f32(x, n) && f32(y, n) && f32(dy, n) && f32(dx, n);
}

/**
 * Elements `shape` covers and the cost of a strided pass over it (weight per element + 4 per
 * innermost row), or -1 when shape/strides are not what the binding accepts (rank ≤ 32, dims sizes,
 * strides int32 ≥ 0: the adapter packs them into an Int32Array) or the cost exceeds `budget`.
 * The extents each operand spans are left in EXTENT[0], EXTENT[1].
 */
const EXTENT = [0, 0];
function stridedCost(
  shape: readonly number[], s1: readonly number[], s2: readonly number[], weight: number, budget: number,
): number {
  const r = shape.length;
  if (!(r <= MAX_RANK)) return -1;
  let total = 1;
  let e1 = 1;
  let e2 = 1;
  for (let d = 0; d < r; d++) {
    const n = shape[d], a = s1[d], b = s2[d];
    if (!isSize(n) || !isSize(a) || !isSize(b)) return -1;
    total *= n;
    if (total > budget) return -1;
    e1 += (n - 1) * a;
    e2 += (n - 1) * b;
  }
  if (total === 0) e1 = e2 = 0;
  const rows = r === 0 || total === 0 ? 1 : total / shape[r - 1];
  const cost = total * weight + 4 * rows;
  if (cost > budget) return -1;
  EXTENT[0] = e1;
  EXTENT[1] = e2;
  return total;
}

export function smallBinary(
  op: BinaryOpCode, a: Float32Array, aStrides: readonly number[], b: Float32Array, bStrides: readonly number[],
  out: Float32Array, shape: readonly number[],
): boolean {
  const w = BINARY_W[op];
  if (w === undefined || typeof op !== 'number') return false;
  const total = stridedCost(shape, aStrides, bStrides, w, SMALL_BUDGET.binary);
  return total >= 0 && f32(a, EXTENT[0]) && f32(b, EXTENT[1]) && f32(out, total);
}

export function smallCopy(
  shape: readonly number[], src: Float32Array, srcOffset: number, srcStrides: readonly number[],
  dst: Float32Array, dstOffset: number, dstStrides: readonly number[], accumulate: boolean,
): boolean {
  const total = stridedCost(shape, srcStrides, dstStrides, 1, SMALL_BUDGET.copy);
  if (total < 0 || !isOffset(srcOffset) || !isOffset(dstOffset) || typeof accumulate !== 'boolean') return false;
  return total === 0
    ? f32(src, 0) && f32(dst, 0)
    : f32(src, srcOffset + EXTENT[0]) && f32(dst, dstOffset + EXTENT[1]);
}

export function smallReduce(op: ReduceOpCode, x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): boolean {
  if (!(op >= 0 && op < REDUCE_OPS && (op | 0) === op) || !isSize(outer) || !isSize(n) || !isSize(inner)) return false;
  const kept = outer * inner;
  const all = kept * n;
  if (all + 4 * kept > SMALL_BUDGET.reduce) return false;
  // max/min/argmax/argmin over an empty axis is the binding's RangeError
  if (n === 0 && kept > 0 && op >= 2 && op <= 5) return false;
  return f32(x, all) && f32(out, kept);
}

export function smallSoftmax(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number, log: boolean): boolean {
  if (!isSize(outer) || !isSize(n) || !isSize(inner)) return false;
  const all = outer * n * inner;
  return all <= SMALL_BUDGET.softmax && typeof log === 'boolean' && f32(x, all) && f32(out, all);
}

export function smallSoftmaxBackward(
  y: Float32Array, dy: Float32Array, dx: Float32Array, outer: number, n: number, inner: number, log: boolean,
): boolean {
  if (!isSize(outer) || !isSize(n) || !isSize(inner)) return false;
  const all = outer * n * inner;
  return all <= SMALL_BUDGET.softmaxBackward && typeof log === 'boolean' && f32(y, all) && f32(dy, all) && f32(dx, all);
}

export function smallSoftmaxCrossEntropy(
  logits: Float32Array, labels: Int32Array, losses: Float32Array, dlogits: Float32Array | null,
  rows: number, classes: number, gradScale: number,
): boolean {
  if (!isSize(rows) || !isSize(classes) || rows * (classes + 1) > SMALL_BUDGET.softmaxCrossEntropy) return false;
  const all = rows * classes;
  if (!f32(logits, all) || !(labels instanceof Int32Array) || labels.length < rows || !f32(losses, rows)) return false;
  if (!(dlogits === null || f32(dlogits, all)) || !Number.isFinite(gradScale)) return false;
  // an out-of-range label is the binding's RangeError (the js kernel would read out of bounds)
  for (let r = 0; r < rows; r++) if (!(labels[r] >= 0 && labels[r] < classes)) return false;
  return true;
}

/** Elements a stored rows×cols matrix at leading dimension ld spans over `batch` strided copies; -1 if ld < cols. */
function operandExtent(rows: number, cols: number, ld: number, batch: number, stride: number): number {
  if (cols > 0 && ld < cols) return -1;
  if (batch === 0 || rows === 0 || cols === 0) return 0;
  return (batch - 1) * stride + (rows - 1) * ld + cols;
}

/**
 * Whether the first na elements of a and the first nb of b share memory (the binding compares
 * pointers). Views of at most 16 floats are compared only by identity: V8 keeps such arrays inside
 * the object until `.buffer` is read, and reading it allocates a backing store (≈ 0.4–0.7 µs, more
 * than the call being saved). An array still stored that way cannot alias another one; a small view
 * made from an existing buffer that overlaps C reaches the js kernel, which stays memory-safe but
 * computes from partly overwritten input, as on the js backend (the binding rejects it).
 */
const IN_OBJECT_FLOATS = 16;
function overlaps(a: Float32Array, na: number, b: Float32Array | null, nb: number): boolean {
  if (b === null || na === 0 || nb === 0) return false;
  if (a === b) return true;
  if (a.length <= IN_OBJECT_FLOATS || b.length <= IN_OBJECT_FLOATS || a.buffer !== b.buffer) return false;
  const a0 = a.byteOffset, b0 = b.byteOffset;
  return a0 < b0 + 4 * nb && b0 < a0 + 4 * na;
}

export function smallGemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number,
  C: Float32Array, ldc: number, epilogue: EpilogueCode, bias: Float32Array | null,
  batch: number, strideA: number, strideB: number, strideC: number,
): boolean {
  if (!isSize(M) || !isSize(N) || !isSize(K) || !isSize(batch)) return false;
  const ew = EPILOGUE_W[epilogue];
  if (ew === undefined || typeof epilogue !== 'number') return false;
  if (batch * M * (N * K + 8 + N * ew) > SMALL_BUDGET.gemm) return false;
  if (typeof transA !== 'boolean' || typeof transB !== 'boolean' || !Number.isFinite(alpha) || !Number.isFinite(beta)) return false;
  // the binding takes these up to 2^53; the int32 test is cheaper and leaves larger ones to it
  if (!isSize(lda) || !isSize(ldb) || !isSize(ldc) || !isSize(strideA) || !isSize(strideB) || !isSize(strideC)) return false;
  // stored layouts: A is K×M when transA else M×K; B is N×K when transB else K×N; C is M×N
  const needA = operandExtent(transA ? K : M, transA ? M : K, lda, batch, strideA);
  const needB = operandExtent(transB ? N : K, transB ? K : N, ldb, batch, strideB);
  const needC = operandExtent(M, N, ldc, batch, strideC);
  if (needA < 0 || needB < 0 || needC < 0 || !f32(A, needA) || !f32(B, needB) || !f32(C, needC)) return false;
  let needBias = 0;
  if (epilogue === 0) {
    if (bias !== null) return false;
  } else {
    if (!f32(bias, N)) return false;
    needBias = N;
  }
  return !overlaps(C, needC, A, needA) && !overlaps(C, needC, B, needB) && !overlaps(C, needC, bias, needBias);
}

/**
 * Whether the tensor lists of an optimizer step hold Float32Arrays of matching lengths (lists[0] sets
 * them; a null list is absent) with at most budget·(1 + tensors) elements in all.
 */
function smallLists(
  params: Float32Array[], grads: Float32Array[], s1: Float32Array[] | null, s2: Float32Array[] | null,
): boolean {
  const T = params.length;
  if (T > MAX_TENSORS) return false;
  const budget = SMALL_BUDGET.optimizer * (1 + T);
  let total = 0;
  for (let t = 0; t < T; t++) {
    const p = params[t];
    if (!(p instanceof Float32Array)) return false;
    const n = p.length;
    total += n;
    if (total > budget) return false;
    const g = grads[t];
    if (!(g instanceof Float32Array) || g.length !== n) return false;
    if (s1 !== null) {
      const s = s1[t];
      if (!(s instanceof Float32Array) || s.length !== n) return false;
    }
    if (s2 !== null) {
      const s = s2[t];
      if (!(s instanceof Float32Array) || s.length !== n) return false;
    }
  }
  return true;
}

function sameLengthArray(list: unknown, T: number): list is Float32Array[] {
  return Array.isArray(list) && list.length === T;
}

export function smallAdam(
  params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[],
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, decoupled: boolean,
): boolean {
  if (!Array.isArray(params)) return false;
  const T = params.length;
  if (!sameLengthArray(grads, T) || !sameLengthArray(m, T) || !sameLengthArray(v, T)) return false;
  if (!Number.isFinite(lr) || !Number.isFinite(beta1) || !Number.isFinite(beta2) || !Number.isFinite(eps)
    || !Number.isFinite(weightDecay) || !(isOffset(step) && step >= 1) || typeof decoupled !== 'boolean') return false;
  return smallLists(params, grads, m, v);
}

export function smallSgd(
  params: Float32Array[], grads: Float32Array[], momentumBufs: Float32Array[] | null,
  lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean, firstStep: boolean,
): boolean {
  if (!Array.isArray(params)) return false;
  const T = params.length;
  if (!sameLengthArray(grads, T) || !(momentumBufs === null ? momentum === 0 : sameLengthArray(momentumBufs, T))) return false;
  if (!Number.isFinite(lr) || !Number.isFinite(momentum) || !(momentum >= 0) || !Number.isFinite(dampening)
    || !Number.isFinite(weightDecay) || typeof nesterov !== 'boolean' || typeof firstStep !== 'boolean') return false;
  return smallLists(params, grads, momentumBufs, null);
}

export function smallRmsprop(
  params: Float32Array[], grads: Float32Array[], squareAvg: Float32Array[], momentumBufs: Float32Array[] | null,
  lr: number, alpha: number, eps: number, weightDecay: number, momentum: number,
): boolean {
  if (!Array.isArray(params)) return false;
  const T = params.length;
  if (!sameLengthArray(grads, T) || !sameLengthArray(squareAvg, T)) return false;
  if (!(momentumBufs === null ? !(momentum > 0) : sameLengthArray(momentumBufs, T))) return false;
  if (!Number.isFinite(lr) || !Number.isFinite(alpha) || !Number.isFinite(eps) || !Number.isFinite(weightDecay)
    || !Number.isFinite(momentum) || !(momentum >= 0)) return false;
  return smallLists(params, grads, squareAvg, momentumBufs);
}
