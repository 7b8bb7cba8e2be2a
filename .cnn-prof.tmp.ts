import * as ng from './lib/index.js';
import { conv2d, maxPool2d } from './lib/ops/conv.js';
import { batchNorm } from './lib/ops/batchnorm.js';
import { Tensor } from './lib/tensor.js';
import { current } from './lib/backend/registry.js';
const t = (s: number[]) => { const x = ng.randn(s); x.requiresGrad = true; return x; };
function time(name: string, f: () => void, reps = 30) {
  for (let i = 0; i < 5; i++) f();
  const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); console.log(name.padEnd(40), ((performance.now() - t0) / reps).toFixed(3), 'ms');
}
for (const th of [1, 2]) {
  ng.setNumThreads(th); console.log('threads', th);
  const x1 = t([64, 1, 28, 28]), w1 = t([16, 1, 5, 5]), b1 = t([16]);
  const x2 = t([64, 16, 14, 14]), w2 = t([32, 16, 5, 5]), b2 = t([32]);
  const g1 = { n: 64, c: 1, h: 28, w: 28, outC: 16, kH: 5, kW: 5, strideH: 1, strideW: 1, padH: 2, padW: 2, dilationH: 1, dilationW: 1, outH: 28, outW: 28 };
  const g2 = { ...g1, c: 16, h: 14, w: 14, outC: 32, outH: 14, outW: 14 };
  const o1 = new Float32Array(64 * 16 * 784), o2 = new Float32Array(64 * 32 * 196);
  time('conv1 fwd kernel', () => current.conv2d(o1, x1.data, w1.data, b1.data, g1));
  time('conv1 bwd kernel (dw,db only)', () => current.conv2dBackward(null, new Float32Array(400), new Float32Array(16), o1, x1.data, w1.data, g1));
  time('conv2 fwd kernel', () => current.conv2d(o2, x2.data, w2.data, b2.data, g2));
  time('conv2 bwd kernel (dx,dw,db)', () => current.conv2dBackward(new Float32Array(x2.size), new Float32Array(w2.size), new Float32Array(32), o2, x2.data, w2.data, g2));
  const y1 = new Tensor(o1, [64, 16, 28, 28]); y1.requiresGrad = true;
  time('bn1 fwd+bwd', () => { const y = batchNorm(y1, null, null, null, null, { training: true }); y.backward(y.data); });
  time('relu1 fwd+bwd', () => { const y = y1.relu(); y.backward(y.data); });
  time('pool1 fwd+bwd', () => { const y = maxPool2d(y1, 2); y.backward(y.data); });
  const mf = 2 * 64 * (16 * 784 * 25 + 32 * 196 * 400);
  console.log('conv fwd GFLOP per batch', (mf / 1e9).toFixed(3));
}
