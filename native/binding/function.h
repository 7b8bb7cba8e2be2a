// Registers binding functions behind our own noexcept trampoline instead of node-addon-api's
// callback wrapper. Why: when a worker_thread is terminated mid-call, N-API calls start failing and
// node-addon-api's wrapper, unable to throw into a dying environment, lets a C++ exception escape
// (std::terminate: the whole process aborts). Here every exception is turned into a JS exception
// when the environment can still take one, and dropped when it cannot.
#pragma once
#include <napi.h>

#include <exception>
#include <new>
#include <type_traits>

namespace ngb {

using ValueFn = Napi::Value (*)(const Napi::CallbackInfo&);
using VoidFn = void (*)(const Napi::CallbackInfo&);

inline void throw_or_drop(napi_env env, const Napi::Error& e) noexcept {
  try {
    napi_value v = e.Value();
    if (v != nullptr) napi_throw(env, v);  // fails only while the environment shuts down
  } catch (...) {
  }
}

template <class Fn>
napi_value trampoline(napi_env env, napi_callback_info cbinfo) noexcept {
  try {
    Napi::CallbackInfo info(env, cbinfo);
    Fn fn = reinterpret_cast<Fn>(info.Data());
    if constexpr (std::is_same_v<Fn, ValueFn>) {
      return fn(info);
    } else {
      fn(info);
      return nullptr;
    }
  } catch (const Napi::Error& e) {
    throw_or_drop(env, e);
  } catch (const std::bad_alloc&) {
    napi_throw_range_error(env, nullptr, "nodegrad: out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  } catch (...) {
  }
  return nullptr;
}

template <class Fn>
Napi::Function function(Napi::Env env, const char* name, Fn fn) {
  static_assert(std::is_same_v<Fn, ValueFn> || std::is_same_v<Fn, VoidFn>, "binding functions take const CallbackInfo&");
  napi_value f = nullptr;
  napi_status st = napi_create_function(env, name, NAPI_AUTO_LENGTH, trampoline<Fn>,
                                        reinterpret_cast<void*>(fn), &f);
  NAPI_THROW_IF_FAILED(env, st, Napi::Function());
  return Napi::Function(env, f);
}

}  // namespace ngb
