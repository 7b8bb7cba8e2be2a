/**
 * `nodegrad train <model>` and `nodegrad eval <dir>`: the default job (MNIST) end to end —
 * data, model, Adam, fit with progress, test accuracy, throughput, and the saved model.
 */
import * as path from 'node:path';
import * as ng from './index.js';
import { mnistCnn } from './models/mnist-cnn.js';
import { mnistMlp } from './models/mnist-mlp.js';
import { plural } from './cli-fit.js';

export interface TrainOptions {
  /** default: the recipe's */
  epochs?: number;
  /** default: the recipe's */
  batchSize?: number;
  lr: number;
  backend?: string;
  threads?: number;
  seed: number;
  out: string;
  progress: boolean;
}

interface Recipe {
  /** builds the network */
  build(): ng.nn.Module;
  /** MNIST as this network takes it */
  flatten: boolean;
  description: string;
  epochs: number;
  batchSize: number;
  /** anneal the learning rate to 0 over the run (cosine, stepped per batch) */
  cosine: boolean;
}

const RECIPES: Record<string, Recipe> = {
  'mnist-mlp': { build: mnistMlp, flatten: true, description: '784-256-128-10 ReLU MLP on MNIST', epochs: 8, batchSize: 128, cosine: false },
  'mnist-cnn': {
    build: mnistCnn, flatten: false, epochs: 3, batchSize: 64, cosine: true,
    description: 'LeNet-style CNN (conv5x5 1→16, BN, ReLU, pool, conv5x5 16→32, BN, ReLU, pool, linear) on MNIST',
  },
};

export function registerRecipe(name: string, recipe: Recipe): void {
  RECIPES[name] = recipe;
}

export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}

function configure(backend: string | undefined, threads: number | undefined): void {
  if (backend) ng.setBackend(backend as ng.BackendName);
  if (threads !== undefined) ng.setNumThreads(threads);
}

export async function train(modelName: string, o: TrainOptions): Promise<{ accuracy: number; samplesPerSec: number; dir: string }> {
  const recipe = RECIPES[modelName];
  if (!recipe) throw new Error(`train: unknown model '${modelName}'; known: ${recipeNames().join(', ')}`);
  configure(o.backend, o.threads);
  ng.manualSeed(o.seed);

  const trainSet = ng.data.mnist({ split: 'train', flatten: recipe.flatten, normalize: true });
  const testSet = ng.data.mnist({ split: 'test', flatten: recipe.flatten, normalize: true });
  const epochs = o.epochs ?? recipe.epochs;
  const batchSize = o.batchSize ?? recipe.batchSize;
  const model = recipe.build();
  const optimizer = new ng.optim.Adam(model.parameters(), { lr: o.lr });
  console.log(`training ${modelName} (${recipe.description}) on ${trainSet.labels.length} images: ` +
    `${plural(epochs, 'epoch')}, batch ${batchSize}, Adam lr ${o.lr}${recipe.cosine ? ' (cosine to 0)' : ''}, ` +
    `backend ${ng.getBackend()}, ${plural(ng.getNumThreads(), 'thread')}, seed ${o.seed}`);

  const loader = new ng.data.DataLoader(new ng.data.TensorDataset(trainSet.images, trainSet.labels), {
    batchSize, shuffle: true, seed: o.seed,
  });
  const scheduler = recipe.cosine ? new ng.optim.CosineAnnealingLR(optimizer, { tMax: epochs * loader.length }) : undefined;
  const t0 = performance.now();
  await ng.fit(model, {
    train: loader, epochs, loss: 'crossEntropy', optimizer, metrics: ['accuracy'], progress: o.progress,
    scheduler, schedulerStep: 'batch',
  });
  const seconds = (performance.now() - t0) / 1000;
  const samplesPerSec = (trainSet.labels.length * epochs) / seconds;

  const test = ng.evaluate(model, new ng.data.TensorDataset(testSet.images, testSet.labels), {
    loss: 'crossEntropy', metrics: ['accuracy'], batchSize: 1000,
  });
  const accuracy = test.accuracy ?? NaN;
  const dir = path.resolve(o.out);
  ng.saveModel(model, dir, { recipe: modelName, dataset: 'mnist', flatten: String(recipe.flatten), normalize: 'true', testAccuracy: accuracy.toFixed(4) });

  console.log(`test accuracy: ${(accuracy * 100).toFixed(2)} % (${Math.round(accuracy * testSet.labels.length)}/${testSet.labels.length}), test loss ${test.loss.toFixed(4)}`);
  console.log(`training throughput: ${Math.round(samplesPerSec)} samples/s (${seconds.toFixed(1)} s for ${plural(epochs, 'epoch')})`);
  console.log(`model saved to ${dir}`);
  return { accuracy, samplesPerSec, dir };
}

export async function evaluateSaved(dir: string, o: { backend?: string; threads?: number; batchSize: number }): Promise<number> {
  configure(o.backend, o.threads);
  const { model, metadata } = ng.loadModel(dir);
  if (metadata.dataset !== 'mnist') throw new Error(`eval: ${dir} was not trained on a dataset this command knows (${metadata.dataset ?? 'none recorded'})`);
  const testSet = ng.data.mnist({ split: 'test', flatten: metadata.flatten === 'true', normalize: metadata.normalize === 'true' });
  const r = ng.evaluate(model, new ng.data.TensorDataset(testSet.images, testSet.labels), {
    loss: 'crossEntropy', metrics: ['accuracy'], batchSize: o.batchSize,
  });
  const acc = r.accuracy ?? NaN;
  console.log(`${dir}: test accuracy ${(acc * 100).toFixed(2)} %, test loss ${r.loss.toFixed(4)} (${testSet.labels.length} images)`);
  return acc;
}
