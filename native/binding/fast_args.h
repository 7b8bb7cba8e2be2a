// Hot-path argument readers shared by bind_elementwise.cc and bind_nn.cc: raw
// napi_get_typedarray_info / napi_get_value_double / napi_get_value_bool (one N-API call per
// argument), with the same TypeError/RangeError messages as args.h's where()/type_error/range_error.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "args.h"

namespace ngb {
namespace fast {

using Info = Napi::CallbackInfo;

inline void count(const Info& info, size_t n, const char* fn) {
  if (info.Length() != n) {
    type_error(info.Env(), std::string(fn) + ": expected " + std::to_string(n) + " arguments, got " + std::to_string(info.Length()));
  }
}

inline bool is_null(const Info& info, size_t i) {
  napi_valuetype t;
  return napi_typeof(info.Env(), info[i], &t) == napi_ok && t == napi_null;
}

template <class T>
T* arr(const Info& info, size_t i, const char* fn, const char* arg, int64_t need, int64_t* len_out = nullptr) {
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  napi_status st = napi_get_typedarray_info(info.Env(), info[i], &type, &len, &data, nullptr, nullptr);
  if (st != napi_ok || type != TypedArrayKind<T>::type) {
    type_error(info.Env(), where(fn, arg) + " must be a " + TypedArrayKind<T>::name);
  }
  if (int64_t(len) < need) {
    range_error(info.Env(), where(fn, arg) + " has " + std::to_string(len) + " elements, needs " + std::to_string(need));
  }
  if (len_out) *len_out = int64_t(len);
  return static_cast<T*>(data);
}

inline double num(const Info& info, size_t i, const char* fn, const char* arg) {
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) type_error(info.Env(), where(fn, arg) + " must be a number");
  return d;
}

inline double finite(const Info& info, size_t i, const char* fn, const char* arg) {
  double d = num(info, i, fn, arg);
  if (!std::isfinite(d)) range_error(info.Env(), where(fn, arg) + " must be finite");
  return d;
}

inline int64_t integer(const Info& info, size_t i, const char* fn, const char* arg, int64_t lo, int64_t hi) {
  double d = num(info, i, fn, arg);
  if (!(d >= double(lo) && d <= double(hi)) || d != std::floor(d)) {
    range_error(info.Env(), where(fn, arg) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "], got " + Napi::Number::New(info.Env(), d).ToString().Utf8Value());
  }
  return int64_t(d);
}

// A size: integer in [0, 2^31).
inline int64_t size(const Info& info, size_t i, const char* fn, const char* arg) {
  return integer(info, i, fn, arg, 0, (int64_t(1) << 31) - 1);
}

inline bool flag(const Info& info, size_t i, const char* fn, const char* arg) {
  bool b;
  if (napi_get_value_bool(info.Env(), info[i], &b) != napi_ok) type_error(info.Env(), where(fn, arg) + " must be a boolean");
  return b;
}

}  // namespace fast
}  // namespace ngb
