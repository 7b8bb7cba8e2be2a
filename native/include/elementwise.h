// Element-wise, reduction, softmax, fused-loss, row-gather and optimizer kernels (everything but GEMM).
// Semantics are lib/backend/backend.ts's, to the letter; lib/backend/js is the executable spec.
//
// Two layers:
//  - EwKernels: per-ISA range kernels (one struct of function pointers per ISA, built from the same
//    source, native/include/ew_impl*.h, compiled with each ISA's flags; single-threaded, no checks).
//  - ng::ew_* drivers (native/core/ew_*.cc, fused_*.cc): split big calls over the thread pool into
//    fixed chunks (results are bit-identical for any thread count: no reduction is split along its
//    reduced axis) and call the active table. Arguments are already validated by the binding.
//
// Measured max error of the vectorised math vs float64 (native/test/ew_ulp.cc, dense 4M-point sweeps;
// scalar, avx2 and avx512 builds agree within 0.05 ulp):
//   exp      ≤ 1.00 ulp on [-87.3, 88.7] (denormal results: ≤ 0.75 ulp of FLT_MIN)
//   log      ≤ 0.82 ulp on [1e-37, 1e4]
//   tanh     ≤ 1.32 ulp on [-10, 10]
//   sigmoid  ≤ 2.46 ulp on [-80, 20]
//   Φ (erfc) ≤ 3.73 ulp on [-12.9, 8];  gelu ≤ 4.48 ulp on [-12.9, 10]
//   gelu'    ≤ 3.98 ulp on [-0.5, 10] (it crosses 0 near x = -0.75: absolute error ~1e-7 there)
//   geluTanh ≤ 5.78 ulp on [-3, 10], ≤ 65 ulp on [-9, -3] (inherent: σ(2u) for 2u ≈ −40 amplifies
//            the float rounding of x³; values there are < 1e-15)
#pragma once
#include <cstdint>

#include "kernel_table.h"
#include "ops.gen.h"

namespace ng {

constexpr int kEwMaxRank = 32;  // binary/copy meta rank limit (the adapter's MAX_RANK)

// Op codes (kNeg…, kAdd…, kSum…) and their counts come from spec/ops.json via ops.gen.h.

// Per-call optimizer constants, computed once (in double) by the driver.
struct AdamConsts {
  float beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay;
  float step_size;      // lr / (1 − β1^step)
  float inv_bc2_sqrt;   // 1 / sqrt(1 − β2^step)
  float decay_factor;   // AdamW: 1 − lr·wd (p *= it first)
  bool decoupled;
};
struct SgdConsts {
  float lr, momentum, one_minus_dampening, weight_decay;
  bool nesterov, first_step, has_momentum;
};
struct RmspropConsts {
  float lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool has_momentum;
};

struct EwKernels {
  // out[i] = f(x[i]) / dx[i] = dy[i]·f'(x[i]) for i < n (out may alias x).
  void (*unary)(int op, const float* x, float* out, int64_t n, float alpha) noexcept;
  void (*unary_backward)(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                         float alpha) noexcept;
  // One innermost run: out[i] = a[i·as] (op) b[i·bs]; fast paths for (1,1), (1,0), (0,1).
  void (*binary_run)(int op, const float* a, int64_t as, const float* b, int64_t bs, float* out, int64_t n) noexcept;
  // dst[i·ds] = (or +=) src[i·ss].
  void (*copy_run)(const float* src, int64_t ss, float* dst, int64_t ds, int64_t n, bool accumulate) noexcept;
  // Reduce a contiguous vector of n ≥ 0 elements (ops as ReduceOp; mean divides by n).
  float (*reduce_contig)(int op, const float* x, int64_t n) noexcept;
  // out[i] = reduce_j x[j·inner + i] for i < width (x and out already offset to the first column).
  void (*reduce_strided)(int op, const float* x, float* out, int64_t n, int64_t inner, int64_t width) noexcept;
  // (log-)softmax of one contiguous row / of `width` columns strided by `inner`.
  void (*softmax_row)(const float* x, float* out, int64_t n, bool log) noexcept;
  void (*softmax_strided)(const float* x, float* out, int64_t n, int64_t inner, int64_t width, bool log) noexcept;
  void (*softmax_backward_row)(const float* y, const float* dy, float* dx, int64_t n, bool log) noexcept;
  void (*softmax_backward_strided)(const float* y, const float* dy, float* dx, int64_t n, int64_t inner,
                                   int64_t width, bool log) noexcept;
  // Fused softmax + cross-entropy of one row: returns the loss; writes dlogits when non-null.
  float (*softmax_xent_row)(const float* logits, int32_t label, float* dlogits, int64_t classes,
                            float grad_scale) noexcept;
  void (*adam)(float* p, const float* g, float* m, float* v, int64_t n, const AdamConsts& c) noexcept;
  void (*sgd)(float* p, const float* g, float* buf, int64_t n, const SgdConsts& c) noexcept;
  void (*rmsprop)(float* p, const float* g, float* sq, float* buf, int64_t n, const RmspropConsts& c) noexcept;
};

NG_DECLARE_KERNEL_TABLE(EwKernels, ew_kernels)

// ---- Drivers (threaded; arguments validated by the caller) ----
void ew_unary(int op, const float* x, float* out, int64_t n, float alpha) noexcept;
void ew_unary_backward(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                       float alpha) noexcept;
// out (contiguous) = a (op) b over shape[rank] with element strides; rank 0 is one element.
void ew_binary(int op, const float* a, const int64_t* a_strides, const float* b, const int64_t* b_strides,
               float* out, const int64_t* shape, int rank) noexcept;
void ew_copy(const int64_t* shape, int rank, const float* src, const int64_t* src_strides, float* dst,
             const int64_t* dst_strides, bool accumulate) noexcept;
void ew_reduce(int op, const float* x, float* out, int64_t outer, int64_t n, int64_t inner) noexcept;
void ew_softmax(const float* x, float* out, int64_t outer, int64_t n, int64_t inner, bool log) noexcept;
void ew_softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t n, int64_t inner,
                         bool log) noexcept;
void ew_softmax_xent(const float* logits, const int32_t* labels, float* losses, float* dlogits, int64_t rows,
                     int64_t classes, float grad_scale) noexcept;
void ew_gather_rows(const float* table, const int32_t* idx, float* out, int64_t rows, int64_t dim) noexcept;
void ew_scatter_add_rows(const float* dout, const int32_t* idx, float* dtable, int64_t rows, int64_t dim) noexcept;

// Multi-tensor optimizer steps: tensor t has n[t] elements; s1/s2 are the state arrays (null if unused).
struct TensorList {
  float* const* p;
  const float* const* g;
  float* const* s1;
  float* const* s2;
  const int64_t* n;
  int count;
};
void ew_adam_step(const TensorList& t, double lr, double beta1, double beta2, double eps, double weight_decay,
                  int64_t step, bool decoupled) noexcept;
void ew_sgd_step(const TensorList& t, double lr, double momentum, double dampening, double weight_decay,
                 bool nesterov, bool first_step) noexcept;
void ew_rmsprop_step(const TensorList& t, double lr, double alpha, double eps, double weight_decay,
                     double momentum) noexcept;

}  // namespace ng
