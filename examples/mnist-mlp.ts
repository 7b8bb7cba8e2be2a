/**
 * MNIST with a 784-256-128-10 ReLU MLP: Adam 1e-3, batch 128, ng.fit with a progress bar, then test
 * accuracy. Each Linear + ReLU pair runs as one gemm with a fused bias+ReLU epilogue.
 * Validation uses the last 5,000 training images (held out: the model trains on the other 55,000);
 * the test set is scored once, at the end, and never used to choose anything.
 *
 *   npx tsx examples/mnist-mlp.ts [epochs]
 */
import * as ng from '../lib/index.js';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 3);
  ng.manualSeed(0);
  const train = ng.data.mnist({ split: 'train', flatten: true });
  const test = ng.data.mnist({ split: 'test', flatten: true });

  // hold out the last 5,000 training images for validation (the split is the same every run)
  const nValid = 5000;
  const nTrain = train.labels.length - nValid;
  const trainPart = new ng.data.TensorDataset(new ng.Tensor(train.images.data.subarray(0, nTrain * 784), [nTrain, 784]), train.labels.subarray(0, nTrain));
  const validPart = new ng.data.TensorDataset(new ng.Tensor(train.images.data.subarray(nTrain * 784), [nValid, 784]), train.labels.subarray(nTrain));

  const model = new ng.nn.Sequential(
    new ng.nn.Linear(784, 256), new ng.nn.ReLU(),
    new ng.nn.Linear(256, 128), new ng.nn.ReLU(),
    new ng.nn.Linear(128, 10),
  );
  const optimizer = new ng.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new ng.data.DataLoader(trainPart, { batchSize: 128, shuffle: true, seed: 0 });
  console.log(`MNIST MLP 784-256-128-10 on ${nTrain} images (${nValid} held out for validation), backend ${ng.getBackend()}, ${ng.getNumThreads()} threads`);

  const t0 = performance.now();
  const history = await ng.fit(model, {
    train: loader,
    valid: validPart,
    batchSize: 1000,
    epochs,
    loss: 'crossEntropy',
    optimizer,
    metrics: ['accuracy'],
  });
  const secs = (performance.now() - t0) / 1000;
  const r = ng.evaluate(model, new ng.data.TensorDataset(test.images, test.labels), { loss: 'crossEntropy', metrics: ['accuracy'], batchSize: 1000 });
  console.log(`test accuracy ${((r.accuracy ?? NaN) * 100).toFixed(2)} %, test loss ${r.loss.toFixed(4)}`);
  console.log(`${Math.round((nTrain * history.epoch.length) / secs)} samples/s over ${history.epoch.length} epoch${history.epoch.length === 1 ? '' : 's'} (incl. validation)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
