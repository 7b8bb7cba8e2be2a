// Kernels for lib/nn: point-wise losses (value, sum, gradient), the counter-based dropout mask,
// NLL pick/scatter and the index range check. Semantics are lib/backend/backend.ts's (LossOp,
// pointwiseLoss, dropout, ...); lib/backend/js/nn.ts is the executable spec.
//
// Two layers, as elementwise.h:
//  - NnKernels: per-ISA range kernels (native/include/nn_impl.h compiled by native/isa/<isa>/nn_kernels.cc
//    with that ISA's flags; single-threaded, no checks).
//  - ng::nn_* drivers (native/core/nn_driver.cc): split big calls over the thread pool. Element-wise
//    outputs are bit-identical for any thread count; loss sums are cut into chunks fixed by n alone and
//    their float64 partials added in chunk order, so a sum is bit-identical for any thread count too.
//
// Precision: mse/l1/huber values and all sums are computed in float64 (the js reference's arithmetic);
// bce/bce-with-logits take their logs/exps from ew_math.h (float32, ≤ 1 ulp) with the algebra around
// them in float64; gradients are float32 (≤ a few ulp from the float64 reference).
#pragma once
#include <cstdint>

#include "kernel_table.h"

namespace ng {

enum : int { kLossMse = 0, kLossL1, kLossHuber, kLossBce, kLossBceLogits, kLossOpCount };  // LossOp
enum : int { kLossNone = 0, kLossSum, kLossMean, kLossReductionCount };              // LossReduction

struct NnKernels {
  // out[i] = l(p[i], t[i]) for i < n.
  void (*loss_values)(int op, const float* p, const float* t, float* out, int64_t n, double delta) noexcept;
  // Σ_{i<n} l(p[i], t[i]) in float64: 16 lane accumulators (lane j sums elements i ≡ j mod 16 in order),
  // then the lanes in order, then the tail — the same order on every ISA.
  double (*loss_sum)(int op, const float* p, const float* t, int64_t n, double delta) noexcept;
  // dp[i] = (scale·dout[i·ds])·∂l/∂p, dt[i] likewise with ∂l/∂t (either may be null; ds is 0 or 1), the
  // product in float64 and rounded once.
  void (*loss_grad)(int op, const float* p, const float* t, const float* dout, int64_t ds, float* dp, float* dt,
                    int64_t n, double delta, double scale) noexcept;
  // out[i] = x[i]·((bits(c0 + i) >> 8) >= threshold ? scale : 0), counters mod 2^32 (backend.ts: dropout).
  void (*dropout)(const float* x, float* out, int64_t n, uint32_t threshold, float scale, uint32_t k0, uint32_t k1,
                  uint32_t c0) noexcept;
};

NG_DECLARE_KERNEL_TABLE(NnKernels, nn_kernels)

// ---- Drivers (threaded; arguments validated by the caller) ----
void nn_pointwise_loss(int op, const float* p, const float* t, float* out, int64_t n, double delta, int reduction) noexcept;
void nn_pointwise_loss_backward(int op, const float* p, const float* t, const float* dout, int64_t dout_stride, float* dp,
                                float* dt, int64_t n, double delta, double scale) noexcept;
void nn_nll_loss(const float* logp, const int32_t* labels, float* losses, int64_t rows, int64_t classes) noexcept;
void nn_nll_loss_backward(const float* dlosses, int64_t dl_stride, const int32_t* labels, float* dx, int64_t rows,
                          int64_t classes, double scale) noexcept;
// p in [0, 1]: threshold = ceil(p·2^24), scale = float(1/(1 − p)).
void nn_dropout(const float* x, float* out, int64_t n, double p, uint32_t seed0, uint32_t seed1, uint32_t offset) noexcept;
// First i < n with idx[i] outside [0, limit), or −1.
int64_t nn_index_check(const int32_t* idx, int64_t n, int64_t limit) noexcept;

}  // namespace ng
