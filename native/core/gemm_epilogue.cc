// Transcendental GEMM epilogues, applied by the driver to each m×n tile right after the micro-kernel
// stored it (the tile is still in L1). Scalar libm float functions: accurate (≤ 1-2 ulp) and shared
// by every ISA, compiled once with the default flags (no ODR risk, no -ffast-math).
#include <cmath>
#include <cstdint>

#include "gemm.h"

namespace ng {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;

template <class F>
void map_tile(float* C, int64_t ldc, int64_t m, int64_t n, F f) {
  for (int64_t i = 0; i < m; ++i) {
    float* c = C + i * ldc;
    for (int64_t j = 0; j < n; ++j) c[j] = f(c[j]);
  }
}

}  // namespace

void gemm_activate(int epilogue, float* C, int64_t ldc, int64_t m, int64_t n) noexcept {
  switch (epilogue) {
    case kEpiBiasGelu:
      map_tile(C, ldc, m, n, [](float x) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); });
      break;
    case kEpiBiasSigmoid:
      // exp(-x) overflows to +inf for x < -88 and the quotient is then exactly 0: no NaN.
      map_tile(C, ldc, m, n, [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
      break;
    case kEpiBiasTanh:
      map_tile(C, ldc, m, n, [](float x) { return std::tanh(x); });
      break;
    case kEpiBiasGeluTanh:
      map_tile(C, ldc, m, n, [](float x) {
        const float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + std::tanh(u));
      });
      break;
    default:
      break;
  }
}

}  // namespace ng
