// Convolution / pooling / batch-norm kernel tests (no N-API), run under ASan/UBSan by
// scripts/test-native.sh: random geometries (sizes 1, 2, 7, 17; strides up to 3; padding up to
// 3, also larger than the kernel; dilation 1–3; pointwise 1×1) against naive double-precision
// loops, on 1 and 2 threads, with guard-padded buffers so any out-of-bounds write shows up.
// Exit code = failures.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <tuple>
#include <vector>

#include "conv.h"
#include "guarded_workspace.h"
#include "thread_pool.h"

#include "check_macro.h"

namespace {

uint32_t g_state = 0x9e3779b9u;
uint32_t next_u32() {  // mulberry32
  uint32_t t = (g_state += 0x6D2B79F5u);
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return t ^ (t >> 14);
}
float uniform(float lo, float hi) { return lo + (hi - lo) * float(next_u32() >> 8) / 16777216.0f; }
int pick(std::initializer_list<int> v) { return v.begin()[next_u32() % v.size()]; }

void check_close(const char* what, const float* got, const std::vector<double>& want, double tol, int iter) {
  for (size_t i = 0; i < want.size(); ++i) {
    ++g_checks;
    const bool ok = std::isinf(want[i]) ? double(got[i]) == want[i]
                                        : std::fabs(double(got[i]) - want[i]) <= tol * (1.0 + std::fabs(want[i]));
    if (!ok) {
      if (++g_failures <= 20) {
        std::printf("FAIL %s (case %d) element %zu: got %g, want %g\n", what, iter, i, double(got[i]), want[i]);
      }
      return;
    }
  }
}

constexpr float kGuard = 12345.0f;
constexpr int kPad = 16;
// A buffer with guard values on both sides; data() points past the front guard.
struct Buf {
  std::vector<float> v;
  explicit Buf(int64_t n, float fill = std::numeric_limits<float>::quiet_NaN()) : v(size_t(n + 2 * kPad), kGuard) {
    for (int64_t i = 0; i < n; ++i) v[size_t(kPad + i)] = fill;
  }
  float* data() { return v.data() + kPad; }
  void check_guards(const char* what) {
    for (int i = 0; i < kPad; ++i) {
      ++g_checks;
      if (v[size_t(i)] != kGuard || v[v.size() - 1 - size_t(i)] != kGuard) {
        if (++g_failures <= 20) std::printf("FAIL %s: guard overwritten\n", what);
        return;
      }
    }
  }
};
Buf random_buf(int64_t n) {
  Buf b(n);
  for (int64_t i = 0; i < n; ++i) b.data()[i] = uniform(-1, 1);
  return b;
}

int64_t at_x(const ng::ConvGeom& g, int64_t n, int64_t c, int64_t ih, int64_t iw) {
  return ((n * g.c + c) * g.h + ih) * g.w + iw;
}

void test_conv(int iter, const ng::ConvGeom& g) {
  const int64_t nx = g.n * g.c * g.h * g.w, nw = g.oc * g.c * g.kh * g.kw, P = g.oh * g.ow;
  const int64_t nout = g.n * g.oc * P;
  Buf x = random_buf(nx), w = random_buf(nw), b = random_buf(g.oc), dout = random_buf(nout);
  auto zeros = [](int64_t n) { return std::vector<double>(static_cast<size_t>(n), 0.0); };
  std::vector<double> out = zeros(nout), dx = zeros(nx), dw = zeros(nw), db = zeros(g.oc);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.oc; ++o)
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const int64_t k = (n * g.oc + o) * P + oh * g.ow + ow;
          double s = b.data()[o];
          db[size_t(o)] += dout.data()[k];
          for (int64_t c = 0; c < g.c; ++c)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const int64_t wi = ((o * g.c + c) * g.kh + i) * g.kw + j, xi = at_x(g, n, c, ih, iw);
                s += double(w.data()[wi]) * x.data()[xi];
                dx[size_t(xi)] += double(w.data()[wi]) * dout.data()[k];
                dw[size_t(wi)] += double(x.data()[xi]) * dout.data()[k];
              }
          out[size_t(k)] = s;
        }
  Buf o(nout), gx(nx), gw(nw), gb(g.oc);
  // Each call in exactly the workspace its plan asks for, canaries after every part.
  {
    const ng::ConvPlan plan = ng::conv2d_forward_plan(g);
    ngtest::GuardedWorkspace ws(plan.need());
    ng::conv2d_forward(o.data(), x.data(), w.data(), b.data(), g, plan, ws.ws());
    CHECK(ws.intact(), "iter %d: conv2d_forward wrote past its workspace need", iter);
  }
  check_close("conv2d_forward", o.data(), out, 1e-4, iter);
  {
    const ng::ConvPlan plan = ng::conv2d_backward_plan(g, true, true);
    ngtest::GuardedWorkspace ws(plan.need());
    ng::conv2d_backward(gx.data(), gw.data(), gb.data(), dout.data(), x.data(), w.data(), g, plan, ws.ws());
    CHECK(ws.intact(), "iter %d: conv2d_backward wrote past its workspace need", iter);
  }
  check_close("conv2d_backward dx", gx.data(), dx, 1e-4, iter);
  check_close("conv2d_backward dweight", gw.data(), dw, 1e-4, iter);
  check_close("conv2d_backward dbias", gb.data(), db, 1e-4, iter);
  {
    const ng::ConvPlan plan = ng::conv2d_backward_plan(g, false, true);
    ngtest::GuardedWorkspace ws(plan.need());
    ng::conv2d_backward(nullptr, gw.data(), nullptr, dout.data(), x.data(), w.data(), g, plan, ws.ws());
    CHECK(ws.intact(), "iter %d: conv2d_backward (dweight only) wrote past its workspace need", iter);
  }
  check_close("conv2d_backward dweight only", gw.data(), dw, 1e-4, iter);
  {
    Buf gx2(nx);
    const ng::ConvPlan plan = ng::conv2d_backward_plan(g, true, false);
    ngtest::GuardedWorkspace ws(plan.need());
    ng::conv2d_backward(gx2.data(), nullptr, nullptr, dout.data(), x.data(), w.data(), g, plan, ws.ws());
    CHECK(ws.intact(), "iter %d: conv2d_backward (dx only) wrote past its workspace need", iter);
    check_close("conv2d_backward dx only", gx2.data(), dx, 1e-4, iter);
    gx2.check_guards("conv2d dx only");
  }
  for (Buf* p : {&o, &gx, &gw, &gb}) p->check_guards("conv2d");
}

void test_pool(int iter, const ng::ConvGeom& g) {
  const int64_t nx = g.n * g.c * g.h * g.w, P = g.oh * g.ow, nout = g.n * g.c * P;
  Buf x = random_buf(nx), dout = random_buf(nout);
  auto zeros = [](int64_t n) { return std::vector<double>(static_cast<size_t>(n), 0.0); };
  std::vector<double> mx = zeros(nout), av = zeros(nout), dav = zeros(nx), dmx = zeros(nx);
  for (int64_t pl = 0; pl < g.n * g.c; ++pl)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t k = pl * P + oh * g.ow + ow;
        double best = -INFINITY, s = 0;
        int64_t arg = -1;
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            const double v = x.data()[pl * g.h * g.w + ih * g.w + iw];
            s += v;
            dav[size_t(pl * g.h * g.w + ih * g.w + iw)] += dout.data()[k] / double(g.kh * g.kw);
            if (arg < 0 || v > best) { best = v; arg = ih * g.w + iw; }
          }
        mx[size_t(k)] = best;
        av[size_t(k)] = s / double(g.kh * g.kw);
        if (arg >= 0) dmx[size_t(pl * g.h * g.w + arg)] += dout.data()[k];
      }
  Buf o(nout), d(nx);
  std::vector<int32_t> idx(size_t(nout) + 1, -7);
  ng::maxpool2d_forward(o.data(), idx.data(), x.data(), g);
  check_close("maxpool2d_forward", o.data(), mx, 0, iter);
  ++g_checks;
  if (idx[size_t(nout)] != -7 && ++g_failures <= 20) std::printf("FAIL maxpool2d_forward: index guard\n");
  ng::maxpool2d_backward(d.data(), dout.data(), idx.data(), g);
  check_close("maxpool2d_backward", d.data(), dmx, 1e-6, iter);
  ng::avgpool2d_forward(o.data(), x.data(), g);
  check_close("avgpool2d_forward", o.data(), av, 1e-5, iter);
  ng::avgpool2d_backward(d.data(), dout.data(), g);
  check_close("avgpool2d_backward", d.data(), dav, 1e-5, iter);
  o.check_guards("pool out");
  d.check_guards("pool dx");
}

void test_batchnorm(int iter, int64_t N, int64_t C, int64_t L) {
  const int64_t nx = N * C * L;
  Buf x = random_buf(nx), dout = random_buf(nx), gamma = random_buf(C), beta = random_buf(C);
  auto zeros = [](int64_t n) { return std::vector<double>(static_cast<size_t>(n), 0.0); };
  std::vector<double> mean = zeros(C), var = zeros(C);
  for (int64_t c = 0; c < C; ++c) {
    double s = 0, q = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) s += x.data()[(n * C + c) * L + l];
    const double m = s / double(N * L);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) q += std::pow(x.data()[(n * C + c) * L + l] - m, 2);
    mean[size_t(c)] = m;
    var[size_t(c)] = q / double(N * L);
  }
  Buf m(C), v(C), inv(C), out(nx), dx(nx), dg(C), db(C);
  ng::batchnorm_stats(m.data(), v.data(), x.data(), N, C, L);
  check_close("batchnorm_stats mean", m.data(), mean, 1e-5, iter);
  check_close("batchnorm_stats var", v.data(), var, 1e-5, iter);
  for (int64_t c = 0; c < C; ++c) inv.data()[c] = float(1.0 / std::sqrt(var[size_t(c)] + 1e-5));
  std::vector<double> y = zeros(nx), gx = zeros(nx), gg = zeros(C), gb = zeros(C);
  for (int64_t c = 0; c < C; ++c) {
    const double is = inv.data()[c], mu = m.data()[c];
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) {
        const int64_t i = (n * C + c) * L + l;
        const double xh = (x.data()[i] - mu) * is;
        y[size_t(i)] = xh * gamma.data()[c] + beta.data()[c];
        gb[size_t(c)] += dout.data()[i];
        gg[size_t(c)] += dout.data()[i] * xh;
      }
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) {
        const int64_t i = (n * C + c) * L + l;
        const double xh = (x.data()[i] - mu) * is, M = double(N * L);
        gx[size_t(i)] = gamma.data()[c] * is * (dout.data()[i] - gb[size_t(c)] / M - xh * gg[size_t(c)] / M);
      }
  }
  ng::batchnorm_forward(out.data(), x.data(), m.data(), inv.data(), gamma.data(), beta.data(), N, C, L);
  check_close("batchnorm_forward", out.data(), y, 1e-5, iter);
  ng::batchnorm_backward(dx.data(), dg.data(), db.data(), dout.data(), x.data(), m.data(), inv.data(),
                         gamma.data(), N, C, L, true);
  check_close("batchnorm_backward dx", dx.data(), gx, 1e-4, iter);
  check_close("batchnorm_backward dgamma", dg.data(), gg, 1e-4, iter);
  check_close("batchnorm_backward dbeta", db.data(), gb, 1e-4, iter);
  for (Buf* p : {&m, &v, &out, &dx, &dg, &db}) p->check_guards("batchnorm");
}

}  // namespace

int main() {
  int iter = 0;
  for (int threads : {1, 2}) {
    ng::set_num_threads(threads);
    for (int k = 0; k < 60; ++k, ++iter) {
      ng::ConvGeom g{};
      g.n = pick({1, 2, 3}); g.c = pick({1, 2, 7}); g.h = pick({1, 2, 7, 17}); g.w = pick({1, 2, 7, 17});
      g.oc = pick({1, 3, 17});
      g.kh = pick({1, 2, 3, 5}); g.kw = pick({1, 2, 3});
      g.sh = pick({1, 1, 2, 3}); g.sw = pick({1, 2, 3});
      g.ph = pick({0, 0, 1, 3}); g.pw = pick({0, 1, 2});
      g.dh = pick({1, 1, 2, 3}); g.dw = pick({1, 2});
      const int64_t eh = g.dh * (g.kh - 1) + 1, ew = g.dw * (g.kw - 1) + 1;
      if (eh > g.h + 2 * g.ph || ew > g.w + 2 * g.pw) continue;
      g.oh = (g.h + 2 * g.ph - eh) / g.sh + 1;
      g.ow = (g.w + 2 * g.pw - ew) / g.sw + 1;
      test_conv(iter, g);
      test_pool(iter, g);
    }
    for (auto [N, C, L] : {std::tuple<int, int, int>{1, 1, 2}, {2, 3, 1}, {7, 2, 17}, {3, 17, 9}, {2, 1, 1031}}) {
      test_batchnorm(iter++, N, C, L);
    }
    // the 2×2 stride-2 max-pool fast path, odd sizes
    ng::ConvGeom g{2, 3, 7, 9, 0, 2, 2, 2, 2, 0, 0, 1, 1, 3, 4};
    test_pool(iter++, g);
  }
  std::printf("conv_test: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
