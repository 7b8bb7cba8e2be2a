/** nodegrad public API (see shared API.md). Flat list of export lines. */
export { backends, getBackend, setBackend, setNumThreads, getNumThreads, nativeInfo, nativeLoadErrors, setSmallOpRouting, smallOpRouting, type BackendName, type NativeInfo } from './backend/registry.js';
export { Tensor, Storage, tensor, zeros, ones, full, zerosLike, onesLike, fullLike, eye, arange, randn, rand, isTensor, type TensorOptions, type NestedArray } from './tensor.js';
export { type DType, type DataArray } from './dtype.js';
export { allocStats, setPoolEnabled } from './util/alloc.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, type GradHook } from './autograd.js';
export * as autograd from './autograd-api.js';
export { manualSeed, getRngState, setRngState, Generator, type RngState } from './random.js';
export * from './ops/index.js';
export * as nn from './nn/index.js';
export { functional as F } from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export {
  fit, evaluate, predict, callbacks, loadCheckpoint, type FitOptions, type EvaluateOptions, type History, type Callback,
  type LoadCheckpointOptions, type LoadedCheckpoint,
} from './train/index.js';
export {
  saveSafetensors, loadSafetensors, readSafetensorsMetadata, readSafetensorsHeader, serializeSafetensors,
  deserializeSafetensors, type StateDict, type SafetensorsHeader, type SafetensorsEntry, type SafetensorsDtype,
} from './io/safetensors.js';
export { writeFileAtomic } from './io/atomic.js';
export * as io from './io/index.js';
export { save, load } from './io/save.js';
export { saveModel, loadModel, registerModuleClass, type LayerSpec, type SerializableModuleClass } from './io/model.js';
export { mnistMlp } from './models/mnist-mlp.js';
export { mnistCnn } from './models/mnist-cnn.js';
export * as distributed from './distributed/index.js';
export * as models from './models/index.js';
export * as lora from './lora/index.js';
export { hfToNanoGPT, nanoGPTToHF, loadHFGPT2, saveHFGPT2, configFromHF, configToHF, type GPT2Config, type HFGPT2ConfigJson, type HfToNanoGPTOptions } from './io/hf-gpt2.js';
export * as utils from './utils.js';
export * as finetune from './finetune/recipes.js';
