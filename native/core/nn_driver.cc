// Drivers for the lib/nn kernels (nn_kernels.h): thread the per-ISA range kernels over the pool.
// Element-wise outputs are split by ew_parallel_chunks (each element computed by one task: any thread
// count gives the same bits). Loss sums are cut into chunks whose size depends on n only, each chunk's
// float64 partial computed from fresh accumulators, and the partials added in chunk order: the sum is
// bit-identical for every thread count as well.
#include <cmath>
#include <cstring>

#include "ew_parallel.h"
#include "nn_kernels.h"
#include "thread_pool.h"

namespace ng {

namespace {

constexpr int64_t kLossChunk = 32 * 1024;  // elements per partial sum (≈ 2 × kEwMinChunkHeavy)
constexpr int64_t kMaxPartials = 512;      // stack partials; beyond 512·32K elements the chunks grow

}  // namespace

void nn_pointwise_loss(int op, const float* p, const float* t, float* out, int64_t n, double delta, int reduction) noexcept {
  const NnKernels& k = nn_kernels();
  if (reduction == kLossNone) {
    ew_parallel_chunks(n, kEwMinChunkHeavy, [&](int64_t b, int64_t e) { k.loss_values(op, p + b, t + b, out + b, e - b, delta); });
    return;
  }
  const double div = reduction == kLossMean ? double(n) : 1.0;  // mean of nothing: 0/0 = NaN
  if (n <= kLossChunk) {
    out[0] = float(k.loss_sum(op, p, t, n, delta) / div);
    return;
  }
  int64_t chunk = kLossChunk;
  int64_t chunks = (n + chunk - 1) / chunk;
  if (chunks > kMaxPartials) {
    chunk = ((n + kMaxPartials - 1) / kMaxPartials + 63) / 64 * 64;
    chunks = (n + chunk - 1) / chunk;
  }
  double partial[kMaxPartials];
  parallel_for(int(chunks), [&](int c, int) {
    int64_t b = int64_t(c) * chunk, e = b + chunk < n ? b + chunk : n;
    partial[c] = k.loss_sum(op, p + b, t + b, e - b, delta);
  });
  double s = 0.0;
  for (int64_t c = 0; c < chunks; ++c) s += partial[c];
  out[0] = float(s / div);
}

void nn_pointwise_loss_backward(int op, const float* p, const float* t, const float* dout, int64_t dout_stride, float* dp,
                                float* dt, int64_t n, double delta, double scale) noexcept {
  const NnKernels& k = nn_kernels();
  if (n == 0 || (dp == nullptr && dt == nullptr)) return;
  ew_parallel_chunks(n, kEwMinChunkHeavy, [&](int64_t b, int64_t e) {
    k.loss_grad(op, p + b, t + b, dout_stride ? dout + b : dout, dout_stride, dp ? dp + b : nullptr, dt ? dt + b : nullptr,
                e - b, delta, scale);
  });
}

void nn_nll_loss(const float* logp, const int32_t* labels, float* losses, int64_t rows, int64_t classes) noexcept {
  for (int64_t r = 0; r < rows; ++r) losses[r] = -logp[r * classes + labels[r]];
}

void nn_nll_loss_backward(const float* dlosses, int64_t dl_stride, const int32_t* labels, float* dx, int64_t rows,
                          int64_t classes, double scale) noexcept {
  if (rows == 0 || classes == 0) return;
  ew_parallel_units(rows, classes, kEwMinChunkLight, [&](int64_t r0, int64_t r1) {
    std::memset(dx + r0 * classes, 0, size_t((r1 - r0) * classes) * sizeof(float));
    for (int64_t r = r0; r < r1; ++r) dx[r * classes + labels[r]] = float(-(scale * double(dlosses[r * dl_stride])));
  });
}

void nn_dropout(const float* x, float* out, int64_t n, double p, uint32_t seed0, uint32_t seed1, uint32_t offset) noexcept {
  const NnKernels& k = nn_kernels();
  // p·2^24 is exact in float64 (a power-of-two scaling), so ceil() matches the js reference's Math.ceil.
  const uint32_t threshold = uint32_t(std::ceil(p * 16777216.0));
  const float scale = p < 1.0 ? float(1.0 / (1.0 - p)) : 0.0f;  // never applied when p = 1 (threshold 2^24)
  ew_parallel_chunks(n, kEwMinChunkLight, [&](int64_t b, int64_t e) {
    k.dropout(x + b, out + b, e - b, threshold, scale, seed0, seed1, offset + uint32_t(b));
  });
}

int64_t nn_index_check(const int32_t* idx, int64_t n, int64_t limit) noexcept {
  // blocks of 64: a branch-free "any out of range" per block (vectorises), the position only on a hit
  const uint32_t lim = uint32_t(limit);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint32_t bad = 0;
    for (int j = 0; j < 64; ++j) bad |= uint32_t(uint32_t(idx[i + j]) >= lim);
    if (bad) break;
  }
  for (; i < n; ++i) {
    if (uint32_t(idx[i]) >= lim) return i;
  }
  return -1;
}

}  // namespace ng
