/** Activations: relu leakyRelu sigmoid tanh gelu (exact or tanh), softmax / logSoftmax over a dim. */
import { UnaryOp } from '../backend/backend.js';
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { normDim, splitAt } from '../util/shape.js';
import { unaryOp } from './elementwise.js';
import { describe } from '../util/describe.js';
import { checkOptions } from '../util/options.js';

export interface GeluOptions {
  /** 'none' (default): exact erf form; 'tanh': the tanh approximation */
  approximate?: 'none' | 'tanh';
}

export const relu = (x: Tensor): Tensor => unaryOp(x, UnaryOp.relu);
/** x > 0 ? x : slope·x (PyTorch default slope 0.01). */
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => unaryOp(x, UnaryOp.leakyRelu, slope);
export const sigmoid = (x: Tensor): Tensor => unaryOp(x, UnaryOp.sigmoid);
export const tanh = (x: Tensor): Tensor => unaryOp(x, UnaryOp.tanh);

export function gelu(x: Tensor, opts?: GeluOptions): Tensor {
  checkOptions(opts, ['approximate'], 'gelu');
  const a = opts?.approximate ?? 'none';
  if (a !== 'none' && a !== 'tanh') throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got '${String(a)}'`);
  return unaryOp(x, a === 'tanh' ? UnaryOp.geluTanh : UnaryOp.gelu);
}

function softmaxImpl(x: Tensor, dim: number, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  if (!(x instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor, got ${describe(x)}`);
  if (x.dtype !== 'float32') x = x.float();
  x = x.contiguous();
  if (x.ndim === 0) throw new Error(`${name}: expected a tensor of rank ≥ 1, got shape []`);
  const d = normDim(dim, x.ndim, name);
  const [outer, n, inner] = splitAt(x.shape, d);
  const out = new Tensor(new Float32Array(x.size), x.shape);
  if (x.size > 0) current.softmax(x.data, out.data, outer, n, inner, log);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = new Float32Array(x.size);
      current.softmaxBackward(out.data, g, dx, outer, n, inner, log);
      accumulate(x, dx, true);
    });
  }
  return out;
}

/** Softmax over `dim` (default −1, the last dim). */
export const softmax = (x: Tensor, dim = -1): Tensor => softmaxImpl(x, dim, false);
/** log(softmax(x)) computed stably over `dim` (default −1). */
export const logSoftmax = (x: Tensor, dim = -1): Tensor => softmaxImpl(x, dim, true);

declare module '../tensor.js' {
  interface Tensor {
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    gelu(opts?: GeluOptions): Tensor;
    softmax(dim?: number): Tensor;
    logSoftmax(dim?: number): Tensor;
  }
}

const P = Tensor.prototype;
P.relu = function (this: Tensor) { return relu(this); };
P.leakyRelu = function (this: Tensor, slope?: number) { return leakyRelu(this, slope); };
P.sigmoid = function (this: Tensor) { return sigmoid(this); };
P.tanh = function (this: Tensor) { return tanh(this); };
P.gelu = function (this: Tensor, opts?: GeluOptions) { return gelu(this, opts); };
P.softmax = function (this: Tensor, dim?: number) { return softmax(this, dim); };
P.logSoftmax = function (this: Tensor, dim?: number) { return logSoftmax(this, dim); };
