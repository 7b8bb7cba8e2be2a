// N-API entries for the lib/nn kernels (signatures: lib/backend/native/binding.ts; semantics:
// lib/backend/backend.ts). Each validates everything before touching memory — argument count, exact
// typed-array class, op codes, integer sizes and seeds, lengths against the overflow-checked extent,
// labels — and throws a TypeError/RangeError naming the function and the argument; then it calls the
// ng::nn_* driver (native/core/nn_driver.cc). One N-API call per argument on the hot path.
#include <cmath>
#include <string>

#include "args.h"
#include "fast_args.h"
#include "bindings.h"
#include "function.h"
#include "nn_kernels.h"

namespace ngb {
namespace {

using Info = Napi::CallbackInfo;
constexpr int64_t kMaxU32 = (int64_t(1) << 32) - 1;

using namespace fast;

void check_labels(const Info& info, const char* fn, const int32_t* labels, int64_t rows, int64_t classes) {
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] < 0 || labels[r] >= classes) {
      range_error(info.Env(), std::string(fn) + ": label " + std::to_string(labels[r]) + " at row " + std::to_string(r) +
                                  " is out of range for " + std::to_string(classes) + " classes");
    }
  }
}

// pointwiseLoss(op, pred, target, out, n, delta, reduction)
void PointwiseLoss(const Info& info) {
  const char* fn = "pointwiseLoss";
  count(info, 7, fn);
  int op = int(integer(info, 0, fn, "op", 0, ng::kLossOpCount - 1));
  int64_t n = size(info, 4, fn, "n");
  int reduction = int(integer(info, 6, fn, "reduction", 0, ng::kLossReductionCount - 1));
  const float* p = arr<float>(info, 1, fn, "pred", n);
  const float* t = arr<float>(info, 2, fn, "target", n);
  float* out = arr<float>(info, 3, fn, "out", reduction == ng::kLossNone ? n : 1);
  double delta = finite(info, 5, fn, "delta");
  ng::nn_pointwise_loss(op, p, t, out, n, delta, reduction);
}

// pointwiseLossBackward(op, pred, target, dout, doutStride, dpred|null, dtarget|null, n, delta, scale)
void PointwiseLossBackward(const Info& info) {
  const char* fn = "pointwiseLossBackward";
  count(info, 10, fn);
  int op = int(integer(info, 0, fn, "op", 0, ng::kLossOpCount - 1));
  int64_t n = size(info, 7, fn, "n");
  int64_t ds = integer(info, 4, fn, "doutStride", 0, 1);
  const float* p = arr<float>(info, 1, fn, "pred", n);
  const float* t = arr<float>(info, 2, fn, "target", n);
  const float* dout = arr<float>(info, 3, fn, "dout", n == 0 ? 0 : (ds ? n : 1));
  float* dp = is_null(info, 5) ? nullptr : arr<float>(info, 5, fn, "dpred", n);
  float* dt = is_null(info, 6) ? nullptr : arr<float>(info, 6, fn, "dtarget", n);
  double delta = finite(info, 8, fn, "delta");
  double scale = finite(info, 9, fn, "scale");
  ng::nn_pointwise_loss_backward(op, p, t, dout, ds, dp, dt, n, delta, scale);
}

// nllLoss(logProbs, labels, losses, rows, classes)
void NllLoss(const Info& info) {
  const char* fn = "nllLoss";
  count(info, 5, fn);
  int64_t rows = size(info, 3, fn, "rows");
  int64_t classes = size(info, 4, fn, "classes");
  const float* logp = arr<float>(info, 0, fn, "logProbs", checked_mul(info.Env(), fn, rows, classes));
  const int32_t* labels = arr<int32_t>(info, 1, fn, "labels", rows);
  float* losses = arr<float>(info, 2, fn, "losses", rows);
  check_labels(info, fn, labels, rows, classes);
  ng::nn_nll_loss(logp, labels, losses, rows, classes);
}

// nllLossBackward(dlosses, dlossesStride, labels, dx, rows, classes, scale)
void NllLossBackward(const Info& info) {
  const char* fn = "nllLossBackward";
  count(info, 7, fn);
  int64_t ds = integer(info, 1, fn, "dlossesStride", 0, 1);
  int64_t rows = size(info, 4, fn, "rows");
  int64_t classes = size(info, 5, fn, "classes");
  const float* dl = arr<float>(info, 0, fn, "dlosses", rows == 0 ? 0 : (ds ? rows : 1));
  const int32_t* labels = arr<int32_t>(info, 2, fn, "labels", rows);
  float* dx = arr<float>(info, 3, fn, "dx", checked_mul(info.Env(), fn, rows, classes));
  double scale = finite(info, 6, fn, "scale");
  check_labels(info, fn, labels, rows, classes);
  ng::nn_nll_loss_backward(dl, ds, labels, dx, rows, classes, scale);
}

// dropout(x, out, n, p, seed0, seed1, offset)
void Dropout(const Info& info) {
  const char* fn = "dropout";
  count(info, 7, fn);
  int64_t n = size(info, 2, fn, "n");
  const float* x = arr<float>(info, 0, fn, "x", n);
  float* out = arr<float>(info, 1, fn, "out", n);
  double p = num(info, 3, fn, "p");
  if (!(p >= 0.0 && p <= 1.0)) range_error(info.Env(), where(fn, "p") + " must be in [0, 1], got " + std::to_string(p));
  uint32_t s0 = uint32_t(integer(info, 4, fn, "seed0", 0, kMaxU32));
  uint32_t s1 = uint32_t(integer(info, 5, fn, "seed1", 0, kMaxU32));
  uint32_t off = uint32_t(integer(info, 6, fn, "offset", 0, kMaxU32));
  ng::nn_dropout(x, out, n, p, s0, s1, off);
}

// indexCheck(idx, n, limit) → first position out of [0, limit), or -1
Napi::Value IndexCheck(const Info& info) {
  const char* fn = "indexCheck";
  count(info, 3, fn);
  int64_t n = size(info, 1, fn, "n");
  int64_t limit = size(info, 2, fn, "limit");
  const int32_t* idx = arr<int32_t>(info, 0, fn, "idx", n);
  return Napi::Number::New(info.Env(), double(ng::nn_index_check(idx, n, limit)));
}

}  // namespace

void register_nn(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, void (*f)(const Info&)) { exports.Set(name, function(env, name, f)); };
  add("pointwiseLoss", PointwiseLoss);
  add("pointwiseLossBackward", PointwiseLossBackward);
  add("nllLoss", NllLoss);
  add("nllLossBackward", NllLossBackward);
  add("dropout", Dropout);
  exports.Set("indexCheck", function(env, "indexCheck", static_cast<ValueFn>(IndexCheck)));
}

}  // namespace ngb
