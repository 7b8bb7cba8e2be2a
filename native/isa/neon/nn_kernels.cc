// Loss / dropout kernels for the neon path: the shared source (native/include/nn_impl.h) compiled with
// this folder's flags (binding.gyp), in its own namespace.
#if defined(__aarch64__)
#include <cmath>
#include <cstdint>

#include "nn_kernels.h"

namespace ng {
namespace neon {
#include "nn_impl.h"
}  // namespace neon
}  // namespace ng
#endif
