// Branch-free float32 transcendental functions for the element-wise kernels. Written as plain scalar
// code with selects instead of branches so the compiler vectorises them in every ISA's translation
// unit (no libm calls, no -ffast-math). Include this INSIDE an ISA namespace (after <cstdint>): each
// ISA gets its own internal-linkage copy compiled with its own flags (no ODR leakage across ISAs).
//
// Algorithms: Cody-Waite range reduction + Cephes minimax polynomials (exp, log, tanh); Φ(x) (for the
// exact GELU) from an odd polynomial for |x|/√2 < 0.5 and erfc(z) = exp(-z²)·erfcx(z) beyond, with
// erfcx fitted (degree 9 in t = 2/(2+z)) on z ∈ [0.5, 10] and z² split exactly (no cancellation in
// the negative tail). Measured accuracy: see elementwise.h.

static inline uint32_t vm_bits(float f) { uint32_t u; __builtin_memcpy(&u, &f, 4); return u; }
static inline float vm_from_bits(uint32_t u) { float f; __builtin_memcpy(&f, &u, 4); return f; }
static inline float vm_abs(float x) { return vm_from_bits(vm_bits(x) & 0x7fffffffu); }

// e^x, ≤ 1 ulp for normal results. NaN propagates, +inf → inf, -inf → 0; denormal results are
// produced (scaling by 2^n is split in two normal factors so n ∈ [-150, 128] never under/overflows early).
static inline float vm_exp(float x) {
  x = x < -104.0f ? -104.0f : x;  // comparisons are false for NaN: it passes through
  x = x > 89.0f ? 89.0f : x;
  const float magic = 12582912.0f;  // 1.5·2^23: the sum's low mantissa bits hold round(x·log2 e)
  float t = x * 1.44269504088896341f + magic;
  float n = t - magic;
  int32_t ni = int32_t(vm_bits(t) - vm_bits(magic));  // integer n without a float→int conversion (NaN-safe)
  float r = x - n * 0.693359375f;                     // Cody-Waite: ln2 = C1 + C2, n·C1 exact
  r = r - n * -2.12194440e-4f;
  float z = r * r;
  float p = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
              1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r + 1.0f;
  int32_t h = ni >> 1;
  float s1 = vm_from_bits(uint32_t(h + 127) << 23);
  float s2 = vm_from_bits(uint32_t(ni - h + 127) << 23);
  return p * s1 * s2;
}

// ln x; x < 0 or NaN → NaN, ±0 → -inf, +inf → inf, denormals handled by pre-scaling.
static inline float vm_log(float x) {
  bool tiny = x < 1.17549435e-38f;
  float xs = tiny ? x * 8388608.0f : x;
  uint32_t u = vm_bits(xs);
  float e = float(int32_t((u >> 23) & 0xffu) - 126) - (tiny ? 23.0f : 0.0f);
  float m = vm_from_bits((u & 0x007fffffu) | 0x3f000000u);  // mantissa in [0.5, 1)
  bool lo = m < 0.707106781186547524f;                      // keep m-1 in [√½-1, √2-1]
  e = lo ? e - 1.0f : e;
  m = lo ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = ((((((((7.0376836292e-2f * m - 1.1514610310e-1f) * m + 1.1676998740e-1f) * m - 1.2420140846e-1f) * m +
                 1.4249322787e-1f) * m - 1.6668057665e-1f) * m + 2.0000714765e-1f) * m - 2.4999993993e-1f) * m +
             3.3333331174e-1f) * m * z;
  y = y + -2.12194440e-4f * e;
  y = y + -0.5f * z;
  float r = m + y;
  r = r + 0.693359375f * e;
  r = x == __builtin_inff() ? x : r;
  r = x == 0.0f ? -__builtin_inff() : r;
  r = x < 0.0f ? __builtin_nanf("") : r;
  return x != x ? x : r;
}

// tanh: odd polynomial for |x| < 0.625, 1 − 2/(e^{2|x|}+1) beyond (exp saturates to inf → ±1).
static inline float vm_tanh(float x) {
  float ax = vm_abs(x);
  float z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
                 3.33332819422e-1f) * z * x + x;
  float big = 1.0f - 2.0f / (vm_exp(ax + ax) + 1.0f);
  big = x < 0.0f ? -big : big;
  return ax < 0.625f ? small : big;
}

// 1 / (1 + e^-x): relative error stays small on both tails (e^-x → inf gives exactly 0).
static inline float vm_sigmoid(float x) { return 1.0f / (1.0f + vm_exp(-x)); }

// Φ(x) = P(N(0,1) ≤ x) = ½ erfc(−x/√2), accurate in relative terms on the negative tail too.
static inline float vm_phi(float x) {
  float w = x * 0.707106781186547524f;
  float w2 = w * w;
  float erfw = w * ((((4.728139948e-03f * w2 - 2.676265947e-02f) * w2 + 1.128291895e-01f) * w2 - 3.761261450e-01f) * w2 +
                    1.128379166e+00f);
  float near = 0.5f + 0.5f * erfw;
  float z = vm_abs(w);
  // erfcx(z) = e^{z²} erfc(z) by a degree-9 fit in t = 2/(2+z) − c, evaluated in double: in float the
  // division and the centring cost ~10 ulp. Beyond the fit range (z > 10) e^{-z²} is ~0 anyway.
  double zp = z > 10.0f ? 10.0 : double(z);
  double t = 2.0 / (2.0 + zp) - 0.48333333333333334;
  double qd = ((((((((-0.07547676519798774 * t + 0.027282990610189177) * t + 0.12154047147995131) * t -
                    0.06893092055302473) * t - 0.21768911582604744) * t + 0.07814559987922284) * t +
                 0.6272288131412418) * t + 0.9351511191853313) * t + 0.8226759416352863) * t + 0.24142173707731837;
  float q = float(qd);
  // e^{-z²} = e^{-x²/2} from the exact input: x = xh + xl with 12-bit xh, so xh²/2 is exact and the
  // small remainder (x−xh)(x+xh)/2 gets its own exp (z itself is rounded: using it would cost ~z² ulp).
  float xa = vm_abs(x);
  xa = xa > 18.5f ? 18.5f : xa;
  float xh = vm_from_bits(vm_bits(xa) & 0xfffff000u);
  float d = 0.5f * (xa - xh) * (xa + xh);
  float erfc = vm_exp(-0.5f * (xh * xh)) * vm_exp(-d) * q;
  float far = x < 0.0f ? 0.5f * erfc : 1.0f - 0.5f * erfc;
  return z < 0.5f ? near : far;
}

static inline float vm_gelu(float x) { return x * vm_phi(x); }

// d/dx x·Φ(x) = Φ(x) + x·φ(x)
static inline float vm_gelu_grad(float x) {
  return vm_phi(x) + x * (0.398942280401432678f * vm_exp(-0.5f * x * x));
}

// ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³): no cancellation for negative x.
static inline float vm_gelu_tanh(float x) {
  // 2u in double: an error of k ulp in 2u costs |2u|·k ulp in σ on the negative side.
  double xd = x;
  float u2 = float(1.5957691216057308 * (xd + 0.044715 * xd * xd * xd));
  return x * vm_sigmoid(u2);
}

// d/dx: σ + x·(1−t²)/2·u', with (1+t)/2 = σ and (1−t²)/2 = 2σ(1−σ).
static inline float vm_gelu_tanh_grad(float x) {
  float xc = x > 1e4f ? 1e4f : (x < -1e4f ? -1e4f : x);  // σ(1−σ) is exactly 0 there; avoids 0·inf
  float s = vm_sigmoid(1.59576912160573071f * (xc + 0.044715f * xc * xc * xc));
  float du = 0.797884560802865355f * (1.0f + 0.134145f * xc * xc);
  float r = s + 2.0f * xc * s * (1.0f - s) * du;
  return x != x ? x : r;
}
