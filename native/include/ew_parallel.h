// Chunking helpers shared by the element-wise drivers (core only; not an ISA header). Chunk boundaries
// depend on the thread count, so they are only used where each output is computed by one task alone.
#pragma once
#include <cstdint>

#include "elementwise.h"
#include "thread_pool.h"

namespace ng {

constexpr int64_t kEwMinChunkLight = 128 * 1024;  // cheap ops go parallel from ~256K elements
constexpr int64_t kEwMinChunkHeavy = 16 * 1024;   // transcendental ones from ~32K
constexpr int64_t kEwColBlock = 512;              // == kBlock in ew_impl_reduce.h (stack scratch per column block)

// f(begin, end) over [0, n) in contiguous chunks of ≥ min_chunk elements (64-aligned), at most
// per_thread chunks per pool thread (pulled dynamically; 1 keeps each thread on one range).
template <class F>
void ew_parallel_chunks(int64_t n, int64_t min_chunk, F&& f, int per_thread = 4) {
  int nt = num_threads();
  int64_t tasks = n / min_chunk;
  if (tasks > int64_t(nt) * per_thread) tasks = int64_t(nt) * per_thread;
  if (tasks <= 1 || nt <= 1) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  int64_t chunk = ((n + tasks - 1) / tasks + 63) / 64 * 64;
  tasks = (n + chunk - 1) / chunk;
  parallel_for(int(tasks), [&](int t, int) {
    int64_t b = int64_t(t) * chunk, e = b + chunk < n ? b + chunk : n;
    f(b, e);
  });
}

// f(u0, u1) over [0, units) where each unit costs unit_work elements; ≥ min_work elements per task.
template <class F>
void ew_parallel_units(int64_t units, int64_t unit_work, int64_t min_work, F&& f) {
  int nt = num_threads();
  int64_t w = unit_work < 1 ? 1 : unit_work;
  int64_t per = (min_work + w - 1) / w;  // units per task at least
  int64_t tasks = units / (per < 1 ? 1 : per);
  if (tasks > int64_t(nt) * 4) tasks = int64_t(nt) * 4;
  if (tasks > units) tasks = units;
  if (tasks <= 1 || nt <= 1) {
    if (units > 0) f(int64_t(0), units);
    return;
  }
  int64_t chunk = (units + tasks - 1) / tasks;
  tasks = (units + chunk - 1) / chunk;
  parallel_for(int(tasks), [&](int t, int) {
    int64_t b = int64_t(t) * chunk, e = b + chunk < units ? b + chunk : units;
    f(b, e);
  });
}

}  // namespace ng
