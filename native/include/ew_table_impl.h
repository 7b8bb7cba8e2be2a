// The body of every ISA's element-wise translation unit: include INSIDE `namespace ng { namespace <isa> {`
// after <cmath>, <cstdint> and "elementwise.h". Everything but the exported table has internal linkage.
namespace {
#include "ew_math.h"
#include "ew_impl_unary.h"
#include "ew_impl_reduce.h"
#include "ew_impl_optim.h"
}  // namespace

extern const EwKernels ew_kernels_table;
const EwKernels ew_kernels_table = {
    unary_k,           unary_backward_k,         binary_run_k,           copy_run_k,
    reduce_contig_k,   reduce_strided_k,         softmax_row_k,          softmax_strided_k,
    softmax_backward_row_k, softmax_backward_strided_k, softmax_xent_row_k, adam_k,
    sgd_k,             rmsprop_k,
};
