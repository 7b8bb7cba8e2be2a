// Drivers for the transformer kernels (transformer.h): plan each call (threads, workspace) from its
// sizes alone, then run the active ISA's row / block kernels over the pool. Each output row (LayerNorm)
// or query block / head (attention) is computed by one task, so the bits never depend on the thread
// count; LayerNorm's dw/db partials are cut by the row count alone and added in chunk order.
#include <cstring>

#include "thread_pool.h"
#include "transformer.h"

namespace ng {

namespace {

constexpr int64_t kLnMinWork = 32 * 1024;     // elements per task at least (memory-bound rows)
constexpr int64_t kLnChunkMin = 64;           // rows per dw/db partial at least
constexpr int64_t kLnMaxChunks = 256;         // partials at most (the chunk grows beyond)
constexpr double kSdpaParallelMinFlops = 2e6; // below this a call stays on one thread

int clamp_threads(int64_t tasks) {
  const int64_t nt = num_threads();
  return int(tasks < nt ? (tasks < 1 ? 1 : tasks) : nt);
}

}  // namespace

LayerNormPlan layernorm_plan(int64_t rows, int64_t n, bool backward, bool grads) noexcept {
  LayerNormPlan p;
  p.n = n;
  const int64_t w = n < 1 ? 1 : n;
  const int64_t rows_per_task = (kLnMinWork + w - 1) / w;
  int64_t tasks = (rows + rows_per_task - 1) / (rows_per_task < 1 ? 1 : rows_per_task);
  if (backward && grads) {
    int64_t chunk = kLnChunkMin > rows_per_task ? kLnChunkMin : rows_per_task;
    if ((rows + chunk - 1) / chunk > kLnMaxChunks) chunk = (rows + kLnMaxChunks - 1) / kLnMaxChunks;
    p.chunk = chunk < 1 ? 1 : chunk;
    p.chunks = (rows + p.chunk - 1) / p.chunk;
    p.partials = p.chunks > 1;
    tasks = p.chunks;
  }
  p.threads = clamp_threads(tasks);
  return p;
}

void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b,
                       int64_t rows, int64_t n, float eps, const LayerNormPlan& plan) noexcept {
  const TransformerKernels& k = transformer_kernels();
  if (rows == 0) return;
  const int64_t wn = n < 1 ? 1 : n;
  int64_t per = (kLnMinWork + wn - 1) / wn;
  int64_t tasks = (rows + per - 1) / per;
  if (plan.threads <= 1 || tasks <= 1) {
    k.ln_forward(out, mean, rstd, x, w, b, 0, rows, n, eps);
    return;
  }
  if (tasks > int64_t(plan.threads) * 4) tasks = int64_t(plan.threads) * 4;
  per = (rows + tasks - 1) / tasks;
  tasks = (rows + per - 1) / per;
  Workspace ws;
  ws.threads = plan.threads;
  parallel_for(ws, int(tasks), [&](int t, int) {
    const int64_t r0 = int64_t(t) * per, r1 = r0 + per < rows ? r0 + per : rows;
    k.ln_forward(out, mean, rstd, x, w, b, r0, r1, n, eps);
  });
}

void layernorm_backward(float* dx, float* dw, float* db, const float* dout, const float* x, const float* mean,
                        const float* rstd, const float* w, int64_t rows, int64_t n, const LayerNormPlan& plan,
                        const Workspace& ws) noexcept {
  const TransformerKernels& k = transformer_kernels();
  if (dw != nullptr) std::memset(dw, 0, size_t(n) * sizeof(float));
  if (db != nullptr) std::memset(db, 0, size_t(n) * sizeof(float));
  if (rows == 0) return;
  if (dw == nullptr && db == nullptr) {
    const int64_t wn = n < 1 ? 1 : n;
    int64_t per = (kLnMinWork + wn - 1) / wn;
    int64_t tasks = (rows + per - 1) / per;
    if (plan.threads <= 1 || tasks <= 1) {
      k.ln_backward(dx, nullptr, nullptr, dout, x, mean, rstd, w, 0, rows, n);
      return;
    }
    if (tasks > int64_t(plan.threads) * 4) tasks = int64_t(plan.threads) * 4;
    per = (rows + tasks - 1) / tasks;
    tasks = (rows + per - 1) / per;
    parallel_for(ws, int(tasks), [&](int t, int) {
      const int64_t r0 = int64_t(t) * per, r1 = r0 + per < rows ? r0 + per : rows;
      k.ln_backward(dx, nullptr, nullptr, dout, x, mean, rstd, w, r0, r1, n);
    });
    return;
  }
  if (!plan.partials) {
    k.ln_backward(dx, dw, db, dout, x, mean, rstd, w, 0, rows, n);
    return;
  }
  // chunk c accumulates into its own zeroed partials [dw_c | db_c], added in chunk order below
  float* part = ws.shared;
  std::memset(part, 0, size_t(plan.chunks * 2 * n) * sizeof(float));
  parallel_for(ws, int(plan.chunks), [&](int c, int) {
    const int64_t r0 = int64_t(c) * plan.chunk, r1 = r0 + plan.chunk < rows ? r0 + plan.chunk : rows;
    float* pw = part + int64_t(c) * 2 * n;
    k.ln_backward(dx, dw != nullptr ? pw : nullptr, db != nullptr ? pw + n : nullptr, dout, x, mean, rstd, w, r0, r1, n);
  });
  for (int64_t c = 0; c < plan.chunks; ++c) {
    const float* pw = part + c * 2 * n;
    if (dw != nullptr)
      for (int64_t j = 0; j < n; ++j) dw[j] += pw[j];
    if (db != nullptr)
      for (int64_t j = 0; j < n; ++j) db[j] += pw[n + j];
  }
}

SdpaPlan sdpa_forward_plan(const SdpaArgs& a) noexcept {
  SdpaPlan p;
  const int64_t heads = a.b0 * a.b1;
  const int64_t qblocks = (a.L + kSdpaBlockQ - 1) / kSdpaBlockQ;
  const double flops = 2.0 * double(heads) * double(a.L) * double(a.S) * double(a.E + a.Ev);
  p.threads = flops < kSdpaParallelMinFlops ? 1 : clamp_threads(heads * qblocks);
  p.per_thread = sdpa_forward_scratch(a.E, a.Ev);
  return p;
}

SdpaPlan sdpa_backward_plan(const SdpaArgs& a) noexcept {
  SdpaPlan p;
  const int64_t heads = a.b0 * a.b1;
  const double flops = 4.0 * double(heads) * double(a.L) * double(a.S) * double(a.E + a.Ev);
  p.threads = flops < kSdpaParallelMinFlops ? 1 : clamp_threads(heads);
  p.per_thread = sdpa_backward_scratch(a.L, a.E, a.Ev);
  return p;
}

void sdpa_forward(const SdpaArgs& a, const SdpaPlan& plan, const Workspace& ws) noexcept {
  const TransformerKernels& k = transformer_kernels();
  const int64_t heads = a.b0 * a.b1;
  const int64_t qblocks = (a.L + kSdpaBlockQ - 1) / kSdpaBlockQ;
  const int64_t tasks = heads * qblocks;
  if (tasks == 0) return;
  // causal rows late in a head cost the most: hand out blocks from the end of each head first
  parallel_for(ws, int(tasks), [&](int t, int tid) {
    const int64_t bh = int64_t(t) / qblocks;
    const int64_t qb = qblocks - 1 - int64_t(t) % qblocks;
    const int64_t i0 = qb * kSdpaBlockQ, i1 = i0 + kSdpaBlockQ < a.L ? i0 + kSdpaBlockQ : a.L;
    k.sdpa_forward_block(a, bh, i0, i1, ws.slice(tid));
  });
  (void)plan;
}

void sdpa_backward(const SdpaArgs& a, const SdpaPlan& plan, const Workspace& ws) noexcept {
  const TransformerKernels& k = transformer_kernels();
  const int64_t heads = a.b0 * a.b1;
  if (heads == 0) return;
  parallel_for(ws, int(heads), [&](int t, int tid) { k.sdpa_backward_head(a, int64_t(t), ws.slice(tid)); });
  (void)plan;
}

}  // namespace ng
