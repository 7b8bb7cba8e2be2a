// Test helper: the xorshift64 generator ew_test.cc and nn_test.cc draw their inputs from.
#pragma once
#include <cstdint>

namespace ngtest {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint32_t next() {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    return uint32_t(s >> 11);
  }
  float uni(float lo, float hi) { return lo + (hi - lo) * float(next() & 0xFFFFFF) / float(0x1000000); }
};

}  // namespace ngtest
