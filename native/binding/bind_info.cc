// nativeInfo / thread count: what the addon runs on.
#include <initializer_list>

#include "args.h"
#include "function.h"
#include "bindings.h"
#include "cpu_features.h"
#include "gemm.h"
#include "kernel_table.h"
#include "ops.gen.h"
#include "thread_pool.h"
#include "workspace_binding.h"

#ifndef NODEGRAD_VERSION
#define NODEGRAD_VERSION "0.0.0"
#endif

namespace ng {
NG_EPILOGUE_STATIC_CHECKS
}  // namespace ng

namespace ngb {
namespace {

// The op tables this build was compiled with (spec/ops.json via ops.gen.h): the loader compares them
// with lib/backend/ops.gen.ts and refuses an addon built from another spec.
Napi::Array names(Napi::Env env, std::initializer_list<const char*> list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  uint32_t i = 0;
  for (const char* n : list) a.Set(i++, Napi::String::New(env, n));
  return a;
}

Napi::Object op_tables(Napi::Env env) {
  Napi::Object t = Napi::Object::New(env);
#define NG_NAME(cpp, name) name,
  t.Set("unary", names(env, {NG_UNARY_OPS(NG_NAME)}));
  t.Set("binary", names(env, {NG_BINARY_OPS(NG_NAME)}));
  t.Set("reduce", names(env, {NG_REDUCE_OPS(NG_NAME)}));
  t.Set("epilogue", names(env, {NG_EPILOGUE_OPS(NG_NAME)}));
#undef NG_NAME
  return t;
}

Napi::Value NativeInfo(const Napi::CallbackInfo& info) {
  expect_count(info, 0, "nativeInfo");
  Napi::Env env = info.Env();
  const ng::CpuFeatures& f = ng::cpu_features();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", ng::isa_name(ng::active_isa()));
  o.Set("bestIsa", ng::isa_name(ng::best_isa()));
  o.Set("bf16", f.avx512_bf16);
  o.Set("threads", ng::num_threads());
  o.Set("l1dBytes", double(f.l1d_bytes));
  o.Set("l2Bytes", double(f.l2_bytes));
  o.Set("l3Bytes", double(f.l3_bytes));
  o.Set("version", NODEGRAD_VERSION);
  const char* w = ng::isa_request_warning();
  o.Set("isaWarning", w ? Napi::Value(Napi::String::New(env, w)) : env.Null());
  add_workspace_info(env, o);
  o.Set("ops", op_tables(env));
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  expect_count(info, 1, "setNumThreads");
  ng::set_num_threads(int(get_int(info, 0, "setNumThreads", "n", 1, 256)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  expect_count(info, 0, "getNumThreads");
  return Napi::Number::New(info.Env(), ng::num_threads());
}

}  // namespace

void register_info(Napi::Env env, Napi::Object exports) {
  exports.Set("nativeInfo", function(env, "nativeInfo", NativeInfo));
  exports.Set("setNumThreads", function(env, "setNumThreads", SetNumThreads));
  exports.Set("getNumThreads", function(env, "getNumThreads", GetNumThreads));
}

}  // namespace ngb
