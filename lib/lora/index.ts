/**
 * `ng.lora`: PEFT's LoRA on any nn.Module tree (huggingface/peft src/peft/tuners/lora/{layer,model,config}.py).
 *
 *   ng.lora.apply(model, {r, alpha, dropout = 0, targetModules, useRslora = false})
 *     wraps every nn.Linear whose qualified name is one of targetModules or ends with `.`+target (PEFT's
 *     check_target_module_exists; a string is a regular expression matched against the whole name) in a
 *     LoraLinear, in place, and freezes every other parameter (requiresGrad false, gradients dropped), so
 *     backward allocates no gradient and optimizers keep no state for them. Returns the model.
 *   ng.lora.merge(model, {unload = true})   W += (alpha/r)·B·A; with unload the Linear goes back in place
 *                                            (PEFT's merge_and_unload), else the LoRA layer stays, merged.
 *   ng.lora.unmerge(model)                  W −= (alpha/r)·B·A on merged, kept layers.
 *   ng.lora.saveAdapter(dir, model, opts)   adapter_model.safetensors + adapter_config.json (PEFT's files).
 *   ng.lora.loadAdapter(dir, model)         applies LoRA with the saved config if needed, loads A and B.
 *
 * The wrapped layers are found by walking namedModules(), so the model must call its child layers
 * (`this.c_attn.forward(x)`), not their weights directly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Linear, Sequential } from '../nn/layers.js';
import { ModuleDict, ModuleList } from '../nn/containers.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadSafetensors, serializeSafetensors } from '../io/safetensors.js';
import { LoraLinear, isLoraLinear } from './layer.js';

export { LoraLinear, isLoraLinear };

export interface LoraOptions {
  /** rank of the update (positive integer) */
  r: number;
  /** scaling numerator: the update is (alpha / r)·B·A (default r, i.e. scale 1 — PEFT's default alpha is 8 with r 8) */
  alpha?: number;
  /** dropout probability on the LoRA branch's input (default 0) */
  dropout?: number;
  /** module names to wrap: a list of names/suffixes, or a regular expression (string) matched against the full name */
  targetModules: string[] | string;
  /** rsLoRA scaling alpha / √r (default false) */
  useRslora?: boolean;
}

/** The configuration a model was wrapped with (kept on the model for saveAdapter). */
export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[] | string;
  useRslora: boolean;
}

const CONFIG = Symbol('nodegrad.lora.config');

type WithConfig = Module & { [CONFIG]?: LoraConfig };

/** The LoRA configuration applied to `model`, or null. */
export function config(model: Module): LoraConfig | null {
  return (model as WithConfig)[CONFIG] ?? null;
}

/** PEFT's rule: exact name, or the name ends with `.`+target; a string target is a full-match regex. */
export function matchesTarget(name: string, targets: string[] | string): boolean {
  if (typeof targets === 'string') return new RegExp(`^(?:${targets})$`).test(name);
  return targets.some((t) => name === t || name.endsWith(`.${t}`));
}

function checkLoraOptions(opts: unknown, who: string): LoraConfig {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TypeError(`${who}: options must be an object {r, alpha, dropout, targetModules}, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  checkOptions(opts, ['r', 'alpha', 'dropout', 'targetModules', 'useRslora'], who);
  const o = opts as LoraOptions;
  if (!Number.isInteger(o.r) || o.r < 1) throw new RangeError(`${who}: r must be a positive integer, got ${String(o.r)}`);
  const alpha = o.alpha ?? o.r;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new TypeError(`${who}: alpha must be a finite number, got ${String(o.alpha)}`);
  const p = o.dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new RangeError(`${who}: dropout must be in [0, 1), got ${String(o.dropout)}`);
  const t = o.targetModules;
  if (typeof t === 'string') {
    try { new RegExp(t); } catch (e) { throw new TypeError(`${who}: targetModules '${t}' is not a valid regular expression: ${(e as Error).message}`); }
  } else if (!Array.isArray(t) || t.length === 0 || !t.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new TypeError(`${who}: targetModules must be a non-empty array of module names (e.g. ['c_attn']) or a regular expression string, got ${JSON.stringify(t)}`);
  }
  if (o.useRslora !== undefined && typeof o.useRslora !== 'boolean') throw new TypeError(`${who}: useRslora must be a boolean, got ${typeof o.useRslora}`);
  return { r: o.r, alpha, dropout: p, targetModules: typeof t === 'string' ? t : [...t], useRslora: o.useRslora ?? false };
}

function scalingOf(c: LoraConfig): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/** The parent module of a dotted name and the child's own name. */
function parentOf(model: Module, name: string): [Module, string] {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return [model, name];
  const parentName = name.slice(0, dot);
  const parent = model.namedModules().find(([n]) => n === parentName);
  if (!parent) throw new Error(`lora: no module '${parentName}' in the model`);
  return [parent[1], name.slice(dot + 1)];
}

/**
 * Puts `m` where the child `key` of `parent` is: an own property, or a container slot (Sequential and
 * ModuleList keep an ordered array beside their registry; both are updated so forward sees the new layer).
 */
function replaceChild(parent: Module, key: string, old: Module, m: Module): void {
  const own = parent as unknown as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(own, key) && own[key] === old) {
    own[key] = m;
    return;
  }
  const reg = (parent as unknown as { _extraModules: Map<string, Module> })._extraModules;
  if (reg.get(key) !== old) throw new Error(`lora: cannot replace child '${key}' of ${parent.constructor.name}`);
  reg.set(key, m);
  if (parent instanceof Sequential || parent instanceof ModuleList) {
    const arr = (parent as unknown as Record<string, Module[]>)[parent instanceof Sequential ? 'layers' : 'items'];
    const i = arr.indexOf(old);
    if (i < 0) throw new Error(`lora: ${parent.constructor.name} does not hold '${key}'`);
    arr[i] = m;
  } else if (!(parent instanceof ModuleDict)) {
    // a module registered explicitly (registerModule) and called through a field of another name would keep
    // calling the old layer: refuse rather than wrap silently
    const fields = Object.keys(own).filter((k) => own[k] === old);
    if (fields.length > 0) throw new Error(`lora: ${parent.constructor.name}.${fields[0]} refers to '${key}' outside the module registry`);
  }
}

/** Every LoRA layer of `model` with its qualified name. */
export function loraLayers(model: Module): [string, LoraLinear][] {
  return model.namedModules().filter((e): e is [string, LoraLinear] => isLoraLinear(e[1]));
}

/**
 * Wraps the target Linears of `model` in LoRA layers (in place) and freezes every other parameter.
 * Returns the model. No matching Linear → Error listing the Linear names there are.
 */
export function apply<M extends Module>(model: M, opts: LoraOptions): M {
  if (!(model instanceof Module)) throw new TypeError(`lora.apply: model must be an nn.Module, got ${model === null ? 'null' : typeof model}`);
  const c = checkLoraOptions(opts, 'lora.apply');
  if (config(model) !== null || loraLayers(model).length > 0) throw new Error('lora.apply: the model already has LoRA layers (merge or load them instead of applying twice)');
  const targets = model.namedModules().filter(([n, m]) => m instanceof Linear && n !== '' && matchesTarget(n, c.targetModules)) as [string, Linear][];
  if (targets.length === 0) {
    const linears = model.namedModules().filter(([, m]) => m instanceof Linear).map(([n]) => n);
    throw new Error(`lora.apply: no Linear matches targetModules ${JSON.stringify(c.targetModules)}; the model's Linear layers are: ${linears.length ? linears.join(', ') : '(none)'}`);
  }
  for (const p of model.parameters()) {
    p.requiresGrad = false;
    p._dropGrad();
  }
  const s = scalingOf(c);
  for (const [name, lin] of targets) {
    const [parent, key] = parentOf(model, name);
    replaceChild(parent, key, lin, new LoraLinear(lin, c.r, s, c.dropout));
  }
  Object.defineProperty(model, CONFIG, { value: c, enumerable: false, writable: true, configurable: true });
  return model;
}

export interface MergeOptions {
  /** put the plain Linear layers back (PEFT's merge_and_unload; default true); false keeps the merged LoRA layers */
  unload?: boolean;
}

/**
 * Folds every adapter into its base weight, W += (alpha/r)·B·A. With unload (default) the LoRA layers are
 * replaced by their base Linears and the model forgets its LoRA config: `model.stateDict()` then has exactly
 * the keys of the un-wrapped model. Returns the model.
 */
export function merge<M extends Module>(model: M, opts: MergeOptions = {}): M {
  checkOptions(opts, ['unload'], 'lora.merge');
  const layers = loraLayers(model);
  if (layers.length === 0) throw new Error('lora.merge: the model has no LoRA layers');
  const unload = opts.unload ?? true;
  for (const [name, l] of layers) {
    l.merge();
    if (!unload) continue;
    const [parent, key] = parentOf(model, name);
    replaceChild(parent, key, l, l.baseLayer);
  }
  if (unload) delete (model as WithConfig)[CONFIG];
  return model;
}

/** Subtracts the update again from layers merged with {unload: false}. Returns the model. */
export function unmerge<M extends Module>(model: M): M {
  const layers = loraLayers(model);
  if (layers.length === 0) throw new Error('lora.unmerge: the model has no LoRA layers (merge with {unload: false} keeps them)');
  for (const [, l] of layers) l.unmerge();
  return model;
}

/** name → tensor of the adapter weights only, keyed as PEFT saves them (`base_model.model.<name>.lora_A.weight`). */
export function adapterStateDict(model: Module): Record<string, Tensor> {
  const sd: Record<string, Tensor> = {};
  for (const [name, l] of loraLayers(model)) {
    sd[`${PREFIX}${name}.lora_A.weight`] = l.lora_A.weight.detach();
    sd[`${PREFIX}${name}.lora_B.weight`] = l.lora_B.weight.detach();
  }
  return sd;
}

const PREFIX = 'base_model.model.';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
export const ADAPTER_CONFIG = 'adapter_config.json';

export interface SaveAdapterOptions {
  /** `base_model_name_or_path` in the config (default null) */
  baseModelNameOrPath?: string | null;
  /** PEFT's task_type, e.g. 'CAUSAL_LM' (default null: a plain PeftModel) */
  taskType?: string | null;
  /**
   * the `fan_in_fan_out` flag written (default false: our layers are nn.Linear). The tensors are the same either
   * way (PEFT keeps lora_A [r, in] / lora_B [out, r] for Conv1D too); PEFT resets a wrong flag with a warning,
   * so pass true for a base that PyTorch loads with Conv1D layers (Hugging Face GPT-2) to avoid it.
   */
  fanInFanOut?: boolean;
}

/** PEFT's adapter_config.json for this model's LoRA config (the fields LoraConfig has had since PEFT 0.4). */
export function adapterConfig(model: Module, opts: SaveAdapterOptions = {}): Record<string, unknown> {
  const c = config(model);
  if (c === null) throw new Error('lora.saveAdapter: the model has no LoRA layers (ng.lora.apply first)');
  const layers = loraLayers(model);
  if (layers.some(([, l]) => l.merged)) throw new Error('lora.saveAdapter: the adapters are merged into the weights; unmerge first');
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: opts.baseModelNameOrPath ?? null,
    bias: 'none',
    fan_in_fan_out: opts.fanInFanOut ?? false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: c.targetModules,
    task_type: opts.taskType ?? null,
    use_dora: false,
    use_rslora: c.useRslora,
  };
}

/**
 * Writes `dir/adapter_model.safetensors` (float32 lora_A / lora_B, PEFT's keys) and `dir/adapter_config.json`,
 * each atomically; creates `dir` if needed.
 */
export function saveAdapter(dir: string, model: Module, opts: SaveAdapterOptions = {}): void {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`lora.saveAdapter: dir must be a non-empty string, got ${String(dir)}`);
  if (!(model instanceof Module)) throw new TypeError('lora.saveAdapter: model must be an nn.Module');
  checkOptions(opts, ['baseModelNameOrPath', 'taskType', 'fanInFanOut'], 'lora.saveAdapter');
  const cfg = adapterConfig(model, opts);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, ADAPTER_WEIGHTS), serializeSafetensors(adapterStateDict(model), { format: 'pt' }, 'lora.saveAdapter'));
  writeFileAtomic(path.join(dir, ADAPTER_CONFIG), Buffer.from(`${JSON.stringify(cfg, null, 2)}\n`, 'utf8'));
}

/** Reads and checks adapter_config.json; returns the LoRA config it describes. */
export function readAdapterConfig(dir: string): LoraConfig {
  const who = 'lora.loadAdapter';
  const file = path.join(dir, ADAPTER_CONFIG);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${who}: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${who}: ${file} is not a JSON object`);
  const j = raw as Record<string, unknown>;
  if (j.peft_type !== 'LORA') throw new Error(`${who}: ${file}: peft_type is ${JSON.stringify(j.peft_type)}, only "LORA" is supported`);
  const unsupported: string[] = [];
  if (j.use_dora === true) unsupported.push('use_dora');
  if (j.bias !== undefined && j.bias !== 'none') unsupported.push(`bias ${JSON.stringify(j.bias)}`);
  for (const k of ['rank_pattern', 'alpha_pattern']) if (j[k] && typeof j[k] === 'object' && Object.keys(j[k] as object).length > 0) unsupported.push(k);
  if (Array.isArray(j.modules_to_save) && j.modules_to_save.length > 0) unsupported.push('modules_to_save');
  if (j.layers_to_transform !== undefined && j.layers_to_transform !== null) unsupported.push('layers_to_transform');
  if (unsupported.length > 0) throw new Error(`${who}: ${file} uses ${unsupported.join(', ')}, which nodegrad's LoRA does not support`);
  if (j.target_modules === null || j.target_modules === undefined) throw new Error(`${who}: ${file} has no target_modules`);
  return checkLoraOptions({
    r: j.r ?? 8, alpha: j.lora_alpha ?? 8, dropout: j.lora_dropout ?? 0,
    targetModules: j.target_modules, useRslora: j.use_rslora ?? false,
  }, `${who}: ${file}`);
}

/**
 * Loads a PEFT LoRA adapter folder into `model`: applies LoRA with the folder's config when the model has
 * none, checks that the file has exactly one lora_A and lora_B of the right shapes for every LoRA layer,
 * copies them, and sets each layer's scaling from the file's lora_alpha / r. Keys may carry PEFT's adapter
 * segment (`lora_A.default.weight`) or lack the `base_model.model.` prefix. Returns the model.
 */
export function loadAdapter<M extends Module>(dir: string, model: M): M {
  const who = 'lora.loadAdapter';
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`${who}: dir must be a non-empty string, got ${String(dir)}`);
  if (!(model instanceof Module)) throw new TypeError(`${who}: model must be an nn.Module`);
  const c = readAdapterConfig(dir);
  const weights = loadSafetensors(path.join(dir, ADAPTER_WEIGHTS));
  const src = new Map<string, Tensor>();
  for (const [k0, t] of Object.entries(weights)) {
    let k = k0.startsWith(PREFIX) ? k0.slice(PREFIX.length) : k0;
    k = k.replace(/\.(lora_[AB])\.default\.weight$/, '.$1.weight');
    if (!/\.lora_[AB]\.weight$/.test(k)) throw new Error(`${who}: unexpected tensor '${k0}' in the adapter (only lora_A / lora_B weights are supported)`);
    src.set(k, t);
  }
  let layers = loraLayers(model);
  if (layers.length === 0) {
    apply(model, c);
    layers = loraLayers(model);
  }
  const problems: string[] = [];
  const used = new Set<string>();
  for (const [name, l] of layers) {
    for (const [ab, p] of [['lora_A', l.lora_A.weight], ['lora_B', l.lora_B.weight]] as const) {
      const k = `${name}.${ab}.weight`;
      const t = src.get(k);
      if (t === undefined) { problems.push(`missing ${PREFIX}${k}`); continue; }
      used.add(k);
      if (t.shape.length !== 2 || t.shape[0] !== p.shape[0] || t.shape[1] !== p.shape[1]) {
        problems.push(`${PREFIX}${k}: shape [${t.shape.join(', ')}] in the adapter, [${p.shape.join(', ')}] in the model`);
      }
    }
  }
  for (const k of src.keys()) if (!used.has(k)) problems.push(`unexpected ${PREFIX}${k} (no LoRA layer '${k.replace(/\.lora_[AB]\.weight$/, '')}' in the model)`);
  if (problems.length > 0) throw new Error(`${who}: ${dir}: ${problems.join('; ')}`);
  const s = scalingOf(c);
  for (const [name, l] of layers) {
    if (l.merged) throw new Error(`${who}: layer '${name}' is merged; unmerge before loading new adapter weights`);
    l.lora_A.weight.data = src.get(`${name}.lora_A.weight`)!.data;
    l.lora_B.weight.data = src.get(`${name}.lora_B.weight`)!.data;
    l.scaling = s;
  }
  Object.defineProperty(model, CONFIG, { value: c, enumerable: false, writable: true, configurable: true });
  return model;
}
