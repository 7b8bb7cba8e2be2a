/** Every op: importing this module attaches the method forms to Tensor.prototype. */
export { abs, add, atan2, div, exp, lerp, log, maximum, minimum, mul, neg, pow, reciprocal, sqrt, square, sub } from './elementwise.js';
export { gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh, type GeluOptions } from './activation.js';
export { argmax, argmin, max, mean, min, sum } from './reduce.js';
export { chunk, clone, contiguous, expand, flatten, index, narrow, permute, reshape, select, slice, split, squeeze, t, transpose, unbind, unsqueeze, view } from './shape.js';
export { concat, stack } from './join.js';
export { matmul, dot, mm, bmm, outer } from './matmul.js';
export { conv2d, maxPool2d, avgPool2d, type Conv2dOptions, type Pool2dOptions, type Size2 } from './conv.js';
export { batchNorm, type BatchNormFnOptions } from './batchnorm.js';
export { eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalXor, logicalNot, where, maskedFill, to } from './compare.js';
export { clamp, clamp_, copy_, fill_, zero_ } from './inplace.js';
export * from './math.js';
export { tril, triu, gather, scatterAdd } from './indexing.js';
export { indexSelect, flip, roll, repeat, tile, sort, argsort } from './reorder.js';
export { prod, variance as var, std, norm, logsumexp, cumsum, cumprod, any, all, isnan, isinf, isfinite, nanToNum, type VarOptions, type NanToNumOptions } from './stats.js';
export { topk, multinomial, type TopkResult, type TopkOptions, type MultinomialOptions } from './sampling.js';
export { einsum } from './einsum.js';
