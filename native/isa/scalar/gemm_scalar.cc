// Scalar SGEMM kernels: the portable reference path (plain loops, 4×4 tile, no intrinsics).
#include <cstdint>
#include <cstring>

#include "gemm.h"

namespace ng {
namespace scalar {

#include "gemm_generic.h"

namespace {
// One "lane": plain float arithmetic. mul-add stays two roundings (no -ffp-contract in ISO mode).
struct Traits {
  using V = float;
  using Mask = bool;
  static constexpr int W = 1;
  static V zero() { return 0.0f; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V x) { *p = x; }
  static V set1(float x) { return x; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V mul(V a, V b) { return a * b; }
  static V add(V a, V b) { return a + b; }
  static V relu(V x) { return x < 0.0f ? 0.0f : x; }  // NaN stays NaN, like the js reference
  static Mask mask(int count) { return count > 0; }
  static V maskload(const float* p, Mask m) { return m ? *p : 0.0f; }
  static void maskstore(float* p, Mask m, V x) { if (m) *p = x; }
};
constexpr int kMR = 4, kNR = 4;
}  // namespace

extern const GemmKernels gemm_kernels_table;
const GemmKernels gemm_kernels_table = {
    "scalar", kMR, kNR, 256, &pack_a_t<kMR>, &pack_b_t<kNR>, &micro_t<Traits, kMR, kNR>,
    &direct_t<Traits, 4, 4, 4, 4>, &activate_tile, nullptr,
};

}  // namespace scalar
}  // namespace ng
