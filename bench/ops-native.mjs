// µs per call of native add (binary) and sigmoid (unary) at 4, 1k and 1M elements, through the raw binding.
// Usage: node bench/ops-native.mjs   (NODEGRAD_ISA / NODEGRAD_NUM_THREADS apply)
import { createRequire } from 'node:module';
const b = createRequire(import.meta.url)('../build/Release/nodegrad.node');
function time(fn, n) {
  for (let i = 0; i < Math.min(n, 1000); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}
const info = b.nativeInfo();
console.log(`isa ${info.isa}, threads ${info.threads}`);
for (const n of [4, 1024, 1 << 20]) {
  const x = new Float32Array(n).map((_, i) => Math.sin(i)), y = new Float32Array(n).fill(0.5), out = new Float32Array(n);
  const meta = new Int32Array([1, n, 1, 1]);
  const reps = n < 2000 ? 200000 : 300;
  const add = time(() => b.binary(0, x, y, out, meta), reps);
  const sig = time(() => b.unary(6, x, out, n, 0), reps);
  console.log(`n=${String(n).padStart(8)}  add ${add.toFixed(3)} µs  sigmoid ${sig.toFixed(3)} µs`);
}
