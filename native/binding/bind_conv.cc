// conv2d, conv2dBackward, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward,
// batchNormStats, batchNormForward, batchNormBackward (argument order: lib/backend/native/binding.ts).
// Geometry arrives as plain integers; the output size is recomputed here and every typed array is
// checked against the extent it implies (overflow-checked), outputs must not overlap inputs.
// conv2d / conv2dBackward then plan the call and reserve its workspace (im2col columns, GEMM
// packing, weight-gradient partials), throwing a RangeError naming the function when they cannot.
#include <cstdint>
#include <string>

#include "args.h"
#include "function.h"
#include "bindings.h"
#include "conv.h"
#include "workspace_binding.h"

namespace ngb {
namespace {

constexpr int64_t kMaxDim = (int64_t(1) << 31) - 1;

bool overlaps(const void* a, int64_t na, const void* b, int64_t nb, int64_t elem_a, int64_t elem_b) {
  if (a == nullptr || b == nullptr || na == 0 || nb == 0) return false;
  const auto a0 = reinterpret_cast<uintptr_t>(a), b0 = reinterpret_cast<uintptr_t>(b);
  return a0 < b0 + uintptr_t(nb * elem_b) && b0 < a0 + uintptr_t(na * elem_a);
}

struct Arr {
  const void* p;
  int64_t n;
  int64_t elem;
  const char* name;
};

// Throws when any output overlaps any input or another output.
void check_disjoint(Napi::Env env, const char* fn, std::initializer_list<Arr> outs, std::initializer_list<Arr> ins) {
  for (const Arr& o : outs) {
    for (const Arr& i : ins) {
      if (overlaps(o.p, o.n, i.p, i.n, o.elem, i.elem)) {
        range_error(env, where(fn, o.name) + " overlaps '" + i.name + "'");
      }
    }
    for (const Arr& o2 : outs) {
      if (&o2 != &o && overlaps(o.p, o.n, o2.p, o2.n, o.elem, o2.elem)) {
        range_error(env, where(fn, o.name) + " overlaps '" + o2.name + "'");
      }
    }
  }
}

template <class T>
T* get_nullable(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg, int64_t need) {
  if (info[i].IsNull()) return nullptr;
  return get_array<T>(info, i, fn, arg, need);
}

// Reads N, C, H, W[, outC], kH, kW, sH, sW, pH, pW, dH, dW starting at argument `first` and
// computes the output size (an empty batch or channel count is allowed; an empty output plane is not).
ng::ConvGeom read_geom(const Napi::CallbackInfo& info, size_t first, const char* fn, bool has_oc) {
  Napi::Env env = info.Env();
  ng::ConvGeom g{};
  size_t i = first;
  g.n = get_size(info, i++, fn, "N");
  g.c = get_size(info, i++, fn, "C");
  g.h = get_size(info, i++, fn, "H");
  g.w = get_size(info, i++, fn, "W");
  g.oc = has_oc ? get_size(info, i++, fn, "outC") : 0;
  g.kh = get_int(info, i++, fn, "kH", 1, kMaxDim);
  g.kw = get_int(info, i++, fn, "kW", 1, kMaxDim);
  g.sh = get_int(info, i++, fn, "strideH", 1, kMaxDim);
  g.sw = get_int(info, i++, fn, "strideW", 1, kMaxDim);
  g.ph = get_int(info, i++, fn, "padH", 0, kMaxDim);
  g.pw = get_int(info, i++, fn, "padW", 0, kMaxDim);
  g.dh = get_int(info, i++, fn, "dilationH", 1, kMaxDim);
  g.dw = get_int(info, i++, fn, "dilationW", 1, kMaxDim);
  const int64_t effH = checked_add(env, fn, checked_mul(env, fn, g.dh, g.kh - 1), 1);
  const int64_t effW = checked_add(env, fn, checked_mul(env, fn, g.dw, g.kw - 1), 1);
  const int64_t padded_h = g.h + 2 * g.ph, padded_w = g.w + 2 * g.pw;  // < 2^33: no overflow
  if (effH > padded_h || effW > padded_w) {
    range_error(env, std::string(fn) + ": kernel extent " + std::to_string(effH) + "x" + std::to_string(effW) +
                         " is larger than the padded input " + std::to_string(padded_h) + "x" +
                         std::to_string(padded_w));
  }
  g.oh = (padded_h - effH) / g.sh + 1;
  g.ow = (padded_w - effW) / g.sw + 1;
  return g;
}

int64_t prod(Napi::Env env, const char* fn, std::initializer_list<int64_t> xs) {
  int64_t r = 1;
  for (int64_t x : xs) r = checked_mul(env, fn, r, x);
  return r;
}

Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "conv2d";
  Napi::Env env = info.Env();
  expect_count(info, 17, fn);
  const ng::ConvGeom g = read_geom(info, 4, fn, true);
  const int64_t nx = prod(env, fn, {g.n, g.c, g.h, g.w});
  const int64_t nw = prod(env, fn, {g.oc, g.c, g.kh, g.kw});
  const int64_t nout = prod(env, fn, {g.n, g.oc, g.oh, g.ow});
  prod(env, fn, {g.c, g.kh, g.kw, g.oh, g.ow});  // im2col scratch
  float* out = get_array<float>(info, 0, fn, "out", nout);
  const float* x = get_array<float>(info, 1, fn, "x", nx);
  const float* w = get_array<float>(info, 2, fn, "weight", nw);
  const float* bias = get_nullable<float>(info, 3, fn, "bias", g.oc);
  check_disjoint(env, fn, {{out, nout, 4, "out"}},
                 {{x, nx, 4, "x"}, {w, nw, 4, "weight"}, {bias, bias ? g.oc : 0, 4, "bias"}});
  const ng::ConvPlan plan = ng::conv2d_forward_plan(g);
  const ng::Workspace ws = reserve_workspace(env, fn, plan.need());
  ng::conv2d_forward(out, x, w, bias, g, plan, ws);
  return env.Undefined();
}

Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "conv2dBackward";
  Napi::Env env = info.Env();
  expect_count(info, 19, fn);
  const ng::ConvGeom g = read_geom(info, 6, fn, true);
  const int64_t nx = prod(env, fn, {g.n, g.c, g.h, g.w});
  const int64_t nw = prod(env, fn, {g.oc, g.c, g.kh, g.kw});
  const int64_t nout = prod(env, fn, {g.n, g.oc, g.oh, g.ow});
  prod(env, fn, {g.c, g.kh, g.kw, g.oh, g.ow});
  float* dx = get_nullable<float>(info, 0, fn, "dx", nx);
  float* dw = get_nullable<float>(info, 1, fn, "dweight", nw);
  float* db = get_nullable<float>(info, 2, fn, "dbias", g.oc);
  const float* dout = get_array<float>(info, 3, fn, "dout", nout);
  const float* x = get_array<float>(info, 4, fn, "x", nx);
  const float* w = get_array<float>(info, 5, fn, "weight", nw);
  check_disjoint(env, fn,
                 {{dx, dx ? nx : 0, 4, "dx"}, {dw, dw ? nw : 0, 4, "dweight"}, {db, db ? g.oc : 0, 4, "dbias"}},
                 {{dout, nout, 4, "dout"}, {x, nx, 4, "x"}, {w, nw, 4, "weight"}});
  const ng::ConvPlan plan = ng::conv2d_backward_plan(g, dx != nullptr, dw != nullptr);
  const ng::Workspace ws = reserve_workspace(env, fn, plan.need());
  ng::conv2d_backward(dx, dw, db, dout, x, w, g, plan, ws);
  return env.Undefined();
}

// Pooling geometry: indices are int32 positions inside one H×W plane.
ng::ConvGeom read_pool_geom(const Napi::CallbackInfo& info, size_t first, const char* fn) {
  ng::ConvGeom g = read_geom(info, first, fn, false);
  if (g.h * g.w > kMaxDim) range_error(info.Env(), std::string(fn) + ": H*W must be below 2^31");
  return g;
}

Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "maxPool2d";
  Napi::Env env = info.Env();
  expect_count(info, 15, fn);
  const ng::ConvGeom g = read_pool_geom(info, 3, fn);
  const int64_t nx = prod(env, fn, {g.n, g.c, g.h, g.w});
  const int64_t nout = prod(env, fn, {g.n, g.c, g.oh, g.ow});
  float* out = get_array<float>(info, 0, fn, "out", nout);
  int32_t* idx = get_array<int32_t>(info, 1, fn, "indices", nout);
  const float* x = get_array<float>(info, 2, fn, "x", nx);
  check_disjoint(env, fn, {{out, nout, 4, "out"}, {idx, nout, 4, "indices"}}, {{x, nx, 4, "x"}});
  ng::maxpool2d_forward(out, idx, x, g);
  return env.Undefined();
}

Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "maxPool2dBackward";
  Napi::Env env = info.Env();
  expect_count(info, 15, fn);
  const ng::ConvGeom g = read_pool_geom(info, 3, fn);
  const int64_t nx = prod(env, fn, {g.n, g.c, g.h, g.w});
  const int64_t nout = prod(env, fn, {g.n, g.c, g.oh, g.ow});
  float* dx = get_array<float>(info, 0, fn, "dx", nx);
  const float* dout = get_array<float>(info, 1, fn, "dout", nout);
  const int32_t* idx = get_array<int32_t>(info, 2, fn, "indices", nout);
  check_disjoint(env, fn, {{dx, nx, 4, "dx"}}, {{dout, nout, 4, "dout"}, {idx, nout, 4, "indices"}});
  ng::maxpool2d_backward(dx, dout, idx, g);
  return env.Undefined();
}

Napi::Value AvgPool2d(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "avgPool2d";
  Napi::Env env = info.Env();
  expect_count(info, 14, fn);
  const ng::ConvGeom g = read_geom(info, 2, fn, false);
  const int64_t nx = prod(env, fn, {g.n, g.c, g.h, g.w});
  const int64_t nout = prod(env, fn, {g.n, g.c, g.oh, g.ow});
  prod(env, fn, {g.kh, g.kw});
  float* out = get_array<float>(info, 0, fn, "out", nout);
  const float* x = get_array<float>(info, 1, fn, "x", nx);
  check_disjoint(env, fn, {{out, nout, 4, "out"}}, {{x, nx, 4, "x"}});
  ng::avgpool2d_forward(out, x, g);
  return env.Undefined();
}

Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "avgPool2dBackward";
  Napi::Env env = info.Env();
  expect_count(info, 14, fn);
  const ng::ConvGeom g = read_geom(info, 2, fn, false);
  const int64_t nx = prod(env, fn, {g.n, g.c, g.h, g.w});
  const int64_t nout = prod(env, fn, {g.n, g.c, g.oh, g.ow});
  prod(env, fn, {g.kh, g.kw});
  float* dx = get_array<float>(info, 0, fn, "dx", nx);
  const float* dout = get_array<float>(info, 1, fn, "dout", nout);
  check_disjoint(env, fn, {{dx, nx, 4, "dx"}}, {{dout, nout, 4, "dout"}});
  ng::avgpool2d_backward(dx, dout, g);
  return env.Undefined();
}

Napi::Value BatchNormStats(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "batchNormStats";
  Napi::Env env = info.Env();
  expect_count(info, 6, fn);
  const int64_t N = get_size(info, 3, fn, "N"), C = get_size(info, 4, fn, "C"), L = get_size(info, 5, fn, "L");
  const int64_t nx = prod(env, fn, {N, C, L});
  if (C > 0 && N * L == 0) range_error(env, std::string(fn) + ": N*L must be at least 1");
  float* mean = get_array<float>(info, 0, fn, "mean", C);
  float* var = get_array<float>(info, 1, fn, "variance", C);
  const float* x = get_array<float>(info, 2, fn, "x", nx);
  check_disjoint(env, fn, {{mean, C, 4, "mean"}, {var, C, 4, "variance"}}, {{x, nx, 4, "x"}});
  ng::batchnorm_stats(mean, var, x, N, C, L);
  return env.Undefined();
}

Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "batchNormForward";
  Napi::Env env = info.Env();
  expect_count(info, 9, fn);
  const int64_t N = get_size(info, 6, fn, "N"), C = get_size(info, 7, fn, "C"), L = get_size(info, 8, fn, "L");
  const int64_t nx = prod(env, fn, {N, C, L});
  float* out = get_array<float>(info, 0, fn, "out", nx);
  const float* x = get_array<float>(info, 1, fn, "x", nx);
  const float* mean = get_array<float>(info, 2, fn, "mean", C);
  const float* invstd = get_array<float>(info, 3, fn, "invstd", C);
  const float* gamma = get_nullable<float>(info, 4, fn, "gamma", C);
  const float* beta = get_nullable<float>(info, 5, fn, "beta", C);
  // out may alias x exactly (element-wise), but not the per-channel vectors
  check_disjoint(env, fn, {{out, nx, 4, "out"}},
                 {{mean, C, 4, "mean"}, {invstd, C, 4, "invstd"}, {gamma, gamma ? C : 0, 4, "gamma"},
                  {beta, beta ? C : 0, 4, "beta"}});
  if (out != x) check_disjoint(env, fn, {{out, nx, 4, "out"}}, {{x, nx, 4, "x"}});
  ng::batchnorm_forward(out, x, mean, invstd, gamma, beta, N, C, L);
  return env.Undefined();
}

Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "batchNormBackward";
  Napi::Env env = info.Env();
  expect_count(info, 12, fn);
  const int64_t N = get_size(info, 8, fn, "N"), C = get_size(info, 9, fn, "C"), L = get_size(info, 10, fn, "L");
  const bool batch_stats = get_bool(info, 11, fn, "batchStats");
  const int64_t nx = prod(env, fn, {N, C, L});
  if (C > 0 && N * L == 0) range_error(env, std::string(fn) + ": N*L must be at least 1");
  float* dx = get_nullable<float>(info, 0, fn, "dx", nx);
  float* dgamma = get_nullable<float>(info, 1, fn, "dgamma", C);
  float* dbeta = get_nullable<float>(info, 2, fn, "dbeta", C);
  const float* dout = get_array<float>(info, 3, fn, "dout", nx);
  const float* x = get_array<float>(info, 4, fn, "x", nx);
  const float* mean = get_array<float>(info, 5, fn, "mean", C);
  const float* invstd = get_array<float>(info, 6, fn, "invstd", C);
  const float* gamma = get_nullable<float>(info, 7, fn, "gamma", C);
  check_disjoint(env, fn,
                 {{dx, dx ? nx : 0, 4, "dx"}, {dgamma, dgamma ? C : 0, 4, "dgamma"}, {dbeta, dbeta ? C : 0, 4, "dbeta"}},
                 {{dout, nx, 4, "dout"}, {x, nx, 4, "x"}, {mean, C, 4, "mean"}, {invstd, C, 4, "invstd"},
                  {gamma, gamma ? C : 0, 4, "gamma"}});
  ng::batchnorm_backward(dx, dgamma, dbeta, dout, x, mean, invstd, gamma, N, C, L, batch_stats);
  return env.Undefined();
}

}  // namespace

void register_conv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", function(env, "conv2d", Conv2d));
  exports.Set("conv2dBackward", function(env, "conv2dBackward", Conv2dBackward));
  exports.Set("maxPool2d", function(env, "maxPool2d", MaxPool2d));
  exports.Set("maxPool2dBackward", function(env, "maxPool2dBackward", MaxPool2dBackward));
  exports.Set("avgPool2d", function(env, "avgPool2d", AvgPool2d));
  exports.Set("avgPool2dBackward", function(env, "avgPool2dBackward", AvgPool2dBackward));
  exports.Set("batchNormStats", function(env, "batchNormStats", BatchNormStats));
  exports.Set("batchNormForward", function(env, "batchNormForward", BatchNormForward));
  exports.Set("batchNormBackward", function(env, "batchNormBackward", BatchNormBackward));
}

}  // namespace ngb
