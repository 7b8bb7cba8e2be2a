// The N-API entry point. Context-aware (Napi::Addon): each Node environment (main thread or
// worker_thread) gets its own instance; kernels, the ISA choice and the thread pool are process-wide.
#include <napi.h>

#include "bindings.h"

namespace ngb {

class NodegradAddon : public Napi::Addon<NodegradAddon> {
 public:
  NodegradAddon(Napi::Env env, Napi::Object exports) {
    register_info(env, exports);
    register_gemm(env, exports);
    register_elementwise(env, exports);
    register_conv(env, exports);
  }
};

}  // namespace ngb

using ngb::NodegradAddon;
NODE_API_ADDON(NodegradAddon)
