// Unary / binary / copy range kernels. Included INSIDE `namespace ng::<isa> { namespace { ... } }` of
// each ISA translation unit (after ew_math.h), so every ISA compiles the same source with its own flags.
// Each op is a scalar lambda; map1/map3 put the op switch outside the loop so each loop vectorises.

template <class F>
static inline void map1(const float* x, float* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(x[i]);
}
template <class F>
static inline void map2(const float* a, const float* b, float* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
}

// JS Math.pow: 1 ** ±inf, (−1) ** ±inf and 1 ** NaN are NaN (C's powf says 1).
static inline float js_pow(float u, float v) {
  bool nan1 = (u == 1.0f || u == -1.0f) && (v != v || vm_abs(v) == __builtin_inff());
  return nan1 ? __builtin_nanf("") : std::pow(u, v);
}

// Activations in double, rounded once (the js reference's formulas).
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
static inline double sigmoid_d(double z) { return 1.0 / (1.0 + std::exp(-z)); }
static inline double softplus_d(double x, double beta) {
  const double z = beta * x;
  return z > 20.0 ? x : std::log1p(std::exp(z)) / beta;
}

// erfinv in double: Giles' approximation, then two Newton steps on erf (the js reference's algorithm).
static inline double erfinv_d(double x) {
  if (!(x >= -1.0 && x <= 1.0)) return __builtin_nan("");
  if (x == 1.0) return __builtin_inf();
  if (x == -1.0) return -__builtin_inf();
  double w = -std::log((1.0 - x) * (1.0 + x)), p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w; p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w; p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w; p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  double y = p * x;
  for (int k = 0; k < 2; ++k) y -= (std::erf(y) - x) / (1.1283791670955126 * std::exp(-y * y));
  return y;
}

static void unary_k(int op, const float* x, float* out, int64_t n, float alpha) noexcept {
  switch (op) {
    case kNeg: map1(x, out, n, [](float v) { return -v; }); return;
    case kExp: map1(x, out, n, [](float v) { return vm_exp(v); }); return;
    case kLog: map1(x, out, n, [](float v) { return vm_log(v); }); return;
    case kSqrt: map1(x, out, n, [](float v) { return __builtin_sqrtf(v); }); return;
    case kAbs: map1(x, out, n, [](float v) { return vm_abs(v); }); return;
    case kRelu: map1(x, out, n, [](float v) { return (v > 0.0f || v != v) ? v : 0.0f; }); return;
    case kSigmoid: map1(x, out, n, [](float v) { return vm_sigmoid(v); }); return;
    case kTanh: map1(x, out, n, [](float v) { return vm_tanh(v); }); return;
    case kGelu: map1(x, out, n, [](float v) { return vm_gelu(v); }); return;
    case kGeluTanh: map1(x, out, n, [](float v) { return vm_gelu_tanh(v); }); return;
    case kLeakyRelu: map1(x, out, n, [alpha](float v) { return v > 0.0f ? v : alpha * v; }); return;
    case kPowScalar:
      // pow has no vector form here: libm powf per element (≤ 1 ulp), with the common exact cases.
      if (alpha == 2.0f) { map1(x, out, n, [](float v) { return v * v; }); return; }
      if (alpha == 1.0f) { map1(x, out, n, [](float v) { return v; }); return; }
      for (int64_t i = 0; i < n; ++i) out[i] = js_pow(x[i], alpha);
      return;
    case kScale: map1(x, out, n, [alpha](float v) { return v * alpha; }); return;
    case kAddScalar: map1(x, out, n, [alpha](float v) { return v + alpha; }); return;
    case kReciprocal: map1(x, out, n, [](float v) { return 1.0f / v; }); return;
    case kSquare: map1(x, out, n, [](float v) { return v * v; }); return;
    // libm in double, rounded once: the same values as the js reference (no vector forms yet)
    case kSin: map1(x, out, n, [](float v) { return float(std::sin(double(v))); }); return;
    case kCos: map1(x, out, n, [](float v) { return float(std::cos(double(v))); }); return;
    case kTan: map1(x, out, n, [](float v) { return float(std::tan(double(v))); }); return;
    case kAsin: map1(x, out, n, [](float v) { return float(std::asin(double(v))); }); return;
    case kAcos: map1(x, out, n, [](float v) { return float(std::acos(double(v))); }); return;
    case kAtan: map1(x, out, n, [](float v) { return float(std::atan(double(v))); }); return;
    case kSinh: map1(x, out, n, [](float v) { return float(std::sinh(double(v))); }); return;
    case kCosh: map1(x, out, n, [](float v) { return float(std::cosh(double(v))); }); return;
    case kErf: map1(x, out, n, [](float v) { return float(std::erf(double(v))); }); return;
    case kErfinv: map1(x, out, n, [](float v) { return float(erfinv_d(double(v))); }); return;
    case kLog1p: map1(x, out, n, [](float v) { return float(std::log1p(double(v))); }); return;
    case kExpm1: map1(x, out, n, [](float v) { return float(std::expm1(double(v))); }); return;
    case kLog2: map1(x, out, n, [](float v) { return float(std::log2(double(v))); }); return;
    case kLog10: map1(x, out, n, [](float v) { return float(std::log10(double(v))); }); return;
    case kRsqrt: map1(x, out, n, [](float v) { return float(1.0 / std::sqrt(double(v))); }); return;
    case kSign: map1(x, out, n, [](float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); }); return;
    case kFloor: map1(x, out, n, [](float v) { return std::floor(v); }); return;
    case kCeil: map1(x, out, n, [](float v) { return std::ceil(v); }); return;
    case kRound: map1(x, out, n, [](float v) { return std::nearbyint(v); }); return;  // half to even (default mode)
    case kTrunc: map1(x, out, n, [](float v) { return std::trunc(v); }); return;
    case kFrac: map1(x, out, n, [](float v) { return v - std::trunc(v); }); return;
    case kSoftplus: map1(x, out, n, [alpha](float v) { return float(softplus_d(double(v), double(alpha))); }); return;
    case kSilu: map1(x, out, n, [](float v) { return float(double(v) * sigmoid_d(double(v))); }); return;
    case kMish: map1(x, out, n, [](float v) { return float(double(v) * std::tanh(softplus_d(double(v), 1.0))); }); return;
    case kElu: map1(x, out, n, [alpha](float v) { return v > 0.0f ? v : float(double(alpha) * std::expm1(double(v))); }); return;
    case kSelu: map1(x, out, n, [](float v) { return float(kSeluScale * (v > 0.0f ? double(v) : kSeluAlpha * std::expm1(double(v)))); }); return;
    case kLogsigmoid: map1(x, out, n, [](float v) { const double d = v; return float((d < 0.0 ? d : 0.0) - std::log1p(std::exp(-std::fabs(d)))); }); return;
    default: return;
  }
}

// Derivatives at kinks follow PyTorch (relu'(0) = 0, abs'(0) = 0, leakyRelu'(0) = alpha).
static void unary_backward_k(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                             float alpha) noexcept {
  switch (op) {
    case kNeg: map1(dy, dx, n, [](float g) { return -g; }); return;
    case kExp: map2(dy, y, dx, n, [](float g, float e) { return g * e; }); return;
    case kLog: map2(dy, x, dx, n, [](float g, float v) { return g / v; }); return;
    case kSqrt: map2(dy, y, dx, n, [](float g, float s) { return (0.5f * g) / s; }); return;
    case kAbs: map2(dy, x, dx, n, [](float g, float v) { return v > 0.0f ? g : (v < 0.0f ? -g : 0.0f); }); return;
    case kRelu: map2(dy, x, dx, n, [](float g, float v) { return v > 0.0f ? g : 0.0f; }); return;
    // (1−t)(1+t) instead of 1−t²: exact 1−t near |t| = 1 where 1−t² would cancel.
    case kSigmoid: map2(dy, y, dx, n, [](float g, float s) { return g * (s * (1.0f - s)); }); return;
    case kTanh: map2(dy, y, dx, n, [](float g, float t) { return g * ((1.0f - t) * (1.0f + t)); }); return;
    case kGelu: map2(dy, x, dx, n, [](float g, float v) { return g * vm_gelu_grad(v); }); return;
    case kGeluTanh: map2(dy, x, dx, n, [](float g, float v) { return g * vm_gelu_tanh_grad(v); }); return;
    case kLeakyRelu: map2(dy, x, dx, n, [alpha](float g, float v) { return v > 0.0f ? g : alpha * g; }); return;
    case kPowScalar:
      if (alpha == 0.0f) { for (int64_t i = 0; i < n; ++i) dx[i] = 0.0f; return; }
      if (alpha == 2.0f) { map2(dy, x, dx, n, [](float g, float v) { return g * 2.0f * v; }); return; }
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * alpha * js_pow(x[i], alpha - 1.0f);
      return;
    case kScale: map1(dy, dx, n, [alpha](float g) { return g * alpha; }); return;
    case kAddScalar: map1(dy, dx, n, [](float g) { return g; }); return;
    case kReciprocal: map2(dy, y, dx, n, [](float g, float r) { return -g * r * r; }); return;
    case kSquare: map2(dy, x, dx, n, [](float g, float v) { return 2.0f * v * g; }); return;
    case kSin: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) * std::cos(double(v))); }); return;
    case kCos: map2(dy, x, dx, n, [](float g, float v) { return float(-double(g) * std::sin(double(v))); }); return;
    case kTan: map2(dy, y, dx, n, [](float g, float t) { return float(double(g) * (1.0 + double(t) * t)); }); return;
    case kAsin: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) / std::sqrt(1.0 - double(v) * v)); }); return;
    case kAcos: map2(dy, x, dx, n, [](float g, float v) { return float(-double(g) / std::sqrt(1.0 - double(v) * v)); }); return;
    case kAtan: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) / (1.0 + double(v) * v)); }); return;
    case kSinh: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) * std::cosh(double(v))); }); return;
    case kCosh: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) * std::sinh(double(v))); }); return;
    case kErf: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) * 1.1283791670955126 * std::exp(-double(v) * v)); }); return;
    case kErfinv: map2(dy, y, dx, n, [](float g, float e) { return float(double(g) * 0.886226925452758 * std::exp(double(e) * e)); }); return;
    case kLog1p: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) / (1.0 + double(v))); }); return;
    case kExpm1: map2(dy, y, dx, n, [](float g, float e) { return float(double(g) * (double(e) + 1.0)); }); return;
    case kLog2: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) / (double(v) * 0.6931471805599453)); }); return;
    case kLog10: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) / (double(v) * 2.302585092994046)); }); return;
    case kRsqrt: map2(dy, y, dx, n, [](float g, float r) { return float(-0.5 * double(g) * double(r) * r * r); }); return;
    case kSign: case kFloor: case kCeil: case kRound: case kTrunc:
      for (int64_t i = 0; i < n; ++i) dx[i] = 0.0f;
      return;
    case kFrac: map1(dy, dx, n, [](float g) { return g; }); return;
    case kSoftplus: map2(dy, x, dx, n, [alpha](float g, float v) { const double z = double(alpha) * v; return z > 20.0 ? g : float(double(g) * sigmoid_d(z)); }); return;
    case kSilu: map2(dy, x, dx, n, [](float g, float v) { const double s = sigmoid_d(v); return float(double(g) * (s + double(v) * s * (1.0 - s))); }); return;
    case kMish: map2(dy, x, dx, n, [](float g, float v) {
      const double t = std::tanh(softplus_d(double(v), 1.0));
      return float(double(g) * (t + double(v) * (1.0 - t * t) * sigmoid_d(v)));
    }); return;
    case kElu: map2(dy, x, dx, n, [alpha](float g, float v) { return v > 0.0f ? g : float(double(g) * double(alpha) * std::exp(double(v))); }); return;
    case kSelu: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) * kSeluScale * (v > 0.0f ? 1.0 : kSeluAlpha * std::exp(double(v)))); }); return;
    case kLogsigmoid: map2(dy, x, dx, n, [](float g, float v) { return float(double(g) * sigmoid_d(-double(v))); }); return;
    default: return;
  }
}

// Math.max / Math.min: NaN if either is NaN; max(−0, +0) = +0, min(−0, +0) = −0 (bitwise and/or of zeros).
static inline float js_max(float a, float b) {
  float eq = vm_from_bits(vm_bits(a) & vm_bits(b));
  return a > b ? a : (b > a ? b : (a == b ? eq : a + b));
}
static inline float js_min(float a, float b) {
  float eq = vm_from_bits(vm_bits(a) | vm_bits(b));
  return a < b ? a : (b < a ? b : (a == b ? eq : a + b));
}

template <class F>
static inline void run2(const float* a, int64_t as, const float* b, int64_t bs, float* out, int64_t n, F f) {
  if (as == 1 && bs == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (as == 1 && bs == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
  } else if (as == 0 && bs == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i * as], b[i * bs]);
  }
}

static void binary_run_k(int op, const float* a, int64_t as, const float* b, int64_t bs, float* out,
                         int64_t n) noexcept {
  switch (op) {
    case kAdd: run2(a, as, b, bs, out, n, [](float u, float v) { return u + v; }); return;
    case kSub: run2(a, as, b, bs, out, n, [](float u, float v) { return u - v; }); return;
    case kMul: run2(a, as, b, bs, out, n, [](float u, float v) { return u * v; }); return;
    case kDiv: run2(a, as, b, bs, out, n, [](float u, float v) { return u / v; }); return;
    case kPow:
      for (int64_t i = 0; i < n; ++i) out[i] = js_pow(a[i * as], b[i * bs]);
      return;
    case kMax: run2(a, as, b, bs, out, n, [](float u, float v) { return js_max(u, v); }); return;
    case kMin: run2(a, as, b, bs, out, n, [](float u, float v) { return js_min(u, v); }); return;
    case kAtan2: run2(a, as, b, bs, out, n, [](float u, float v) { return float(std::atan2(double(u), double(v))); }); return;
    default: return;
  }
}

static void copy_run_k(const float* src, int64_t ss, float* dst, int64_t ds, int64_t n, bool accumulate) noexcept {
  if (accumulate) {
    if (ss == 1 && ds == 1) {
      for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
    } else {
      for (int64_t i = 0; i < n; ++i) dst[i * ds] += src[i * ss];
    }
  } else if (ss == 1 && ds == 1) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  } else if (ss == 0) {
    const float v = src[0];
    for (int64_t i = 0; i < n; ++i) dst[i * ds] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i * ds] = src[i * ss];
  }
}
