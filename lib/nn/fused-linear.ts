/**
 * linear(x, W, b, act) = act(x·Wᵀ + b) as ONE gemm call with a fused epilogue, and its own backward
 * rule (every product through gemm transpose flags, nothing transposed in memory):
 *   dZ = dY · act'(Z)   (current.unaryBackward; for relu/sigmoid/tanh from Y alone)
 *   dX = dZ · W         gemm(N, N)
 *   dW = dZᵀ · X        gemm(T, N)
 *   db = Σ_rows dZ      reduce(sum)
 * GELU's derivative needs the pre-activation Z, which Y does not determine; when a gradient is needed
 * the GELU forms therefore run gemm with the bias epilogue into Z and then the activation kernel, and
 * keep Z. Without a gradient (inference) they use the fused epilogue too.
 */
import { Epilogue, ReduceOp, UnaryOp, type EpilogueCode, type UnaryOpCode } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, gradSink, isGradEnabled, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { contiguous } from '../ops/shape.js';
import { gelu, relu, sigmoid, tanh } from '../ops/activation.js';
import { fmtShape } from '../util/shape.js';
import { emptyF32, release, zerosF32 } from '../util/alloc.js';

export type LinearActivation = 'none' | 'relu' | 'gelu' | 'geluTanh' | 'sigmoid' | 'tanh';

const EPILOGUE: Record<LinearActivation, EpilogueCode> = {
  none: Epilogue.bias,
  relu: Epilogue.biasRelu,
  gelu: Epilogue.biasGelu,
  geluTanh: Epilogue.biasGeluTanh,
  sigmoid: Epilogue.biasSigmoid,
  tanh: Epilogue.biasTanh,
};

const UNARY: Record<Exclude<LinearActivation, 'none'>, UnaryOpCode> = {
  relu: UnaryOp.relu,
  gelu: UnaryOp.gelu,
  geluTanh: UnaryOp.geluTanh,
  sigmoid: UnaryOp.sigmoid,
  tanh: UnaryOp.tanh,
};

/**
 * act(x·Wᵀ + b) for x [..., in], weight [out, in], bias [out] or null. Returns [..., out].
 * Differentiable in x, weight and bias.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, act: LinearActivation = 'none'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`Linear: input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.ndim < 1 || weight.ndim !== 2) {
    throw new Error(`linear: input ${fmtShape(x.shape)} and weight ${fmtShape(weight.shape)}: expected input [..., in] and weight [out, in]`);
  }
  const [outF, inF] = weight.shape;
  if (x.shape[x.ndim - 1] !== inF) {
    throw new Error(`linear: shapes ${fmtShape(x.shape)} and ${fmtShape(weight.shape)} do not align (${x.shape[x.ndim - 1]} != ${inF})`);
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`linear: bias shape ${fmtShape(bias.shape)} does not match weight ${fmtShape(weight.shape)} (expected [${outF}])`);
  }
  if (!(act in EPILOGUE)) throw new RangeError(`linear: unknown activation '${String(act)}'`);
  if (weight.dtype === 'bfloat16') return linearBf16(x, weight, bias, act);
  if (weight.dtype !== 'float32') throw new TypeError(`linear: weight must be float32 or bfloat16, got ${weight.dtype}`);
  // a strided input (a transposed or sliced view) is copied once here rather than at every .data read
  x = contiguous(x);
  if (!weight.isContiguous()) weight = contiguous(weight);
  const M = x.size / inF || 0;
  const outShape = [...x.shape.slice(0, -1), outF];
  // the GEMM (beta 0) or the activation kernel writes every element of y when M, inF > 0
  const y = M > 0 && inF > 0 ? emptyF32(M * outF) : zerosF32(M * outF);
  const b = bias !== null ? bias.data : act === 'none' ? null : new Float32Array(outF);
  const grad = isGradEnabled() && (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false));
  const keepZ = grad && (act === 'gelu' || act === 'geluTanh');
  let z: Float32Array | null = null;
  if (M > 0) {
    if (inF === 0) {
      // empty reduction: Z is the bias alone (gemm is not asked for K = 0)
      if (b !== null) for (let r = 0; r < M; r++) y.set(b, r * outF);
      if (act !== 'none') {
        if (keepZ) z = y.slice();
        current.unary(UNARY[act], y, y, y.length, 0);
      }
    } else if (keepZ) {
      z = emptyF32(M * outF);
      current.gemm(false, true, M, outF, inF, 1, x.data, inF, weight.data, inF, 0, z, outF, Epilogue.bias, b, 1, 0, 0, 0);
      current.unary(UNARY[act as 'gelu' | 'geluTanh'], z, y, y.length, 0);
    } else {
      const epi = b === null ? Epilogue.none : EPILOGUE[act];
      current.gemm(false, true, M, outF, inF, 1, x.data, inF, weight.data, inF, 0, y, outF, epi, b, 1, 0, 0, 0);
    }
  }
  const out = new Tensor(y, outShape);
  if (!grad) return out;
  const inputs = bias !== null ? [x, weight, bias] : [x, weight];
  return record(out, inputs, (g) => {
    let dz = g;
    if (act !== 'none' && g.length > 0) {
      dz = emptyF32(g.length);
      current.unaryBackward(UNARY[act], z ?? y, y, g, dz, g.length, 0);
    }
    const product = M > 0 && inF > 0 && outF > 0; // otherwise dX and dW are zero
    if (x.requiresGrad) {
      const dx = product ? emptyF32(x.size) : zerosF32(x.size);
      if (product) current.gemm(false, false, M, inF, outF, 1, dz, outF, weight.data, inF, 0, dx, inF, Epilogue.none, null, 1, 0, 0, 0);
      accumulate(x, dx, true);
    }
    if (weight.requiresGrad) {
      // dW = dZᵀ · X, straight into an existing weight.grad (beta 1) when there is one to reuse
      const sink = product ? gradSink(weight, [dz, x.data]) : null;
      const dw = sink ?? (product ? emptyF32(weight.size) : zerosF32(weight.size));
      if (product) current.gemm(true, false, outF, inF, M, 1, dz, outF, x.data, inF, sink ? 1 : 0, dw, inF, Epilogue.none, null, 1, 0, 0, 0);
      if (sink === null) accumulate(weight, dw, true);
    }
    if (bias !== null && bias.requiresGrad) {
      const db = M > 0 ? emptyF32(outF) : zerosF32(outF);
      if (M > 0 && outF > 0) current.reduce(ReduceOp.sum, dz, db, 1, M, outF);
      accumulate(bias, db, true);
    }
    if (dz !== g) release(dz);
  });
}

/**
 * linear() with a bfloat16 weight (a frozen base weight stored at half the memory): Z = x·Wᵀ + b and, for the
 * input gradient, dX = dZ·W, through the backend's gemmBf16, which widens W to float32 as it reads it (native:
 * inside the GEMM's B packing, one cache block at a time), so no float32 copy of W is ever made. The weight
 * takes no gradient; the bias (float32) may. An activation runs as its own op after the GEMM.
 */
function linearBf16(x: Tensor, weight: Tensor, bias: Tensor | null, act: LinearActivation): Tensor {
  if (weight.requiresGrad) throw new TypeError('linear: a bfloat16 weight cannot require gradients');
  if (bias !== null && bias.dtype !== 'float32') throw new TypeError(`linear: bias must be float32, got ${bias.dtype}`);
  x = contiguous(x);
  const [outF, inF] = weight.shape;
  const M = x.size / inF || 0;
  const bits = weight.isContiguous() ? weight.bits() : contiguous(weight).bits();
  const z = M > 0 && inF > 0 && outF > 0 ? emptyF32(M * outF) : zerosF32(M * outF);
  if (M > 0 && outF > 0) {
    if (inF > 0) {
      current.gemmBf16(false, true, M, outF, inF, 1, x.data, inF, bits, inF, 0, z, outF, bias !== null ? Epilogue.bias : Epilogue.none, bias?.data ?? null);
    } else if (bias !== null) {
      for (let r = 0; r < M; r++) z.set(bias.data, r * outF);
    }
  }
  let out = new Tensor(z, [...x.shape.slice(0, -1), outF]);
  const grad = isGradEnabled() && (x.requiresGrad || (bias?.requiresGrad ?? false));
  if (grad) {
    const inputs = bias !== null ? [x, bias] : [x];
    out = record(out, inputs, (g) => {
      if (x.requiresGrad) {
        const product = M > 0 && inF > 0 && outF > 0;
        const dx = product ? emptyF32(x.size) : zerosF32(x.size);
        if (product) current.gemmBf16(false, false, M, inF, outF, 1, g, outF, bits, inF, 0, dx, inF, Epilogue.none, null);
        accumulate(x, dx, true);
      }
      if (bias !== null && bias.requiresGrad) {
        const db = M > 0 ? emptyF32(outF) : zerosF32(outF);
        if (M > 0 && outF > 0) current.reduce(ReduceOp.sum, g, db, 1, M, outF);
        accumulate(bias, db, true);
      }
    }, []);
  }
  if (act === 'none') return out;
  return act === 'relu' ? relu(out) : act === 'gelu' ? gelu(out) : act === 'geluTanh' ? gelu(out, { approximate: 'tanh' }) : act === 'sigmoid' ? sigmoid(out) : tanh(out);
}
