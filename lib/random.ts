/**
 * Seeded pseudo-random numbers (no Math.random anywhere in nodegrad): xoshiro128** (128-bit state,
 * seeded through splitmix32) with Box–Muller normals. `manualSeed` reseeds the global generator that
 * randn/rand/initialisers/dropout/shuffling draw from; `Generator` gives independent streams.
 */

function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [x, z >>> 0];
}

/** Serializable generator state (four 32-bit words plus the cached Box–Muller spare). */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Reseeds from an integer (any JS number; its low 53 bits count). */
  seed(seed: number): void {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new TypeError(`manualSeed: seed must be a finite number, got ${String(seed)}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let x = lo ^ Math.imul(hi, 0x27d4eb2d);
    let z: number;
    [x, z] = splitmix32(x); this.s0 = z;
    [x, z] = splitmix32(x ^ hi); this.s1 = z;
    [x, z] = splitmix32(x); this.s2 = z;
    [x, z] = splitmix32(x); this.s3 = z;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits, so it stays < 1 after float32 rounding. */
  uniform(): number {
    return (this.nextU32() >>> 8) * 5.9604644775390625e-8;
  }

  /** Uniform float64 in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  randint(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Standard normal (Box–Muller; the second value of each pair is cached). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = (this.nextU32() + 1) / 4294967297; // (0, 1): log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u2;
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  setState(state: RngState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) throw new TypeError('setRngState: expected {s: [4 numbers], spare}');
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v | 0) as [number, number, number, number];
    this.spare = state.spare ?? null;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The global generator (default seed 0, so runs are reproducible unless reseeded). */
export const defaultGenerator = new Generator(0);

/** Reseeds the global generator used by randn, rand, layer initialisers, dropout and shuffling. */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}

/** A copy of the global generator's state (for checkpoints). */
export function getRngState(): RngState {
  return defaultGenerator.getState();
}

/** Restores a state from getRngState(). */
export function setRngState(state: RngState): void {
  defaultGenerator.setState(state);
}
