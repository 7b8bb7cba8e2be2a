/**
 * `GPT.fromPretrained(path)` and `model.savePretrained(dir)` (Hugging Face's from_pretrained / save_pretrained for
 * GPT-2), kept apart from ./gpt.ts.
 *
 * fromPretrained reads
 *   - a Hugging Face GPT-2 checkpoint: a `.safetensors` file, or a folder with `model.safetensors` (and
 *     `config.json`), through ../io/hf-gpt2.ts (both key spellings, Conv1D weights transposed, the attention
 *     buffers dropped, the tie filled, F16/BF16 widened; config from config.json or inferred from the shapes,
 *     nHead = max(1, round(nEmbd / 64)) — GPT-2's head size — when no config gives it);
 *   - a nanoGPT-layout file (nn.Linear [out, in] already: the layout is read from c_attn's shape), taken as it is;
 *   - a folder written by `nodegrad train gpt` (config.json with format 'nodegrad.gpt': nodegrad's own names and
 *     nn.Linear layout, the tokenizer beside it).
 * The model comes back in eval mode (as transformers' from_pretrained), with the checkpoint's dropout
 * (HF's resid_pdrop) in its config; `model.train()` before fine-tuning.
 *
 * savePretrained writes the Hugging Face folder: model.safetensors (transformer.* keys, Conv1D [in, out], one copy
 * of the tied tensor) and config.json, each atomically. A model with unmerged LoRA layers is refused
 * (ng.lora.merge first); bfloat16 weights are written as BF16.
 */
import { checkOptions } from '../util/options.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFromHF, hfToNanoGPT, saveHFGPT2, type HFGPT2ConfigJson } from '../io/hf-gpt2.js';
import type { Tensor } from '../tensor.js';
import { loadSafetensors } from '../io/safetensors.js';
import { LayerNorm } from '../nn/norm.js';
import type { GPT, GPTConfig } from './gpt.js';

/** config.json `format` of a folder written by `nodegrad train gpt` (lib/cli-gpt.ts). */
export const NODEGRAD_GPT_FORMAT = 'nodegrad.gpt';

export interface FromPretrainedOptions {
  /** keep BF16 checkpoint tensors as bfloat16 (frozen-base fine-tuning) instead of widening to float32 (default false) */
  keepBf16?: boolean;
}

function readJson(file: string, who: string): Record<string, unknown> | null {
  if (!fs.existsSync(file)) return null;
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error('not a JSON object');
    return j as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${who}: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Builds a GPT of class `Cls` from a HF GPT-2 checkpoint or a `nodegrad train gpt` folder. */
export function gptFromPretrained<M extends GPT>(Cls: new (c: GPTConfig) => M, p: string, opts: FromPretrainedOptions = {}): M {
  const who = 'GPT.fromPretrained';
  if (typeof p !== 'string' || p.length === 0) throw new TypeError(`${who}: path must be a non-empty string (a model.safetensors file or a folder), got ${String(p)}`);
  checkOptions(opts, ['keepBf16'], who);
  if (opts.keepBf16 !== undefined && typeof opts.keepBf16 !== 'boolean') throw new TypeError(`${who}: keepBf16 must be a boolean`);
  if (!fs.existsSync(p)) throw new Error(`${who}: ${p} does not exist`);
  const isDir = fs.statSync(p).isDirectory();
  const meta = isDir ? readJson(path.join(p, 'config.json'), who) : null;
  if (meta !== null && meta.format === NODEGRAD_GPT_FORMAT) {
    // a `nodegrad train gpt` folder: nodegrad names, nn.Linear layout
    const model = new Cls(meta.config as GPTConfig);
    const file = path.join(p, 'model.safetensors');
    if (!fs.existsSync(file)) throw new Error(`${who}: ${p} has config.json (format '${NODEGRAD_GPT_FORMAT}') but no model.safetensors`);
    model.loadStateDict(loadSafetensors(file, { keepBf16: opts.keepBf16 ?? false }));
    return model.eval();
  }
  // a Hugging Face GPT-2 checkpoint (Conv1D [in, out]) or a nanoGPT-layout one ([out, in] already): the layout is read
  // from c_attn's shape; config.json beside the file when there is one
  const file = isDir ? path.join(p, 'model.safetensors') : p;
  if (!fs.existsSync(file)) throw new Error(`${who}: ${p} has no model.safetensors (pytorch_model.bin is not supported: convert it to safetensors)`);
  const cfgFile = path.join(path.dirname(file), 'config.json');
  const json = isDir ? meta : readJson(cfgFile, who);
  if (json !== null) {
    const act = json.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new Error(`${who}: activation_function '${String(act)}' in ${cfgFile}: this GPT implements GPT-2's tanh GELU ('gelu_new') only`);
  }
  const raw = loadSafetensors(file, { keepBf16: opts.keepBf16 ?? false });
  const wte = raw['transformer.wte.weight'] ?? raw['wte.weight'];
  const attn0 = raw['transformer.h.0.attn.c_attn.weight'] ?? raw['h.0.attn.c_attn.weight'];
  const C = wte !== undefined && wte.ndim === 2 ? wte.shape[1] : 0;
  // GPT-2's head size 64 when no config gives n_head
  const nHead = typeof json?.n_head === 'number' ? json.n_head : Math.max(1, Math.round(C / 64));
  let model: M;
  if (attn0 !== undefined && attn0.ndim === 2 && C > 0 && attn0.shape[0] === 3 * C && attn0.shape[1] === C) {
    model = nanoLayout(Cls, raw, json, nHead, who);
  } else {
    const { stateDict, config } = hfToNanoGPT(raw, { config: { ...(json ?? {}), n_head: nHead } });
    model = new Cls({
      vocabSize: config.vocabSize, blockSize: config.blockSize, nLayer: config.nLayer, nHead: config.nHead, nEmbd: config.nEmbd,
      dropout: config.dropout, bias: config.bias,
    });
    setEps(model, config.layerNormEps);
    model.loadStateDict(stateDict);
  }
  return model.eval();
}

/** GPTConfig has no epsilon: a checkpoint's other than 1e-5 is set on every LayerNorm (a read-only field there). */
function setEps(model: GPT, eps: number): void {
  if (eps === 1e-5) return;
  for (const [, m] of model.namedModules()) if (m instanceof LayerNorm) Object.defineProperty(m, 'eps', { value: eps });
}

/** A nanoGPT-layout checkpoint (nn.Linear [out, in], with or without `transformer.`, either or both tied names). */
function nanoLayout<M extends GPT>(Cls: new (c: GPTConfig) => M, raw: Record<string, Tensor>, json: Record<string, unknown> | null, nHead: number, who: string): M {
  const sd: Record<string, Tensor> = {};
  for (const [k0, t] of Object.entries(raw)) {
    if (k0 === 'lm_head.weight') { sd[k0] = t; continue; }
    const k = k0.startsWith('transformer.') ? k0.slice('transformer.'.length) : k0;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(k)) continue;
    sd[`transformer.${k}`] = t;
  }
  const wte = sd['transformer.wte.weight'] ?? sd['lm_head.weight'];
  const wpe = sd['transformer.wpe.weight'];
  if (wte === undefined || wpe === undefined || wte.ndim !== 2 || wpe.ndim !== 2) throw new Error(`${who}: not a GPT-2 checkpoint (no 2-D wte.weight / wpe.weight)`);
  let nLayer = 0;
  while (sd[`transformer.h.${nLayer}.attn.c_attn.weight`] !== undefined) nLayer++;
  const given = json !== null ? configFromHF(json as HFGPT2ConfigJson, who) : {};
  const config: GPTConfig = {
    vocabSize: wte.shape[0], blockSize: wpe.shape[0], nLayer, nHead, nEmbd: wte.shape[1],
    dropout: given.dropout ?? 0, bias: sd['transformer.ln_f.bias'] !== undefined,
  };
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nEmbd'] as const) {
    if (given[k] !== undefined && given[k] !== config[k]) throw new Error(`${who}: config ${k} = ${given[k]} but the checkpoint's shapes give ${config[k]}`);
  }
  const model = new Cls(config);
  setEps(model, given.layerNormEps ?? 1e-5);
  model.loadStateDict(sd);
  return model;
}

/** Writes `model` as a Hugging Face GPT-2 folder (model.safetensors + config.json). */
export function gptSavePretrained(model: GPT, dir: string): void {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`GPT.savePretrained: dir must be a non-empty string, got ${String(dir)}`);
  const c = model.config;
  const ln = model.transformer.ln_f;
  saveHFGPT2(dir, model.stateDict(), { nHead: c.nHead, dropout: c.dropout, bias: c.bias, layerNormEps: ln.eps });
}
