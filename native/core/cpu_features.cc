#include "cpu_features.h"

#include <cstring>
#include <unistd.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define NG_X86 1
#endif

namespace ng {
namespace {

#ifdef NG_X86
uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}

// Deterministic cache parameters: leaf 4 on Intel, 0x8000001D on AMD (same layout).
void read_caches(CpuFeatures& f) {
  unsigned a, b, c, d;
  unsigned max_ext = __get_cpuid_max(0x80000000u, nullptr);
  unsigned leaf = 4;
  __cpuid(0, a, b, c, d);
  bool amd = (b == 0x68747541u);  // "Auth"enticAMD
  if (amd && max_ext >= 0x8000001Du) leaf = 0x8000001Du;
  for (unsigned sub = 0; sub < 16; ++sub) {
    __cpuid_count(leaf, sub, a, b, c, d);
    unsigned type = a & 0x1f;
    if (type == 0) break;
    unsigned level = (a >> 5) & 0x7;
    int64_t ways = ((b >> 22) & 0x3ff) + 1, parts = ((b >> 12) & 0x3ff) + 1;
    int64_t line = (b & 0xfff) + 1, sets = int64_t(c) + 1;
    int64_t bytes = ways * parts * line * sets;
    if (level == 1 && (type == 1 || type == 3)) f.l1d_bytes = bytes;
    if (level == 2 && (type == 2 || type == 3)) f.l2_bytes = bytes;
    if (level == 3 && (type == 2 || type == 3)) f.l3_bytes = bytes;
  }
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) >= 7) {
    __cpuid(1, a, b, c, d);
    bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    bool ymm_os = (xcr0 & 0x6) == 0x6;
    bool zmm_os = (xcr0 & 0xE6) == 0xE6;
    __cpuid_count(7, 0, a, b, c, d);
    bool avx2 = (b >> 5) & 1;
    bool f512 = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    f.avx2_fma = avx && avx2 && fma && ymm_os;
    f.avx512 = f.avx2_fma && f512 && dq && bw && vl && zmm_os;
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512_bf16 = f.avx512 && ((a >> 5) & 1);
  }
  read_caches(f);
  return f;
}
#else
CpuFeatures detect() {
  CpuFeatures f;
#if defined(__aarch64__)
  f.neon = true;
#endif
  return f;
}
#endif

CpuFeatures finish(CpuFeatures f) {
#ifdef _SC_LEVEL1_DCACHE_SIZE
  if (f.l1d_bytes <= 0) f.l1d_bytes = sysconf(_SC_LEVEL1_DCACHE_SIZE);
  if (f.l2_bytes <= 0) f.l2_bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (f.l3_bytes <= 0) f.l3_bytes = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
  // Fallbacks when neither CPUID nor sysconf knows (kernels.md §8.3 table values).
  if (f.l1d_bytes <= 0) f.l1d_bytes = 32 * 1024;
  if (f.l2_bytes <= 0) f.l2_bytes = 1024 * 1024;
  if (f.l3_bytes < 0) f.l3_bytes = 0;
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = finish(detect());  // C++11 magic static: thread-safe init
  return f;
}

Isa best_isa() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512) return Isa::avx512;
  if (f.avx2_fma) return Isa::avx2;
  if (f.neon) return Isa::neon;
  return Isa::scalar;
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return f.avx2_fma;
    case Isa::avx512: return f.avx512;
    case Isa::neon: return f.neon;
  }
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::neon: return "neon";
  }
  return "unknown";
}

bool parse_isa(const char* name, Isa* out) {
  static const Isa all[] = {Isa::scalar, Isa::avx2, Isa::avx512, Isa::neon};
  for (Isa i : all) {
    if (std::strcmp(name, isa_name(i)) == 0) { *out = i; return true; }
  }
  return false;
}

}  // namespace ng
