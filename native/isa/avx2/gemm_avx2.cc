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
}  // namespace

extern const GemmKernels gemm_kernels_table;
const GemmKernels gemm_kernels_table = {
    "avx2", kMR, kNR, 384, &pack_a_t<kMR>, &pack_b_t<kNR>, &micro_t<Traits, kMR, kNR>,
    &direct_t<Traits, 8, 12, 6, 2>, &activate_tile,
};

}  // namespace avx2
}  // namespace ng
