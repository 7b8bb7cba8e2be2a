/**
 * Bad configurations name the layer/op and the shapes; bad calls to each native binding function
 * throw TypeError/RangeError naming the function. Also the layers' shapes, init and BatchNorm2d state.
 */
import { describe, expect, it } from 'vitest';
import { backends, nativeBinding } from '../../lib/backend/registry.js';
import { avgPool2d, conv2d, maxPool2d } from '../../lib/ops/conv.js';
import { batchNorm } from '../../lib/ops/batchnorm.js';
import { Conv2d } from '../../lib/nn/conv.js';
import { AvgPool2d, MaxPool2d } from '../../lib/nn/pool.js';
import { BatchNorm2d } from '../../lib/nn/norm.js';
import { Tensor } from '../../lib/tensor.js';
import { randData } from '../helpers/random.js';
import { mnistCnn } from '../../lib/models/mnist-cnn.js';

const z = (shape: number[]): Tensor => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);

describe('conv/pool/batch-norm configuration errors', () => {
  it('Conv2d: channel mismatch names the layer and the input shape', () => {
    const conv = new Conv2d(3, 4, 3);
    expect(() => conv.forward(z([8, 1, 28, 28]))).toThrow('Conv2d: expected input with 3 channels, got [8,1,28,28]');
  });
  it('Conv2d: non-4-D input', () => {
    expect(() => new Conv2d(1, 4, 3).forward(z([1, 28, 28]))).toThrow(/Conv2d: expected a 4-D input .*got \[1,28,28\]/);
  });
  it('Conv2d: kernel larger than the padded input', () => {
    expect(() => new Conv2d(1, 2, 5, { padding: 1 }).forward(z([2, 1, 2, 3]))).toThrow(/Conv2d: kernel 5x5 is larger than the padded input 4x5 \(input \[2,1,2,3\]/);
    expect(() => new Conv2d(1, 2, 3, { dilation: 3 }).forward(z([1, 1, 6, 6]))).toThrow(/Conv2d: kernel 7x7 \(dilated\) is larger than the padded input 6x6/);
  });
  it('Conv2d: non-positive sizes', () => {
    expect(() => new Conv2d(1, 2, 0)).toThrow(/Conv2d: kernel size must be a positive integer.*got 0/);
    expect(() => new Conv2d(1, 2, 3, { stride: 0 })).toThrow(/Conv2d: stride must be a positive integer/);
    expect(() => new Conv2d(1, 2, 3, { stride: [1, -1] })).toThrow(/Conv2d: stride .*\[1,-1\]/);
    expect(() => new Conv2d(1, 2, 3, { padding: -1 })).toThrow(/Conv2d: padding must be a non-negative integer/);
    expect(() => new Conv2d(0, 2, 3)).toThrow(/Conv2d: inChannels must be a positive integer, got 0/);
    expect(() => new Conv2d(1, 2.5, 3)).toThrow(/Conv2d: outChannels/);
  });
  it('conv2d (functional): weight / bias shapes', () => {
    expect(() => conv2d(z([1, 2, 5, 5]), z([3, 2, 3]))).toThrow(/conv2d: weight must be 4-D \[outC, inC, kH, kW\], got \[3,2,3\]/);
    expect(() => conv2d(z([1, 2, 5, 5]), z([3, 1, 3, 3]))).toThrow('conv2d: expected input with 1 channels, got [1,2,5,5]');
    expect(() => conv2d(z([1, 2, 5, 5]), z([3, 2, 3, 3]), z([2]))).toThrow('conv2d: bias must have shape [3], got [2]');
  });
  it('pooling layers', () => {
    expect(() => new MaxPool2d(0)).toThrow(/MaxPool2d: kernel size must be a positive integer/);
    expect(() => new MaxPool2d(2, { stride: 0 })).toThrow(/MaxPool2d: stride/);
    expect(() => new MaxPool2d(3).forward(z([1, 1, 2, 2]))).toThrow(/MaxPool2d: kernel 3x3 is larger than the padded input 2x2 \(input \[1,1,2,2\]/);
    expect(() => new MaxPool2d(2, { padding: 2 }).forward(z([1, 1, 8, 8]))).toThrow(/MaxPool2d: padding \[2,2\] must be at most half the kernel size \[2,2\]/);
    expect(() => new AvgPool2d(2).forward(z([4, 8, 8]))).toThrow(/AvgPool2d: expected a 4-D input .*got \[4,8,8\]/);
    expect(() => maxPool2d(z([1, 1, 4, 4]), [2, 0])).toThrow(/maxPool2d: kernel size/);
    expect(() => avgPool2d(z([1, 1, 4, 4]), 2, { stride: -1 })).toThrow(/avgPool2d: stride/);
  });
  it('BatchNorm2d', () => {
    expect(() => new BatchNorm2d(0)).toThrow(/BatchNorm2d: numFeatures must be a positive integer/);
    expect(() => new BatchNorm2d(3).forward(z([2, 4, 5, 5]))).toThrow('BatchNorm2d: expected input with 3 channels, got [2,4,5,5]');
    expect(() => new BatchNorm2d(3).forward(z([2, 3, 5]))).toThrow(/BatchNorm2d: expected a 4-D input \[N, 3, H, W\], got \[2,3,5\]/);
    expect(() => new BatchNorm2d(3).forward(z([1, 3, 1, 1]))).toThrow(/BatchNorm2d: expected more than 1 value per channel when training, got input \[1,3,1,1\]/);
    expect(() => batchNorm(z([2, 3]), null, null, z([4]), null, { training: true })).toThrow(/batchNorm: weight must have shape \[3\] for input \[2,3\], got \[4\]/);
    expect(() => batchNorm(z([2, 3]), null, null)).toThrow(/batchNorm: running mean and var are required when not training/);
  });
});

describe('layers', () => {
  it('Conv2d: PyTorch layout and init bounds, output shape', () => {
    const c = new Conv2d(3, 8, [3, 5], { stride: 2, padding: [1, 2] });
    expect(c.weight.shape).toEqual([8, 3, 3, 5]);
    expect(c.bias!.shape).toEqual([8]);
    const bound = 1 / Math.sqrt(3 * 3 * 5);
    for (const v of [...c.weight.data, ...c.bias!.data]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(Math.max(...c.weight.data.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(c.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(c.forward(z([2, 3, 9, 10])).shape).toEqual([2, 8, 5, 5]);
    expect(new Conv2d(1, 1, 3, { bias: false }).bias).toBeNull();
  });
  it('mnistCnn: [N,1,28,28] → [N,10], PyTorch state-dict names, channel errors name the layer', () => {
    const m = mnistCnn();
    expect(m.forward(randData([3, 1, 28, 28], 1)).shape).toEqual([3, 10]);
    expect(new Set(Object.keys(m.stateDict()))).toEqual(new Set([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
      '4.weight', '4.bias', '5.weight', '5.bias', '5.running_mean', '5.running_var', '5.num_batches_tracked',
      '9.weight', '9.bias',
    ]));
    expect(m.numParameters()).toBe(16 * 25 + 16 + 32 + 32 * 16 * 25 + 32 + 64 + 1568 * 10 + 10);
    expect(() => m.forward(z([2, 3, 28, 28]))).toThrow('Conv2d: expected input with 1 channels, got [2,3,28,28]');
  });
  it('MaxPool2d / AvgPool2d values', () => {
    const x = new Tensor(Float32Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
    expect(Array.from(new MaxPool2d(2).forward(x).data)).toEqual([5, 7, 13, 15]);
    expect(Array.from(new AvgPool2d(2).forward(x).data)).toEqual([2.5, 4.5, 10.5, 12.5]);
    // count_include_pad: the corner window holds x[0,0] = 0, x[0,1] = 1, x[1,0] = 4, x[1,1] = 5 of 9 taps
    const a = new AvgPool2d(3, { stride: 1, padding: 1 }).forward(x);
    expect(a.shape).toEqual([1, 1, 4, 4]);
    expect(a.data[0]).toBeCloseTo(10 / 9, 6);
  });
  it('BatchNorm2d: train normalises and updates running stats (unbiased var); eval uses them', () => {
    const bn = new BatchNorm2d(2, { momentum: 0.5 });
    expect(bn.namedBuffers().map(([n]) => n)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    const x = randData([4, 2, 3, 3], 3, { lo: 1, hi: 5 });
    const y = bn.forward(x);
    // per channel: mean 0, biased var 1 (eps aside)
    for (let c = 0; c < 2; c++) {
      const v: number[] = [];
      for (let n = 0; n < 4; n++) for (let k = 0; k < 9; k++) v.push(y.data[(n * 2 + c) * 9 + k]);
      const m = v.reduce((s, t) => s + t, 0) / v.length;
      const q = v.reduce((s, t) => s + (t - m) ** 2, 0) / v.length;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(q).toBeCloseTo(1, 3);
      const xs: number[] = [];
      for (let n = 0; n < 4; n++) for (let k = 0; k < 9; k++) xs.push(x.data[(n * 2 + c) * 9 + k]);
      const xm = xs.reduce((s, t) => s + t, 0) / xs.length;
      const xv = xs.reduce((s, t) => s + (t - xm) ** 2, 0) / (xs.length - 1);
      expect(bn.runningMean!.data[c]).toBeCloseTo(0.5 * xm, 5);
      expect(bn.runningVar!.data[c]).toBeCloseTo(0.5 + 0.5 * xv, 4);
    }
    expect(bn.numBatchesTracked!.data[0]).toBe(1);
    bn.eval();
    const ye = bn.forward(x);
    const c0 = (x.data[0] - bn.runningMean!.data[0]) / Math.sqrt(bn.runningVar!.data[0] + 1e-5);
    expect(ye.data[0]).toBeCloseTo(c0, 5);
    expect(bn.numBatchesTracked!.data[0]).toBe(1);
  });
});

const nb = nativeBinding() as unknown as Record<string, (...a: unknown[]) => unknown> | null;
const hasNative = backends().includes('native') && typeof nb?.conv2d === 'function';

(hasNative ? describe : describe.skip)('native binding argument validation', () => {
  const f = (n: number) => new Float32Array(n);
  // N C H W outC kH kW sH sW pH pW dH dW: x [1,2,5,5], w [3,2,3,3] → out [1,3,3,3]
  const G = [1, 2, 5, 5, 3, 3, 3, 1, 1, 0, 0, 1, 1];
  const P = [1, 2, 5, 5, 2, 2, 2, 2, 0, 0, 1, 1]; // pooling: out [1,2,2,2]
  const cases: [string, unknown[], typeof TypeError | typeof RangeError, RegExp][] = [
    ['conv2d', [f(27), f(50), f(54), null, ...G.slice(0, 12)], TypeError, /conv2d: expected 17 arguments, got 16/],
    ['conv2d', [f(27), new Float64Array(50), f(54), null, ...G], TypeError, /conv2d: argument 'x' must be a Float32Array/],
    ['conv2d', [f(27), f(49), f(54), null, ...G], RangeError, /conv2d: argument 'x' has 49 elements, needs 50/],
    ['conv2d', [f(26), f(50), f(54), null, ...G], RangeError, /conv2d: argument 'out' has 26 elements, needs 27/],
    ['conv2d', [f(27), f(50), f(54), f(2), ...G], RangeError, /conv2d: argument 'bias' has 2 elements, needs 3/],
    ['conv2d', [f(27), f(50), f(54), null, -1, ...G.slice(1)], RangeError, /conv2d: argument 'N' must be in/],
    ['conv2d', [f(27), f(50), f(54), null, ...G.slice(0, 5), 0, ...G.slice(6)], RangeError, /conv2d: argument 'kH' must be in \[1,/],
    ['conv2d', [f(27), f(50), f(54), null, ...G.slice(0, 7), 0, ...G.slice(8)], RangeError, /conv2d: argument 'strideH'/],
    ['conv2d', [f(27), f(50), f(54), null, ...G.slice(0, 5), 7, ...G.slice(6)], RangeError, /conv2d: kernel extent 7x3 is larger than the padded input 5x5/],
    ['conv2d', [f(27), f(50), f(54), null, ...G.slice(0, 4), 'x', ...G.slice(5)], TypeError, /conv2d: argument 'outC' must be a number/],
    ['conv2dBackward', [f(50), f(54), f(3), f(27), f(50), f(54), ...G.slice(1)], TypeError, /conv2dBackward: expected 19 arguments/],
    ['conv2dBackward', [f(50), f(54), f(3), f(20), f(50), f(54), ...G], RangeError, /conv2dBackward: argument 'dout' has 20 elements, needs 27/],
    ['conv2dBackward', [f(50), new Int32Array(54), f(3), f(27), f(50), f(54), ...G], TypeError, /conv2dBackward: argument 'dweight' must be a Float32Array/],
    ['maxPool2d', [f(8), f(8), f(50), ...P], TypeError, /maxPool2d: argument 'indices' must be a Int32Array/],
    ['maxPool2d', [f(8), new Int32Array(7), f(50), ...P], RangeError, /maxPool2d: argument 'indices' has 7 elements, needs 8/],
    ['maxPool2d', [f(8), new Int32Array(8), f(50), ...P.slice(0, 11)], TypeError, /maxPool2d: expected 15 arguments/],
    ['maxPool2dBackward', [f(50), f(8), new Int32Array(8), ...P.slice(0, 9), -1, ...P.slice(10)], RangeError, /maxPool2dBackward: argument 'padW'/],
    ['avgPool2d', [f(8), f(49), ...P], RangeError, /avgPool2d: argument 'x' has 49 elements, needs 50/],
    ['avgPool2d', [f(8), f(50), ...P.slice(0, 10), 1.5, 1], RangeError, /avgPool2d: argument 'dilationH' must be an integer/],
    ['avgPool2dBackward', [f(50), [1, 2], ...P], TypeError, /avgPool2dBackward: argument 'dout' must be a Float32Array/],
    ['batchNormStats', [f(3), f(3), f(6), 2, 3], TypeError, /batchNormStats: expected 6 arguments, got 5/],
    ['batchNormStats', [f(3), f(2), f(6), 2, 3, 1], RangeError, /batchNormStats: argument 'variance' has 2 elements, needs 3/],
    ['batchNormStats', [f(3), f(3), f(6), 0, 3, 1], RangeError, /batchNormStats: N\*L must be at least 1/],
    ['batchNormForward', [f(6), f(6), f(3), f(3), f(3), f(3), 2, -3, 1], RangeError, /batchNormForward: argument 'C' must be in/],
    ['batchNormForward', [f(6), f(5), f(3), f(3), null, null, 2, 3, 1], RangeError, /batchNormForward: argument 'x' has 5 elements, needs 6/],
    ['batchNormBackward', [f(6), f(3), f(3), f(6), f(6), f(3), f(3), null, 2, 3, 1, 1], TypeError, /batchNormBackward: argument 'batchStats' must be a boolean/],
    ['batchNormBackward', [f(6), f(3), f(3), f(6), f(6), f(3), f(3), f(2), 2, 3, 1, true], RangeError, /batchNormBackward: argument 'gamma' has 2 elements, needs 3/],
  ];
  for (const [fn, args, type, re] of cases) {
    it(`${fn}: ${re.source.replace(/\\/g, '')}`, () => {
      const call = () => nb![fn](...args);
      expect(call).toThrow(type);
      expect(call).toThrow(re);
    });
  }
  it('an output overlapping an input is refused', () => {
    const buf = f(200);
    expect(() => nb!.conv2d(buf.subarray(0, 27), buf.subarray(20, 70), f(54), null, ...G)).toThrow(/conv2d: argument 'out' overlaps 'x'/);
    expect(() => nb!.batchNormStats(buf.subarray(0, 3), buf.subarray(2, 5), f(6), 2, 3, 1)).toThrow(/batchNormStats: argument 'mean' overlaps 'variance'/);
  });
});
