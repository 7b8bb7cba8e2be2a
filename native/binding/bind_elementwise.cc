// Placeholder registration; the elementwise kernels' binding replaces this file.
#include "bindings.h"
namespace ngb {
void register_elementwise(Napi::Env, Napi::Object) {}
}  // namespace ngb
