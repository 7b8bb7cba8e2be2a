/**
 * ng.einsum against torch.einsum (test/einsum/fixtures/make_einsum_fixture.py): values and the gradient of
 * sum(out * w) for every operand, on every backend; finite-difference gradchecks; it runs on the GEMM
 * (a transposed operand goes in as a view, not a copy); PyTorch's errors for bad equations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose, REDUCTION } from '../helpers/tolerance.js';

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'einsum-reference.json'), 'utf8')) as {
  cases: { equation: string; shapes: number[][]; shape: number[]; values: number[]; grads: number[][] }[];
};

function inputs(shapes: number[][], requiresGrad = true): ng.Tensor[] {
  return shapes.map((s, k) => {
    const n = s.reduce((a, b) => a * b, 1);
    return ng.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + k)), s, { requiresGrad });
  });
}

forEachBackend('einsum vs PyTorch 1.13', ['gemm'], () => {
  for (const c of fx.cases) {
    it(`'${c.equation}' on ${c.shapes.map((s) => `[${s.join(',')}]`).join(' ')}`, () => {
      const xs = inputs(c.shapes);
      const y = ng.einsum(c.equation, ...xs);
      expect(y.shape).toEqual(c.shape);
      expectClose(y.data, c.values, REDUCTION);
      const w = ng.tensor(Float32Array.from({ length: y.size }, (_, i) => i * 0.25 - 0.5), [...y.shape]);
      y.mul(w).sum().backward();
      xs.forEach((x, k) => expectClose(x.grad ? x.grad.data : new Float32Array(x.size), c.grads[k], REDUCTION, `grad of operand ${k}`));
    });
  }

  it('takes the operands as one array too', () => {
    const [a, b] = inputs([[2, 3], [3, 4]], false);
    expect(ng.einsum('ij,jk->ik', [a, b]).toArray()).toEqual(ng.einsum('ij,jk->ik', a, b).toArray());
    expect(ng.einsum('ij,jk->ik', [a, b]).toArray()).toEqual(a.matmul(b).toArray());
  });

  it('finite-difference gradients: batched product, trace, diagonal with broadcast, three operands', () => {
    const r = (s: number[], seed: number) => randData(s, seed, { requiresGrad: true });
    gradcheck((a, b) => ng.einsum('bij,bkj->bik', a, b), [r([2, 3, 4], 1), r([2, 5, 4], 2)]);
    gradcheck((a) => ng.einsum('ii', a), [r([4, 4], 3)]);
    gradcheck((a, b) => ng.einsum('...ii,...i->...i', a, b), [r([2, 3, 3], 4), r([1, 3], 5)]);
    gradcheck((a, b, c) => ng.einsum('ij,jk,kl->il', a, b, c), [r([2, 3], 6), r([3, 4], 7), r([4, 2], 8)]);
    gradcheck((a, b) => ng.einsum('ij,ij->', a, b), [r([1, 4], 9), r([3, 4], 10)]);
  });
});

describe('einsum: the GEMM and errors', () => {
  it("'ij,kj->ik' equals a.matmul(b.t()) (b goes to the GEMM as a transposed view)", () => {
    const [a, b] = inputs([[5, 7], [3, 7]], false);
    const y = ng.einsum('ij,kj->ik', a, b);
    expectClose(y.data, a.matmul(b.t()).data, REDUCTION);
  });

  it('matmul of empty batched matrices ([1,2,0]·[1,0,3]) is zeros with zero gradients (it threw reading null)', () => {
    const a = ng.zeros([1, 2, 0], { requiresGrad: true });
    const b = ng.zeros([1, 0, 3], { requiresGrad: true });
    const y = a.matmul(b);
    expect(y.shape).toEqual([1, 2, 3]);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0, 0, 0]);
    y.sum().backward();
    expect(a.grad!.shape).toEqual([1, 2, 0]);
    expect(b.grad!.shape).toEqual([1, 0, 3]);
  });

  it('bad equations and operands name the problem as torch does', () => {
    const [a, b] = inputs([[2, 3], [4, 5]], false);
    expect(() => ng.einsum('ij,jk->ik', a, b)).toThrow(/einsum: subscript 'j' of operand 1 \(shape \[4,5\]\) has size 4, elsewhere 3/);
    expect(() => ng.einsum('ij->ii', a)).toThrow(/output subscript 'i' appears more than once/);
    expect(() => ng.einsum('ij->k', a)).toThrow(/output subscript 'k' does not appear in the inputs/);
    expect(() => ng.einsum('ijk', a)).toThrow(/operand 0 has 3 subscript\(s\) \("ijk"\) but 2 dim\(s\)/);
    expect(() => ng.einsum('ij,jk', a)).toThrow(/has subscripts for 2 operand\(s\) but 1 were given/);
    expect(() => ng.einsum('i1', a)).toThrow(/invalid subscript '1'/);
    expect(() => ng.einsum('......', a)).toThrow(/more than one '\.\.\.'/);
    expect(() => ng.einsum('ij->i->j', a)).toThrow(/more than one '->'/);
    expect(() => ng.einsum('ii', ng.zeros([2, 3]))).toThrow(/subscript 'i' is repeated in operand 0 .* for dims of sizes 2 and 3/);
    expect(() => ng.einsum(3 as unknown as string, a)).toThrow(TypeError);
    expect(() => ng.einsum('ij', [1, 2] as unknown as ng.Tensor)).toThrow(/einsum: operand 0 must be a Tensor, got number/);
    expect(() => ng.einsum('i,i', ng.zeros([2]), 'x' as unknown as ng.Tensor)).toThrow(/einsum: operand 1 must be a Tensor, got string/);
    expect(() => ng.einsum('i', ng.tensor([1, 2], { dtype: 'int32' }))).toThrow(/operand 0 has dtype int32/);
    expect(() => ng.einsum('ij')).toThrow(/at least one operand/);
  });
});
