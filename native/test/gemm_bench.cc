// Native SGEMM timing without N-API (built by native/CMakeLists.txt as gemm_bench, not a test):
//   gemm_bench M N K [threads] [transA transB] [kc nc mc]
// Environment: NG_GEMM_DIRECT=-1|0|1 (no-pack path: auto, never, always), NG_GEMM_EPI=code,
// NG_GEMM_PMIN=flops (single-thread threshold).
// Prints the median GFLOP/s of the active ISA (NODEGRAD_ISA) over ≥ 7 runs after warm-up.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::printf("usage: gemm_bench M N K [threads] [transA transB] [kc nc mc]\n");
    return 2;
  }
  auto arg = [&](int i, long dflt) { return argc > i ? std::atol(argv[i]) : dflt; };
  ng::GemmArgs g;
  g.M = arg(1, 0); g.N = arg(2, 0); g.K = arg(3, 0);
  const int threads = int(arg(4, 1));
  g.transA = arg(5, 0) != 0; g.transB = arg(6, 0) != 0;
  ng::GemmConfig cfg;
  cfg.threads = threads;
  cfg.kc = arg(7, 0); cfg.nc = arg(8, 0); cfg.mc = arg(9, 0);
  if (const char* d = std::getenv("NG_GEMM_DIRECT")) cfg.direct = std::atoi(d);  // -1 auto, 0, 1
  if (const char* t = std::getenv("NG_GEMM_PMIN")) cfg.parallel_min_flops = std::atof(t);  // threshold
  if (const char* e = std::getenv("NG_GEMM_EPI")) g.epilogue = std::atoi(e);     // epilogue code
  std::vector<float> bias(size_t(g.N), 0.125f);
  g.bias = bias.data();
  ng::set_num_threads(threads);
  std::vector<float> A(size_t(g.M * g.K), 0.5f), B(size_t(g.K * g.N), 0.25f), C(size_t(g.M * g.N));
  g.A = A.data(); g.lda = g.transA ? g.M : g.K;
  g.B = B.data(); g.ldb = g.transB ? g.K : g.N;
  g.C = C.data(); g.ldc = g.N;
  const ng::GemmKernels& k = ng::gemm_kernels();
  ng::Arena arena;
  ng::Workspace ws;
  const ng::GemmPlan plan = ng::sgemm_plan(k, g, cfg);
  if (arena.reserve(plan.need(), &ws) != ng::Arena::Status::ok) {
    std::printf("cannot reserve the workspace\n");
    return 1;
  }
  std::vector<double> t;
  for (int i = 0; i < 2; ++i) ng::sgemm_execute(k, g, plan, ws);
  const auto start = std::chrono::steady_clock::now();
  while (t.size() < 7 || std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300)) {
    const auto t0 = std::chrono::steady_clock::now();
    ng::sgemm_execute(k, g, plan, ws);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  const double gf = 2.0 * g.M * g.N * g.K / t[t.size() / 2] * 1e-9;
  std::printf("%s %ldx%ldx%ld %s%s threads=%d: %.1f GFLOP/s (peak %.1f)\n", k.name, long(g.M), long(g.N),
              long(g.K), g.transA ? "T" : "N", g.transB ? "T" : "N", threads, gf,
              ng::fma_peak_gflops(threads, 100));
  return 0;
}
