// Force-included (-include) into every translation unit of a prebuilt binary (scripts/prebuild.cjs),
// never into source builds: binds the few libc/libm/libstdc++ symbols whose default version on the
// build machine (Debian 12: glibc 2.36, GCC 12) is newer than the floor the prebuilds promise
// (glibc 2.28, GLIBCXX_3.4.25: Node 20's own) to the oldest version the library still exports.
// The old versions behave the same for nodegrad: the libm wrappers differ only in SVID errno
// handling (we build with -fno-math-errno), the pthread ones moved from libpthread into libc in 2.34,
// and condition_variable::wait got a second version in GCC 12 with the same behaviour.
// scripts/prebuild.cjs audits the result with objdump -T and fails above the floor.
#pragma once
#include <features.h>
#if defined(__GLIBC__)
#if defined(__x86_64__)
#define NG_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define NG_GLIBC_BASE "GLIBC_2.17"
#endif
#ifdef NG_GLIBC_BASE
#define NG_PIN(sym, ver) __asm__(".symver " #sym "," #sym "@" ver)
NG_PIN(pow, NG_GLIBC_BASE);
NG_PIN(powf, NG_GLIBC_BASE);
NG_PIN(exp, NG_GLIBC_BASE);
NG_PIN(expf, NG_GLIBC_BASE);
NG_PIN(exp2, NG_GLIBC_BASE);
NG_PIN(exp2f, NG_GLIBC_BASE);
NG_PIN(log, NG_GLIBC_BASE);
NG_PIN(logf, NG_GLIBC_BASE);
NG_PIN(log2, NG_GLIBC_BASE);
NG_PIN(log2f, NG_GLIBC_BASE);
NG_PIN(pthread_mutex_trylock, NG_GLIBC_BASE);
NG_PIN(pthread_once, NG_GLIBC_BASE);
NG_PIN(pthread_key_create, NG_GLIBC_BASE);
NG_PIN(pthread_getspecific, NG_GLIBC_BASE);
NG_PIN(pthread_setspecific, NG_GLIBC_BASE);
NG_PIN(pthread_create, NG_GLIBC_BASE);
NG_PIN(pthread_join, NG_GLIBC_BASE);
NG_PIN(pthread_detach, NG_GLIBC_BASE);
NG_PIN(_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE, "GLIBCXX_3.4.11");
#undef NG_PIN
#endif
#endif
