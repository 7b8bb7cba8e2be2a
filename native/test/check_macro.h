// Test helper: the failure/check counters and the printf-style CHECK(cond, fmt, ...) macro shared by
// conv_test.cc and workspace_test.cc (each test is its own executable, so each gets its own counters).
// Reports at most 20 failures; the test prints the totals and exits with the failure count.
#pragma once
#include <cstdio>

namespace {

int g_failures = 0, g_checks = 0;

}  // namespace

#define CHECK(cond, ...)                                                              \
  do {                                                                                \
    ++g_checks;                                                                       \
    if (!(cond) && ++g_failures <= 20) {                                              \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
      std::printf(__VA_ARGS__);                                                       \
      std::printf("\n");                                                              \
    }                                                                                 \
  } while (0)
