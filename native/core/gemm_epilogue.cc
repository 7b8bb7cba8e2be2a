// Transcendental GEMM epilogues as a standalone call: forwards to the active ISA's vectorised
// activation (branch-free polynomial functions of ew_math.h, compiled with that ISA's flags; the
// fused GEMM epilogue applies the same functions on the register tile).
#include <cstdint>

#include "gemm.h"

namespace ng {

void gemm_activate(int epilogue, float* C, int64_t ldc, int64_t m, int64_t n) noexcept {
  if (m <= 0 || n <= 0) return;
  gemm_kernels().activate(epilogue, C, ldc, m, n);
}

}  // namespace ng
