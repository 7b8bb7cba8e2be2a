// avx512 FMA-peak probe: 12 independent vector FMA chains (enough to cover 2 pipes × 4-5 cycles of
// latency), register-only, so the loop measures the FMA units and nothing else.
#include <immintrin.h>

#include <cstdint>

#include "gemm.h"

namespace ng {
namespace avx512 {
namespace {
float run(int64_t iters, float seed) noexcept {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(seed + float(i));
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-6f);  // converges, never overflows or goes denormal
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
  }
  float s = 0.0f;
  for (int i = 0; i < 12; ++i) { s += _mm512_reduce_add_ps(acc[i]); }
  return s;
}
}  // namespace
extern const FmaPeakKernels fma_peak_kernels_table;
const FmaPeakKernels fma_peak_kernels_table = {12 * 2 * 16, &run};
}  // namespace avx512
}  // namespace ng
