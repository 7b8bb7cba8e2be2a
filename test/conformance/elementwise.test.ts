/** Forward values of element-wise ops and activations on every backend vs float64 formulas and the js reference. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { erf } from '../../lib/backend/js/math.js';
import type { Tensor } from '../../lib/tensor.js';
import { forEachBackend, onJs, nativeKernelsOnly } from '../helpers/backends.js';
import { randData } from '../helpers/random.js';
import { ELEMENTWISE, expectClose } from '../helpers/tolerance.js';

nativeKernelsOnly(); // on [native], small sizes would otherwise run on the js kernels

const SIZES = [1, 7, 17, 33, 257];
const EW = ['unary', 'binary', 'copy'];

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const UNARY: [string, (t: Tensor) => Tensor, (x: number) => number, { lo?: number; hi?: number }][] = [
  ['neg', (t) => t.neg(), (x) => -x, {}],
  ['exp', (t) => t.exp(), Math.exp, { lo: -10, hi: 10 }],
  ['log', (t) => t.log(), Math.log, { lo: 1e-3, hi: 50 }],
  ['sqrt', (t) => t.sqrt(), Math.sqrt, { lo: 0, hi: 50 }],
  ['abs', (t) => t.abs(), Math.abs, {}],
  ['square', (t) => t.square(), (x) => x * x, {}],
  ['reciprocal', (t) => t.reciprocal(), (x) => 1 / x, { lo: 0.1, hi: 5 }],
  ['relu', (t) => t.relu(), (x) => Math.max(0, x), {}],
  ['leakyRelu', (t) => t.leakyRelu(0.1), (x) => (x > 0 ? x : 0.1 * x), {}],
  ['sigmoid', (t) => t.sigmoid(), sig, { lo: -20, hi: 20 }],
  ['tanh', (t) => t.tanh(), Math.tanh, { lo: -10, hi: 10 }],
  ['gelu', (t) => t.gelu(), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), { lo: -6, hi: 6 }],
  ['gelu tanh', (t) => t.gelu({ approximate: 'tanh' }), (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), { lo: -6, hi: 6 }],
  ['pow 3', (t) => t.pow(3), (x) => x ** 3, {}],
  ['pow 0.5', (t) => t.pow(0.5), Math.sqrt, { lo: 0, hi: 10 }],
  ['add number', (t) => t.add(0.25), (x) => x + 0.25, {}],
  ['mul number', (t) => t.mul(-1.5), (x) => x * -1.5, {}],
  ['div number', (t) => t.div(3), (x) => x / 3, {}],
  ['sin', (t) => t.sin(), Math.sin, { lo: -10, hi: 10 }],
  ['cos', (t) => t.cos(), Math.cos, { lo: -10, hi: 10 }],
  ['tan', (t) => t.tan(), Math.tan, { lo: -1.4, hi: 1.4 }],
  ['asin', (t) => t.asin(), Math.asin, { lo: -1, hi: 1 }],
  ['acos', (t) => t.acos(), Math.acos, { lo: -1, hi: 1 }],
  ['atan', (t) => t.atan(), Math.atan, { lo: -20, hi: 20 }],
  ['sinh', (t) => t.sinh(), Math.sinh, { lo: -8, hi: 8 }],
  ['cosh', (t) => t.cosh(), Math.cosh, { lo: -8, hi: 8 }],
  ['erf', (t) => t.erf(), erf, { lo: -4, hi: 4 }],
  ['erfinv (erf of it)', (t) => t.erfinv().erf(), (x) => x, { lo: -0.99, hi: 0.99 }],
  ['log1p', (t) => t.log1p(), Math.log1p, { lo: -0.9, hi: 10 }],
  ['expm1', (t) => t.expm1(), Math.expm1, { lo: -5, hi: 5 }],
  ['log2', (t) => t.log2(), Math.log2, { lo: 1e-3, hi: 100 }],
  ['log10', (t) => t.log10(), Math.log10, { lo: 1e-3, hi: 100 }],
  ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), { lo: 1e-2, hi: 100 }],
  ['sign', (t) => t.sign(), Math.sign, {}],
  ['floor', (t) => t.floor(), Math.floor, { lo: -5, hi: 5 }],
  ['ceil', (t) => t.ceil(), Math.ceil, { lo: -5, hi: 5 }],
  ['round', (t) => t.mul(2).round(), (x) => { const v = Math.fround(x * 2); const r = Math.round(v); return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r; }, { lo: -5, hi: 5 }],
  ['trunc', (t) => t.trunc(), Math.trunc, { lo: -5, hi: 5 }],
  ['frac', (t) => t.frac(), (x) => x - Math.trunc(x), { lo: -5, hi: 5 }],
  ['softplus', (t) => t.softplus(), (x) => (x > 20 ? x : Math.log1p(Math.exp(x))), { lo: -30, hi: 30 }],
  ['softplus beta 2', (t) => t.softplus({ beta: 2 }), (x) => (2 * x > 20 ? x : Math.log1p(Math.exp(2 * x)) / 2), { lo: -10, hi: 15 }],
  ['silu', (t) => t.silu(), (x) => x / (1 + Math.exp(-x)), { lo: -10, hi: 10 }],
  ['mish', (t) => t.mish(), (x) => x * Math.tanh(Math.log1p(Math.exp(x))), { lo: -8, hi: 8 }],
  ['elu', (t) => t.elu(0.7), (x) => (x > 0 ? x : 0.7 * Math.expm1(x)), { lo: -5, hi: 5 }],
  ['selu', (t) => t.selu(), (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)), { lo: -5, hi: 5 }],
  ['logsigmoid', (t) => t.logsigmoid(), (x) => -Math.log1p(Math.exp(-x)), { lo: -15, hi: 15 }],
  ['hardtanh', (t) => t.hardtanh(-0.5, 2), (x) => Math.min(2, Math.max(-0.5, x)), { lo: -4, hi: 4 }],
];

const f32 = (x: number): number => Math.fround(x);

forEachBackend('conformance: unary', EW, (backend) => {
  for (const [name, op, ref, range] of UNARY) {
    it(`${name} on sizes ${SIZES.join(', ')}`, () => {
      for (const n of SIZES) {
        const x = randData([n], n + 7, range);
        const y = op(x);
        expect(y.shape).toEqual([n]);
        expectClose(y.data, Array.from(x.data, (v) => f32(ref(v))), ELEMENTWISE, `${name} n=${n}`);
        if (backend !== 'js') expectClose(y.data, onJs(() => op(x)).data, ELEMENTWISE, `${name} n=${n} vs js`);
      }
    });
  }
});

/** Reference broadcasting in float64 by explicit index arithmetic. */
function refBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; data: number[] } {
  const rank = Math.max(a.ndim, b.ndim);
  const pa = [...Array(rank - a.ndim).fill(1), ...a.shape];
  const pb = [...Array(rank - b.ndim).fill(1), ...b.shape];
  const shape = pa.map((d, i) => (d === 1 ? pb[i] : d));
  const n = shape.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let k = 0; k < n; k++) {
    let rem = k;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      ia += (pa[d] === 1 ? 0 : i) * sa;
      ib += (pb[d] === 1 ? 0 : i) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    data.push(f32(f(a.data[ia], b.data[ib])));
  }
  return { shape, data };
}

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ['add', (a, b) => a.add(b), (x, y) => x + y],
  ['sub', (a, b) => a.sub(b), (x, y) => x - y],
  ['mul', (a, b) => a.mul(b), (x, y) => x * y],
  ['div', (a, b) => a.div(b), (x, y) => x / y],
  ['pow', (a, b) => a.abs().add(0.1).pow(b), (x, y) => Math.fround(Math.abs(x) + 0.1) ** y],
  ['maximum', (a, b) => a.maximum(b), Math.max],
  ['atan2', (a, b) => ng.atan2(a, b), Math.atan2],
  ['minimum', (a, b) => a.minimum(b), Math.min],
];

const SHAPES: [number[], number[]][] = [
  [[1], [1]], [[7], [7]], [[17], [17]], [[33], [33]], [[257], [257]],
  [[3, 1], [1, 4]], [[2, 3, 4], [4]], [[2, 3, 4], [3, 1]], [[2, 1, 4], [3, 1]], [[5, 1, 1, 7], [1, 6, 1, 7]],
  [[257], []], [[], [33]], [[4, 33], [4, 1]], [[2, 17, 3], [1, 17, 1]], [[0, 3], [3]],
];

forEachBackend('conformance: binary', EW, (backend) => {
  for (const [name, op, ref] of BINARY) {
    it(`${name} with broadcasting`, () => {
      for (const [sa, sb] of SHAPES) {
        const a = randData(sa, sa.length * 31 + (sa[0] ?? 0), { awayFromZero: 0.05 });
        const b = randData(sb, sb.length * 17 + (sb[0] ?? 3) + 1, { awayFromZero: 0.05 });
        const y = op(a, b);
        const r = refBinary(a, b, ref);
        expect(y.shape).toEqual(r.shape);
        expectClose(y.data, r.data, ELEMENTWISE, `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`);
        if (backend !== 'js') expectClose(y.data, onJs(() => op(a, b)).data, ELEMENTWISE, `${name} vs js`);
      }
    });
  }
  it('number on the left', () => {
    const x = ng.tensor([1, 2, 4]);
    expect(Array.from(ng.sub(1, x).data)).toEqual([0, -1, -3]);
    expect(Array.from(ng.div(1, x).data)).toEqual([1, 0.5, 0.25]);
    expect(Array.from(ng.mul(2, x).data)).toEqual([2, 4, 8]);
  });
});

describe('conformance: binary shape errors', () => {
  it('names the op and both shapes', () => {
    const a = ng.zeros([2, 3]);
    const b = ng.zeros([4, 3]);
    expect(() => a.add(b)).toThrow(/^add: shapes \[2,3\] and \[4,3\] cannot be broadcast/);
    expect(() => a.mul(ng.zeros([2]))).toThrow(/^mul: shapes \[2,3\] and \[2\]/);
    expect(() => a.div(b)).toThrow(/^div: shapes/);
  });
});
