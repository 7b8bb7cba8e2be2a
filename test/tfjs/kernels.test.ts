// The native tfjs kernels against the cpu backend's, on odd shapes (1, 7, 17, 33, 257), transposes,
// batch and operand broadcasts, every fused activation, NHWC/NCHW, strides, dilations and asymmetric
// 'same' padding, forward and gradients; and inputs are never written. Runs with nodegrad's small-op
// routing on (the default: tiny calls on its js kernels) and off (every call native).
import { afterAll, describe, expect, it } from 'vitest';
import { maxRelErr, ng, ngtf, onBackend, seeded, tf } from './helpers.js';

type Case = { name: string; inputs: { shape: number[]; lo?: number; hi?: number }[]; f: (...xs: unknown[]) => unknown };

let seed = 1;
function run(c: Case, tol = 1e-4): void {
  const data = c.inputs.map((s) => seeded(s.shape.reduce((p, q) => p * q, 1), seed++, s.lo ?? -1, s.hi ?? 1));
  const copies = data.map((d) => d.slice());
  const results = (['cpu', 'nodegrad'] as const).map((b) =>
    onBackend(b, () =>
      tf.tidy(() => {
        const xs = c.inputs.map((s, i) => tf.tensor(data[i], s.shape));
        const out = c.f(...xs);
        const list = Array.isArray(out) ? out : [out];
        return list.map((t: { shape: number[]; dtype: string; dataSync(): ArrayLike<number> }) => ({
          shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()),
        }));
      }),
    ),
  );
  const [cpu, nat] = results;
  expect(nat.length, c.name).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    expect(nat[i].shape, c.name).toEqual(cpu[i].shape);
    expect(nat[i].dtype, c.name).toBe(cpu[i].dtype);
    const err = maxRelErr(nat[i].values, cpu[i].values);
    expect(err, `${c.name} output ${i}: max rel err ${err}`).toBeLessThanOrEqual(tol);
  }
  // tfjs aliases the arrays users pass: no kernel may write into an input
  data.forEach((d, i) => expect(Array.from(d), `${c.name}: input ${i} was modified`).toEqual(Array.from(copies[i])));
}

const cases: Case[] = [];
for (const [m, k, n] of [[1, 1, 1], [7, 17, 33], [33, 257, 7], [17, 1, 257]]) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      cases.push({
        name: `matMul ${m}x${k}x${n} tA=${ta} tB=${tb}`,
        inputs: [{ shape: ta ? [k, m] : [m, k] }, { shape: tb ? [n, k] : [k, n] }],
        f: (a, b) => tf.matMul(a, b, ta, tb),
      });
    }
  }
}
cases.push(
  { name: 'batch matMul [3,7,17]x[3,17,33]', inputs: [{ shape: [3, 7, 17] }, { shape: [3, 17, 33] }], f: (a, b) => tf.matMul(a, b) },
  { name: 'batch matMul broadcast b [3,7,17]x[17,33]', inputs: [{ shape: [3, 7, 17] }, { shape: [1, 17, 33] }], f: (a, b) => tf.matMul(a, b) },
  // both batch dims broadcast: tfjs 4.22's cpu kernel returns half the values here (a tfjs bug), so
  // the reference side tiles explicitly; nodegrad broadcasts natively
  {
    name: 'batch matMul broadcast [2,1,7,17]x[1,3,17,5] tB',
    inputs: [{ shape: [2, 1, 7, 17] }, { shape: [1, 3, 5, 17] }],
    f: (a, b) => tf.getBackend() === 'cpu' ? tf.matMul(tf.tile(a, [1, 3, 1, 1]), tf.tile(b, [2, 1, 1, 1]), false, true) : tf.matMul(a, b, false, true),
  },
);
for (const activation of ['linear', 'relu', 'sigmoid', 'elu', 'leakyrelu', 'relu6', 'prelu']) {
  for (const biasShape of [null, [33], [7, 33], [1]]) {
    cases.push({
      name: `fused matMul ${activation} bias=${JSON.stringify(biasShape)}`,
      inputs: [{ shape: [17, 7] }, { shape: [17, 33] }, ...(biasShape ? [{ shape: biasShape }] : []), { shape: [33] }],
      f: (a, b, ...rest) =>
        tf.fused.matMul({
          a, b, transposeA: true, activation, bias: biasShape ? rest[0] : undefined,
          preluActivationWeights: activation === 'prelu' ? rest[rest.length - 1] : undefined, leakyreluAlpha: 0.3,
        }),
    });
  }
}
const binaries = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference', 'atan2'];
for (const op of binaries) {
  for (const [sa, sb] of [[[257], [257]], [[7, 1, 33], [17, 1]], [[1], [7, 17]], [[33, 7], [7]]]) {
    cases.push({ name: `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, inputs: [{ shape: sa }, { shape: sb, lo: 0.5, hi: 2 }], f: (a, b) => tf[op](a, b) });
  }
}
cases.push({ name: 'pow', inputs: [{ shape: [7, 33], lo: 0.1, hi: 3 }, { shape: [33], lo: -2, hi: 2 }], f: (a, b) => tf.pow(a, b) });
const unaries = ['neg', 'exp', 'expm1', 'abs', 'relu', 'elu', 'sigmoid', 'tanh', 'softplus', 'sin', 'cos', 'atan', 'sinh', 'cosh', 'erf', 'sign', 'floor', 'ceil', 'round', 'square'];
for (const op of unaries) cases.push({ name: op, inputs: [{ shape: [17, 33], lo: -4, hi: 4 }], f: (x) => tf[op](x) });
for (const op of ['log', 'log1p', 'sqrt', 'rsqrt', 'reciprocal']) cases.push({ name: op, inputs: [{ shape: [257], lo: 0.05, hi: 5 }], f: (x) => tf[op](x) });
for (const op of ['tan', 'asin', 'acos']) cases.push({ name: op, inputs: [{ shape: [33], lo: -0.9, hi: 0.9 }], f: (x) => tf[op](x) });
cases.push({ name: 'leakyRelu', inputs: [{ shape: [7, 17] }], f: (x) => tf.leakyRelu(x, 0.1) });
cases.push({ name: 'softmax', inputs: [{ shape: [7, 33], lo: -5, hi: 5 }], f: (x) => tf.softmax(x) });
cases.push({ name: 'softmax 3d', inputs: [{ shape: [3, 7, 257], lo: -5, hi: 5 }], f: (x) => tf.softmax(x) });
for (const op of ['sum', 'mean', 'max', 'min']) {
  for (const axis of [undefined, 0, 1, 2, -1, [0, 1], [1, 2], [0, 2]]) {
    cases.push({ name: `${op} axis=${JSON.stringify(axis)}`, inputs: [{ shape: [7, 17, 33] }], f: (x) => tf[op](x, axis) });
    cases.push({ name: `${op} axis=${JSON.stringify(axis)} keepDims`, inputs: [{ shape: [7, 17, 33] }], f: (x) => tf[op](x, axis, true) });
  }
}
for (const op of ['argMax', 'argMin']) for (const axis of [0, 1, 2]) cases.push({ name: `${op} ${axis}`, inputs: [{ shape: [7, 17, 33] }], f: (x) => tf[op](x, axis) });

// convolution: x NHWC [n, h, w, c], filter [fh, fw, c, oc]
const convs: [number[], number[], number, string, number][] = [
  [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'same', 1],
  [[2, 9, 9, 3], [3, 3, 3, 4], 2, 'same', 1], // asymmetric padding
  [[1, 8, 8, 2], [2, 2, 2, 3], 1, 'same', 1], // even filter: asymmetric padding
  [[3, 17, 7, 5], [5, 3, 5, 7], 2, 'valid', 1],
  [[1, 7, 7, 1], [3, 3, 1, 1], 1, 'valid', 2], // dilation
  [[2, 6, 6, 4], [1, 1, 4, 8], 1, 'valid', 1],
];
for (const [xs, fs, s, pad, d] of convs) {
  const tag = `x=${xs} f=${fs} s=${s} ${pad} d=${d}`;
  cases.push({ name: `conv2d ${tag}`, inputs: [{ shape: xs }, { shape: fs }], f: (x, w) => tf.conv2d(x, w, s, pad, 'NHWC', d) });
  if (d === 1) {
    cases.push({
      name: `conv2d grads ${tag}`,
      inputs: [{ shape: xs }, { shape: fs }],
      f: (x, w) => tf.grads((a: unknown, b: unknown) => tf.sum(tf.square(tf.conv2d(a, b, s, pad))))([x, w]),
    });
    cases.push({
      name: `fused conv2d relu+bias ${tag}`,
      inputs: [{ shape: xs }, { shape: fs }, { shape: [fs[3]] }],
      f: (x, w, b) => tf.fused.conv2d({ x, filter: w, strides: s, pad, bias: b, activation: 'relu' }),
    });
    cases.push({
      name: `conv2d NCHW ${tag}`,
      inputs: [{ shape: [xs[0], xs[3], xs[1], xs[2]] }, { shape: fs }],
      f: (x, w) => tf.conv2d(x, w, s, pad, 'NCHW'),
    });
  }
}
for (const [xs, f, s, pad] of [[[2, 9, 9, 3], 2, 2, 'valid'], [[2, 9, 9, 3], 3, 2, 'same'], [[1, 8, 8, 2], 2, 2, 'same'], [[2, 7, 7, 4], 3, 1, 'same']] as [number[], number, number, string][]) {
  const tag = `x=${xs} f=${f} s=${s} ${pad}`;
  for (const op of ['maxPool', 'avgPool']) {
    cases.push({ name: `${op} ${tag}`, inputs: [{ shape: xs }], f: (x) => tf[op](x, f, s, pad) });
    cases.push({ name: `${op} grad ${tag}`, inputs: [{ shape: xs }], f: (x) => tf.grad((a: unknown) => tf.sum(tf.mul(tf[op](a, f, s, pad), tf[op](a, f, s, pad))))(x) });
  }
}

describe('nodegrad/tfjs kernels match the cpu backend', () => {
  it('registers backend nodegrad with native kernels, chosen by tf.ready()', async () => {
    await tf.ready();
    expect(tf.getBackend()).toBe('nodegrad');
    expect(ngtf.nativeKernelNames()).toEqual(expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'Conv2D', 'Conv2DBackpropFilter', 'MaxPoolGrad', 'Softmax', 'Sum', 'Add']));
    for (const k of ngtf.nativeKernelNames()) expect(tf.getKernel(k, 'nodegrad').kernelFunc).not.toBe(tf.getKernel(k, 'cpu').kernelFunc);
  });
  for (const routing of [true, false]) {
    describe(routing ? 'small-op routing on' : 'every call native', () => {
      let prev = true;
      it(`${cases.length} cases`, () => {
        prev = ng.setSmallOpRouting(routing);
        for (const c of cases) run(c);
      });
      afterAll(() => ng.setSmallOpRouting(prev));
    });
  }
  it('int32 and bool kernels keep tfjs semantics (cpu kernels)', () => {
    for (const b of ['cpu', 'nodegrad'] as const) {
      onBackend(b, () => {
        expect(Array.from(tf.add(tf.tensor([1, 2], [2], 'int32'), tf.tensor([3, 4], [2], 'int32')).dataSync())).toEqual([4, 6]);
        expect(tf.add(tf.tensor([1, 2], [2], 'int32'), tf.tensor([3, 4], [2], 'int32')).dtype).toBe('int32');
        expect(Array.from(tf.div(tf.tensor([7, -7], [2], 'int32'), tf.tensor([2, 2], [2], 'int32')).dataSync())).toEqual([3, -4]) // int32 div floors;
        expect(Array.from(tf.sum(tf.tensor([true, true, false], [3], 'bool')).dataSync())).toEqual([2]);
        expect(tf.sum(tf.tensor([1, 2], [2], 'int32')).dtype).toBe('int32');
        expect(Array.from(tf.argMax(tf.tensor([1, NaN, 3, 2])).dataSync())).toEqual([2]);
      });
    }
  });
});

describe('buffer reuse never hands out memory someone can still see', () => {
  it('keeps dataSync() results and slice views of disposed tensors intact', () => {
    tf.setBackend('nodegrad');
    const av = seeded(4096, 77), bv = seeded(4096, 78);
    const a = tf.tensor(av, [64, 64]);
    const b = tf.tensor(bv, [64, 64]);
    const s = tf.add(a, b); // a native output (pooled buffer)
    const seen = s.dataSync(); // escapes to the application
    const copy = Array.from(seen);
    const t = tf.mul(a, b);
    const view = tf.slice(t, [0, 0], [16, 64]); // cpu kernel: a subarray view of t's buffer
    // expected without reading t or view (a read would exempt the buffer from reuse)
    const viewCopy = Array.from(av.subarray(0, 1024), (x, i) => Math.fround(x * bv[i]));
    s.dispose();
    t.dispose();
    // churn: many same-length outputs that would take any released buffer
    for (let i = 0; i < 50; i++) tf.tidy(() => tf.sub(tf.add(a, b), tf.neg(b)));
    expect(Array.from(seen)).toEqual(copy);
    expect(Array.from(view.dataSync())).toEqual(viewCopy);
    tf.dispose([a, b, view]);
  });
});
