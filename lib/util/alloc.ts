/**
 * Output buffers that a kernel overwrites completely (a beta = 0 GEMM) skip V8's zero-fill when they
 * are large: Buffer.allocUnsafeSlow gives a fresh, unpooled ArrayBuffer of exactly n·4 bytes at
 * offset 0 — an ordinary Float32Array to every caller. Only for outputs written in full before anyone
 * reads them. Used for the Linear forward output (MLP inference at batch 128, 2 threads: ~460k →
 * ~477k samples/s in alternating runs of `node bench/mlp.mjs --sections mlp --threads 2 --quick`);
 * gradient buffers stay zero-filled allocations, where it measured slower on 1 thread.
 */
const MIN_ELEMENTS = 4096;

export function uninitFloat32(n: number): Float32Array {
  if (n < MIN_ELEMENTS) return new Float32Array(n);
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}
