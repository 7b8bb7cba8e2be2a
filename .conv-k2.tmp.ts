import * as ng from './lib/index.js';
import { current } from './lib/backend/registry.js';
ng.setNumThreads(1);
const r = (n: number) => Float32Array.from({ length: n }, () => Math.random());
// CPU time (user+sys) per call: robust to other processes time-slicing this core
function time(f: () => void, reps = 10) {
  for (let i = 0; i < 3; i++) f();
  const rs: number[] = [];
  for (let k = 0; k < 7; k++) { const c0 = process.cpuUsage(); for (let i = 0; i < reps; i++) f(); const c = process.cpuUsage(c0); rs.push((c.user + c.system) / 1000 / reps); }
  rs.sort((a, b) => a - b); return rs[3];
}
const g2 = { n: 64, c: 16, h: 14, w: 14, outC: 32, kH: 5, kW: 5, strideH: 1, strideW: 1, padH: 2, padW: 2, dilationH: 1, dilationW: 1, outH: 14, outW: 14 };
const g1 = { ...g2, c: 1, h: 28, w: 28, outC: 16, outH: 28, outW: 28 };
for (const [name, g] of [['conv1', g1], ['conv2', g2]] as const) {
  const x = r(g.n * g.c * g.h * g.w), w = r(g.outC * g.c * 25), out = new Float32Array(g.n * g.outC * g.outH * g.outW), dout = r(out.length);
  const dx = new Float32Array(x.length), dw = new Float32Array(w.length);
  console.log(name, 'fwd', time(() => current.conv2d(out, x, w, null, g)).toFixed(2), 'dW', time(() => current.conv2dBackward(null, dw, null, dout, x, w, g)).toFixed(2),
    'dx', time(() => current.conv2dBackward(dx, null, null, dout, x, w, g)).toFixed(2), 'ms cpu');
}
