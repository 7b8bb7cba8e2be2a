import * as ng from './lib/index.js';
import { current } from './lib/backend/registry.js';
ng.setNumThreads(1);
function time(f: () => void, reps = 100) {
  for (let i = 0; i < 10; i++) f();
  const rs: number[] = [];
  for (let k = 0; k < 5; k++) { const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); rs.push((performance.now() - t0) / reps); }
  return Math.min(...rs);
}
const r = (n: number) => Float32Array.from({ length: n }, () => Math.random());
for (const [M, N, K, tA, tB, label] of [
  [32, 196, 400, false, false, 'fwd W·cols'], [32, 400, 196, false, false, 'dW dout·rows (no trans)'], [16, 25, 784, false, false, 'conv1 dW no trans'],
  [32, 400, 196, false, true, 'dW dout·colsT (tB)'],
  [400, 32, 196, false, true, 'dWT cols·doutT (tB)'],
  [400, 32, 196 * 4, false, true, 'dWT 4 imgs cols·doutT (tB)'],
  [32, 400, 196 * 4, false, true, 'dW 4 imgs (tB)'],
  [400, 196, 32, true, false, 'dcols WT·dout (tA)'],
  [16, 25, 784, false, true, 'conv1 dW (tB)'],
  [25, 16, 784, false, true, 'conv1 dWT (tB)'],
] as [number, number, number, boolean, boolean, string][]) {
  const A = r(M * K), B = r(K * N), C = new Float32Array(M * N);
  const ms = time(() => current.gemm(tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N, 0, null, 1, 0, 0, 0));
  console.log(label.padEnd(34), (ms * 1000).toFixed(1), 'us', (2 * M * N * K / ms / 1e6).toFixed(1), 'GFLOP/s');
}
