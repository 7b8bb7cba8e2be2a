/**
 * Our optimizers against a numpy float64 reference with PyTorch's exact formulas
 * (fixtures/make_fixture.py → fixtures/optim-reference.json): 10 steps of SGD-momentum (plain,
 * dampening + L2, nesterov + L2), Adam (plain, L2), AdamW (decoupled), RMSprop (plain, momentum + L2)
 * on a small linear regression, gradients from our autograd in float32. Every parameter after every
 * step within rtol 1e-5 (atol 1e-7 for values near 0), on every backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import * as F from '../../lib/nn/functional.js';
import { Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../lib/optim/index.js';
import { Tensor, tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';

interface Step { W: number[][]; b: number[]; loss: number }
interface Case { optimizer: string; options: Record<string, unknown>; steps: Step[] }
interface Fixture { X: number[][]; Y: number[][]; W0: number[][]; b0: number[]; cases: Case[] }

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'optim-reference.json'), 'utf8')) as Fixture;
const RTOL = 1e-5;
const ATOL = 1e-7;
const KERNELS = ['gemm', 'binary', 'reduce', 'unary', 'adamStep', 'sgdStep', 'rmspropStep'] as const;

function make(c: Case, ps: Tensor[]): Optimizer {
  const o = c.options as never;
  switch (c.optimizer) {
    case 'SGD': return new SGD(ps, o);
    case 'Adam': return new Adam(ps, o);
    case 'AdamW': return new AdamW(ps, o);
    case 'RMSprop': return new RMSprop(ps, o);
    default: throw new Error(`unknown optimizer ${c.optimizer}`);
  }
}

function worst(got: ArrayLike<number>, want: number[]): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (ATOL + RTOL * Math.abs(want[i])));
  return w; // ≤ 1 passes
}

it('the fixture has 8 cases of 10 steps', () => {
  expect(fx.cases.map((c) => c.optimizer)).toEqual(['SGD', 'SGD', 'SGD', 'Adam', 'Adam', 'AdamW', 'RMSprop', 'RMSprop']);
  for (const c of fx.cases) expect(c.steps).toHaveLength(10);
});

forEachBackend('optimizers vs numpy float64 (PyTorch formulas)', KERNELS, () => {
  for (const c of fx.cases) {
    it(`${c.optimizer} ${JSON.stringify(c.options)}`, () => {
      const X = tensor(fx.X);
      const Y = tensor(fx.Y);
      const W = new Tensor(Float32Array.from(fx.W0.flat()), [2, 3], true);
      const b = new Tensor(Float32Array.from(fx.b0), [2], true);
      const opt = make(c, [W, b]);
      c.steps.forEach((ref, k) => {
        const loss = F.mseLoss(X.matmul(W.transpose(0, 1)).add(b), Y);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        const e = Math.max(worst(W.data, ref.W.flat()), worst(b.data, ref.b));
        if (e > 1) {
          throw new Error(`step ${k + 1}: off by ${e.toFixed(2)}× the tolerance; W ${Array.from(W.data)} vs ${ref.W.flat()}, b ${Array.from(b.data)} vs ${ref.b}`);
        }
      });
      expect(opt.stepCount).toBe(10);
    });
  }
});
