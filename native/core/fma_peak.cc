// Measured FP32 FMA peak of the active ISA: each of `threads` pool tasks runs the ISA's
// register-only FMA loop in chunks until `ms` has passed; GFLOP/s = all flops / wall time of the
// whole parallel region (so a pool that could not run the tasks concurrently reports honestly).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "gemm.h"
#include "thread_pool.h"

namespace ng {

double fma_peak_gflops(int threads, double ms) noexcept {
  const FmaPeakKernels& k = fma_peak_kernels();
  threads = std::clamp(threads, 1, 256);
  ms = std::clamp(ms, 1.0, 10000.0);
  using Clock = std::chrono::steady_clock;
  constexpr int64_t kChunk = 20000;  // ~10-50 µs per chunk: fine-grained enough to stop on time
  k.run(kChunk, 1.0f);                // warm up (clocks, caches, page-ins)
  const int saved = num_threads();
  set_num_threads(threads);
  int64_t iters[256] = {};  // (no allocation: nothing here can fail)
  std::atomic<float> sink{0.0f};
  const auto t0 = Clock::now();
  const auto budget = std::chrono::duration<double, std::milli>(ms);
  parallel_for(threads, [&](int task, int) {
    int64_t done = 0;
    float s = 0.0f;
    while (Clock::now() - t0 < budget) {
      s += k.run(kChunk, 1.0f + float(task));
      done += kChunk;
    }
    iters[size_t(task)] = done;
    sink.store(s, std::memory_order_relaxed);
  });
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  set_num_threads(saved);
  double flops = 0;
  for (int t = 0; t < threads; ++t) flops += double(iters[t]) * double(k.flops_per_iter);
  return secs > 0 ? flops / secs * 1e-9 : 0.0;
}

}  // namespace ng
