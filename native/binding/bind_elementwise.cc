// N-API entries for every non-GEMM kernel (signatures: lib/backend/native/binding.ts). Each one
// validates everything before touching memory (count, exact typed-array class, op codes, integer sizes,
// lengths against the 64-bit overflow-checked extent, labels/indices, optimizer lists) and throws a
// TypeError/RangeError naming the function and argument. Then it calls the ng::ew_* driver.
// Hot path: raw napi_get_typedarray_info / napi_get_value_double (one N-API call per argument).
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "fast_args.h"
#include "function.h"
#include "bindings.h"
#include "elementwise.h"

namespace ngb {
namespace {

using Info = Napi::CallbackInfo;
constexpr int64_t kMaxOffset = (int64_t(1) << 53);

using namespace fast;

int64_t mul(const Info& info, const char* fn, int64_t a, int64_t b) { return checked_mul(info.Env(), fn, a, b); }

// --- unary / binary / copy ---

void Unary(const Info& info) {
  const char* fn = "unary";
  count(info, 5, fn);
  int op = int(integer(info, 0, fn, "op", 0, ng::kUnaryOpCount - 1));
  int64_t n = size(info, 3, fn, "n");
  const float* x = arr<float>(info, 1, fn, "x", n);
  float* out = arr<float>(info, 2, fn, "out", n);
  float alpha = float(num(info, 4, fn, "alpha"));
  ng::ew_unary(op, x, out, n, alpha);
}

void UnaryBackward(const Info& info) {
  const char* fn = "unaryBackward";
  count(info, 7, fn);
  int op = int(integer(info, 0, fn, "op", 0, ng::kUnaryOpCount - 1));
  int64_t n = size(info, 5, fn, "n");
  const float* x = arr<float>(info, 1, fn, "x", n);
  const float* y = arr<float>(info, 2, fn, "y", n);
  const float* dy = arr<float>(info, 3, fn, "dy", n);
  float* dx = arr<float>(info, 4, fn, "dx", n);
  float alpha = float(num(info, 6, fn, "alpha"));
  ng::ew_unary_backward(op, x, y, dy, dx, n, alpha);
}

// meta = [rank, shape…, strides1…, strides2…]: parsed, checked, and the elements each strided operand
// spans (1 + Σ (shape−1)·stride; 0 when the shape is empty) computed with overflow checks.
struct Meta {
  int rank = 0;
  int64_t shape[ng::kEwMaxRank], s1[ng::kEwMaxRank], s2[ng::kEwMaxRank];
  int64_t total = 1, extent1 = 1, extent2 = 1;
};

Meta parse_meta(const Info& info, size_t i, const char* fn, const char* s1name, const char* s2name) {
  int64_t len;
  const int32_t* m = arr<int32_t>(info, i, fn, "meta", 1, &len);
  Meta r;
  if (m[0] < 0 || m[0] > ng::kEwMaxRank) {
    range_error(info.Env(), where(fn, "meta") + ": rank " + std::to_string(m[0]) + " is not in [0, 32]");
  }
  r.rank = m[0];
  if (len != 1 + 3 * int64_t(r.rank)) {
    range_error(info.Env(), where(fn, "meta") + " has " + std::to_string(len) + " elements, rank " +
                                std::to_string(r.rank) + " needs " + std::to_string(1 + 3 * r.rank));
  }
  Napi::Env env = info.Env();
  for (int d = 0; d < r.rank; ++d) {
    r.shape[d] = m[1 + d];
    r.s1[d] = m[1 + r.rank + d];
    r.s2[d] = m[1 + 2 * r.rank + d];
    if (r.shape[d] < 0) range_error(env, where(fn, "meta") + ": shape[" + std::to_string(d) + "] is negative");
    if (r.s1[d] < 0) range_error(env, where(fn, "meta") + ": " + s1name + "[" + std::to_string(d) + "] is negative");
    if (r.s2[d] < 0) range_error(env, where(fn, "meta") + ": " + s2name + "[" + std::to_string(d) + "] is negative");
    r.total = checked_mul(env, fn, r.total, r.shape[d]);
  }
  if (r.total == 0) {
    r.extent1 = r.extent2 = 0;
    return r;
  }
  for (int d = 0; d < r.rank; ++d) {
    r.extent1 = checked_add(env, fn, r.extent1, checked_mul(env, fn, r.shape[d] - 1, r.s1[d]));
    r.extent2 = checked_add(env, fn, r.extent2, checked_mul(env, fn, r.shape[d] - 1, r.s2[d]));
  }
  return r;
}

void Binary(const Info& info) {
  const char* fn = "binary";
  count(info, 5, fn);
  int op = int(integer(info, 0, fn, "op", 0, ng::kBinaryOpCount - 1));
  Meta m = parse_meta(info, 4, fn, "aStrides", "bStrides");
  const float* a = arr<float>(info, 1, fn, "a", m.extent1);
  const float* b = arr<float>(info, 2, fn, "b", m.extent2);
  float* out = arr<float>(info, 3, fn, "out", m.total);
  if (m.total == 0) return;
  ng::ew_binary(op, a, m.s1, b, m.s2, out, m.shape, m.rank);
}

void Copy(const Info& info) {
  const char* fn = "copy";
  count(info, 6, fn);
  Meta m = parse_meta(info, 0, fn, "srcStrides", "dstStrides");
  int64_t so = integer(info, 2, fn, "srcOffset", 0, kMaxOffset);
  int64_t dof = integer(info, 4, fn, "dstOffset", 0, kMaxOffset);
  bool acc = flag(info, 5, fn, "accumulate");
  const float* src = arr<float>(info, 1, fn, "src", m.total ? checked_add(info.Env(), fn, so, m.extent1) : 0);
  float* dst = arr<float>(info, 3, fn, "dst", m.total ? checked_add(info.Env(), fn, dof, m.extent2) : 0);
  if (m.total == 0) return;
  ng::ew_copy(m.shape, m.rank, src + so, m.s1, dst + dof, m.s2, acc);
}

// --- reductions and softmax over [outer, n, inner] ---

struct Dims { int64_t outer, n, inner, all, kept; };
Dims dims(const Info& info, size_t i, const char* fn) {
  Dims d;
  d.outer = size(info, i, fn, "outer");
  d.n = size(info, i + 1, fn, "n");
  d.inner = size(info, i + 2, fn, "inner");
  d.kept = mul(info, fn, d.outer, d.inner);
  d.all = mul(info, fn, d.kept, d.n);
  return d;
}

void Reduce(const Info& info) {
  const char* fn = "reduce";
  count(info, 6, fn);
  int op = int(integer(info, 0, fn, "op", 0, ng::kReduceOpCount - 1));
  Dims d = dims(info, 3, fn);
  const float* x = arr<float>(info, 1, fn, "x", d.all);
  float* out = arr<float>(info, 2, fn, "out", d.kept);
  bool extreme = op == ng::kRMax || op == ng::kRMin || op == ng::kArgmax || op == ng::kArgmin;
  if (extreme && d.n == 0 && d.kept > 0) range_error(info.Env(), where(fn, "n") + " must be >= 1 for max/min/argmax/argmin");
  ng::ew_reduce(op, x, out, d.outer, d.n, d.inner);
}

void Softmax(const Info& info) {
  const char* fn = "softmax";
  count(info, 6, fn);
  Dims d = dims(info, 2, fn);
  const float* x = arr<float>(info, 0, fn, "x", d.all);
  float* out = arr<float>(info, 1, fn, "out", d.all);
  bool log = flag(info, 5, fn, "log");
  ng::ew_softmax(x, out, d.outer, d.n, d.inner, log);
}

void SoftmaxBackward(const Info& info) {
  const char* fn = "softmaxBackward";
  count(info, 7, fn);
  Dims d = dims(info, 3, fn);
  const float* y = arr<float>(info, 0, fn, "y", d.all);
  const float* dy = arr<float>(info, 1, fn, "dy", d.all);
  float* dx = arr<float>(info, 2, fn, "dx", d.all);
  bool log = flag(info, 6, fn, "log");
  ng::ew_softmax_backward(y, dy, dx, d.outer, d.n, d.inner, log);
}

// --- fused loss and row gather/scatter ---

bool is_null(const Info& info, size_t i) {
  napi_valuetype t;
  return napi_typeof(info.Env(), info[i], &t) == napi_ok && t == napi_null;
}

void SoftmaxCrossEntropy(const Info& info) {
  const char* fn = "softmaxCrossEntropy";
  count(info, 7, fn);
  int64_t rows = size(info, 4, fn, "rows");
  int64_t classes = size(info, 5, fn, "classes");
  int64_t all = mul(info, fn, rows, classes);
  const float* logits = arr<float>(info, 0, fn, "logits", all);
  const int32_t* labels = arr<int32_t>(info, 1, fn, "labels", rows);
  float* losses = arr<float>(info, 2, fn, "losses", rows);
  float* dlogits = is_null(info, 3) ? nullptr : arr<float>(info, 3, fn, "dlogits", all);
  float grad_scale = float(finite(info, 6, fn, "gradScale"));
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] < 0 || labels[r] >= classes) {
      range_error(info.Env(), std::string(fn) + ": label " + std::to_string(labels[r]) + " at row " + std::to_string(r) +
                                  " is out of range for " + std::to_string(classes) + " classes");
    }
  }
  ng::ew_softmax_xent(logits, labels, losses, dlogits, rows, classes, grad_scale);
}

// table is [tableRows, dim]: every idx[r] must name one of its rows.
void check_indices(const Info& info, const char* fn, const char* tname, const int32_t* idx, int64_t rows,
                   int64_t table_len, int64_t dim) {
  if (dim == 0) return;
  int64_t table_rows = table_len / dim;
  for (int64_t r = 0; r < rows; ++r) {
    if (idx[r] < 0 || idx[r] >= table_rows) {
      range_error(info.Env(), std::string(fn) + ": index " + std::to_string(idx[r]) + " at row " + std::to_string(r) +
                                  " is out of range for '" + tname + "' of " + std::to_string(table_rows) + " rows");
    }
  }
}

void GatherRows(const Info& info) {
  const char* fn = "gatherRows";
  count(info, 5, fn);
  int64_t rows = size(info, 3, fn, "rows");
  int64_t dim = size(info, 4, fn, "dim");
  int64_t tlen;
  const float* table = arr<float>(info, 0, fn, "table", 0, &tlen);
  const int32_t* idx = arr<int32_t>(info, 1, fn, "idx", rows);
  float* out = arr<float>(info, 2, fn, "out", mul(info, fn, rows, dim));
  check_indices(info, fn, "table", idx, rows, tlen, dim);
  ng::ew_gather_rows(table, idx, out, rows, dim);
}

void ScatterAddRows(const Info& info) {
  const char* fn = "scatterAddRows";
  count(info, 5, fn);
  int64_t rows = size(info, 3, fn, "rows");
  int64_t dim = size(info, 4, fn, "dim");
  const float* dout = arr<float>(info, 0, fn, "dout", mul(info, fn, rows, dim));
  const int32_t* idx = arr<int32_t>(info, 1, fn, "idx", rows);
  int64_t tlen;
  float* dtable = arr<float>(info, 2, fn, "dtable", 0, &tlen);
  check_indices(info, fn, "dtable", idx, rows, tlen, dim);
  ng::ew_scatter_add_rows(dout, idx, dtable, rows, dim);
}

// --- multi-tensor optimizers ---

// An Array of Float32Array; lengths[i] must match `like` when given.
// Reading an Array's elements can run JS (an index getter, a hole resolved through Array.prototype),
// which could detach or shrink (resizable ArrayBuffer) a typed array validated earlier. So every list
// argument of a call is first read into plain napi_values (elements()), and only after all of them are
// read — when no more JS can run before the kernel — are the typed arrays resolved and checked (list()).
constexpr uint32_t kMaxTensors = 1u << 20;

struct Elements {
  size_t arg_index = 0;
  bool present = false;
  std::vector<napi_value> v;
};

Elements elements(const Info& info, size_t i, const char* fn, const char* arg) {
  Napi::Env env = info.Env();
  bool is_arr = false;
  napi_value v = info[i];
  if (napi_is_array(env, v, &is_arr) != napi_ok || !is_arr) type_error(env, where(fn, arg) + " must be an Array of Float32Array");
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  // a sparse Array can claim 2^32-1 elements: reserving that would throw std::bad_alloc (abort)
  if (n > kMaxTensors) range_error(env, where(fn, arg) + " has " + std::to_string(n) + " tensors, at most " + std::to_string(kMaxTensors));
  Elements e;
  e.arg_index = i;
  e.present = true;
  e.v.resize(n);
  for (uint32_t k = 0; k < n; ++k) {
    if (napi_get_element(env, v, k, &e.v[k]) != napi_ok) {
      // a throwing getter leaves a pending exception: surface it as-is
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) throw Napi::Error::New(env);  // takes the pending exception
      type_error(env, std::string(fn) + ": " + arg + "[" + std::to_string(k) + "] must be a Float32Array");
    }
  }
  return e;
}

struct List {
  std::vector<float*> ptr;
  std::vector<int64_t> len;
};

List list(const Info& info, const Elements& el, const char* fn, const char* arg, const List* like, const char* like_name) {
  Napi::Env env = info.Env();
  const uint32_t n = uint32_t(el.v.size());
  if (like && n != like->ptr.size()) {
    range_error(env, where(fn, arg) + " has " + std::to_string(n) + " tensors, '" + like_name + "' has " +
                         std::to_string(like->ptr.size()));
  }
  List l;
  l.ptr.resize(n);
  l.len.resize(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    std::string name = std::string(arg) + "[" + std::to_string(k) + "]";
    if (napi_get_typedarray_info(env, el.v[k], &type, &len, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array) {
      type_error(env, std::string(fn) + ": " + name + " must be a Float32Array");
    }
    if (like && int64_t(len) != like->len[k]) {
      range_error(env, std::string(fn) + ": " + name + " has " + std::to_string(len) + " elements, " + like_name + "[" +
                           std::to_string(k) + "] has " + std::to_string(like->len[k]));
    }
    l.ptr[k] = static_cast<float*>(data);
    l.len[k] = int64_t(len);
  }
  return l;
}

ng::TensorList tensors(const List& p, const List& g, const List* s1, const List* s2) {
  return ng::TensorList{p.ptr.data(), const_cast<const float* const*>(g.ptr.data()), s1 ? s1->ptr.data() : nullptr,
                        s2 ? s2->ptr.data() : nullptr, p.len.data(), int(p.ptr.size())};
}

void AdamStep(const Info& info) {
  const char* fn = "adamStep";
  count(info, 11, fn);
  Elements ep = elements(info, 0, fn, "params"), eg = elements(info, 1, fn, "grads");
  Elements em = elements(info, 2, fn, "m"), ev = elements(info, 3, fn, "v");
  List p = list(info, ep, fn, "params", nullptr, "");
  List g = list(info, eg, fn, "grads", &p, "params");
  List m = list(info, em, fn, "m", &p, "params");
  List v = list(info, ev, fn, "v", &p, "params");
  double lr = finite(info, 4, fn, "lr"), b1 = finite(info, 5, fn, "beta1"), b2 = finite(info, 6, fn, "beta2");
  double eps = finite(info, 7, fn, "eps"), wd = finite(info, 8, fn, "weightDecay");
  int64_t step = integer(info, 9, fn, "step", 1, kMaxOffset);
  bool decoupled = flag(info, 10, fn, "decoupled");
  ng::ew_adam_step(tensors(p, g, &m, &v), lr, b1, b2, eps, wd, step, decoupled);
}

void SgdStep(const Info& info) {
  const char* fn = "sgdStep";
  count(info, 9, fn);
  Elements ep = elements(info, 0, fn, "params"), eg = elements(info, 1, fn, "grads");
  Elements eb = is_null(info, 2) ? Elements{} : elements(info, 2, fn, "momentumBufs");
  List p = list(info, ep, fn, "params", nullptr, "");
  List g = list(info, eg, fn, "grads", &p, "params");
  double lr = finite(info, 3, fn, "lr"), mom = finite(info, 4, fn, "momentum");
  double damp = finite(info, 5, fn, "dampening"), wd = finite(info, 6, fn, "weightDecay");
  bool nesterov = flag(info, 7, fn, "nesterov"), first = flag(info, 8, fn, "firstStep");
  if (mom < 0) range_error(info.Env(), where(fn, "momentum") + " must be >= 0");
  List bufs;
  bool has = mom != 0;
  if (has && is_null(info, 2)) type_error(info.Env(), where(fn, "momentumBufs") + " must be an Array when momentum > 0");
  if (eb.present) bufs = list(info, eb, fn, "momentumBufs", &p, "params");
  ng::ew_sgd_step(tensors(p, g, has ? &bufs : nullptr, nullptr), lr, mom, damp, wd, nesterov, first);
}

void RmspropStep(const Info& info) {
  const char* fn = "rmspropStep";
  count(info, 9, fn);
  Elements ep = elements(info, 0, fn, "params"), eg = elements(info, 1, fn, "grads");
  Elements esq = elements(info, 2, fn, "squareAvg");
  Elements eb = is_null(info, 3) ? Elements{} : elements(info, 3, fn, "momentumBufs");
  List p = list(info, ep, fn, "params", nullptr, "");
  List g = list(info, eg, fn, "grads", &p, "params");
  List sq = list(info, esq, fn, "squareAvg", &p, "params");
  double lr = finite(info, 4, fn, "lr"), alpha = finite(info, 5, fn, "alpha"), eps = finite(info, 6, fn, "eps");
  double wd = finite(info, 7, fn, "weightDecay"), mom = finite(info, 8, fn, "momentum");
  if (mom < 0) range_error(info.Env(), where(fn, "momentum") + " must be >= 0");
  List bufs;
  bool has = mom > 0;
  if (has && is_null(info, 3)) type_error(info.Env(), where(fn, "momentumBufs") + " must be an Array when momentum > 0");
  if (eb.present) bufs = list(info, eb, fn, "momentumBufs", &p, "params");
  ng::ew_rmsprop_step(tensors(p, g, &sq, has ? &bufs : nullptr), lr, alpha, eps, wd, mom);
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, void (*f)(const Info&)) { exports.Set(name, function(env, name, f)); };
  add("unary", Unary);
  add("unaryBackward", UnaryBackward);
  add("binary", Binary);
  add("reduce", Reduce);
  add("copy", Copy);
  add("softmax", Softmax);
  add("softmaxBackward", SoftmaxBackward);
  add("softmaxCrossEntropy", SoftmaxCrossEntropy);
  add("gatherRows", GatherRows);
  add("scatterAddRows", ScatterAddRows);
  add("adamStep", AdamStep);
  add("sgdStep", SgdStep);
  add("rmspropStep", RmspropStep);
}

}  // namespace ngb
