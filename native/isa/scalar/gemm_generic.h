// Shared SGEMM packing routines and register micro-kernel template, written once against a small
// vector-traits struct. Each ISA TU includes this file *inside its own namespace* (ng::scalar,
// ng::avx2, ...) after <cstdint>/<cstring>, so every instantiation is private to that ISA's flags
// (no weak symbols shared across ISAs: ODR). Not a standalone header.
//
// Traits T provide: V (vector), W (lanes), Mask, zero(), load(p), set1(x), fma(a,b,c)=a*b+c,
// mul(a,b), add(a,b), relu(x) (NaN propagates), mask(count), maskload(p,m) (masked-off lanes are
// not read and come back 0), maskstore(p,m,x) (masked-off lanes are not written).

#define NG_UNROLL _Pragma("GCC unroll 16")

// op(A) rows [0,m) × k-range [0,k) into slivers of MR rows: sliver s, element (i,p) at p*MR + i.
template <int MR>
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
    } else {      // op(A)(i,p) = A[i*lda + p]: read rows contiguously, scatter with stride MR
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
template <int NR>
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
    } else {       // op(B)(p,j) = B[j*ldb + p]: walk 4 k-steps of every column at a time
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

// The R×(NV·W) register tile (R ≤ MR rows used, NV vectors per row). Every C element is one
// sequential k-chain of fma/mul-add, whatever R/NV or thread split: results never depend on them.
template <class T, int MR, int NR, int R, int NV>
__attribute__((noinline)) void micro_rn(int64_t kc, const float* a, const float* b, float* C,
                                        int64_t ldc, int n, float alpha, float beta,
                                        const float* bias, bool relu) noexcept {
  using V = typename T::V;
  V acc[R][NV];
  NG_UNROLL for (int r = 0; r < R; ++r) NG_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = T::zero();
  for (int64_t p = 0; p < kc; ++p) {
    V bv[NV];
    NG_UNROLL for (int v = 0; v < NV; ++v) bv[v] = T::load(b + v * T::W);
    NG_UNROLL for (int r = 0; r < R; ++r) {
      const V av = T::set1(a[r]);
      NG_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = T::fma(av, bv[v], acc[r][v]);
    }
    a += MR;
    b += NR;
  }
  // Store step: alpha, beta·C (C untouched when beta = 0), bias row, ReLU — all on the registers.
  typename T::Mask mk[NV];
  NG_UNROLL for (int v = 0; v < NV; ++v) mk[v] = T::mask(n - v * T::W);
  const V va = T::set1(alpha), vb = T::set1(beta);
  V bb[NV];
  NG_UNROLL for (int v = 0; v < NV; ++v) bb[v] = bias ? T::maskload(bias + v * T::W, mk[v]) : T::zero();
  NG_UNROLL for (int r = 0; r < R; ++r) {
    NG_UNROLL for (int v = 0; v < NV; ++v) {
      float* c = C + r * ldc + v * T::W;
      V x = T::mul(va, acc[r][v]);
      if (beta != 0.0f) x = T::fma(vb, T::maskload(c, mk[v]), x);
      if (bias) x = T::add(x, bb[v]);
      if (relu) x = T::relu(x);
      T::maskstore(c, mk[v], x);
    }
  }
}

// Picks the instantiation for an m×n edge (m ≤ MR, n ≤ NR) with a short chain of compares.
template <class T, int MR, int NR, int R, int NV>
void micro_nv(int nv, int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int n,
              float alpha, float beta, const float* bias, bool relu) noexcept {
  if constexpr (NV > 1) {
    if (nv < NV) {
      micro_nv<T, MR, NR, R, NV - 1>(nv, kc, a, b, C, ldc, n, alpha, beta, bias, relu);
      return;
    }
  }
  micro_rn<T, MR, NR, R, NV>(kc, a, b, C, ldc, n, alpha, beta, bias, relu);
}

template <class T, int MR, int NR, int R = MR>
void micro_m(int m, int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int n,
             float alpha, float beta, const float* bias, bool relu) noexcept {
  if constexpr (R > 1) {
    if (m < R) {
      micro_m<T, MR, NR, R - 1>(m, kc, a, b, C, ldc, n, alpha, beta, bias, relu);
      return;
    }
  }
  const int nv = (n + T::W - 1) / T::W;
  micro_nv<T, MR, NR, R, NR / T::W>(nv, kc, a, b, C, ldc, n, alpha, beta, bias, relu);
}

template <class T, int MR, int NR>
void micro_t(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int m, int n,
             float alpha, float beta, const float* bias, bool relu) noexcept {
  if (m <= 0 || n <= 0) return;
  micro_m<T, MR, NR>(m, kc, a, b, C, ldc, n, alpha, beta, bias, relu);
}

#undef NG_UNROLL
