// AVX-512 SGEMM kernels: 12×32 register tile (24 zmm accumulators + 2 B vectors + 1 broadcast;
// BLIS zen4 32×12 transposed to row-major). N tails use opmask loads/stores: no scalar cleanup.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "gemm.h"

namespace ng {
namespace avx512 {

#include "../scalar/gemm_generic.h"

namespace {
struct Traits {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V x) { _mm512_storeu_ps(p, x); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  // maxps returns its second operand when either is NaN: max(0, NaN) = NaN, max(0, -0) = -0.
  static V relu(V x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }
  static Mask mask(int count) {
    return count >= 16 ? Mask(0xFFFF) : count <= 0 ? Mask(0) : Mask((1u << count) - 1u);
  }
  static V maskload(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void maskstore(float* p, Mask m, V x) { _mm512_mask_storeu_ps(p, m, x); }
};
constexpr int kMR = 12, kNR = 32;
}  // namespace

extern const GemmKernels gemm_kernels_table;
const GemmKernels gemm_kernels_table = {
    "avx512", kMR, kNR, 512, &pack_a_t<kMR>, &pack_b_t<kNR>, &micro_t<Traits, kMR, kNR>,
    &direct_t<Traits, 12, 16, 12, 2>, &activate_tile,
};

}  // namespace avx512
}  // namespace ng
