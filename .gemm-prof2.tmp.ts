import * as ng from './lib/index.js';
import { current } from './lib/backend/registry.js';
ng.setNumThreads(1);
function time(f: () => void, reps = 50) {
  for (let i = 0; i < 5; i++) f();
  const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); return (performance.now() - t0) / reps;
}
const r = (n: number) => Float32Array.from({ length: n }, () => Math.random());
for (const [M, N, K, tA, tB, label] of [
  [32, 196 * 8, 400, false, false, 'fwd 8 imgs W·cols'],
  [32, 196 * 32, 400, false, false, 'fwd 32 imgs W·cols'],
  [32, 400, 196 * 8, false, false, 'dW 8 imgs dout·colsT(stored PxCK)'],
  [32, 400, 196 * 32, false, false, 'dW 32 imgs dout·colsT(stored)'],
  [32, 400, 196 * 32, false, true, 'dW 32 imgs dout·colsT (tB)'],
  [400, 196 * 8, 32, true, false, 'dcols 8 imgs'],
  [16, 784 * 8, 25, false, false, 'conv1 fwd 8 imgs'],
  [16, 25, 784 * 8, false, true, 'conv1 dW 8 imgs tB'],
  [16, 25, 784 * 8, false, false, 'conv1 dW 8 imgs'],
] as [number, number, number, boolean, boolean, string][]) {
  const A = r(M * K), B = r(K * N), C = new Float32Array(M * N);
  const ms = time(() => current.gemm(tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N, 0, null, 1, 0, 0, 0));
  console.log(label.padEnd(40), (ms * 1000).toFixed(1), 'us', (2 * M * N * K / ms / 1e6).toFixed(1), 'GFLOP/s');
}
