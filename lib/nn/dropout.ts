/**
 * Inverted dropout (torch.nn.functional.dropout) on the backend's counter-based mask kernel: each call
 * draws a 64-bit key (two 32-bit words) from the library's generator, so `ng.manualSeed` makes the
 * masks reproducible, and the mask of element i is a hash of (key, i) — identical on every backend and
 * thread count (contract: Backend.dropout). The backward rule regenerates the mask from the key instead
 * of keeping it: no mask buffer lives between forward and backward.
 */
import { current } from '../backend/registry.js';
import { accumulate, needsGrad1, record } from '../autograd.js';
import { defaultGenerator } from '../random.js';
import { Tensor } from '../tensor.js';
import { emptyF32 } from '../util/alloc.js';

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 − p) when `training`; returns x
 * itself otherwise (and for p = 0). p in [0, 1] (else RangeError); x must be float32.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`dropout: input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${String(p)}`);
  if (typeof training !== 'boolean') throw new TypeError(`dropout: training must be a boolean, got ${typeof training}`);
  if (!training || p === 0) return x;
  if (x.dtype !== 'float32') throw new TypeError(`dropout: input must be a float32 tensor, got ${x.dtype}`);
  const n = x.size;
  const seed0 = defaultGenerator.nextU32();
  const seed1 = defaultGenerator.nextU32();
  const out = new Tensor(emptyF32(n), x.shape);
  if (n > 0) current.dropout(x.data, out.data, n, p, seed0, seed1, 0);
  if (needsGrad1(x)) {
    record(out, [x], (g) => {
      const dx = emptyF32(n);
      if (n > 0) current.dropout(g, dx, n, p, seed0, seed1, 0);
      accumulate(x, dx, true);
    }, []);
  }
  return out;
}
