import * as base from './lib/index.js';
import * as data from './lib/data/index.js';
import * as optim from './lib/optim/index.js';
import * as train from './lib/train/index.js';
import { mnistCnn } from './lib/models/mnist-cnn.js';
const ng = { ...base, data, optim, ...train };
async function main() {
  const epochs = Number(process.argv[2] ?? 3);
  ng.manualSeed(0);
  const tr = ng.data.mnist({ split: 'train', normalize: true });
  const te = ng.data.mnist({ split: 'test', normalize: true });
  const model = mnistCnn();
  const optimizer = new ng.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new ng.data.DataLoader(new ng.data.TensorDataset(tr.images, tr.labels), { batchSize: 64, shuffle: true, seed: 0 });
  console.log(tr.images.shape, ng.getBackend(), ng.getNumThreads());
  const t0 = performance.now();
  const h = await ng.fit(model, { train: loader, epochs, loss: 'crossEntropy', optimizer, metrics: ['accuracy'] });
  const secs = (performance.now() - t0) / 1000;
  const r = ng.evaluate(model, new ng.data.TensorDataset(te.images, te.labels), { loss: 'crossEntropy', metrics: ['accuracy'], batchSize: 1000 });
  console.log(`test accuracy ${((r.accuracy ?? NaN) * 100).toFixed(2)} %, loss ${r.loss.toFixed(4)}; ${Math.round(tr.labels.length * h.epoch.length / secs)} samples/s`);
}
main();
