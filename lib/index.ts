/** nodegrad public API (see shared API.md). Flat list of export lines. */
export { backends, getBackend, setBackend, setNumThreads, getNumThreads, nativeInfo, nativeLoadErrors, type BackendName, type NativeInfo } from './backend/registry.js';
export { Tensor, tensor, zeros, ones, full, zerosLike, onesLike, eye, arange, randn, rand, isTensor, type TensorOptions, type NestedArray } from './tensor.js';
export { noGrad, isGradEnabled, setGradEnabled } from './autograd.js';
export { manualSeed, getRngState, setRngState, Generator, type RngState } from './random.js';
export * from './ops/index.js';
