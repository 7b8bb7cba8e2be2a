#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace ng {
namespace {

constexpr int kMaxThreads = 256;

int default_threads() {
  const char* env = std::getenv("NODEGRAD_NUM_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n >= 1) return n > kMaxThreads ? kMaxThreads : n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : int(hc > unsigned(kMaxThreads) ? kMaxThreads : hc);
}

// Leaky process singleton: threads are never joined from static destructors at exit.
struct Pool {
  std::mutex run_mu;                 // serialises parallel regions across callers
  std::mutex mu;
  std::condition_variable cv_work, cv_done;
  std::vector<std::thread> threads;  // helpers 1..n-1
  std::atomic<int> wanted{default_threads()};

  // Current job (written by the caller under mu before bumping generation).
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  int ntasks = 0;
  int active = 0;                    // helpers taking part in this job
  std::atomic<int> next_task{0};
  std::atomic<int> done_tasks{0};
  std::atomic<int> helpers_out{0};
  std::atomic<uint64_t> generation{0};

  // Called by the caller holding run_mu, before it publishes the next job: a new helper starts from
  // the current generation, so it never mistakes the previous job for a new one.
  // If the OS refuses a thread (std::system_error) or memory runs out, the pool keeps the helpers it
  // has: tasks are pulled dynamically, so the caller (and the existing helpers) still run them all.
  void ensure_threads(int n) {
    while (int(threads.size()) < n - 1) {
      int tid = int(threads.size()) + 1;
      uint64_t start = generation.load(std::memory_order_acquire);
      try {
        threads.reserve(threads.size() + 1);
        threads.emplace_back([this, tid, start] { worker(tid, start); });
      } catch (...) {
        return;
      }
      threads.back().detach();
    }
  }

  void drain(int tid) {
    for (;;) {
      int t = next_task.fetch_add(1, std::memory_order_relaxed);
      if (t >= ntasks) break;
      fn(ctx, t, tid);
      done_tasks.fetch_add(1, std::memory_order_release);
    }
  }

  void worker(int tid, uint64_t seen) {
    for (;;) {
      // Spin a little (back-to-back kernels find us awake), then sleep.
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      uint64_t g;
      while ((g = generation.load(std::memory_order_acquire)) == seen &&
             std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu);
        cv_work.wait(lk, [&] { return generation.load(std::memory_order_acquire) != seen; });
        g = generation.load(std::memory_order_acquire);
      }
      seen = g;
      if (tid < active) drain(tid);
      if (helpers_out.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu);
        cv_done.notify_one();
      }
    }
  }

  void run(int n, TaskFn f, void* c, int max_threads) {
    // A task that itself calls parallel_run (nested region) runs serially: run_mu is not recursive.
    thread_local bool inside = false;
    int want = wanted.load(std::memory_order_relaxed);
    if (want > max_threads) want = max_threads;
    std::unique_lock<std::mutex> run_lk;
    if (!inside && want > 1) run_lk = std::unique_lock<std::mutex>(run_mu, std::try_to_lock);
    if (!run_lk.owns_lock()) {  // nested, busy elsewhere, or single-threaded
      for (int t = 0; t < n; ++t) f(c, t, 0);
      return;
    }
    struct Inside {
      bool& flag;
      explicit Inside(bool& f) : flag(f) { flag = true; }
      ~Inside() { flag = false; }
    } mark(inside);
    ensure_threads(want);
    {
      std::lock_guard<std::mutex> lk(mu);
      fn = f; ctx = c; ntasks = n;
      active = want < n ? want : n;
      next_task.store(0, std::memory_order_relaxed);
      done_tasks.store(0, std::memory_order_relaxed);
      helpers_out.store(int(threads.size()), std::memory_order_relaxed);
      generation.fetch_add(1, std::memory_order_release);
    }
    cv_work.notify_all();
    drain(0);
    // Wait until every helper has seen this generation (so none still reads fn/ctx).
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    while (helpers_out.load(std::memory_order_acquire) > 0 && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    if (helpers_out.load(std::memory_order_acquire) > 0) {
      std::unique_lock<std::mutex> lk(mu);
      cv_done.wait(lk, [&] { return helpers_out.load(std::memory_order_acquire) == 0; });
    }
  }
};

Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  pool().wanted.store(n, std::memory_order_relaxed);
}

int num_threads() { return pool().wanted.load(std::memory_order_relaxed); }

void parallel_run(int ntasks, TaskFn fn, void* ctx, int max_threads) {
  if (ntasks <= 0) return;
  if (ntasks == 1 || max_threads <= 1) {
    for (int t = 0; t < ntasks; ++t) fn(ctx, t, 0);
    return;
  }
  pool().run(ntasks, fn, ctx, max_threads);
}

}  // namespace ng
