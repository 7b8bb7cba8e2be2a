// SGEMM kernel tests (no N-API): every ISA table this CPU can run, against a naive double-precision
// triple loop, on random shapes (1, 7, 17, 33, 257, ...), all four transposes, ld > row length,
// alpha/beta variants, beta = 0 over NaN-filled C, all epilogues, batch strides (0 = broadcast),
// 1 and 2 threads (bit-identical), tiny cache blocks (many K/M/N blocks), the packed and the no-pack
// (direct) paths forced both ways (bit-identical to each other), and the vectorised activations
// against double precision (ulp sweep). Exit code = failures.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "guarded_workspace.h"
#include "thread_pool.h"

namespace {

uint32_t g_state = 0x12345678u;
uint32_t next_u32() {  // mulberry32
  uint32_t t = (g_state += 0x6D2B79F5u);
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return t ^ (t >> 14);
}
float uniform(float lo, float hi) { return lo + (hi - lo) * float(next_u32() >> 8) / 16777216.0f; }
int pick(const std::vector<int>& v) { return v[next_u32() % v.size()]; }

int g_failures = 0, g_checks = 0;
#define CHECK(cond, ...)                                             \
  do {                                                               \
    ++g_checks;                                                      \
    if (!(cond)) {                                                   \
      if (++g_failures <= 20) {                                      \
        std::printf("FAIL %s:%d: ", __FILE__, __LINE__);             \
        std::printf(__VA_ARGS__);                                    \
        std::printf("\n");                                           \
      }                                                              \
    }                                                                \
  } while (0)

double act(int epi, double x) {
  switch (epi) {
    case 2: return x < 0 ? 0 : x;
    case 3: return 0.5 * x * std::erfc(-x / std::sqrt(2.0));  // no cancellation for x ≪ 0
    case 4: return 1 / (1 + std::exp(-x));
    case 5: return std::tanh(x);
    case 6: return x / (1 + std::exp(-2 * std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));  // ½x(1+tanh u)
    default: return x;
  }
}

struct Case {
  ng::GemmArgs g;
  std::vector<float> A, B, C0, bias;
  int64_t c_len = 0;
};

// Double reference of every C element plus a magnitude bound (for the tolerance).
void reference(const Case& t, std::vector<double>& ref, std::vector<double>& mag) {
  const ng::GemmArgs& g = t.g;
  ref.assign(size_t(t.c_len), 0.0);
  mag.assign(size_t(t.c_len), 0.0);
  for (int64_t i = 0; i < t.c_len; ++i) ref[size_t(i)] = t.C0[size_t(i)];
  for (int64_t b = 0; b < g.batch; ++b) {  // batches in order (a broadcast C sees the previous one)
    const float* A = t.A.data() + b * g.strideA;
    const float* B = t.B.data() + b * g.strideB;
    for (int64_t i = 0; i < g.M; ++i)
      for (int64_t j = 0; j < g.N; ++j) {
        const size_t ci = size_t(b * g.strideC + i * g.ldc + j);
        double s = 0, m = 0;
        if (g.alpha != 0.0f) {
          for (int64_t p = 0; p < g.K; ++p) {
            const double a = g.transA ? A[p * g.lda + i] : A[i * g.lda + p];
            const double bb = g.transB ? B[j * g.ldb + p] : B[p * g.ldb + j];
            s += a * bb;
            m += std::fabs(a * bb);
          }
        }
        double v = double(g.alpha) * s;
        m *= std::fabs(g.alpha);
        if (g.beta != 0.0f) { v += double(g.beta) * ref[ci]; m += std::fabs(g.beta * ref[ci]) + mag[ci]; }
        if (g.epilogue >= 1) { v += t.bias[size_t(j)]; m += std::fabs(t.bias[size_t(j)]); }
        ref[ci] = act(g.epilogue, v);
        mag[ci] = m;
      }
  }
}

Case make_case(int M, int N, int K, bool ta, bool tb) {
  Case t;
  ng::GemmArgs& g = t.g;
  g.transA = ta; g.transB = tb; g.M = M; g.N = N; g.K = K;
  g.lda = (ta ? M : K) + (next_u32() % 3 == 0 ? int(next_u32() % 5) : 0);
  g.ldb = (tb ? K : N) + (next_u32() % 3 == 0 ? int(next_u32() % 5) : 0);
  g.ldc = N + (next_u32() % 3 == 0 ? int(next_u32() % 5) : 0);
  if (g.lda == 0) g.lda = 1;
  if (g.ldb == 0) g.ldb = 1;
  const float alphas[] = {1.0f, -0.5f, 2.0f, 0.0f};
  const float betas[] = {0.0f, 1.0f, 0.75f};
  g.alpha = alphas[next_u32() % 4 == 0 ? 1 + next_u32() % 3 : 0];
  g.beta = betas[next_u32() % 3];
  g.epilogue = int(next_u32() % 7);
  g.batch = next_u32() % 4 == 0 ? 1 + next_u32() % 3 : 1;
  const int64_t a_ext = (ta ? int64_t(K) : M) * g.lda, b_ext = (tb ? int64_t(N) : K) * g.ldb;
  const int64_t c_ext = int64_t(M) * g.ldc;
  g.strideA = next_u32() % 4 == 0 ? 0 : a_ext + next_u32() % 3;
  g.strideB = next_u32() % 4 == 0 ? 0 : b_ext + next_u32() % 3;
  g.strideC = g.batch > 1 && next_u32() % 6 == 0 ? 0 : c_ext + next_u32() % 3;
  auto fill = [](std::vector<float>& v, int64_t n) {
    v.resize(size_t(n));
    for (auto& x : v) x = uniform(-1.0f, 1.0f);
  };
  fill(t.A, (g.batch - 1) * g.strideA + a_ext + 1);
  fill(t.B, (g.batch - 1) * g.strideB + b_ext + 1);
  t.c_len = (g.batch - 1) * g.strideC + c_ext + 1;
  fill(t.C0, t.c_len);
  if (g.beta == 0.0f)
    for (auto& x : t.C0) x = std::nanf("");  // must never leak into the result
  fill(t.bias, N + 1);
  return t;
}

// Runs `t` with kernels `k` and config `cfg` in exactly the workspace its plan asks for (canaries
// after every slice); returns the full C buffer (padding included).
std::vector<float> run(const ng::GemmKernels& k, const Case& t, const ng::GemmConfig& cfg) {
  std::vector<float> C = t.C0;
  ng::GemmArgs g = t.g;
  g.A = t.A.data(); g.B = t.B.data(); g.C = C.data();
  g.bias = g.epilogue >= 1 ? t.bias.data() : nullptr;
  const ng::GemmPlan plan = ng::sgemm_plan(k, g, cfg);
  ngtest::GuardedWorkspace ws(plan.need());
  ng::sgemm_execute(k, g, plan, ws.ws());
  CHECK(ws.intact(), "%s M=%lld N=%lld K=%lld: wrote past its workspace need", k.name, (long long)g.M,
        (long long)g.N, (long long)g.K);
  return C;
}

bool in_matrix(const ng::GemmArgs& g, int64_t idx) {
  for (int64_t b = 0; b < g.batch; ++b) {
    const int64_t off = idx - b * g.strideC;
    if (off >= 0 && off / g.ldc < g.M && off % g.ldc < g.N) return true;
  }
  return false;
}

void check_case(const ng::GemmKernels& k, const Case& t, const char* what) {
  std::vector<double> ref, mag;
  reference(t, ref, mag);
  // Default configs pick the no-pack path by shape; pk*/dr* force the packed / direct path. With the
  // same K blocking both run the same per-element k-chain, so all of them must agree bit for bit.
  ng::GemmConfig one;  one.threads = 1;
  ng::GemmConfig two;  two.threads = 2; two.parallel_min_flops = 0;
  ng::GemmConfig bat;  bat.threads = 2;  // parallel over the batch when it may
  bat.parallel_min_flops = 2.0 * double(t.g.M) * t.g.N * (t.g.K > 0 ? t.g.K : 1) + 1;
  ng::GemmConfig pk1 = one; pk1.direct = 0;
  ng::GemmConfig pk2 = two; pk2.direct = 0;
  ng::GemmConfig dr1 = one; dr1.direct = 1;
  ng::GemmConfig dr2 = two; dr2.direct = 1;
  ng::GemmConfig tiny1; tiny1.threads = 1; tiny1.kc = 5; tiny1.mc = 1; tiny1.nc = 1; tiny1.direct = 0;
  ng::GemmConfig tiny2 = tiny1; tiny2.threads = 2; tiny2.parallel_min_flops = 0;
  ng::GemmConfig tinyd = tiny2; tinyd.direct = 1;
  const std::vector<float> c1 = run(k, t, one), c2 = run(k, t, two), c3 = run(k, t, bat);
  const std::vector<float> c4 = run(k, t, tiny1), c5 = run(k, t, tiny2), c6 = run(k, t, tinyd);
  const std::vector<float> p1 = run(k, t, pk1), p2 = run(k, t, pk2), d1 = run(k, t, dr1), d2 = run(k, t, dr2);
  const size_t bytes = c1.size() * sizeof(float);
  CHECK(std::memcmp(c1.data(), c2.data(), bytes) == 0, "%s: 1 vs 2 threads differ", what);
  CHECK(std::memcmp(c1.data(), c3.data(), bytes) == 0, "%s: batch-parallel differs", what);
  CHECK(std::memcmp(c4.data(), c5.data(), bytes) == 0, "%s: tiny blocks 1 vs 2 threads differ", what);
  CHECK(std::memcmp(c4.data(), c6.data(), bytes) == 0, "%s: tiny blocks direct vs packed differ", what);
  CHECK(std::memcmp(c1.data(), p1.data(), bytes) == 0, "%s: default vs packed differ", what);
  CHECK(std::memcmp(c1.data(), p2.data(), bytes) == 0, "%s: default vs packed 2 threads differ", what);
  CHECK(std::memcmp(c1.data(), d1.data(), bytes) == 0, "%s: default vs direct differ", what);
  CHECK(std::memcmp(c1.data(), d2.data(), bytes) == 0, "%s: default vs direct 2 threads differ", what);
  int bad = 0;
  for (int64_t i = 0; i < t.c_len && bad < 3; ++i) {
    const size_t u = size_t(i);
    if (!in_matrix(t.g, i)) {  // padding between rows/batches is never written
      if (std::memcmp(&c1[u], &t.C0[u], 4) != 0 || std::memcmp(&c4[u], &t.C0[u], 4) != 0) {
        ++bad;
        CHECK(false, "%s: wrote outside C at %lld", what, (long long)i);
      }
      continue;
    }
    const double tol = 2e-5 * mag[u] + 1e-6 + 1e-6 * std::fabs(ref[u]);
    for (const auto* c : {&c1, &c4}) {
      const double got = (*c)[u];
      if (!(std::fabs(got - ref[u]) <= tol)) {
        ++bad;
        CHECK(false, "%s: C[%lld] = %.9g, want %.9g (tol %.3g)", what, (long long)i, got, ref[u], tol);
        break;
      }
    }
  }
  ++g_checks;
}

void check_table(const ng::GemmKernels& k) {
  const std::vector<int> dims = {1, 2, 3, 7, 12, 16, 17, 31, 33, 40, 65};
  char what[160];
  int cases = 0;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      for (int rep = 0; rep < 40; ++rep) {  // random small/odd shapes
        const int M = pick(dims), N = pick(dims), K = rep == 0 ? 0 : pick(dims);
        Case t = make_case(M, N, K, ta, tb);
        std::snprintf(what, sizeof what, "%s %c%c M=%d N=%d K=%d a=%g b=%g epi=%d batch=%lld", k.name,
                      ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, t.g.alpha, t.g.beta, t.g.epilogue,
                      (long long)t.g.batch);
        check_case(k, t, what);
        ++cases;
      }
      const int big[][3] = {{257, 33, 17}, {7, 257, 33}, {33, 17, 257}, {1, 257, 257}, {257, 1, 257},
                            {128, 10, 256}, {130, 70, 600}, {64, 10, 128}, {128, 128, 10},
                            {16, 300, 25}, {33, 16, 129}, {24, 17, 9}, {20, 1100, 40}};
      for (const auto& s : big) {
        Case t = make_case(s[0], s[1], s[2], ta, tb);
        std::snprintf(what, sizeof what, "%s %c%c M=%d N=%d K=%d epi=%d", k.name, ta ? 'T' : 'N',
                      tb ? 'T' : 'N', s[0], s[1], s[2], t.g.epilogue);
        check_case(k, t, what);
        ++cases;
      }
    }
  std::printf("  %-7s %d cases\n", k.name, cases);
}

// The table's transpose (used for A·Bᵀ on the direct path) on odd sizes and strides: every element in
// place, nothing written outside the rows × cols image.
void check_transpose(const ng::GemmKernels& k) {
  if (k.transpose == nullptr) return;
  const std::vector<int> dims = {1, 3, 7, 8, 9, 16, 17, 31, 33, 64, 257};
  for (int rows : dims)
    for (int cols : dims) {
      const int64_t lds = cols + 5, ldd = rows + 3;
      std::vector<float> src(size_t(rows * lds)), dst(size_t(cols * ldd), -7.0f);
      for (size_t i = 0; i < src.size(); ++i) src[i] = float(i % 9973) * 0.5f;
      k.transpose(src.data(), lds, rows, cols, dst.data(), ldd);
      int bad = 0;
      for (int c = 0; c < cols; ++c)
        for (int64_t r = 0; r < ldd; ++r) {
          const float want = r < rows ? src[size_t(r * lds + c)] : -7.0f;
          if (std::memcmp(&dst[size_t(c * ldd + r)], &want, 4) != 0) ++bad;
        }
      CHECK(bad == 0, "%s transpose %dx%d: %d wrong elements", k.name, rows, cols, bad);
      ++g_checks;
    }
}

// The vectorised activations (the table's activate, the same functions as the fused epilogue)
// against double precision on a dense sweep: max error in ulps of the float result.
void check_activations(const ng::GemmKernels& k) {
  const int n = 200001;
  std::vector<float> xs(n);
  const double lo = -12.0, hi = 12.0;
  for (int i = 0; i < n; ++i) xs[size_t(i)] = float(lo + (hi - lo) * i / (n - 1));
  for (int epi = 3; epi <= 6; ++epi) {
    std::vector<float> y = xs;
    k.activate(epi, y.data(), 1000, (n - 1) / 1000, 1000);  // as a 200×1000 tile (ldc = row)
    k.activate(epi, y.data() + n - 1, 1, 1, 1);              // the last element alone
    double worst = 0, worst_x = 0;
    for (int i = 0; i < n; ++i) {
      const float x = xs[size_t(i)];
      const double ref = act(epi, double(x));
      // ulp of the float result; below FLT_MIN the spacing stays that of denormals (2^-149)
      const double ulp = std::ldexp(1.0, std::max(std::ilogb(ref == 0 ? 1e-45 : ref), -126) - 23);
      double err = std::fabs(double(y[size_t(i)]) - ref) / ulp;
      if (std::fabs(double(y[size_t(i)]) - ref) < 1e-37) err = 0;  // results at the denormal edge
      // gelu-tanh's σ(2u) for 2u ≪ 0 inherits the float rounding of u: looser below x = -3.
      const double limit = epi == 6 && x < -3.0f ? 100.0 : 8.0;
      if (err > worst) { worst = err; worst_x = x; }
      if (!(err <= limit)) {
        CHECK(false, "%s activate(%d)(%.9g) = %.9g, want %.9g (%.1f ulp)", k.name, epi, x, y[size_t(i)], ref, err);
        break;
      }
    }
    std::printf("  %-7s activation %d: max %.2f ulp (at x = %.4g)\n", k.name, epi, worst, worst_x);
    // Saturated inputs and specials: NaN propagates, ±inf and |x| = 50 give the limits.
    float sp[6] = {std::nanf(""), INFINITY, -INFINITY, 50.0f, -50.0f, 0.0f};
    k.activate(epi, sp, 6, 1, 6);
    const double want_pinf = epi == 4 || epi == 5 ? 1.0 : INFINITY;
    const double want_ninf = epi == 5 ? -1.0 : 0.0;
    const double want_p50 = epi == 4 || epi == 5 ? 1.0 : 50.0;
    const double want_n50 = epi == 5 ? -1.0 : epi == 4 ? double(sp[4]) : 0.0;  // σ(-50) checked below
    const double want_0 = epi == 4 ? 0.5 : 0.0;
    CHECK(sp[0] != sp[0], "%s activate(%d)(NaN) = %g", k.name, epi, sp[0]);
    if (epi == 4) CHECK(std::fabs(sp[4] / 1.9287498479639178e-22 - 1) < 1e-6, "sigmoid(-50) = %g", sp[4]);
    CHECK(sp[1] == want_pinf && sp[2] == want_ninf && sp[3] == want_p50 && sp[4] == want_n50 && sp[5] == want_0,
          "%s activate(%d) specials: inf→%g -inf→%g 50→%g -50→%g 0→%g", k.name, epi, sp[1], sp[2], sp[3], sp[4], sp[5]);
  }
}

}  // namespace

int main() {
  ng::set_num_threads(2);
  std::vector<const ng::GemmKernels*> tables = {&ng::scalar::gemm_kernels_table};
#if defined(NG_HAVE_X86_KERNELS)
  if (ng::isa_supported(ng::Isa::avx2)) tables.push_back(&ng::avx2::gemm_kernels_table);
  if (ng::isa_supported(ng::Isa::avx512)) tables.push_back(&ng::avx512::gemm_kernels_table);
#elif defined(NG_HAVE_NEON_KERNELS)
  tables.push_back(&ng::neon::gemm_kernels_table);
#endif
  std::printf("gemm_test: active ISA %s\n", ng::isa_name(ng::active_isa()));
  for (const auto* k : tables) check_table(*k);
  for (const auto* k : tables) check_activations(*k);
  for (const auto* k : tables) check_transpose(*k);
  // The public entry (active ISA, default config) on one mid-size problem.
  {
    Case t = make_case(100, 90, 80, false, true);
    std::vector<double> ref, mag;
    reference(t, ref, mag);
    std::vector<float> C = t.C0;
    ng::GemmArgs g = t.g;
    g.A = t.A.data(); g.B = t.B.data(); g.C = C.data();
    g.bias = g.epilogue ? t.bias.data() : nullptr;
    const ng::GemmPlan plan = ng::sgemm_plan(g);
    ng::Arena arena;
    ng::Workspace ws;
    CHECK(arena.reserve(plan.need(), &ws) == ng::Arena::Status::ok, "arena reserve");
    ng::sgemm_execute(g, plan, ws);
    for (int64_t i = 0; i < t.c_len; ++i)
      if (in_matrix(t.g, i))
        CHECK(std::fabs(C[size_t(i)] - ref[size_t(i)]) <= 2e-5 * mag[size_t(i)] + 1e-6, "sgemm_execute");
  }
  const double peak = ng::fma_peak_gflops(1, 5);
  CHECK(peak > 0, "fma_peak_gflops returned %g", peak);
  std::printf("gemm_test: %d checks, %d failures (fma peak probe %.1f GFLOP/s)\n", g_checks, g_failures, peak);
  return g_failures == 0 ? 0 : 1;
}
