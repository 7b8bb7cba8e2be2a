// Run-time ISA dispatch. Every kernel family (gemm, elementwise, ...) defines a plain struct of
// function pointers and one constant instance per ISA, each in its own namespace (ng::scalar,
// ng::avx2, ng::avx512, ng::neon) inside a translation unit compiled with that ISA's flags. The
// active ISA is chosen once at load (CPUID + XGETBV, clamped by NODEGRAD_ISA) and select_table()
// picks the matching instance. ISA TUs export only these tables: no shared inline helpers (ODR).
#pragma once
#include "cpu_features.h"

#if defined(__x86_64__) || defined(_M_X64)
#define NG_HAVE_X86_KERNELS 1
#elif defined(__aarch64__)
#define NG_HAVE_NEON_KERNELS 1
#endif

namespace ng {

// The ISA all kernels dispatch to; decided on first use, process-wide.
Isa active_isa();
// Non-null when NODEGRAD_ISA asked for something unknown or unsupported (the reason, for a warning).
const char* isa_request_warning();

template <class T>
const T& select_table(const T& scalar_t, const T* avx2_t, const T* avx512_t, const T* neon_t) {
  switch (active_isa()) {
    case Isa::avx512: if (avx512_t) return *avx512_t; break;
    case Isa::avx2: if (avx2_t) return *avx2_t; break;
    case Isa::neon: if (neon_t) return *neon_t; break;
    case Isa::scalar: break;
  }
  return scalar_t;
}

}  // namespace ng

// Declares the per-ISA instances of a kernel table type and defines an accessor that returns the
// active one: NG_DECLARE_KERNEL_TABLE(GemmKernels, gemm_kernels) gives `const GemmKernels& gemm_kernels()`.
#if defined(NG_HAVE_X86_KERNELS)
#define NG_DECLARE_KERNEL_TABLE(Type, accessor)                                                   \
  namespace scalar { extern const Type accessor##_table; }                                        \
  namespace avx2 { extern const Type accessor##_table; }                                          \
  namespace avx512 { extern const Type accessor##_table; }                                        \
  inline const Type& accessor() {                                                                 \
    return ::ng::select_table<Type>(scalar::accessor##_table, &avx2::accessor##_table,            \
                                    &avx512::accessor##_table, nullptr);                          \
  }
#elif defined(NG_HAVE_NEON_KERNELS)
#define NG_DECLARE_KERNEL_TABLE(Type, accessor)                                                   \
  namespace scalar { extern const Type accessor##_table; }                                        \
  namespace neon { extern const Type accessor##_table; }                                          \
  inline const Type& accessor() {                                                                 \
    return ::ng::select_table<Type>(scalar::accessor##_table, nullptr, nullptr,                   \
                                    &neon::accessor##_table);                                     \
  }
#else
#define NG_DECLARE_KERNEL_TABLE(Type, accessor)                                                   \
  namespace scalar { extern const Type accessor##_table; }                                        \
  inline const Type& accessor() { return scalar::accessor##_table; }
#endif
