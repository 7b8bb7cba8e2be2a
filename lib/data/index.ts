/** `ng.data`: datasets and the batching DataLoader. */
export { TensorDataset, type Dataset, type Labels } from './dataset.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './loader.js';
export { readIdx, parseIdx, type IdxResult, type IdxDtype } from './idx.js';
export { mnist, type MnistOptions, type MnistSplit } from './mnist.js';
export { corpus, corpusNames, type CorpusName } from './corpus.js';
export {
  CharTokenizer, Gpt2Tokenizer, gpt2Tokenizer, loadTokenizer, saveTokenizer, tokenizerFromJSON, TOKENIZER_FILE,
  type Tokenizer, type TokenizerJSON, type CharTokenizerJSON, type Gpt2TokenizerJSON, type TokenIds,
} from './tokenizers.js';
export {
  TokenDataset, splitTokens, tokenizeCorpus, defaultCacheDir, type Tokens, type TokenizeCorpusOptions, type TokenizedCorpus,
} from './text.js';
