// Element-wise / reduction / softmax / fused-loss / optimizer kernels vs a float64 reference, for every
// ISA table this CPU can run (ng::scalar, ng::avx2, ng::avx512 or ng::neon ::ew_kernels_table), on odd
// sizes (1, 7, 17, 33, 257, 100003) with exact-size heap buffers (ASan sees any overrun) and with
// misaligned views (+1 float). Built under ASan + UBSan by scripts/test-native.sh (npm run test:native).
//
// Tolerances: ops that are one IEEE operation per element (neg/abs/relu/scale/add/sub/mul/div/sqrt/
// max/min/copy) must be bit-exact (a float64 result rounded to float is the correctly rounded result);
// the vectorised math within its documented ulp bound (elementwise.h) or a small absolute error where
// the result crosses zero; sums within the float summation bound eps·(n/lanes + lanes)·Σ|x|.
// Also checks the threaded drivers (ng::ew_*) are bit-identical for 1 and 3 threads.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "elementwise.h"
#include "thread_pool.h"

#include "xorshift_rng.h"

namespace {

int g_fail = 0;
long g_checks = 0;

using ngtest::Rng;

double ulp_err(float got, double ref) {
  if (std::isnan(ref)) return std::isnan(got) ? 0 : 1e9;
  if (std::isinf(ref)) return (std::isinf(got) && (got > 0) == (ref > 0)) ? 0 : 1e9;
  if (std::isnan(got) || std::isinf(got)) return 1e9;
  double a = std::fabs(ref);
  if (a < 1.1754943508222875e-38) a = 1.1754943508222875e-38;
  int e;
  std::frexp(a, &e);
  return std::fabs(double(got) - ref) / std::ldexp(1.0, e - 24);
}

// Passes when within `ulps` or within `atol` absolute. ulps = 0 and atol = 0: bit-exact (NaN == NaN).
void check(const std::string& what, const float* got, const double* ref, int64_t n, double ulps, double atol) {
  ++g_checks;
  double worst = 0;
  int64_t at = -1;
  for (int64_t i = 0; i < n; ++i) {
    float r = float(ref[i]);
    bool ok;
    if (ulps == 0 && atol == 0) {
      ok = (std::isnan(r) && std::isnan(got[i])) || std::memcmp(&r, &got[i], 4) == 0;
      if (!ok && at < 0) at = i;
      continue;
    }
    double u = ulp_err(got[i], ref[i]);
    ok = u <= ulps || std::fabs(double(got[i]) - ref[i]) <= atol;
    if (!ok && u > worst) { worst = u; at = i; }
  }
  if (at >= 0) {
    if (g_fail < 40)
      std::printf("FAIL %s: n=%lld at %lld got %.9g ref %.12g (%.1f ulp)\n", what.c_str(), (long long)n,
                  (long long)at, double(got[at]), ref[at], ulp_err(got[at], ref[at]));
    ++g_fail;
  }
}

void check_abs(const std::string& what, const float* got, const double* ref, int64_t n, const double* tol) {
  ++g_checks;
  for (int64_t i = 0; i < n; ++i) {
    bool ok = std::fabs(double(got[i]) - ref[i]) <= tol[i] || (std::isnan(ref[i]) && std::isnan(got[i]));
    if (!ok) {
      if (g_fail < 40)
        std::printf("FAIL %s: n=%lld at %lld got %.9g ref %.12g tol %.3g\n", what.c_str(), (long long)n,
                    (long long)i, double(got[i]), ref[i], tol[i]);
      ++g_fail;
      return;
    }
  }
}

// float64 references (JS semantics where they differ from C).
double sig(double x) { return 1 / (1 + std::exp(-x)); }
double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double gelu(double x) { return x * phi(x); }
double gelu_g(double x) { return phi(x) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI); }
constexpr double kC2 = 1.5957691216057308;  // 2·sqrt(2/π)
double gelu_t(double x) { return x * sig(kC2 * (x + 0.044715 * x * x * x)); }
double gelu_t_g(double x) {
  double s = sig(kC2 * (x + 0.044715 * x * x * x));
  return s + x * s * (1 - s) * kC2 * (1 + 3 * 0.044715 * x * x);
}
double js_max(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? NAN : (a > b ? a : (b > a ? b : (a == 0 && b == 0 ? (std::signbit(a) && std::signbit(b) ? -0.0 : 0.0) : a))); }
double js_min(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? NAN : (a < b ? a : (b < a ? b : (a == 0 && b == 0 ? (std::signbit(a) || std::signbit(b) ? -0.0 : 0.0) : a))); }

struct Table {
  const char* name;
  const ng::EwKernels* k;
};

const int64_t kSizes[] = {1, 7, 17, 33, 257, 100003};

// Buffer of exactly n floats; `shift` = 1 gives a view misaligned by 4 bytes into an n+1 allocation.
struct Buf {
  std::vector<float> v;
  float* p;
  Buf(int64_t n, int shift) : v(size_t(n + shift)), p(v.data() + shift) {}
};

struct UnaryCase {
  int op;
  const char* name;
  float lo, hi, alpha;
  double (*f)(double, double);      // f(x, alpha)
  double (*df)(double, double, double);  // df(x, y(float, as given), alpha) = f'(x) (or in terms of y)
  double ulps, atol, bulps, batol;
};

void test_unary(const Table& t, int64_t n, int shift, Rng& rng) {
  const UnaryCase cases[] = {
      {ng::kNeg, "neg", -5, 5, 0, [](double x, double) { return -x; }, [](double, double, double) { return -1.0; }, 0, 0, 0, 0},
      {ng::kExp, "exp", -20, 20, 0, [](double x, double) { return std::exp(x); }, [](double, double y, double) { return y; }, 2, 0, 0, 0},
      {ng::kLog, "log", 1e-6f, 1e4f, 0, [](double x, double) { return std::log(x); }, [](double x, double, double) { return 1 / x; }, 2, 0, 1, 0},
      {ng::kSqrt, "sqrt", 0, 100, 0, [](double x, double) { return std::sqrt(x); }, [](double, double y, double) { return 0.5 / y; }, 0, 0, 1.5, 0},
      {ng::kAbs, "abs", -5, 5, 0, [](double x, double) { return std::fabs(x); }, [](double x, double, double) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }, 0, 0, 0, 0},
      {ng::kRelu, "relu", -5, 5, 0, [](double x, double) { return x > 0 ? x : 0.0; }, [](double x, double, double) { return x > 0 ? 1.0 : 0.0; }, 0, 0, 0, 0},
      {ng::kSigmoid, "sigmoid", -30, 20, 0, [](double x, double) { return sig(x); }, [](double, double y, double) { return y * (1 - y); }, 3, 0, 2, 0},
      {ng::kTanh, "tanh", -10, 10, 0, [](double x, double) { return std::tanh(x); }, [](double, double y, double) { return (1 - y) * (1 + y); }, 3, 0, 2, 0},
      {ng::kGelu, "gelu", -8, 8, 0, [](double x, double) { return gelu(x); }, [](double x, double, double) { return gelu_g(x); }, 5, 1e-7, 8, 2e-7},
      {ng::kGeluTanh, "geluTanh", -3, 8, 0, [](double x, double) { return gelu_t(x); }, [](double x, double, double) { return gelu_t_g(x); }, 8, 2e-7, 32, 2e-6},
      {ng::kLeakyRelu, "leakyRelu", -5, 5, 0.01f, [](double x, double a) { return x > 0 ? x : double(float(a * x)); }, [](double x, double, double a) { return x > 0 ? 1.0 : a; }, 0, 0, 1, 0},
      {ng::kPowScalar, "pow3", 0.1f, 4, 3.0f, [](double x, double a) { return std::pow(x, a); }, [](double x, double, double a) { return a * std::pow(x, a - 1); }, 2, 0, 3, 0},
      {ng::kPowScalar, "pow2", -4, 4, 2.0f, [](double x, double a) { return std::pow(x, a); }, [](double x, double, double a) { return a * x; }, 0, 0, 1, 0},
      {ng::kPowScalar, "pow0.5", 0.1f, 4, 0.5f, [](double x, double a) { return std::pow(x, a); }, [](double x, double, double a) { return a * std::pow(x, a - 1); }, 2, 0, 3, 0},
      {ng::kScale, "scale", -5, 5, 0.37f, [](double x, double a) { return x * a; }, [](double, double, double a) { return a; }, 0, 0, 0, 0},
      {ng::kAddScalar, "addScalar", -5, 5, 1.25f, [](double x, double a) { return x + a; }, [](double, double, double) { return 1.0; }, 0, 0, 0, 0},
      {ng::kReciprocal, "reciprocal", 0.1f, 10, 0, [](double x, double) { return 1 / x; }, [](double, double y, double) { return -y * y; }, 0, 0, 2, 0},
      {ng::kSquare, "square", -5, 5, 0, [](double x, double) { return x * x; }, [](double x, double, double) { return 2 * x; }, 0, 0, 0, 0},
  };
  for (const UnaryCase& c : cases) {
    std::string tag = std::string(t.name) + " unary " + c.name + (shift ? " (misaligned)" : "");
    Buf x(n, shift), y(n, shift), dy(n, shift), dx(n, shift);
    std::vector<double> ref(n), yref(n);
    for (int64_t i = 0; i < n; ++i) {
      x.p[i] = rng.uni(c.lo, c.hi);
      dy.p[i] = rng.uni(-2, 2);
    }
    if (c.op == ng::kRelu || c.op == ng::kAbs || c.op == ng::kLeakyRelu) x.p[0] = 0.0f;  // kink
    for (int64_t i = 0; i < n; ++i) ref[i] = c.f(x.p[i], c.alpha);
    t.k->unary(c.op, x.p, y.p, n, c.alpha);
    check(tag, y.p, ref.data(), n, c.ulps, c.atol);
    // Backward: y given as the correctly rounded forward value, so only the backward kernel is measured.
    for (int64_t i = 0; i < n; ++i) y.p[i] = float(ref[i]);
    std::vector<double> dref(n);
    for (int64_t i = 0; i < n; ++i) dref[i] = double(dy.p[i]) * c.df(x.p[i], y.p[i], c.alpha);
    t.k->unary_backward(c.op, x.p, y.p, dy.p, dx.p, n, c.alpha);
    // exact ops still round twice (dy·f' then ·): allow 1 ulp unless the case says 0 and it is one multiply
    double bu = c.bulps, ba = c.batol;
    if (c.op == ng::kSquare || c.op == ng::kPowScalar) bu = bu < 1 ? 1 : bu;
    if (bu < 0.5) bu = 0.5;  // not bitwise: relu'/abs' give +0 where dy·0 would be −0 (PyTorch does too)
    check(tag + " backward", dx.p, dref.data(), n, bu, ba);
    // In place (out aliases x).
    for (int64_t i = 0; i < n; ++i) y.p[i] = x.p[i];
    t.k->unary(c.op, y.p, y.p, n, c.alpha);
    check(tag + " in-place", y.p, ref.data(), n, c.ulps, c.atol);
  }
}

void test_binary(const Table& t, int64_t n, int shift, Rng& rng) {
  const char* names[] = {"add", "sub", "mul", "div", "pow", "max", "min", "atan2"};
  static_assert(sizeof names / sizeof names[0] == ng::kBinaryOpCount, "a name per binary op");
  struct Str { int64_t as, bs; };
  const Str strides[] = {{1, 1}, {1, 0}, {0, 1}, {2, 3}};
  for (int op = 0; op < ng::kBinaryOpCount; ++op) {
    for (const Str& s : strides) {
      int64_t na = s.as ? (n - 1) * s.as + 1 : 1, nb = s.bs ? (n - 1) * s.bs + 1 : 1;
      Buf a(na, shift), b(nb, shift), out(n, shift);
      for (int64_t i = 0; i < na; ++i) a.p[i] = op == ng::kPow ? rng.uni(0.2f, 3) : rng.uni(-4, 4);
      for (int64_t i = 0; i < nb; ++i) b.p[i] = op == ng::kPow ? rng.uni(-3, 3) : rng.uni(-4, 4);
      if (op == ng::kDiv)
        for (int64_t i = 0; i < nb; ++i) if (std::fabs(b.p[i]) < 0.05f) b.p[i] = 0.5f;
      if ((op == ng::kMax || op == ng::kMin) && n > 3 && s.as && s.bs) {  // JS: NaN wins; signed zeros
        a.p[0] = NAN; b.p[s.bs] = NAN; a.p[2 * s.as] = -0.0f; b.p[2 * s.bs] = 0.0f;
      }
      std::vector<double> ref(n);
      for (int64_t i = 0; i < n; ++i) {
        double u = a.p[i * s.as], v = b.p[i * s.bs];
        switch (op) {
          case ng::kAdd: ref[i] = u + v; break;
          case ng::kSub: ref[i] = u - v; break;
          case ng::kMul: ref[i] = u * v; break;
          case ng::kDiv: ref[i] = u / v; break;
          case ng::kPow: ref[i] = std::pow(u, v); break;
          case ng::kMax: ref[i] = js_max(u, v); break;
          case ng::kMin: ref[i] = js_min(u, v); break;
          case ng::kAtan2: ref[i] = std::atan2(u, v); break;
        }
      }
      t.k->binary_run(op, a.p, s.as, b.p, s.bs, out.p, n);
      char tag[128];
      std::snprintf(tag, sizeof tag, "%s binary %s strides(%lld,%lld)%s", t.name, names[op], (long long)s.as,
                    (long long)s.bs, shift ? " (misaligned)" : "");
      check(tag, out.p, ref.data(), n, op == ng::kPow ? 2 : 0, 0);
    }
  }
  // copy_run: plain, broadcast source, strided destination, accumulate.
  for (int acc = 0; acc < 2; ++acc) {
    const Str cs[] = {{1, 1}, {0, 1}, {3, 2}};
    for (const Str& s : cs) {
      int64_t ns = s.as ? (n - 1) * s.as + 1 : 1, nd = (n - 1) * s.bs + 1;
      Buf src(ns, shift), dst(nd, shift);
      for (int64_t i = 0; i < ns; ++i) src.p[i] = rng.uni(-4, 4);
      for (int64_t i = 0; i < nd; ++i) dst.p[i] = rng.uni(-4, 4);
      std::vector<double> ref(nd);
      for (int64_t i = 0; i < nd; ++i) ref[i] = dst.p[i];
      for (int64_t i = 0; i < n; ++i) ref[i * s.bs] = acc ? double(dst.p[i * s.bs]) + src.p[i * s.as] : src.p[i * s.as];
      t.k->copy_run(src.p, s.as, dst.p, s.bs, n, acc != 0);
      char tag[128];
      std::snprintf(tag, sizeof tag, "%s copy%s ss=%lld ds=%lld", t.name, acc ? "+=" : "", (long long)s.as, (long long)s.bs);
      check(tag, dst.p, ref.data(), nd, 0, 0);
    }
  }
}

double sum_tol(int64_t n, double abs_sum) { return 6e-8 * (double(n) / 32 + 40) * abs_sum + 1e-30; }

void test_reduce(const Table& t, int64_t n, int shift, Rng& rng) {
  const char* names[] = {"sum", "mean", "max", "min", "argmax", "argmin", "sumSquares"};
  static_assert(sizeof names / sizeof names[0] == ng::kReduceOpCount, "a name per reduce op");
  Buf x(n, shift);
  for (int64_t i = 0; i < n; ++i) x.p[i] = rng.uni(-3, 3);
  if (n > 5) { x.p[n / 2] = 7.5f; x.p[n - 1] = 7.5f; x.p[1] = -7.5f; x.p[3] = -7.5f; }  // ties: first wins
  for (int op = 0; op < ng::kReduceOpCount; ++op) {
    double s = 0, sa = 0, ss = 0;
    int64_t imax = 0, imin = 0;
    for (int64_t i = 0; i < n; ++i) {
      s += x.p[i]; sa += std::fabs(x.p[i]); ss += double(x.p[i]) * x.p[i];
      if (x.p[i] > x.p[imax]) imax = i;
      if (x.p[i] < x.p[imin]) imin = i;
    }
    double ref = 0, tol = 0;
    switch (op) {
      case ng::kSum: ref = s; tol = sum_tol(n, sa); break;
      case ng::kMean: ref = s / n; tol = sum_tol(n, sa) / n + 1e-7 * std::fabs(ref); break;
      case ng::kRMax: ref = x.p[imax]; break;
      case ng::kRMin: ref = x.p[imin]; break;
      case ng::kArgmax: ref = double(imax); break;
      case ng::kArgmin: ref = double(imin); break;
      case ng::kSumSquares: ref = ss; tol = sum_tol(n, ss) * 2; break;
    }
    float got = t.k->reduce_contig(op, x.p, n);
    std::string tag = std::string(t.name) + " reduce_contig " + names[op] + (shift ? " (misaligned)" : "");
    check_abs(tag, &got, &ref, 1, &tol);
  }
  // Strided: [rows = n, inner] slab, reduce along rows for `width` columns (width <= 512).
  const int64_t inner = 11, width = 9;
  int64_t rows = n;
  Buf xs(rows * inner, shift), out(width, shift);
  for (int64_t i = 0; i < rows * inner; ++i) xs.p[i] = rng.uni(-3, 3);
  for (int op = 0; op < ng::kReduceOpCount; ++op) {
    std::vector<double> ref(width), tol(width);
    for (int64_t c = 0; c < width; ++c) {
      double s = 0, sa = 0, ss = 0;
      int64_t imax = 0, imin = 0;
      for (int64_t j = 0; j < rows; ++j) {
        float v = xs.p[j * inner + c];
        s += v; sa += std::fabs(v); ss += double(v) * v;
        if (v > xs.p[imax * inner + c]) imax = j;
        if (v < xs.p[imin * inner + c]) imin = j;
      }
      double sum_t = 6e-8 * (double(rows) + 2) * sa;  // sequential sum along rows
      switch (op) {
        case ng::kSum: ref[c] = s; tol[c] = sum_t; break;
        case ng::kMean: ref[c] = s / rows; tol[c] = sum_t / rows + 1e-7 * std::fabs(ref[c]); break;
        case ng::kRMax: ref[c] = xs.p[imax * inner + c]; break;
        case ng::kRMin: ref[c] = xs.p[imin * inner + c]; break;
        case ng::kArgmax: ref[c] = double(imax); break;
        case ng::kArgmin: ref[c] = double(imin); break;
        case ng::kSumSquares: ref[c] = ss; tol[c] = 6e-8 * (double(rows) + 2) * ss * 2; break;
      }
    }
    t.k->reduce_strided(op, xs.p, out.p, rows, inner, width);
    std::string tag = std::string(t.name) + " reduce_strided " + names[op];
    check_abs(tag, out.p, ref.data(), width, tol.data());
  }
}

void softmax_ref(const float* x, int64_t n, int64_t stride, bool log, double* out) {
  double m = -INFINITY;
  for (int64_t k = 0; k < n; ++k) m = std::max(m, double(x[k * stride]));
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += std::exp(double(x[k * stride]) - m);
  for (int64_t k = 0; k < n; ++k)
    out[k] = log ? double(x[k * stride]) - m - std::log(s) : std::exp(double(x[k * stride]) - m) / s;
}

void test_softmax(const Table& t, int64_t n, int shift, Rng& rng) {
  const double rel = 4e-6 + 6e-8 * std::sqrt(double(n)) * 8;  // sum of n exps: grows with n
  for (int log = 0; log < 2; ++log) {
    std::string tag = std::string(t.name) + (log ? " logSoftmax" : " softmax") + (shift ? " (misaligned)" : "");
    Buf x(n, shift), y(n, shift), dy(n, shift), dx(n, shift);
    for (int64_t i = 0; i < n; ++i) { x.p[i] = rng.uni(-8, 8); dy.p[i] = rng.uni(-1, 1); }
    std::vector<double> ref(n), tol(n);
    softmax_ref(x.p, n, 1, log, ref.data());
    for (int64_t i = 0; i < n; ++i) tol[i] = log ? rel * (1 + std::fabs(ref[i])) : rel * std::fabs(ref[i]) + 1e-12;
    t.k->softmax_row(x.p, y.p, n, log != 0);
    check_abs(tag + " row", y.p, ref.data(), n, tol.data());
    // backward with y = correctly rounded forward
    for (int64_t i = 0; i < n; ++i) y.p[i] = float(ref[i]);
    double s = 0, sa = 0;
    for (int64_t i = 0; i < n; ++i) {
      double term = log ? double(dy.p[i]) : double(dy.p[i]) * y.p[i];
      s += term; sa += std::fabs(term);
    }
    std::vector<double> dref(n), dtol(n);
    for (int64_t i = 0; i < n; ++i) {
      dref[i] = log ? dy.p[i] - std::exp(double(y.p[i])) * s : y.p[i] * (dy.p[i] - s);
      double ts = sum_tol(n, sa);
      dtol[i] = log ? 4e-7 * (std::fabs(dy.p[i]) + std::exp(double(y.p[i])) * (std::fabs(s) + ts)) + std::exp(double(y.p[i])) * ts
                    : 4e-7 * std::fabs(y.p[i]) * (std::fabs(dy.p[i]) + std::fabs(s)) + std::fabs(y.p[i]) * ts;
      dtol[i] += 1e-30;
    }
    t.k->softmax_backward_row(y.p, dy.p, dx.p, n, log != 0);
    check_abs(tag + " backward row", dx.p, dref.data(), n, dtol.data());
    // in place
    for (int64_t i = 0; i < n; ++i) y.p[i] = x.p[i];
    t.k->softmax_row(y.p, y.p, n, log != 0);
    check_abs(tag + " row in-place", y.p, ref.data(), n, tol.data());

    // Strided over `rows = n` with inner 5, width 3 (softmax along the strided axis).
    const int64_t inner = 5, width = 3;
    Buf xs(n * inner, shift), ys(n * inner, shift), dys(n * inner, shift), dxs(n * inner, shift);
    for (int64_t i = 0; i < n * inner; ++i) { xs.p[i] = rng.uni(-8, 8); dys.p[i] = rng.uni(-1, 1); }
    std::vector<double> r2(n * inner, 0.0), t2(n * inner, 1e30), col(n);
    for (int64_t c = 0; c < width; ++c) {
      softmax_ref(xs.p + c, n, inner, log, col.data());
      for (int64_t j = 0; j < n; ++j) {
        r2[j * inner + c] = col[j];
        t2[j * inner + c] = log ? rel * (1 + std::fabs(col[j])) + 6e-8 * n * 1e-1 : rel * std::fabs(col[j]) + 1e-12 + 6e-8 * n * std::fabs(col[j]) * 0.5;
      }
    }
    for (int64_t i = 0; i < n * inner; ++i) ys.p[i] = 0.0f;
    t.k->softmax_strided(xs.p, ys.p, n, inner, width, log != 0);
    for (int64_t i = 0; i < n * inner; ++i) if (i % inner >= width) ys.p[i] = 0.0f;  // untouched columns
    check_abs(tag + " strided", ys.p, r2.data(), n * inner, t2.data());
    for (int64_t i = 0; i < n * inner; ++i) ys.p[i] = float(r2[i]);
    std::vector<double> d2(n * inner, 0.0), dt2(n * inner, 1e30);
    for (int64_t c = 0; c < width; ++c) {
      double s2 = 0, sa2 = 0;
      for (int64_t j = 0; j < n; ++j) {
        int64_t i = j * inner + c;
        double term = log ? double(dys.p[i]) : double(dys.p[i]) * ys.p[i];
        s2 += term; sa2 += std::fabs(term);
      }
      double ts = 6e-8 * (double(n) + 2) * sa2;
      for (int64_t j = 0; j < n; ++j) {
        int64_t i = j * inner + c;
        double e = log ? std::exp(double(ys.p[i])) : std::fabs(ys.p[i]);
        d2[i] = log ? dys.p[i] - std::exp(double(ys.p[i])) * s2 : ys.p[i] * (dys.p[i] - s2);
        dt2[i] = 4e-7 * (std::fabs(dys.p[i]) + e * std::fabs(s2)) * (log ? 1 : std::fabs(ys.p[i]) + 1) + e * ts + 1e-30;
      }
    }
    for (int64_t i = 0; i < n * inner; ++i) dxs.p[i] = 0.0f;
    t.k->softmax_backward_strided(ys.p, dys.p, dxs.p, n, inner, width, log != 0);
    for (int64_t i = 0; i < n * inner; ++i) if (i % inner >= width) dxs.p[i] = 0.0f;
    check_abs(tag + " backward strided", dxs.p, d2.data(), n * inner, dt2.data());
  }
}

void test_xent(const Table& t, int64_t n, int shift, Rng& rng) {
  const float scale = 0.125f;
  const int32_t labels[] = {0, int32_t(n - 1), int32_t(n / 2)};
  for (int32_t label : labels) {
    Buf x(n, shift), d(n, shift);
    for (int64_t i = 0; i < n; ++i) x.p[i] = rng.uni(-10, 10);
    std::vector<double> sm(n), dref(n), dtol(n);
    softmax_ref(x.p, n, 1, false, sm.data());
    double m = -INFINITY, s = 0;
    for (int64_t k = 0; k < n; ++k) m = std::max(m, double(x.p[k]));
    for (int64_t k = 0; k < n; ++k) s += std::exp(double(x.p[k]) - m);
    double loss = m + std::log(s) - x.p[label];
    const double rel = 4e-6 + 6e-8 * std::sqrt(double(n)) * 8;
    for (int64_t k = 0; k < n; ++k) {
      dref[k] = scale * (sm[k] - (k == label ? 1.0 : 0.0));
      dtol[k] = scale * (rel * sm[k] + (k == label ? 1.2e-7 : 0.0)) + 1e-12;  // label: 1 − p rounds at 1
    }
    double ltol = rel * (std::fabs(m) + std::fabs(std::log(s)) + std::fabs(x.p[label]) + 1);
    std::string tag = std::string(t.name) + " softmaxXent n=" + std::to_string(n) + " label=" + std::to_string(label);
    float got = t.k->softmax_xent_row(x.p, label, d.p, n, scale);
    check_abs(tag + " loss", &got, &loss, 1, &ltol);
    check_abs(tag + " dlogits", d.p, dref.data(), n, dtol.data());
    float got2 = t.k->softmax_xent_row(x.p, label, nullptr, n, scale);  // loss only
    check_abs(tag + " loss (no grad)", &got2, &loss, 1, &ltol);
    // dlogits aliasing the logits (the driver allows it)
    for (int64_t i = 0; i < n; ++i) d.p[i] = x.p[i];
    float got3 = t.k->softmax_xent_row(d.p, label, d.p, n, scale);
    check_abs(tag + " loss (aliased)", &got3, &loss, 1, &ltol);
    check_abs(tag + " dlogits (aliased)", d.p, dref.data(), n, dtol.data());
  }
}

void test_optim(const Table& t, int64_t n, int shift, Rng& rng) {
  Buf p(n, shift), g(n, shift), s1(n, shift), s2(n, shift);
  std::vector<double> P(n), S1(n), S2(n);
  auto init = [&] {
    for (int64_t i = 0; i < n; ++i) {
      p.p[i] = rng.uni(-1, 1); s1.p[i] = 0; s2.p[i] = 0;
      P[i] = p.p[i]; S1[i] = 0; S2[i] = 0;
    }
  };
  auto grads = [&] { for (int64_t i = 0; i < n; ++i) g.p[i] = rng.uni(-1, 1); };
  // Compare the float state to a float64 replay of the same formulas from the same float inputs each step
  // (re-synced after each step, so the tolerance is per step).
  auto cmp = [&](const std::string& tag, double scale) {
    std::vector<double> tol(n, 0.0);
    for (int64_t i = 0; i < n; ++i) tol[i] = 4e-7 * (std::fabs(P[i]) + scale) + 1e-9;
    check_abs(tag + " p", p.p, P.data(), n, tol.data());
    for (int64_t i = 0; i < n; ++i) { P[i] = p.p[i]; S1[i] = s1.p[i]; S2[i] = s2.p[i]; }
  };
  // Adam / AdamW
  for (int decoupled = 0; decoupled < 2; ++decoupled) {
    init();
    const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
    for (int step = 1; step <= 3; ++step) {
      grads();
      ng::AdamConsts c;
      c.beta1 = float(b1); c.beta2 = float(b2); c.one_minus_beta1 = float(1 - b1); c.one_minus_beta2 = float(1 - b2);
      c.eps = float(eps); c.weight_decay = float(wd); c.step_size = float(lr / (1 - std::pow(b1, step)));
      c.inv_bc2_sqrt = float(1 / std::sqrt(1 - std::pow(b2, step))); c.decay_factor = float(1 - lr * wd); c.decoupled = decoupled;
      std::vector<double> mt(n);
      for (int64_t i = 0; i < n; ++i) {
        double pi = P[i] * (decoupled ? double(c.decay_factor) : 1.0);
        double gi = g.p[i] + (decoupled ? 0.0 : double(c.weight_decay)) * pi;
        double mi = double(c.beta1) * S1[i] + double(c.one_minus_beta1) * gi;
        double vi = double(c.beta2) * S2[i] + double(c.one_minus_beta2) * gi * gi;
        mt[i] = 3e-7 * (std::fabs(double(c.beta1) * S1[i]) + double(c.one_minus_beta1) * (std::fabs(g.p[i]) + std::fabs(double(c.weight_decay) * pi))) + 1e-12;
        S1[i] = mi; S2[i] = vi;
        P[i] = pi - double(c.step_size) * (mi / (std::sqrt(vi) * double(c.inv_bc2_sqrt) + double(c.eps)));
      }
      t.k->adam(p.p, g.p, s1.p, s2.p, n, c);
      check_abs(std::string(t.name) + (decoupled ? " adamw m" : " adam m"), s1.p, S1.data(), n, mt.data());
      cmp(std::string(t.name) + (decoupled ? " adamw" : " adam") + " step " + std::to_string(step), 4 * lr);
    }
  }
  // SGD: plain, momentum, nesterov
  for (int variant = 0; variant < 3; ++variant) {
    init();
    for (int step = 1; step <= 3; ++step) {
      grads();
      ng::SgdConsts c;
      c.lr = 0.05f; c.momentum = variant ? 0.9f : 0.0f; c.one_minus_dampening = 0.9f; c.weight_decay = 1e-3f;
      c.nesterov = variant == 2; c.first_step = step == 1; c.has_momentum = variant != 0;
      for (int64_t i = 0; i < n; ++i) {
        double gi = g.p[i] + double(c.weight_decay) * P[i];
        if (!c.has_momentum) { P[i] -= double(c.lr) * gi; continue; }
        double b = c.first_step ? gi : double(c.momentum) * S1[i] + double(c.one_minus_dampening) * gi;
        S1[i] = b;
        P[i] -= double(c.lr) * (c.nesterov ? gi + double(c.momentum) * b : b);
      }
      t.k->sgd(p.p, g.p, s1.p, n, c);
      cmp(std::string(t.name) + " sgd variant " + std::to_string(variant) + " step " + std::to_string(step), 0.2);
    }
  }
  // RMSprop with and without momentum
  for (int mom = 0; mom < 2; ++mom) {
    init();
    for (int step = 1; step <= 3; ++step) {
      grads();
      ng::RmspropConsts c;
      c.lr = 1e-2f; c.alpha = 0.99f; c.one_minus_alpha = 1 - 0.99f; c.eps = 1e-8f; c.weight_decay = 1e-3f;
      c.momentum = mom ? 0.9f : 0.0f; c.has_momentum = mom;
      for (int64_t i = 0; i < n; ++i) {
        double gi = g.p[i] + double(c.weight_decay) * P[i];
        double s = double(c.alpha) * S1[i] + double(c.one_minus_alpha) * gi * gi;
        S1[i] = s;
        double avg = std::sqrt(s) + double(c.eps);
        if (mom) { double b = double(c.momentum) * S2[i] + gi / avg; S2[i] = b; P[i] -= double(c.lr) * b; }
        else P[i] -= double(c.lr) * (gi / avg);
      }
      t.k->rmsprop(p.p, g.p, s1.p, s2.p, n, c);
      cmp(std::string(t.name) + " rmsprop mom=" + std::to_string(mom) + " step " + std::to_string(step), 0.5);
    }
  }
  // Adam edge cases of the reciprocal path: g² overflows so v = +inf → the update is m/inf = 0 (p
  // unchanged, as with a true division); a NaN gradient leaves NaN in p; zero gradient with zero state
  // leaves p unchanged.
  {
    init();
    for (int64_t i = 0; i < n; ++i) g.p[i] = i % 3 == 0 ? 1e30f : (i % 3 == 1 ? 0.0f : std::nanf(""));
    std::vector<float> before(p.p, p.p + n);
    ng::AdamConsts c;
    c.beta1 = 0.9f; c.beta2 = 0.999f; c.one_minus_beta1 = 0.1f; c.one_minus_beta2 = 0.001f; c.eps = 1e-8f;
    c.weight_decay = 0; c.step_size = 1e-2f; c.inv_bc2_sqrt = 1.0f / std::sqrt(0.001f); c.decay_factor = 1; c.decoupled = false;
    t.k->adam(p.p, g.p, s1.p, s2.p, n, c);
    for (int64_t i = 0; i < n; ++i) {
      bool ok = i % 3 == 2 ? std::isnan(p.p[i]) : p.p[i] == before[size_t(i)];
      if (!ok) {
        ++g_fail;
        std::printf("FAIL %s adam edge case i=%lld g=%g: p %g -> %g\n", t.name, (long long)i, double(g.p[i]),
                    double(before[size_t(i)]), double(p.p[i]));
        break;
      }
      ++g_checks;
    }
  }
}

// Threaded drivers: bit-identical for 1 and 3 threads (chunks never split a reduced axis).
void test_driver_threads() {
  const int64_t n = 300007;
  Rng rng(99);
  std::vector<float> x(n), y1(n), y3(n);
  for (auto& v : x) v = rng.uni(-5, 5);
  int bad = 0;
  for (int op = 0; op < ng::kUnaryOpCount; ++op) {
    if (op == ng::kLog || op == ng::kSqrt) continue;
    ng::set_num_threads(1);
    ng::ew_unary(op, x.data(), y1.data(), n, 0.5f);
    ng::set_num_threads(3);
    ng::ew_unary(op, x.data(), y3.data(), n, 0.5f);
    bad += std::memcmp(y1.data(), y3.data(), n * 4) != 0;
  }
  const int64_t outer = 1031, cls = 293;
  std::vector<float> logits(outer * cls), l1(outer), l3(outer), d1(outer * cls), d3(outer * cls);
  std::vector<int32_t> lab(outer);
  for (auto& v : logits) v = rng.uni(-6, 6);
  for (int64_t i = 0; i < outer; ++i) lab[i] = int32_t(rng.next() % cls);
  ng::set_num_threads(1);
  ng::ew_softmax_xent(logits.data(), lab.data(), l1.data(), d1.data(), outer, cls, 1.0f / outer);
  ng::ew_reduce(ng::kSum, logits.data(), y1.data(), outer, cls, 1);
  ng::set_num_threads(3);
  ng::ew_softmax_xent(logits.data(), lab.data(), l3.data(), d3.data(), outer, cls, 1.0f / outer);
  ng::ew_reduce(ng::kSum, logits.data(), y3.data(), outer, cls, 1);
  bad += std::memcmp(l1.data(), l3.data(), outer * 4) != 0;
  bad += std::memcmp(d1.data(), d3.data(), outer * cls * 4) != 0;
  bad += std::memcmp(y1.data(), y3.data(), outer * 4) != 0;
  ++g_checks;
  if (bad) { std::printf("FAIL drivers: %d results differ between 1 and 3 threads\n", bad); ++g_fail; }
  ng::set_num_threads(2);
}

}  // namespace

int main() {
  std::vector<Table> tables = {{"scalar", &ng::scalar::ew_kernels_table}};
#if defined(NG_HAVE_X86_KERNELS)
  if (ng::isa_supported(ng::Isa::avx2)) tables.push_back({"avx2", &ng::avx2::ew_kernels_table});
  if (ng::isa_supported(ng::Isa::avx512)) tables.push_back({"avx512", &ng::avx512::ew_kernels_table});
#elif defined(NG_HAVE_NEON_KERNELS)
  tables.push_back({"neon", &ng::neon::ew_kernels_table});
#endif
  for (const Table& t : tables) {
    int before = g_fail;
    long checks_before = g_checks;
    Rng rng(7);
    for (int64_t n : kSizes) {
      for (int shift = 0; shift < 2; ++shift) {
        if (shift && n == 100003) continue;  // the misaligned pass on the small sizes covers the tails
        test_unary(t, n, shift, rng);
        test_binary(t, n, shift, rng);
        test_reduce(t, n, shift, rng);
        test_softmax(t, n, shift, rng);
        test_xent(t, n, shift, rng);
        test_optim(t, n, shift, rng);
      }
    }
    std::printf("ew_test %-7s %5ld checks, %d failures\n", t.name, g_checks - checks_before, g_fail - before);
  }
  test_driver_threads();
  std::printf("ew_test: %zu ISA tables, %ld checks, %d failures\n%s\n", tables.size(), g_checks, g_fail,
              g_fail ? "FAIL" : "PASS");
  return g_fail ? 1 : 0;
}
