// The binding's side of the workspace protocol (native/include/workspace.h): one Arena per JS thread
// (= per Node environment: each runs on its own OS thread; a worker_thread's arena is freed when it
// exits). reserve_workspace() is called after the arguments are validated and before the kernel
// runs; it throws a JS RangeError naming the function when the need cannot be met, so a kernel
// never starts without its memory. NODEGRAD_WORKSPACE_LIMIT (bytes) caps every arena: for tests of
// that path and for memory-constrained hosts.
#pragma once
#include <napi.h>

#include "workspace.h"

namespace ngb {

ng::Workspace reserve_workspace(Napi::Env env, const char* fn, const ng::WorkspaceNeed& need);

// nativeInfo() fields: workspaceBytes (this thread's arena) and workspaceLimitBytes (null: none).
void add_workspace_info(Napi::Env env, Napi::Object info);

}  // namespace ngb
