// Element-wise / reduction / fused / optimizer kernels for the scalar path: the shared source
// (native/include/ew_*.h) compiled with this folder's flags (binding.gyp), in its own namespace.

#include <cmath>
#include <cstdint>

#include "elementwise.h"

namespace ng {
namespace scalar {
#include "ew_table_impl.h"
}  // namespace scalar
}  // namespace ng

