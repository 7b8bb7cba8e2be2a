/**
 * A model folder: `config.json` (the architecture as a tree of layer specs, plus metadata) and
 * `model.safetensors` (the state dict, PyTorch names). `saveModel(model, dir)` / `model.save(dir)`
 * write both atomically; `loadModel(dir)` / `nn.Module.load(dir)` rebuild the layers from the config
 * and load the weights strictly.
 *
 * Built-in layers serialise themselves through the table below. A custom Module can take part by
 * implementing `getConfig()` (JSON-able) and a static `fromConfig(config)`, and being registered
 * with `registerModuleClass(Class)`; otherwise saving names it and suggests `saveSafetensors`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Module } from '../nn/module.js';
import {
  AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, GELU, Identity, LayerNorm,
  LeakyReLU, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh,
} from '../nn/index.js';
import { version } from '../version.js';
import { writeFileAtomic } from './atomic.js';
import { loadSafetensors, readSafetensorsMetadata, saveSafetensors } from './safetensors.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
const FORMAT = 'nodegrad.model';

/** One layer of the architecture: its class, constructor arguments, and (for containers) children. */
export interface LayerSpec {
  type: string;
  args: unknown[];
  children?: LayerSpec[];
}

interface Codec {
  toArgs(m: Module): unknown[];
  build(args: unknown[], children: Module[]): Module;
}

type Ctor = new (...args: any[]) => Module;

function simple(cls: Ctor, toArgs: (m: any) => unknown[] = () => []): Codec {
  return { toArgs, build: (args) => new cls(...args) };
}

const CODECS = new Map<string, Codec>([
  ['Sequential', { toArgs: () => [], build: (_a, children) => new Sequential(...children) }],
  ['Linear', simple(Linear, (m: Linear) => [m.inFeatures, m.outFeatures, { bias: m.bias !== null }])],
  ['Identity', simple(Identity)],
  ['ReLU', simple(ReLU)],
  ['Sigmoid', simple(Sigmoid)],
  ['Tanh', simple(Tanh)],
  ['LeakyReLU', simple(LeakyReLU, (m: LeakyReLU) => [m.negativeSlope])],
  ['GELU', simple(GELU, (m: GELU) => [{ approximate: m.approximate }])],
  ['Softmax', simple(Softmax, (m: Softmax) => [m.dim])],
  ['Flatten', simple(Flatten, (m: Flatten) => [m.startDim, m.endDim])],
  ['Dropout', simple(Dropout, (m: Dropout) => [m.p])],
  ['LayerNorm', simple(LayerNorm, (m: LayerNorm) => [m.normalizedShape, {
    eps: m.eps, elementwiseAffine: m.weight !== null, bias: m.bias !== null,
  }])],
  ['BatchNorm1d', simple(BatchNorm1d, (m: BatchNorm1d) => [m.numFeatures, {
    eps: m.eps, momentum: m.momentum, affine: m.weight !== null, trackRunningStats: m.runningMean !== null,
  }])],
  ['BatchNorm2d', simple(BatchNorm2d, (m: BatchNorm2d) => [m.numFeatures, {
    eps: m.eps, momentum: m.momentum, affine: m.weight !== null, trackRunningStats: m.runningMean !== null,
  }])],
  ['Embedding', simple(Embedding, (m: Embedding) => [m.numEmbeddings, m.embeddingDim, {
    paddingIdx: m.paddingIdx, maxNorm: m.maxNorm, normType: m.normType,
  }])],
  ['Conv2d', simple(Conv2d, (m: Conv2d) => [m.inChannels, m.outChannels, m.kernelSize, {
    stride: m.stride, padding: m.padding, dilation: m.dilation, groups: m.groups, bias: m.bias !== null,
  }])],
  ['MaxPool2d', simple(MaxPool2d, (m: MaxPool2d) => [m.kernelSize, { stride: m.stride, padding: m.padding, ceilMode: m.ceilMode }])],
  ['AvgPool2d', simple(AvgPool2d, (m: AvgPool2d) => [m.kernelSize, { stride: m.stride, padding: m.padding, ceilMode: m.ceilMode }])],
]);
/** Classes whose codec is the built-in one (a subclass of Linear is not a Linear for saving). */
const BUILTIN = new Map<string, Function>([
  ['Sequential', Sequential], ['Linear', Linear], ['Identity', Identity], ['ReLU', ReLU], ['Sigmoid', Sigmoid],
  ['Tanh', Tanh], ['LeakyReLU', LeakyReLU], ['GELU', GELU], ['Softmax', Softmax], ['Flatten', Flatten],
  ['Dropout', Dropout], ['LayerNorm', LayerNorm], ['BatchNorm1d', BatchNorm1d], ['BatchNorm2d', BatchNorm2d],
  ['Embedding', Embedding], ['Conv2d', Conv2d], ['MaxPool2d', MaxPool2d], ['AvgPool2d', AvgPool2d],
]);

/** A user Module class that can be saved: `getConfig()` on instances, static `fromConfig(config)`. */
export interface SerializableModuleClass {
  new (...args: any[]): Module;
  name: string;
  fromConfig(config: unknown): Module;
}

const custom = new Map<string, SerializableModuleClass>();

/** Lets `saveModel`/`loadModel` handle a custom layer class (by its class name). */
export function registerModuleClass(cls: SerializableModuleClass): void {
  if (typeof cls !== 'function' || typeof cls.fromConfig !== 'function' || typeof cls.prototype.getConfig !== 'function') {
    throw new TypeError('registerModuleClass: the class needs getConfig() on instances and a static fromConfig(config)');
  }
  if (BUILTIN.has(cls.name)) throw new Error(`registerModuleClass: '${cls.name}' is a built-in layer name`);
  custom.set(cls.name, cls);
}

/** The architecture of `m` as a JSON-able spec. */
export function moduleSpec(m: Module, where = 'model'): LayerSpec {
  const name = m.constructor.name;
  if (BUILTIN.get(name) === m.constructor) {
    const spec: LayerSpec = { type: name, args: CODECS.get(name)!.toArgs(m) };
    if (m instanceof Sequential) spec.children = [...m].map((c, i) => moduleSpec(c, `${where}.${i}`));
    return spec;
  }
  const cls = custom.get(name);
  if (cls === m.constructor) {
    return { type: name, args: [(m as unknown as { getConfig(): unknown }).getConfig()] };
  }
  throw new Error(
    `saveModel: ${where} is a ${name}, which has no saved form; give it getConfig() and a static ` +
    `fromConfig() and call ng.registerModuleClass(${name}), or save its weights with ng.saveSafetensors(path, model.stateDict())`,
  );
}

/** Rebuilds a module tree from a spec (fresh, randomly initialised weights). */
export function buildFromSpec(spec: LayerSpec, where = 'model'): Module {
  if (spec === null || typeof spec !== 'object' || typeof spec.type !== 'string' || !Array.isArray(spec.args)) {
    throw new Error(`loadModel: ${where}: a layer spec needs 'type' (string) and 'args' (array)`);
  }
  const children = (spec.children ?? []).map((c, i) => buildFromSpec(c, `${where}.${i}`));
  const codec = CODECS.get(spec.type);
  if (codec) return codec.build(spec.args, children);
  const cls = custom.get(spec.type);
  if (cls) return cls.fromConfig(spec.args[0]);
  throw new Error(`loadModel: ${where}: unknown layer type '${spec.type}' (register custom classes with ng.registerModuleClass)`);
}

/**
 * Saves architecture + weights into folder `dir` (created if needed). Each file is written to a
 * temp file and renamed, so a crash leaves the previous files intact. metadata: string → string.
 */
export function saveModel(model: Module, dir: string, metadata: Record<string, string> = {}): void {
  if (!(model instanceof Module)) throw new TypeError('saveModel: model must be an nn.Module');
  if (typeof dir !== 'string' || dir === '') throw new TypeError('saveModel: dir must be a non-empty path');
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`saveModel: metadata '${k}' must be a string, got ${typeof v}`);
  }
  const architecture = moduleSpec(model);
  fs.mkdirSync(dir, { recursive: true });
  saveSafetensors(path.join(dir, WEIGHTS_FILE), model.stateDict(), { format: FORMAT, ...metadata });
  const config = { format: FORMAT, version: 1, nodegrad: version, architecture, metadata };
  writeFileAtomic(path.join(dir, CONFIG_FILE), Buffer.from(JSON.stringify(config, null, 2) + '\n'));
}

/** Loads a folder written by saveModel: the rebuilt model (in eval mode) and its metadata. */
export function loadModel(dir: string): { model: Module; metadata: Record<string, string> } {
  const file = path.join(dir, CONFIG_FILE);
  let config: { format?: unknown; version?: unknown; architecture?: LayerSpec; metadata?: Record<string, string> };
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`loadModel: cannot read ${file}: ${(e as Error).message}`);
  }
  if (config === null || typeof config !== 'object' || config.format !== FORMAT) {
    throw new Error(`loadModel: ${file} is not a nodegrad model config (format must be '${FORMAT}')`);
  }
  if (config.version !== 1) throw new Error(`loadModel: ${file} has version ${String(config.version)}; this nodegrad reads version 1`);
  if (!config.architecture) throw new Error(`loadModel: ${file} has no architecture`);
  const model = buildFromSpec(config.architecture);
  const weights = path.join(dir, WEIGHTS_FILE);
  const sd = loadSafetensors(weights);
  try {
    model.loadStateDict(sd, { strict: true });
  } catch (e) {
    throw new Error(`loadModel: ${weights} does not match ${file}: ${(e as Error).message}`);
  }
  const metadata = { ...(config.metadata ?? {}) };
  // Files written by saveModel carry the same metadata in the weights file; the config wins.
  for (const [k, v] of Object.entries(readSafetensorsMetadata(weights))) if (!(k in metadata) && k !== 'format') metadata[k] = v;
  model.eval();
  return { model, metadata };
}

declare module '../nn/module.js' {
  interface Module {
    /** Saves architecture (config.json) and weights (model.safetensors) into folder `dir`. */
    save(dir: string, metadata?: Record<string, string>): void;
  }
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Module {
    /** Loads a model folder written by `model.save(dir)`, in eval mode. */
    function load(dir: string): Module;
  }
}

Module.prototype.save = function save(this: Module, dir: string, metadata?: Record<string, string>): void {
  saveModel(this, dir, metadata);
};
(Module as unknown as { load(dir: string): Module }).load = (dir: string): Module => loadModel(dir).model;
