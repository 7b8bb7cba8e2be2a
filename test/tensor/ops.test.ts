/**
 * Reductions, scans, indexing, linear-algebra helpers, autograd tools and printing: values and
 * gradients against PyTorch (test/tensor/fixtures/make_ops_fixture.py), gradchecks, on every backend.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import * as ng from '../../lib/index.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

nativeKernelsOnly();

type Num = number | string;
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'ops-reference.json'), 'utf8')) as {
  x: number[][]; cases: { name: string; shape: number[]; values: Num[]; grad: Num[] }[]; nograd: Record<string, unknown>;
};
const num = (a: Num[]): number[] => a.map(Number);
const X = (rg = false): ng.Tensor => ng.tensor(fx.x, { requiresGrad: rg });

const OPS: Record<string, (x: ng.Tensor) => ng.Tensor> = {
  'var dim 1': (x) => x.var(1),
  'var all correction 0': (x) => x.var(null, { correction: 0 }),
  'std dim 0 keepdim': (x) => x.std(0, { keepDim: true }),
  'norm 2': (x) => x.norm(),
  'norm 1 dim 1': (x) => x.norm(1, 1),
  'norm inf dim 0': (x) => x.norm(Infinity, 0),
  'norm 3 dim 1': (x) => x.norm(3, 1),
  'logsumexp dim 1': (x) => x.logsumexp(1),
  'logsumexp dims 0,1 keepdim': (x) => x.logsumexp([0, 1], true),
  'cumsum dim 1': (x) => x.cumsum(1),
  'cumprod dim 1': (x) => x.cumprod(1),
  'cumprod dim 0': (x) => x.cumprod(0),
  'prod dim 1': (x) => x.prod(1),
  'prod all': (x) => x.prod(),
  'prod dim 0 keepdim': (x) => x.prod(0, true),
  'sort dim 1': (x) => x.sort(1),
  'sort dim 0 descending': (x) => x.sort(0, true),
  'indexSelect dim 1': (x) => x.indexSelect(1, ng.tensor([3, 0, 0], { dtype: 'int32' })),
  'indexSelect dim 0': (x) => x.indexSelect(0, [2, 1]),
  'flip dims 0,1': (x) => x.flip([0, 1]),
  'roll 1 dim 1': (x) => x.roll(1, 1),
  'roll -5 flat': (x) => x.roll(-5),
  'roll (1,2) dims (0,1)': (x) => x.roll([1, 2], [0, 1]),
  'repeat 2,1,2': (x) => x.repeat(2, 1, 2),
  'tile 2': (x) => x.tile([2]),
  'outer rows': (x) => ng.outer(x.select(0, 0), x.select(0, 1)),
  'dot rows': (x) => ng.dot(x.select(0, 0), x.select(0, 2)),
  'mm xT': (x) => ng.mm(x, x.t()),
};

forEachBackend('PyTorch parity: reductions, scans, indexing', ['copy', 'binary', 'reduce', 'gemm'], () => {
  it('covers every fixture case', () => expect(fx.cases.map((c) => c.name).sort()).toEqual(Object.keys(OPS).sort()));
  for (const c of fx.cases) {
    it(`${c.name}: values and gradient`, () => {
      const x = X(true);
      const y = OPS[c.name](x);
      expect(y.shape).toEqual(c.shape);
      expectClose(y.data, num(c.values), { rtol: 2e-5, atol: 1e-5 }, 'values');
      const w = new ng.Tensor(Float32Array.from({ length: y.size }, (_, i) => i * 0.5 - 1), [...y.shape]);
      y.mul(w).sum().backward();
      expectClose(x.grad!.data, num(c.grad), { rtol: 2e-5, atol: 1e-5 }, 'grad');
    });
  }
  it('index results, bool reductions and element tests', () => {
    const x = X();
    const g = fx.nograd;
    expect(Array.from(x.argsort(1).data)).toEqual(g['argsort dim 1']);
    expect(Array.from(x.argsort(0, true).data)).toEqual(g['argsort dim 0 descending']);
    expect(x.sort(1).indices.dtype).toBe('int32');
    expect(Array.from(x.sort(1).indices.data)).toEqual(g['sort indices dim 1']);
    expect(x.gt(3).any(1).toArray()).toEqual(g['any dim 1']);
    expect(x.ne(0).all(0).toArray()).toEqual(g['all dim 0']);
    expect(x.gt(10).any().item()).toBe(g['any all'] ? 1 : 0);
    const n = ng.tensor([1, NaN, Infinity, -Infinity, -0.5]);
    expect(n.isnan().toArray()).toEqual(g.isnan);
    expect(n.isinf().toArray()).toEqual(g.isinf);
    expect(n.isfinite().toArray()).toEqual(g.isfinite);
    expectClose(n.nanToNum().data, num(g.nanToNum as Num[]), { rtol: 1e-7, atol: 0 });
    expect(Array.from(n.nanToNum({ nan: 7, posinf: 1, neginf: -1 }).data)).toEqual(num(g['nanToNum custom'] as Num[]));
    expect(Array.from(n.sort().data)).toEqual(num(g['sort nan'] as Num[]));
    expect(ng.tensor([3, 1], { dtype: 'int32' }).isfinite().toArray()).toEqual([true, true]);
  });
  it('gradchecks on random data', () => {
    const a = randData([3, 5], 1, { requiresGrad: true });
    gradcheck((t) => t.var(1), [a]);
    gradcheck((t) => t.std(null, { correction: 0 }), [a]);
    gradcheck((t) => t.norm(2, 1), [a]);
    gradcheck((t) => t.logsumexp(0), [a]);
    gradcheck((t) => t.cumsum(1).mul(t), [a]);
    gradcheck((t) => t.cumprod(0), [a]);
    gradcheck((t) => t.prod(1), [a]);
    gradcheck((t) => t.sort(1, true).mul(ng.arange(5)), [a]);
    gradcheck((t) => t.indexSelect(0, [2, 2, 0]), [a]);
    gradcheck((t) => t.flip(1).roll(2, 1).repeat(2, 1), [a]);
    gradcheck((t) => t.nanToNum().mul(t), [a]);
  });
});

describe('ops errors', () => {
  it('name the op and the argument', () => {
    const x = ng.zeros([2, 3]);
    expect(() => x.indexSelect(1, [3])).toThrow(/indexSelect: index 3 is out of range for a dim of size 3/);
    expect(() => x.indexSelect(1, ng.zeros([1]))).toThrow(/indexSelect: index must be an int32 tensor/);
    expect(() => x.var(1, { corection: 1 } as never)).toThrow(/var: unknown option 'corection'/);
    expect(() => x.norm(0)).toThrow(/norm: p must be/);
    expect(() => x.roll([1, 2], [0])).toThrow(/roll: 2 shifts for 1 dims/);
    expect(() => x.repeat(2)).toThrow(/repeat: 1 sizes for a tensor of rank 2/);
    expect(() => ng.dot(x, x)).toThrow(/dot: expects two 1-D tensors/);
    expect(() => ng.bmm(x, x)).toThrow(/bmm: expects two 3-D tensors/);
    expect(() => x.logsumexp(undefined as never)).toThrow(/logsumexp: dim is required/);
    expect(() => x.nanToNum({ inf: 1 } as never)).toThrow(/nanToNum: unknown option 'inf'/);
  });
});

describe('autograd tools', () => {
  it('retainGrad keeps a non-leaf gradient; registerHook sees and may replace gradients', () => {
    const x = ng.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2).retainGrad();
    const seen: number[][] = [];
    const h = y.registerHook((g) => { seen.push(Array.from(g.data)); return g.mul(10); });
    y.square().sum().backward();
    expect(Array.from(y.grad!.data)).toEqual([40, 80, 120]); // the retained gradient is the hooked one (PyTorch 2: retain_grad runs last)
    expect(seen).toEqual([[4, 8, 12]]);
    expect(Array.from(x.grad!.data)).toEqual([80, 160, 240]); // the hook's ×10 flowed on
    h.remove();
    x.grad = null;
    y.square().sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([8, 16, 24]);
    const leafSeen: number[] = [];
    x.registerHook((g) => { leafSeen.push(g.data[0]); });
    x.mul(3).sum().backward();
    expect(leafSeen).toEqual([3]);
    expect(() => ng.zeros([1]).registerHook(() => {})).toThrow(/does not require grad/);
  });
  it('autograd.grad returns gradients without touching .grad', () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const w = ng.tensor([3, 4], { requiresGrad: true });
    const y = x.mul(w).sum();
    const [gx, gw] = ng.autograd.grad(y, [x, w]);
    expect(Array.from(gx!.data)).toEqual([3, 4]);
    expect(Array.from(gw!.data)).toEqual([1, 2]);
    expect(x.grad).toBeNull();
    const z = x.mul(2);
    const [gz] = ng.autograd.grad(z, x, { gradOutputs: ng.tensor([1, 10]) });
    expect(Array.from(gz!.data)).toEqual([2, 20]);
    const u = ng.tensor([1], { requiresGrad: true });
    expect(() => ng.autograd.grad(y, [u])).toThrow(/appears to not have been used/);
    expect(ng.autograd.grad(y, [u], { allowUnused: true })).toEqual([null]);
    expect(() => ng.autograd.grad(y, [x], { createGraph: true })).toThrow(/createGraph is not supported/);
    expect(() => ng.autograd.grad(z, [x])).toThrow(/implicitly created only for scalar outputs/);
    const [gh] = ng.autograd.grad(y, [z.add(0)], { allowUnused: true });
    expect(gh).toBeNull();
  });
  it('enableGrad inside noGrad; backward options', () => {
    const x = ng.tensor([2], { requiresGrad: true });
    const y = ng.noGrad(() => ng.enableGrad(() => x.mul(x)));
    expect(y.requiresGrad).toBe(true);
    y.backward({ retainGraph: true });
    y.backward(undefined, { retainGraph: true });
    expect(x.grad!.item()).toBe(8);
    expect(() => y.backward({ retainGrap: true } as never)).toThrow(/unknown option 'retainGrap'/);
  });
  it('numel, dim, util.inspect', () => {
    const t = ng.tensor([[1, 2], [3, 4]]);
    expect(t.numel()).toBe(4);
    expect(t.dim()).toBe(2);
    expect(util.inspect(t)).toBe('tensor([[1, 2], [3, 4]])');
    expect(util.inspect(ng.tensor([1, 2], { dtype: 'int32' }))).toBe('tensor([1, 2], dtype=int32)');
    expect(util.inspect(ng.arange(2000))).toBe('tensor([0, 1, 2, ..., 1997, 1998, 1999])');
    expect(util.inspect(t.t())).toBe('tensor([[1, 3], [2, 4]])');
  });
});
