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

}  // namespace

void batchnorm_stats(float* mean, float* var, const float* x, int64_t N, int64_t C, int64_t L) noexcept {
  const double M = double(N * L);
  for_channels(N, C, L, [&](int64_t c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n) {
      const float* p = x + (n * C + c) * L;
      for (int64_t l = 0; l < L; ++l) s += p[l];
    }
    const double m = s / M;
    double q = 0;
    for (int64_t n = 0; n < N; ++n) {
      const float* p = x + (n * C + c) * L;
      for (int64_t l = 0; l < L; ++l) {
        const double d = double(p[l]) - m;
        q += d * d;
      }
    }
    mean[c] = float(m);
    var[c] = float(q / M);
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
    for (int64_t n = 0; n < N; ++n) {
      const float* d = dout + (n * C + c) * L;
      const float* p = x + (n * C + c) * L;
      for (int64_t l = 0; l < L; ++l) {
        sd += d[l];
        sdx += double(d[l]) * double((p[l] - m) * is);
      }
    }
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
      for (int64_t l = 0; l < L; ++l) o[l] = k * (d[l] - a - (p[l] - m) * is * b);
    }
  });
}

}  // namespace ng
