// Thread-pool oversubscription and correctness under concurrent callers (issue 9).
// native/core/thread_pool.cc serialises parallel regions process-wide (try_lock): a caller that finds the
// pool busy runs its own tasks. So at any moment at most one caller has pool helpers working for it, and
// the helpers taking part never exceed num_threads() - 1. This test hammers parallel_run from several
// std::threads (standing in for JS worker_threads) and checks, with atomic high-water marks:
//   - every task of every call ran exactly once, with 0 <= tid < max num_threads() in force;
//   - concurrently active pool helpers (non-caller threads) <= max num_threads() - 1, and the distinct
//     helper OS threads ever seen <= max num_threads() - 1 (the pool never grows past what was asked);
//   - concurrently active threads overall <= callers + helpers;
//   - set_num_threads() changing mid-flight (1 <-> 2 <-> kMaxN), nested parallel_run from inside a task,
//     and a watchdog: no deadlock (abort after 120 s).
// Runs under ASan+UBSan (scripts/test-native.sh) and under TSan (native/build-tsan, same script).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "thread_pool.h"

namespace {

constexpr int kCallers = 6;
constexpr int kMaxN = 5;  // largest num_threads() the test ever sets

thread_local bool tl_is_caller = false;

std::atomic<int> g_active{0}, g_active_hw{0};
std::atomic<int> g_helpers_active{0}, g_helpers_hw{0};
std::atomic<int> g_bad_tid{0};
std::atomic<int> g_failures{0};
std::mutex g_ids_mu;
std::set<std::thread::id> g_helper_ids;

void bump_hw(std::atomic<int>& hw, int v) {
  int cur = hw.load(std::memory_order_relaxed);
  while (v > cur && !hw.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

struct Job {
  std::vector<std::atomic<int>> hits;
  int spin;
  bool nested;
  explicit Job(int n, int spin_, bool nested_) : hits(n), spin(spin_), nested(nested_) {
    for (auto& h : hits) h.store(0, std::memory_order_relaxed);
  }
};

void nested_task(void* ctx, int task, int tid) {
  static_cast<std::atomic<int>*>(ctx)[task].fetch_add(1, std::memory_order_relaxed);
  (void)tid;
}

void task_fn(void* ctx, int task, int tid) {
  Job* job = static_cast<Job*>(ctx);
  if (tid < 0 || tid >= kMaxN) g_bad_tid.fetch_add(1);
  bump_hw(g_active_hw, g_active.fetch_add(1) + 1);
  if (!tl_is_caller) {
    bump_hw(g_helpers_hw, g_helpers_active.fetch_add(1) + 1);
    std::lock_guard<std::mutex> lk(g_ids_mu);
    g_helper_ids.insert(std::this_thread::get_id());
  }
  volatile double x = task;
  for (int i = 0; i < job->spin; ++i) x = x * 1.0000001 + 1e-9;
  if (job->nested && task % 3 == 0) {  // a kernel calling a parallel kernel: must not deadlock
    std::atomic<int> inner[5];
    for (auto& a : inner) a.store(0);
    ng::parallel_run(5, nested_task, inner);
    for (auto& a : inner)
      if (a.load() != 1) g_failures.fetch_add(1);
  }
  job->hits[task].fetch_add(1, std::memory_order_relaxed);
  if (!tl_is_caller) g_helpers_active.fetch_sub(1);
  g_active.fetch_sub(1);
}

void caller(int id, int iters, std::atomic<long>& total_tasks) {
  tl_is_caller = true;
  unsigned s = 12345u + unsigned(id) * 7919u;
  for (int it = 0; it < iters; ++it) {
    s = s * 1103515245u + 12345u;
    int n = 1 + int((s >> 8) % 64);
    int spin = int((s >> 4) % 2000);
    bool nested = ((s >> 20) % 8) == 0;
    Job job(n, spin, nested);
    if ((s >> 16) % 4 == 0) {
      ng::parallel_for(n, [&](int t, int tid) { task_fn(&job, t, tid); });
    } else {
      ng::parallel_run(n, task_fn, &job);
    }
    for (int t = 0; t < n; ++t) {
      int h = job.hits[t].load();
      if (h != 1) {
        if (g_failures.fetch_add(1) < 10) std::fprintf(stderr, "caller %d iter %d: task %d ran %d times\n", id, it, t, h);
      }
    }
    total_tasks.fetch_add(n, std::memory_order_relaxed);
  }
}

}  // namespace

int main() {
  tl_is_caller = true;  // main calls parallel_run itself in phase 3
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!finished.load()) {
      if (std::chrono::steady_clock::now() > until) {
        std::fprintf(stderr, "pool_test: DEADLOCK (no progress in 120 s)\n");
        std::_Exit(3);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  const int iters = std::getenv("NG_POOL_ITERS") ? std::atoi(std::getenv("NG_POOL_ITERS")) : 1500;
  std::atomic<long> total{0};
  int max_set = 1;

  // Phase 1: one caller alone with num_threads() = 2 (a helper must take part). The other helpers are
  // created mid-flight in phase 2, while other callers' jobs are in progress.
  ng::set_num_threads(2);
  max_set = kMaxN;
  {
    std::thread t(caller, 100, 200, std::ref(total));
    t.join();
  }
  int phase1_helpers = g_helpers_hw.load();

  // Phase 2: kCallers concurrent callers, while a mutator flips num_threads among 1, 2, kMaxN.
  std::atomic<bool> stop{false};
  std::thread mutator([&] {
    const int seq[] = {2, 1, kMaxN, 3, 2, kMaxN, 1};
    int i = 0;
    while (!stop.load()) {
      ng::set_num_threads(seq[i++ % 7]);
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  std::vector<std::thread> callers;
  auto t0 = std::chrono::steady_clock::now();
  for (int c = 0; c < kCallers; ++c) callers.emplace_back(caller, c, iters, std::ref(total));
  for (auto& t : callers) t.join();
  stop.store(true);
  mutator.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Phase 3: n = 1 and n = 0 edge cases, num_threads() = 1.
  ng::set_num_threads(1);
  {
    Job j(1, 0, false);
    ng::parallel_run(1, task_fn, &j);
    ng::parallel_run(0, task_fn, &j);
    if (j.hits[0].load() != 1) g_failures.fetch_add(1);
  }
  finished.store(true);
  watchdog.join();

  int helpers_hw = g_helpers_hw.load(), active_hw = g_active_hw.load();
  size_t helper_ids = g_helper_ids.size();
  std::printf("pool_test: %ld tasks in %d calls from %d concurrent callers (+%d solo) in %.2f s\n", total.load(),
              kCallers * iters, kCallers, 200, secs);
  std::printf("  max num_threads set = %d; concurrently active helpers high-water = %d (bound %d); "
              "distinct helper threads = %zu (bound %d); all active high-water = %d (bound %d); "
              "solo phase helpers = %d\n",
              max_set, helpers_hw, max_set - 1, helper_ids, max_set - 1, active_hw, kCallers + max_set - 1,
              phase1_helpers);
  bool ok = true;
  if (g_failures.load()) { std::printf("  FAIL: %d tasks not run exactly once\n", g_failures.load()); ok = false; }
  if (g_bad_tid.load()) { std::printf("  FAIL: %d tasks saw tid out of range\n", g_bad_tid.load()); ok = false; }
  if (helpers_hw > max_set - 1) { std::printf("  FAIL: helpers oversubscribed\n"); ok = false; }
  if (int(helper_ids) > max_set - 1) { std::printf("  FAIL: pool grew past num_threads()-1\n"); ok = false; }
  if (active_hw > kCallers + max_set - 1) { std::printf("  FAIL: active threads over bound\n"); ok = false; }
  if (phase1_helpers < 1) std::printf("  note: no helper took part in the solo phase (single core?)\n");
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
