/** `ng.data`: datasets and the batching DataLoader. */
export { TensorDataset, type Dataset, type Labels } from './dataset.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './loader.js';
export { readIdx, parseIdx, type IdxResult, type IdxDtype } from './idx.js';
export { mnist, type MnistOptions, type MnistSplit } from './mnist.js';
export { DistributedSampler, type Sampler, type DistributedSamplerOptions } from './sampler.js';
