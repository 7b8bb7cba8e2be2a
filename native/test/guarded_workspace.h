// Test helper: a workspace laid out exactly as a plan's need says, with a canary zone after the
// shared part and after every thread's slice, so a kernel that writes past its need (into the next
// slice, which ASan cannot see) is caught by intact(). Memory comes from one aligned allocation.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "workspace.h"

namespace ngtest {

class GuardedWorkspace {
 public:
  static constexpr int64_t kGuard = 16;  // floats (64 bytes) of canary after each part
  explicit GuardedWorkspace(const ng::WorkspaceNeed& n) : need_(n) {
    stride_ = n.per_thread + kGuard;
    shared_span_ = n.shared + kGuard;
    total_ = shared_span_ + int64_t(n.threads) * stride_;
    buf_ = static_cast<float*>(std::aligned_alloc(64, size_t(total_) * sizeof(float)));
    for (int64_t i = 0; i < total_; ++i) std::memcpy(&buf_[i], &kCanary, 4);
    ws_.threads = n.threads;
    ws_.stride = stride_;
    ws_.shared = n.shared > 0 ? buf_ : nullptr;
    ws_.base = n.per_thread > 0 ? buf_ + shared_span_ : nullptr;
  }
  ~GuardedWorkspace() { std::free(buf_); }
  GuardedWorkspace(const GuardedWorkspace&) = delete;
  GuardedWorkspace& operator=(const GuardedWorkspace&) = delete;

  const ng::Workspace& ws() const { return ws_; }
  // Every canary zone still holds the pattern.
  bool intact() const {
    if (!zone_ok(need_.shared)) return false;
    for (int t = 0; t < need_.threads; ++t)
      if (!zone_ok(shared_span_ + int64_t(t) * stride_ + need_.per_thread)) return false;
    return true;
  }

 private:
  static constexpr uint32_t kCanary = 0x7fc0beefu;  // a NaN payload no kernel produces
  bool zone_ok(int64_t at) const {
    for (int64_t i = 0; i < kGuard; ++i) {
      uint32_t v;
      std::memcpy(&v, &buf_[at + i], 4);
      if (v != kCanary) return false;
    }
    return true;
  }
  ng::WorkspaceNeed need_;
  ng::Workspace ws_;
  float* buf_ = nullptr;
  int64_t stride_ = 0, shared_span_ = 0, total_ = 0;
};

}  // namespace ngtest
