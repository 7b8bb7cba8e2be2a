/**
 * Initialisers (torch.nn.init), in place, drawing from the library's seeded global generator so
 * that `manualSeed(s)` makes initial weights reproducible. Fans follow PyTorch: for a weight of
 * shape [out, in, ...k], fanIn = in·Πk and fanOut = out·Πk.
 */
import { noGrad } from '../autograd.js';
import { defaultGenerator } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';

export type Nonlinearity =
  | 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu'
  | 'conv1d' | 'conv2d' | 'conv3d' | 'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d';

const NONLINEARITIES: readonly Nonlinearity[] = [
  'linear', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'selu', 'conv1d', 'conv2d', 'conv3d', 'convTranspose1d', 'convTranspose2d', 'convTranspose3d',
];

function got(v: unknown): string {
  return typeof v === 'string' ? `"${v}" (string)` : v === null ? 'null' : typeof v === 'object' ? (Array.isArray(v) ? 'an array' : 'an object') : `${String(v)} (${typeof v})`;
}

/** The tensor argument of an initialiser: a float32 Tensor (TypeError naming the function otherwise). */
function target(t: unknown, who: string): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${who}: tensor must be a Tensor, got ${got(t)}`);
  if (t.dtype !== 'float32') throw new TypeError(`${who}: tensor must be float32, got ${t.dtype}`);
  return t;
}

function finite(v: unknown, who: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${who}: ${what} must be a finite number, got ${got(v)}`);
  return v;
}

/** Writes `values` into t (contiguous or a strided view) and counts an in-place write, as PyTorch's init does. */
function fill(t: Tensor, f: (i: number) => number): Tensor {
  if (t.isContiguous()) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) d[i] = f(i);
  } else {
    const vals = new Float32Array(t.size);
    for (let i = 0; i < vals.length; i++) vals[i] = f(i);
    noGrad(() => t.copy_(new Tensor(vals, [...t.shape])));
    return t;
  }
  t._storage.version++;
  return t;
}

/** PyTorch's calculate_gain (names in camelCase: 'leakyRelu', 'convTranspose2d'). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'sigmoid':
    case 'conv1d': case 'conv2d': case 'conv3d': case 'convTranspose1d': case 'convTranspose2d': case 'convTranspose3d':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'selu': return 3 / 4;
    case 'leakyRelu': {
      const a = param ?? 0.01;
      if (typeof a !== 'number' || !Number.isFinite(a)) throw new TypeError(`calculateGain: negative slope must be a finite number, got ${got(a)}`);
      return Math.sqrt(2 / (1 + a * a));
    }
    default: throw new RangeError(`calculateGain: unknown nonlinearity ${got(nonlinearity)}; known: ${NONLINEARITIES.join(', ')}`);
  }
}

export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out need a tensor of rank ≥ 2, got shape [${t.shape.join(',')}]`);
  let rf = 1;
  for (let i = 2; i < t.ndim; i++) rf *= t.shape[i];
  return [t.shape[1] * rf, t.shape[0] * rf];
}

/** Fills with U(a, b) (torch.nn.init.uniform_). */
export function uniform_(t: Tensor, lo = 0, hi = 1): Tensor {
  target(t, 'uniform_');
  finite(lo, 'uniform_', 'a');
  finite(hi, 'uniform_', 'b');
  const w = hi - lo;
  return fill(t, () => lo + w * defaultGenerator.random());
}

/** Fills with N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  target(t, 'normal_');
  finite(mean, 'normal_', 'mean');
  finite(std, 'normal_', 'std');
  return fill(t, () => mean + std * defaultGenerator.normal());
}

export function constant_(t: Tensor, v: number): Tensor {
  target(t, 'constant_');
  finite(v, 'constant_', 'val');
  return fill(t, () => v);
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/**
 * N(mean, std²) truncated to [a, b] (torch.nn.init.trunc_normal_; a and b are absolute bounds, default
 * [−2, 2]): redraws each value outside the bounds.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  target(t, 'truncNormal_');
  for (const [v, what] of [[mean, 'mean'], [std, 'std'], [a, 'a'], [b, 'b']] as const) finite(v, 'truncNormal_', what);
  if (!(a < b)) throw new RangeError(`truncNormal_: a must be below b, got a = ${a}, b = ${b}`);
  if (mean + 10 * std < a || mean - 10 * std > b) throw new RangeError(`truncNormal_: [${a}, ${b}] is more than 10 std from the mean ${mean}`);
  return fill(t, () => {
    for (;;) {
      const v = mean + std * defaultGenerator.normal();
      if (v >= a && v <= b) return v;
    }
  });
}

/** The identity in a 2-D tensor (torch.nn.init.eye_): ones on the main diagonal of [n, m]. */
export function eye_(t: Tensor): Tensor {
  target(t, 'eye_');
  if (t.ndim !== 2) throw new RangeError(`eye_: tensor must be 2-D, got shape [${t.shape.join(', ')}]`);
  const m = t.shape[1];
  return fill(t, (i) => (Math.floor(i / m) === i % m ? 1 : 0));
}

/**
 * The Dirac delta for a conv weight [outC, inC, ...k] (torch.nn.init.dirac_): the layer passes its input
 * through (channel i of each group to output i); `groups` splits outC into that many identities.
 */
export function dirac_(t: Tensor, groups = 1): Tensor {
  target(t, 'dirac_');
  if (t.ndim < 3 || t.ndim > 5) throw new RangeError(`dirac_: tensor must be 3-, 4- or 5-D, got shape [${t.shape.join(', ')}]`);
  if (!Number.isInteger(groups) || groups < 1 || t.shape[0] % groups !== 0) throw new RangeError(`dirac_: groups must be a positive integer dividing dim 0 (${t.shape[0]}), got ${got(groups)}`);
  const outPer = t.shape[0] / groups;
  const inC = t.shape[1];
  const k = t.shape.slice(2);
  const kSize = k.reduce((p, v) => p * v, 1);
  let centre = 0;
  for (const d of k) centre = centre * d + Math.floor(d / 2);
  const vals = new Float32Array(t.size);
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < Math.min(outPer, inC); d++) vals[((g * outPer + d) * inC + d) * kSize + centre] = 1;
  }
  return fill(t, (i) => vals[i]);
}

/**
 * A (semi-)orthogonal matrix, times `gain` (torch.nn.init.orthogonal_): rows = dim 0, columns the rest
 * flattened; the Q of a QR decomposition of a normal matrix with R's diagonal made positive (modified
 * Gram-Schmidt in float64 on the taller orientation).
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  target(t, 'orthogonal_');
  finite(gain, 'orthogonal_', 'gain');
  if (t.ndim < 2) throw new RangeError(`orthogonal_: tensor must have at least 2 dims, got shape [${t.shape.join(', ')}]`);
  const rows = t.shape[0];
  const cols = t.size / Math.max(rows, 1);
  if (t.size === 0) return t;
  // q: m × n with m ≥ n, column-major columns
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const q = Array.from({ length: n }, () => Float64Array.from({ length: m }, () => defaultGenerator.normal()));
  for (let j = 0; j < n; j++) {
    const v = q[j];
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < m; r++) dot += q[i][r] * v[r];
      for (let r = 0; r < m; r++) v[r] -= dot * q[i][r];
    }
    let norm = 0;
    for (let r = 0; r < m; r++) norm += v[r] * v[r];
    norm = Math.sqrt(norm);
    for (let r = 0; r < m; r++) v[r] /= norm;
  }
  // rows ≥ cols: element (r, c) = q[c][r]; rows < cols: the transpose, (r, c) = q[r][c]
  return fill(t, (i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    return gain * (rows >= cols ? q[c][r] : q[r][c]);
  });
}

/**
 * A sparse 2-D matrix (torch.nn.init.sparse_): N(0, std²) entries, with ⌈sparsity·rows⌉ zeros in each
 * column at random rows.
 */
export function sparse_(t: Tensor, sparsity: number, std = 0.01): Tensor {
  target(t, 'sparse_');
  if (t.ndim !== 2) throw new RangeError(`sparse_: tensor must be 2-D, got shape [${t.shape.join(', ')}]`);
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`sparse_: sparsity must be a number in [0, 1], got ${got(sparsity)}`);
  finite(std, 'sparse_', 'std');
  const [rows, cols] = t.shape;
  const zeros = Math.ceil(sparsity * rows);
  const vals = Float32Array.from({ length: t.size }, () => std * defaultGenerator.normal());
  for (let c = 0; c < cols; c++) {
    const perm = Array.from({ length: rows }, (_, i) => i);
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(defaultGenerator.random() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let z = 0; z < zeros; z++) vals[perm[z] * cols + c] = 0;
  }
  return fill(t, (i) => vals[i]);
}

export interface KaimingOptions {
  /** negative slope of the leaky ReLU after this layer (PyTorch's `a`, default 0) */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

/** `{a, mode, nonlinearity}` or PyTorch's positional `(a, mode, nonlinearity)`, checked. */
function kaimingArgs(o: KaimingOptions | number | undefined, mode: KaimingOptions['mode'] | undefined, nl: Nonlinearity | undefined, who: string): { fan: (t: Tensor) => number; gain: number } {
  const opts: KaimingOptions = typeof o === 'number' ? { a: o, mode, nonlinearity: nl } : o ?? {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new TypeError(`${who}: options must be an object {a, mode, nonlinearity} or the negative slope a, got ${got(o)}`);
  checkOptions(opts, ['a', 'mode', 'nonlinearity'], who);
  const m = opts.mode ?? 'fanIn';
  if (m !== 'fanIn' && m !== 'fanOut') throw new RangeError(`${who}: mode must be 'fanIn' or 'fanOut', got ${got(m)}`);
  const a = finite(opts.a ?? 0, who, 'a');
  const gain = calculateGain(opts.nonlinearity ?? 'leakyRelu', a);
  return { fan: (t) => fans(t)[m === 'fanIn' ? 0 : 1], gain };
}

/**
 * U(−b, b) with b = gain·√(3/fan) (Linear and Conv use a = √5, giving b = 1/√fanIn).
 * `kaimingUniform_(t, {a, mode, nonlinearity})` or PyTorch's `kaimingUniform_(t, a, mode, nonlinearity)`.
 */
export function kaimingUniform_(t: Tensor, o?: KaimingOptions | number, mode?: KaimingOptions['mode'], nonlinearity?: Nonlinearity): Tensor {
  target(t, 'kaimingUniform_');
  const k = kaimingArgs(o, mode, nonlinearity, 'kaimingUniform_');
  const fan = k.fan(t);
  const bound = fan === 0 ? 0 : k.gain * Math.sqrt(3 / fan);
  return uniform_(t, -bound, bound);
}

/** N(0, std²) with std = gain/√fan; options as kaimingUniform_. */
export function kaimingNormal_(t: Tensor, o?: KaimingOptions | number, mode?: KaimingOptions['mode'], nonlinearity?: Nonlinearity): Tensor {
  target(t, 'kaimingNormal_');
  const k = kaimingArgs(o, mode, nonlinearity, 'kaimingNormal_');
  const fan = k.fan(t);
  return normal_(t, 0, fan === 0 ? 0 : k.gain / Math.sqrt(fan));
}

/** U(−b, b) with b = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  target(t, 'xavierUniform_');
  finite(gain, 'xavierUniform_', 'gain');
  const [fanIn, fanOut] = fans(t);
  const b = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -b, b);
}

/** N(0, std²) with std = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  target(t, 'xavierNormal_');
  finite(gain, 'xavierNormal_', 'gain');
  const [fanIn, fanOut] = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}
