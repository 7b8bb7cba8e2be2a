// The lib/nn kernels (nn_kernels.h) for every ISA table this CPU can run, on odd sizes with exact-size
// heap buffers (ASan sees any overrun) and misaligned views (+1 float): loss values and sums against a
// float64 reference, gradients likewise, dropout masks bit-identical across ISA tables and against the
// contract's formula, and the threaded drivers bit-identical for 1 and 3 threads (sums included).
// Built under ASan + UBSan by scripts/test-native.sh (npm run test:native).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "nn_kernels.h"
#include "thread_pool.h"

#include "xorshift_rng.h"

namespace {

int g_fail = 0;
long g_checks = 0;

using ngtest::Rng;

void fail(const std::string& what) {
  if (++g_fail <= 20) std::printf("FAIL %s\n", what.c_str());
}

bool close(double got, double ref, double rtol, double atol) {
  if (std::isnan(ref)) return std::isnan(got);
  return std::fabs(got - ref) <= atol + rtol * std::fabs(ref);
}

double ref_value(int op, float pf, float tf, double delta) {
  double p = pf, t = tf, d = p - t;
  switch (op) {
    case ng::kLossMse: return d * d;
    case ng::kLossL1: return std::fabs(d);
    case ng::kLossHuber: return std::fabs(d) <= delta ? 0.5 * d * d : delta * (std::fabs(d) - 0.5 * delta);
    case ng::kLossBce: return -(t * std::fmax(std::log(p), -100.0) + (1 - t) * std::fmax(std::log(1 - p), -100.0));
    default: return std::fmax(p, 0.0) - p * t + std::log1p(std::exp(-std::fabs(p)));
  }
}

void ref_grad(int op, float pf, float tf, double delta, double* gp, double* gt) {
  double p = pf, t = tf, d = p - t;
  switch (op) {
    case ng::kLossMse: *gp = 2 * d; *gt = -*gp; return;
    case ng::kLossL1: *gp = d > 0 ? 1 : (d < 0 ? -1 : 0); *gt = -*gp; return;
    case ng::kLossHuber: *gp = std::fabs(d) <= delta ? d : (d > 0 ? delta : -delta); *gt = -*gp; return;
    case ng::kLossBce:
      *gp = (p - t) / std::fmax(p * (1 - p), 1e-12);
      *gt = std::fmax(std::log(1 - p), -100.0) - std::fmax(std::log(p), -100.0);
      return;
    default: *gp = 1 / (1 + std::exp(-p)) - t; *gt = -p; return;
  }
}

uint32_t mix(uint32_t x) {
  x ^= x >> 16; x *= 0x21f0aaadu; x ^= x >> 15; x *= 0x735a2d97u; x ^= x >> 15;
  return x;
}

void fill(int op, std::vector<float>& p, std::vector<float>& t, Rng& r) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (op == ng::kLossBce) { p[i] = r.uni(0, 1); t[i] = r.uni(0, 1); }
    else if (op == ng::kLossBceLogits) { p[i] = r.uni(-30, 30); t[i] = r.uni(0, 1); }
    else { p[i] = r.uni(-3, 3); t[i] = r.uni(-3, 3); }
  }
  if (op == ng::kLossBce && p.size() > 2) { p[0] = 0; p[1] = 1; }
}

void test_table(const char* isa, const ng::NnKernels& k, const ng::NnKernels& scalar) {
  const int64_t sizes[] = {1, 7, 17, 33, 257, 100003};
  const double delta = 0.7;
  for (int op = 0; op < ng::kLossOpCount; ++op) {
    for (int64_t n : sizes) {
      for (int mis = 0; mis < 2; ++mis) {
        Rng r{uint64_t(n * 31 + op)};
        std::vector<float> P(n + mis), T(n + mis), out(n + mis), dout(n + mis), dp(n + mis), dt(n + mis);
        std::vector<float> p(n), t(n);
        fill(op, p, t, r);
        for (int64_t i = 0; i < n; ++i) { P[mis + i] = p[i]; T[mis + i] = t[i]; dout[mis + i] = r.uni(-2, 2); }
        const float* pp = P.data() + mis;
        const float* tp = T.data() + mis;
        std::string tag = std::string(isa) + " op " + std::to_string(op) + " n " + std::to_string(n) + (mis ? " +1" : "");
        k.loss_values(op, pp, tp, out.data() + mis, n, delta);
        double sum_ref = 0;
        for (int64_t i = 0; i < n; ++i) {
          double ref = ref_value(op, p[i], t[i], delta);
          sum_ref += ref;
          ++g_checks;
          if (!close(out[mis + i], ref, 2e-6, 1e-6)) { fail(tag + " value " + std::to_string(i)); break; }
        }
        double s = k.loss_sum(op, pp, tp, n, delta);
        ++g_checks;
        if (!close(s, sum_ref, 1e-6, 1e-6)) fail(tag + " sum");
        if (s != scalar.loss_sum(op, pp, tp, n, delta) && op <= ng::kLossHuber) fail(tag + " sum differs from scalar");
        for (int ds = 0; ds < 2; ++ds) {
          k.loss_grad(op, pp, tp, dout.data() + mis, ds, dp.data() + mis, dt.data() + mis, n, delta, 0.5);
          for (int64_t i = 0; i < n; ++i) {
            double gp, gt;
            ref_grad(op, p[i], t[i], delta, &gp, &gt);
            double s0 = 0.5 * double(dout[mis + (ds ? i : 0)]);
            ++g_checks;
            if (!close(dp[mis + i], s0 * gp, 2e-6, 1e-6) || !close(dt[mis + i], s0 * gt, 2e-6, 1e-6)) {
              fail(tag + " grad ds " + std::to_string(ds) + " at " + std::to_string(i));
              break;
            }
          }
        }
      }
    }
  }
  // dropout: the contract's formula, bit for bit, counters wrapping at 2^32
  for (int64_t n : sizes) {
    Rng r{uint64_t(n)};
    std::vector<float> x(n), out(n);
    for (auto& v : x) v = r.uni(-2, 2);
    for (double p : {0.0, 0.25, 0.5, 1.0}) {
      const uint32_t thr = uint32_t(std::ceil(p * 16777216.0));
      const float scale = p < 1 ? float(1.0 / (1.0 - p)) : 0.0f;
      const uint32_t k0 = 0xdeadbeefu, k1 = 12345u, c0 = 0xffffff00u;
      k.dropout(x.data(), out.data(), n, thr, scale, k0, k1, c0);
      for (int64_t i = 0; i < n; ++i) {
        uint32_t c = c0 + uint32_t(i);
        uint32_t bits = mix(mix(c * 0x9e3779b9u + k0) ^ k1) >> 8;
        float want = x[i] * (bits >= thr ? scale : 0.0f);
        ++g_checks;
        if (!(out[i] == want || (std::isnan(out[i]) && std::isnan(want)))) {
          fail(std::string(isa) + " dropout n " + std::to_string(n) + " p " + std::to_string(p) + " at " + std::to_string(i));
          break;
        }
      }
    }
  }
}

void test_drivers() {
  const int64_t n = 3 * 100003 + 17 * 1024 * 1024 / 8;
  Rng r(99);
  std::vector<float> p(n), t(n), a(n), b(n);
  fill(ng::kLossMse, p, t, r);
  for (int op = 0; op < ng::kLossOpCount; op += 2) {
    float s1, s3, m1, m3;
    ng::set_num_threads(1);
    ng::nn_pointwise_loss(op, p.data(), t.data(), &s1, n, 0.7, ng::kLossSum);
    ng::nn_pointwise_loss(op, p.data(), t.data(), &m1, n, 0.7, ng::kLossMean);
    ng::nn_pointwise_loss(op, p.data(), t.data(), a.data(), n, 0.7, ng::kLossNone);
    ng::nn_dropout(p.data(), b.data(), n, 0.3, 1, 2, 3);
    std::vector<float> a1 = a, b1 = b;
    ng::set_num_threads(3);
    ng::nn_pointwise_loss(op, p.data(), t.data(), &s3, n, 0.7, ng::kLossSum);
    ng::nn_pointwise_loss(op, p.data(), t.data(), &m3, n, 0.7, ng::kLossMean);
    ng::nn_pointwise_loss(op, p.data(), t.data(), a.data(), n, 0.7, ng::kLossNone);
    ng::nn_dropout(p.data(), b.data(), n, 0.3, 1, 2, 3);
    g_checks += 4;
    if (s1 != s3 || m1 != m3) fail("loss sum differs between 1 and 3 threads, op " + std::to_string(op));
    if (a1 != a) fail("loss values differ between 1 and 3 threads");
    if (b1 != b) fail("dropout differs between 1 and 3 threads");
  }
  // nll + index check
  const int64_t rows = 1001, classes = 37;
  std::vector<float> lp(rows * classes), dx(rows * classes, 5.0f), losses(rows), g(rows);
  std::vector<int32_t> lab(rows);
  for (auto& v : lp) v = r.uni(-5, 0);
  for (int64_t i = 0; i < rows; ++i) { lab[i] = int32_t(r.next() % classes); g[i] = r.uni(-1, 1); }
  ng::nn_nll_loss(lp.data(), lab.data(), losses.data(), rows, classes);
  ng::nn_nll_loss_backward(g.data(), 1, lab.data(), dx.data(), rows, classes, 0.5);
  for (int64_t i = 0; i < rows; ++i) {
    ++g_checks;
    if (losses[i] != -lp[i * classes + lab[i]]) { fail("nll value"); break; }
    for (int64_t c = 0; c < classes; ++c) {
      float want = c == lab[i] ? float(-(0.5 * double(g[i]))) : 0.0f;
      if (dx[i * classes + c] != want) { fail("nll grad"); i = rows; break; }
    }
  }
  g_checks += 3;
  if (ng::nn_index_check(lab.data(), rows, classes) != -1) fail("index check: all in range");
  lab[700] = int32_t(classes);
  lab[900] = -1;
  if (ng::nn_index_check(lab.data(), rows, classes) != 700) fail("index check: first bad at 700");
  if (ng::nn_index_check(lab.data(), 700, classes) != -1) fail("index check: prefix in range");
}

}  // namespace

int main() {
  struct T { const char* name; const ng::NnKernels* k; };
  std::vector<T> tables = {{"scalar", &ng::scalar::nn_kernels_table}};
#if defined(NG_HAVE_X86_KERNELS)
  if (ng::isa_supported(ng::Isa::avx2)) tables.push_back({"avx2", &ng::avx2::nn_kernels_table});
  if (ng::isa_supported(ng::Isa::avx512)) tables.push_back({"avx512", &ng::avx512::nn_kernels_table});
#elif defined(NG_HAVE_NEON_KERNELS)
  tables.push_back({"neon", &ng::neon::nn_kernels_table});
#endif
  for (const T& t : tables) test_table(t.name, *t.k, ng::scalar::nn_kernels_table);
  test_drivers();
  std::printf("nn_test: %ld checks, %d failures (%zu ISA tables)\n", g_checks, g_fail, tables.size());
  return g_fail == 0 ? 0 : 1;
}
