// Shared SGEMM packing routines and register micro-kernel template, written once against a small
// vector-traits struct. Each ISA TU includes this file *inside its own namespace* (ng::scalar,
// ng::avx2, ...) after <cstdint>/<cstring>, so every instantiation is private to that ISA's flags
// (no weak symbols shared across ISAs: ODR). Not a standalone header; it includes ew_math.h
// (the branch-free transcendental functions) into the same namespace.
//
// Traits T provide: V (vector), W (lanes), Mask, zero(), load(p), store(p,x), set1(x), fma(a,b,c)=a*b+c,
// mul(a,b), add(a,b), relu(x) (NaN propagates), mask(count), maskload(p,m) (masked-off lanes are
// not read and come back 0), maskstore(p,m,x) (masked-off lanes are not written).

#include "ew_math.h"

#define NG_UNROLL _Pragma("GCC unroll 16")

// The ISA's register-block transpose, dst[c*ldd + r] = src[r*lds + c] (GemmKernels::transpose), or
// nullptr. The packing routines below use it where a plain copy would scatter one float at a time.
using TransposeFn = void (*)(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                             int64_t ldd) noexcept;

// op(A) rows [0,m) × k-range [0,k) into slivers of MR rows: sliver s, element (i,p) at p*MR + i.
// Not transposed, a sliver is the transpose of an MR-row strip of A: with TR it goes through the
// register transpose (AVX-512: 16×16 blocks, opmask edges; ~3× the scalar scatter), else one
// float per store.
template <int MR, TransposeFn TR = nullptr>
void pack_a_t(bool trans, const float* A, int64_t lda, int64_t m, int64_t k, float* dst) noexcept {
  for (int64_t i0 = 0; i0 < m; i0 += MR, dst += k * MR) {
    const int rows = int(m - i0 < MR ? m - i0 : MR);
    if (trans) {  // op(A)(i,p) = A[p*lda + i]: each k step copies `rows` contiguous floats
      for (int64_t p = 0; p < k; ++p) {
        const float* src = A + p * lda + i0;
        float* d = dst + p * MR;
        for (int r = 0; r < rows; ++r) d[r] = src[r];
        for (int r = rows; r < MR; ++r) d[r] = 0.0f;
      }
    } else if constexpr (TR != nullptr) {  // op(A)(i,p) = A[i*lda + p]: transpose the rows × k strip
      TR(A + i0 * lda, lda, rows, k, dst, MR);
      if (rows < MR)
        for (int64_t p = 0; p < k; ++p)
          for (int r = rows; r < MR; ++r) dst[p * MR + r] = 0.0f;
    } else {      // read rows contiguously, scatter with stride MR
      for (int r = 0; r < rows; ++r) {
        const float* src = A + (i0 + r) * lda;
        for (int64_t p = 0; p < k; ++p) dst[p * MR + r] = src[p];
      }
      for (int r = rows; r < MR; ++r)
        for (int64_t p = 0; p < k; ++p) dst[p * MR + r] = 0.0f;
    }
  }
}

// op(B) k-range [0,k) × columns [0,n) into panels of NR columns: panel s, element (p,j) at p*NR + j.
// Transposed, a panel is the transpose of an NR-row strip of the stored B (N×K): with TR through
// the register transpose, else 4 k-steps of every column at a time.
template <int NR, TransposeFn TR = nullptr>
void pack_b_t(bool trans, const float* B, int64_t ldb, int64_t k, int64_t n, float* dst) noexcept {
  for (int64_t j0 = 0; j0 < n; j0 += NR, dst += k * NR) {
    const int cols = int(n - j0 < NR ? n - j0 : NR);
    if (!trans) {  // op(B)(p,j) = B[p*ldb + j]: row segments are contiguous
      for (int64_t p = 0; p < k; ++p) {
        const float* src = B + p * ldb + j0;
        float* d = dst + p * NR;
        if (cols == NR) {
          NG_UNROLL for (int c = 0; c < NR; ++c) d[c] = src[c];
        } else {
          for (int c = 0; c < cols; ++c) d[c] = src[c];
          for (int c = cols; c < NR; ++c) d[c] = 0.0f;
        }
      }
    } else if constexpr (TR != nullptr) {  // op(B)(p,j) = B[j*ldb + p]: transpose the cols × k strip
      TR(B + j0 * ldb, ldb, cols, k, dst, NR);
      if (cols < NR)
        for (int64_t p = 0; p < k; ++p)
          for (int c = cols; c < NR; ++c) dst[p * NR + c] = 0.0f;
    } else {       // walk 4 k-steps of every column at a time
      int64_t p = 0;
      for (; p + 4 <= k; p += 4) {
        float* d = dst + p * NR;
        for (int c = 0; c < cols; ++c) {
          const float* src = B + (j0 + c) * ldb + p;
          d[c] = src[0]; d[NR + c] = src[1]; d[2 * NR + c] = src[2]; d[3 * NR + c] = src[3];
        }
        for (int c = cols; c < NR; ++c) d[c] = d[NR + c] = d[2 * NR + c] = d[3 * NR + c] = 0.0f;
      }
      for (; p < k; ++p) {
        float* d = dst + p * NR;
        for (int c = 0; c < cols; ++c) d[c] = B[(j0 + c) * ldb + p];
        for (int c = cols; c < NR; ++c) d[c] = 0.0f;
      }
    }
  }
}

// Transcendental epilogue on a contiguous buffer (a register tile spilled to the stack), with the
// branch-free ew_math.h functions: the loop has no calls, so it vectorises with this ISA's flags.
// act: kEpiBiasGelu (erf), kEpiBiasSigmoid, kEpiBiasTanh, kEpiBiasGeluTanh; others are no-ops.
// Inputs are clamped where the float result is already saturated (GELU: x > 9 → x, x < -13 → -0,
// |result| < 1e-37 there; sigmoid(x > 30) = 1; GELU-tanh x > 9 → x, x < -30 → -0), so the exp inside never
// produces denormal intermediates (microcode assists cost ~100 cycles each). NaN propagates.
__attribute__((noinline)) static void activate_buf(int act, float* x, int64_t count) noexcept {
  switch (act) {
    case kEpiBiasGelu:
      for (int64_t i = 0; i < count; ++i) {
        const float v = x[i];
        const float c = v > 9.0f ? 9.0f : (v < -13.0f ? -13.0f : v);
        const float r = vm_gelu(c);
        x[i] = v > 9.0f ? v : (v < -13.0f ? -0.0f : r);
      }
      break;
    case kEpiBiasSigmoid:
      for (int64_t i = 0; i < count; ++i) x[i] = vm_sigmoid(x[i] > 30.0f ? 30.0f : x[i]);
      break;
    case kEpiBiasTanh: for (int64_t i = 0; i < count; ++i) x[i] = vm_tanh(x[i]); break;
    case kEpiBiasGeluTanh:
      for (int64_t i = 0; i < count; ++i) {
        const float v = x[i];
        const float r = vm_gelu_tanh(v > 9.0f ? 9.0f : (v < -30.0f ? -30.0f : v));
        x[i] = v > 9.0f ? v : r;  // (x < -30: r = -30·σ(−2u) = -0, also for -inf)
      }
      break;
    default: break;
  }
}

// In-place activation of an m×n tile of a row-major matrix (rows are processed one at a time).
static void activate_tile(int act, float* C, int64_t ldc, int64_t m, int64_t n) noexcept {
  if (act < kEpiBiasGelu) return;
  for (int64_t i = 0; i < m; ++i) activate_buf(act, C + i * ldc, n);
}

// Store step shared by every register tile: alpha, beta·C (C untouched when beta = 0), bias row,
// then ReLU on the registers, or a transcendental activation (act ≥ kEpiBiasGelu) on the tile
// spilled to a stack buffer (fixed-size vector loop) before the masked store to C.
template <class T, int R, int NV>
__attribute__((always_inline)) inline void store_tile(typename T::V (&acc)[R][NV], float* C, int64_t ldc,
                                                      int n, float alpha, float beta, const float* bias,
                                                      int act) noexcept {
  using V = typename T::V;
  typename T::Mask mk[NV];
  NG_UNROLL for (int v = 0; v < NV; ++v) mk[v] = T::mask(n - v * T::W);
  const V va = T::set1(alpha), vb = T::set1(beta);
  V bb[NV];
  NG_UNROLL for (int v = 0; v < NV; ++v) bb[v] = bias ? T::maskload(bias + v * T::W, mk[v]) : T::zero();
  const bool relu = act == kEpiBiasRelu;
  NG_UNROLL for (int r = 0; r < R; ++r) {
    NG_UNROLL for (int v = 0; v < NV; ++v) {
      float* c = C + r * ldc + v * T::W;
      V x = T::mul(va, acc[r][v]);
      if (beta != 0.0f) x = T::fma(vb, T::maskload(c, mk[v]), x);
      if (bias) x = T::add(x, bb[v]);
      if (relu) x = T::relu(x);
      acc[r][v] = x;
    }
  }
  if (act >= kEpiBiasGelu) {
    alignas(64) float buf[R * NV * T::W];
    NG_UNROLL for (int r = 0; r < R; ++r) NG_UNROLL for (int v = 0; v < NV; ++v)
      T::store(buf + (r * NV + v) * T::W, acc[r][v]);
    activate_buf(act, buf, R * NV * T::W);
    NG_UNROLL for (int r = 0; r < R; ++r) NG_UNROLL for (int v = 0; v < NV; ++v)
      acc[r][v] = T::load(buf + (r * NV + v) * T::W);
  }
  NG_UNROLL for (int r = 0; r < R; ++r)
    NG_UNROLL for (int v = 0; v < NV; ++v) T::maskstore(C + r * ldc + v * T::W, mk[v], acc[r][v]);
}

// The R×(NV·W) register tile (R ≤ MR rows used, NV vectors per row). Every C element is one
// sequential k-chain of fma/mul-add, whatever R/NV or thread split: results never depend on them.
template <class T, int MR, int NR, int R, int NV>
__attribute__((noinline)) void micro_rn(int64_t kc, const float* a, const float* b, float* C,
                                        int64_t ldc, int n, float alpha, float beta,
                                        const float* bias, int act) noexcept {
  using V = typename T::V;
  V acc[R][NV];
  NG_UNROLL for (int r = 0; r < R; ++r) NG_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = T::zero();
  // The C tile is read (beta ≠ 0, or every K block after the first) and written once at the end:
  // ask for its lines now (one per 64 bytes of each row) so that they arrive during the k loop
  // instead of stalling the store (R rows ldc apart: R different pages for large N).
  NG_UNROLL for (int r = 0; r < R; ++r)
    NG_UNROLL for (int v = 0; v < (NV * T::W * 4 + 63) / 64; ++v) __builtin_prefetch(C + r * ldc + v * 16, 1, 3);
  // Unrolled by 4: the pointer and counter updates are amortised over 4 rank-1 updates (integer
  // ops compete with the FMAs for ports 0/5 on Intel).
  _Pragma("GCC unroll 4") for (int64_t p = 0; p < kc; ++p) {
    V bv[NV];
    // The B panel streams from L2: request its lines 8 k-steps (1 KB for 12×32) ahead (prefetches
    // past the panel's end are harmless: they never fault).
    NG_UNROLL for (int v = 0; v < (NR * 4 + 63) / 64; ++v) __builtin_prefetch(b + 8 * NR + v * 16, 0, 3);
    NG_UNROLL for (int v = 0; v < NV; ++v) bv[v] = T::load(b + v * T::W);
    NG_UNROLL for (int r = 0; r < R; ++r) {
      const V av = T::set1(a[r]);
      NG_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = T::fma(av, bv[v], acc[r][v]);
    }
    a += MR;
    b += NR;
  }
  store_tile<T, R, NV>(acc, C, ldc, n, alpha, beta, bias, act);
}

// Picks the instantiation for an m×n edge (m ≤ MR, n ≤ NR) with a short chain of compares.
template <class T, int MR, int NR, int R, int NV>
void micro_nv(int nv, int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int n,
              float alpha, float beta, const float* bias, int act) noexcept {
  if constexpr (NV > 1) {
    if (nv < NV) {
      micro_nv<T, MR, NR, R, NV - 1>(nv, kc, a, b, C, ldc, n, alpha, beta, bias, act);
      return;
    }
  }
  micro_rn<T, MR, NR, R, NV>(kc, a, b, C, ldc, n, alpha, beta, bias, act);
}

template <class T, int MR, int NR, int R = MR>
void micro_m(int m, int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int n,
             float alpha, float beta, const float* bias, int act) noexcept {
  if constexpr (R > 1) {
    if (m < R) {
      micro_m<T, MR, NR, R - 1>(m, kc, a, b, C, ldc, n, alpha, beta, bias, act);
      return;
    }
  }
  const int nv = (n + T::W - 1) / T::W;
  micro_nv<T, MR, NR, R, NR / T::W>(nv, kc, a, b, C, ldc, n, alpha, beta, bias, act);
}

template <class T, int MR, int NR>
void micro_t(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int m, int n,
             float alpha, float beta, const float* bias, int act) noexcept {
  if (m <= 0 || n <= 0) return;
  micro_m<T, MR, NR>(m, kc, a, b, C, ldc, n, alpha, beta, bias, act);
}

// ---- Direct (no-pack) path: op(A) and B read in place, B not transposed (kernels.md §8.2) ----
// op(A)(i,p) = TA ? A[p*lda + i] : A[i*lda + p]; op(B)(p,j) = B[p*ldb + j]. The same k-ordered
// fma chain per C element as micro_rn, so for the same K blocking the result is bit-identical to
// the packed path. The last B vector of a row is loaded under a mask (n may end mid-vector).
template <class T, bool TA, int R, int NV>
__attribute__((noinline)) void direct_rn(int64_t kc, const float* A, int64_t lda, const float* B,
                                         int64_t ldb, float* C, int64_t ldc, int n, float alpha,
                                         float beta, const float* bias, int act) noexcept {
  using V = typename T::V;
  V acc[R][NV];
  NG_UNROLL for (int r = 0; r < R; ++r) NG_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = T::zero();
  const typename T::Mask mlast = T::mask(n - (NV - 1) * T::W);
  const bool full = n >= NV * T::W;
  const float* ar[R];
  NG_UNROLL for (int r = 0; r < R; ++r) ar[r] = TA ? A + r : A + r * lda;
  const int64_t astep = TA ? lda : 1;
  for (int64_t p = 0; p < kc; ++p) {
    V bv[NV];
    NG_UNROLL for (int v = 0; v + 1 < NV; ++v) bv[v] = T::load(B + v * T::W);
    bv[NV - 1] = full ? T::load(B + (NV - 1) * T::W) : T::maskload(B + (NV - 1) * T::W, mlast);
    NG_UNROLL for (int r = 0; r < R; ++r) {
      const V av = T::set1(TA ? ar[0][r] : ar[r][0]);
      NG_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = T::fma(av, bv[v], acc[r][v]);
    }
    if (TA) {
      ar[0] += astep;
    } else {
      NG_UNROLL for (int r = 0; r < R; ++r) ar[r] += 1;
    }
    B += ldb;
  }
  store_tile<T, R, NV>(acc, C, ldc, n, alpha, beta, bias, act);
}

template <class T, bool TA, int R, int NV>
void direct_nv(int nv, int64_t kc, const float* A, int64_t lda, const float* B, int64_t ldb,
               float* C, int64_t ldc, int n, float alpha, float beta, const float* bias, int act) noexcept {
  if constexpr (NV > 1) {
    if (nv < NV) {
      direct_nv<T, TA, R, NV - 1>(nv, kc, A, lda, B, ldb, C, ldc, n, alpha, beta, bias, act);
      return;
    }
  }
  direct_rn<T, TA, R, NV>(kc, A, lda, B, ldb, C, ldc, n, alpha, beta, bias, act);
}

template <class T, bool TA, int NV, int R>
void direct_m(int m, int nv, int64_t kc, const float* A, int64_t lda, const float* B, int64_t ldb,
              float* C, int64_t ldc, int n, float alpha, float beta, const float* bias, int act) noexcept {
  if constexpr (R > 1) {
    if (m < R) {
      direct_m<T, TA, NV, R - 1>(m, nv, kc, A, lda, B, ldb, C, ldc, n, alpha, beta, bias, act);
      return;
    }
  }
  direct_nv<T, TA, R, NV>(nv, kc, A, lda, B, ldb, C, ldc, n, alpha, beta, bias, act);
}

// An m×n block with register tiles of RM rows × NV vectors: column panels outer (one kc×(NV·W)
// slice of B stays in L1 while every row sliver of A passes), row slivers inner.
template <class T, bool TA, int RM, int NV>
void direct_block(int64_t m, int64_t n, int64_t kc, const float* A, int64_t lda, const float* B,
                  int64_t ldb, float* C, int64_t ldc, float alpha, float beta, const float* bias,
                  int act) noexcept {
  constexpr int64_t NW = NV * T::W;
  for (int64_t j0 = 0; j0 < n; j0 += NW) {
    const int nn = int(n - j0 < NW ? n - j0 : NW);
    const int nv = (nn + T::W - 1) / T::W;
    for (int64_t i0 = 0; i0 < m; i0 += RM) {
      const int mm = int(m - i0 < RM ? m - i0 : RM);
      const float* a = TA ? A + i0 : A + i0 * lda;
      direct_m<T, TA, NV, RM>(mm, nv, kc, a, lda, B + j0, ldb, C + i0 * ldc + j0, ldc, nn, alpha, beta,
                              bias ? bias + j0 : nullptr, act);
    }
  }
}

// The table's direct entry: tiles of R1N (op(A) = A: one pointer per row) or R1T (transA: one
// pointer) rows × 1 vector when n fits one vector (skinny outputs, e.g. N = 10), else R2 rows × NV2
// vectors.
template <class T, int R1N, int R1T, int R2, int NV2>
void direct_t(bool transA, int64_t m, int64_t n, int64_t kc, const float* A, int64_t lda, const float* B,
              int64_t ldb, float* C, int64_t ldc, float alpha, float beta, const float* bias,
              int act) noexcept {
  if (m <= 0 || n <= 0) return;
  if (n <= T::W) {
    if (transA) direct_block<T, true, R1T, 1>(m, n, kc, A, lda, B, ldb, C, ldc, alpha, beta, bias, act);
    else direct_block<T, false, R1N, 1>(m, n, kc, A, lda, B, ldb, C, ldc, alpha, beta, bias, act);
  } else {
    if (transA) direct_block<T, true, R2, NV2>(m, n, kc, A, lda, B, ldb, C, ldc, alpha, beta, bias, act);
    else direct_block<T, false, R2, NV2>(m, n, kc, A, lda, B, ldb, C, ldc, alpha, beta, bias, act);
  }
}

#undef NG_UNROLL
