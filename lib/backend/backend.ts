/**
 * The kernel contract every backend implements. A backend only computes: TypeScript above it checks
 * shapes, allocates outputs and records backward rules (autograd lives once, in lib/ops).
 *
 * Conventions (shared with native/include/*.h):
 * - All data is float32 in row-major `Float32Array`s owned by JavaScript; labels/indices are `Int32Array`.
 * - Outputs come first in the doc, sizes after. Every kernel overwrites its output unless it says
 *   "accumulates".
 * - Element-wise outputs may alias an input of the same extent (in-place is allowed).
 * - Op codes are small integers so the native binding takes them as-is; they never change meaning.
 * - The `js` backend (lib/backend/js) is the executable specification of every kernel.
 */
import type { DataArray } from '../dtype.js';

/**
 * Op codes: UnaryOp (out[i] = f(x[i]); alpha is the op's scalar parameter where it has one),
 * BinaryOp (NumPy broadcasting: out = a (op) b), ReduceOp (over the middle axis of x viewed as
 * [outer, n, inner]; out is [outer, inner]) and the GEMM Epilogue (applied to each output tile: bias
 * is a row vector of length N added to every row of C after alpha·op(A)·op(B) + beta·C, then the
 * activation). All declared once in spec/ops.json; see ./ops.gen.ts for each code and its meaning.
 */
export { BinaryOp, Epilogue, ReduceOp, UnaryOp } from './ops.gen.js';
export type { BinaryOpCode, EpilogueCode, ReduceOpCode, UnaryOpCode } from './ops.gen.js';
import type { BinaryOpCode, EpilogueCode, ReduceOpCode, UnaryOpCode } from './ops.gen.js';

/** Comparisons producing bool (0/1 bytes). */
export const CompareOp = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;
export type CompareOpCode = (typeof CompareOp)[keyof typeof CompareOp];

/** Logical ops over bool (any non-zero is true). */
export const LogicalOp = { and: 0, or: 1, xor: 2 } as const;
export type LogicalOpCode = (typeof LogicalOp)[keyof typeof LogicalOp];

/**
 * Point-wise losses l(p, t) of pointwiseLoss / pointwiseLossBackward (PyTorch's formulas and clamps),
 * with d = p − t. Codes never change meaning.
 */
export const LossOp = {
  /** d²; ∂p = 2d, ∂t = −2d */
  mse: 0,
  /** |d|; ∂p = sign(d) (0 at 0), ∂t = −∂p */
  l1: 1,
  /** ½d² for |d| ≤ delta, delta·(|d| − ½delta) beyond; ∂p = d, or delta·sign(d) beyond; ∂t = −∂p */
  huber: 2,
  /**
   * −(t·lp + (1 − t)·l1p) with lp = max(log p, −100), l1p = max(log(1 − p), −100);
   * ∂p = (p − t) / max(p·(1 − p), 1e-12), ∂t = l1p − lp
   */
  bce: 3,
  /** p is a logit x: max(x, 0) − x·t + log(1 + e^−|x|); ∂x = σ(x) − t, ∂t = −x */
  bceWithLogits: 4,
} as const;
export type LossOpCode = (typeof LossOp)[keyof typeof LossOp];

/** How pointwiseLoss reduces: element-wise values, their sum, or their mean. */
export const LossReduction = { none: 0, sum: 1, mean: 2 } as const;
export type LossReductionCode = (typeof LossReduction)[keyof typeof LossReduction];

export interface Backend {
  readonly name: string;

  // ---- dtype-generic kernels (float32, int32, bool); see lib/backend/js/typed.ts for the contracts ----
  /** Strided copy between arrays of any dtype (converting like cast); no accumulate. */
  copyTyped(
    shape: readonly number[], src: DataArray, srcOffset: number, srcStrides: readonly number[],
    dst: DataArray, dstOffset: number, dstStrides: readonly number[],
  ): void;
  /** Contiguous dtype conversion of n elements. */
  cast(src: DataArray, dst: DataArray, n: number): void;
  /** out = a (op) b → bool over a broadcast shape (strides per output dim, 0 where broadcast). */
  compare(op: CompareOpCode, a: DataArray, aStrides: readonly number[], b: DataArray, bStrides: readonly number[], out: Uint8Array, shape: readonly number[]): void;
  /** out = a (and|or|xor) b → bool. */
  logical(op: LogicalOpCode, a: DataArray, aStrides: readonly number[], b: DataArray, bStrides: readonly number[], out: Uint8Array, shape: readonly number[]): void;
  /** out = cond ? a : b (broadcast; a, b, out share a dtype). */
  where(cond: Uint8Array, cStrides: readonly number[], a: DataArray, aStrides: readonly number[], b: DataArray, bStrides: readonly number[], out: DataArray, shape: readonly number[]): void;
  /** int32 element-wise add/sub/mul/pow/max/min (wrapping), broadcast like binary. */
  binaryInt(op: BinaryOpCode, a: Int32Array, aStrides: readonly number[], b: Int32Array, bStrides: readonly number[], out: Int32Array, shape: readonly number[]): void;
  /** sum/max/min/argmax/argmin of int32 or bool data viewed as [outer, n, inner] into int32. */
  reduceInt(op: ReduceOpCode, x: DataArray, out: Int32Array, outer: number, n: number, inner: number): void;
  /** Inclusive cumulative sum (op 0) or product (op 1) along the middle axis of [outer, n, inner]. */
  scan(op: number, x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;
  /** Gradient of scan from x and the output gradient g (overwrites dx; exact with zeros for cumprod). */
  scanBackward(op: number, x: Float32Array, g: Float32Array, dx: Float32Array, outer: number, n: number, inner: number): void;
  /** Stable sort along the middle axis (NaN last): values and source positions. */
  sortAlong(x: DataArray, values: DataArray, indices: Int32Array, outer: number, n: number, inner: number, descending: boolean): void;
  /** out[o, j, i] = x[o, idx[j], i] (x [outer, n, inner], any dtype; indices validated by the caller). */
  indexSelect(x: DataArray, idx: Int32Array, out: DataArray, outer: number, n: number, inner: number): void;
  /** dx[o, idx[j], i] += g[o, j, i] (accumulates). */
  indexAdd(g: Float32Array, idx: Int32Array, dx: Float32Array, outer: number, n: number, inner: number): void;
  /** 0 isnan, 1 isinf, 2 isfinite, 3 isposinf, 4 isneginf → bool. */
  classify(op: number, x: Float32Array, out: Uint8Array, n: number): void;

  /**
   * C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b], then the epilogue, for b in [0, batch).
   * Row-major, BLAS argument order: op(A) is M×K, op(B) is K×N, C is M×N with leading dimension ldc.
   * transA means A is stored K×M (lda ≥ M); otherwise M×K (lda ≥ K). Likewise for B.
   * Batch b reads A at b·strideA, B at b·strideB and writes C at b·strideC (a stride of 0 broadcasts).
   * beta = 0 ignores C's previous contents (NaN in C does not propagate).
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number,
    C: Float32Array, ldc: number, epilogue: EpilogueCode, bias: Float32Array | null,
    batch: number, strideA: number, strideB: number, strideC: number,
  ): void;

  /**
   * gemm for one matrix whose B holds bfloat16 bit patterns (a frozen weight stored at half the memory): B is
   * widened to float32 as it is read (native: inside the B packing), everything else as gemm. K ≥ 1.
   */
  gemmBf16(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Uint16Array, ldb: number, beta: number,
    C: Float32Array, ldc: number, epilogue: EpilogueCode, bias: Float32Array | null,
  ): void;

  /** out[i] = f(x[i]) for i < n. */
  unary(op: UnaryOpCode, x: Float32Array, out: Float32Array, n: number, alpha: number): void;

  /**
   * dx[i] = dy[i] · f'(x[i]) for i < n (overwrites dx). y is the forward output f(x) (used by
   * exp, sqrt, sigmoid, tanh, ...); both x and y are always passed.
   */
  unaryBackward(
    op: UnaryOpCode, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array,
    n: number, alpha: number,
  ): void;

  /**
   * Broadcasting binary op over an output of `shape` (rank ≥ 1, contiguous row-major out).
   * aStrides/bStrides are element strides per output dimension (0 where that operand broadcasts).
   */
  binary(
    op: BinaryOpCode, a: Float32Array, aStrides: readonly number[], b: Float32Array,
    bStrides: readonly number[], out: Float32Array, shape: readonly number[],
  ): void;

  /** out[o, i] = reduce over j of x[o, j, i]; x is [outer, n, inner] (n ≥ 1 for max/min/arg*). */
  reduce(op: ReduceOpCode, x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;

  /**
   * Strided copy over `shape`: dst[dstOffset + Σ idx·dstStrides] = src[srcOffset + Σ idx·srcStrides].
   * Serves permute/transpose (contiguous results), slicing, concat/stack, broadcast expansion.
   * When `accumulate` is true it adds into dst instead of overwriting (slice backward).
   */
  copy(
    shape: readonly number[], src: Float32Array, srcOffset: number, srcStrides: readonly number[],
    dst: Float32Array, dstOffset: number, dstStrides: readonly number[], accumulate: boolean,
  ): void;

  /** Softmax (or log-softmax when log) over the middle axis of x viewed as [outer, n, inner]. */
  softmax(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number, log: boolean): void;

  /**
   * Gradient of softmax / log-softmax from the forward output y: overwrites dx.
   * softmax: dx = y · (dy − Σ dy·y); log-softmax: dx = dy − exp(y) · Σ dy.
   */
  softmaxBackward(
    y: Float32Array, dy: Float32Array, dx: Float32Array, outer: number, n: number, inner: number, log: boolean,
  ): void;

  /**
   * Fused softmax + cross-entropy over logits [rows, classes] with integer labels, one pass per row:
   * losses[r] = logsumexp(logits[r]) − logits[r, labels[r]]; when dlogits is non-null it receives
   * gradScale · (softmax(logits[r]) − onehot(labels[r])). Labels are validated by the caller.
   */
  softmaxCrossEntropy(
    logits: Float32Array, labels: Int32Array, losses: Float32Array, dlogits: Float32Array | null,
    rows: number, classes: number, gradScale: number,
  ): void;

  /** out[r, :] = table[idx[r], :] for r < rows; table is [n, dim]. Indices are validated by the caller. */
  gatherRows(table: Float32Array, idx: Int32Array, out: Float32Array, rows: number, dim: number): void;

  /** dtable[idx[r], :] += dout[r, :] (accumulates). */
  scatterAddRows(dout: Float32Array, idx: Int32Array, dtable: Float32Array, rows: number, dim: number): void;

  /**
   * One Adam/AdamW step over many tensors in one call. Per element, with g = grads[t][i]:
   *   Adam (decoupled=false): g += weightDecay · p
   *   AdamW (decoupled=true): p −= lr · weightDecay · p
   *   m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²
   *   p −= lr · (m / (1−β1^step)) / (sqrt(v / (1−β2^step)) + eps)
   * step ≥ 1 is the step number after increment.
   */
  adamStep(
    params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[],
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
    decoupled: boolean,
  ): void;

  /**
   * One SGD step over many tensors (PyTorch semantics). g = grad + weightDecay·p; with momentum > 0:
   * buf = firstStep ? g : momentum·buf + (1−dampening)·g; g = nesterov ? g + momentum·buf : buf.
   * Then p −= lr·g. momentumBufs is null when momentum = 0.
   */
  sgdStep(
    params: Float32Array[], grads: Float32Array[], momentumBufs: Float32Array[] | null,
    lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean,
    firstStep: boolean,
  ): void;

  /**
   * One RMSprop step (PyTorch semantics, no centering): g = grad + weightDecay·p;
   * sq = alpha·sq + (1−alpha)·g²; with momentum > 0: buf = momentum·buf + g/(sqrt(sq)+eps), p −= lr·buf;
   * otherwise p −= lr·g/(sqrt(sq)+eps). momentumBufs is null when momentum = 0.
   */
  rmspropStep(
    params: Float32Array[], grads: Float32Array[], squareAvg: Float32Array[], momentumBufs: Float32Array[] | null,
    lr: number, alpha: number, eps: number, weightDecay: number, momentum: number,
  ): void;

  // ---- losses, dropout, index checks (lib/nn; js reference: lib/backend/js/nn.ts) ----

  /**
   * Point-wise loss over n elements (see LossOp; delta is huber's, ignored by the others).
   * LossReduction.none: out[i] = l(pred[i], target[i]) for i < n. sum / mean: out[0] = Σ_i l(pred[i], target[i])
   * (divided by n for mean) accumulated in float64 and rounded once; n = 0 gives 0 (sum) or NaN (mean).
   */
  pointwiseLoss(
    op: LossOpCode, pred: Float32Array, target: Float32Array, out: Float32Array, n: number, delta: number,
    reduction: LossReductionCode,
  ): void;

  /**
   * Gradients of pointwiseLoss; each non-null output is overwritten for i < n:
   * dpred[i] = scale · dout[i·doutStride] · ∂l/∂p, dtarget[i] = scale · dout[i·doutStride] · ∂l/∂t.
   * doutStride is 1 (reduction 'none': one upstream gradient per element) or 0 (one for all).
   */
  pointwiseLossBackward(
    op: LossOpCode, pred: Float32Array, target: Float32Array, dout: Float32Array, doutStride: number,
    dpred: Float32Array | null, dtarget: Float32Array | null, n: number, delta: number, scale: number,
  ): void;

  /** losses[r] = −logProbs[r·classes + labels[r]] for r < rows. Labels are validated by the caller. */
  nllLoss(logProbs: Float32Array, labels: Int32Array, losses: Float32Array, rows: number, classes: number): void;

  /**
   * Gradient of nllLoss: dx [rows, classes] is overwritten with zeros except
   * dx[r·classes + labels[r]] = −scale · dlosses[r·dlossesStride] (dlossesStride 1, or 0: one for all rows).
   */
  nllLossBackward(
    dlosses: Float32Array, dlossesStride: number, labels: Int32Array, dx: Float32Array, rows: number, classes: number,
    scale: number,
  ): void;

  /**
   * Inverted dropout with a counter-based mask: out[i] = x[i] · (keep(offset + i) ? 1/(1 − p) : 0) for i < n,
   * the factor rounded to float32 (so NaN·0 stays NaN, as PyTorch's x·mask). keep(c) is decided by a keyed
   * hash of the 32-bit counter c = (offset + i) mod 2³², the same on every backend and thread count:
   *   mix(x) = lowbias32: x ^= x>>>16; x *= 0x21f0aaad; x ^= x>>>15; x *= 0x735a2d97; x ^= x>>>15
   *   bits = mix(mix(c·0x9e3779b9 + seed0) ^ seed1);  keep = (bits >>> 8) ≥ ceil(p · 2²⁴)
   * so p = 0 keeps everything and p = 1 nothing. seed0, seed1, offset are integers in [0, 2³²); out may be x.
   * The backward of dropout is the same call on the gradient with the same seeds.
   */
  dropout(x: Float32Array, out: Float32Array, n: number, p: number, seed0: number, seed1: number, offset: number): void;

  /** The first i < n with idx[i] outside [0, limit), or −1 when every index is in range. */
  indexCheck(idx: Int32Array, n: number, limit: number): number;

  // ---- convolution, pooling, batch norm (NCHW float32; see Conv2dGeometry) ----

  /**
   * 2-D cross-correlation (PyTorch's conv2d): out[n, o, oh, ow] = bias[o] +
   * Σ_{c,i,j} weight[o, c, i, j] · x[n, c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] (zero outside x).
   * out is [N, outC, outH, outW] (overwritten), x [N, C, H, W], weight [outC, C, kH, kW], bias [outC] or null.
   */
  conv2d(out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array | null, g: Conv2dGeometry): void;

  /**
   * Gradients of conv2d from dout [N, outC, outH, outW]; each non-null output is overwritten:
   * dx [N, C, H, W], dweight [outC, C, kH, kW], dbias [outC] (Σ of dout over n, oh, ow).
   * x is read only when dweight is non-null, weight only when dx is non-null (both always passed).
   */
  conv2dBackward(
    dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null,
    dout: Float32Array, x: Float32Array, weight: Float32Array, g: Conv2dGeometry,
  ): void;

  /**
   * Max pooling over each of the N·C planes (g.outC is ignored): out [N, C, outH, outW] gets the
   * window maximum (padding counts as −∞; NaN wins, like PyTorch) and indices the position of that
   * element in its input plane (ih·W + iw; the first one on ties, −1 for an all-padding window).
   * Both overwritten.
   */
  maxPool2d(out: Float32Array, indices: Int32Array, x: Float32Array, g: Conv2dGeometry): void;

  /** dx [N, C, H, W] = 0, then dx[plane, indices[k]] += dout[k] for every output k (overwrites dx). */
  maxPool2dBackward(dx: Float32Array, dout: Float32Array, indices: Int32Array, g: Conv2dGeometry): void;

  /**
   * Average pooling with padding counted (PyTorch's count_include_pad=true, ceil_mode=false):
   * out[n, c, oh, ow] = Σ_window x / (kH·kW), zeros outside x. out overwritten.
   */
  avgPool2d(out: Float32Array, x: Float32Array, g: Conv2dGeometry): void;

  /** dx = gradient of avgPool2d: each dout spread as dout/(kH·kW) over its window's in-bounds taps (overwrites dx). */
  avgPool2dBackward(dx: Float32Array, dout: Float32Array, g: Conv2dGeometry): void;

  /**
   * Per-channel batch statistics of x viewed as [N, C, L] (L = H·W, or 1 for [N, C]):
   * mean[c] and the biased variance var[c] = mean of (x − mean[c])², both [C], overwritten
   * (accumulated in float64, two passes). N·L ≥ 1.
   */
  batchNormStats(mean: Float32Array, variance: Float32Array, x: Float32Array, N: number, C: number, L: number): void;

  /**
   * out = (x − mean[c]) · invstd[c] · gamma[c] + beta[c] over x viewed as [N, C, L]
   * (gamma null: 1, beta null: 0). out overwritten; may alias x.
   */
  batchNormForward(
    out: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array,
    gamma: Float32Array | null, beta: Float32Array | null, N: number, C: number, L: number,
  ): void;

  /**
   * Gradients of batchNormForward; each non-null output overwritten. With x̂ = (x − mean)·invstd,
   * M = N·L: dbeta[c] = Σ dout, dgamma[c] = Σ dout·x̂; dx = gamma·invstd·dout when !batchStats
   * (mean/invstd were constants: eval mode), otherwise (mean/invstd were x's batch statistics)
   * dx = gamma·invstd·(dout − Σdout/M − x̂·Σ(dout·x̂)/M). gamma null means 1.
   */
  batchNormBackward(
    dx: Float32Array | null, dgamma: Float32Array | null, dbeta: Float32Array | null,
    dout: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array,
    gamma: Float32Array | null, N: number, C: number, L: number, batchStats: boolean,
  ): void;

  // ---- transformer kernels (js reference: lib/backend/js/attention.ts) ----

  /**
   * LayerNorm over rows of x [rows, n]: mean[r], rstd[r] = 1/sqrt(biased variance + eps) (sums in
   * float64), out = (x − mean)·rstd·weight + bias (weight null: 1, bias null: 0). All overwritten;
   * out may alias x. n ≥ 1 when rows > 0.
   */
  layerNorm(
    out: Float32Array, mean: Float32Array, rstd: Float32Array, x: Float32Array, weight: Float32Array | null,
    bias: Float32Array | null, rows: number, n: number, eps: number,
  ): void;

  /**
   * Gradients of layerNorm from the saved mean and rstd; each non-null output overwritten. With
   * x̂ = (x − mean)·rstd and g = dout·weight: dx = rstd·(g − mean_row(g) − x̂·mean_row(g·x̂)),
   * dweight = Σ_rows dout·x̂, dbias = Σ_rows dout.
   */
  layerNormBackward(
    dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
    x: Float32Array, mean: Float32Array, rstd: Float32Array, weight: Float32Array | null, rows: number, n: number,
  ): void;

  /**
   * Scaled-dot-product attention (see SdpaGeometry): for each head and query row i,
   * s_j = scale·q_i·k_j + mask_ij (−inf for j > i when causal), out_i = Σ_j softmax(s)_j·v_j and
   * lse_i = log Σ_j exp(s_j). A row whose scores are all −inf gets out = 0 and lse = −inf.
   * out [b0, b1, L, Ev] and lse [b0·b1·L] are contiguous and overwritten.
   */
  sdpa(
    out: Float32Array, lse: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
    mask: Float32Array | null, g: SdpaGeometry,
  ): void;

  /**
   * Gradients of sdpa by recomputation from q, k, v, out and lse (P = exp(s − lse)):
   * dv = Pᵀ·dout, dS = P ⊙ (dout·vᵀ − rowsum(dout ⊙ out)), dq = scale·dS·k, dk = scale·dSᵀ·q.
   * dq [b0, b1, L, E], dk [b0, b1, S, E], dv [b0, b1, S, Ev] and dout [b0, b1, L, Ev] are contiguous;
   * the outputs are overwritten.
   */
  sdpaBackward(
    dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array, q: Float32Array, k: Float32Array,
    v: Float32Array, out: Float32Array, lse: Float32Array, mask: Float32Array | null, g: SdpaGeometry,
  ): void;
}

/**
 * One attention call's layout: q [b0, b1, L, E], k [b0, b1, S, E], v [b0, b1, S, Ev], each read through
 * element strides over (b0, b1, rows) with its last dim contiguous (head slices of a fused qkv are
 * views, not copies); the additive float mask [b0, b1, L, S] through maskStrides (0 where broadcast).
 * causal keeps key j ≤ query i (top-left aligned, PyTorch's is_causal).
 */
export interface SdpaGeometry {
  readonly b0: number;
  readonly b1: number;
  readonly L: number;
  readonly S: number;
  readonly E: number;
  readonly Ev: number;
  readonly scale: number;
  readonly causal: boolean;
  readonly qStrides: readonly [number, number, number];
  readonly kStrides: readonly [number, number, number];
  readonly vStrides: readonly [number, number, number];
  readonly maskStrides: readonly [number, number, number, number] | null;
}

/**
 * Geometry of a conv2d / pooling call on NCHW data. outH = ⌊(h + 2·padH − dilationH·(kH − 1) − 1) / strideH⌋ + 1
 * (likewise outW); the caller computes them and checks outH, outW ≥ 1. Pooling ignores outC.
 */
export interface Conv2dGeometry {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly outC: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly outH: number;
  readonly outW: number;
}
