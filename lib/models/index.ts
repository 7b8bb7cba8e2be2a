/** `ng.models`: ready-made architectures. */
export { GPT, Block, CausalSelfAttention, MLP, GPTTransformer, type GPTConfig, type GenerateOptions } from './gpt.js';
export { mnistMlp } from './mnist-mlp.js';
export { mnistCnn } from './mnist-cnn.js';
