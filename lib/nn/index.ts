/** `ng.nn`: modules, layers, losses (`nn.functional`, also `ng.F`), initialisers and gradient utilities. */
export { Module, Parameter, type StateDict, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export {
  Linear, Sequential, Identity, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax, Flatten, Dropout, type LinearOptions,
  SiLU, Mish, ELU, SELU, LogSigmoid, Softplus, Hardtanh,
} from './layers.js';
export { LayerNorm, BatchNorm1d, BatchNorm2d, type LayerNormOptions, type BatchNormOptions, type BatchNorm2dOptions } from './norm.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss } from './loss.js';
export { ModuleList, ModuleDict, ParameterList, ParameterDict } from './containers.js';
export { linear, type LinearActivation } from './fused-linear.js';
export * as functional from './F.js';
export * as init from './init.js';
export * as utils from './utils.js';
export { Conv1d, Conv2d, type Conv1dLayerOptions, type Conv2dLayerOptions } from './conv.js';
export { MaxPool2d, AvgPool2d, type Pool2dLayerOptions } from './pool.js';
export {
  MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions, type TransformerEncoderLayerOptions, type TransformerEncoderForwardOptions,
  type TransformerDecoderForwardOptions,
} from './transformer.js';
export * as parallel from './parallel.js';
