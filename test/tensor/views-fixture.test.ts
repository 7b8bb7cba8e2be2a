/** Replays PyTorch's view fixture (test/tensor/fixtures/make_views_fixture.py) on every backend. */
import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ng from '../../lib/index.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';

nativeKernelsOnly();

type Op = [string, ...unknown[]];
interface Case {
  shape: number[]; ops: Op[]; viewShape: number[]; stride: number[]; storageOffset: number;
  isContiguous: boolean; sharesStorage: boolean; values: number[]; baseAfterWrite?: number[]; grad: number[];
}
interface Promo { a: ng.DType; b: ng.DType; op: string; dtype?: ng.DType; values?: (number | string)[]; error?: boolean }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'views-reference.json'), 'utf8')) as { cases: Case[]; promotion: Promo[] };

function apply(t: ng.Tensor, op: Op): ng.Tensor {
  const [k, ...a] = op as [string, ...never[]];
  switch (k) {
    case 'permute': return t.permute(a[0]);
    case 'transpose': return t.transpose(a[0], a[1]);
    case 't': return t.t();
    case 'mT': return t.mT;
    case 'expand': return t.expand(a[0]);
    case 'slice': return t.slice(a[0], a[1] ?? 0, a[2] ?? undefined, a[3] ?? 1);
    case 'select': return t.select(a[0], a[1]);
    case 'narrow': return t.narrow(a[0], a[1], a[2]);
    case 'view': return t.view(a[0]);
    case 'reshape': return t.reshape(a[0]);
    case 'unsqueeze': return t.unsqueeze(a[0]);
    case 'squeeze': return t.squeeze(a[0] ?? undefined);
    case 'split': return t.split(a[0], a[1])[a[2]];
    case 'chunk': return t.chunk(a[0], a[1])[a[2]];
    case 'unbind': return t.unbind(a[0])[a[1]];
    default: throw new Error(`unknown op ${k}`);
  }
}

const base = (shape: number[], requiresGrad = false): ng.Tensor => {
  const n = shape.reduce((x, y) => x * y, 1);
  return new ng.Tensor(Float32Array.from({ length: n }, (_, i) => i), shape, requiresGrad);
};

forEachBackend('PyTorch view fixture', ['copy', 'binary'], () => {
  it('has cases', () => expect(fixture.cases.length).toBeGreaterThanOrEqual(20));
  for (const c of fixture.cases) {
    const label = `${JSON.stringify(c.shape)} ${c.ops.map((o) => o[0]).join('→')}`;
    it(`${label}: geometry, values, writes, gradient`, () => {
      const b = base(c.shape);
      let v = b;
      for (const op of c.ops) v = apply(v, op);
      expect(v.shape).toEqual(c.viewShape);
      if (c.sharesStorage) {
        expect(v.untypedStorage()).toBe(b.untypedStorage());
        expect(v.stride()).toEqual(c.stride);
        expect(v.storageOffset()).toBe(c.storageOffset);
      }
      expect(v.isContiguous()).toBe(c.isContiguous);
      expect(Array.from(v.data)).toEqual(c.values);
      if (c.baseAfterWrite) {
        const b2 = base(c.shape);
        let v2 = b2;
        for (const op of c.ops) v2 = apply(v2, op);
        v2.mul_(-1).add_(0.5);
        expect(Array.from(b2.data)).toEqual(c.baseAfterWrite);
      }
      const x = base(c.shape, true);
      let y = x;
      for (const op of c.ops) y = apply(y, op);
      const n = y.size;
      const w = new ng.Tensor(Float32Array.from({ length: n }, (_, i) => i * 0.25 + 1), [...y.shape]);
      y.mul(w).sum().backward();
      expect(Array.from(x.grad!.data)).toEqual(c.grad);
    });
  }

  it('dtype promotion and results match PyTorch for add, mul, div, maximum, eq, lt', () => {
    const fns: Record<string, (a: ng.Tensor, b: ng.Tensor) => ng.Tensor> = {
      add: (a, b) => a.add(b), mul: (a, b) => a.mul(b), div: (a, b) => a.div(b),
      maximum: (a, b) => a.maximum(b), eq: (a, b) => a.eq(b), lt: (a, b) => a.lt(b),
    };
    for (const r of fixture.promotion) {
      const a = ng.tensor([1, 0, 1], { dtype: r.a });
      const b = ng.tensor([1, 1, 0], { dtype: r.b });
      const what = `${r.a} ${r.op} ${r.b}`;
      if (r.error) { expect(() => fns[r.op](a, b), what).toThrow(); continue; }
      const out = fns[r.op](a, b);
      expect(out.dtype, what).toBe(r.dtype);
      expect(Array.from(out.data, Number), what).toEqual(r.values!.map(Number)); // 'inf' / 'nan' strings: JSON has no Infinity
    }
  });
});
