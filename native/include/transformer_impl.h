// The body of every ISA's transformer translation unit (native/isa/<isa>/transformer_kernels.cc):
// include INSIDE `namespace ng { namespace <isa> {` after <cmath>, <cstdint>, <cstring> and
// "transformer.h". Everything but the exported table has internal linkage. Plain scalar C++ with
// fixed-size register tiles and lane accumulators, so every loop vectorises under each ISA's flags
// (no intrinsics, no -ffast-math). TF_TILE_R (rows per register tile) may be defined by the includer.
namespace {
#include "ew_math.h"

#ifndef TF_TILE_R
#define TF_TILE_R 4
#endif
#ifndef TF_VW
#define TF_VW 4  // floats per vector register (SSE2 / NEON)
#endif
#ifndef TF_NV
#define TF_NV 2  // vectors per tile row
#endif
constexpr int kTileR = TF_TILE_R;
constexpr int kVW = TF_VW;
constexpr int kNV = TF_NV;
constexpr int kTileW = kVW * kNV;  // columns per register tile

// GCC vector extensions: accumulators stay in registers under every ISA's flags.
typedef float tf_v __attribute__((vector_size(TF_VW * 4)));
typedef float tf_vu __attribute__((vector_size(TF_VW * 4), aligned(4)));
static inline tf_v tf_load(const float* p) { return *reinterpret_cast<const tf_vu*>(p); }
static inline void tf_store(float* p, tf_v v) { *reinterpret_cast<tf_vu*>(p) = v; }
static inline tf_v tf_splat(float a) { return tf_v{} + a; }
static inline tf_v tf_vfma(tf_v a, tf_v b, tf_v c) {
#if defined(__AVX512F__) && TF_VW == 16
  return reinterpret_cast<tf_v>(_mm512_fmadd_ps(reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b), reinterpret_cast<__m512>(c)));
#elif defined(__FMA__) && TF_VW == 8
  return reinterpret_cast<tf_v>(_mm256_fmadd_ps(reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(c)));
#else
  return a * b + c;
#endif
}
constexpr int kLaneW = 16;         // lanes of the row max / sum / dot helpers
constexpr int kLanes = 8;    // float64 lane accumulators of the LayerNorm row sums

// a·b + c: one fused multiply-add where the ISA has it (ISO C++ mode never contracts by itself).
#if defined(__FMA__) || defined(__aarch64__)
static inline float tf_fma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
#else
static inline float tf_fma(float a, float b, float c) { return a * b + c; }
#endif

// ---------------------------------------------------------------------------------------------
// LayerNorm
// ---------------------------------------------------------------------------------------------

static inline double tf_sum(const float* x, int64_t n) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += double(x[i + l]);
  double s = 0.0;
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  for (; i < n; ++i) s += double(x[i]);
  return s;
}

static inline double tf_sq_dev(const float* x, int64_t n, double mean) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      double d = double(x[i + l]) - mean;
      acc[l] += d * d;
    }
  double s = 0.0;
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  for (; i < n; ++i) {
    double d = double(x[i]) - mean;
    s += d * d;
  }
  return s;
}

static void ln_forward_k(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b,
                         int64_t r0, int64_t r1, int64_t n, float eps) noexcept {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * n;
    float* yr = out + r * n;
    const double mu = n > 0 ? tf_sum(xr, n) / double(n) : 0.0;
    const double var = n > 0 ? tf_sq_dev(xr, n, mu) / double(n) : 0.0;
    const float rs = float(1.0 / std::sqrt(var + double(eps)));
    const float m = float(mu);
    mean[r] = m;
    rstd[r] = rs;
    if (w != nullptr && b != nullptr) {
      for (int64_t j = 0; j < n; ++j) yr[j] = tf_fma((xr[j] - m) * rs, w[j], b[j]);
    } else if (w != nullptr) {
      for (int64_t j = 0; j < n; ++j) yr[j] = ((xr[j] - m) * rs) * w[j];
    } else if (b != nullptr) {
      for (int64_t j = 0; j < n; ++j) yr[j] = (xr[j] - m) * rs + b[j];
    } else {
      for (int64_t j = 0; j < n; ++j) yr[j] = (xr[j] - m) * rs;
    }
  }
}

static void ln_backward_k(float* dx, float* dw, float* db, const float* dout, const float* x, const float* mean,
                          const float* rstd, const float* w, int64_t r0, int64_t r1, int64_t n) noexcept {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * n;
    const float* gr = dout + r * n;
    const float m = mean[r], rs = rstd[r];
    if (dx != nullptr) {
      double a1[kLanes] = {}, a2[kLanes] = {};
      int64_t j = 0;
      for (; j + kLanes <= n; j += kLanes)
        for (int l = 0; l < kLanes; ++l) {
          const float xh = (xr[j + l] - m) * rs;
          const float g = w != nullptr ? gr[j + l] * w[j + l] : gr[j + l];
          a1[l] += double(g);
          a2[l] += double(g) * double(xh);
        }
      double s1 = 0.0, s2 = 0.0;
      for (int l = 0; l < kLanes; ++l) {
        s1 += a1[l];
        s2 += a2[l];
      }
      for (; j < n; ++j) {
        const float xh = (xr[j] - m) * rs;
        const float g = w != nullptr ? gr[j] * w[j] : gr[j];
        s1 += double(g);
        s2 += double(g) * double(xh);
      }
      const float c1 = float(s1 / double(n)), c2 = float(s2 / double(n));
      float* dr = dx + r * n;
      if (w != nullptr) {
        for (int64_t i = 0; i < n; ++i) {
          const float xh = (xr[i] - m) * rs;
          dr[i] = rs * (gr[i] * w[i] - c1 - xh * c2);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const float xh = (xr[i] - m) * rs;
          dr[i] = rs * (gr[i] - c1 - xh * c2);
        }
      }
    }
    if (dw != nullptr)
      for (int64_t i = 0; i < n; ++i) dw[i] = tf_fma(gr[i], (xr[i] - m) * rs, dw[i]);
    if (db != nullptr)
      for (int64_t i = 0; i < n; ++i) db[i] += gr[i];
  }
}

// ---------------------------------------------------------------------------------------------
// Attention building blocks
// ---------------------------------------------------------------------------------------------

// C[m×n] = alpha·op(A)·B (+ C when acc). op(A)(i, p) = A[i·lda + p], or A[p·lda + i] when TA;
// B(p, j) = B[p·ldb + j]; C row-major with ldc. Full kTileR×kTileW tiles run from registers.
template <bool TA>
static void tf_mm(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B,
                  int64_t ldb, float* C, int64_t ldc, bool acc) noexcept {
  int64_t i0 = 0;
  for (; i0 + kTileR <= m; i0 += kTileR) {
    int64_t j0 = 0;
    for (; j0 + kTileW <= n; j0 += kTileW) {
      tf_v c[kTileR][kNV];
      for (int r = 0; r < kTileR; ++r)
        for (int v = 0; v < kNV; ++v) c[r][v] = tf_v{};
      for (int64_t p = 0; p < k; ++p) {
        const float* bp = B + p * ldb + j0;
        tf_v bv[kNV];
        for (int v = 0; v < kNV; ++v) bv[v] = tf_load(bp + v * kVW);
        for (int r = 0; r < kTileR; ++r) {
          const tf_v a = tf_splat(TA ? A[p * lda + i0 + r] : A[(i0 + r) * lda + p]);
          for (int v = 0; v < kNV; ++v) c[r][v] = tf_vfma(a, bv[v], c[r][v]);
        }
      }
      const tf_v al = tf_splat(alpha);
      for (int r = 0; r < kTileR; ++r) {
        float* cr = C + (i0 + r) * ldc + j0;
        for (int v = 0; v < kNV; ++v) {
          if (acc) tf_store(cr + v * kVW, tf_vfma(al, c[r][v], tf_load(cr + v * kVW)));
          else tf_store(cr + v * kVW, al * c[r][v]);
        }
      }
    }
    if (j0 < n) {  // column tail: one row at a time
      for (int r = 0; r < kTileR; ++r) {
        for (int64_t j = j0; j < n; ++j) {
          float s = 0.0f;
          for (int64_t p = 0; p < k; ++p) {
            const float a = TA ? A[p * lda + i0 + r] : A[(i0 + r) * lda + p];
            s = tf_fma(a, B[p * ldb + j], s);
          }
          float* cp = C + (i0 + r) * ldc + j;
          *cp = acc ? tf_fma(alpha, s, *cp) : alpha * s;
        }
      }
    }
  }
  for (; i0 < m; ++i0) {  // row tail: a 1×n row, vectorised over j
    float* cr = C + i0 * ldc;
    int64_t j0 = 0;
    for (; j0 + kTileW <= n; j0 += kTileW) {
      tf_v c[kNV];
      for (int v = 0; v < kNV; ++v) c[v] = tf_v{};
      for (int64_t p = 0; p < k; ++p) {
        const tf_v a = tf_splat(TA ? A[p * lda + i0] : A[i0 * lda + p]);
        const float* bp = B + p * ldb + j0;
        for (int v = 0; v < kNV; ++v) c[v] = tf_vfma(a, tf_load(bp + v * kVW), c[v]);
      }
      const tf_v al = tf_splat(alpha);
      for (int v = 0; v < kNV; ++v) {
        if (acc) tf_store(cr + j0 + v * kVW, tf_vfma(al, c[v], tf_load(cr + j0 + v * kVW)));
        else tf_store(cr + j0 + v * kVW, al * c[v]);
      }
    }
    for (int64_t j = j0; j < n; ++j) {
      float s = 0.0f;
      for (int64_t p = 0; p < k; ++p) {
        const float a = TA ? A[p * lda + i0] : A[i0 * lda + p];
        s = tf_fma(a, B[p * ldb + j], s);
      }
      cr[j] = acc ? tf_fma(alpha, s, cr[j]) : alpha * s;
    }
  }
}

// dst[e·ldd + j] = src[j·lds + e] for j < rows, e < cols (a key/value block transposed).
static void tf_transpose(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) noexcept {
  constexpr int64_t T = 16;
  for (int64_t j0 = 0; j0 < rows; j0 += T) {
    const int64_t j1 = j0 + T < rows ? j0 + T : rows;
    for (int64_t e0 = 0; e0 < cols; e0 += T) {
      const int64_t e1 = e0 + T < cols ? e0 + T : cols;
      for (int64_t j = j0; j < j1; ++j)
        for (int64_t e = e0; e < e1; ++e) dst[e * ldd + j] = src[j * lds + e];
    }
  }
}

static inline float tf_row_max(const float* s, int64_t n) {
  float acc[kLaneW];
  for (int w = 0; w < kLaneW; ++w) acc[w] = -INFINITY;
  int64_t j = 0;
  for (; j + kLaneW <= n; j += kLaneW)
    for (int w = 0; w < kLaneW; ++w) acc[w] = s[j + w] > acc[w] ? s[j + w] : acc[w];
  float m = -INFINITY;
  for (int w = 0; w < kLaneW; ++w) m = acc[w] > m ? acc[w] : m;
  for (; j < n; ++j) m = s[j] > m ? s[j] : m;
  return m;
}

// s[j] = exp(s[j] − m) (exactly 0 where s[j] is −inf); returns Σ s[j] (lane sums, then in order).
static inline float tf_exp_sum(float* s, int64_t n, float m) {
  float acc[kLaneW];
  for (int w = 0; w < kLaneW; ++w) acc[w] = 0.0f;
  int64_t j = 0;
  for (; j + kLaneW <= n; j += kLaneW)
    for (int w = 0; w < kLaneW; ++w) {
      const float x = s[j + w];
      const float p = x == -INFINITY ? 0.0f : vm_exp(x - m);
      s[j + w] = p;
      acc[w] += p;
    }
  float t = 0.0f;
  for (int w = 0; w < kLaneW; ++w) t += acc[w];
  for (; j < n; ++j) {
    const float x = s[j];
    const float p = x == -INFINITY ? 0.0f : vm_exp(x - m);
    s[j] = p;
    t += p;
  }
  return t;
}

struct TfHead {
  const float* q;
  const float* k;
  const float* v;
  const float* mask;
};

static inline TfHead tf_head(const SdpaArgs& a, int64_t bh) {
  const int64_t h0 = bh / a.b1, h1 = bh % a.b1;
  TfHead h;
  h.q = a.q + h0 * a.q0 + h1 * a.q1;
  h.k = a.k + h0 * a.k0 + h1 * a.k1;
  h.v = a.v + h0 * a.v0 + h1 * a.v1;
  h.mask = a.mask != nullptr ? a.mask + h0 * a.m0 + h1 * a.m1 : nullptr;
  return h;
}

// S block [bq × nb] (ld kSdpaBlockK) = scale·Q[i0..]·K[j0..]ᵀ + mask, −inf above the causal diagonal.
static void tf_scores(const SdpaArgs& a, const TfHead& h, int64_t i0, int64_t bq, int64_t j0, int64_t nb, float* Kt,
                      float* Sb) noexcept {
  constexpr int64_t BK = kSdpaBlockK;
  tf_transpose(h.k + j0 * a.kL, a.kL, nb, a.E, Kt, BK);
  tf_mm<false>(bq, nb, a.E, a.scale, h.q + i0 * a.qL, a.qL, Kt, BK, Sb, BK, false);
  if (h.mask != nullptr) {
    for (int64_t ii = 0; ii < bq; ++ii) {
      const float* mr = h.mask + (i0 + ii) * a.mL + j0 * a.mS;
      float* sr = Sb + ii * BK;
      if (a.mS == 1) {
        for (int64_t jj = 0; jj < nb; ++jj) sr[jj] += mr[jj];
      } else {
        for (int64_t jj = 0; jj < nb; ++jj) sr[jj] += mr[jj * a.mS];
      }
    }
  }
  if (a.causal && j0 + nb - 1 > i0) {
    for (int64_t ii = 0; ii < bq; ++ii) {
      const int64_t first = i0 + ii + 1 - j0;  // keys j0 + first … are in the future of row i0 + ii
      for (int64_t jj = first < 0 ? 0 : first; jj < nb; ++jj) Sb[ii * BK + jj] = -INFINITY;
    }
  }
}

static void sdpa_forward_block_k(const SdpaArgs& a, int64_t bh, int64_t i0, int64_t i1, float* ws) noexcept {
  constexpr int64_t BK = kSdpaBlockK;
  const TfHead h = tf_head(a, bh);
  const int64_t bq = i1 - i0, E = a.E, Ev = a.Ev;
  float* Kt = ws;
  float* Sb = Kt + E * BK;
  float* O = Sb + kSdpaBlockQ * BK;
  float* mrow = O + kSdpaBlockQ * Ev;
  float* lrow = mrow + kSdpaBlockQ;
  for (int64_t x = 0; x < bq * Ev; ++x) O[x] = 0.0f;
  for (int64_t ii = 0; ii < bq; ++ii) {
    mrow[ii] = -INFINITY;
    lrow[ii] = 0.0f;
  }
  const int64_t jend = a.causal ? (a.S < i1 ? a.S : i1) : a.S;
  for (int64_t j0 = 0; j0 < jend; j0 += BK) {
    const int64_t nb = j0 + BK < jend ? BK : jend - j0;
    tf_scores(a, h, i0, bq, j0, nb, Kt, Sb);
    for (int64_t ii = 0; ii < bq; ++ii) {
      float* sr = Sb + ii * BK;
      const float mold = mrow[ii];
      const float bm = tf_row_max(sr, nb);
      const float mnew = bm > mold ? bm : mold;
      if (mnew == -INFINITY) {  // every key so far masked out: nothing to add
        for (int64_t jj = 0; jj < nb; ++jj) sr[jj] = 0.0f;
        continue;
      }
      const float corr = mold == -INFINITY ? 0.0f : vm_exp(mold - mnew);
      const float bs = tf_exp_sum(sr, nb, mnew);
      lrow[ii] = lrow[ii] * corr + bs;
      mrow[ii] = mnew;
      if (corr != 1.0f) {
        float* orow = O + ii * Ev;
        for (int64_t e = 0; e < Ev; ++e) orow[e] *= corr;
      }
    }
    tf_mm<false>(bq, Ev, nb, 1.0f, Sb, BK, h.v + j0 * a.vL, a.vL, O, Ev, true);
  }
  float* out = a.out + (bh * a.L + i0) * Ev;
  float* lse = a.lse + bh * a.L + i0;
  for (int64_t ii = 0; ii < bq; ++ii) {
    const float l = lrow[ii];
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int64_t e = 0; e < Ev; ++e) out[ii * Ev + e] = O[ii * Ev + e] * inv;
    lse[ii] = l > 0.0f ? mrow[ii] + vm_log(l) : -INFINITY;
  }
}

static void sdpa_backward_head_k(const SdpaArgs& a, int64_t bh, float* ws) noexcept {
  constexpr int64_t BQ = kSdpaBlockQ, BK = kSdpaBlockK;
  const TfHead h = tf_head(a, bh);
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev;
  float* Kt = ws;                 // E × BK
  float* Vt = Kt + E * BK;        // Ev × BK
  float* P = Vt + Ev * BK;        // BQ × BK
  float* dS = P + BQ * BK;        // BQ × BK
  float* D = dS + BQ * BK;        // L
  const float* out = a.out + bh * L * Ev;
  const float* dout = a.dout + bh * L * Ev;
  const float* lse = a.lse + bh * L;
  float* dq = a.dq + bh * L * E;
  float* dk = a.dk + bh * S * E;
  float* dv = a.dv + bh * S * Ev;
  std::memset(dq, 0, size_t(L * E) * sizeof(float));
  std::memset(dk, 0, size_t(S * E) * sizeof(float));
  std::memset(dv, 0, size_t(S * Ev) * sizeof(float));
  for (int64_t i = 0; i < L; ++i) {
    float acc[kLaneW];
    for (int w = 0; w < kLaneW; ++w) acc[w] = 0.0f;
    const float* o = out + i * Ev;
    const float* g = dout + i * Ev;
    int64_t e = 0;
    for (; e + kLaneW <= Ev; e += kLaneW)
      for (int w = 0; w < kLaneW; ++w) acc[w] = tf_fma(o[e + w], g[e + w], acc[w]);
    float s = 0.0f;
    for (int w = 0; w < kLaneW; ++w) s += acc[w];
    for (; e < Ev; ++e) s = tf_fma(o[e], g[e], s);
    D[i] = s;
  }
  for (int64_t i0 = 0; i0 < L; i0 += BQ) {
    const int64_t bq = i0 + BQ < L ? BQ : L - i0;
    const int64_t i1 = i0 + bq;
    const int64_t jend = a.causal ? (S < i1 ? S : i1) : S;
    for (int64_t j0 = 0; j0 < jend; j0 += BK) {
      const int64_t nb = j0 + BK < jend ? BK : jend - j0;
      tf_scores(a, h, i0, bq, j0, nb, Kt, P);
      for (int64_t ii = 0; ii < bq; ++ii) {
        float* pr = P + ii * BK;
        const float l = lse[i0 + ii];
        if (l == -INFINITY) {
          for (int64_t jj = 0; jj < nb; ++jj) pr[jj] = 0.0f;
          continue;
        }
        for (int64_t jj = 0; jj < nb; ++jj) {
          const float x = pr[jj];
          pr[jj] = x == -INFINITY ? 0.0f : vm_exp(x - l);
        }
      }
      // dV[j0..] += Pᵀ·dO
      tf_mm<true>(nb, Ev, bq, 1.0f, P, BK, dout + i0 * Ev, Ev, dv + j0 * Ev, Ev, true);
      // dP = dO·Vᵀ
      tf_transpose(h.v + j0 * a.vL, a.vL, nb, Ev, Vt, BK);
      tf_mm<false>(bq, nb, Ev, 1.0f, dout + i0 * Ev, Ev, Vt, BK, dS, BK, false);
      // dS = P ⊙ (dP − D)
      for (int64_t ii = 0; ii < bq; ++ii) {
        const float d = D[i0 + ii];
        float* sr = dS + ii * BK;
        const float* pr = P + ii * BK;
        for (int64_t jj = 0; jj < nb; ++jj) sr[jj] = pr[jj] * (sr[jj] - d);
      }
      // dQ += scale·dS·K, dK += scale·dSᵀ·Q
      tf_mm<false>(bq, E, nb, a.scale, dS, BK, h.k + j0 * a.kL, a.kL, dq + i0 * E, E, true);
      tf_mm<true>(nb, E, bq, a.scale, dS, BK, h.q + i0 * a.qL, a.qL, dk + j0 * E, E, true);
    }
  }
}

}  // namespace

extern const TransformerKernels transformer_kernels_table;
const TransformerKernels transformer_kernels_table = {
    ln_forward_k,
    ln_backward_k,
    sdpa_forward_block_k,
    sdpa_backward_head_k,
};
