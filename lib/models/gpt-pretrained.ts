/**
 * `GPT.fromPretrained(path)` and `model.savePretrained(dir)` (Hugging Face's from_pretrained / save_pretrained for
 * GPT-2), kept apart from ./gpt.ts.
 *
 * fromPretrained reads
 *   - a Hugging Face GPT-2 checkpoint: a `.safetensors` file, or a folder with `model.safetensors` (and
 *     `config.json`), through ../io/hf-gpt2.ts (both key spellings, Conv1D weights transposed, the attention
 *     buffers dropped, the tie filled, F16/BF16 widened; config from config.json or inferred from the shapes);
 *   - a folder written by `nodegrad train gpt` (config.json with format 'nodegrad.gpt': nodegrad's own names and
 *     nn.Linear layout, the tokenizer beside it).
 * The model comes back in eval mode (as transformers' from_pretrained), with the checkpoint's dropout
 * (HF's resid_pdrop) in its config; `model.train()` before fine-tuning.
 *
 * savePretrained writes the Hugging Face folder: model.safetensors (transformer.* keys, Conv1D [in, out], one copy
 * of the tied tensor) and config.json, each atomically. A model with unmerged LoRA layers is refused
 * (ng.lora.merge first); bfloat16 weights are written as BF16.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadHFGPT2, saveHFGPT2 } from '../io/hf-gpt2.js';
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
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${who}: options must be an object`);
  for (const k of Object.keys(opts)) if (k !== 'keepBf16') throw new TypeError(`${who}: unknown option '${k}' (known: keepBf16)`);
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
  const { stateDict, config } = loadHFGPT2(p, { keepBf16: opts.keepBf16 ?? false });
  const model = new Cls({
    vocabSize: config.vocabSize, blockSize: config.blockSize, nLayer: config.nLayer, nHead: config.nHead, nEmbd: config.nEmbd,
    dropout: config.dropout, bias: config.bias,
  });
  if (config.layerNormEps !== 1e-5) {
    // GPTConfig has no epsilon: set it on every LayerNorm (read-only field, as LayerNorm keeps it)
    for (const [, m] of model.namedModules()) if (m instanceof LayerNorm) Object.defineProperty(m, 'eps', { value: config.layerNormEps });
  }
  model.loadStateDict(stateDict);
  return model.eval();
}

/** Writes `model` as a Hugging Face GPT-2 folder (model.safetensors + config.json). */
export function gptSavePretrained(model: GPT, dir: string): void {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`GPT.savePretrained: dir must be a non-empty string, got ${String(dir)}`);
  const c = model.config;
  const ln = model.transformer.ln_f;
  saveHFGPT2(dir, model.stateDict(), { nHead: c.nHead, dropout: c.dropout, bias: c.bias, layerNormEps: ln.eps });
}
