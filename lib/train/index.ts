/** Training: fit / evaluate / predict, callbacks, metrics. */
export { fit, evaluate, predict, resolveLoss, type FitOptions, type EvaluateOptions, type LossFn, type LossName } from './fit.js';
export * as callbacks from './callbacks.js';
export type { Callback, History, TrainContext, EarlyStoppingOptions, CheckpointOptions, SaveFn } from './callbacks.js';
export { accuracy, correctCount, type MetricName } from './metrics.js';
export { Progress, type Logs } from './progress.js';
export { loadCheckpoint, checkpointContents, CHECKPOINT_FORMAT, type LoadCheckpointOptions, type LoadedCheckpoint, type CheckpointState } from './checkpoint.js';
