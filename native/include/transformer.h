// Transformer kernels: fused LayerNorm (forward saving mean and rstd per row; backward in one pass
// per row) and flash-style scaled-dot-product attention (forward over query blocks with an online
// softmax saving one log-sum-exp per row; backward by recomputation: nothing L×S is ever stored).
// Semantics: lib/backend/backend.ts (layerNorm, layerNormBackward, sdpa, sdpaBackward); the js
// reference is lib/backend/js/attention.ts.
//
// Two layers, as elementwise.h / nn_kernels.h:
//  - TransformerKernels: per-ISA row / block kernels (native/include/transformer_impl.h compiled by
//    native/isa/<isa>/transformer_kernels.cc with that ISA's flags; single-threaded, no checks).
//  - ng::layernorm_* / ng::sdpa_* drivers (native/core/transformer.cc): plan the call (thread count,
//    workspace slices) before the parallel region; the binding reserves the workspace.
//
// Determinism: every output element is computed by one task whose work does not depend on the thread
// count; LayerNorm's weight/bias gradients are summed per chunk of rows (chunks fixed by the row count
// alone) and the partials added in chunk order. Results are bit-identical for any thread count.
#pragma once
#include <cstdint>

#include "kernel_table.h"
#include "workspace.h"

namespace ng {

// One SDPA call. q [b0, b1, L, E], k [b0, b1, S, E], v [b0, b1, S, Ev] are read through element
// strides (s0, s1, sL; the last dim is contiguous); mask (null: none) is an additive float mask read
// at mask[i0·m0 + i1·m1 + l·mL + s·mS] (strides may be 0: broadcast). out [b0, b1, L, Ev], lse
// [b0·b1·L], dout, dq [.., L, E], dk [.., S, E], dv [.., S, Ev] are contiguous. causal keeps key s ≤ l
// (top-left aligned, PyTorch's is_causal). A row whose keys are all masked out gets out = 0,
// lse = −inf and zero gradients.
struct SdpaArgs {
  int64_t b0 = 1, b1 = 1, L = 0, S = 0, E = 0, Ev = 0;
  float scale = 1.0f;
  bool causal = false;
  const float* q = nullptr; int64_t q0 = 0, q1 = 0, qL = 0;
  const float* k = nullptr; int64_t k0 = 0, k1 = 0, kL = 0;
  const float* v = nullptr; int64_t v0 = 0, v1 = 0, vL = 0;
  const float* mask = nullptr; int64_t m0 = 0, m1 = 0, mL = 0, mS = 0;
  float* out = nullptr;        // forward output; read by the backward
  float* lse = nullptr;        // forward output; read by the backward
  const float* dout = nullptr; // backward input
  float* dq = nullptr;         // backward outputs (overwritten)
  float* dk = nullptr;
  float* dv = nullptr;
};

constexpr int64_t kSdpaBlockQ = 64;   // query rows per forward task / backward step
constexpr int64_t kSdpaBlockK = 128;  // keys per inner block

// Floats of one thread's scratch for the forward / backward of a call.
inline int64_t sdpa_forward_scratch(int64_t E, int64_t Ev) {
  return ws_round(ws_add(ws_add(ws_mul(E, kSdpaBlockK), kSdpaBlockQ * kSdpaBlockK),
                         ws_add(ws_mul(kSdpaBlockQ, Ev), 2 * kSdpaBlockQ)));
}
inline int64_t sdpa_backward_scratch(int64_t L, int64_t E, int64_t Ev) {
  return ws_round(ws_add(ws_add(ws_mul(ws_add(E, Ev), kSdpaBlockK), 2 * kSdpaBlockQ * kSdpaBlockK), L));
}

struct TransformerKernels {
  // Rows [r0, r1) of x [rows, n]: mean[r], rstd[r] = 1/sqrt(biased var + eps) (float64 sums), and
  // out = (x − mean)·rstd·w + b (w, b null: 1, 0). out may alias x.
  void (*ln_forward)(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b,
                     int64_t r0, int64_t r1, int64_t n, float eps) noexcept;
  // Rows [r0, r1): dx (null: skipped) overwritten with rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dout·w;
  // dw += Σ_r dout·x̂ and db += Σ_r dout (each null: skipped; they accumulate).
  void (*ln_backward)(float* dx, float* dw, float* db, const float* dout, const float* x, const float* mean,
                      const float* rstd, const float* w, int64_t r0, int64_t r1, int64_t n) noexcept;
  // Query rows [i0, i1) (i1 − i0 ≤ kSdpaBlockQ) of head bh ∈ [0, b0·b1): out and lse rows.
  void (*sdpa_forward_block)(const SdpaArgs& a, int64_t bh, int64_t i0, int64_t i1, float* scratch) noexcept;
  // Head bh: its dq, dk, dv rows (overwritten).
  void (*sdpa_backward_head)(const SdpaArgs& a, int64_t bh, float* scratch) noexcept;
};

NG_DECLARE_KERNEL_TABLE(TransformerKernels, transformer_kernels)

// ---- Drivers (arguments validated by the caller) ----

struct LayerNormPlan {
  int threads = 1;
  int64_t chunk = 0;   // rows per partial of dw/db (backward)
  int64_t chunks = 0;
  int64_t n = 0;
  bool partials = false;  // backward: dw/db go through per-chunk partials in the shared workspace
  WorkspaceNeed need() const {
    WorkspaceNeed w;
    w.threads = threads;
    w.shared = partials ? ws_round(ws_mul(ws_mul(chunks, n), 2)) : 0;
    return w;
  }
};
LayerNormPlan layernorm_plan(int64_t rows, int64_t n, bool backward, bool grads) noexcept;
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b,
                       int64_t rows, int64_t n, float eps, const LayerNormPlan& plan) noexcept;
void layernorm_backward(float* dx, float* dw, float* db, const float* dout, const float* x, const float* mean,
                        const float* rstd, const float* w, int64_t rows, int64_t n, const LayerNormPlan& plan,
                        const Workspace& ws) noexcept;

struct SdpaPlan {
  int threads = 1;
  int64_t per_thread = 0;
  WorkspaceNeed need() const {
    WorkspaceNeed w;
    w.threads = threads;
    w.per_thread = per_thread;
    return w;
  }
};
SdpaPlan sdpa_forward_plan(const SdpaArgs& a) noexcept;
SdpaPlan sdpa_backward_plan(const SdpaArgs& a) noexcept;
void sdpa_forward(const SdpaArgs& a, const SdpaPlan& plan, const Workspace& ws) noexcept;
void sdpa_backward(const SdpaArgs& a, const SdpaPlan& plan, const Workspace& ws) noexcept;

}  // namespace ng
