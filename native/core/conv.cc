// Conv2d forward/backward: im2col per image into per-thread scratch, then the packed SGEMM.
//   forward  out[n] (oc×P)  = W (oc×CK) · cols (CK×P)              (C pre-filled with bias, beta 1)
//   dweightᵀ (CK×oc)       += cols (CK×P) · dout[n]ᵀ               (per-part partial sums, reduced in order)
//   dx[n]                   = col2im(Wᵀ (CK×oc) · dout[n] (oc×P))
// Images are split into min(threads, N) contiguous parts, one single-threaded GEMM per image; with
// one part the GEMM threads itself. A 1×1, stride-1, unpadded conv skips im2col (cols = x[n]).
#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

#include "conv.h"
#include "gemm.h"
#include "thread_pool.h"

namespace ng {
namespace {

constexpr int kSlotCols = 2;   // GEMM packing uses slots 0 and 1
constexpr int kSlotDcols = 3;

// Output columns ow in [lo, hi) read inside the row for tap offset off = j·dw − pw.
inline void valid_range(int64_t off, int64_t stride, int64_t W, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = W - off <= 0 ? 0 : (W - off + stride - 1) / stride;
  hi = std::min(hi, OW);
  lo = std::min(lo, hi);
}

void im2col(const float* x, float* cols, const ConvGeom& g) {
  const int64_t P = g.oh * g.ow;
  float* row = cols;
  for (int64_t c = 0; c < g.c; ++c) {
    const float* xc = x + c * g.h * g.w;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j, row += P) {
        int64_t lo, hi;
        valid_range(j * g.dw - g.pw, g.sw, g.w, g.ow, lo, hi);
        float* dst = row;
        for (int64_t oh = 0; oh < g.oh; ++oh, dst += g.ow) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::memset(dst, 0, size_t(g.ow) * sizeof(float));
            continue;
          }
          const float* src = xc + ih * g.w + j * g.dw - g.pw;  // src[ow·sw] for ow in [lo, hi)
          for (int64_t ow = 0; ow < lo; ++ow) dst[ow] = 0.0f;
          if (g.sw == 1) {
            if (hi > lo) std::memcpy(dst + lo, src + lo, size_t(hi - lo) * sizeof(float));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.sw];
          }
          for (int64_t ow = hi; ow < g.ow; ++ow) dst[ow] = 0.0f;
        }
      }
    }
  }
}

// rows[oh·ow_n + ow, (c·kh + i)·kw + j] = the taps im2col gathers, patch-major ([P, CK]), so that
// dweight = dout (oc×P) · rows (P×CK) is a plain GEMM with no transposed packing.
void im2row(const float* x, float* rows, const ConvGeom& g) {
  const int64_t CK = g.c * g.kh * g.kw;
  float* dst = rows;
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    for (int64_t ow = 0; ow < g.ow; ++ow, dst += CK) {
      const int64_t iw0 = ow * g.sw - g.pw;
      const bool interior = iw0 >= 0 && iw0 + (g.kw - 1) * g.dw < g.w;
      float* d = dst;
      for (int64_t c = 0; c < g.c; ++c) {
        const float* xc = x + c * g.h * g.w;
        for (int64_t i = 0; i < g.kh; ++i, d += g.kw) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) {
            for (int64_t j = 0; j < g.kw; ++j) d[j] = 0.0f;
            continue;
          }
          const float* xr = xc + ih * g.w;
          if (interior) {
            for (int64_t j = 0; j < g.kw; ++j) d[j] = xr[iw0 + j * g.dw];
            continue;
          }
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = iw0 + j * g.dw;
            d[j] = (iw >= 0 && iw < g.w) ? xr[iw] : 0.0f;
          }
        }
      }
    }
  }
}

// Fraction of the MR×NR register tiles doing useful work for an m×n GEMM output.
double tile_use(int64_t m, int64_t n, int mr, int nr) {
  const double pm = double((m + mr - 1) / mr * mr), pn = double((n + nr - 1) / nr * nr);
  return double(m) * double(n) / (pm * pn);
}

// dx (one image, already zeroed) += adjoint of im2col applied to cols.
void col2im(const float* cols, float* dx, const ConvGeom& g) {
  const int64_t P = g.oh * g.ow;
  const float* row = cols;
  for (int64_t c = 0; c < g.c; ++c) {
    float* xc = dx + c * g.h * g.w;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j, row += P) {
        int64_t lo, hi;
        valid_range(j * g.dw - g.pw, g.sw, g.w, g.ow, lo, hi);
        const float* src = row;
        for (int64_t oh = 0; oh < g.oh; ++oh, src += g.ow) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          float* dst = xc + ih * g.w + j * g.dw - g.pw;
          if (g.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.sw] += src[ow];
          }
        }
      }
    }
  }
}

bool is_pointwise(const ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

void run_gemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
              const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads) {
  GemmArgs a;
  a.transA = tA; a.transB = tB; a.M = M; a.N = N; a.K = K;
  a.A = A; a.lda = lda; a.B = B; a.ldb = ldb; a.beta = beta; a.C = C; a.ldc = ldc;
  GemmConfig cfg;
  cfg.threads = threads;
  sgemm_run(gemm_kernels(), a, cfg);
}

int parts_for(int64_t n) {
  return int(std::max<int64_t>(1, std::min<int64_t>(num_threads(), n)));
}

}  // namespace

void conv2d_forward(float* out, const float* x, const float* weight, const float* bias,
                    const ConvGeom& g) noexcept {
  const int64_t P = g.oh * g.ow, CK = g.c * g.kh * g.kw, img = g.c * g.h * g.w, O = g.oc;
  if (g.n <= 0 || O <= 0 || P <= 0) return;
  const int parts = parts_for(g.n);
  const int gemm_threads = parts == 1 ? 0 : 1;  // 0: the GEMM's own default
  const bool pointwise = is_pointwise(g);
  parallel_for(parts, [&](int task, int tid) {
    const int64_t n0 = g.n * task / parts, n1 = g.n * (task + 1) / parts;
    float* cols = pointwise ? nullptr : scratch(tid, kSlotCols, CK * P);
    for (int64_t n = n0; n < n1; ++n) {
      float* o = out + n * O * P;
      if (bias != nullptr) {
        for (int64_t r = 0; r < O; ++r) std::fill(o + r * P, o + (r + 1) * P, bias[r]);
      }
      const float* B = x + n * img;
      if (!pointwise) {
        im2col(B, cols, g);
        B = cols;
      }
      run_gemm(false, false, O, P, CK, weight, CK, B, P, bias != nullptr ? 1.0f : 0.0f, o, P,
               gemm_threads);
    }
  });
}

void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dout, const float* x,
                     const float* weight, const ConvGeom& g) noexcept {
  const int64_t P = g.oh * g.ow, CK = g.c * g.kh * g.kw, img = g.c * g.h * g.w, O = g.oc;
  if (dbias != nullptr) {
    for (int64_t o = 0; o < O; ++o) {
      double s = 0;
      for (int64_t n = 0; n < g.n; ++n) {
        const float* d = dout + (n * O + o) * P;
        for (int64_t p = 0; p < P; ++p) s += d[p];
      }
      dbias[o] = float(s);
    }
  }
  if (dx != nullptr) std::memset(dx, 0, size_t(g.n * img) * sizeof(float));
  if (dweight != nullptr) std::memset(dweight, 0, size_t(O * CK) * sizeof(float));
  if (g.n <= 0 || O <= 0 || P <= 0 || CK <= 0 || (dx == nullptr && dweight == nullptr)) return;

  int parts = parts_for(g.n);
  // Each part accumulates dweightᵀ (CK×oc) in its own buffer; transposed and summed in part order.
  std::unique_ptr<float[]> partial;
  if (dweight != nullptr) {
    partial.reset(new (std::nothrow) float[size_t(parts * O * CK)]);
    if (!partial && parts > 1) {
      parts = 1;
      partial.reset(new (std::nothrow) float[size_t(O * CK)]);
    }
    if (!partial) dweight = nullptr;  // out of memory: leave the zeroed gradient (cannot throw here)
  }
  const int gemm_threads = parts == 1 ? 0 : 1;
  const bool pointwise = is_pointwise(g);
  // Weight gradient orientation: dweightᵀ = cols · doutᵀ (im2col; only the small dout packs
  // transposed) or dweight = dout · rows (im2row; plain GEMM). Pick the one whose output fills the
  // register tiles better (conv 16→32 5×5: the first; conv 1→16: the second). Measured on Zen 5.
  const GemmKernels& gk = gemm_kernels();
  const bool use_rows = !pointwise && tile_use(O, CK, gk.mr, gk.nr) > tile_use(CK, O, gk.mr, gk.nr);
  parallel_for(parts, [&](int task, int tid) {
    const int64_t n0 = g.n * task / parts, n1 = g.n * (task + 1) / parts;
    float* cols = (dweight != nullptr && !pointwise) ? scratch(tid, kSlotCols, CK * P) : nullptr;
    float* dcols = (dx != nullptr && !pointwise) ? scratch(tid, kSlotDcols, CK * P) : nullptr;
    float* dwt = dweight == nullptr ? nullptr : partial.get() + task * O * CK;
    for (int64_t n = n0; n < n1; ++n) {
      const float* d = dout + n * O * P;
      if (dwt != nullptr) {
        // dweightᵀ (CK×oc) += cols (CK×P) · dout[n]ᵀ: A packs from plain rows, only the small dout is
        // packed transposed (measured faster than dout · colsᵀ, and than im2row + a plain GEMM)
        const float beta = n == n0 ? 0.0f : 1.0f;
        if (use_rows) {
          im2row(x + n * img, cols, g);
          run_gemm(false, false, O, CK, P, d, P, cols, CK, beta, dwt, CK, gemm_threads);
        } else {
          const float* A = x + n * img;
          if (!pointwise) {
            im2col(A, cols, g);
            A = cols;
          }
          run_gemm(false, true, CK, O, P, A, P, d, P, beta, dwt, O, gemm_threads);
        }
      }
      if (dx != nullptr) {
        float* dxn = dx + n * img;
        if (pointwise) {
          run_gemm(true, false, CK, P, O, weight, CK, d, P, 0.0f, dxn, P, gemm_threads);
        } else {
          run_gemm(true, false, CK, P, O, weight, CK, d, P, 0.0f, dcols, P, gemm_threads);
          col2im(dcols, dxn, g);
        }
      }
    }
  });
  if (dweight != nullptr) {
    for (int64_t o = 0; o < O; ++o) {
      for (int64_t r = 0; r < CK; ++r) {
        // partials hold dweight (oc×CK) with use_rows, dweightᵀ (CK×oc) otherwise
        const size_t at = use_rows ? size_t(o * CK + r) : size_t(r * O + o);
        float v = partial[at];
        for (int p = 1; p < parts; ++p) v += partial[size_t(p * O * CK) + at];
        dweight[o * CK + r] = v;
      }
    }
  }
}

}  // namespace ng
