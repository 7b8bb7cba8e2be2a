// neon FMA-peak probe: 12 independent vector FMA chains (enough to cover 2 pipes × 4-5 cycles of
// latency), register-only, so the loop measures the FMA units and nothing else.
#include <arm_neon.h>

#include <cstdint>

#include "gemm.h"

namespace ng {
namespace neon {
namespace {
float run(int64_t iters, float seed) noexcept {
  float32x4_t acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = vdupq_n_f32(seed + float(i));
  const float32x4_t m = vdupq_n_f32(0.999999f), a = vdupq_n_f32(1e-6f);  // converges, never overflows or goes denormal
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = vfmaq_f32(a, acc[i], m);
  }
  float s = 0.0f;
  for (int i = 0; i < 12; ++i) { s += vaddvq_f32(acc[i]); }
  return s;
}
}  // namespace
extern const FmaPeakKernels fma_peak_kernels_table;
const FmaPeakKernels fma_peak_kernels_table = {12 * 2 * 4, &run};
}  // namespace neon
}  // namespace ng
