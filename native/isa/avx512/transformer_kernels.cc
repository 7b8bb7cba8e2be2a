// LayerNorm / attention kernels for the avx512 path: the shared source (native/include/transformer_impl.h)
// compiled with this folder's flags (binding.gyp), in its own namespace.
#if defined(__x86_64__) || defined(_M_X64)
#include <cmath>
#include <cstdint>
#include <cstring>
#include <immintrin.h>

#include "transformer.h"

#define TF_TILE_R 4  // 4 rows × 2 zmm: 8 accumulators
#define TF_VW 16
#define TF_NV 2

namespace ng {
namespace avx512 {
#include "transformer_impl.h"
}  // namespace avx512
}  // namespace ng
#endif
