import * as ng from './lib/index.js';
import { current } from './lib/backend/registry.js';
ng.setNumThreads(1);
function time(name: string, f: () => void, reps = 200) {
  for (let i = 0; i < 20; i++) f();
  const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); const ms = (performance.now() - t0) / reps; return ms;
}
const r = (n: number) => Float32Array.from({ length: n }, () => Math.random());
for (const [M, N, K, tA, tB, label] of [
  [32, 196, 400, false, false, 'conv2 fwd  W·cols'], [196, 32, 400, true, true, 'conv2 fwd^T colsT·WT (tA,tB)'], [196, 32, 400, false, true, 'conv2 fwd^T rows·WT (tB)'],
  [32, 400, 196, false, true, 'conv2 dW dout·colsT'], [400, 196, 32, true, false, 'conv2 dcols WT·dout'],
  [16, 784, 25, false, false, 'conv1 fwd'], [784, 16, 25, false, true, 'conv1 fwd^T'],
] as [number, number, number, boolean, boolean, string][]) {
  const A = r(M * K), B = r(K * N), C = new Float32Array(M * N);
  const ms = time(label, () => current.gemm(tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N, 0, null, 1, 0, 0, 0));
  console.log(label.padEnd(34), (ms * 1000).toFixed(1), 'us', (2 * M * N * K / ms / 1e6).toFixed(1), 'GFLOP/s');
}
