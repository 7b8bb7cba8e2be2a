// Drivers for the fused kernels: softmax-cross-entropy, row gather/scatter and the multi-tensor
// optimizer steps. Optimizers split the concatenation of all tensors into equal contiguous ranges:
// one fork/join per step, balanced, and element-wise (so thread-count independent).
#include <cmath>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

#include "elementwise.h"
#include "ew_parallel.h"

namespace ng {

void ew_softmax_xent(const float* logits, const int32_t* labels, float* losses, float* dlogits, int64_t rows,
                     int64_t classes, float grad_scale) noexcept {
  const EwKernels& k = ew_kernels();
  if (classes == 0) return;
  ew_parallel_units(rows, classes, kEwMinChunkHeavy, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      losses[r] = k.softmax_xent_row(logits + r * classes, labels[r], dlogits ? dlogits + r * classes : nullptr,
                                     classes, grad_scale);
    }
  });
}

void ew_gather_rows(const float* table, const int32_t* idx, float* out, int64_t rows, int64_t dim) noexcept {
  if (dim == 0) return;
  ew_parallel_units(rows, dim, kEwMinChunkLight, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) std::memcpy(out + r * dim, table + int64_t(idx[r]) * dim, size_t(dim) * 4);
  });
}

// Duplicate indices accumulate in row order; threads split the columns, never the rows, so the
// order of additions into each element is fixed.
void ew_scatter_add_rows(const float* dout, const int32_t* idx, float* dtable, int64_t rows, int64_t dim) noexcept {
  const EwKernels& k = ew_kernels();
  if (dim == 0 || rows == 0) return;
  int64_t col_units = (dim + 255) / 256;
  ew_parallel_units(col_units, rows * 256, kEwMinChunkLight, [&](int64_t u0, int64_t u1) {
    int64_t c0 = u0 * 256, c1 = u1 * 256 < dim ? u1 * 256 : dim;
    for (int64_t r = 0; r < rows; ++r) {
      k.copy_run(dout + r * dim + c0, 1, dtable + int64_t(idx[r]) * dim + c0, 1, c1 - c0, true);
    }
  });
}

namespace {

// Optimizer updates run with denormals flushed to zero (inputs and results), restored afterwards:
// Adam's first moment decays by β1 every step where a weight's gradient is zero (MNIST border
// pixels), reaching the denormal range after a few hundred steps, and every denormal operand costs a
// microcode assist (~100 cycles): `node bench/mlp.mjs --sections adam` times the step on state whose
// m is denormal too (adamDenormal). Values below 2^-126 become 0 — as torch.set_flush_denormal(True).
class FlushDenormals {
 public:
  FlushDenormals() noexcept {
#if defined(__x86_64__) || defined(_M_X64)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
#elif defined(__aarch64__)
    saved_ = __builtin_aarch64_get_fpcr();
    __builtin_aarch64_set_fpcr(saved_ | (1u << 24));  // FZ
#endif
  }
  ~FlushDenormals() {
#if defined(__x86_64__) || defined(_M_X64)
    _mm_setcsr(saved_);
#elif defined(__aarch64__)
    __builtin_aarch64_set_fpcr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_ = 0;
};

// f(tensor, begin, end) over the elements of all tensors, split into equal global ranges.
template <class F>
void for_tensor_ranges(const TensorList& t, F&& f) {
  int64_t total = 0;
  for (int i = 0; i < t.count; ++i) total += t.n[i];
  // One range per thread (not the usual 4): an optimizer step is bandwidth-bound, and with as many
  // ranges as threads each thread tends to get the same range every step, so its share of the state
  // stays in its own L2 between steps (`node bench/mlp.mjs --sections adam --threads 2`).
  ew_parallel_chunks(total, 32 * 1024, [&](int64_t b, int64_t e) {
    FlushDenormals ftz;
    int64_t base = 0;
    for (int i = 0; i < t.count && base < e; ++i) {
      int64_t lo = b > base ? b - base : 0, hi = e - base < t.n[i] ? e - base : t.n[i];
      if (lo < hi) f(i, lo, hi);
      base += t.n[i];
    }
  }, /*per_thread=*/1);
}

}  // namespace

void ew_adam_step(const TensorList& t, double lr, double beta1, double beta2, double eps, double weight_decay,
                  int64_t step, bool decoupled) noexcept {
  const EwKernels& k = ew_kernels();
  AdamConsts c;
  c.beta1 = float(beta1);
  c.beta2 = float(beta2);
  c.one_minus_beta1 = float(1.0 - beta1);
  c.one_minus_beta2 = float(1.0 - beta2);
  c.eps = float(eps);
  c.weight_decay = float(weight_decay);
  c.step_size = float(lr / (1.0 - std::pow(beta1, double(step))));
  c.inv_bc2_sqrt = float(1.0 / std::sqrt(1.0 - std::pow(beta2, double(step))));
  c.decay_factor = float(1.0 - lr * weight_decay);
  c.decoupled = decoupled;
  for_tensor_ranges(t, [&](int i, int64_t b, int64_t e) {
    k.adam(t.p[i] + b, t.g[i] + b, t.s1[i] + b, t.s2[i] + b, e - b, c);
  });
}

void ew_sgd_step(const TensorList& t, double lr, double momentum, double dampening, double weight_decay,
                 bool nesterov, bool first_step) noexcept {
  const EwKernels& k = ew_kernels();
  SgdConsts c;
  c.lr = float(lr);
  c.momentum = float(momentum);
  c.one_minus_dampening = float(1.0 - dampening);
  c.weight_decay = float(weight_decay);
  c.nesterov = nesterov;
  c.first_step = first_step;
  c.has_momentum = momentum != 0.0;
  for_tensor_ranges(t, [&](int i, int64_t b, int64_t e) {
    k.sgd(t.p[i] + b, t.g[i] + b, c.has_momentum ? t.s1[i] + b : nullptr, e - b, c);
  });
}

void ew_rmsprop_step(const TensorList& t, double lr, double alpha, double eps, double weight_decay,
                     double momentum) noexcept {
  const EwKernels& k = ew_kernels();
  RmspropConsts c;
  c.lr = float(lr);
  c.alpha = float(alpha);
  c.one_minus_alpha = float(1.0 - alpha);
  c.eps = float(eps);
  c.weight_decay = float(weight_decay);
  c.momentum = float(momentum);
  c.has_momentum = momentum > 0.0;
  for_tensor_ranges(t, [&](int i, int64_t b, int64_t e) {
    k.rmsprop(t.p[i] + b, t.g[i] + b, t.s1[i] + b, c.has_momentum ? t.s2[i] + b : nullptr, e - b, c);
  });
}

}  // namespace ng
