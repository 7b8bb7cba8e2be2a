// LayerNorm / attention kernels for the neon path: the shared source (native/include/transformer_impl.h)
// compiled with this folder's flags (binding.gyp), in its own namespace.
#if defined(__aarch64__)
#include <cmath>
#include <cstdint>
#include <cstring>

#include "transformer.h"

#define TF_TILE_R 4  // 4 rows × 2 q registers
#define TF_VW 4
#define TF_NV 2

namespace ng {
namespace neon {
#include "transformer_impl.h"
}  // namespace neon
}  // namespace ng
#endif
