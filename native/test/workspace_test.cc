// Workspace protocol tests (no N-API; scripts/test-native.sh runs them under ASan/UBSan):
//  - Arena: a reservation over the limit, one whose size overflows, or one with no thread fails
//    with a status and an empty view, leaving the arena's buffer as it was; exact-limit and reuse
//    cases succeed; the limit can be lowered and the buffer released.
//  - The failure path reports instead of computing garbage: for GEMM and convolution shapes the
//    plan's need is computed first; with a limit just below it the reservation is refused (the
//    binding then throws a RangeError naming the function, test/kernels/workspace.test.ts) and the
//    outputs are never touched; with the limit at the need the same call runs in exactly that much
//    memory (guard zones after every slice) and matches a double-precision reference. Among them the
//    pointwise conv weight gradient, whose partial sums used to come from an unchecked allocation
//    inside the kernel (on failure the gradient silently stayed zero).
//  - parallel_for(ws, ...) never hands out a tid >= ws.threads, even when num_threads() is larger.
// Exit code = failures.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "conv.h"
#include "gemm.h"
#include "guarded_workspace.h"
#include "thread_pool.h"
#include "workspace.h"

#include "check_macro.h"

namespace {


using Status = ng::Arena::Status;

uint32_t g_state = 0x2545f491u;
float uniform() {  // mulberry32 in [-1, 1)
  uint32_t t = (g_state += 0x6D2B79F5u);
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return float((t ^ (t >> 14)) >> 8) / 8388608.0f - 1.0f;
}
std::vector<float> random_vec(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = uniform();
  return v;
}

ng::WorkspaceNeed need_of(int threads, int64_t per_thread, int64_t shared) {
  ng::WorkspaceNeed n;
  n.threads = threads;
  n.per_thread = per_thread;
  n.shared = shared;
  return n;
}

void test_arena() {
  ng::Arena a(1 << 20);  // 1 MiB
  ng::Workspace ws;
  // 2 slices of 64 Ki floats + 64 Ki shared = 768 KiB: fits.
  CHECK(a.reserve(need_of(2, 65536, 65536), &ws) == Status::ok, "768 KiB under a 1 MiB limit");
  CHECK(a.capacity_bytes() == 768 * 1024, "capacity %lld", (long long)a.capacity_bytes());
  CHECK(ws.shared != nullptr && ws.base == ws.shared + 65536 && ws.stride == 65536 && ws.threads == 2,
        "layout: shared first, then the slices");
  CHECK(reinterpret_cast<uintptr_t>(ws.shared) % 64 == 0, "64-byte aligned");
  std::memset(ws.shared, 0, 768 * 1024);  // the whole view is writable (ASan)
  float* const first = ws.shared;
  // Smaller later: the same buffer, no new allocation.
  CHECK(a.reserve(need_of(1, 16, 0), &ws) == Status::ok && ws.base == first && ws.shared == nullptr,
        "a smaller need reuses the buffer");
  // Over the limit: refused, empty view, the buffer kept.
  CHECK(a.reserve(need_of(3, 131072, 0), &ws) == Status::over_limit, "1.5 MiB over a 1 MiB limit");
  CHECK(ws.base == nullptr && ws.shared == nullptr, "a refused reservation gives an empty view");
  CHECK(a.capacity_bytes() == 768 * 1024, "a refused reservation keeps the buffer");
  // Exactly the limit: fits.
  CHECK(a.reserve(need_of(4, 65536, 0), &ws) == Status::ok && a.capacity_bytes() == (1 << 20), "exactly the limit");
  // Sizes that overflow, and no thread at all: refused whatever the limit.
  ng::Arena unlimited;
  CHECK(unlimited.reserve(need_of(2, ng::kWsTooLarge, 0), &ws) == Status::too_large, "saturated per-thread need");
  CHECK(unlimited.reserve(need_of(256, INT64_C(1) << 56, 0), &ws) == Status::too_large, "threads × per_thread overflows");
  CHECK(unlimited.reserve(need_of(1, 0, INT64_C(1) << 62), &ws) == Status::too_large, "shared bytes overflow");
  CHECK(unlimited.reserve(need_of(0, 16, 0), &ws) == Status::too_large, "zero threads");
  CHECK(unlimited.capacity_bytes() == 0, "nothing allocated by refused reservations");
  // An empty need: ok, nothing allocated, null views.
  CHECK(unlimited.reserve(need_of(2, 0, 0), &ws) == Status::ok && ws.base == nullptr && ws.shared == nullptr &&
            unlimited.capacity_bytes() == 0, "an empty need");
  // Lowering the limit below the current buffer refuses growth but not what still fits... and release frees.
  a.set_limit_bytes(4096);
  CHECK(a.reserve(need_of(1, 2048, 0), &ws) == Status::over_limit, "8 KiB over a 4 KiB limit");
  a.release();
  CHECK(a.capacity_bytes() == 0, "release frees");
  CHECK(a.reserve(need_of(1, 1024, 0), &ws) == Status::ok && a.capacity_bytes() == 4096, "4 KiB after release");
  // Saturating helpers.
  CHECK(ng::ws_mul(INT64_C(1) << 40, INT64_C(1) << 40) == ng::kWsTooLarge && ng::ws_add(ng::kWsTooLarge, 1) == ng::kWsTooLarge &&
            ng::ws_round(ng::kWsTooLarge - 3) == ng::kWsTooLarge && ng::ws_round(17) == 32 && ng::ws_round(0) == 0,
        "saturating size arithmetic");
}

// The GEMM through the protocol: refused one byte below its need (C untouched), run at the need.
void test_gemm_protocol(int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, int direct) {
  ng::GemmArgs g;
  g.transA = ta; g.transB = tb; g.M = M; g.N = N; g.K = K;
  g.lda = ta ? M : K; g.ldb = tb ? K : N; g.ldc = N;
  const std::vector<float> A = random_vec(M * K), B = random_vec(K * N);
  std::vector<float> C(size_t(M * N), std::nanf(""));
  g.A = A.data(); g.B = B.data(); g.C = C.data();
  ng::GemmConfig cfg;
  cfg.threads = threads;
  cfg.direct = direct;
  const ng::GemmKernels& k = ng::gemm_kernels();
  const ng::GemmPlan plan = ng::sgemm_plan(k, g, cfg);
  const ng::WorkspaceNeed need = plan.need();
  const int64_t bytes = ng::Arena::bytes_for(need);
  CHECK(bytes > 0 && need.threads >= 1 && need.threads <= threads, "gemm %lldx%lldx%lld: need %lld bytes on %d threads",
        (long long)M, (long long)N, (long long)K, (long long)bytes, need.threads);
  ng::Arena tight(bytes - 64);
  ng::Workspace ws;
  CHECK(tight.reserve(need, &ws) == Status::over_limit && ws.base == nullptr,
        "gemm %lldx%lldx%lld: a limit below the need is refused", (long long)M, (long long)N, (long long)K);
  // (the binding throws here; the kernel never runs, so C keeps its contents)
  ng::Arena exact(bytes);
  CHECK(exact.reserve(need, &ws) == Status::ok, "gemm: the need itself fits its limit");
  ngtest::GuardedWorkspace guarded(need);
  ng::sgemm_execute(k, g, plan, guarded.ws());
  CHECK(guarded.intact(), "gemm %lldx%lldx%lld threads=%d: wrote past its workspace need", (long long)M, (long long)N,
        (long long)K, threads);
  std::vector<float> C2(size_t(M * N), std::nanf(""));
  g.C = C2.data();
  ng::sgemm_execute(k, g, plan, ws);  // in the arena reserved at exactly the need
  CHECK(std::memcmp(C.data(), C2.data(), C.size() * 4) == 0, "gemm: arena and guarded runs agree");
  int bad = 0;
  for (int64_t i = 0; i < M && bad == 0; i += 7)
    for (int64_t j = 0; j < N; j += 5) {
      double s = 0, mag = 0;
      for (int64_t p = 0; p < K; ++p) {
        const double a = ta ? A[size_t(p * M + i)] : A[size_t(i * K + p)];
        const double b = tb ? B[size_t(j * K + p)] : B[size_t(p * N + j)];
        s += a * b;
        mag += std::fabs(a * b);
      }
      if (!(std::fabs(C[size_t(i * N + j)] - s) <= 2e-5 * mag + 1e-6)) ++bad;
    }
  CHECK(bad == 0, "gemm %lldx%lldx%lld: wrong result", (long long)M, (long long)N, (long long)K);
}

// Convolution backward through the protocol (weight gradient and dx).
void test_conv_protocol(const ng::ConvGeom& g, bool want_dx, bool want_dw, const char* what) {
  const int64_t P = g.oh * g.ow, CK = g.c * g.kh * g.kw, nx = g.n * g.c * g.h * g.w;
  const std::vector<float> x = random_vec(nx), w = random_vec(g.oc * CK), dout = random_vec(g.n * g.oc * P);
  const ng::ConvPlan plan = ng::conv2d_backward_plan(g, want_dx, want_dw);
  const ng::WorkspaceNeed need = plan.need();
  const int64_t bytes = ng::Arena::bytes_for(need);
  CHECK(bytes > 0, "%s: needs workspace", what);
  // Below the need: refused (before: the partials were allocated inside the kernel and, when that
  // failed for a pointwise conv, dweight silently stayed zero).
  ng::Arena tight(bytes - 64);
  ng::Workspace ws;
  CHECK(tight.reserve(need, &ws) == Status::over_limit, "%s: a limit below the need is refused", what);
  if (want_dw) {
    // Even a limit that covers the per-thread part but not the shared partials is refused.
    ng::Arena no_shared(ng::Arena::bytes_for(need_of(need.threads, need.per_thread, 0)));
    CHECK(need.shared == 0 || no_shared.reserve(need, &ws) == Status::over_limit, "%s: the partials count", what);
  }
  ngtest::GuardedWorkspace guarded(need);
  std::vector<float> dx(size_t(want_dx ? nx : 0), std::nanf("")), dw(size_t(want_dw ? g.oc * CK : 0), std::nanf(""));
  ng::conv2d_backward(want_dx ? dx.data() : nullptr, want_dw ? dw.data() : nullptr, nullptr, dout.data(), x.data(),
                      w.data(), g, plan, guarded.ws());
  CHECK(guarded.intact(), "%s: wrote past its workspace need", what);
  // Reference (double) for a sample of elements.
  int bad = 0;
  for (int64_t o = 0; o < g.oc && want_dw; ++o)
    for (int64_t r = 0; r < CK; r += 3) {
      const int64_t c = r / (g.kh * g.kw), i = r / g.kw % g.kh, j = r % g.kw;
      double s = 0, mag = 0;
      for (int64_t n = 0; n < g.n; ++n)
        for (int64_t oh = 0; oh < g.oh; ++oh)
          for (int64_t ow = 0; ow < g.ow; ++ow) {
            const int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            const double v = double(x[size_t(((n * g.c + c) * g.h + ih) * g.w + iw)]) *
                             dout[size_t((n * g.oc + o) * P + oh * g.ow + ow)];
            s += v;
            mag += std::fabs(v);
          }
      if (!(std::fabs(dw[size_t(o * CK + r)] - s) <= 1e-5 * mag + 1e-6)) ++bad;
    }
  CHECK(bad == 0, "%s: wrong weight gradient (%d elements)", what, bad);
  if (want_dx) {
    bool finite = true;
    for (float v : dx) finite = finite && std::isfinite(v);
    CHECK(finite, "%s: dx not fully written", what);
  }
}

ng::ConvGeom geom(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t k, int64_t pad) {
  ng::ConvGeom g{};
  g.n = n; g.c = c; g.h = h; g.w = w; g.oc = oc;
  g.kh = g.kw = k; g.sh = g.sw = 1; g.ph = g.pw = pad; g.dh = g.dw = 1;
  g.oh = h + 2 * pad - k + 1;
  g.ow = w + 2 * pad - k + 1;
  return g;
}

void test_parallel_cap() {
  ng::set_num_threads(4);
  ng::Workspace ws;
  ws.threads = 2;
  std::atomic<int> worst{0}, ran{0};
  for (int rep = 0; rep < 50; ++rep) {
    ng::parallel_for(ws, 16, [&](int, int tid) {
      int w = worst.load();
      while (tid > w && !worst.compare_exchange_weak(w, tid)) {
      }
      ran.fetch_add(1);
    });
  }
  CHECK(worst.load() < 2 && ran.load() == 50 * 16, "parallel_for(ws) used tid %d (cap 2), ran %d tasks", worst.load(),
        ran.load());
}

}  // namespace

int main() {
  test_arena();
  for (int threads : {1, 2}) {
    ng::set_num_threads(threads);
    test_gemm_protocol(threads, false, false, 300, 260, 700, 0);  // packed: B and A blocks
    test_gemm_protocol(threads, true, false, 97, 300, 513, 0);
    test_gemm_protocol(threads, false, true, 128, 600, 256, 1);  // direct A·Bᵀ: transposed B chunks
    test_gemm_protocol(threads, false, true, 200, 130, 90, 0);
    // Weight gradients: 5×5 with padding (im2row + partials), pointwise (transposed partials).
    test_conv_protocol(geom(6, 3, 12, 12, 8, 5, 2), true, true, "conv 5x5 p2 dx+dw");
    test_conv_protocol(geom(5, 16, 7, 7, 12, 1, 0), false, true, "pointwise conv dw");
    test_conv_protocol(geom(1, 24, 20, 20, 32, 3, 1), true, true, "conv 3x3 one image (GEMM threads itself)");
    test_conv_protocol(geom(20, 2, 9, 9, 4, 3, 0), true, false, "conv 3x3 dx only");
  }
  test_parallel_cap();
  std::printf("workspace_test: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
