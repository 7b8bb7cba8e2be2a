// Placeholder registration; the convolution / pooling kernels' binding replaces this file.
#include "bindings.h"
namespace ngb {
void register_conv(Napi::Env, Napi::Object) {}
}  // namespace ngb
