/**
 * `nodegrad train mlp --data FILE` (the generic form: an MLP on the user's own data) and
 * `nodegrad predict DIR --data FILE`. Data formats: see cli-data.ts.
 *
 * Training holds out `--valid-split` (default 0.1) of the rows, shuffled by `--seed`, and reports the
 * validation loss/accuracy each epoch and at the end. Features are standardised with the training
 * rows' mean and std (regression targets too); the statistics, the feature names, the target and the
 * class names are saved in the model folder's metadata, so `predict` applies the same transform and
 * prints class names or targets in the original units.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import * as ng from './index.js';
import { loadTable, type Table, type Task } from './cli-data.js';
import { writeFileAtomic } from './io/atomic.js';
import { MNIST_MEAN, MNIST_STD } from './data/mnist.js';

/** "1 epoch", "3 epochs". */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** Models `nodegrad train` builds for the user's data. */
export const GENERIC_MODELS = ['mlp', 'linear'] as const;

export interface GenericTrainOptions {
  data: string;
  targets?: string;
  target?: string;
  task?: Task;
  delimiter?: string;
  /** hidden layer widths; [] = a linear model */
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  validSplit: number;
  seed: number;
  out: string;
  progress: boolean;
  backend?: string;
  threads?: number;
}

export function parseHidden(v: string): number[] {
  if (v.trim() === '' || v.trim() === 'none' || v.trim() === '0') return [];
  return v.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`--hidden: expected comma-separated positive integers such as 256,128, got '${v}'`);
    return n;
  });
}

function configure(backend: string | undefined, threads: number | undefined): void {
  if (backend) ng.setBackend(backend as ng.BackendName);
  if (threads !== undefined) ng.setNumThreads(threads);
}

function meanStd(x: Float32Array, rows: ArrayLike<number>, F: number): { mean: number[]; std: number[] } {
  const mean = new Float64Array(F);
  const sq = new Float64Array(F);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * F;
    for (let j = 0; j < F; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < F; j++) mean[j] /= rows.length;
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * F;
    for (let j = 0; j < F; j++) sq[j] += (x[o + j] - mean[j]) ** 2;
  }
  // a constant feature (std 0) is only centred
  const std = Array.from(sq, (s) => Math.sqrt(s / rows.length)).map((s) => (s > 1e-12 ? s : 1));
  return { mean: Array.from(mean, (v) => Math.fround(v)), std: std.map((v) => Math.fround(v)) };
}

function gatherRows(x: Float32Array, rows: ArrayLike<number>, F: number, mean?: number[], std?: number[]): Float32Array {
  const out = new Float32Array(rows.length * F);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * F;
    for (let j = 0; j < F; j++) out[r * F + j] = mean ? (x[o + j] - mean[j]) / std![j] : x[o + j];
  }
  return out;
}

function standardize(x: Float32Array, F: number, mean: number[], std: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - mean[i % F]) / std[i % F];
  return out;
}

function buildMlp(inF: number, hidden: number[], outF: number): ng.nn.Module {
  const layers: ng.nn.Module[] = [];
  let w = inF;
  for (const h of hidden) {
    layers.push(new ng.nn.Linear(w, h), new ng.nn.ReLU());
    w = h;
  }
  layers.push(new ng.nn.Linear(w, outF));
  return new ng.nn.Sequential(...layers);
}

function numClasses(y: Int32Array): number {
  let m = -1;
  for (let i = 0; i < y.length; i++) if (y[i] > m) m = y[i];
  return m + 1;
}

export interface GenericTrainResult {
  dir: string;
  task: Task;
  validLoss: number | null;
  validAccuracy: number | null;
  /** regression: the validation RMSE in the target's units */
  validRmse: number | null;
}

export async function trainGeneric(modelName: string, o: GenericTrainOptions): Promise<GenericTrainResult> {
  if (!(GENERIC_MODELS as readonly string[]).includes(modelName)) {
    throw new Error(`train: --data trains one of ${GENERIC_MODELS.join(', ')} on your data, got model '${modelName}'`);
  }
  if (!(o.validSplit >= 0 && o.validSplit < 1)) throw new Error(`train: --valid-split must be in [0, 1), got ${o.validSplit}`);
  configure(o.backend, o.threads);
  ng.manualSeed(o.seed);
  const hidden = modelName === 'linear' ? [] : o.hidden;

  const t = loadTable({ data: o.data, targets: o.targets, target: o.target, task: o.task, delimiter: o.delimiter });
  const { n, features: F } = t;
  if (n < 2) throw new Error(`train: ${o.data} has ${n} example(s); need at least 2`);
  const task = t.task!;
  const nValid = o.validSplit > 0 ? Math.max(1, Math.floor(n * o.validSplit)) : 0;
  if (n - nValid < 1) throw new Error(`train: --valid-split ${o.validSplit} leaves no training rows of ${n}`);
  const perm = shuffle(n, o.seed);
  const trainRows = perm.subarray(nValid);
  const validRows = perm.subarray(0, nValid);

  const { mean, std } = meanStd(t.x, trainRows, F);
  const xTrain = new ng.Tensor(gatherRows(t.x, trainRows, F, mean, std), [trainRows.length, F]);
  const xValid = new ng.Tensor(gatherRows(t.x, validRows, F, mean, std), [validRows.length, F]);

  let outF: number;
  let yTrain: Int32Array | ng.Tensor;
  let yValid: Int32Array | ng.Tensor;
  let yMean: number[] = [];
  let yStd: number[] = [];
  const D = t.targetDims;
  if (task === 'classification') {
    const y = t.y as Int32Array;
    outF = t.classes ? t.classes.length : numClasses(y);
    if (outF < 2) throw new Error(`train: classification needs at least 2 classes; ${o.data} has labels 0..${outF - 1} (use --task regression?)`);
    yTrain = Int32Array.from(trainRows, (r) => y[r]);
    yValid = Int32Array.from(validRows, (r) => y[r]);
  } else {
    const y = t.y as Float32Array;
    ({ mean: yMean, std: yStd } = meanStd(y, trainRows, D));
    outF = D;
    yTrain = new ng.Tensor(gatherRows(y, trainRows, D, yMean, yStd), [trainRows.length, D]);
    yValid = new ng.Tensor(gatherRows(y, validRows, D, yMean, yStd), [validRows.length, D]);
  }

  const model = buildMlp(F, hidden, outF);
  const optimizer = new ng.optim.Adam(model.parameters(), { lr: o.lr });
  const arch = [F, ...hidden, outF].join('-');
  const what = task === 'classification'
    ? `classification into ${plural(outF, 'class', 'classes')}${t.classes ? ` (${t.classes.join(', ')})` : ''}`
    : `regression on ${D === 1 ? `'${t.targetName}'` : `${D} targets`}`;
  console.log(`training ${modelName} ${arch} (${what}; ${t.why}) on ${plural(trainRows.length, 'example')} from ${o.data}, ` +
    `${nValid} held out for validation: ${plural(o.epochs, 'epoch')}, batch ${o.batchSize}, Adam lr ${o.lr}, ` +
    `backend ${ng.getBackend()}, ${plural(ng.getNumThreads(), 'thread')}, seed ${o.seed}`);

  const loss = task === 'classification' ? 'crossEntropy' : 'mse';
  const metrics: 'accuracy'[] = task === 'classification' ? ['accuracy'] : [];
  const t0 = performance.now();
  await ng.fit(model, {
    train: new ng.data.DataLoader(new ng.data.TensorDataset(xTrain, yTrain), { batchSize: o.batchSize, shuffle: true, seed: o.seed }),
    valid: nValid > 0 ? new ng.data.TensorDataset(xValid, yValid) : undefined,
    batchSize: 1024, epochs: o.epochs, loss, optimizer, metrics, progress: o.progress,
  });
  const seconds = (performance.now() - t0) / 1000;

  let validLoss: number | null = null;
  let validAccuracy: number | null = null;
  let validRmse: number | null = null;
  if (nValid > 0) {
    const r = ng.evaluate(model, new ng.data.TensorDataset(xValid, yValid), { loss, metrics, batchSize: 1024 });
    validLoss = r.loss;
    if (task === 'classification') {
      validAccuracy = r.accuracy ?? NaN;
      console.log(`validation accuracy: ${(validAccuracy * 100).toFixed(2)} % (${Math.round(validAccuracy * nValid)}/${nValid}), validation loss ${r.loss.toFixed(4)}`);
    } else {
      const pred = ng.predict(model, xValid, { batchSize: 1024 }).data as Float32Array;
      const yv = (yValid as ng.Tensor).data as Float32Array;
      let s = 0;
      for (let i = 0; i < pred.length; i++) s += ((pred[i] - yv[i]) * yStd[i % D]) ** 2;
      validRmse = Math.sqrt(s / pred.length);
      console.log(`validation RMSE: ${fmtNum(validRmse)} (in the target's units), validation MSE ${r.loss.toFixed(4)} on standardised targets`);
    }
  }
  console.log(`training throughput: ${Math.round((trainRows.length * o.epochs) / seconds)} samples/s (${seconds.toFixed(1)} s for ${plural(o.epochs, 'epoch')})`);

  const dir = path.resolve(o.out);
  const metadata: Record<string, string> = {
    recipe: modelName, dataset: 'user', task, source: path.basename(o.data),
    features: String(F), exampleShape: JSON.stringify(t.exampleShape), inputMean: JSON.stringify(mean), inputStd: JSON.stringify(std),
  };
  if (t.featureNames) metadata.featureNames = JSON.stringify(t.featureNames);
  if (t.targetName !== null) metadata.target = t.targetName;
  if (t.classes) metadata.classes = JSON.stringify(t.classes);
  if (task === 'regression') Object.assign(metadata, { targetDims: String(D), targetMean: JSON.stringify(yMean), targetStd: JSON.stringify(yStd) });
  if (validAccuracy !== null) metadata.validAccuracy = validAccuracy.toFixed(4);
  if (validRmse !== null) metadata.validRmse = String(validRmse);
  ng.saveModel(model, dir, metadata);
  console.log(`model saved to ${dir} (predictions: nodegrad predict ${o.out} --data FILE)`);
  return { dir, task, validLoss, validAccuracy, validRmse };
}

function shuffle(n: number, seed: number): Int32Array {
  const g = new ng.Generator(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.nextU32() % (i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function json<T>(metadata: Record<string, string>, key: string, dir: string): T {
  try {
    return JSON.parse(metadata[key]) as T;
  } catch {
    throw new Error(`predict: ${dir}: metadata '${key}' is missing or not JSON (was the folder written by nodegrad train?)`);
  }
}

export interface PredictOptions {
  data: string;
  targets?: string;
  delimiter?: string;
  out?: string;
  probabilities: boolean;
  batchSize: number;
  backend?: string;
  threads?: number;
}

export interface PredictResult {
  n: number;
  /** class indices (classification) or targets in their units (regression), row-major */
  predictions: Int32Array | Float32Array;
  /** with targets in the data: the accuracy (classification) or the RMSE (regression) */
  accuracy: number | null;
  rmse: number | null;
}

/** Predictions of a saved model (`nodegrad train ...`) for the rows of a data file, as CSV. */
export function predictSaved(dir: string, o: PredictOptions): PredictResult {
  configure(o.backend, o.threads);
  const { model, metadata } = ng.loadModel(dir);
  let x: ng.Tensor;
  let table: Table | null = null;
  let classes: string[] | null = null;
  let task: Task;
  if (metadata.dataset === 'mnist') {
    task = 'classification';
    const t = loadTable({ data: o.data, targets: o.targets, task: 'classification', forPredict: { featureNames: null, features: 784, targetName: null, classes: null } });
    const px = new Float32Array(t.x.length);
    const integer = t.x.every((v) => Number.isInteger(v) && v >= 0 && v <= 255);
    const norm = metadata.normalize === 'true';
    // raw 0..255 pixels are scaled as training scaled them; other values are taken as already scaled
    for (let i = 0; i < px.length; i++) px[i] = integer ? (norm ? (t.x[i] / 255 - MNIST_MEAN) / MNIST_STD : t.x[i] / 255) : t.x[i];
    x = new ng.Tensor(px, metadata.flatten === 'true' ? [t.n, 784] : [t.n, 1, 28, 28]);
    table = t;
  } else if (metadata.dataset === 'user') {
    task = metadata.task === 'regression' ? 'regression' : 'classification';
    classes = metadata.classes ? json<string[]>(metadata, 'classes', dir) : null;
    const F = Number(metadata.features);
    const t = loadTable({
      data: o.data, targets: o.targets, delimiter: o.delimiter, task,
      forPredict: { featureNames: metadata.featureNames ? json<string[]>(metadata, 'featureNames', dir) : null, features: F, targetName: metadata.target ?? null, classes },
    });
    x = new ng.Tensor(standardize(t.x, F, json<number[]>(metadata, 'inputMean', dir), json<number[]>(metadata, 'inputStd', dir)), [t.n, F]);
    table = t;
  } else {
    throw new Error(`predict: ${dir} was not written by nodegrad train (metadata dataset: ${metadata.dataset ?? 'none'})`);
  }

  const out = ng.predict(model, x, { batchSize: o.batchSize });
  const n = table.n;
  const lines: string[] = [];
  let predictions: Int32Array | Float32Array;
  let accuracy: number | null = null;
  let rmse: number | null = null;
  if (task === 'classification') {
    const K = out.shape[1];
    const probs = o.probabilities ? (ng.F.softmax(out, 1).data as Float32Array) : null;
    const idx = out.argmax(1).data as unknown as Int32Array;
    predictions = Int32Array.from(idx);
    const names = classes ?? Array.from({ length: K }, (_, k) => String(k));
    lines.push(['prediction', ...(probs ? names.map((c) => `p_${c}`) : [])].map(csvField).join(','));
    for (let i = 0; i < n; i++) {
      const row = [names[idx[i]]];
      if (probs) for (let k = 0; k < K; k++) row.push(fmtNum(probs[i * K + k]));
      lines.push(row.map(csvField).join(','));
    }
    if (table.y) {
      let c = 0;
      for (let i = 0; i < n; i++) if (idx[i] === table.y[i]) c++;
      accuracy = c / n;
      console.error(`accuracy: ${(accuracy * 100).toFixed(2)} % (${c}/${n})`);
    }
  } else {
    const D = Number(metadata.targetDims ?? 1);
    const yMean = json<number[]>(metadata, 'targetMean', dir);
    const yStd = json<number[]>(metadata, 'targetStd', dir);
    const raw = out.data as Float32Array;
    predictions = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) predictions[i] = raw[i] * yStd[i % D] + yMean[i % D];
    const target = metadata.target ?? 'target';
    lines.push(D === 1 ? csvField(target) : Array.from({ length: D }, (_, k) => `${target}_${k}`).join(','));
    for (let i = 0; i < n; i++) lines.push(Array.from(predictions.subarray(i * D, (i + 1) * D), fmtNum).join(','));
    if (table.y) {
      let s = 0;
      for (let i = 0; i < predictions.length; i++) s += (predictions[i] - table.y[i]) ** 2;
      rmse = Math.sqrt(s / predictions.length);
      console.error(`RMSE: ${fmtNum(rmse)} on ${plural(n, 'example')}`);
    }
  }
  const text = lines.join('\n') + '\n';
  if (o.out) {
    writeFileAtomic(path.resolve(o.out), new TextEncoder().encode(text));
    console.error(`${plural(n, 'prediction')} written to ${o.out}`);
  } else process.stdout.write(text);
  return { n, predictions, accuracy, rmse };
}

/** Adds the options of the generic form to the `train` command (registered from cli.ts). */
export function addGenericTrainOptions(cmd: Command): Command {
  return cmd
    .option('--data <file>', 'train on your data: a CSV file, or features (IDX / safetensors) with --targets')
    .option('--targets <file>', 'targets for --data: IDX or safetensors (integer = class labels, float = regression)')
    .option('--target <column>', 'CSV target column: a header name or a 0-based index (default: the last column)')
    .option('--task <task>', 'classification or regression (default: decided from the targets, and printed)')
    .option('--model <name>', `with --data: ${GENERIC_MODELS.join(' or ')} (same as the positional <model>)`)
    .option('--hidden <sizes>', 'with --data: hidden layer widths, comma-separated', '64')
    .option('--valid-split <f>', 'with --data: the fraction of rows held out for validation', '0.1')
    .option('--delimiter <c>', 'CSV field separator (default: , or a tab for .tsv)');
}

export interface TrainCommandOptions {
  data?: string; targets?: string; target?: string; task?: string; model?: string; hidden: string; validSplit: string;
  delimiter?: string; epochs?: number; batchSize?: number; lr: number; backend?: string; threads?: number; seed: number;
  out?: string; progress: boolean;
}

/** True when the `train` command was given the generic form (`--data`, or model mlp/linear). */
export function isGenericTrain(model: string | undefined, o: TrainCommandOptions): boolean {
  return o.data !== undefined || o.model !== undefined || (model !== undefined && (GENERIC_MODELS as readonly string[]).includes(model));
}

export async function runGenericTrain(model: string | undefined, o: TrainCommandOptions): Promise<GenericTrainResult> {
  if (model !== undefined && o.model !== undefined && model !== o.model) throw new Error(`train: model '${model}' and --model '${o.model}' disagree`);
  const name = model ?? o.model ?? 'mlp';
  if (o.data === undefined) throw new Error(`train ${name}: give your data with --data FILE (a CSV, or features with --targets FILE)`);
  if (o.task !== undefined && o.task !== 'classification' && o.task !== 'regression') throw new Error(`train: --task must be classification or regression, got '${o.task}'`);
  const validSplit = Number(o.validSplit);
  if (!Number.isFinite(validSplit)) throw new Error(`train: --valid-split must be a number in [0, 1), got '${o.validSplit}'`);
  if (o.delimiter !== undefined && o.delimiter.length !== 1 && o.delimiter !== '\\t') throw new Error(`train: --delimiter must be one character, got '${o.delimiter}'`);
  return trainGeneric(name, {
    data: o.data, targets: o.targets, target: o.target, task: o.task as Task | undefined, delimiter: o.delimiter === '\\t' ? '\t' : o.delimiter,
    hidden: parseHidden(o.hidden), epochs: o.epochs ?? 20, batchSize: o.batchSize ?? 32, lr: o.lr, validSplit, seed: o.seed,
    out: o.out ?? path.join('models', name), progress: o.progress, backend: o.backend, threads: o.threads,
  });
}

/** `nodegrad predict DIR --data FILE`. */
export function registerPredictCommand(program: Command, int: (name: string, min: number) => (v: string) => number): void {
  program
    .command('predict')
    .description('predictions of a saved model (nodegrad train ... --out DIR) for the rows of a file, as CSV')
    .argument('<dir>', 'model folder')
    .requiredOption('--data <file>', 'a CSV with the training columns (the target column may be present), or features (IDX / safetensors)')
    .option('--targets <file>', 'true targets for --data (IDX / safetensors): prints the accuracy or RMSE')
    .option('--out <file>', 'write the CSV here (default: stdout)')
    .option('--probabilities', 'classification: add one probability column per class')
    .option('--delimiter <c>', 'CSV field separator')
    .option('--batch-size <n>', 'rows per forward pass', int('--batch-size', 1), 1024)
    .option('--backend <name>', 'native or js')
    .option('--threads <n>', 'native kernel threads', int('--threads', 1))
    .action((dir: string, o: { data: string; targets?: string; out?: string; probabilities?: boolean; delimiter?: string; batchSize: number; backend?: string; threads?: number }) => {
      if (!fs.existsSync(dir)) throw new Error(`predict: ${dir}: no such model folder`);
      predictSaved(dir, { ...o, probabilities: o.probabilities === true, delimiter: o.delimiter === '\\t' ? '\t' : o.delimiter });
    });
}
