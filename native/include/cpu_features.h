// CPU facts read once at load: which SIMD paths the CPU *and the OS* support, and cache sizes.
#pragma once
#include <cstdint>

namespace ng {

enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2, neon = 3 };

struct CpuFeatures {
  bool avx2_fma = false;    // AVX2 + FMA with YMM state enabled by the OS (XCR0)
  bool avx512 = false;      // AVX-512 F+VL+BW+DQ with opmask/ZMM state enabled by the OS
  bool avx512_bf16 = false; // AVX512_BF16 (VDPBF16PS)
  bool neon = false;        // always true on AArch64
  int64_t l1d_bytes = 0;    // per-core data cache
  int64_t l2_bytes = 0;     // per-core (or per-cluster) L2
  int64_t l3_bytes = 0;     // shared last level; 0 when unknown
};

const CpuFeatures& cpu_features();   // detected once, thread-safe
Isa best_isa();                      // the fastest path this CPU + OS can run
const char* isa_name(Isa isa);
bool parse_isa(const char* name, Isa* out);
bool isa_supported(Isa isa);

}  // namespace ng
