/**
 * zeroGrad(false) keeps gradient buffers and the next backward accumulates into them in place (the
 * Linear weight gradient is a beta = 1 GEMM into weight.grad). The results must be bit-identical to
 * dropping the gradients (zeroGrad()), also for a weight used twice in one graph, a gradient that
 * accumulates over two backward passes, and a user-assigned gradient that shares memory with an input.
 */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';

function train(keep: boolean, tied: boolean, steps = 12, twoPasses = tied): Float32Array[] {
  ng.manualSeed(3);
  const l1 = new ng.nn.Linear(20, 16);
  const l2 = new ng.nn.Linear(16, 16);
  const head = new ng.nn.Linear(16, 4);
  const params = [...l1.parameters(), ...l2.parameters(), ...head.parameters()];
  const opt = new ng.optim.Adam(params, { lr: 1e-2 });
  const x = ng.randn([33, 20]);
  const y = Int32Array.from({ length: 33 }, (_, i) => i % 4);
  for (let s = 0; s < steps; s++) {
    let h = l1.forward(x).relu();
    h = l2.forward(h).relu();
    if (tied) h = l2.forward(h).tanh(); // the same weight twice in one graph
    ng.F.crossEntropy(head.forward(h), y).backward();
    if (twoPasses && s % 3 === 1) ng.F.crossEntropy(head.forward(h.detach()), y).backward(); // accumulate a second pass
    opt.step();
    opt.zeroGrad(!keep);
  }
  return params.map((p) => p.data.slice());
}

forEachBackend('gradient buffers kept across steps', ['gemm'], () => {
  it('zeroGrad(false) + in-place accumulation equals zeroGrad() bit for bit (one use per weight, one pass)', () => {
    const a = train(false, false);
    const b = train(true, false);
    for (let i = 0; i < a.length; i++) expect(b[i]).toEqual(a[i]);
  });

  it('with a weight used twice and two backward passes per step: same within float32 rounding', () => {
    // grad + dW₁ + dW₂ is summed in a different order (js also rounds grad + dW once in float64)
    const a = train(false, true);
    const b = train(true, true);
    for (let i = 0; i < a.length; i++) {
      for (let k = 0; k < a[i].length; k++) expect(Math.abs(b[i][k] - a[i][k])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(a[i][k])));
    }
    expect(train(true, true)).toEqual(b); // and deterministic
  });

  it('accumulates into the existing buffer (same object) and keeps zeros visible after zeroGrad(false)', () => {
    ng.manualSeed(1);
    const lin = new ng.nn.Linear(64, 64);
    const opt = new ng.optim.SGD(lin.parameters(), { lr: 0.1 });
    const x = ng.randn([8, 64]);
    lin.forward(x).sum().backward();
    const buf = lin.weight.grad!.data;
    const first = buf.slice();
    opt.zeroGrad(false);
    expect(lin.weight.grad!.data.every((v) => v === 0)).toBe(true);
    lin.forward(x).sum().backward();
    expect(lin.weight.grad!.data).toBe(buf); // written in place
    expect(buf).toEqual(first);
    lin.forward(x).sum().backward(); // no zeroGrad: accumulates
    for (let i = 0; i < buf.length; i += 97) expect(buf[i]).toBeCloseTo(2 * first[i], 5);
  });

  it('a gradient buffer that aliases an input is not written in place', () => {
    const lin = new ng.nn.Linear(4, 4, { bias: false });
    const x = ng.randn([4, 4]);
    lin.weight.grad = new ng.Tensor(x.data, [4, 4]); // user aliasing: grad shares x's memory
    const xBefore = x.data.slice();
    lin.forward(x).sum().backward();
    // PyTorch semantics: the old grad is added to in place through the ordinary path, never used as GEMM output over its own input
    const expected = new Float32Array(16);
    for (let o = 0; o < 4; o++) for (let i = 0; i < 4; i++) {
      let s = 0;
      for (let r = 0; r < 4; r++) s += xBefore[r * 4 + i];
      expected[o * 4 + i] = Math.fround(xBefore[o * 4 + i] + s);
    }
    for (let k = 0; k < 16; k++) expect(lin.weight.grad!.data[k]).toBeCloseTo(expected[k], 5);
  });
});
