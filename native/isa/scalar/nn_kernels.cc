// Loss / dropout kernels for the scalar path: the shared source (native/include/nn_impl.h) compiled with
// this folder's flags (binding.gyp), in its own namespace.
#include <cmath>
#include <cstdint>

#include "nn_kernels.h"

namespace ng {
namespace scalar {
#include "nn_impl.h"
}  // namespace scalar
}  // namespace ng
