// AVX2+FMA SGEMM kernels: 6×16 register tile (12 ymm accumulators + 2 B vectors + 1 broadcast),
// the BLIS Haswell shape. N tails use vmaskmovps (masked-off lanes are neither read nor written).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "gemm.h"

namespace ng {
namespace avx2 {

#include "../scalar/gemm_generic.h"

namespace {
struct Traits {
  using V = __m256;
  using Mask = __m256i;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V x) { _mm256_storeu_ps(p, x); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  // maxps returns its second operand when either is NaN: max(0, NaN) = NaN, max(0, -0) = -0.
  static V relu(V x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }
  static Mask mask(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V maskload(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void maskstore(float* p, Mask m, V x) { _mm256_maskstore_ps(p, m, x); }
};
constexpr int kMR = 6, kNR = 16;

// B block transpose for the direct A·Bᵀ path: 8×8 register transposes on full blocks, scalar edges.
inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
    r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
  }
}

void transpose_simd(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) noexcept {
  const int64_t rows8 = rows / 8 * 8, cols8 = cols / 8 * 8;
  __m256 r[8];
  for (int64_t r0 = 0; r0 < rows8; r0 += 8) {
    for (int64_t c0 = 0; c0 < cols8; c0 += 8) {
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + (r0 + i) * lds + c0);
      transpose8(r);
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + (c0 + j) * ldd + r0, r[j]);
    }
    for (int64_t c = cols8; c < cols; ++c) {
      for (int i = 0; i < 8; ++i) dst[c * ldd + r0 + i] = src[(r0 + i) * lds + c];
    }
  }
  for (int64_t rr = rows8; rr < rows; ++rr) {
    for (int64_t c = 0; c < cols; ++c) dst[c * ldd + rr] = src[rr * lds + c];
  }
}
}  // namespace

extern const GemmKernels gemm_kernels_table;
const GemmKernels gemm_kernels_table = {
    "avx2", kMR, kNR, 384, &pack_a_t<kMR>, &pack_b_t<kNR, &transpose_simd>, &micro_t<Traits, kMR, kNR>,
    &direct_t<Traits, 8, 12, 6, 2>, &activate_tile, &transpose_simd,
};

}  // namespace avx2
}  // namespace ng
