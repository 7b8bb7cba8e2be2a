// LayerNorm / attention kernels for the scalar path: the shared source (native/include/transformer_impl.h)
// compiled with this folder's flags (binding.gyp), in its own namespace.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "transformer.h"

#define TF_TILE_R 4  // 4 rows × 2 SSE2 registers
#define TF_VW 4
#define TF_NV 2

namespace ng {
namespace scalar {
#include "transformer_impl.h"
}  // namespace scalar
}  // namespace ng
