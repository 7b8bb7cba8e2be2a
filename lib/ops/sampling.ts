/**
 * topk (torch.topk) on the backend's sort kernel, and multinomial sampling (torch.multinomial) from the
 * library's seeded generator (or one passed in), so `ng.manualSeed` makes samples reproducible.
 */
import { Generator, defaultGenerator } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { fmtShape, normDim } from '../util/shape.js';
import { contiguous, narrow } from './shape.js';
import { sort } from './reorder.js';

export type TopkResult = { readonly values: Tensor; readonly indices: Tensor } & Iterable<Tensor>;

function pair(values: Tensor, indices: Tensor): TopkResult {
  return { values, indices, *[Symbol.iterator]() { yield values; yield indices; } };
}

export interface TopkOptions {
  /** the k largest (default) or the k smallest */
  largest?: boolean;
  /** returned in sorted order (always true here, as PyTorch's CPU kernel) */
  sorted?: boolean;
}

/**
 * The k largest (or smallest) elements along `dim` (default the last) in sorted order: {values,
 * indices} (indices int32), also destructurable as [values, indices]. Differentiable in values.
 */
export function topk(x: Tensor, k: number, dim = -1, opts: TopkOptions = {}): TopkResult {
  if (!(x instanceof Tensor)) throw new TypeError(`topk: expected a Tensor, got ${x === null ? 'null' : typeof x}`);
  checkOptions(opts, ['largest', 'sorted'], 'topk');
  const d = normDim(dim, Math.max(x.ndim, 1), 'topk');
  const n = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`topk: k must be an integer in [0, ${n}] for dim ${dim} of ${fmtShape(x.shape)}, got ${String(k)}`);
  const s = sort(x, x.ndim === 0 ? -1 : d, opts.largest ?? true);
  if (x.ndim === 0) return pair(s, s.indices);
  return pair(narrow(s, d, 0, k), contiguous(narrow(s.indices, d, 0, k)));
}

export interface MultinomialOptions {
  /** draw with replacement (default false, as PyTorch) */
  replacement?: boolean;
  /** the generator to draw from (default: the library's, seeded by ng.manualSeed) */
  generator?: Generator;
}

/**
 * numSamples category indices per row of probs ([C] or [N, C], non-negative weights, not necessarily
 * normalised), int32 [numSamples] or [N, numSamples] (torch.multinomial). Without replacement each
 * row needs at least numSamples non-zero weights.
 */
export function multinomial(probs: Tensor, numSamples: number, opts: MultinomialOptions = {}): Tensor {
  if (!(probs instanceof Tensor)) throw new TypeError('multinomial: probs must be a Tensor');
  checkOptions(opts, ['replacement', 'generator'], 'multinomial');
  if (probs.dtype !== 'float32') throw new TypeError(`multinomial: probs must be float32, got ${probs.dtype}`);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new Error(`multinomial: probs must be 1-D or 2-D, got ${fmtShape(probs.shape)}`);
  const replacement = opts.replacement ?? false;
  const g = opts.generator ?? defaultGenerator;
  if (!(g instanceof Generator)) throw new TypeError('multinomial: generator must be an ng.Generator');
  const C = probs.shape[probs.ndim - 1];
  const N = probs.ndim === 2 ? probs.shape[0] : 1;
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new RangeError(`multinomial: numSamples must be a positive integer, got ${String(numSamples)}`);
  if (!replacement && numSamples > C) throw new RangeError(`multinomial: cannot draw ${numSamples} samples from ${C} categories without replacement`);
  const p = contiguous(probs).data as Float32Array;
  const out = new Int32Array(N * numSamples);
  const w = new Float64Array(C);
  for (let r = 0; r < N; r++) {
    let total = 0;
    let nonzero = 0;
    for (let c = 0; c < C; c++) {
      const v = p[r * C + c];
      if (!(v >= 0) || v === Infinity) throw new RangeError(`multinomial: probs row ${r} has an invalid weight ${v} (must be finite and non-negative)`);
      w[c] = v;
      total += v;
      if (v > 0) nonzero++;
    }
    if (!(total > 0)) throw new RangeError(`multinomial: probs row ${r} sums to 0`);
    if (!replacement && nonzero < numSamples) throw new RangeError(`multinomial: probs row ${r} has ${nonzero} non-zero weights, fewer than numSamples ${numSamples} (without replacement)`);
    for (let s = 0; s < numSamples; s++) {
      let u = g.random() * total;
      let pick = -1;
      for (let c = 0; c < C; c++) {
        if (w[c] <= 0) continue;
        pick = c;
        u -= w[c];
        if (u < 0) break;
      }
      out[r * numSamples + s] = pick;
      if (!replacement) {
        total -= w[pick];
        w[pick] = 0;
      }
    }
  }
  return new Tensor(out, probs.ndim === 2 ? [N, numSamples] : [numSamples]);
}
