// SGEMM driver (ISA-agnostic): cache blocking, packing orchestration, threading, batching.
// Loop nest per task (a rectangle of C), row-major terms, A = broadcast operand, B = vector operand
// (BLIS's order with the operands' roles swapped: its L2 block is our B, its L3 block our A):
//   ic (MC rows: packed A block, kept in L3)
//     pc (KC: one K block; beta only on the first, epilogue only on the last) → pack A (mc×kc)
//       jc (NC columns) → pack B (kc×nc, stays in L2)
//         ir (MR: one A sliver, mr×kc, stays in L1 across the whole jr loop)
//           jr (NR: one B panel streamed from L2) → micro-kernel
// KC depends only on K and the cache sizes, and every C element is one k-ordered chain inside the
// micro-kernel, so the result is bit-identical whatever the thread split.
// Workspace: sgemm_plan fixes the blocking, path and thread split and sizes each thread's packing
// buffers from them; the caller reserves that (workspace.h) and each task packs into its own slice.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cpu_features.h"
#include "gemm.h"
#include "thread_pool.h"
#include "workspace.h"

namespace ng {
namespace {

// Column chunk of a transposed B on the direct path (kc × this many floats of scratch per thread).
constexpr int64_t kDirectTransNc = 512;

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Cache blocking from the sizes CPUID reports (per core: L1d, L2; L3 as a bound), for the loop nest
// above. Three constraints, in row-major terms (A = broadcast operand, B = vector operand):
//  - KC: the A sliver (mr × kc floats) is the L1-resident piece, reused by every B panel of the jr
//    loop; it gets half of L1d, the other half is for the B panel lines streaming through and C.
//    AVX-512 12×32 with 48 KB L1d (Intel Sapphire/Emerald Rapids and AMD Zen 5 alike): 512. Then K
//    is split evenly (784 → 2 × 392) rather than leaving a thin last block.
//  - NC: the packed B block (kc × nc) is the L2-resident piece, streamed once per A sliver; it gets
//    half of L2 (the rest holds the A slivers coming from L3 and the C tiles): 2 MB L2 → 512
//    columns, Zen 5's 1 MB → 256.
//  - MC: the packed A block (mc × kc) lives in L3 while the jc loop streams each sliver once per B
//    block. It is packed once per K block, and B is packed once per (mc rows, K block): a large MC
//    means both operands are packed exactly once for M ≤ MC. Its budget is half the L3, capped at
//    4 × L2 (a per-core share of a shared L3 on Zen 5 (32 MB / 8 cores = 4 × its 1 MB L2), and a
//    bound that does not trust hypervisors, which often report the whole socket's L3 or none).
// Every constant scales with the reported sizes; the 1 MB / 32 KB / 4 × L2 fallbacks apply only
// when neither CPUID nor sysconf knows. KC alone decides the arithmetic (the k-block boundaries):
// results depend on it, never on NC, MC or the thread count.
void choose_blocking(const GemmKernels& k, const GemmConfig& cfg, int64_t K, GemmPlan& b) {
  const CpuFeatures& f = cpu_features();
  const int64_t l1 = f.l1d_bytes > 0 ? f.l1d_bytes : 32 * 1024;
  const int64_t l2 = f.l2_bytes > 0 ? f.l2_bytes : 1024 * 1024;
  const int64_t l3 = f.l3_bytes > 0 ? f.l3_bytes : 0;
  if (cfg.kc > 0) {
    b.kc = cfg.kc;
  } else {
    int64_t kc = std::min<int64_t>(std::max<int64_t>(l1 / 2 / (4 * k.mr), 64), k.kc_max);
    const int64_t blocks = (std::max<int64_t>(K, 1) + kc - 1) / kc;
    b.kc = round_up((std::max<int64_t>(K, 1) + blocks - 1) / blocks, 4);
  }
  b.nc = cfg.nc > 0 ? round_up(cfg.nc, k.nr)
                    : std::max<int64_t>(k.nr, l2 / 2 / (4 * b.kc) / k.nr * k.nr);
  const int64_t a_budget = std::max(l2 / 2, l3 > 0 ? std::min(l3 / 2, 4 * l2) : 4 * l2);
  b.mc = cfg.mc > 0 ? round_up(cfg.mc, k.mr)
                    : std::max<int64_t>(k.mr, a_budget / (4 * b.kc) / k.mr * k.mr);
}

// The no-pack path saves packing (a read+write of op(A) and op(B)) but reads A with a stride, and
// each kc×(NV·W) slice of B sweeps the whole m×kc block of A: it wins while that A block stays in
// L2 (MNIST/CNN shapes, M ≤ a few hundred), and for skinny outputs (N ≤ 16: A is read once anyway)
// or short K. Larger problems pack. Measured with native/test/gemm_bench (NG_GEMM_DIRECT=0/1).
bool prefer_direct(const GemmArgs& g, const GemmPlan& bl) {
  const CpuFeatures& f = cpu_features();
  const int64_t l2 = f.l2_bytes > 0 ? f.l2_bytes : 1024 * 1024;
  return g.N <= 16 || g.K <= 32 || g.M * std::min(bl.kc, g.K) * 4 <= l2 / 8;
}

// One matrix of the batch, already offset.
struct Mat {
  const float* A;
  const float* B;
  float* C;
};

// K = 0 or alpha = 0: no product. C = beta·C (C unread when beta = 0), then bias and activation.
void scale_only(const GemmKernels& k, const GemmArgs& g, float* C, int64_t m0, int64_t m1) {
  for (int64_t i = m0; i < m1; ++i) {
    float* c = C + i * g.ldc;
    for (int64_t j = 0; j < g.N; ++j) {
      float v = g.beta == 0.0f ? 0.0f : g.beta * c[j];
      if (g.epilogue >= kEpiBias) v += g.bias[j];
      if (g.epilogue == kEpiBiasRelu && v < 0.0f) v = 0.0f;
      c[j] = v;
    }
    if (g.epilogue >= kEpiBiasGelu) k.activate(g.epilogue, c, g.ldc, 1, g.N);
  }
}

// Workspace floats gemm_rect packs into for any rectangle of C (sized from the whole matrix, which
// bounds every sub-rectangle): the packed B block and A block, or the transposed B chunk.
int64_t rect_floats(const GemmKernels& k, const GemmArgs& g, const GemmPlan& bl) {
  if (g.K == 0 || g.alpha == 0.0f) return 0;
  if (bl.direct) return g.transB ? ws_round(ws_mul(bl.kc, std::min<int64_t>(kDirectTransNc, g.N))) : 0;
  return ws_add(ws_round(ws_mul(bl.kc, round_up(std::min(bl.mc, g.M), k.mr))),
                ws_round(ws_mul(bl.kc, round_up(std::min(bl.nc, g.N), k.nr))));
}

// C[m0:m1, n0:n1] of one matrix on the calling thread, packing into `work` (this thread's slice).
void gemm_rect(const GemmKernels& k, const GemmArgs& g, const GemmPlan& bl, const Mat& x,
               int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* work) {
  const bool use_direct = bl.direct;
  if (m0 >= m1 || n0 >= n1) return;
  if (g.K == 0 || g.alpha == 0.0f) {
    GemmArgs sub = g;
    sub.N = n1 - n0;
    sub.bias = g.bias ? g.bias + n0 : nullptr;
    scale_only(k, sub, x.C + n0, m0, m1);
    return;
  }
  const int act = g.epilogue;  // applied (with the bias) on the last K block only
  if (use_direct && g.transB) {
    // A·Bᵀ: each K block of B's rows [jc, jc + nb) is transposed into scratch (kb × nb) and
    // streamed like a plain B. Chunks of kDirectTransNc columns keep the scratch L2-sized.
    const int64_t nmax = std::min<int64_t>(kDirectTransNc, n1 - n0);
    float* tb = work;  // kc × nmax
    for (int64_t jc = n0; jc < n1; jc += nmax) {
      const int64_t nb = std::min(nmax, n1 - jc);
      for (int64_t pc = 0; pc < g.K; pc += bl.kc) {
        const int64_t kb = std::min(bl.kc, g.K - pc);
        const bool last = pc + kb == g.K;
        k.transpose(x.B + jc * g.ldb + pc, g.ldb, nb, kb, tb, nb);
        const float* asrc = g.transA ? x.A + pc * g.lda + m0 : x.A + m0 * g.lda + pc;
        k.direct(g.transA, m1 - m0, nb, kb, asrc, g.lda, tb, nb, x.C + m0 * g.ldc + jc, g.ldc, g.alpha,
                 pc == 0 ? g.beta : 1.0f, last && g.epilogue >= kEpiBias ? g.bias + jc : nullptr,
                 last ? act : kEpiNone);
      }
    }
    return;
  }
  if (use_direct) {
    for (int64_t pc = 0; pc < g.K; pc += bl.kc) {
      const int64_t kb = std::min(bl.kc, g.K - pc);
      const bool last = pc + kb == g.K;
      const float* asrc = g.transA ? x.A + pc * g.lda + m0 : x.A + m0 * g.lda + pc;
      k.direct(g.transA, m1 - m0, n1 - n0, kb, asrc, g.lda, x.B + pc * g.ldb + n0, g.ldb,
               x.C + m0 * g.ldc + n0, g.ldc, g.alpha, pc == 0 ? g.beta : 1.0f,
               last && g.epilogue >= kEpiBias ? g.bias + n0 : nullptr, last ? act : kEpiNone);
    }
    return;
  }
  // A block (mc×kc slivers) first, then the B block (kc×nc panels), both 64-byte aligned (rect_floats).
  float* ap = work;
  float* bp = work + ws_round(bl.kc * round_up(std::min(bl.mc, g.M), k.mr));
  const bool want_bias = g.epilogue >= kEpiBias;
  for (int64_t ic = m0; ic < m1; ic += bl.mc) {
    const int64_t mb = std::min(bl.mc, m1 - ic);
    for (int64_t pc = 0; pc < g.K; pc += bl.kc) {
      const int64_t kb = std::min(bl.kc, g.K - pc);
      const bool last = pc + kb == g.K;
      const float beta = pc == 0 ? g.beta : 1.0f;
      const float* asrc = g.transA ? x.A + pc * g.lda + ic : x.A + ic * g.lda + pc;
      k.pack_a(g.transA, asrc, g.lda, mb, kb, ap);
      for (int64_t jc = n0; jc < n1; jc += bl.nc) {
        const int64_t nb = std::min(bl.nc, n1 - jc);
        const float* bsrc = g.transB ? x.B + jc * g.ldb + pc : x.B + pc * g.ldb + jc;
        k.pack_b(g.transB, bsrc, g.ldb, kb, nb, bp);
        for (int64_t ir = 0; ir < mb; ir += k.mr) {
          const int mm = int(std::min<int64_t>(k.mr, mb - ir));
          const float* a = ap + ir * kb;
          float* crow = x.C + (ic + ir) * g.ldc;
          for (int64_t jr = 0; jr < nb; jr += k.nr) {
            const int nn = int(std::min<int64_t>(k.nr, nb - jr));
            float* c = crow + jc + jr;
            const float* bias = last && want_bias ? g.bias + jc + jr : nullptr;
            k.micro(kb, a, bp + jr * kb, c, g.ldc, mm, nn, g.alpha, beta, bias, last ? act : kEpiNone);
          }
        }
      }
    }
  }
}

Mat batch_item(const GemmArgs& g, int64_t b) {
  return Mat{g.A ? g.A + b * g.strideA : nullptr, g.B ? g.B + b * g.strideB : nullptr,
             g.C + b * g.strideC};
}

// One matrix on plan.threads threads: that many rectangles along N (NR-aligned) or M.
void gemm_one(const GemmKernels& k, const GemmArgs& g, const GemmPlan& p, const Mat& x, const Workspace& ws) {
  if (p.threads <= 1) {
    gemm_rect(k, g, p, x, 0, g.M, 0, g.N, ws.slice(0));
    return;
  }
  const int64_t units = p.split_n ? (g.N + k.nr - 1) / k.nr : (g.M + k.mr - 1) / k.mr;
  const int parts = p.threads;
  parallel_for(ws, parts, [&](int task, int tid) {
    const int64_t u0 = units * task / parts, u1 = units * (task + 1) / parts;
    if (p.split_n) {
      gemm_rect(k, g, p, x, 0, g.M, u0 * k.nr, std::min(g.N, u1 * k.nr), ws.slice(tid));
    } else {
      gemm_rect(k, g, p, x, u0 * k.mr, std::min(g.M, u1 * k.mr), 0, g.N, ws.slice(tid));
    }
  });
}

}  // namespace

GemmPlan sgemm_plan(const GemmKernels& k, const GemmArgs& g, const GemmConfig& cfg) noexcept {
  GemmPlan p;
  if (g.batch <= 0 || g.M <= 0 || g.N <= 0) return p;
  choose_blocking(k, cfg, g.K, p);
  // Depends on the shape only (never on threads), so the result is the same for any thread count
  // (and the direct path is bit-identical to the packed one anyway).
  p.direct = k.direct != nullptr && (!g.transB || k.transpose != nullptr) &&
             (cfg.direct >= 0 ? cfg.direct > 0 : prefer_direct(g, p));
  p.per_thread = rect_floats(k, g, p);
  const int threads = std::clamp(cfg.threads > 0 ? cfg.threads : num_threads(), 1, 256);
  const double min_flops = cfg.parallel_min_flops >= 0 ? cfg.parallel_min_flops : kGemmParallelMinFlops;
  const double flops = 2.0 * double(g.M) * double(g.N) * double(std::max<int64_t>(g.K, 1));
  // Independent small matrices: one thread per batch range, when the C blocks cannot overlap
  // (a broadcast or overlapping C must be written in batch order).
  const bool c_disjoint = g.strideC >= (g.M - 1) * g.ldc + g.N;
  if (threads > 1 && g.batch > 1 && c_disjoint && flops < min_flops &&
      flops * double(g.batch) >= min_flops) {
    p.batch_split = true;
    p.threads = int(std::min<int64_t>(threads, g.batch));
    return p;
  }
  if (threads <= 1 || flops < min_flops) return p;
  // One matrix over the threads. Split the larger dimension when both give every thread two or
  // more units: each thread packs the whole of the other operand, so splitting N duplicates op(A)'s
  // packing and splitting M op(B)'s (`npm run bench:gemm`, row "mnist dW 784×256 TN" = Xᵀ·dZ,
  // 2 threads: 240–264 → 283 GFLOP/s). Otherwise the one with more units.
  const int64_t n_panels = (g.N + k.nr - 1) / k.nr;
  const int64_t m_slivers = (g.M + k.mr - 1) / k.mr;
  if (n_panels < 2 && m_slivers < 2) return p;
  const bool both = n_panels >= 2 * int64_t(threads) && m_slivers >= 2 * int64_t(threads);
  p.split_n = both ? g.N >= g.M : n_panels >= m_slivers;
  p.threads = int(std::min<int64_t>(threads, p.split_n ? n_panels : m_slivers));
  return p;
}

void sgemm_execute(const GemmKernels& k, const GemmArgs& g, const GemmPlan& p, const Workspace& ws) noexcept {
  if (g.batch <= 0 || g.M <= 0 || g.N <= 0) return;
  if (p.batch_split) {
    const int parts = p.threads;
    parallel_for(ws, parts, [&](int task, int tid) {
      const int64_t b0 = g.batch * task / parts, b1 = g.batch * (task + 1) / parts;
      for (int64_t b = b0; b < b1; ++b) gemm_rect(k, g, p, batch_item(g, b), 0, g.M, 0, g.N, ws.slice(tid));
    });
    return;
  }
  for (int64_t b = 0; b < g.batch; ++b) gemm_one(k, g, p, batch_item(g, b), ws);
}

GemmPlan sgemm_plan(const GemmArgs& g) noexcept { return sgemm_plan(gemm_kernels(), g, GemmConfig()); }

void sgemm_execute(const GemmArgs& g, const GemmPlan& p, const Workspace& ws) noexcept {
  sgemm_execute(gemm_kernels(), g, p, ws);
}

}  // namespace ng
