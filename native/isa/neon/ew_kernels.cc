// Element-wise / reduction / fused / optimizer kernels for the neon path: the shared source
// (native/include/ew_*.h) compiled with this folder's flags (binding.gyp), in its own namespace.
#if defined(__aarch64__)
#include <cmath>
#include <cstdint>

#include "elementwise.h"

namespace ng {
namespace neon {
#include "ew_table_impl.h"
}  // namespace neon
}  // namespace ng
#endif
