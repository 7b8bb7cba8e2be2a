// Each bind_*.cc registers its functions on the addon's exports object.
#pragma once
#include <napi.h>

namespace ngb {
void register_info(Napi::Env env, Napi::Object exports);
void register_gemm(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_conv(Napi::Env env, Napi::Object exports);
void register_transformer(Napi::Env env, Napi::Object exports);
void register_nn(Napi::Env env, Napi::Object exports);
}  // namespace ngb
