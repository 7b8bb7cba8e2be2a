/**
 * Native kernels on strided views vs the js reference: every op that reads storage strides (binary
 * element-wise with broadcast, matmul with transposed / row-strided / batched views, strided copies
 * behind contiguous() and concat) on odd sizes, native and js results compared.
 */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { backends, getBackend, setBackend, setSmallOpRouting } from '../../lib/backend/registry.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

const SIZES = [1, 7, 17, 33, 257];
const hasNative = backends().includes('native');

/** Runs fn on js and on native (small-op routing off) and returns both results' data. */
function both(fn: () => ng.Tensor): [Float32Array, Float32Array] {
  const prev = getBackend();
  const prevRoute = setSmallOpRouting(false);
  try {
    setBackend('js');
    const a = Float32Array.from(fn().data);
    setBackend('native');
    const b = Float32Array.from(fn().data);
    return [a, b];
  } finally {
    setBackend(prev);
    setSmallOpRouting(prevRoute);
  }
}

describe.skipIf(!hasNative)('strided views: native vs js', () => {
  it('binary ops on transposed, sliced and expanded operands', () => {
    for (const n of SIZES) {
      const x = randData([n, 5], n, { lo: 0.5, hi: 2 });
      const y = randData([5, n], n + 1, { lo: 0.5, hi: 2 });
      for (const [name, f] of [
        ['add', (a: ng.Tensor, b: ng.Tensor) => a.add(b)], ['sub', (a: ng.Tensor, b: ng.Tensor) => a.sub(b)],
        ['mul', (a: ng.Tensor, b: ng.Tensor) => a.mul(b)], ['div', (a: ng.Tensor, b: ng.Tensor) => a.div(b)],
        ['pow', (a: ng.Tensor, b: ng.Tensor) => a.pow(b)], ['maximum', (a: ng.Tensor, b: ng.Tensor) => a.maximum(b)],
      ] as const) {
        const [j, v] = both(() => f(x, y.t()));
        expectClose(v, j, { rtol: 2e-6, atol: 1e-6 }, `${name} ${n}×5 with a transposed operand`);
        const [j2, v2] = both(() => f(x.slice(1, 0, 5, 2), y.t().select(1, 1).unsqueeze(1).expand(-1, 3)));
        expectClose(v2, j2, { rtol: 2e-6, atol: 1e-6 }, `${name} stepped slice with an expanded column`);
      }
    }
  });

  it('matmul with transposed, row-strided and batched views', () => {
    for (const n of SIZES) {
      const a = randData([n, 9], 100 + n);
      const b = randData([n, 9], 200 + n);
      let [j, v] = both(() => a.matmul(b.t()));
      expectClose(v, j, { rtol: 1e-4, atol: 1e-5 }, `a·bᵀ ${n}`);
      [j, v] = both(() => a.t().matmul(b));
      expectClose(v, j, { rtol: 1e-4, atol: 1e-5 }, `aᵀ·b ${n}`);
      [j, v] = both(() => a.slice(1, 2, 9).t().matmul(b.slice(1, 1, 8)));
      expectClose(v, j, { rtol: 1e-4, atol: 1e-5 }, `row-strided slices ${n}`);
      const qkv = randData([2, n, 3 * 8], 300 + n);
      const [q, k] = qkv.split(8, 2).map((t) => t.view(2, n, 2, 4).transpose(1, 2));
      [j, v] = both(() => q.matmul(k.mT));
      expectClose(v, j, { rtol: 1e-4, atol: 1e-5 }, `head views of a fused qkv, T=${n}`);
    }
  });

  it('gradients through strided matmul and broadcasting agree', () => {
    for (const n of [7, 33]) {
      const grads = (): ng.Tensor => {
        const a = randData([n, 6], 400 + n, { requiresGrad: true });
        const b = randData([n, 6], 500 + n, { requiresGrad: true });
        a.matmul(b.t()).mul(b.select(1, 2).unsqueeze(0)).sum().backward();
        return ng.concat([a.grad!.flatten(), b.grad!.flatten()]);
      };
      const [j, v] = both(grads);
      expectClose(v, j, { rtol: 1e-4, atol: 1e-5 }, `grads ${n}`);
    }
  });

  it('contiguous() of permuted views and concat of strided views', () => {
    for (const n of SIZES) {
      const x = randData([3, n, 4], 600 + n);
      let [j, v] = both(() => x.permute(2, 0, 1).contiguous());
      expect(Array.from(v)).toEqual(Array.from(j));
      [j, v] = both(() => ng.concat([x.transpose(0, 2), x.slice(2, 1, 4).transpose(0, 2)], 0));
      expect(Array.from(v)).toEqual(Array.from(j));
    }
  });
});
