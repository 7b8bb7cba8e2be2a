// Reductions, (log-)softmax and fused softmax-cross-entropy range kernels. Included INSIDE an ISA
// namespace (see ew_impl_unary.h). Contiguous sums use 32 lane accumulators combined by a fixed tree:
// vectorisable without -ffast-math, more accurate than one serial sum, and the same order every call.

constexpr int kLanes = 32;
constexpr int64_t kBlock = 512;  // temporaries for exp(x − m) live on the stack in blocks of this size

// acc[l] += v[k] for k ≡ l (mod 32); n is a multiple of 32 except on a row's last block.
static inline void lanes_add(float* acc, const float* v, int64_t n) {
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += v[k + l];
  for (int l = 0; k + l < n; ++l) acc[l] += v[k + l];
}
static inline float lanes_total(float* acc) {
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

// max (or min) of x[0..n), NaN-sticky: any NaN gives NaN. n ≥ 1.
static inline float lanes_extreme(const float* x, int64_t n, bool is_max) {
  float acc[kLanes];
  for (int l = 0; l < kLanes; ++l) acc[l] = x[0];
  int64_t k = 0;
  if (is_max) {
    for (; k + kLanes <= n; k += kLanes)
      for (int l = 0; l < kLanes; ++l) { float v = x[k + l]; acc[l] = (v > acc[l] || v != v) ? v : acc[l]; }
  } else {
    for (; k + kLanes <= n; k += kLanes)
      for (int l = 0; l < kLanes; ++l) { float v = x[k + l]; acc[l] = (v < acc[l] || v != v) ? v : acc[l]; }
  }
  for (; k < n; ++k) {
    float v = x[k];
    acc[0] = ((is_max ? v > acc[0] : v < acc[0]) || v != v) ? v : acc[0];
  }
  float m = acc[0];
  for (int l = 1; l < kLanes; ++l) {
    float v = acc[l];
    m = (m != m) ? m : ((v != v || (is_max ? v > m : v < m)) ? v : m);
  }
  return m;
}

static float reduce_contig_k(int op, const float* x, int64_t n) noexcept {
  if (op == kSum || op == kMean || op == kSumSquares) {
    float acc[kLanes] = {};
    if (op == kSumSquares) {
      float sq[kBlock];
      for (int64_t b = 0; b < n; b += kBlock) {
        int64_t len = n - b < kBlock ? n - b : kBlock;
        for (int64_t k = 0; k < len; ++k) sq[k] = x[b + k] * x[b + k];
        lanes_add(acc, sq, len);
      }
    } else {
      lanes_add(acc, x, n);
    }
    float s = lanes_total(acc);
    return op == kMean ? s / float(n) : s;
  }
  if (n <= 0) return __builtin_nanf("");
  // First extreme (JS: strict comparison keeps the first; the first NaN wins): find the value with
  // a vector pass, then the first index holding it.
  bool is_max = op == kRMax || op == kArgmax;
  float m = lanes_extreme(x, n, is_max);
  int64_t k = 0;
  if (m != m) {
    while (x[k] == x[k]) ++k;
  } else {
    while (!(x[k] == m)) ++k;
  }
  return (op == kRMax || op == kRMin) ? x[k] : float(k);
}

// Columns [0, width) of a [n, inner] slab; width ≤ kBlock.
static void reduce_strided_k(int op, const float* x, float* out, int64_t n, int64_t inner, int64_t width) noexcept {
  if (op == kSum || op == kMean || op == kSumSquares) {
    for (int64_t i = 0; i < width; ++i) out[i] = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
      const float* r = x + j * inner;
      if (op == kSumSquares) {
        for (int64_t i = 0; i < width; ++i) out[i] += r[i] * r[i];
      } else {
        for (int64_t i = 0; i < width; ++i) out[i] += r[i];
      }
    }
    if (op == kMean)
      for (int64_t i = 0; i < width; ++i) out[i] = out[i] / float(n);
    return;
  }
  if (n <= 0) {
    for (int64_t i = 0; i < width; ++i) out[i] = __builtin_nanf("");
    return;
  }
  bool is_max = op == kRMax || op == kArgmax;
  float best[kBlock], arg[kBlock];
  for (int64_t i = 0; i < width; ++i) { best[i] = x[i]; arg[i] = 0.0f; }
  for (int64_t j = 1; j < n; ++j) {
    const float* r = x + j * inner;
    const float jf = float(int32_t(j));
    if (is_max) {
      for (int64_t i = 0; i < width; ++i) {
        float v = r[i], b = best[i];
        bool upd = b == b && (v > b || v != v);  // once NaN, stays at the first NaN
        best[i] = upd ? v : b;
        arg[i] = upd ? jf : arg[i];
      }
    } else {
      for (int64_t i = 0; i < width; ++i) {
        float v = r[i], b = best[i];
        bool upd = b == b && (v < b || v != v);
        best[i] = upd ? v : b;
        arg[i] = upd ? jf : arg[i];
      }
    }
  }
  const float* src = (op == kRMax || op == kRMin) ? best : arg;
  for (int64_t i = 0; i < width; ++i) out[i] = src[i];
}

// Σ exp(x[k] − m) over a contiguous row, in fixed blocks.
static inline float sum_exp_shifted(const float* x, int64_t n, float m) {
  float acc[kLanes] = {};
  float e[kBlock];
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t len = n - b < kBlock ? n - b : kBlock;
    for (int64_t k = 0; k < len; ++k) e[k] = vm_exp(x[b + k] - m);
    lanes_add(acc, e, len);
  }
  return lanes_total(acc);
}

static inline float softmax_shift(const float* x, int64_t n) {
  float m = lanes_extreme(x, n, true);
  return m == -__builtin_inff() ? 0.0f : m;  // all −inf: avoid −inf − −inf = NaN
}

// out may alias x.
static void softmax_row_k(const float* x, float* out, int64_t n, bool log) noexcept {
  if (n <= 0) return;
  float m = softmax_shift(x, n);
  float s = sum_exp_shifted(x, n, m);
  if (log) {
    float lse = m + vm_log(s);
    for (int64_t k = 0; k < n; ++k) out[k] = x[k] - lse;
  } else {
    float r = 1.0f / s;
    for (int64_t k = 0; k < n; ++k) out[k] = vm_exp(x[k] - m) * r;
  }
}

static void softmax_strided_k(const float* x, float* out, int64_t n, int64_t inner, int64_t width,
                              bool log) noexcept {
  if (n <= 0) return;
  float m[kBlock], s[kBlock];
  for (int64_t i = 0; i < width; ++i) { m[i] = x[i]; s[i] = 0.0f; }
  for (int64_t j = 1; j < n; ++j) {
    const float* r = x + j * inner;
    for (int64_t i = 0; i < width; ++i) { float v = r[i]; m[i] = (v > m[i] || v != v) && m[i] == m[i] ? v : m[i]; }
  }
  for (int64_t i = 0; i < width; ++i) m[i] = m[i] == -__builtin_inff() ? 0.0f : m[i];
  for (int64_t j = 0; j < n; ++j) {
    const float* r = x + j * inner;
    for (int64_t i = 0; i < width; ++i) s[i] += vm_exp(r[i] - m[i]);
  }
  if (log) {
    for (int64_t i = 0; i < width; ++i) s[i] = m[i] + vm_log(s[i]);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < width; ++i) out[j * inner + i] = x[j * inner + i] - s[i];
  } else {
    for (int64_t i = 0; i < width; ++i) s[i] = 1.0f / s[i];
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < width; ++i) out[j * inner + i] = vm_exp(x[j * inner + i] - m[i]) * s[i];
  }
}

// softmax: dx = y (dy − Σ dy·y); log-softmax: dx = dy − exp(y) Σ dy. dx may alias dy.
static void softmax_backward_row_k(const float* y, const float* dy, float* dx, int64_t n, bool log) noexcept {
  float acc[kLanes] = {};
  if (log) {
    lanes_add(acc, dy, n);
  } else {
    float t[kBlock];
    for (int64_t b = 0; b < n; b += kBlock) {
      int64_t len = n - b < kBlock ? n - b : kBlock;
      for (int64_t k = 0; k < len; ++k) t[k] = dy[b + k] * y[b + k];
      lanes_add(acc, t, len);
    }
  }
  float s = lanes_total(acc);
  if (log) {
    for (int64_t k = 0; k < n; ++k) dx[k] = dy[k] - vm_exp(y[k]) * s;
  } else {
    for (int64_t k = 0; k < n; ++k) dx[k] = y[k] * (dy[k] - s);
  }
}

static void softmax_backward_strided_k(const float* y, const float* dy, float* dx, int64_t n, int64_t inner,
                                       int64_t width, bool log) noexcept {
  float s[kBlock];
  for (int64_t i = 0; i < width; ++i) s[i] = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    const float* g = dy + j * inner;
    const float* r = y + j * inner;
    if (log) {
      for (int64_t i = 0; i < width; ++i) s[i] += g[i];
    } else {
      for (int64_t i = 0; i < width; ++i) s[i] += g[i] * r[i];
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    const float* g = dy + j * inner;
    const float* r = y + j * inner;
    float* d = dx + j * inner;
    if (log) {
      for (int64_t i = 0; i < width; ++i) d[i] = g[i] - vm_exp(r[i]) * s[i];
    } else {
      for (int64_t i = 0; i < width; ++i) d[i] = r[i] * (g[i] - s[i]);
    }
  }
}

// loss = logsumexp(x) − x[label]; dlogits = gradScale·(softmax(x) − onehot(label)). label is valid.
static float softmax_xent_row_k(const float* x, int32_t label, float* dlogits, int64_t classes,
                                float grad_scale) noexcept {
  float m = softmax_shift(x, classes);
  float s = sum_exp_shifted(x, classes, m);
  float lse = m + vm_log(s);
  float loss = lse - x[label];
  if (dlogits) {
    float r = 1.0f / s;
    float at_label = grad_scale * (vm_exp(x[label] - m) * r - 1.0f);  // before dlogits may overwrite x
    for (int64_t k = 0; k < classes; ++k) dlogits[k] = grad_scale * (vm_exp(x[k] - m) * r);
    dlogits[label] = at_label;
  }
  return loss;
}
