// Workspace reservation for the kernel bindings (workspace_binding.h). The cap comes from
// NODEGRAD_WORKSPACE_LIMIT (bytes; read when a JS thread first uses its arena). There is no JS
// setter on purpose: every binding function has a bad-input table row, and a limit is a deployment
// setting, not a per-call one; nativeInfo() reports the arena's size and the limit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "args.h"
#include "workspace_binding.h"

namespace ngb {
namespace {

int64_t env_limit() {
  const char* s = std::getenv("NODEGRAD_WORKSPACE_LIMIT");
  if (s == nullptr || *s == '\0') return -1;
  char* end = nullptr;
  const long long v = std::strtoll(s, &end, 10);
  return (end != nullptr && *end == '\0' && v >= 0) ? int64_t(v) : -1;
}

ng::Arena& arena() {
  thread_local ng::Arena a(env_limit());
  return a;
}

std::string human(int64_t bytes) {
  char buf[48];
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%lld bytes", (long long)bytes);
  else if (bytes < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

ng::Workspace reserve_workspace(Napi::Env env, const char* fn, const ng::WorkspaceNeed& need) {
  ng::Workspace ws;
  ng::Arena& a = arena();
  const ng::Arena::Status st = a.reserve(need, &ws);
  if (st == ng::Arena::Status::ok) return ws;
  const int64_t bytes = ng::Arena::bytes_for(need);
  std::string msg = std::string(fn) + ": cannot reserve ";
  switch (st) {
    case ng::Arena::Status::over_limit:
      msg += human(bytes) + " of native workspace (limit " + human(a.limit_bytes()) +
             ", set by NODEGRAD_WORKSPACE_LIMIT)";
      break;
    case ng::Arena::Status::out_of_memory:
      msg += human(bytes) + " of native workspace: out of memory";
      break;
    default:
      msg += "its native workspace: the size overflows";
      break;
  }
  range_error(env, msg);
}

void add_workspace_info(Napi::Env env, Napi::Object info) {
  const ng::Arena& a = arena();
  info.Set("workspaceBytes", double(a.capacity_bytes()));
  info.Set("workspaceLimitBytes",
           a.limit_bytes() < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, double(a.limit_bytes()))));
}

}  // namespace ngb
