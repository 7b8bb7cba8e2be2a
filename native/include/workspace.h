// Native workspace: the only memory the addon owns (packed GEMM panels, im2col columns, per-chunk
// partial sums). Protocol, for every kernel that needs scratch:
//   1. the kernel's plan function computes the need from the arguments alone (and the thread count
//      it fixes for this call), before any parallel region: a WorkspaceNeed;
//   2. the binding reserves it from its Arena (one per JS thread, i.e. per Node environment; grown
//      on demand, 64-byte aligned, never shrunk unless released) and throws a JS RangeError naming
//      the function when it cannot (over the limit, out of memory, or a size that overflows);
//   3. the kernel runs with the plan and the Workspace: tasks only take their slice (slice(tid)) or
//      the shared part. Nothing allocates inside a task, and no kernel can meet a null buffer.
// Sizes are in floats and saturate at kWsTooLarge (never reservable) instead of overflowing.
#pragma once
#include <cstdint>

#include "thread_pool.h"

namespace ng {

constexpr int64_t kWsAlign = 16;                       // floats: every slice/region 64-byte aligned
constexpr int64_t kWsTooLarge = INT64_C(0x7fffffffffffffff);

inline int64_t ws_add(int64_t a, int64_t b) {
  int64_t r;
  return (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) ? kWsTooLarge : r;
}
inline int64_t ws_mul(int64_t a, int64_t b) {
  int64_t r;
  return (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) ? kWsTooLarge : r;
}
// Rounded up to a multiple of kWsAlign (saturating).
inline int64_t ws_round(int64_t floats) {
  const int64_t r = ws_add(floats, kWsAlign - 1);
  return r == kWsTooLarge ? r : r / kWsAlign * kWsAlign;
}

struct WorkspaceNeed {
  int threads = 1;         // slices: the call's parallel regions run on at most this many threads
  int64_t per_thread = 0;  // floats per slice (a multiple of kWsAlign, or kWsTooLarge)
  int64_t shared = 0;      // floats used by the whole call (a multiple of kWsAlign, or kWsTooLarge)
  // shared + threads·per_thread, saturating.
  int64_t total_floats() const { return ws_add(shared, ws_mul(threads, per_thread)); }
};

// A reserved workspace (or a part of one). Slice t starts at base + t·stride (stride ≥ the
// per-thread need); shared is the call-wide region. Views are cheap values.
struct Workspace {
  float* shared = nullptr;
  float* base = nullptr;
  int64_t stride = 0;
  int threads = 1;

  float* slice(int tid) const { return base == nullptr ? nullptr : base + int64_t(tid) * stride; }
  // The same slices, each starting `floats` further in (a nested kernel's part of every slice).
  Workspace offset(int64_t floats) const {
    Workspace w = *this;
    w.shared = nullptr;
    w.base = base == nullptr ? nullptr : base + floats;
    return w;
  }
  // Thread tid's slice alone, as a one-thread workspace (a kernel nested inside a task).
  Workspace single(int tid) const {
    Workspace w;
    w.base = slice(tid);
    w.stride = stride;
    w.threads = 1;
    return w;
  }
};

// parallel_for on at most ws.threads pool threads, so 0 <= tid < ws.threads always holds (even if
// another JS thread changes num_threads() meanwhile).
template <class F>
void parallel_for(const Workspace& ws, int ntasks, F&& f) {
  const int cap = ws.threads < 1 ? 1 : ws.threads;
  if (ntasks <= 1 || cap <= 1 || num_threads() <= 1) {
    for (int t = 0; t < ntasks; ++t) f(t, 0);
    return;
  }
  auto thunk = [](void* ctx, int task, int tid) { (*static_cast<F*>(ctx))(task, tid); };
  parallel_run(ntasks, thunk, static_cast<void*>(&f), cap);
}

// Grows one 64-byte-aligned buffer to fit each reservation; not thread-safe (one per JS thread).
// The limit (bytes; < 0: none) caps what it may hold: a reservation above it fails without
// touching the current buffer, as does one whose allocation fails.
class Arena {
 public:
  enum class Status { ok, over_limit, out_of_memory, too_large };

  explicit Arena(int64_t limit_bytes = -1) : limit_(limit_bytes) {}
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // On ok, *out views need.threads slices of need.per_thread floats plus need.shared floats
  // (their contents are unspecified). On failure *out is left empty and nothing is freed.
  Status reserve(const WorkspaceNeed& need, Workspace* out) noexcept;
  void release() noexcept;  // frees the buffer (the next reservation allocates again)
  int64_t capacity_bytes() const { return cap_bytes_; }
  int64_t limit_bytes() const { return limit_; }
  void set_limit_bytes(int64_t limit) { limit_ = limit; }
  // Bytes a need takes (what reserve compares with the limit); kWsTooLarge when it overflows.
  static int64_t bytes_for(const WorkspaceNeed& need);

 private:
  float* buf_ = nullptr;
  int64_t cap_bytes_ = 0;
  int64_t limit_ = -1;
};

const char* arena_status_text(Arena::Status s);

}  // namespace ng
