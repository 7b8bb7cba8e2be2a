// SGEMM: row-major, BLAS argument order, BLIS-shaped (five loops, packed A slivers and B panels,
// one MR×NR register micro-kernel per ISA, fused bias/activation epilogue).
//
//   C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b], then the epilogue, for b in [0, batch).
//
// op(A) is M×K (stored K×M when transA), op(B) is K×N (stored N×K when transB), C is M×N.
// beta = 0 never reads C. alpha = 0 or K = 0 skips the product (C = beta·C, then the epilogue).
// Epilogue codes: 0 none, 1 +bias, 2 +bias→ReLU, 3 +bias→GELU (erf), 4 +bias→sigmoid,
// 5 +bias→tanh, 6 +bias→GELU (tanh approximation); bias is a length-N row vector.
// C must not overlap A, B or bias. Results are bit-identical for any thread count.
#pragma once
#include <cstdint>

#include "kernel_table.h"
#include "workspace.h"

namespace ng {

enum GemmEpilogue : int {
  kEpiNone = 0, kEpiBias = 1, kEpiBiasRelu = 2, kEpiBiasGelu = 3,
  kEpiBiasSigmoid = 4, kEpiBiasTanh = 5, kEpiBiasGeluTanh = 6,
};

// One ISA's GEMM building blocks. Packed layouts (row-major terms):
//   A sliver: kc × mr floats, element (i, k) at k*mr + i, rows past m zero-filled;
//   B panel:  kc × nr floats, element (k, j) at k*nr + j, columns past n zero-filled.
struct GemmKernels {
  const char* name;
  int mr, nr;       // register tile
  int kc_max;       // largest K block the micro-panel design wants (the driver may lower it)
  // Packs op(A) rows [0, m) × k-range [0, k) into ceil(m/mr) slivers; A points at op(A)(0, 0).
  void (*pack_a)(bool trans, const float* A, int64_t lda, int64_t m, int64_t k, float* dst) noexcept;
  // Packs op(B) k-range [0, k) × columns [0, n) into ceil(n/nr) panels; B points at op(B)(0, 0).
  void (*pack_b)(bool trans, const float* B, int64_t ldb, int64_t k, int64_t n, float* dst) noexcept;
  // C[0..m)×[0..n) (m ≤ mr, n ≤ nr) = alpha·(a·b) + beta·C (beta = 0: C not read), then + bias[j]
  // when bias is non-null, then the activation `act` (an epilogue code: kEpiBiasRelu → ReLU,
  // ≥ kEpiBiasGelu → that transcendental function; anything else → none). kc ≥ 1.
  void (*micro)(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int m, int n,
                float alpha, float beta, const float* bias, int act) noexcept;
  // Direct (no-pack) path, nullptr when the ISA does not offer it: the same contract as micro for an
  // m×n block of any size, reading op(A) (A points at op(A)(0,0); transA: stored K×M) and a
  // non-transposed B (B points at B(0,0), row stride ldb) in place. Same per-element k-chain as
  // micro, so for the same K blocking it is bit-identical to the packed path.
  void (*direct)(bool transA, int64_t m, int64_t n, int64_t kc, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float* C, int64_t ldc, float alpha, float beta,
                 const float* bias, int act) noexcept;
  // In-place activation `act` (codes kEpiBiasGelu..kEpiBiasGeluTanh; others: no-op) of an m×n tile,
  // vectorised with the ISA's flags (the same functions the micro-kernels apply).
  void (*activate)(int act, float* C, int64_t ldc, int64_t m, int64_t n) noexcept;
  // dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols, in SIMD register blocks; nullptr when the
  // ISA has none. With it, a transposed B (A·Bᵀ: the Linear forward x·Wᵀ) takes the direct path too:
  // each K block of B is transposed into scratch once and streamed like a plain B.
  void (*transpose)(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                    int64_t ldd) noexcept;
};

NG_DECLARE_KERNEL_TABLE(GemmKernels, gemm_kernels)

// A register-only FMA loop for measuring the FP32 peak: `iters` iterations of `flops_per_iter`
// flops; returns a value that depends on every accumulator (so the loop is not optimised away).
struct FmaPeakKernels {
  int64_t flops_per_iter;
  float (*run)(int64_t iters, float seed) noexcept;
};
NG_DECLARE_KERNEL_TABLE(FmaPeakKernels, fma_peak_kernels)

// Below this many flops per matrix (2·M·N·K) a GEMM stays on one thread by default: fork/join costs a
// few µs (kernels.md §8.4). Callers that split work themselves (conv) use it to decide the same way.
constexpr double kGemmParallelMinFlops = 3.0e6;

// Everything one GEMM call needs (strides and offsets in elements).
struct GemmArgs {
  bool transA = false, transB = false;
  int64_t M = 0, N = 0, K = 0;
  float alpha = 1.0f;
  const float* A = nullptr; int64_t lda = 0;
  const float* B = nullptr; int64_t ldb = 0;
  float beta = 0.0f;
  float* C = nullptr; int64_t ldc = 0;
  int epilogue = kEpiNone;
  const float* bias = nullptr;
  int64_t batch = 1, strideA = 0, strideB = 0, strideC = 0;
};

// Tuning knobs; zero means "derive from the kernel table and the CPU's cache sizes".
struct GemmConfig {
  int threads = 0;               // 0: ng::num_threads()
  double parallel_min_flops = -1; // below this (2·M·N·K per matrix) stay on one thread; <0: default
  int64_t kc = 0, mc = 0, nc = 0;
  int direct = -1;               // no-pack path: -1 by shape, 0 never, 1 always (transB needs transpose)
};

// Everything a call decides before it touches memory: the blocking, the path, the thread split and
// the workspace each thread packs into. A plan depends on the shapes, flags, alpha and K only
// (never on the pointers or beta), so one plan serves every matrix of that shape (conv reuses one
// per image). The blocking depends on K and the cache sizes alone, never on the thread count:
// results are bit-identical whatever the split.
struct GemmPlan {
  int64_t kc = 1, mc = 1, nc = 1;
  bool direct = false;     // no-pack path (B streamed in place, or transposed block by block)
  bool batch_split = false; // independent small matrices spread over the threads
  bool split_n = false;    // one matrix split along N (NR-aligned) instead of M
  int threads = 1;         // pool threads the call runs on (= its workspace slices)
  int64_t per_thread = 0;  // workspace floats per thread (multiple of kWsAlign)
  WorkspaceNeed need() const {
    WorkspaceNeed n;
    n.threads = threads;
    n.per_thread = per_thread;
    return n;
  }
};

// The general entries: any kernel table (tests call each ISA's table directly). sgemm_execute
// needs a workspace of at least plan.need() (ws.threads >= plan.threads, ws.stride >= per_thread).
GemmPlan sgemm_plan(const GemmKernels& k, const GemmArgs& args, const GemmConfig& cfg) noexcept;
void sgemm_execute(const GemmKernels& k, const GemmArgs& args, const GemmPlan& plan,
                   const Workspace& ws) noexcept;

// The active ISA's kernels, default blocking and threads (the binding's entry).
GemmPlan sgemm_plan(const GemmArgs& args) noexcept;

// GEMM with a bfloat16 B (uint16 bit patterns; args.B is ignored): B is widened to float32 inside the B
// packing (native/core/gemm_bf16.cc), everything else is the float32 GEMM's. One matrix (args.batch is
// ignored), K ≥ 1 (K = 0 does nothing), the packed path only; the plan's workspace as sgemm_plan's.
GemmPlan sgemm_bf16b_plan(const GemmKernels& k, const GemmArgs& args) noexcept;
void sgemm_bf16b_execute(const GemmKernels& k, const GemmArgs& args, const uint16_t* B, const GemmPlan& plan,
                         const Workspace& ws) noexcept;
GemmPlan sgemm_bf16b_plan(const GemmArgs& args) noexcept;
void sgemm_bf16b_execute(const GemmArgs& args, const uint16_t* B, const GemmPlan& plan, const Workspace& ws) noexcept;
void sgemm_execute(const GemmArgs& args, const GemmPlan& plan, const Workspace& ws) noexcept;

// Applies activation `epilogue` (codes 3..6; others are no-ops here) to an m×n tile in place, with
// the active ISA's vectorised functions (the ones the fused GEMM epilogue uses).
void gemm_activate(int epilogue, float* C, int64_t ldc, int64_t m, int64_t n) noexcept;

// Measured FP32 FMA GFLOP/s of the active ISA on `threads` pool threads over about `ms` ms.
double fma_peak_gflops(int threads, double ms) noexcept;

}  // namespace ng
