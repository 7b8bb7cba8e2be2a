// Batch norm over x viewed as [N, C, L]: per-channel statistics, the affine normalisation and its
// gradient. Channels are independent and spread over the pool (sums in float64).
#include <algorithm>

#include "conv.h"
#include "thread_pool.h"

namespace ng {
namespace {

constexpr int64_t kParallelMinWork = 1 << 15;

template <class F>
void for_channels(int64_t N, int64_t C, int64_t L, F&& f) {
  int parts = int(std::min<int64_t>(num_threads(), C));
  if (N * C * L < kParallelMinWork || parts < 1) parts = 1;
  parallel_for(parts, [&](int task, int) {
    const int64_t c0 = C * task / parts, c1 = C * (task + 1) / parts;
    for (int64_t c = c0; c < c1; ++c) f(c);
  });
}

// Σ p[l] and Σ (p[l] − m)·(q[l]) style row sums in 8 float lanes (vectorisable without
// -ffast-math); rows are short (L ≤ a few thousand), so float lanes + a float64 total keep ~1e-7 error.
inline double row_sum(const float* p, int64_t L) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t l = 0;
  for (; l + 8 <= L; l += 8)
    for (int k = 0; k < 8; ++k) acc[k] += p[l + k];
  double s = 0;
  for (; l < L; ++l) s += p[l];
  for (int k = 0; k < 8; ++k) s += acc[k];
  return s;
}
inline double row_sq_dev(const float* p, int64_t L, float m) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t l = 0;
  for (; l + 8 <= L; l += 8)
    for (int k = 0; k < 8; ++k) { const float d = p[l + k] - m; acc[k] += d * d; }
  double s = 0;
  for (; l < L; ++l) { const double d = double(p[l]) - m; s += d * d; }
  for (int k = 0; k < 8; ++k) s += acc[k];
  return s;
}
// Σ d[l] and Σ d[l]·(p[l] − m)
inline void row_dot(const float* d, const float* p, int64_t L, float m, double& sd, double& sdx) {
  float a[8] = {0, 0, 0, 0, 0, 0, 0, 0}, b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t l = 0;
  for (; l + 8 <= L; l += 8)
    for (int k = 0; k < 8; ++k) { a[k] += d[l + k]; b[k] += d[l + k] * (p[l + k] - m); }
  for (; l < L; ++l) { sd += d[l]; sdx += double(d[l]) * (double(p[l]) - m); }
  for (int k = 0; k < 8; ++k) { sd += a[k]; sdx += b[k]; }
}

}  // namespace

void batchnorm_stats(float* mean, float* var, const float* x, int64_t N, int64_t C, int64_t L) noexcept {
  const double M = double(N * L);
  for_channels(N, C, L, [&](int64_t c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n) s += row_sum(x + (n * C + c) * L, L);
    const float m = float(s / M);
    double q = 0;
    for (int64_t n = 0; n < N; ++n) q += row_sq_dev(x + (n * C + c) * L, L, m);
    // q is about the float-rounded mean m; correct to the exact mean: Σ(x−μ)² = Σ(x−m)² − M(μ−m)²
    const double dm = s / M - double(m);
    mean[c] = m;
    var[c] = float(std::max(0.0, q / M - dm * dm));
  });
}

void batchnorm_forward(float* out, const float* x, const float* mean, const float* invstd,
                       const float* gamma, const float* beta, int64_t N, int64_t C, int64_t L) noexcept {
  for_channels(N, C, L, [&](int64_t c) {
    const float scale = invstd[c] * (gamma != nullptr ? gamma[c] : 1.0f);
    const float shift = (beta != nullptr ? beta[c] : 0.0f) - mean[c] * scale;
    for (int64_t n = 0; n < N; ++n) {
      const float* p = x + (n * C + c) * L;
      float* o = out + (n * C + c) * L;
      for (int64_t l = 0; l < L; ++l) o[l] = p[l] * scale + shift;
    }
  });
}

void batchnorm_backward(float* dx, float* dgamma, float* dbeta, const float* dout, const float* x,
                        const float* mean, const float* invstd, const float* gamma, int64_t N,
                        int64_t C, int64_t L, bool batch_stats) noexcept {
  const double M = double(N * L);
  for_channels(N, C, L, [&](int64_t c) {
    const float m = mean[c], is = invstd[c];
    double sd = 0, sdx = 0;
    for (int64_t n = 0; n < N; ++n) row_dot(dout + (n * C + c) * L, x + (n * C + c) * L, L, m, sd, sdx);
    sdx *= is;
    if (dbeta != nullptr) dbeta[c] = float(sd);
    if (dgamma != nullptr) dgamma[c] = float(sdx);
    if (dx == nullptr) return;
    const float k = (gamma != nullptr ? gamma[c] : 1.0f) * is;
    const float a = batch_stats ? float(sd / M) : 0.0f;
    const float b = batch_stats ? float(sdx / M) : 0.0f;
    for (int64_t n = 0; n < N; ++n) {
      const float* d = dout + (n * C + c) * L;
      const float* p = x + (n * C + c) * L;
      float* o = dx + (n * C + c) * L;
      const float isb = is * b;
      for (int64_t l = 0; l < L; ++l) o[l] = k * (d[l] - a - (p[l] - m) * isb);
    }
  });
}

}  // namespace ng
