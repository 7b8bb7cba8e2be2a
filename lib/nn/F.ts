/**
 * `ng.nn.functional` (alias `ng.F`): the functional forms of ./functional.ts plus the transformer ones
 * (layerNorm, scaledDotProductAttention), gathered in one namespace.
 */
export * from './functional.js';
export { layerNorm } from './layernorm.js';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './attention.js';
