// LayerNorm / attention kernels for the avx512 path: the shared source (native/include/transformer_impl.h)
// compiled with this folder's flags (binding.gyp), in its own namespace.
#if defined(__x86_64__) || defined(_M_X64)
#include <cmath>
#include <cstdint>
#include <cstring>

#include "transformer.h"

#define TF_TILE_R 6  // 6 rows × 16 columns: 6 zmm accumulators

namespace ng {
namespace avx512 {
#include "transformer_impl.h"
}  // namespace avx512
}  // namespace ng
#endif
