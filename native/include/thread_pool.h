// The addon's own persistent thread pool (no OpenMP, no libuv pool). The calling thread is worker 0.
// One fork/join per kernel call; workers spin briefly after a job, then sleep. Parallel regions are
// serialised process-wide: a caller that finds the pool busy (another worker_thread's kernel) runs
// its tasks itself, so the pool never oversubscribes the cores.
#pragma once
#include <cstdint>

namespace ng {

// fn(ctx, task, tid): run `task` (0 <= task < ntasks) on pool thread `tid` (0 <= tid < the smaller of
// num_threads() and the region's max_threads). Tasks must write disjoint outputs; `tid` only selects
// the task's slice of a reserved Workspace (workspace.h).
using TaskFn = void (*)(void* ctx, int task, int tid);

void set_num_threads(int n);   // clamped to [1, 256]; takes effect on the next parallel call
int num_threads();
// Runs every task; at most max_threads pool threads take part (tids below it).
void parallel_run(int ntasks, TaskFn fn, void* ctx, int max_threads = 256);

template <class F>
void parallel_for(int ntasks, F&& f) {
  if (ntasks <= 1 || num_threads() <= 1) {
    for (int t = 0; t < ntasks; ++t) f(t, 0);
    return;
  }
  auto thunk = [](void* ctx, int task, int tid) { (*static_cast<F*>(ctx))(task, tid); };
  parallel_run(ntasks, thunk, static_cast<void*>(&f));
}

}  // namespace ng
