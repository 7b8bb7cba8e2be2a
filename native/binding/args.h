// Argument checks for every binding entry: count, exact type, integer ranges, and typed-array
// lengths against the extent the sizes imply (64-bit, overflow-checked) — before any memory is touched.
// Errors are JS TypeError / RangeError naming the function and the argument.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace ngb {

inline std::string where(const char* fn, const char* arg) {
  return std::string(fn) + ": argument '" + arg + "'";
}

[[noreturn]] inline void type_error(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] inline void range_error(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

inline void expect_count(const Napi::CallbackInfo& info, size_t n, const char* fn) {
  if (info.Length() != n) {
    type_error(info.Env(), std::string(fn) + ": expected " + std::to_string(n) + " arguments, got " +
                               std::to_string(info.Length()));
  }
}

// An integer in [lo, hi] (sizes, strides, flags). Rejects non-numbers, NaN, fractions, > 2^53.
inline int64_t get_int(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg,
                       int64_t lo, int64_t hi) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) type_error(info.Env(), where(fn, arg) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d)) {
    range_error(info.Env(), where(fn, arg) + " must be an integer, got " + std::to_string(d));
  }
  if (d < double(lo) || d > double(hi)) {
    range_error(info.Env(), where(fn, arg) + " must be in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "], got " + std::to_string(int64_t(d)));
  }
  return int64_t(d);
}

// A size: integer in [0, 2^31) elements per dimension (keeps every product below 2^62).
inline int64_t get_size(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return get_int(info, i, fn, arg, 0, (int64_t(1) << 31) - 1);
}

inline bool get_bool(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) type_error(info.Env(), where(fn, arg) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// A float scalar; NaN/Inf allowed only when allow_nonfinite.
inline float get_float(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg,
                       bool allow_nonfinite = false) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) type_error(info.Env(), where(fn, arg) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!allow_nonfinite && !std::isfinite(d)) {
    range_error(info.Env(), where(fn, arg) + " must be finite");
  }
  return float(d);
}

template <class T>
struct TypedArrayKind;
template <>
struct TypedArrayKind<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedArrayKind<int32_t> {
  static constexpr napi_typedarray_type type = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};
template <>
struct TypedArrayKind<uint16_t> {
  static constexpr napi_typedarray_type type = napi_uint16_array;
  static constexpr const char* name = "Uint16Array";
};

// A typed array of exactly element type T with at least `need` elements. Returns its data pointer
// (never null when need > 0; a detached buffer has length 0 and fails the length check). Views of a
// SharedArrayBuffer are accepted as ordinary memory: napi_get_typedarray_info gives their data pointer
// (going through Napi::TypedArray::ArrayBuffer() would fail with a bare "Invalid argument" for them).
template <class T>
T* get_array(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg, int64_t need) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!info[i].IsTypedArray() ||
      napi_get_typedarray_info(info.Env(), info[i], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != TypedArrayKind<T>::type) {
    type_error(info.Env(), where(fn, arg) + " must be a " + TypedArrayKind<T>::name);
  }
  int64_t len = int64_t(length);
  if (need < 0 || len < need) {
    range_error(info.Env(), where(fn, arg) + " has " + std::to_string(len) + " elements, needs " +
                                std::to_string(need));
  }
  if (len == 0) return nullptr;
  if (data == nullptr) range_error(info.Env(), where(fn, arg) + " is detached");
  return static_cast<T*>(data);
}

// a*b (+ ...) with overflow checks: the extent of a strided operand.
inline int64_t checked_mul(Napi::Env env, const char* fn, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) range_error(env, std::string(fn) + ": sizes overflow");
  return r;
}
inline int64_t checked_add(Napi::Env env, const char* fn, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) range_error(env, std::string(fn) + ": sizes overflow");
  return r;
}

// Elements a rows×cols matrix with leading dimension ld occupies: (rows-1)*ld + cols (0 if empty).
inline int64_t matrix_extent(Napi::Env env, const char* fn, const char* arg, int64_t rows, int64_t cols,
                             int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  if (ld < cols) {
    range_error(env, std::string(fn) + ": leading dimension of '" + arg + "' (" + std::to_string(ld) +
                         ") is smaller than its row length (" + std::to_string(cols) + ")");
  }
  return checked_add(env, fn, checked_mul(env, fn, rows - 1, ld), cols);
}

}  // namespace ngb
