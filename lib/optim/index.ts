/** `ng.optim`: optimizers (one fused backend call per step) and learning-rate schedulers. */
export { Optimizer, type OptimizerStateDict, type Hyper } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearWarmup } from './scheduler.js';
