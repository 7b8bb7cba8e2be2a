// Page faults and µs per call of fresh memory vs the allocator, for one MNIST-sized output
// ([784,128]·[128,256] → 800 KB): the raw GEMM into a reused array, a.matmul(b) through the API,
// a fresh `new Float32Array` (V8 → calloc), and `Buffer.allocUnsafeSlow` + fill(0) (malloc).
// Run it twice to compare: `node bench/alloc.mjs` and `NODEGRAD_MALLOC_TUNE=0 NODEGRAD_POOL=0 node bench/alloc.mjs`.
import * as ng from '../dist/esm/index.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { nativeBinding } = require('../dist/cjs/backend/registry.js');
const b = nativeBinding();
const M = 784, K = 128, N = 256;
const a = ng.randn([M, K]);
const w = ng.randn([K, N]);
const C = new Float32Array(M * N);

function measure(name, f, n = 300) {
  for (let i = 0; i < 50; i++) f();
  const times = [];
  const p0 = process.resourceUsage().minorPageFault;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  const faults = (process.resourceUsage().minorPageFault - p0) / n;
  times.sort((x, y) => x - y);
  console.log(`${name.padEnd(40)} ${times[n >> 1].toFixed(1).padStart(8)} µs  ${faults.toFixed(2).padStart(7)} faults/call`);
}

console.log(`malloc tuned: ${b?.mallocTuned?.() ?? 'no addon'}, pool: ${process.env.NODEGRAD_POOL !== '0'}`);
if (b) measure('raw gemm (reused output)', () => b.gemm(false, false, M, N, K, 1, a.data, K, w.data, N, 0, C, N, 0, null, 1, 0, 0, 0));
measure('a.matmul(b) through the API', () => a.matmul(w));
measure('new Float32Array(200704) (calloc)', () => { const x = new Float32Array(M * N); x[0] = 1; x[M * N - 1] = 1; });
measure('allocUnsafeSlow + fill(0) (malloc)', () => new Float32Array(Buffer.allocUnsafeSlow(M * N * 4).buffer).fill(0));
