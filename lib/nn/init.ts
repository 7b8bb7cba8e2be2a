/**
 * Initialisers (torch.nn.init), in place, drawing from the library's seeded global generator so
 * that `manualSeed(s)` makes initial weights reproducible. Fans follow PyTorch: for a weight of
 * shape [out, in, ...k], fanIn = in·Πk and fanOut = out·Πk.
 */
import { defaultGenerator } from '../random.js';
import type { Tensor } from '../tensor.js';

export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu';

/** PyTorch's calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': { const a = param ?? 0.01; return Math.sqrt(2 / (1 + a * a)); }
    default: throw new RangeError(`calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out need a tensor of rank ≥ 2, got shape [${t.shape.join(',')}]`);
  let rf = 1;
  for (let i = 2; i < t.ndim; i++) rf *= t.shape[i];
  return [t.shape[1] * rf, t.shape[0] * rf];
}

/** Fills with U(lo, hi). */
export function uniform_(t: Tensor, lo = 0, hi = 1): Tensor {
  const d = t.data;
  const w = hi - lo;
  for (let i = 0; i < d.length; i++) d[i] = lo + w * defaultGenerator.random();
  return t;
}

/** Fills with N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * defaultGenerator.normal();
  return t;
}

export function constant_(t: Tensor, v: number): Tensor {
  t.data.fill(v);
  return t;
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  /** negative slope of the leaky ReLU after this layer (PyTorch's `a`, default 0) */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

/** U(−b, b) with b = gain·√(3/fan) (Linear and Conv use a = √5, giving b = 1/√fanIn). */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const [fanIn, fanOut] = fans(t);
  const fan = (o.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  const gain = calculateGain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0);
  const bound = fan === 0 ? 0 : gain * Math.sqrt(3 / fan);
  return uniform_(t, -bound, bound);
}

/** N(0, std²) with std = gain/√fan. */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const [fanIn, fanOut] = fans(t);
  const fan = (o.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  const gain = calculateGain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0);
  return normal_(t, 0, fan === 0 ? 0 : gain / Math.sqrt(fan));
}

/** U(−b, b) with b = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = fans(t);
  const b = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -b, b);
}

/** N(0, std²) with std = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}
