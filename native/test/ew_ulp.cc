// Max-ulp sweep of the vectorised float32 math (ew_math.h) against float64 libm, dense over the useful
// range of each function. Build and run once per ISA's flags, e.g.:
//   g++ -std=c++17 -O3 -fno-math-errno -fno-trapping-math -Inative/include native/test/ew_ulp.cc -o /tmp/ew_ulp && /tmp/ew_ulp
//   (add -mavx2 -mfma, or -mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma -mprefer-vector-width=512)
// Exit status 1 when any function exceeds its documented bound (elementwise.h).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace ulp_test {
#include "ew_math.h"
}  // namespace ulp_test

namespace {


// ulp distance measured in units of the float spacing at the reference value (normal range only).
double ulp_err(float got, double ref) {
  if (std::isnan(ref)) return std::isnan(got) ? 0 : 1e9;
  if (std::isinf(ref)) return (std::isinf(got) && (got > 0) == (ref > 0)) ? 0 : 1e9;
  double a = std::fabs(ref);
  if (a < 1.1754943508222875e-38) a = 1.1754943508222875e-38;  // denormal results: absolute in min-normal ulps
  int e;
  std::frexp(a, &e);
  double ulp = std::ldexp(1.0, e - 24);
  return std::fabs(double(got) - ref) / ulp;
}

double phi64(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double gelu64(double x) { return x * phi64(x); }
double gelu_grad64(double x) { return phi64(x) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI); }
// x·σ(2u): the textbook ½x(1+tanh u) cancels to 0 in double below x ≈ −6.
double gelu_tanh64(double x) { return x / (1 + std::exp(-1.5957691216057308 * (x + 0.044715 * x * x * x))); }
double sigmoid64(double x) { return 1 / (1 + std::exp(-x)); }


#define NG_APPLY(fn)                                                               \
  __attribute__((noinline)) void apply_##fn(const float* x, float* y, int n) {      \
    for (int i = 0; i < n; ++i) y[i] = ulp_test::fn(x[i]);                          \
  }
NG_APPLY(vm_exp) NG_APPLY(vm_log) NG_APPLY(vm_tanh) NG_APPLY(vm_sigmoid) NG_APPLY(vm_phi) NG_APPLY(vm_gelu)
NG_APPLY(vm_gelu_grad) NG_APPLY(vm_gelu_tanh)

struct VCase {
  const char* name;
  void (*apply)(const float*, float*, int);
  double (*ref)(double);
  float lo, hi;
  double bound;
};

}  // namespace

int main() {
  const VCase cases[] = {
      {"exp", apply_vm_exp, [](double x) { return std::exp(x); }, -87.3f, 88.7f, 2},
      {"exp (denormal out)", apply_vm_exp, [](double x) { return std::exp(x); }, -103.0f, -87.3f, 2},
      {"log", apply_vm_log, [](double x) { return std::log(x); }, 1e-37f, 1e4f, 2},
      {"log near 1", apply_vm_log, [](double x) { return std::log(x); }, 0.5f, 2.0f, 2},
      {"tanh", apply_vm_tanh, [](double x) { return std::tanh(x); }, -10.0f, 10.0f, 3},
      {"sigmoid", apply_vm_sigmoid, sigmoid64, -80.0f, 20.0f, 3},
      {"phi", apply_vm_phi, phi64, -12.9f, 8.0f, 4},
      {"gelu", apply_vm_gelu, gelu64, -12.9f, 10.0f, 5},
      {"gelu_grad (x>-0.5)", apply_vm_gelu_grad, gelu_grad64, -0.5f, 10.0f, 8},
      {"gelu_tanh (x>-3)", apply_vm_gelu_tanh, gelu_tanh64, -3.0f, 10.0f, 6},
      {"gelu_tanh (tail)", apply_vm_gelu_tanh, gelu_tanh64, -9.0f, -3.0f, 1e9},
  };
  const int N = 1 << 22;
  std::vector<float> x(N), y(N);
  int bad = 0;
  for (const VCase& c : cases) {
    for (int i = 0; i < N; ++i) x[i] = c.lo + (c.hi - c.lo) * (float(i) / float(N - 1));
    if (c.lo > 0) {  // log: sweep geometrically so every binade is covered
      double l0 = std::log(c.lo), l1 = std::log(c.hi);
      for (int i = 0; i < N; ++i) x[i] = float(std::exp(l0 + (l1 - l0) * i / (N - 1)));
    }
    c.apply(x.data(), y.data(), N);
    double worst = 0;
    float at = 0;
    for (int i = 0; i < N; ++i) {
      double e = ulp_err(y[i], c.ref(double(x[i])));
      if (e > worst) { worst = e; at = x[i]; }
    }
    bool ok = worst <= c.bound;
    std::printf("%-20s [%g, %g]  max %.2f ulp at x=%.9g%s\n", c.name, c.lo, c.hi, worst, at, ok ? "" : "  FAIL");
    bad += !ok;
  }
  const float sx[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -1.0f, 1e-45f};
  for (float v : sx) {
    std::printf("x=%-8g exp=%-10g log=%-10g tanh=%-6g sigmoid=%-10g gelu=%-10g\n", v, ulp_test::vm_exp(v),
                ulp_test::vm_log(v), ulp_test::vm_tanh(v), ulp_test::vm_sigmoid(v), ulp_test::vm_gelu(v));
  }
  return bad ? 1 : 0;
}
