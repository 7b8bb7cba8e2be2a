/**
 * Scalar math helpers shared by the js kernels (element-wise, GEMM epilogues, fused ops).
 * Computed in float64; callers store into Float32Array (one rounding).
 */

/**
 * erf(x) to ~1e-15 relative: the Maclaurin series for |x| < 2.5 and erfc's continued fraction
 * (Lentz) beyond it; erf(x) = ±1 for |x| ≥ 6.
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = x < 0 ? -x : x;
  let r: number;
  if (ax < 2.5) {
    // erf(x) = 2/√π · Σ (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = 1.1283791670955126 * sum;
  } else if (ax < 6) {
    r = 1 - erfcLarge(ax);
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}

/** erfc(x) for x ≥ 2.5 by Lentz's continued fraction: erfc(x) = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))). */
function erfcLarge(x: number): number {
  // K = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let C = f;
  let D = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    D = x + a * D;
    D = D === 0 ? tiny : D;
    C = x + a / C;
    C = C === 0 ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (1.7724538509055159 * f);
}

/** Logistic sigmoid 1 / (1 + e^-x), stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const SQRT1_2 = Math.SQRT1_2;
/** Exact GELU: 0.5 x (1 + erf(x / √2)). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * SQRT1_2));
}

/** d/dx exact GELU: Φ(x) + x φ(x). */
export function geluGrad(x: number): number {
  return 0.5 * (1 + erf(x * SQRT1_2)) + x * 0.3989422804014327 * Math.exp(-0.5 * x * x);
}

const GELU_C = 0.7978845608028654; // √(2/π)
/** tanh-approximated GELU: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

/** d/dx tanh-approximated GELU. */
export function geluTanhGrad(x: number): number {
  const u = GELU_C * (x + 0.044715 * x * x * x);
  const t = Math.tanh(u);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

/** Rounds half to even, as torch.round and C's rint in the default mode (Math.round rounds half up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * erfinv(x) for x in [−1, 1] (±1 → ±∞, outside → NaN): Giles' approximation ("Approximating the
 * erfinv function", GPU Gems 2011) as a start, then two Newton steps on erf in float64.
 */
export function erfinv(x: number): number {
  if (!(x >= -1 && x <= 1)) return NaN;
  if (x === 1) return Infinity;
  if (x === -1) return -Infinity;
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w; p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w; p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w; p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  let y = p * x;
  for (let k = 0; k < 2; k++) y -= (erf(y) - x) / (1.1283791670955126 * Math.exp(-y * y));
  return y;
}

/** PyTorch's SELU constants. */
export const SELU_SCALE = 1.0507009873554804934193349852946;
export const SELU_ALPHA = 1.6732632423543772848170429916717;

/** softplus with PyTorch's beta and threshold 20: log(1 + e^(βx)) / β, or x where βx > 20. */
export function softplus(x: number, beta: number): number {
  const z = beta * x;
  return z > 20 ? x : Math.log1p(Math.exp(z)) / beta;
}
