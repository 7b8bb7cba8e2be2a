/**
 * The allocator of the JS-visible storages (both backends keep typed arrays in JS).
 *
 * Measured (docs/tensor-core.md): most of the gap between the public API and the kernels was fresh
 * memory — a new 800 KB Float32Array costs page faults and zeroing, and glibc returns freed large
 * blocks to the OS at once, so every step faults them in again. Two parts fix it:
 *  1. the native addon raises glibc's mmap/trim thresholds at load (native/binding/addon.cc), so the
 *     buffers the GC frees stay in the heap and the next step reuses them without page faults;
 *  2. buffers whose lifetime the library knows — pending gradients once their backward rule ran,
 *     temporaries inside a rule — go back here at once, into exact-length free lists (training
 *     repeats the same lengths every step), and the next request of that length takes them.
 * Everything else (outputs the user may hold) follows the GC. A released buffer must not be used
 * again by its releaser; release() ignores a buffer that is already pooled, so a double release can
 * never hand one buffer to two owners.
 */
const MIN_POOLED = 256; // elements: smaller arrays are cheaper to allocate than to track
const MAX_PER_LENGTH = 8;
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

const free = new Map<number, Float32Array[]>();
const pooled = new WeakSet<Float32Array>();
let pooledBytes = 0;
let enabled = process.env.NODEGRAD_POOL !== '0';
const stats = { hits: 0, misses: 0, released: 0, dropped: 0 };

/** Fresh V8 arrays above this size skip the zero-fill (Buffer.allocUnsafeSlow) when the caller overwrites them. */
const UNINIT_MIN = 4096;

function take(n: number): Float32Array | null {
  if (!enabled || n < MIN_POOLED) return null;
  const list = free.get(n);
  if (list === undefined || list.length === 0) return null;
  const a = list.pop()!;
  pooled.delete(a);
  pooledBytes -= a.byteLength;
  stats.hits++;
  return a;
}

/** A Float32Array of n elements with unspecified contents: only for outputs a kernel overwrites in full. */
export function emptyF32(n: number): Float32Array {
  const a = take(n);
  if (a !== null) return a;
  if (n >= MIN_POOLED) stats.misses++;
  if (n < UNINIT_MIN) return new Float32Array(n);
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}

/** A zero-filled Float32Array of n elements. */
export function zerosF32(n: number): Float32Array {
  const a = take(n);
  if (a !== null) return a.fill(0);
  if (n >= MIN_POOLED) stats.misses++;
  if (n < UNINIT_MIN) return new Float32Array(n);
  // malloc + fill rather than calloc: measured (node bench/alloc.mjs), glibc's calloc of a reused
  // 800 KB block still page-faults ~28 times per call where malloc + fill faults ~1 time
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n).fill(0);
}

/**
 * Gives `a` back for reuse. Only whole, unshared arrays the library allocated itself and nobody else
 * can reach (no tensor, no user reference) may be released.
 */
export function release(a: Float32Array | null | undefined): void {
  if (!enabled || a == null || a.length < MIN_POOLED || pooled.has(a)) return;
  if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return; // a view of something larger
  let list = free.get(a.length);
  if (list === undefined) free.set(a.length, (list = []));
  if (list.length >= MAX_PER_LENGTH || pooledBytes + a.byteLength > MAX_POOLED_BYTES) {
    stats.dropped++;
    return;
  }
  list.push(a);
  pooled.add(a);
  pooledBytes += a.byteLength;
  stats.released++;
}

/** Pool counters (hits, misses, released, dropped, pooledBytes) for tests and benchmarks. */
export function allocStats(): { hits: number; misses: number; released: number; dropped: number; pooledBytes: number } {
  return { ...stats, pooledBytes };
}

/** Turns buffer reuse on or off (NODEGRAD_POOL=0 starts with it off); returns the previous setting. Off empties the pool. */
export function setPoolEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = !!on;
  if (!enabled) {
    free.clear();
    pooledBytes = 0;
  }
  return prev;
}
