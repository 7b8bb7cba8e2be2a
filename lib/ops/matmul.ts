/**
 * matmul like torch.matmul: 1-D·1-D (dot), 2-D, batched with broadcast leading dims, and 1-D operands
 * promoted (vector·matrix, matrix·vector) then squeezed. One gemm call per (coalesced) batch run;
 * transposes are gemm flags, never copies. Backward: dA = dC·Bᵀ, dB = Aᵀ·dC, reduced over broadcast
 * batch dims. A batch of A times a single 2-D B folds the batch into M (one gemm, forward and backward).
 */
import { Epilogue } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, needsGrad2, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { broadcastShapes, coalesce, contiguousStrides, fmtShape, sizeOf } from '../util/shape.js';
import { storageData, sumToShape } from './core.js';
import { contiguous, reshape } from './shape.js';
import { emptyF32, release, zerosF32 } from '../util/alloc.js';

/**
 * C[b] = op(A[b])·op(B[b]) over a batch shape with per-operand element strides per batch dim.
 * op(A) is M×K read from A with leading dimension lda (stored K×M when tA), likewise B; C is M×N, packed.
 */
function batchedGemm(
  tA: boolean, tB: boolean, M: number, N: number, K: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, C: Float32Array,
  batch: readonly number[], sA: readonly number[], sB: readonly number[], sC: readonly number[],
): void {
  if (M === 0 || N === 0) return;
  const c = coalesce(batch, [sA, sB, sC]);
  const shape = c.shape;
  const [ca, cb, cc] = c.strides;
  const last = shape.length - 1;
  const runs = sizeOf(shape) / shape[last];
  const idx = new Array<number>(last).fill(0);
  let oa = 0;
  let ob = 0;
  let oc = 0;
  for (let r = 0; r < runs; r++) {
    const a = oa === 0 ? A : A.subarray(oa);
    const b = ob === 0 ? B : B.subarray(ob);
    const cv = oc === 0 ? C : C.subarray(oc);
    current.gemm(tA, tB, M, N, K, 1, a, lda, b, ldb, 0, cv, N, Epilogue.none, null, shape[last], ca[last], cb[last], cc[last]);
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) { oa += ca[d]; ob += cb[d]; oc += cc[d]; break; }
      idx[d] = 0;
      oa -= ca[d] * (shape[d] - 1);
      ob -= cb[d] * (shape[d] - 1);
      oc -= cc[d] * (shape[d] - 1);
    }
  }
}

function scaled(s: number[], k: number): number[] {
  return s.map((v) => v * k);
}

/**
 * How GEMM reads the last two dims of t (rows × cols) straight from its storage: row-major with a
 * row stride ≥ cols (trans = false), or column-major (a transposed view: trans = true). Null when
 * neither holds (an expanded or oddly strided view): the caller copies it contiguous first.
 */
interface Operand {
  t: Tensor;
  data: Float32Array;
  trans: boolean;
  ld: number;
}

function operand(t: Tensor): Operand | null {
  const r = t.ndim;
  const rows = t.shape[r - 2];
  const cols = t.shape[r - 1];
  const s1 = t._strides[r - 2];
  const s2 = t._strides[r - 1];
  const data = storageData(t);
  // an empty matrix is never read: any layout will do (its strides may be 0, which fit neither test below)
  if (rows === 0 || cols === 0) return { t, data, trans: false, ld: Math.max(cols, 1) };
  if ((s2 === 1 || cols === 1) && (rows === 1 || s1 >= Math.max(cols, 1))) return { t, data, trans: false, ld: rows === 1 ? Math.max(cols, 1) : s1 };
  if ((s1 === 1 || rows === 1) && (cols === 1 || s2 >= Math.max(rows, 1))) return { t, data, trans: true, ld: cols === 1 ? Math.max(rows, 1) : s2 };
  return null;
}

/** Storage strides of t's batch dims read at the broadcast batch shape (0 where t broadcasts). */
function batchStrides(t: Tensor, batch: readonly number[]): number[] {
  const tb = t.ndim - 2;
  const off = batch.length - tb;
  return batch.map((d, i) => (i < off ? 0 : t.shape[i - off] === 1 && d !== 1 ? 0 : t._strides[i - off]));
}

/** Both operands at least 2-D. */
function matmulNd(a: Tensor, b: Tensor, origA: readonly number[], origB: readonly number[]): Tensor {
  const ra = a.ndim;
  const rb = b.ndim;
  const M = a.shape[ra - 2];
  const K = a.shape[ra - 1];
  const K2 = b.shape[rb - 2];
  const N = b.shape[rb - 1];
  if (K !== K2) throw new Error(`matmul: shapes ${fmtShape(origA)} and ${fmtShape(origB)} do not align (${K} != ${K2})`);
  const batchA = a.shape.slice(0, ra - 2);
  const batchB = b.shape.slice(0, rb - 2);
  let batch: number[];
  try {
    batch = broadcastShapes(batchA, batchB, 'matmul');
  } catch {
    throw new Error(`matmul: shapes ${fmtShape(origA)} and ${fmtShape(origB)} have batch dims that cannot be broadcast`);
  }
  const A = operand(a) ?? operand(contiguous(a))!;
  const B = operand(b) ?? operand(contiguous(b))!;
  const outShape = [...batch, M, N];
  const out = new Tensor(emptyF32(sizeOf(outShape)), outShape);
  const grad = needsGrad2(a, b);
  if (rb === 2 && A.t._contig) {
    // fold A's batch into M: one gemm
    const Mf = sizeOf(batch) * M;
    if (out.size > 0) {
      if (K > 0) batchedGemm(false, B.trans, Mf, N, K, A.data, K, B.data, B.ld, out.data, [1], [0], [0], [0]);
      else out.data.fill(0);
    }
    if (grad) {
      record(out, [a, b], (g) => {
        if (a.requiresGrad) {
          const da = N > 0 ? emptyF32(a.size) : zerosF32(a.size);
          if (da.length > 0 && N > 0) batchedGemm(false, !B.trans, Mf, K, N, g, N, B.data, B.ld, da, [1], [0], [0], [0]);
          accumulate(a, da, true);
        }
        if (b.requiresGrad) {
          const db = Mf > 0 ? emptyF32(b.size) : zerosF32(b.size);
          if (db.length > 0 && Mf > 0) batchedGemm(true, false, K, N, Mf, A.data, K, g, N, db, [1], [0], [0], [0]);
          accumulate(b, db, true);
        }
      });
    }
    return out;
  }
  const sA = batchStrides(A.t, batch);
  const sB = batchStrides(B.t, batch);
  const sC = scaled(contiguousStrides(batch), M * N);
  if (out.size > 0) {
    if (K > 0) batchedGemm(A.trans, B.trans, M, N, K, A.data, A.ld, B.data, B.ld, out.data, batch, sA, sB, sC);
    else out.data.fill(0);
  }
  if (grad) {
    record(out, [a, b], (g) => {
      if (a.requiresGrad) {
        // dA (at the broadcast batch shape) = dC · op(B)ᵀ, then summed over A's broadcast dims
        const n = sizeOf(batch) * M * K;
        const full = N > 0 ? emptyF32(n) : zerosF32(n);
        if (full.length > 0 && N > 0) batchedGemm(false, !B.trans, M, K, N, g, N, B.data, B.ld, full, batch, sC, sB, scaled(contiguousStrides(batch), M * K));
        const r = sumToShape(full, [...batch, M, K], a.shape);
        if (r !== full) release(full);
        accumulate(a, r, true);
      }
      if (b.requiresGrad) {
        const n = sizeOf(batch) * K * N;
        const full = M > 0 ? emptyF32(n) : zerosF32(n);
        if (full.length > 0 && M > 0) batchedGemm(!A.trans, false, K, N, M, A.data, A.ld, g, N, full, batch, sA, sC, scaled(contiguousStrides(batch), K * N));
        const r = sumToShape(full, [...batch, K, N], b.shape);
        if (r !== full) release(full);
        accumulate(b, r, true);
      }
    });
  }
  return out;
}

/** Matrix product with torch.matmul's rules for 1-D and batched operands. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError('matmul: both operands must be Tensors');
  // a bfloat16 operand (a frozen weight kept at half the memory) is widened to float32; linear() widens inside the GEMM
  if (a.dtype === 'bfloat16') a = a.float();
  if (b.dtype === 'bfloat16') b = b.float();
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}: both operands need at least 1 dim`);
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]], 'matmul') : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1], 'matmul') : b;
  let out = matmulNd(a2, b2, a.shape, b.shape);
  if (a.ndim === 1 || b.ndim === 1) {
    const s = [...out.shape];
    if (b.ndim === 1) s.splice(s.length - 1, 1);
    if (a.ndim === 1) s.splice(s.length - (b.ndim === 1 ? 1 : 2), 1);
    out = reshape(out, s, 'matmul');
  }
  return out;
}

function need(t: unknown, op: string, name: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor`);
}

/** Inner product of two 1-D tensors of one length (a 0-d result). */
export function dot(a: Tensor, b: Tensor): Tensor {
  need(a, 'dot', 'a'); need(b, 'dot', 'b');
  if (a.ndim !== 1 || b.ndim !== 1 || a.size !== b.size) throw new Error(`dot: expects two 1-D tensors of one length, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** 2-D matrix product (no broadcasting). */
export function mm(a: Tensor, b: Tensor): Tensor {
  need(a, 'mm', 'a'); need(b, 'mm', 'b');
  if (a.ndim !== 2 || b.ndim !== 2) throw new Error(`mm: expects two 2-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** Batched matrix product of [B, n, m] and [B, m, p] (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  need(a, 'bmm', 'a'); need(b, 'bmm', 'b');
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) throw new Error(`bmm: expects two 3-D tensors with one batch size, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** Outer product of two 1-D tensors: [n] × [m] → [n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  need(a, 'outer', 'a'); need(b, 'outer', 'b');
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`outer: expects two 1-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(reshape(a, [a.size, 1], 'outer'), reshape(b, [1, b.size], 'outer'));
}

declare module '../tensor.js' {
  interface Tensor {
    matmul(other: Tensor): Tensor;
    dot(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    outer(other: Tensor): Tensor;
  }
}

Tensor.prototype.matmul = function (this: Tensor, o: Tensor) { return matmul(this, o); };
Tensor.prototype.dot = function (this: Tensor, o: Tensor) { return dot(this, o); };
Tensor.prototype.mm = function (this: Tensor, o: Tensor) { return mm(this, o); };
Tensor.prototype.bmm = function (this: Tensor, o: Tensor) { return bmm(this, o); };
Tensor.prototype.outer = function (this: Tensor, o: Tensor) { return outer(this, o); };
