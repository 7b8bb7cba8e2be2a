/** A finite-difference gradient check for every differentiable op, on every backend (one line per op). */
import { it } from 'vitest';
import * as ng from '../../lib/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { randData, type DataOptions } from '../helpers/random.js';

let seed = 100;
/** requiresGrad data, kept away from 0 by default (kinks of relu/abs, poles of log/div). */
const t = (shape: number[], o: DataOptions = {}): Tensor => randData(shape, seed++, { awayFromZero: 0.1, ...o, requiresGrad: true });
const pos = (shape: number[]): Tensor => t(shape, { lo: 0.5, hi: 2 });
/** requiresGrad data whose values are a shuffled grid 0.25 apart: no near-ties for max/min. */
function distinct(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const g = new ng.Generator(seed++);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.25);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.random() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return ng.tensor(v, shape, { requiresGrad: true });
}
const check = (fn: (...xs: Tensor[]) => Tensor, ...xs: Tensor[]): void => gradcheck(fn, xs);

const EW = ['unary', 'unaryBackward', 'binary', 'reduce', 'copy'];

forEachBackend('grad: element-wise', EW, () => {
  it('add', () => check((a, b) => a.add(b), t([3, 4]), t([3, 4])));
  it('add broadcast', () => check((a, b) => a.add(b), t([2, 3, 4]), t([3, 1])));
  it('add number', () => check((a) => a.add(1.5), t([5])));
  it('sub broadcast', () => check((a, b) => a.sub(b), t([4, 1]), t([1, 5])));
  it('sub number', () => check((a) => ng.sub(2, a), t([5])));
  it('mul', () => check((a, b) => a.mul(b), t([7]), t([7])));
  it('mul broadcast', () => check((a, b) => a.mul(b), t([2, 1, 4]), t([3, 1])));
  it('mul number', () => check((a) => a.mul(-3), t([6])));
  it('div', () => check((a, b) => a.div(b), t([3, 4]), pos([3, 4])));
  it('div broadcast', () => check((a, b) => a.div(b), t([3, 4]), pos([4])));
  it('div number', () => check((a) => a.div(4), t([6])));
  it('pow tensor', () => check((a, b) => a.pow(b), pos([3, 4]), t([4])));
  it('pow number', () => check((a) => a.pow(3), t([6])));
  it('pow 2', () => check((a) => a.pow(2), t([6])));
  it('pow 0.5', () => check((a) => a.pow(0.5), pos([6])));
  it('maximum', () => check((a, b) => a.maximum(b), t([3, 4]), t([4])));
  it('minimum', () => check((a, b) => a.minimum(b), t([3, 4]), t([3, 1])));
  it('neg', () => check((a) => a.neg(), t([5])));
  it('exp', () => check((a) => a.exp(), t([5])));
  it('log', () => check((a) => a.log(), pos([5])));
  it('sqrt', () => check((a) => a.sqrt(), pos([5])));
  it('abs', () => check((a) => a.abs(), t([9])));
  it('square', () => check((a) => a.square(), t([5])));
  it('reciprocal', () => check((a) => a.reciprocal(), pos([5])));
  it('sin', () => check((a) => a.sin(), t([6])));
  it('cos', () => check((a) => a.cos(), t([6])));
  it('tan', () => check((a) => a.tan(), t([6], { lo: -1.2, hi: 1.2 })));
  it('asin', () => check((a) => a.asin(), t([6], { lo: -0.8, hi: 0.8 })));
  it('acos', () => check((a) => a.acos(), t([6], { lo: -0.8, hi: 0.8 })));
  it('atan', () => check((a) => a.atan(), t([6])));
  it('sinh', () => check((a) => a.sinh(), t([6])));
  it('cosh', () => check((a) => a.cosh(), t([6])));
  it('erf', () => check((a) => a.erf(), t([6])));
  it('erfinv', () => check((a) => a.erfinv(), t([6], { lo: -0.8, hi: 0.8 })));
  it('log1p', () => check((a) => a.log1p(), pos([6])));
  it('expm1', () => check((a) => a.expm1(), t([6])));
  it('log2', () => check((a) => a.log2(), pos([6])));
  it('log10', () => check((a) => a.log10(), pos([6])));
  it('rsqrt', () => check((a) => a.rsqrt(), pos([6])));
  it('frac', () => check((a) => a.frac(), t([6], { lo: 0.1, hi: 0.9 })));
  it('softplus', () => check((a) => a.softplus({ beta: 1.5 }), t([6])));
  it('silu', () => check((a) => a.silu(), t([6])));
  it('mish', () => check((a) => a.mish(), t([6])));
  it('elu', () => check((a) => a.elu(0.5), t([6])));
  it('selu', () => check((a) => a.selu(), t([6])));
  it('logsigmoid', () => check((a) => a.logsigmoid(), t([6])));
  it('hardtanh', () => check((a) => a.hardtanh(-0.5, 0.5), t([6], { lo: -2, hi: 2 })));
  it('atan2', () => check((a, b) => ng.atan2(a, b), t([3, 4]), t([4])));
  it('lerp', () => check((a, b, w) => a.lerp(b, w), t([3, 4]), t([4]), t([3, 1])));
  it('floor/ceil/round/trunc/sign have zero gradient', () => check((a) => a.floor().add(a.ceil()).add(a.round()).add(a.trunc()).add(a.sign()).add(a), t([6], { lo: 0.1, hi: 0.4 })));
  it('same tensor twice (x·x + x)', () => check((a) => a.mul(a).add(a), t([4])));
});

forEachBackend('grad: activations', [...EW, 'softmax', 'softmaxBackward'], () => {
  it('relu', () => check((a) => a.relu(), t([9])));
  it('leakyRelu', () => check((a) => a.leakyRelu(0.2), t([9])));
  it('sigmoid', () => check((a) => a.sigmoid(), t([9])));
  it('tanh', () => check((a) => a.tanh(), t([9])));
  it('gelu', () => check((a) => a.gelu(), t([9])));
  it('gelu tanh', () => check((a) => a.gelu({ approximate: 'tanh' }), t([9])));
  it('softmax last dim', () => check((a) => a.softmax(-1), t([3, 5])));
  it('softmax dim 0', () => check((a) => a.softmax(0), t([4, 3])));
  it('softmax middle dim', () => check((a) => a.softmax(1), t([2, 3, 4])));
  it('logSoftmax last dim', () => check((a) => a.logSoftmax(-1), t([3, 5])));
  it('logSoftmax dim 0', () => check((a) => a.logSoftmax(0), t([4, 3])));
});

forEachBackend('grad: reductions', EW, () => {
  it('sum all', () => check((a) => a.sum(), t([3, 4])));
  it('sum dim', () => check((a) => a.sum(1), t([2, 3, 4])));
  it('sum dim keepDim', () => check((a) => a.sum(-1, true), t([2, 3, 4])));
  it('mean all', () => check((a) => a.mean(), t([3, 4])));
  it('mean dim', () => check((a) => a.mean(0), t([3, 4])));
  it('max all', () => check((a) => a.max(), distinct([3, 4])));
  it('max dim', () => check((a) => a.max(1), distinct([2, 5, 3])));
  it('min dim keepDim', () => check((a) => a.min(0, true), distinct([4, 3])));
  it('min all', () => check((a) => a.min(), distinct([7])));
});

forEachBackend('grad: shape and join', EW, () => {
  it('reshape', () => check((a) => a.reshape(4, -1).mul(a.reshape([4, 3])), t([3, 4])));
  it('view', () => check((a) => a.view([12]).square(), t([3, 4])));
  it('flatten', () => check((a) => a.flatten(1).square(), t([2, 3, 2])));
  it('squeeze', () => check((a) => a.squeeze().square(), t([3, 1, 2])));
  it('unsqueeze', () => check((a) => a.unsqueeze(1).mul(a.unsqueeze(0)), t([3])));
  it('transpose', () => check((a) => a.transpose(0, 1), t([3, 4])));
  it('transpose 3-D', () => check((a) => a.transpose(0, 2), t([2, 3, 4])));
  it('permute', () => check((a) => a.permute(2, 0, 1), t([2, 3, 4])));
  it('expand', () => check((a) => a.expand(2, 3, 4), t([3, 1])));
  it('concat dim 0', () => check((a, b) => ng.concat([a, b], 0), t([2, 3]), t([4, 3])));
  it('concat dim 1', () => check((a, b) => ng.concat([a, b, a], 1), t([2, 3]), t([2, 1])));
  it('stack', () => check((a, b) => ng.stack([a, b], 1), t([2, 3]), t([2, 3])));
  it('slice', () => check((a) => a.slice(1, 1, 3), t([3, 4])));
  it('slice negative', () => check((a) => a.slice(0, -2), t([4, 2])));
  it('index', () => check((a) => a.index(-1), t([3, 4])));
});

forEachBackend('grad: matmul', [...EW, 'gemm'], () => {
  it('2-D', () => check((a, b) => a.matmul(b), t([3, 4]), t([4, 5])));
  it('batched', () => check((a, b) => a.matmul(b), t([2, 3, 4]), t([2, 4, 5])));
  it('batch × 2-D (folded)', () => check((a, b) => a.matmul(b), t([2, 3, 4]), t([4, 2])));
  it('2-D × batch', () => check((a, b) => a.matmul(b), t([3, 4]), t([2, 4, 2])));
  it('broadcast batch dims', () => check((a, b) => a.matmul(b), t([2, 1, 3, 4]), t([3, 4, 2])));
  it('vector · vector', () => check((a, b) => a.matmul(b), t([5]), t([5])));
  it('vector · matrix', () => check((a, b) => a.matmul(b), t([4]), t([4, 3])));
  it('matrix · vector', () => check((a, b) => a.matmul(b), t([3, 4]), t([4])));
  it('batched · vector', () => check((a, b) => a.matmul(b), t([2, 3, 4]), t([4])));
  it('2-layer MLP', () =>
    check((x, w1, w2) => x.matmul(w1).tanh().matmul(w2).sigmoid().sum(), t([4, 2]), t([2, 3]), t([3, 1])));
});
