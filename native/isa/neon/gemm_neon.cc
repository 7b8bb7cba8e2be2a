// NEON (AArch64) SGEMM kernels: 12×8 register tile (24 q accumulators + 2 B vectors + 1 broadcast;
// BLIS armv8a 8×12 transposed). NEON has no masked stores, so N tails go through a 4-float stack
// copy per vector (only on the last panel).
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "gemm.h"

namespace ng {
namespace neon {

#include "../scalar/gemm_generic.h"

namespace {
struct Traits {
  using V = float32x4_t;
  using Mask = int;  // number of valid lanes
  static constexpr int W = 4;
  static V zero() { return vdupq_n_f32(0.0f); }
  static V load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, V x) { vst1q_f32(p, x); }
  static V set1(float x) { return vdupq_n_f32(x); }
  static V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V relu(V x) { return vmaxq_f32(vdupq_n_f32(0.0f), x); }  // fmax semantics: NaN propagates
  static Mask mask(int count) { return count < 0 ? 0 : count > 4 ? 4 : count; }
  static V maskload(const float* p, Mask m) {
    if (m == 4) return vld1q_f32(p);
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < m; ++i) t[i] = p[i];
    return vld1q_f32(t);
  }
  static void maskstore(float* p, Mask m, V x) {
    if (m == 4) { vst1q_f32(p, x); return; }
    float t[4];
    vst1q_f32(t, x);
    for (int i = 0; i < m; ++i) p[i] = t[i];
  }
};
constexpr int kMR = 12, kNR = 8;
}  // namespace

extern const GemmKernels gemm_kernels_table;
const GemmKernels gemm_kernels_table = {
    "neon", kMR, kNR, 256, &pack_a_t<kMR>, &pack_b_t<kNR>, &micro_t<Traits, kMR, kNR>,
    nullptr, &activate_tile, nullptr,
};

}  // namespace neon
}  // namespace ng
