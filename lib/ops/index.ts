/** Every op: importing this module attaches the method forms to Tensor.prototype. */
export { abs, add, div, exp, log, maximum, minimum, mul, neg, pow, reciprocal, sqrt, square, sub } from './elementwise.js';
export { gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh, type GeluOptions } from './activation.js';
export { argmax, argmin, max, mean, min, sum } from './reduce.js';
export { expand, flatten, permute, reshape, squeeze, transpose, unsqueeze } from './shape.js';
export { concat, index, slice, stack } from './join.js';
export { matmul } from './matmul.js';
