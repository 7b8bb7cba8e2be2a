// Loss / dropout kernels for the avx2 path: the shared source (native/include/nn_impl.h) compiled with
// this folder's flags (binding.gyp), in its own namespace.
#if defined(__x86_64__) || defined(_M_X64)
#include <cmath>
#include <cstdint>
#include <immintrin.h>

#include "nn_kernels.h"

namespace ng {
namespace avx2 {
#include "nn_impl.h"
}  // namespace avx2
}  // namespace ng
#endif
