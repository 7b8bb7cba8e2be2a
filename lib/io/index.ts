/** `ng.io`: file formats. llm.c's token shards and GPT-2 checkpoints (the other formats are also exported at the root). */
export {
  readTokenShard, writeTokenShard, parseTokenShard, serializeTokenShard, readLlmcCheckpoint, writeLlmcCheckpoint, llmcLayout,
  LLMC_TOKENS_MAGIC, LLMC_TOKENS_VERSION, LLMC_MODEL_MAGIC,
  type LlmcConfig, type LlmcCheckpoint, type ReadLlmcCheckpointOptions, type WriteLlmcCheckpointOptions,
} from './llmc.js';
export {
  saveSafetensors, loadSafetensors, readSafetensorsMetadata, readSafetensorsHeader, serializeSafetensors, deserializeSafetensors,
} from './safetensors.js';
export { writeFileAtomic } from './atomic.js';
export { save, load } from './save.js';
