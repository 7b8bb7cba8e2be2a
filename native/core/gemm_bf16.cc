// GEMM with a bfloat16 B operand (a frozen weight kept at half the memory): C = alpha·op(A)·op(B) + beta·C,
// then the epilogue, where B holds bf16 bit patterns (the top 16 bits of a float32). B is widened to float32
// while it is packed into the ISA's kc×nr panels, so no float32 copy of B ever exists beyond one packed
// block; A, the micro-kernel and the epilogue are the float32 GEMM's own (the same ISA table). Always the
// packed path (the direct path reads B in place), one matrix, K ≥ 1. Blocking and the thread split come
// from sgemm_plan with the direct path off, so the workspace need is the same as the float32 GEMM's.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "gemm.h"
#include "thread_pool.h"
#include "workspace.h"

namespace ng {
namespace {

inline float widen(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Packs op(B)[0, k) × [0, n) into ceil(n/nr) panels of k × nr floats (element (p, j) at p*nr + j, columns
// past n zero-filled), the layout GemmKernels::pack_b writes. B points at op(B)(0, 0); transB: stored N×K.
void pack_b_bf16(bool trans, const uint16_t* B, int64_t ldb, int64_t k, int64_t n, int nr, float* dst) {
  for (int64_t j0 = 0; j0 < n; j0 += nr) {
    const int64_t w = std::min<int64_t>(nr, n - j0);
    float* panel = dst + j0 * k;
    if (trans) {
      for (int64_t j = 0; j < w; ++j) {
        const uint16_t* col = B + (j0 + j) * ldb;  // op(B)(·, j0 + j) is row j0 + j of the stored N×K
        for (int64_t p = 0; p < k; ++p) panel[p * nr + j] = widen(col[p]);
      }
      for (int64_t j = w; j < nr; ++j) for (int64_t p = 0; p < k; ++p) panel[p * nr + j] = 0.0f;
    } else {
      for (int64_t p = 0; p < k; ++p) {
        const uint16_t* row = B + p * ldb + j0;
        float* d = panel + p * nr;
        for (int64_t j = 0; j < w; ++j) d[j] = widen(row[j]);
        for (int64_t j = w; j < nr; ++j) d[j] = 0.0f;
      }
    }
  }
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// C[m0:m1, n0:n1] on the calling thread: gemm.cc's packed loop nest with the bf16 B packing.
void rect_bf16(const GemmKernels& k, const GemmArgs& g, const uint16_t* B, const GemmPlan& bl,
               int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* work) {
  if (m0 >= m1 || n0 >= n1) return;
  float* ap = work;
  float* bp = work + ws_round(bl.kc * round_up(std::min(bl.mc, g.M), k.mr));
  const bool want_bias = g.epilogue >= kEpiBias;
  for (int64_t ic = m0; ic < m1; ic += bl.mc) {
    const int64_t mb = std::min(bl.mc, m1 - ic);
    for (int64_t pc = 0; pc < g.K; pc += bl.kc) {
      const int64_t kb = std::min(bl.kc, g.K - pc);
      const bool last = pc + kb == g.K;
      const float beta = pc == 0 ? g.beta : 1.0f;
      const float* asrc = g.transA ? g.A + pc * g.lda + ic : g.A + ic * g.lda + pc;
      k.pack_a(g.transA, asrc, g.lda, mb, kb, ap);
      for (int64_t jc = n0; jc < n1; jc += bl.nc) {
        const int64_t nb = std::min(bl.nc, n1 - jc);
        const uint16_t* bsrc = g.transB ? B + jc * g.ldb + pc : B + pc * g.ldb + jc;
        pack_b_bf16(g.transB, bsrc, g.ldb, kb, nb, k.nr, bp);
        for (int64_t ir = 0; ir < mb; ir += k.mr) {
          const int mm = int(std::min<int64_t>(k.mr, mb - ir));
          const float* a = ap + ir * kb;
          float* crow = g.C + (ic + ir) * g.ldc;
          for (int64_t jr = 0; jr < nb; jr += k.nr) {
            const int nn = int(std::min<int64_t>(k.nr, nb - jr));
            const float* bias = last && want_bias ? g.bias + jc + jr : nullptr;
            k.micro(kb, a, bp + jr * kb, crow + jc + jr, g.ldc, mm, nn, g.alpha, beta, bias,
                    last ? g.epilogue : kEpiNone);
          }
        }
      }
    }
  }
}

}  // namespace

GemmPlan sgemm_bf16b_plan(const GemmKernels& k, const GemmArgs& g) noexcept {
  GemmArgs one = g;
  one.batch = 1;
  GemmConfig cfg;
  cfg.direct = 0;
  return sgemm_plan(k, one, cfg);
}

void sgemm_bf16b_execute(const GemmKernels& k, const GemmArgs& g, const uint16_t* B, const GemmPlan& p,
                         const Workspace& ws) noexcept {
  if (g.M <= 0 || g.N <= 0 || g.K <= 0) return;
  if (p.threads <= 1) {
    rect_bf16(k, g, B, p, 0, g.M, 0, g.N, ws.slice(0));
    return;
  }
  const int64_t units = p.split_n ? (g.N + k.nr - 1) / k.nr : (g.M + k.mr - 1) / k.mr;
  const int parts = p.threads;
  parallel_for(ws, parts, [&](int task, int tid) {
    const int64_t u0 = units * task / parts, u1 = units * (task + 1) / parts;
    if (p.split_n) rect_bf16(k, g, B, p, 0, g.M, u0 * k.nr, std::min(g.N, u1 * k.nr), ws.slice(tid));
    else rect_bf16(k, g, B, p, u0 * k.mr, std::min(g.M, u1 * k.mr), 0, g.N, ws.slice(tid));
  });
}

GemmPlan sgemm_bf16b_plan(const GemmArgs& g) noexcept { return sgemm_bf16b_plan(gemm_kernels(), g); }

void sgemm_bf16b_execute(const GemmArgs& g, const uint16_t* B, const GemmPlan& p, const Workspace& ws) noexcept {
  sgemm_bf16b_execute(gemm_kernels(), g, B, p, ws);
}

}  // namespace ng
