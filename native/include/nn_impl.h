// The body of every ISA's nn translation unit (native/isa/<isa>/nn_kernels.cc): include INSIDE
// `namespace ng { namespace <isa> {` after <cmath>, <cstdint> and "nn_kernels.h". Everything but the
// exported table has internal linkage. Formulas: lib/backend/backend.ts (LossOp, dropout); the js
// reference is lib/backend/js/nn.ts. Each op is a scalar lambda with selects instead of branches, and
// the op switch sits outside the loops, so every loop vectorises under each ISA's flags.
namespace {
#include "ew_math.h"

// log(1 + x) without cancellation for x ≥ −1 (Goldberg's trick: u = 1 + x rounded, then
// log(u)·x/(u − 1) corrects the rounding of u); −1 → −inf, NaN → NaN.
static inline float nn_log1p(float x) {
  float u = 1.0f + x;
  float d = u - 1.0f;
  float r = vm_log(u) * (x / (d == 0.0f ? 1.0f : d));
  return d == 0.0f ? x : r;
}

static inline double nn_absd(double d) { return d < 0.0 ? -d : d; }
static inline float nn_clamp100(float v) { return v < -100.0f ? -100.0f : v; }  // NaN passes through

// ---- values (float64, as the js reference) ----

static inline double lv_mse(float p, float t) {
  double d = double(p) - double(t);
  return d * d;
}
static inline double lv_l1(float p, float t) { return nn_absd(double(p) - double(t)); }
static inline double lv_huber(float p, float t, double delta) {
  double d = double(p) - double(t);
  double a = nn_absd(d);
  return a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
}
static inline double lv_bce(float p, float t) {
  double lp = nn_clamp100(vm_log(p));
  double l1p = nn_clamp100(nn_log1p(-p));
  double td = t;
  return -(td * lp + (1.0 - td) * l1p);
}
static inline double lv_bce_logits(float x, float t) {
  float e = vm_exp(-vm_abs(x));
  double xd = x;
  return (xd > 0.0 ? xd : 0.0) - xd * double(t) + double(nn_log1p(e));
}

template <class F>
static inline void values_run(const float* p, const float* t, float* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = float(f(p[i], t[i]));
}

static void loss_values_k(int op, const float* p, const float* t, float* out, int64_t n, double delta) noexcept {
  switch (op) {
    case kLossMse: values_run(p, t, out, n, [](float a, float b) { return lv_mse(a, b); }); return;
    case kLossL1: values_run(p, t, out, n, [](float a, float b) { return lv_l1(a, b); }); return;
    case kLossHuber: values_run(p, t, out, n, [delta](float a, float b) { return lv_huber(a, b, delta); }); return;
    case kLossBce: values_run(p, t, out, n, [](float a, float b) { return lv_bce(a, b); }); return;
    case kLossBceLogits: values_run(p, t, out, n, [](float a, float b) { return lv_bce_logits(a, b); }); return;
    default: return;
  }
}

constexpr int kSumLanes = 16;

template <class F>
static inline double sum_run(const float* p, const float* t, int64_t n, F f) {
  double acc[kSumLanes] = {};
  int64_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes) {
    double v[kSumLanes];
    for (int j = 0; j < kSumLanes; ++j) v[j] = f(p[i + j], t[i + j]);
    for (int j = 0; j < kSumLanes; ++j) acc[j] += v[j];
  }
  double s = 0.0;
  for (int j = 0; j < kSumLanes; ++j) s += acc[j];
  for (; i < n; ++i) s += f(p[i], t[i]);
  return s;
}

static double loss_sum_k(int op, const float* p, const float* t, int64_t n, double delta) noexcept {
  switch (op) {
    case kLossMse: return sum_run(p, t, n, [](float a, float b) { return lv_mse(a, b); });
    case kLossL1: return sum_run(p, t, n, [](float a, float b) { return lv_l1(a, b); });
    case kLossHuber: return sum_run(p, t, n, [delta](float a, float b) { return lv_huber(a, b, delta); });
    case kLossBce: return sum_run(p, t, n, [](float a, float b) { return lv_bce(a, b); });
    case kLossBceLogits: return sum_run(p, t, n, [](float a, float b) { return lv_bce_logits(a, b); });
    default: return 0.0;
  }
}

// ---- gradients: g(p, t, gp, gt) gives ∂l/∂p and ∂l/∂t in float64 ----

template <bool kP, bool kT, bool kStrided, class G>
static inline void grad_run(const float* p, const float* t, const float* dout, float* dp, float* dt, int64_t n,
                            double scale, G g) {
  const double s0 = kStrided ? 0.0 : scale * double(dout[0]);
  for (int64_t i = 0; i < n; ++i) {
    double s = kStrided ? scale * double(dout[i]) : s0;
    double gp, gt;
    g(p[i], t[i], gp, gt);
    if (kP) dp[i] = float(s * gp);
    if (kT) dt[i] = float(s * gt);
  }
}

template <class G>
static inline void grad_dispatch(const float* p, const float* t, const float* dout, int64_t ds, float* dp, float* dt,
                                 int64_t n, double scale, G g) {
  if (n <= 0) return;
  if (ds != 0) {
    if (dp && dt) grad_run<true, true, true>(p, t, dout, dp, dt, n, scale, g);
    else if (dp) grad_run<true, false, true>(p, t, dout, dp, dt, n, scale, g);
    else if (dt) grad_run<false, true, true>(p, t, dout, dp, dt, n, scale, g);
  } else {
    if (dp && dt) grad_run<true, true, false>(p, t, dout, dp, dt, n, scale, g);
    else if (dp) grad_run<true, false, false>(p, t, dout, dp, dt, n, scale, g);
    else if (dt) grad_run<false, true, false>(p, t, dout, dp, dt, n, scale, g);
  }
}

static void loss_grad_k(int op, const float* p, const float* t, const float* dout, int64_t ds, float* dp, float* dt,
                        int64_t n, double delta, double scale) noexcept {
  switch (op) {
    case kLossMse:
      grad_dispatch(p, t, dout, ds, dp, dt, n, scale, [](float a, float b, double& gp, double& gt) {
        double d = double(a) - double(b);
        gp = 2.0 * d;
        gt = -gp;
      });
      return;
    case kLossL1:
      grad_dispatch(p, t, dout, ds, dp, dt, n, scale, [](float a, float b, double& gp, double& gt) {
        double d = double(a) - double(b);
        gp = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0);
        gt = -gp;
      });
      return;
    case kLossHuber:
      grad_dispatch(p, t, dout, ds, dp, dt, n, scale, [delta](float a, float b, double& gp, double& gt) {
        double d = double(a) - double(b);
        double beyond = d > 0.0 ? delta : -delta;
        gp = nn_absd(d) <= delta ? d : beyond;
        gt = -gp;
      });
      return;
    case kLossBce:
      grad_dispatch(p, t, dout, ds, dp, dt, n, scale, [](float a, float b, double& gp, double& gt) {
        double pd = a;
        double q = pd * (1.0 - pd);
        gp = (pd - double(b)) / (q > 1e-12 ? q : 1e-12);
        gt = double(nn_clamp100(nn_log1p(-a))) - double(nn_clamp100(vm_log(a)));
      });
      return;
    case kLossBceLogits:
      grad_dispatch(p, t, dout, ds, dp, dt, n, scale, [](float a, float b, double& gp, double& gt) {
        gp = double(vm_sigmoid(a)) - double(b);
        gt = -double(a);
      });
      return;
    default: return;
  }
}

// ---- dropout mask ----

static inline uint32_t nn_mix(uint32_t x) {  // lowbias32
  x ^= x >> 16;
  x *= 0x21f0aaadu;
  x ^= x >> 15;
  x *= 0x735a2d97u;
  x ^= x >> 15;
  return x;
}

static void dropout_k(const float* x, float* out, int64_t n, uint32_t threshold, float scale, uint32_t k0, uint32_t k1,
                      uint32_t c0) noexcept {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t c = c0 + uint32_t(i);
    uint32_t bits = nn_mix(nn_mix(c * 0x9e3779b9u + k0) ^ k1) >> 8;
    out[i] = x[i] * (bits >= threshold ? scale : 0.0f);
  }
}

}  // namespace

extern const NnKernels nn_kernels_table;
const NnKernels nn_kernels_table = {loss_values_k, loss_sum_k, loss_grad_k, dropout_k};
