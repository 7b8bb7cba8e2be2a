// Conv2d forward/backward: im2col per image into the thread's workspace slice, then the SGEMM.
//   forward  out[n] (oc×P)  = W (oc×CK) · cols (CK×P)              (C pre-filled with bias, beta 1)
//   dweight  (oc×CK)       += dout[n] (oc×P) · rows (P×CK)          (im2row; per-chunk partial sums,
//                                                                    reduced in chunk order; pointwise:
//                                                                    dweightᵀ += x[n] · dout[n]ᵀ)
//   dx[n]                   = col2im(Wᵀ (CK×oc) · dout[n] (oc×P))
// With padding, each image is first copied into a zero-bordered plane so that im2col/im2row/col2im
// are branch-free fixed-length row copies. A 1×1, stride-1, unpadded conv skips im2col (cols = x[n]).
// Every result is bit-identical whatever the thread count: out and dx are per image, and a GEMM's
// result never depends on its thread split (gemm.cc); the backward pass cuts the batch into a number
// of chunks fixed by the shapes alone (dweight_chunks), so dweight is summed in one order everywhere.
// Forward: images split into min(threads, N) parts, one single-threaded GEMM per image; with one
// part the GEMM threads itself. The plan functions fix these splits and size the workspace
// (conv.h: ConvPlan); the binding reserves it before the call.
#include <algorithm>
#include <cstring>

#include "conv.h"
#include "gemm.h"
#include "thread_pool.h"
#include "workspace.h"

namespace ng {
namespace {

// Output columns ow in [lo, hi) read inside the row for tap offset off = j·dw − pw.
inline void valid_range(int64_t off, int64_t stride, int64_t W, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = W - off <= 0 ? 0 : (W - off + stride - 1) / stride;
  hi = std::min(hi, OW);
  lo = std::min(lo, hi);
}

// Padded-plane geometry: every tap of every output lies inside [C, hp, wp], so the copy loops below
// have no bounds checks (im2col used to copy thousands of ~14-float rows through memcpy with
// per-row range logic; these are straight fixed-length loops the compiler vectorises).
inline int64_t padded_h(const ConvGeom& g) { return g.h + 2 * g.ph; }
inline int64_t padded_w(const ConvGeom& g) { return g.w + 2 * g.pw; }
inline bool has_pad(const ConvGeom& g) { return g.ph != 0 || g.pw != 0; }

// xp [C, hp, wp] = x [C, H, W] surrounded by ph/pw zeros. Pointers into x are formed only for rows
// that exist (H, W ≥ 1), never from an empty or null x plus an offset.
void pad_image(const float* x, float* xp, const ConvGeom& g) {
  const int64_t hp = padded_h(g), wp = padded_w(g);
  for (int64_t c = 0; c < g.c; ++c) {
    float* pc = xp + c * hp * wp;
    for (int64_t r = 0; r < hp; ++r) {
      float* d = pc + r * wp;
      const int64_t ih = r - g.ph;
      if (ih < 0 || ih >= g.h || g.w <= 0) {
        std::memset(d, 0, size_t(wp) * sizeof(float));
        continue;
      }
      const float* s = x + (c * g.h + ih) * g.w;
      for (int64_t k = 0; k < g.pw; ++k) d[k] = 0.0f;
      std::memcpy(d + g.pw, s, size_t(g.w) * sizeof(float));
      for (int64_t k = g.pw + g.w; k < wp; ++k) d[k] = 0.0f;
    }
  }
}

// GCC turns these short copy loops (5–28 floats) into memmove calls, whose call and dispatch cost
// more than the copy itself; keep them as inline vector loops.
#if defined(__GNUC__) && !defined(__clang__)
#define NG_INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NG_INLINE_COPIES
#endif

NG_INLINE_COPIES inline void copy_row(float* __restrict d, const float* __restrict s, int64_t n, int64_t stride) {
  if (stride == 1) {
    for (int64_t k = 0; k < n; ++k) d[k] = s[k];
  } else {
    for (int64_t k = 0; k < n; ++k) d[k] = s[k * stride];
  }
}

template <int K>
inline void copy_fixed(float* __restrict d, const float* __restrict s) {
  for (int k = 0; k < K; ++k) d[k] = s[k];
}

// cols [(c·kh + i)·kw + j, oh·ow_n + ow] = xp[c, oh·sh + i·dh, ow·sw + j·dw] on the padded plane
// xp [C, hp, wp] (x itself when there is no padding).
NG_INLINE_COPIES void im2col(const float* xp, float* cols, const ConvGeom& g) {
  const int64_t P = g.oh * g.ow, hp = padded_h(g), wp = padded_w(g);
  float* row = cols;
  for (int64_t c = 0; c < g.c; ++c) {
    const float* xc = xp + c * hp * wp;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j, row += P) {
        const float* src = xc + i * g.dh * wp + j * g.dw;
        float* dst = row;
        for (int64_t oh = 0; oh < g.oh; ++oh, dst += g.ow) copy_row(dst, src + oh * g.sh * wp, g.ow, g.sw);
      }
    }
  }
}

// rows[oh·ow_n + ow, (c·kh + i)·kw + j] = the taps im2col gathers, patch-major ([P, CK]), so that
// dweight = dout (oc×P) · rows (P×CK) is a plain GEMM with no transposed packing. xp: padded plane.
NG_INLINE_COPIES void im2row(const float* xp, float* rows, const ConvGeom& g) {
  const int64_t CK = g.c * g.kh * g.kw, hp = padded_h(g), wp = padded_w(g);
  float* dst = rows;
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    for (int64_t ow = 0; ow < g.ow; ++ow, dst += CK) {
      float* d = dst;
      const float* base = xp + oh * g.sh * wp + ow * g.sw;
      for (int64_t c = 0; c < g.c; ++c) {
        const float* xc = base + c * hp * wp;
        if (g.dw == 1 && g.kw == 5) {  // the common 5×5: a fixed-size copy, fully unrolled
          for (int64_t i = 0; i < g.kh; ++i, d += 5) copy_fixed<5>(d, xc + i * g.dh * wp);
        } else if (g.dw == 1 && g.kw == 3) {
          for (int64_t i = 0; i < g.kh; ++i, d += 3) copy_fixed<3>(d, xc + i * g.dh * wp);
        } else {
          for (int64_t i = 0; i < g.kh; ++i, d += g.kw) copy_row(d, xc + i * g.dh * wp, g.kw, g.dw);
        }
      }
    }
  }
}

// dxp (one padded plane [C, hp, wp], already zeroed) += adjoint of im2col applied to cols. For a
// given element the taps are added in the same (c, i, j, oh) order as before the padded rewrite.
void col2im(const float* cols, float* dxp, const ConvGeom& g) {
  const int64_t P = g.oh * g.ow, hp = padded_h(g), wp = padded_w(g);
  const float* row = cols;
  for (int64_t c = 0; c < g.c; ++c) {
    float* xc = dxp + c * hp * wp;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j, row += P) {
        float* dst = xc + i * g.dh * wp + j * g.dw;
        const float* src = row;
        for (int64_t oh = 0; oh < g.oh; ++oh, src += g.ow) {
          float* __restrict d = dst + oh * g.sh * wp;
          const float* __restrict s = src;
          if (g.sw == 1) {
            for (int64_t ow = 0; ow < g.ow; ++ow) d[ow] += s[ow];
          } else {
            for (int64_t ow = 0; ow < g.ow; ++ow) d[ow * g.sw] += s[ow];
          }
        }
      }
    }
  }
}

// dx [C, H, W] = the interior of the padded plane dxp.
void unpad_image(const float* dxp, float* dx, const ConvGeom& g) {
  const int64_t hp = padded_h(g), wp = padded_w(g);
  if (g.w <= 0) return;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t ih = 0; ih < g.h; ++ih)
      std::memcpy(dx + (c * g.h + ih) * g.w, dxp + (c * hp + ih + g.ph) * wp + g.pw, size_t(g.w) * sizeof(float));
}

bool is_pointwise(const ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

GemmArgs gemm_args(bool tA, bool tB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                   const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  GemmArgs a;
  a.transA = tA; a.transB = tB; a.M = M; a.N = N; a.K = K;
  a.A = A; a.lda = lda; a.B = B; a.ldb = ldb; a.beta = beta; a.C = C; a.ldc = ldc;
  return a;
}

// The plan of a GEMM of this shape on `threads` threads (pointers and beta do not enter a plan).
GemmPlan plan_gemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb,
                   int64_t ldc, int threads) {
  GemmConfig cfg;
  cfg.threads = threads;
  return sgemm_plan(gemm_kernels(), gemm_args(tA, tB, M, N, K, nullptr, lda, nullptr, ldb, 0.0f, nullptr, ldc), cfg);
}

void run_gemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
              const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const GemmPlan& plan,
              const Workspace& ws) {
  sgemm_execute(gemm_kernels(), gemm_args(tA, tB, M, N, K, A, lda, B, ldb, beta, C, ldc), plan, ws);
}

// Columns (CK×P) plus, with padding, one padded plane [C, hp, wp] behind them.
int64_t cols_floats(const ConvGeom& g) {
  const int64_t cols = ws_mul(ws_mul(g.c, ws_mul(g.kh, g.kw)), ws_mul(g.oh, g.ow));
  const int64_t padded = has_pad(g) ? ws_mul(g.c, ws_mul(padded_h(g), padded_w(g))) : 0;
  return ws_round(ws_add(cols, padded));
}

int current_threads() { return std::clamp(num_threads(), 1, 256); }

// Weight-gradient chunks: contiguous image ranges, each summed into its own partial dweight, then
// the partials added in chunk order. The count depends on N and the weight size only — never on
// the thread count — so each dweight element is the same float sum on 1 or 64 threads. 16 chunks
// keep 2–16 threads busy (tasks are pulled dynamically); the memory cap bounds the partials for
// large weights (512×4608 gets one chunk, where each GEMM is big enough to thread itself).
constexpr int64_t kMaxChunks = 16;
constexpr int64_t kMaxPartialFloats = int64_t(4) << 20;  // 16 MiB of partial sums

int64_t dweight_chunks(int64_t n, int64_t weight_floats) {
  const int64_t by_memory = kMaxPartialFloats / std::max<int64_t>(weight_floats, 1);
  return std::max<int64_t>(1, std::min({n, kMaxChunks, by_memory}));
}

// Elements of dweight per reduction task: a fixed block (16 KiB of each partial) so that the
// reduction is cache-friendly and its split, too, is independent of the thread count.
constexpr int64_t kReduceBlock = 4096;

}  // namespace

ConvPlan conv2d_forward_plan(const ConvGeom& g) noexcept {
  ConvPlan p;
  const int64_t P = g.oh * g.ow, CK = g.c * g.kh * g.kw, O = g.oc;
  if (g.n <= 0 || O <= 0 || P <= 0) return p;
  const int threads = current_threads();
  p.parts = int(std::max<int64_t>(1, std::min<int64_t>(threads, g.n)));
  p.cols = is_pointwise(g) ? 0 : cols_floats(g);
  // One part: the GEMM threads itself; several: one single-threaded GEMM per image in each part.
  p.gemm_a = plan_gemm(false, false, O, P, CK, CK, P, P, p.parts == 1 ? threads : 1);
  p.threads = std::max(p.parts, p.gemm_a.threads);
  p.per_thread = ws_add(p.cols, p.gemm_a.per_thread);
  return p;
}

void conv2d_forward(float* out, const float* x, const float* weight, const float* bias,
                    const ConvGeom& g, const ConvPlan& plan, const Workspace& ws) noexcept {
  const int64_t P = g.oh * g.ow, CK = g.c * g.kh * g.kw, img = g.c * g.h * g.w, O = g.oc;
  if (g.n <= 0 || O <= 0 || P <= 0) return;
  const int parts = plan.parts;
  const bool pointwise = is_pointwise(g);
  const bool pad = has_pad(g);
  parallel_for(ws, parts, [&](int task, int tid) {
    const int64_t n0 = g.n * task / parts, n1 = g.n * (task + 1) / parts;
    // cols (CK×P) then, with padding, the padded plane; the GEMM packs behind them
    float* cols = pointwise ? nullptr : ws.slice(tid);
    float* xp = pad ? cols + CK * P : nullptr;
    const Workspace gws = parts == 1 ? ws.offset(plan.cols) : ws.single(tid).offset(plan.cols);
    for (int64_t n = n0; n < n1; ++n) {
      float* o = out + n * O * P;
      if (bias != nullptr) {
        for (int64_t r = 0; r < O; ++r) std::fill(o + r * P, o + (r + 1) * P, bias[r]);
      }
      const float* B = x + n * img;
      if (!pointwise) {
        if (pad) {
          pad_image(B, xp, g);
          B = xp;
        }
        im2col(B, cols, g);
        B = cols;
      }
      run_gemm(false, false, O, P, CK, weight, CK, B, P, bias != nullptr ? 1.0f : 0.0f, o, P,
               plan.gemm_a, gws);
    }
  });
}

// Weight gradient orientation: dweightᵀ = cols · doutᵀ (im2col; only the small dout packs
// transposed; pointwise convs, where cols = x) or dweight = dout · rows (im2row; plain GEMM).
// Measured on the Xeon (AVX-512, 12×32 tiles): dweight = dout · rows through the no-pack direct
// path beats the packed NT product for both MNIST convs (conv 16→32: 4.4 vs 5.5 ms per batch of
// 64), so im2row is used whenever a patch matrix is needed.
ConvPlan conv2d_backward_plan(const ConvGeom& g, bool want_dx, bool want_dw) noexcept {
  ConvPlan p;
  const int64_t P = g.oh * g.ow, CK = g.c * g.kh * g.kw, O = g.oc;
  if (g.n <= 0 || O <= 0 || P <= 0 || CK <= 0 || (!want_dx && !want_dw)) return p;
  p.want_dx = want_dx;
  p.want_dw = want_dw;
  const bool pointwise = is_pointwise(g);
  const bool use_rows = !pointwise;
  const int64_t WS = O * CK;
  // Chunk c sums images [N·c/chunks, N·(c+1)/chunks) into slab(c): dweight itself for chunk 0 with
  // use_rows (same layout), else a partial slab of the shared workspace (dweightᵀ for pointwise).
  const int64_t chunks = want_dw ? dweight_chunks(g.n, WS) : std::min<int64_t>(g.n, kMaxChunks);
  p.parts = int(chunks);
  if (want_dw) p.shared = ws_round(ws_mul(use_rows ? chunks - 1 : chunks, WS));
  // Chunks run in parallel with single-threaded GEMMs, unless there are fewer chunks than threads
  // and the GEMMs are big enough to thread themselves (either way the same arithmetic).
  const int threads = current_threads();
  const double gemm_flops = 2.0 * double(O) * double(CK) * double(P);
  p.across = chunks > 1 && (chunks >= threads || gemm_flops < kGemmParallelMinFlops);
  const int gemm_threads = p.across ? 1 : threads;
  if (want_dw && !pointwise) p.cols = cols_floats(g);
  if (want_dx && !pointwise) p.dcols = cols_floats(g);
  int64_t gemm_need = 0;
  int gemm_slices = 1;
  if (want_dw) {
    p.gemm_a = use_rows ? plan_gemm(false, false, O, CK, P, P, CK, CK, gemm_threads)
                        : plan_gemm(false, true, CK, O, P, P, P, O, gemm_threads);
    gemm_need = std::max(gemm_need, p.gemm_a.per_thread);
    gemm_slices = std::max(gemm_slices, p.gemm_a.threads);
  }
  if (want_dx) {
    p.gemm_b = plan_gemm(true, false, CK, P, O, CK, P, P, gemm_threads);
    gemm_need = std::max(gemm_need, p.gemm_b.per_thread);
    gemm_slices = std::max(gemm_slices, p.gemm_b.threads);
  }
  p.threads = p.across ? int(std::min<int64_t>(threads, chunks)) : gemm_slices;
  p.per_thread = ws_add(ws_add(p.cols, p.dcols), gemm_need);
  return p;
}

void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dout, const float* x,
                     const float* weight, const ConvGeom& g, const ConvPlan& plan,
                     const Workspace& ws) noexcept {
  const int64_t P = g.oh * g.ow, CK = g.c * g.kh * g.kw, img = g.c * g.h * g.w, O = g.oc;
  if (dbias != nullptr) {
    for (int64_t o = 0; o < O; ++o) {
      // per image: 8 float lanes (vectorisable without -ffast-math), then a float64 total
      double s = 0;
      for (int64_t n = 0; n < g.n; ++n) {
        const float* d = dout + (n * O + o) * P;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t p = 0;
        for (; p + 8 <= P; p += 8)
          for (int k = 0; k < 8; ++k) acc[k] += d[p + k];
        for (; p < P; ++p) s += d[p];
        for (int k = 0; k < 8; ++k) s += acc[k];
      }
      dbias[o] = float(s);
    }
  }
  if (dweight != nullptr) std::memset(dweight, 0, size_t(O * CK) * sizeof(float));
  if (g.n <= 0 || O <= 0 || P <= 0 || CK <= 0 || (dx == nullptr && dweight == nullptr)) {
    if (dx != nullptr && g.n * img > 0) std::memset(dx, 0, size_t(g.n * img) * sizeof(float));
    return;
  }
  // below, every image of dx is overwritten (beta-0 GEMM or a zeroed plane + col2im)
  const bool pointwise = is_pointwise(g);
  const bool use_rows = !pointwise;
  const int64_t WS = O * CK;
  const int64_t chunks = plan.parts;
  auto slab = [&](int64_t c) -> float* {
    if (use_rows) return c == 0 ? dweight : ws.shared + (c - 1) * WS;
    return ws.shared + c * WS;
  };
  const bool pad = has_pad(g);
  const int64_t padded = g.c * padded_h(g) * padded_w(g);
  const int64_t gemm_at = plan.cols + plan.dcols;  // the GEMM's part of each slice
  auto run_chunk = [&](int task, int tid) {
    const int64_t n0 = g.n * task / chunks, n1 = g.n * (task + 1) / chunks;
    // slice: cols (CK×P) + the padded input plane, dcols (CK×P) + the padded dx plane, GEMM packing
    float* cols = (dweight != nullptr && !pointwise) ? ws.slice(tid) : nullptr;
    float* dcols = (dx != nullptr && !pointwise) ? ws.slice(tid) + plan.cols : nullptr;
    float* xp = (cols != nullptr && pad) ? cols + CK * P : nullptr;
    float* dxp = (dcols != nullptr && pad) ? dcols + CK * P : nullptr;
    const Workspace gws = plan.across ? ws.single(tid).offset(gemm_at) : ws.offset(gemm_at);
    float* dwt = dweight == nullptr ? nullptr : slab(task);
    for (int64_t n = n0; n < n1; ++n) {
      const float* d = dout + n * O * P;
      if (dwt != nullptr) {
        const float beta = n == n0 ? 0.0f : 1.0f;
        const float* xn = x + n * img;
        if (pad && !pointwise) {
          pad_image(xn, xp, g);
          xn = xp;
        }
        if (use_rows) {
          im2row(xn, cols, g);
          run_gemm(false, false, O, CK, P, d, P, cols, CK, beta, dwt, CK, plan.gemm_a, gws);
        } else {
          // dweightᵀ (CK×oc) += x[n] (CK×P) · dout[n]ᵀ: only the small dout packs transposed
          run_gemm(false, true, CK, O, P, xn, P, d, P, beta, dwt, O, plan.gemm_a, gws);
        }
      }
      if (dx != nullptr) {
        float* dxn = dx + n * img;
        if (pointwise) {
          run_gemm(true, false, CK, P, O, weight, CK, d, P, 0.0f, dxn, P, plan.gemm_b, gws);
        } else {
          run_gemm(true, false, CK, P, O, weight, CK, d, P, 0.0f, dcols, P, plan.gemm_b, gws);
          if (pad) {
            std::memset(dxp, 0, size_t(padded) * sizeof(float));
            col2im(dcols, dxp, g);
            unpad_image(dxp, dxn, g);
          } else {
            std::memset(dxn, 0, size_t(img) * sizeof(float));
            col2im(dcols, dxn, g);
          }
        }
      }
    }
  };
  if (plan.across) {
    parallel_for(ws, int(chunks), [&](int task, int tid) { run_chunk(task, tid); });
  } else {
    for (int64_t c = 0; c < chunks; ++c) run_chunk(int(c), 0);
  }
  if (dweight == nullptr || (use_rows && chunks == 1)) return;  // chunk 0 wrote dweight directly
  // dweight = slab(0) + slab(1) + … + slab(chunks−1), left to right for every element; blocks of
  // elements (rows of dweight for the transposed partials) are independent tasks.
  if (use_rows) {
    const int64_t blocks = (WS + kReduceBlock - 1) / kReduceBlock;
    parallel_for(int(blocks), [&](int task, int) {
      const int64_t e0 = task * kReduceBlock, e1 = std::min(WS, e0 + kReduceBlock);
      float* __restrict dst = dweight;
      for (int64_t c = 1; c < chunks; ++c) {
        const float* __restrict src = slab(c);
        for (int64_t e = e0; e < e1; ++e) dst[e] += src[e];
      }
    });
  } else {
    const int64_t rows_per = std::max<int64_t>(1, kReduceBlock / std::max<int64_t>(CK, 1));
    const int64_t blocks = (O + rows_per - 1) / rows_per;
    parallel_for(int(blocks), [&](int task, int) {
      const int64_t o1 = std::min(O, (task + 1) * rows_per);
      for (int64_t o = task * rows_per; o < o1; ++o) {
        for (int64_t r = 0; r < CK; ++r) {
          const size_t at = size_t(r * O + o);
          float v = ws.shared[at];
          for (int64_t c = 1; c < chunks; ++c) v += ws.shared[size_t(c * WS) + at];
          dweight[o * CK + r] = v;
        }
      }
    });
  }
}

}  // namespace ng
