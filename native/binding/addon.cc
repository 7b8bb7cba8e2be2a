// The N-API entry point. Context-aware (Napi::Addon): each Node environment (main thread or
// worker_thread) gets its own instance; kernels, the ISA choice and the thread pool are process-wide.
#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "args.h"
#include "bindings.h"

namespace ngb {

namespace {

// Tensor storages are V8 ArrayBuffers, which Node allocates with calloc/malloc and frees when the
// GC collects them. glibc serves blocks above a dynamic threshold (128 KB at first) with a fresh
// mmap and returns them to the OS on free, so a training step that allocates the same multi-MB
// activations and gradients every step page-faults and zero-fills all of them each time (measured:
// a [784,128]·[128,256] API matmul ~116 faults, ~340 → ~130 µs with the thresholds raised; see
// docs/tensor-core.md). Raising the mmap and trim thresholds keeps freed blocks in the heap for reuse.
// Process-wide and done once, at load; NODEGRAD_MALLOC_TUNE=0 leaves glibc's defaults.
bool g_malloc_tuned = false;
std::once_flag g_malloc_once;

void tune_malloc() {
#if defined(__GLIBC__)
  const char* env = std::getenv("NODEGRAD_MALLOC_TUNE");
  if (env != nullptr && std::strcmp(env, "0") == 0) return;
  // 32 MiB is glibc's largest mmap threshold on 64-bit; trim only above 512 MiB of free heap top.
  const bool a = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;
  const bool b = mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024) == 1;
  g_malloc_tuned = a && b;
#endif
}

Napi::Value MallocTuned(const Napi::CallbackInfo& info) {
  expect_count(info, 0, "mallocTuned");
  return Napi::Boolean::New(info.Env(), g_malloc_tuned);
}

}  // namespace

class NodegradAddon : public Napi::Addon<NodegradAddon> {
 public:
  NodegradAddon(Napi::Env env, Napi::Object exports) {
    std::call_once(g_malloc_once, tune_malloc);
    exports.Set("mallocTuned", Napi::Function::New(env, MallocTuned, "mallocTuned"));
    register_info(env, exports);
    register_gemm(env, exports);
    register_elementwise(env, exports);
    register_conv(env, exports);
    register_transformer(env, exports);
    register_nn(env, exports);
  }
};

}  // namespace ngb

using ngb::NodegradAddon;
NODE_API_ADDON(NodegradAddon)
