// layerNorm, layerNormBackward, sdpa, sdpaBackward (argument order: lib/backend/native/binding.ts).
// Every typed array is checked against the extent its sizes and strides imply (64-bit, overflow-
// checked) and outputs must not overlap inputs or each other (LayerNorm's out may be x itself).
// layerNormBackward and both sdpa calls plan first and reserve their workspace (dw/db partials,
// per-thread score / transpose blocks), throwing a RangeError naming the function when they cannot.
#include <cstdint>
#include <string>

#include "args.h"
#include "bindings.h"
#include "function.h"
#include "transformer.h"
#include "workspace_binding.h"

namespace ngb {
namespace {

struct Span {
  const void* p;
  int64_t n;  // elements (4 bytes each)
  const char* name;
};

bool spans_overlap(const Span& a, const Span& b) {
  if (a.p == nullptr || b.p == nullptr || a.n == 0 || b.n == 0) return false;
  const auto a0 = reinterpret_cast<uintptr_t>(a.p), b0 = reinterpret_cast<uintptr_t>(b.p);
  return a0 < b0 + uintptr_t(b.n) * 4 && b0 < a0 + uintptr_t(a.n) * 4;
}

void check_disjoint(Napi::Env env, const char* fn, std::initializer_list<Span> outs, std::initializer_list<Span> ins) {
  for (const Span& o : outs) {
    for (const Span& i : ins)
      if (spans_overlap(o, i)) range_error(env, where(fn, o.name) + " overlaps '" + i.name + "'");
    for (const Span& o2 : outs)
      if (&o2 != &o && spans_overlap(o, o2)) range_error(env, where(fn, o.name) + " overlaps '" + o2.name + "'");
  }
}

template <class T>
T* nullable(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg, int64_t need) {
  if (info[i].IsNull()) return nullptr;
  return get_array<T>(info, i, fn, arg, need);
}

int64_t mul2(Napi::Env env, const char* fn, int64_t a, int64_t b) { return checked_mul(env, fn, a, b); }

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "layerNorm";
  Napi::Env env = info.Env();
  expect_count(info, 9, fn);
  const int64_t rows = get_size(info, 6, fn, "rows"), n = get_size(info, 7, fn, "n");
  const float eps = get_float(info, 8, fn, "eps");
  if (!(eps >= 0.0f)) range_error(env, where(fn, "eps") + " must be non-negative");
  if (rows > 0 && n == 0) range_error(env, where(fn, "n") + " must be at least 1 when rows > 0");
  const int64_t nx = mul2(env, fn, rows, n);
  float* out = get_array<float>(info, 0, fn, "out", nx);
  float* mean = get_array<float>(info, 1, fn, "mean", rows);
  float* rstd = get_array<float>(info, 2, fn, "rstd", rows);
  const float* x = get_array<float>(info, 3, fn, "x", nx);
  const float* w = nullable<float>(info, 4, fn, "weight", n);
  const float* b = nullable<float>(info, 5, fn, "bias", n);
  check_disjoint(env, fn, {{out, nx, "out"}, {mean, rows, "mean"}, {rstd, rows, "rstd"}},
                 {{w, w ? n : 0, "weight"}, {b, b ? n : 0, "bias"}});
  check_disjoint(env, fn, {{mean, rows, "mean"}, {rstd, rows, "rstd"}}, {{x, nx, "x"}});
  if (out != x) check_disjoint(env, fn, {{out, nx, "out"}}, {{x, nx, "x"}});
  const ng::LayerNormPlan plan = ng::layernorm_plan(rows, n, false, false);
  ng::layernorm_forward(out, mean, rstd, x, w, b, rows, n, eps, plan);
  return env.Undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "layerNormBackward";
  Napi::Env env = info.Env();
  expect_count(info, 10, fn);
  const int64_t rows = get_size(info, 8, fn, "rows"), n = get_size(info, 9, fn, "n");
  if (rows > 0 && n == 0) range_error(env, where(fn, "n") + " must be at least 1 when rows > 0");
  const int64_t nx = mul2(env, fn, rows, n);
  float* dx = nullable<float>(info, 0, fn, "dx", nx);
  float* dw = nullable<float>(info, 1, fn, "dweight", n);
  float* db = nullable<float>(info, 2, fn, "dbias", n);
  const float* dout = get_array<float>(info, 3, fn, "dout", nx);
  const float* x = get_array<float>(info, 4, fn, "x", nx);
  const float* mean = get_array<float>(info, 5, fn, "mean", rows);
  const float* rstd = get_array<float>(info, 6, fn, "rstd", rows);
  const float* w = nullable<float>(info, 7, fn, "weight", n);
  check_disjoint(env, fn, {{dx, dx ? nx : 0, "dx"}, {dw, dw ? n : 0, "dweight"}, {db, db ? n : 0, "dbias"}},
                 {{dout, nx, "dout"}, {x, nx, "x"}, {mean, rows, "mean"}, {rstd, rows, "rstd"}, {w, w ? n : 0, "weight"}});
  const ng::LayerNormPlan plan = ng::layernorm_plan(rows, n, true, dw != nullptr || db != nullptr);
  const ng::Workspace ws = reserve_workspace(env, fn, plan.need());
  ng::layernorm_backward(dx, dw, db, dout, x, mean, rstd, w, rows, n, plan, ws);
  return env.Undefined();
}

constexpr int kMetaLen = 19;

// meta = [b0, b1, L, S, E, Ev, q0, q1, qL, k0, k1, kL, v0, v1, vL, m0, m1, mL, mS]
ng::SdpaArgs read_sdpa_meta(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  Napi::Env env = info.Env();
  const int32_t* m = get_array<int32_t>(info, i, fn, "meta", kMetaLen);
  {
    napi_typedarray_type type;
    size_t length = 0;
    napi_get_typedarray_info(env, info[i], &type, &length, nullptr, nullptr, nullptr);
    if (length != size_t(kMetaLen)) {
      range_error(env, where(fn, "meta") + " must have " + std::to_string(kMetaLen) + " elements, got " + std::to_string(length));
    }
  }
  static const char* names[kMetaLen] = {"b0", "b1", "L", "S", "E", "Ev", "q0", "q1", "qL", "k0",
                                        "k1", "kL", "v0", "v1", "vL", "m0", "m1", "mL", "mS"};
  for (int j = 0; j < kMetaLen; ++j) {
    if (m[j] < 0) range_error(env, where(fn, "meta") + ": " + names[j] + " must be non-negative, got " + std::to_string(m[j]));
  }
  ng::SdpaArgs a;
  a.b0 = m[0]; a.b1 = m[1]; a.L = m[2]; a.S = m[3]; a.E = m[4]; a.Ev = m[5];
  a.q0 = m[6]; a.q1 = m[7]; a.qL = m[8];
  a.k0 = m[9]; a.k1 = m[10]; a.kL = m[11];
  a.v0 = m[12]; a.v1 = m[13]; a.vL = m[14];
  a.m0 = m[15]; a.m1 = m[16]; a.mL = m[17]; a.mS = m[18];
  return a;
}

// Elements a [b0, b1, R, C] operand with strides (s0, s1, sR, 1) reaches.
int64_t extent4(Napi::Env env, const char* fn, int64_t b0, int64_t b1, int64_t R, int64_t C, int64_t s0, int64_t s1,
                int64_t sR, int64_t sC) {
  if (b0 == 0 || b1 == 0 || R == 0 || C == 0) return 0;
  int64_t e = checked_mul(env, fn, b0 - 1, s0);
  e = checked_add(env, fn, e, checked_mul(env, fn, b1 - 1, s1));
  e = checked_add(env, fn, e, checked_mul(env, fn, R - 1, sR));
  e = checked_add(env, fn, e, checked_mul(env, fn, C - 1, sC));
  return checked_add(env, fn, e, 1);
}

struct SdpaIn {
  ng::SdpaArgs a;
  int64_t nq, nk, nv, nm, nout, nlse, nqc, nkc, nvc;
};

// Reads q, k, v (at argument positions iq..iq+2), mask (at imask), meta, scale, causal (from imeta).
SdpaIn read_sdpa(const Napi::CallbackInfo& info, size_t iq, size_t imask, size_t imeta, const char* fn) {
  Napi::Env env = info.Env();
  SdpaIn s;
  s.a = read_sdpa_meta(info, imeta, fn);
  ng::SdpaArgs& a = s.a;
  a.scale = get_float(info, imeta + 1, fn, "scale");
  a.causal = get_bool(info, imeta + 2, fn, "causal");
  s.nq = extent4(env, fn, a.b0, a.b1, a.L, a.E, a.q0, a.q1, a.qL, 1);
  s.nk = extent4(env, fn, a.b0, a.b1, a.S, a.E, a.k0, a.k1, a.kL, 1);
  s.nv = extent4(env, fn, a.b0, a.b1, a.S, a.Ev, a.v0, a.v1, a.vL, 1);
  s.nm = extent4(env, fn, a.b0, a.b1, a.L, a.S, a.m0, a.m1, a.mL, a.mS);
  const int64_t heads = checked_mul(env, fn, a.b0, a.b1);
  s.nlse = checked_mul(env, fn, heads, a.L);
  s.nout = checked_mul(env, fn, s.nlse, a.Ev);
  s.nqc = checked_mul(env, fn, s.nlse, a.E);
  s.nkc = checked_mul(env, fn, checked_mul(env, fn, heads, a.S), a.E);
  s.nvc = checked_mul(env, fn, checked_mul(env, fn, heads, a.S), a.Ev);
  if (heads > (int64_t(1) << 31) - 1 || s.nlse > (int64_t(1) << 31) - 1) {
    range_error(env, std::string(fn) + ": b0*b1*L must be below 2^31");
  }
  a.q = get_array<float>(info, iq, fn, "q", s.nq);
  a.k = get_array<float>(info, iq + 1, fn, "k", s.nk);
  a.v = get_array<float>(info, iq + 2, fn, "v", s.nv);
  a.mask = nullable<float>(info, imask, fn, "mask", s.nm);
  return s;
}

Napi::Value Sdpa(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "sdpa";
  Napi::Env env = info.Env();
  expect_count(info, 9, fn);
  SdpaIn s = read_sdpa(info, 2, 5, 6, fn);
  ng::SdpaArgs& a = s.a;
  a.out = get_array<float>(info, 0, fn, "out", s.nout);
  a.lse = get_array<float>(info, 1, fn, "lse", s.nlse);
  check_disjoint(env, fn, {{a.out, s.nout, "out"}, {a.lse, s.nlse, "lse"}},
                 {{a.q, s.nq, "q"}, {a.k, s.nk, "k"}, {a.v, s.nv, "v"}, {a.mask, a.mask ? s.nm : 0, "mask"}});
  const ng::SdpaPlan plan = ng::sdpa_forward_plan(a);
  const ng::Workspace ws = reserve_workspace(env, fn, plan.need());
  ng::sdpa_forward(a, plan, ws);
  return env.Undefined();
}

Napi::Value SdpaBackward(const Napi::CallbackInfo& info) {
  constexpr const char* fn = "sdpaBackward";
  Napi::Env env = info.Env();
  expect_count(info, 13, fn);
  SdpaIn s = read_sdpa(info, 4, 9, 10, fn);
  ng::SdpaArgs& a = s.a;
  a.dq = get_array<float>(info, 0, fn, "dq", s.nqc);
  a.dk = get_array<float>(info, 1, fn, "dk", s.nkc);
  a.dv = get_array<float>(info, 2, fn, "dv", s.nvc);
  a.dout = get_array<float>(info, 3, fn, "dout", s.nout);
  a.out = get_array<float>(info, 7, fn, "out", s.nout);
  a.lse = get_array<float>(info, 8, fn, "lse", s.nlse);
  check_disjoint(env, fn, {{a.dq, s.nqc, "dq"}, {a.dk, s.nkc, "dk"}, {a.dv, s.nvc, "dv"}},
                 {{a.dout, s.nout, "dout"}, {a.q, s.nq, "q"}, {a.k, s.nk, "k"}, {a.v, s.nv, "v"},
                  {a.out, s.nout, "out"}, {a.lse, s.nlse, "lse"}, {a.mask, a.mask ? s.nm : 0, "mask"}});
  const ng::SdpaPlan plan = ng::sdpa_backward_plan(a);
  const ng::Workspace ws = reserve_workspace(env, fn, plan.need());
  ng::sdpa_backward(a, plan, ws);
  return env.Undefined();
}

}  // namespace

void register_transformer(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNorm", function(env, "layerNorm", LayerNorm));
  exports.Set("layerNormBackward", function(env, "layerNormBackward", LayerNormBackward));
  exports.Set("sdpa", function(env, "sdpa", Sdpa));
  exports.Set("sdpaBackward", function(env, "sdpaBackward", SdpaBackward));
}

}  // namespace ngb
