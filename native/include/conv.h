// Convolution, pooling and batch-norm kernels on NCHW float32 (the Backend contract in
// lib/backend/backend.ts is the authority; lib/backend/js/conv.ts is the reference).
// Convolution = im2col per image + the SGEMM (single-threaded GEMM per image, images spread
// over the pool; one image or one thread: the GEMM threads itself). Plain C++ (core): the GEMM does
// the arithmetic, the rest is memory-bound.
#pragma once
#include <cstdint>

#include "gemm.h"
#include "workspace.h"

namespace ng {

struct ConvGeom {
  int64_t n, c, h, w, oc;        // batch, input channels, input size, output channels (pooling: unused)
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t oh, ow;                // output size (≥ 1; the binding computes and checks it)
};

// What a convolution call decides before it touches memory (conv2d_*_plan, from the geometry, the
// outputs asked for and the thread count): the split, the GEMM plans and the workspace. Each
// thread's slice holds [cols | dcols | GEMM packing]: the im2col/im2row columns (+ the padded input
// plane), the backward dx columns (+ the padded dx plane), then the packing of whichever GEMM the
// thread runs. The shared part holds the weight-gradient partial sums (one slab per chunk after
// the first, which sums into dweight itself; every chunk for pointwise convs).
struct ConvPlan {
  int threads = 1;         // workspace slices
  int parts = 1;           // forward: image ranges in parallel; backward: weight-gradient chunks
  bool across = false;     // backward: chunks spread over the threads (else in turn, GEMMs threaded)
  bool want_dx = false, want_dw = false;
  int64_t cols = 0, dcols = 0;  // per-thread floats (multiples of kWsAlign)
  int64_t per_thread = 0;       // cols + dcols + the larger GEMM packing need
  int64_t shared = 0;           // backward: partial dweight slabs
  GemmPlan gemm_a;         // forward: W · cols; backward: the dweight GEMM
  GemmPlan gemm_b;         // backward: the dx GEMM (Wᵀ · dout)
  WorkspaceNeed need() const {
    WorkspaceNeed n;
    n.threads = threads;
    n.per_thread = per_thread;
    n.shared = shared;
    return n;
  }
};

// out [N, oc, oh, ow] = conv(x, weight) + bias (bias may be null). Overwrites out.
// plan = conv2d_forward_plan(g), ws at least plan.need().
ConvPlan conv2d_forward_plan(const ConvGeom& g) noexcept;
void conv2d_forward(float* out, const float* x, const float* weight, const float* bias,
                    const ConvGeom& g, const ConvPlan& plan, const Workspace& ws) noexcept;
// Each non-null output overwritten: dx [N, C, H, W], dweight [oc, C, kh, kw], dbias [oc].
// Results are bit-identical whatever the thread count (the batch is chunked by shape alone).
// plan = conv2d_backward_plan(g, dx != nullptr, dweight != nullptr), ws at least plan.need().
ConvPlan conv2d_backward_plan(const ConvGeom& g, bool want_dx, bool want_dweight) noexcept;
void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dout, const float* x,
                     const float* weight, const ConvGeom& g, const ConvPlan& plan,
                     const Workspace& ws) noexcept;

// Over the N·C planes: out = window max (padding = −∞, NaN wins), idx = its ih·W + iw (first on
// ties, −1 for an all-padding window). Both overwritten.
void maxpool2d_forward(float* out, int32_t* idx, const float* x, const ConvGeom& g) noexcept;
// dx = 0, then dx[plane][idx[k]] += dout[k]. Overwrites dx.
void maxpool2d_backward(float* dx, const float* dout, const int32_t* idx, const ConvGeom& g) noexcept;
// out = window sum / (kh·kw) (count_include_pad). Overwrites out.
void avgpool2d_forward(float* out, const float* x, const ConvGeom& g) noexcept;
// dx = adjoint of avgpool2d_forward applied to dout. Overwrites dx.
void avgpool2d_backward(float* dx, const float* dout, const ConvGeom& g) noexcept;

// x viewed as [N, C, L]: mean[c], biased var[c] (float64 sums, two passes). Overwrites both.
void batchnorm_stats(float* mean, float* var, const float* x, int64_t N, int64_t C, int64_t L) noexcept;
// out = x·(invstd·gamma) + (beta − mean·invstd·gamma); gamma/beta may be null (1 / 0); out may alias x.
void batchnorm_forward(float* out, const float* x, const float* mean, const float* invstd,
                       const float* gamma, const float* beta, int64_t N, int64_t C, int64_t L) noexcept;
// See Backend.batchNormBackward; each non-null output overwritten.
void batchnorm_backward(float* dx, float* dgamma, float* dbeta, const float* dout, const float* x,
                        const float* mean, const float* invstd, const float* gamma, int64_t N,
                        int64_t C, int64_t L, bool batch_stats) noexcept;

}  // namespace ng
