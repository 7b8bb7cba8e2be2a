// Scalar FMA-peak probe: 12 independent multiply-add chains in plain floats.
#include <cstdint>

#include "gemm.h"

namespace ng {
namespace scalar {
namespace {
float run(int64_t iters, float seed) noexcept {
  float acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = seed + float(i);
  const float m = 0.999999f, a = 1e-6f;  // converges, never overflows or goes denormal
  for (int64_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = acc[i] * m + a;
  }
  float s = 0.0f;
  for (int i = 0; i < 12; ++i) s += acc[i];
  return s;
}
}  // namespace
extern const FmaPeakKernels fma_peak_kernels_table;
const FmaPeakKernels fma_peak_kernels_table = {12 * 2, &run};
}  // namespace scalar
}  // namespace ng
