/**
 * Fine-tuning a pretrained model, in miniature: take the MNIST digit classifier that `npm start`
 * (`nodegrad train mnist-mlp`) saved, freeze its hidden layers, replace the 10-way head with a new
 * 2-way Linear for a new task — is the digit even or odd? — and train only that head on a small
 * labelled subset (1,000 images). Prints the test accuracy before (new, untrained head) and after.
 *
 *   npx tsx examples/finetune.ts [modelDir]     (default models/mnist-mlp)
 *
 * When the folder does not exist, a base model is trained quickly first (1 epoch on 10,000 images, a
 * few seconds on the native backend) and saved there, so the example always runs; `npm start` trains
 * the full one (≥ 97.5 % on the digits).
 *
 * Weights from PyTorch: a PyTorch `nn.Sequential` with the same layers has the same parameter names
 * (`0.weight`, `0.bias`, `2.weight`, …) and layouts (Linear weight [out, in]), so its state dict loads
 * directly from a safetensors file:
 *
 *   # Python
 *   net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
 *                             torch.nn.ReLU(), torch.nn.Linear(128, 10))
 *   from safetensors.torch import save_file
 *   save_file({k: v.contiguous() for k, v in net.state_dict().items()}, "mlp.safetensors")
 *
 *   // TypeScript
 *   const model = new ng.nn.Sequential(new ng.nn.Linear(784, 256), new ng.nn.ReLU(),
 *     new ng.nn.Linear(256, 128), new ng.nn.ReLU(), new ng.nn.Linear(128, 10));
 *   model.loadStateDict(ng.loadSafetensors('mlp.safetensors'));   // strict: names and shapes must match
 *
 * (F16/BF16/F64 tensors in the file are converted to float32 on load.) Then freeze and replace the
 * head exactly as below.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ng from '../lib/index.js';

export interface FinetuneOptions {
  /** the saved base model (default models/mnist-mlp) */
  modelDir?: string;
  /** labelled images for the new task, from the MNIST training set (default 1000) */
  trainSize?: number;
  /** test images to measure accuracy on (default 10000, all) */
  testSize?: number;
  /** fine-tuning epochs (default 10) */
  epochs?: number;
  /** Adam lr for the new head (default 1e-2) */
  lr?: number;
  /** images used to pretrain a base model when modelDir is missing (default 10000) */
  pretrainSize?: number;
  seed?: number;
  log?: boolean;
}

export interface FinetuneResult {
  /** accuracy of the base model on the original 10-digit task */
  baseDigitAccuracy: number;
  /** even/odd test accuracy with the new, untrained head */
  before: number;
  /** even/odd test accuracy after fine-tuning the head */
  after: number;
  /** whether a base model had to be trained first */
  pretrained: boolean;
  /** the frozen hidden layers did not change */
  frozenUnchanged: boolean;
  /** number of trainable parameters (the new head's) */
  trainable: number;
}

/** Rows [0, n) of the split as a dataset, with labels mapped by `label`. */
function subset(split: ng.data.MnistSplit, n: number, label: (d: number) => number): ng.data.TensorDataset {
  n = Math.min(n, split.labels.length);
  const x = new ng.Tensor(split.images.data.subarray(0, n * 784), [n, 784]);
  return new ng.data.TensorDataset(x, Int32Array.from(split.labels.subarray(0, n), label));
}

/** Trains the default job's network briefly and saves it into `dir` (same preprocessing and metadata as the CLI). */
async function pretrain(dir: string, n: number, log: boolean): Promise<void> {
  const train = ng.data.mnist({ split: 'train', flatten: true, normalize: true });
  const model = new ng.nn.Sequential(
    new ng.nn.Linear(784, 256), new ng.nn.ReLU(), new ng.nn.Linear(256, 128), new ng.nn.ReLU(), new ng.nn.Linear(128, 10),
  );
  if (log) console.log(`no model in ${dir}: training a base model first (1 epoch on ${n} images; \`npm start\` trains the full one)`);
  await ng.fit(model, {
    train: new ng.data.DataLoader(subset(train, n, (d) => d), { batchSize: 64, shuffle: true, seed: 0 }),
    epochs: 1, loss: 'crossEntropy', optimizer: new ng.optim.Adam(model.parameters(), { lr: 2e-3 }), progress: false,
  });
  ng.saveModel(model, dir, { recipe: 'mnist-mlp', dataset: 'mnist', flatten: 'true', normalize: 'true' });
}

export async function finetune(o: FinetuneOptions = {}): Promise<FinetuneResult> {
  const log = o.log ?? true;
  const dir = path.resolve(o.modelDir ?? path.join('models', 'mnist-mlp'));
  ng.manualSeed(o.seed ?? 0);
  const pretrained = !fs.existsSync(path.join(dir, 'config.json'));
  if (pretrained) await pretrain(dir, o.pretrainSize ?? 10_000, log);

  // 1. the pretrained digit classifier
  const { model: base, metadata } = ng.loadModel(dir);
  if (!(base instanceof ng.nn.Sequential)) throw new Error(`finetune: ${dir} does not hold a Sequential model`);
  const normalize = metadata.normalize === 'true';
  const trainSplit = ng.data.mnist({ split: 'train', flatten: true, normalize });
  const testSplit = ng.data.mnist({ split: 'test', flatten: true, normalize });
  const nTest = o.testSize ?? 10_000;
  const evenOdd = (d: number) => d % 2; // 0 = even, 1 = odd
  const testDigits = subset(testSplit, nTest, (d) => d);
  const testParity = subset(testSplit, nTest, evenOdd);
  const acc = (m: ng.nn.Module, ds: ng.data.TensorDataset) =>
    ng.evaluate(m, ds, { loss: 'crossEntropy', metrics: ['accuracy'], batchSize: 1000 }).accuracy ?? NaN;
  const baseDigitAccuracy = acc(base, testDigits);

  // 2. freeze the hidden layers and replace the head (the last layer) with a new 2-way Linear
  const layers = [...base];
  const oldHead = layers.pop() as ng.nn.Linear;
  const body = new ng.nn.Sequential(...layers);
  body.requiresGrad(false);
  const head = new ng.nn.Linear(oldHead.inFeatures, 2);
  const model = new ng.nn.Sequential(...layers, head);
  const frozenBefore = body.parameters().map((p) => p.data.slice());
  const trainable = model.parameters().filter((p) => p.requiresGrad).reduce((s, p) => s + p.size, 0);

  const before = acc(model, testParity);
  if (log) {
    console.log(`base model ${dir}: ${(baseDigitAccuracy * 100).toFixed(2)} % on the 10 digits (${testDigits.length} test images)`);
    console.log(`new task: even/odd. Hidden layers frozen; new head Linear(${oldHead.inFeatures}, 2): ${trainable} trainable parameters`);
    console.log(`before fine-tuning (untrained head): ${(before * 100).toFixed(2)} %`);
  }

  // 3. fine-tune only the head on a small labelled subset
  const nTrain = o.trainSize ?? 1000;
  await ng.fit(model, {
    train: new ng.data.DataLoader(subset(trainSplit, nTrain, evenOdd), { batchSize: 50, shuffle: true, seed: o.seed ?? 0 }),
    epochs: o.epochs ?? 10, loss: 'crossEntropy', metrics: ['accuracy'], progress: false,
    optimizer: new ng.optim.Adam(head.parameters(), { lr: o.lr ?? 1e-2 }),
  });
  const after = acc(model, testParity);
  const frozenUnchanged = body.parameters().every((p, i) => p.data.every((v, j) => v === frozenBefore[i][j]));
  if (log) {
    console.log(`after fine-tuning on ${Math.min(nTrain, trainSplit.labels.length)} labelled images: ${(after * 100).toFixed(2)} %` +
      ` (frozen layers unchanged: ${frozenUnchanged})`);
  }
  return { baseDigitAccuracy, before, after, pretrained, frozenUnchanged, trainable };
}

if (process.argv[1] && /finetune\.[cm]?[jt]s$/.test(process.argv[1])) {
  finetune({ modelDir: process.argv[2] }).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
