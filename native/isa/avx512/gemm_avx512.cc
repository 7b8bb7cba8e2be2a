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

// B block transpose for the direct A·Bᵀ path: 16×16 register transposes (unpack → shuffle →
// two 128-bit-lane shuffles), opmask loads/stores at the edges.
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(u[i], u[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_f32x4(u[i], u[4 + i], 0xDD);
    t[8 + i] = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
  }
}

void transpose_simd(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) noexcept {
  __m512 r[16];
  for (int64_t r0 = 0; r0 < rows; r0 += 16) {
    const int nr = int(rows - r0 < 16 ? rows - r0 : 16);
    const __mmask16 rm = Traits::mask(nr);
    for (int64_t c0 = 0; c0 < cols; c0 += 16) {
      const int nc = int(cols - c0 < 16 ? cols - c0 : 16);
      const __mmask16 cm = Traits::mask(nc);
      for (int i = 0; i < 16; ++i) {
        r[i] = i < nr ? _mm512_mask_loadu_ps(_mm512_setzero_ps(), cm, src + (r0 + i) * lds + c0) : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int j = 0; j < nc; ++j) _mm512_mask_storeu_ps(dst + (c0 + j) * ldd + r0, rm, r[j]);
    }
  }
}
}  // namespace

extern const GemmKernels gemm_kernels_table;
const GemmKernels gemm_kernels_table = {
    "avx512", kMR, kNR, 512, &pack_a_t<kMR, &transpose_simd>, &pack_b_t<kNR, &transpose_simd>,
    &micro_t<Traits, kMR, kNR>,
    &direct_t<Traits, 12, 16, 12, 2>, &activate_tile, &transpose_simd,
};

}  // namespace avx512
}  // namespace ng
