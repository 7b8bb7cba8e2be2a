// The workspace arena (workspace.h): one growing 64-byte-aligned buffer.
#include "workspace.h"

#include <cstdlib>

namespace ng {

Arena::~Arena() { std::free(buf_); }

int64_t Arena::bytes_for(const WorkspaceNeed& need) {
  if (need.threads < 1) return kWsTooLarge;
  const int64_t floats = need.total_floats();
  if (floats == kWsTooLarge) return kWsTooLarge;
  return ws_mul(floats, int64_t(sizeof(float)));  // a multiple of 64 (every part is kWsAlign floats)
}

Arena::Status Arena::reserve(const WorkspaceNeed& need, Workspace* out) noexcept {
  *out = Workspace();
  const int64_t bytes = bytes_for(need);
  if (bytes == kWsTooLarge || bytes > int64_t(SIZE_MAX / 2)) return Status::too_large;
  if (limit_ >= 0 && bytes > limit_) return Status::over_limit;
  if (bytes > cap_bytes_) {
    // Grow to the request (no slack: a kernel that overruns its need runs past the end of the
    // allocation, where the sanitizer tests see it).
    void* p = std::aligned_alloc(64, size_t(bytes));
    if (p == nullptr) return Status::out_of_memory;
    std::free(buf_);
    buf_ = static_cast<float*>(p);
    cap_bytes_ = bytes;
  }
  out->threads = need.threads;
  out->stride = need.per_thread;
  if (bytes > 0) {
    out->shared = need.shared > 0 ? buf_ : nullptr;
    out->base = need.per_thread > 0 ? buf_ + need.shared : nullptr;
  }
  return Status::ok;
}

void Arena::release() noexcept {
  std::free(buf_);
  buf_ = nullptr;
  cap_bytes_ = 0;
}

const char* arena_status_text(Arena::Status s) {
  switch (s) {
    case Arena::Status::ok: return "ok";
    case Arena::Status::over_limit: return "over the workspace limit";
    case Arena::Status::out_of_memory: return "out of memory";
    case Arena::Status::too_large: return "size overflows";
  }
  return "unknown";
}

}  // namespace ng
