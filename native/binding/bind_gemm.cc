// gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias,
//      batch, strideA, strideB, strideC) and fmaPeak(threads, ms).
// Every argument is checked (count, types, integer sizes, leading dimensions, typed-array lengths
// against the extent the sizes and batch strides imply, overflow-checked, C not overlapping the
// inputs) before any memory is touched; then the call is planned, its workspace reserved (a
// RangeError naming gemm when it cannot be) and the kernel runs synchronously on the addon's pool.
#include <cstdint>
#include <string>

#include "args.h"
#include "function.h"
#include "bindings.h"
#include "gemm.h"
#include "ops.gen.h"
#include "workspace_binding.h"

namespace ngb {
namespace {

constexpr const char* kFn = "gemm";
constexpr int64_t kMaxStride = int64_t(1) << 53;  // exact in a JS number

// The stored rows×cols matrix at ld, repeated `batch` times `stride` apart: elements needed.
int64_t operand_extent(Napi::Env env, const char* ld_name, int64_t rows, int64_t cols, int64_t ld,
                       int64_t batch, int64_t stride, const char* fn = kFn) {
  if (cols > 0 && ld < cols) {
    range_error(env, where(fn, ld_name) + " (" + std::to_string(ld) +
                         ") is smaller than the stored row length (" + std::to_string(cols) + ")");
  }
  if (batch == 0 || rows == 0 || cols == 0) return 0;
  const int64_t one = checked_add(env, fn, checked_mul(env, fn, rows - 1, ld), cols);
  return checked_add(env, fn, checked_mul(env, fn, batch - 1, stride), one);
}

bool overlaps(const float* a, int64_t na, const float* b, int64_t nb) {
  if (na == 0 || nb == 0) return false;
  const auto a0 = reinterpret_cast<uintptr_t>(a), b0 = reinterpret_cast<uintptr_t>(b);
  return a0 < b0 + uintptr_t(nb) * sizeof(float) && b0 < a0 + uintptr_t(na) * sizeof(float);
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  expect_count(info, 19, kFn);
  const bool transA = get_bool(info, 0, kFn, "transA");
  const bool transB = get_bool(info, 1, kFn, "transB");
  const int64_t M = get_size(info, 2, kFn, "M");
  const int64_t N = get_size(info, 3, kFn, "N");
  const int64_t K = get_size(info, 4, kFn, "K");
  const float alpha = get_float(info, 5, kFn, "alpha");
  const int64_t lda = get_int(info, 7, kFn, "lda", 0, kMaxStride);
  const int64_t ldb = get_int(info, 9, kFn, "ldb", 0, kMaxStride);
  const float beta = get_float(info, 10, kFn, "beta");
  const int64_t ldc = get_int(info, 12, kFn, "ldc", 0, kMaxStride);
  const int epilogue = int(get_int(info, 13, kFn, "epilogue", 0, ng::kEpilogueCount - 1));
  const int64_t batch = get_size(info, 15, kFn, "batch");
  const int64_t strideA = get_int(info, 16, kFn, "strideA", 0, kMaxStride);
  const int64_t strideB = get_int(info, 17, kFn, "strideB", 0, kMaxStride);
  const int64_t strideC = get_int(info, 18, kFn, "strideC", 0, kMaxStride);

  // Stored layouts: A is K×M when transA else M×K; B is N×K when transB else K×N; C is M×N.
  // A and B are not read when K = 0 (or alpha = 0), but their shapes are still checked.
  const int64_t needA = operand_extent(env, "lda", transA ? K : M, transA ? M : K, lda, batch, strideA);
  const int64_t needB = operand_extent(env, "ldb", transB ? N : K, transB ? K : N, ldb, batch, strideB);
  const int64_t needC = operand_extent(env, "ldc", M, N, ldc, batch, strideC);
  const float* A = get_array<float>(info, 6, kFn, "A", needA);
  const float* B = get_array<float>(info, 8, kFn, "B", needB);
  float* C = get_array<float>(info, 11, kFn, "C", needC);

  const float* bias = nullptr;
  int64_t needBias = 0;
  if (epilogue == ng::kEpiNone) {
    if (!info[14].IsNull()) type_error(env, where(kFn, "bias") + " must be null when epilogue is 0");
  } else {
    needBias = N;
    bias = get_array<float>(info, 14, kFn, "bias", N);
  }
  // Packing reads A and B block by block while C is written: aliasing would corrupt the result.
  if (overlaps(C, needC, A, needA)) range_error(env, where(kFn, "C") + " overlaps 'A'");
  if (overlaps(C, needC, B, needB)) range_error(env, where(kFn, "C") + " overlaps 'B'");
  if (overlaps(C, needC, bias, needBias)) range_error(env, where(kFn, "C") + " overlaps 'bias'");

  if (batch > 0 && M > 0 && N > 0) {
    ng::GemmArgs g;
    g.transA = transA; g.transB = transB; g.M = M; g.N = N; g.K = K; g.alpha = alpha;
    g.A = A; g.lda = lda; g.B = B; g.ldb = ldb; g.beta = beta; g.C = C; g.ldc = ldc;
    g.epilogue = epilogue; g.bias = bias;
    g.batch = batch; g.strideA = strideA; g.strideB = strideB; g.strideC = strideC;
    const ng::GemmPlan plan = ng::sgemm_plan(g);
    const ng::Workspace ws = reserve_workspace(env, kFn, plan.need());
    ng::sgemm_execute(g, plan, ws);
  }
  return env.Undefined();
}

// gemmBf16(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, bias): one matrix, B a
// Uint16Array of bfloat16 bit patterns widened while packed (native/core/gemm_bf16.cc); K ≥ 1.
Napi::Value GemmBf16(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "gemmBf16";
  Napi::Env env = info.Env();
  expect_count(info, 15, fn);
  const bool transA = get_bool(info, 0, fn, "transA");
  const bool transB = get_bool(info, 1, fn, "transB");
  const int64_t M = get_size(info, 2, fn, "M");
  const int64_t N = get_size(info, 3, fn, "N");
  const int64_t K = get_size(info, 4, fn, "K");
  if (K < 1) range_error(env, where(fn, "K") + " must be at least 1");
  const float alpha = get_float(info, 5, fn, "alpha");
  const int64_t lda = get_int(info, 7, fn, "lda", 0, kMaxStride);
  const int64_t ldb = get_int(info, 9, fn, "ldb", 0, kMaxStride);
  const float beta = get_float(info, 10, fn, "beta");
  const int64_t ldc = get_int(info, 12, fn, "ldc", 0, kMaxStride);
  const int epilogue = int(get_int(info, 13, fn, "epilogue", 0, ng::kEpilogueCount - 1));
  const int64_t needA = operand_extent(env, "lda", transA ? K : M, transA ? M : K, lda, 1, 0, fn);
  const int64_t needB = operand_extent(env, "ldb", transB ? N : K, transB ? K : N, ldb, 1, 0, fn);
  const int64_t needC = operand_extent(env, "ldc", M, N, ldc, 1, 0, fn);
  const float* A = get_array<float>(info, 6, fn, "A", needA);
  const uint16_t* B = get_array<uint16_t>(info, 8, fn, "B", needB);
  float* C = get_array<float>(info, 11, fn, "C", needC);
  const float* bias = nullptr;
  int64_t needBias = 0;
  if (epilogue == ng::kEpiNone) {
    if (!info[14].IsNull()) type_error(env, where(fn, "bias") + " must be null when epilogue is 0");
  } else {
    needBias = N;
    bias = get_array<float>(info, 14, fn, "bias", N);
  }
  if (overlaps(C, needC, A, needA)) range_error(env, where(fn, "C") + " overlaps 'A'");
  if (needC > 0 && needB > 0) {
    const auto c0 = reinterpret_cast<uintptr_t>(C), b0 = reinterpret_cast<uintptr_t>(B);
    if (c0 < b0 + uintptr_t(needB) * sizeof(uint16_t) && b0 < c0 + uintptr_t(needC) * sizeof(float)) {
      range_error(env, where(fn, "C") + " overlaps 'B'");
    }
  }
  if (overlaps(C, needC, bias, needBias)) range_error(env, where(fn, "C") + " overlaps 'bias'");
  if (M > 0 && N > 0) {
    ng::GemmArgs g;
    g.transA = transA; g.transB = transB; g.M = M; g.N = N; g.K = K; g.alpha = alpha;
    g.A = A; g.lda = lda; g.ldb = ldb; g.beta = beta; g.C = C; g.ldc = ldc;
    g.epilogue = epilogue; g.bias = bias;
    const ng::GemmPlan plan = ng::sgemm_bf16b_plan(g);
    const ng::Workspace ws = reserve_workspace(env, fn, plan.need());
    ng::sgemm_bf16b_execute(g, B, plan, ws);
  }
  return env.Undefined();
}

Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  expect_count(info, 2, "fmaPeak");
  const int threads = int(get_int(info, 0, "fmaPeak", "threads", 1, 256));
  const int64_t ms = get_int(info, 1, "fmaPeak", "ms", 1, 10000);
  return Napi::Number::New(info.Env(), ng::fma_peak_gflops(threads, double(ms)));
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", function(env, "gemm", Gemm));
  exports.Set("gemmBf16", function(env, "gemmBf16", GemmBf16));
  exports.Set("fmaPeak", function(env, "fmaPeak", FmaPeak));
}

}  // namespace ngb
