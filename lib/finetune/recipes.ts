/**
 * `ng.finetune`: cheaper fine-tuning recipes as parameter filters over namedParameters(). Each freezes every
 * parameter it does not select (requiresGrad false, gradient dropped: backward allocates none and optimizers keep
 * no state for it) and returns the names of the trainable ones.
 *
 *   ng.finetune.freezeExcept(model, select)        select: (name, param) => boolean, a RegExp, or a list of names /
 *                                                  dotted suffixes (PEFT's matching rule)
 *   ng.finetune.headOnly(model, {head, untie})     only the output head (default child 'lm_head')
 *   ng.finetune.layerNormOnly(model)               only LayerNorm weights and biases
 *   ng.finetune.biasOnly(model)                    only biases (BitFit, Ben Zaken et al. 2021)
 *   ng.finetune.castFrozenWeights(model, dtype)    frozen Linear weights stored as bfloat16 (or back to float32)
 *
 * A tied head (GPT: lm_head.weight is transformer.wte.weight, one Parameter listed once, under the embedding's
 * name) has two honest choices. The default retrains the tied tensor — head and input embedding move together,
 * which is what training a tied model's head means in PyTorch, and the model stays tied (saveable as GPT-2).
 * `{untie: true}` gives the head its own copy first, so only the head trains and the embedding stays frozen; the
 * model is then untied (both names in stateDict, and a Hugging Face GPT-2 export refuses it).
 */
import { Module, Parameter } from '../nn/module.js';
import { LayerNorm } from '../nn/norm.js';
import { checkOptions } from '../util/options.js';
import { Linear } from '../nn/layers.js';
import { LoraLinear } from '../lora/layer.js';

export type ParamSelector = ((name: string, p: Parameter) => boolean) | RegExp | readonly string[];

function selector(s: ParamSelector, who: string): (name: string, p: Parameter) => boolean {
  if (typeof s === 'function') return s;
  if (s instanceof RegExp) return (n) => { s.lastIndex = 0; return s.test(n); };
  if (Array.isArray(s) && s.every((x) => typeof x === 'string')) return (n) => s.some((t) => n === t || n.endsWith(`.${t}`));
  throw new TypeError(`${who}: select must be a function (name, param) => boolean, a RegExp or an array of names`);
}

function checkModel(model: unknown, who: string): asserts model is Module {
  if (!(model instanceof Module)) throw new TypeError(`${who}: model must be an nn.Module, got ${model === null ? 'null' : typeof model}`);
}

/** Sets requiresGrad on each parameter to whether `select` picks it; returns the trainable names. */
export function freezeExcept(model: Module, select: ParamSelector): string[] {
  checkModel(model, 'freezeExcept');
  const pick = selector(select, 'freezeExcept');
  const out: string[] = [];
  for (const [n, p] of model.namedParameters()) {
    const on = !!pick(n, p);
    p.requiresGrad = on;
    if (on) out.push(n);
    else p._dropGrad();
  }
  if (out.length === 0) throw new Error('freezeExcept: the selection picks no parameter (nothing would train)');
  return out;
}

/** Names of the parameters that currently require grad. */
export function trainableParameters(model: Module): string[] {
  checkModel(model, 'trainableParameters');
  return model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
}

export interface HeadOnlyOptions {
  /** qualified name of the head module (default 'lm_head') */
  head?: string;
  /** give a tied head weight its own copy first, so the embedding stays frozen (default false: retrain the tie) */
  untie?: boolean;
}

/** Trains only the head module's parameters (see the note on tied heads above). */
export function headOnly(model: Module, opts: HeadOnlyOptions = {}): string[] {
  checkModel(model, 'headOnly');
  checkOptions(opts, ['head', 'untie'], 'headOnly');
  const name = opts.head ?? 'lm_head';
  const found = model.namedModules().find(([n]) => n === name);
  if (!found) throw new Error(`headOnly: no module '${name}' in the model (pass {head}); top-level children: ${model.namedChildren().map(([n]) => n).join(', ')}`);
  const head = found[1];
  if (opts.untie) {
    // parameters the head holds that a module outside it holds too (as a property, as ties are made)
    const outside = new Set<Parameter>();
    for (const [n, m] of model.namedModules()) {
      if (n === name || n.startsWith(`${name}.`)) continue;
      for (const v of Object.values(m)) if (v instanceof Parameter) outside.add(v);
    }
    const own = head as unknown as Record<string, unknown>;
    for (const k of Object.keys(own)) {
      const p = own[k];
      if (p instanceof Parameter && outside.has(p)) own[k] = new Parameter(Float32Array.from(p.data), [...p.shape]);
    }
  }
  const mine = new Set(head.parameters());
  return freezeExcept(model, (_, p) => mine.has(p));
}

/** Trains only LayerNorm parameters (weight and bias of every nn.LayerNorm). */
export function layerNormOnly(model: Module): string[] {
  checkModel(model, 'layerNormOnly');
  const mine = new Set(model.namedModules().filter(([, m]) => m instanceof LayerNorm).flatMap(([, m]) => m.parameters()));
  if (mine.size === 0) throw new Error('layerNormOnly: the model has no LayerNorm with parameters');
  return freezeExcept(model, (_, p) => mine.has(p));
}

/** BitFit: trains only the biases (parameters named `bias` or ending with `.bias`). */
export function biasOnly(model: Module): string[] {
  checkModel(model, 'biasOnly');
  return freezeExcept(model, (n) => n === 'bias' || n.endsWith('.bias'));
}

/**
 * Stores the weights of frozen Linear layers (LoRA base weights included) as `dtype` — 'bfloat16' halves their
 * memory (linear() widens them to float32 inside its GEMMs), 'float32' widens them back. A weight that requires
 * grad, or that a non-Linear module shares (a tied embedding), is left as it is; biases stay float32. The
 * Parameter objects are replaced (an optimizer built before does not hold frozen weights' state anyway).
 * Returns the names of the weights converted.
 */
export function castFrozenWeights(model: Module, dtype: 'bfloat16' | 'float32'): string[] {
  checkModel(model, 'castFrozenWeights');
  if (dtype !== 'bfloat16' && dtype !== 'float32') throw new TypeError(`castFrozenWeights: dtype must be 'bfloat16' or 'float32', got ${String(dtype)}`);
  const mods = model.namedModules();
  const isLinear = (m: Module): m is Module & { weight: Parameter } => m instanceof Linear || m instanceof LoraLinear;
  const nonLinear = new Set<Parameter>();
  for (const [, m] of mods) {
    if (isLinear(m)) continue;
    for (const v of Object.values(m)) if (v instanceof Parameter) nonLinear.add(v);
  }
  const out: string[] = [];
  for (const [n, m] of mods) {
    if (!isLinear(m)) continue;
    const w = m.weight;
    if (w.requiresGrad || w.dtype === dtype || nonLinear.has(w)) continue;
    const t = w.to(dtype);
    const p = new Parameter((dtype === 'bfloat16' ? t.bits() : t.data) as Float32Array, [...w.shape], false);
    m.weight = p;
    if (m instanceof LoraLinear) (m.baseLayer as { weight: Parameter }).weight = p;
    out.push(n ? `${n}.weight` : 'weight');
  }
  return out;
}
