/**
 * Element-wise reference kernels: unary (+ its backward) and broadcasting binary ops.
 * Math runs in float64 and is rounded once on store, so these are the accuracy reference.
 */
import { BinaryOp, UnaryOp, type BinaryOpCode, type UnaryOpCode } from '../backend.js';
import { erf, erfinv, gelu, geluGrad, geluTanh, geluTanhGrad, roundHalfEven, SELU_ALPHA, SELU_SCALE, sigmoid, softplus } from './math.js';

export function unary(op: UnaryOpCode, x: Float32Array, out: Float32Array, n: number, alpha: number): void {
  switch (op) {
    case UnaryOp.neg: for (let i = 0; i < n; i++) out[i] = -x[i]; return;
    case UnaryOp.exp: for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return;
    case UnaryOp.log: for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); return;
    case UnaryOp.sqrt: for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]); return;
    case UnaryOp.abs: for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]); return;
    case UnaryOp.relu: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : v !== v ? v : 0; } return;
    case UnaryOp.sigmoid: for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]); return;
    case UnaryOp.tanh: for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); return;
    case UnaryOp.gelu: for (let i = 0; i < n; i++) out[i] = gelu(x[i]); return;
    case UnaryOp.geluTanh: for (let i = 0; i < n; i++) out[i] = geluTanh(x[i]); return;
    case UnaryOp.leakyRelu: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : alpha * v; } return;
    case UnaryOp.powScalar: for (let i = 0; i < n; i++) out[i] = Math.pow(x[i], alpha); return;
    case UnaryOp.scale: for (let i = 0; i < n; i++) out[i] = x[i] * alpha; return;
    case UnaryOp.addScalar: for (let i = 0; i < n; i++) out[i] = x[i] + alpha; return;
    case UnaryOp.reciprocal: for (let i = 0; i < n; i++) out[i] = 1 / x[i]; return;
    case UnaryOp.square: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v * v; } return;
    case UnaryOp.sin: for (let i = 0; i < n; i++) out[i] = Math.sin(x[i]); return;
    case UnaryOp.cos: for (let i = 0; i < n; i++) out[i] = Math.cos(x[i]); return;
    case UnaryOp.tan: for (let i = 0; i < n; i++) out[i] = Math.tan(x[i]); return;
    case UnaryOp.asin: for (let i = 0; i < n; i++) out[i] = Math.asin(x[i]); return;
    case UnaryOp.acos: for (let i = 0; i < n; i++) out[i] = Math.acos(x[i]); return;
    case UnaryOp.atan: for (let i = 0; i < n; i++) out[i] = Math.atan(x[i]); return;
    case UnaryOp.sinh: for (let i = 0; i < n; i++) out[i] = Math.sinh(x[i]); return;
    case UnaryOp.cosh: for (let i = 0; i < n; i++) out[i] = Math.cosh(x[i]); return;
    case UnaryOp.erf: for (let i = 0; i < n; i++) out[i] = erf(x[i]); return;
    case UnaryOp.erfinv: for (let i = 0; i < n; i++) out[i] = erfinv(x[i]); return;
    case UnaryOp.log1p: for (let i = 0; i < n; i++) out[i] = Math.log1p(x[i]); return;
    case UnaryOp.expm1: for (let i = 0; i < n; i++) out[i] = Math.expm1(x[i]); return;
    case UnaryOp.log2: for (let i = 0; i < n; i++) out[i] = Math.log2(x[i]); return;
    case UnaryOp.log10: for (let i = 0; i < n; i++) out[i] = Math.log10(x[i]); return;
    case UnaryOp.rsqrt: for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]); return;
    case UnaryOp.sign: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? 1 : v < 0 ? -1 : 0; } return;
    case UnaryOp.floor: for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]); return;
    case UnaryOp.ceil: for (let i = 0; i < n; i++) out[i] = Math.ceil(x[i]); return;
    case UnaryOp.round: for (let i = 0; i < n; i++) out[i] = roundHalfEven(x[i]); return;
    case UnaryOp.trunc: for (let i = 0; i < n; i++) out[i] = Math.trunc(x[i]); return;
    case UnaryOp.frac: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v - Math.trunc(v); } return;
    case UnaryOp.softplus: for (let i = 0; i < n; i++) out[i] = softplus(x[i], alpha); return;
    case UnaryOp.silu: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v * sigmoid(v); } return;
    case UnaryOp.mish: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v * Math.tanh(softplus(v, 1)); } return;
    case UnaryOp.elu: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : alpha * Math.expm1(v); } return;
    case UnaryOp.selu: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v)); } return;
    case UnaryOp.logsigmoid: for (let i = 0; i < n; i++) { const v = x[i]; out[i] = Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))); } return;
    default: throw new RangeError(`unary: unknown op code ${String(op)}`);
  }
}

/**
 * dx = dy · f'(x). Derivatives at kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0,
 * leakyRelu'(0) = alpha; powScalar with alpha = 0 has derivative 0 everywhere.
 */
export function unaryBackward(
  op: UnaryOpCode, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, alpha: number,
): void {
  switch (op) {
    case UnaryOp.neg: for (let i = 0; i < n; i++) dx[i] = -dy[i]; return;
    case UnaryOp.exp: for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i]; return;
    case UnaryOp.log: for (let i = 0; i < n; i++) dx[i] = dy[i] / x[i]; return;
    case UnaryOp.sqrt: for (let i = 0; i < n; i++) dx[i] = (0.5 * dy[i]) / y[i]; return;
    case UnaryOp.abs: for (let i = 0; i < n; i++) { const v = x[i]; dx[i] = v > 0 ? dy[i] : v < 0 ? -dy[i] : 0; } return;
    case UnaryOp.relu: for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0; return;
    case UnaryOp.sigmoid: for (let i = 0; i < n; i++) { const s = y[i]; dx[i] = dy[i] * s * (1 - s); } return;
    case UnaryOp.tanh: for (let i = 0; i < n; i++) { const t = y[i]; dx[i] = dy[i] * (1 - t * t); } return;
    case UnaryOp.gelu: for (let i = 0; i < n; i++) dx[i] = dy[i] * geluGrad(x[i]); return;
    case UnaryOp.geluTanh: for (let i = 0; i < n; i++) dx[i] = dy[i] * geluTanhGrad(x[i]); return;
    case UnaryOp.leakyRelu: for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * dy[i]; return;
    case UnaryOp.powScalar:
      if (alpha === 0) { for (let i = 0; i < n; i++) dx[i] = 0; return; }
      for (let i = 0; i < n; i++) dx[i] = dy[i] * alpha * Math.pow(x[i], alpha - 1);
      return;
    case UnaryOp.scale: for (let i = 0; i < n; i++) dx[i] = dy[i] * alpha; return;
    case UnaryOp.addScalar: for (let i = 0; i < n; i++) dx[i] = dy[i]; return;
    case UnaryOp.reciprocal: for (let i = 0; i < n; i++) { const r = y[i]; dx[i] = -dy[i] * r * r; } return;
    case UnaryOp.square: for (let i = 0; i < n; i++) dx[i] = 2 * x[i] * dy[i]; return;
    case UnaryOp.sin: for (let i = 0; i < n; i++) dx[i] = dy[i] * Math.cos(x[i]); return;
    case UnaryOp.cos: for (let i = 0; i < n; i++) dx[i] = -dy[i] * Math.sin(x[i]); return;
    case UnaryOp.tan: for (let i = 0; i < n; i++) { const t = y[i]; dx[i] = dy[i] * (1 + t * t); } return;
    case UnaryOp.asin: for (let i = 0; i < n; i++) { const v = x[i]; dx[i] = dy[i] / Math.sqrt(1 - v * v); } return;
    case UnaryOp.acos: for (let i = 0; i < n; i++) { const v = x[i]; dx[i] = -dy[i] / Math.sqrt(1 - v * v); } return;
    case UnaryOp.atan: for (let i = 0; i < n; i++) { const v = x[i]; dx[i] = dy[i] / (1 + v * v); } return;
    case UnaryOp.sinh: for (let i = 0; i < n; i++) dx[i] = dy[i] * Math.cosh(x[i]); return;
    case UnaryOp.cosh: for (let i = 0; i < n; i++) dx[i] = dy[i] * Math.sinh(x[i]); return;
    case UnaryOp.erf: for (let i = 0; i < n; i++) { const v = x[i]; dx[i] = dy[i] * 1.1283791670955126 * Math.exp(-v * v); } return;
    case UnaryOp.erfinv: for (let i = 0; i < n; i++) { const e = y[i]; dx[i] = dy[i] * 0.886226925452758 * Math.exp(e * e); } return;
    case UnaryOp.log1p: for (let i = 0; i < n; i++) dx[i] = dy[i] / (1 + x[i]); return;
    case UnaryOp.expm1: for (let i = 0; i < n; i++) dx[i] = dy[i] * (y[i] + 1); return;
    case UnaryOp.log2: for (let i = 0; i < n; i++) dx[i] = dy[i] / (x[i] * Math.LN2); return;
    case UnaryOp.log10: for (let i = 0; i < n; i++) dx[i] = dy[i] / (x[i] * Math.LN10); return;
    case UnaryOp.rsqrt: for (let i = 0; i < n; i++) { const r = y[i]; dx[i] = -0.5 * dy[i] * r * r * r; } return;
    case UnaryOp.sign: case UnaryOp.floor: case UnaryOp.ceil: case UnaryOp.round: case UnaryOp.trunc:
      for (let i = 0; i < n; i++) dx[i] = 0;
      return;
    case UnaryOp.frac: for (let i = 0; i < n; i++) dx[i] = dy[i]; return;
    case UnaryOp.softplus: for (let i = 0; i < n; i++) { const z = alpha * x[i]; dx[i] = z > 20 ? dy[i] : dy[i] * sigmoid(z); } return;
    case UnaryOp.silu: for (let i = 0; i < n; i++) { const v = x[i]; const s = sigmoid(v); dx[i] = dy[i] * (s + v * s * (1 - s)); } return;
    case UnaryOp.mish: for (let i = 0; i < n; i++) {
      const v = x[i]; const t = Math.tanh(softplus(v, 1));
      dx[i] = dy[i] * (t + v * (1 - t * t) * sigmoid(v));
    } return;
    case UnaryOp.elu: for (let i = 0; i < n; i++) { const v = x[i]; dx[i] = v > 0 ? dy[i] : dy[i] * alpha * Math.exp(v); } return;
    case UnaryOp.selu: for (let i = 0; i < n; i++) { const v = x[i]; dx[i] = dy[i] * SELU_SCALE * (v > 0 ? 1 : SELU_ALPHA * Math.exp(v)); } return;
    case UnaryOp.logsigmoid: for (let i = 0; i < n; i++) dx[i] = dy[i] * sigmoid(-x[i]); return;
    default: throw new RangeError(`unaryBackward: unknown op code ${String(op)}`);
  }
}

/** One innermost run: n outputs, operands advancing by as / bs. max/min propagate NaN (torch.maximum). */
function binaryRun(
  op: BinaryOpCode, a: Float32Array, ai: number, as: number, b: Float32Array, bi: number, bs: number,
  out: Float32Array, oi: number, n: number,
): void {
  const end = oi + n;
  switch (op) {
    case BinaryOp.add: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] + b[bi]; return;
    case BinaryOp.sub: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] - b[bi]; return;
    case BinaryOp.mul: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] * b[bi]; return;
    case BinaryOp.div: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] / b[bi]; return;
    case BinaryOp.pow: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = Math.pow(a[ai], b[bi]); return;
    case BinaryOp.max: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = Math.max(a[ai], b[bi]); return;
    case BinaryOp.min: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = Math.min(a[ai], b[bi]); return;
    case BinaryOp.atan2: for (; oi < end; oi++, ai += as, bi += bs) out[oi] = Math.atan2(a[ai], b[bi]); return;
    default: throw new RangeError(`binary: unknown op code ${String(op)}`);
  }
}

export function binary(
  op: BinaryOpCode, a: Float32Array, aStrides: readonly number[], b: Float32Array,
  bStrides: readonly number[], out: Float32Array, shape: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0) { binaryRun(op, a, 0, 0, b, 0, 0, out, 0, 1); return; }
  let total = 1;
  for (let d = 0; d < rank; d++) total *= shape[d];
  if (total === 0) return;
  const last = rank - 1;
  const n = shape[last];
  const as = aStrides[last];
  const bs = bStrides[last];
  if (rank === 1) { binaryRun(op, a, 0, as, b, 0, bs, out, 0, n); return; }
  // odometer over the outer dims; the innermost dim is one run
  const idx = new Array<number>(last).fill(0);
  let ai = 0;
  let bi = 0;
  for (let oi = 0; oi < total; oi += n) {
    binaryRun(op, a, ai, as, b, bi, bs, out, oi, n);
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) { ai += aStrides[d]; bi += bStrides[d]; break; }
      idx[d] = 0;
      ai -= aStrides[d] * (shape[d] - 1);
      bi -= bStrides[d] * (shape[d] - 1);
    }
  }
}
