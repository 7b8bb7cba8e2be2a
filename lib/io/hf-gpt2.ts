/**
 * Hugging Face GPT-2 checkpoints ↔ nodegrad's GPT state dicts (nanoGPT's names: HF's, in nn.Linear layout).
 *
 *   hfToNanoGPT(tensors, {config?}) → {stateDict, config}
 *     keys with or without the `transformer.` prefix (GPT2LMHeadModel vs GPT2Model checkpoints); the four Conv1D
 *     weights (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj: [in, out], computing x·W + b) transposed to
 *     [out, in]; the attention buffers `attn.bias` / `attn.masked_bias` dropped; `lm_head.weight` filled by the
 *     tie (the same tensor as `transformer.wte.weight`) when the file omits it. Tensors are float32 (loadSafetensors
 *     widens F16/BF16). The config comes from `config.json` (n_embd, n_layer, n_head, n_positions, vocab_size,
 *     layer_norm_epsilon) or is inferred from the shapes (nHead = nEmbd / 64, GPT-2's head size, when no
 *     config gives it).
 *   nanoGPTToHF(stateDict, config) → {tensors, config}
 *     the inverse, as GPT2LMHeadModel.save_pretrained writes it: `transformer.*` keys, Conv1D weights [in, out],
 *     one copy of the tied tensor (no lm_head.weight), plus a config.json object.
 *   loadHFGPT2(path, {keepBf16}) / saveHFGPT2(dir, stateDict, config)   the same through files (model.safetensors +
 *     config.json; a folder or the .safetensors file itself, config.json beside it when present). keepBf16 keeps
 *     BF16 checkpoint tensors as bfloat16 tensors (no widening); bfloat16 tensors are saved as BF16.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../tensor.js';
import { contiguous, transpose } from '../ops/shape.js';
import { checkOptions } from '../util/options.js';
import { writeFileAtomic } from './atomic.js';
import { loadSafetensors, serializeSafetensors } from './safetensors.js';

/** The GPT hyperparameters a checkpoint determines (the fields of ng.models.GPT's options, plus layerNormEps). */
export interface GPT2Config {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** LayerNorm epsilon (GPT-2: 1e-5) */
  layerNormEps: number;
  /** dropout probability (HF's resid/embd/attn pdrop; 0 when not given) */
  dropout: number;
  /** GPT-2 checkpoints always have biases */
  bias: boolean;
}

/** Hugging Face's config.json fields for GPT-2 (those read here). */
export interface HFGPT2ConfigJson {
  vocab_size?: number;
  n_positions?: number;
  n_ctx?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  n_inner?: number | null;
  layer_norm_epsilon?: number;
  activation_function?: string;
  resid_pdrop?: number;
  [k: string]: unknown;
}

/** The four layers GPT-2 implements as Conv1D ([in, out] weights). */
const CONV1D = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'];
const BLOCK_PARAMS = [
  'ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
  'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias',
];
const TOP_PARAMS = ['wte.weight', 'wpe.weight', 'ln_f.weight', 'ln_f.bias'];

function isConv1DWeight(key: string): boolean {
  return CONV1D.some((c) => key.endsWith(`.${c}.weight`));
}

/** Element-wise identical (NaN equal to NaN), comparing bits for bfloat16. */
function sameValues(x: Tensor, y: Tensor): boolean {
  if (x.dtype !== y.dtype) return false;
  const a = x.dtype === 'bfloat16' ? x.bits() : x.data;
  const b = y.dtype === 'bfloat16' ? y.bits() : y.data;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** [a, b] → a contiguous [b, a] copy. */
function transposed(t: Tensor): Tensor {
  return contiguous(transpose(t.detach(), 0, 1));
}

function posInt(v: unknown, what: string, who: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${who}: config ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** Reads a GPT-2 config.json object into a GPT2Config (checks the fields nodegrad's GPT cannot express). */
export function configFromHF(j: HFGPT2ConfigJson, who = 'hfToNanoGPT'): Partial<GPT2Config> {
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new TypeError(`${who}: config must be a config.json object`);
  if (j.model_type !== undefined && j.model_type !== 'gpt2') throw new Error(`${who}: config model_type is ${JSON.stringify(j.model_type)}, not "gpt2"`);
  const act = j.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new Error(`${who}: activation_function ${JSON.stringify(act)} is not supported (GPT-2's tanh GELU: gelu_new)`);
  for (const flag of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention']) {
    if (j[flag] === true) throw new Error(`${who}: config ${flag} = true is not supported`);
  }
  if (j.scale_attn_weights === false) throw new Error(`${who}: config scale_attn_weights = false is not supported`);
  if (j.tie_word_embeddings === false) throw new Error(`${who}: config tie_word_embeddings = false is not supported (nodegrad's GPT ties lm_head to wte)`);
  const out: Partial<GPT2Config> = {};
  if (j.vocab_size !== undefined) out.vocabSize = posInt(j.vocab_size, 'vocab_size', who);
  const npos = j.n_positions ?? j.n_ctx;
  if (npos !== undefined) out.blockSize = posInt(npos, 'n_positions', who);
  if (j.n_embd !== undefined) out.nEmbd = posInt(j.n_embd, 'n_embd', who);
  if (j.n_layer !== undefined) out.nLayer = posInt(j.n_layer, 'n_layer', who);
  if (j.n_head !== undefined) out.nHead = posInt(j.n_head, 'n_head', who);
  if (j.n_inner !== undefined && j.n_inner !== null && out.nEmbd !== undefined && j.n_inner !== 4 * out.nEmbd) {
    throw new Error(`${who}: config n_inner = ${j.n_inner} is not supported (the MLP is 4·n_embd = ${4 * out.nEmbd} wide)`);
  }
  if (j.layer_norm_epsilon !== undefined) {
    if (typeof j.layer_norm_epsilon !== 'number' || !(j.layer_norm_epsilon > 0)) throw new Error(`${who}: config layer_norm_epsilon must be a positive number`);
    out.layerNormEps = j.layer_norm_epsilon;
  }
  if (typeof j.resid_pdrop === 'number') out.dropout = j.resid_pdrop;
  return out;
}

function isHFJson(c: object): boolean {
  return ['n_embd', 'n_layer', 'n_head', 'n_inner', 'vocab_size', 'n_positions', 'n_ctx', 'model_type', 'layer_norm_epsilon'].some((k) => k in c);
}

export interface HfToNanoGPTOptions {
  /** a config.json object (snake_case) or a partial GPT2Config; missing fields are inferred from the shapes */
  config?: HFGPT2ConfigJson | Partial<GPT2Config>;
}

/**
 * Converts the tensors of a Hugging Face GPT-2 checkpoint (GPT2Model or GPT2LMHeadModel keys, Conv1D layout) to
 * nodegrad GPT names and nn.Linear layout. Every expected tensor must be there with the config's shape; any other
 * key (beyond the attention buffers) is an Error listing it.
 */
export function hfToNanoGPT(tensors: Record<string, Tensor> | Map<string, Tensor>, opts: HfToNanoGPTOptions = {}): { stateDict: Record<string, Tensor>; config: GPT2Config } {
  const who = 'hfToNanoGPT';
  checkOptions(opts, ['config'], who);
  if (tensors === null || typeof tensors !== 'object') throw new TypeError(`${who}: tensors must be an object or Map of name → Tensor`);
  const src = tensors instanceof Map ? new Map(tensors) : new Map(Object.entries(tensors));
  // normalise: strip `transformer.`, drop the buffers
  const hf = new Map<string, Tensor>();
  let head: Tensor | null = null;
  const unexpected: string[] = [];
  for (const [k0, t] of src) {
    if (!(t instanceof Tensor)) throw new TypeError(`${who}: '${k0}' is not a Tensor`);
    if (k0 === 'lm_head.weight') { head = t; continue; }
    const k = k0.startsWith('transformer.') ? k0.slice('transformer.'.length) : k0;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(k)) continue;
    if (hf.has(k)) throw new Error(`${who}: '${k}' appears both with and without the 'transformer.' prefix`);
    hf.set(k, t);
  }
  const given = opts.config === undefined ? {} : isHFJson(opts.config) ? configFromHF(opts.config as HFGPT2ConfigJson, who) : { ...(opts.config as Partial<GPT2Config>) };
  const wte = hf.get('wte.weight');
  const wpe = hf.get('wpe.weight');
  if (!wte || wte.ndim !== 2) throw new Error(`${who}: no 2-D wte.weight (or transformer.wte.weight): not a GPT-2 checkpoint`);
  if (!wpe || wpe.ndim !== 2) throw new Error(`${who}: no 2-D wpe.weight (or transformer.wpe.weight): not a GPT-2 checkpoint`);
  let nLayer = 0;
  for (const k of hf.keys()) {
    const m = /^h\.(\d+)\./.exec(k);
    if (m) nLayer = Math.max(nLayer, Number(m[1]) + 1);
  }
  const nEmbd = wte.shape[1];
  const cfg: GPT2Config = {
    vocabSize: wte.shape[0], blockSize: wpe.shape[0], nLayer, nEmbd, nHead: nEmbd % 64 === 0 ? nEmbd / 64 : 0,
    layerNormEps: 1e-5, dropout: 0, bias: true,
  };
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nEmbd'] as const) {
    if (given[k] !== undefined && given[k] !== cfg[k]) throw new Error(`${who}: config ${k} = ${given[k]} but the checkpoint's shapes give ${cfg[k]}`);
  }
  if (given.nHead !== undefined) cfg.nHead = given.nHead;
  if (given.layerNormEps !== undefined) cfg.layerNormEps = given.layerNormEps;
  if (given.dropout !== undefined) cfg.dropout = given.dropout;
  if (!(cfg.nHead > 0) || nEmbd % cfg.nHead !== 0) throw new Error(`${who}: n_head cannot be inferred for n_embd ${nEmbd} (not a multiple of 64): pass {config} with n_head`);
  if (nLayer === 0) throw new Error(`${who}: the checkpoint has no transformer blocks (h.0.*)`);
  const nInner = opts.config !== undefined && isHFJson(opts.config) ? (opts.config as HFGPT2ConfigJson).n_inner : null;
  if (nInner !== undefined && nInner !== null && nInner !== 4 * nEmbd) {
    throw new Error(`${who}: config n_inner = ${nInner} is not supported (the MLP is 4·n_embd = ${4 * nEmbd} wide)`);
  }

  const C = nEmbd;
  const expectShape: Record<string, number[]> = {
    'ln_1.weight': [C], 'ln_1.bias': [C], 'ln_2.weight': [C], 'ln_2.bias': [C],
    'attn.c_attn.weight': [C, 3 * C], 'attn.c_attn.bias': [3 * C], 'attn.c_proj.weight': [C, C], 'attn.c_proj.bias': [C],
    'mlp.c_fc.weight': [C, 4 * C], 'mlp.c_fc.bias': [4 * C], 'mlp.c_proj.weight': [4 * C, C], 'mlp.c_proj.bias': [C],
  };
  const sd: Record<string, Tensor> = {};
  const missing: string[] = [];
  const bad: string[] = [];
  const take = (k: string, shape: number[]): Tensor | null => {
    const t = hf.get(k);
    if (!t) { missing.push(k); return null; }
    hf.delete(k);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) { bad.push(`${k}: [${t.shape.join(', ')}], expected [${shape.join(', ')}]`); return null; }
    return t;
  };
  const top: Record<string, number[]> = { 'wte.weight': [cfg.vocabSize, C], 'wpe.weight': [cfg.blockSize, C], 'ln_f.weight': [C], 'ln_f.bias': [C] };
  for (const k of TOP_PARAMS) {
    const t = take(k, top[k]);
    if (t) sd[`transformer.${k}`] = t.detach();
  }
  for (let i = 0; i < nLayer; i++) {
    for (const p of BLOCK_PARAMS) {
      const k = `h.${i}.${p}`;
      const t = take(k, expectShape[p]);
      if (t) sd[`transformer.${k}`] = isConv1DWeight(k) ? transposed(t) : t.detach();
    }
  }
  for (const k of hf.keys()) unexpected.push(k);
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.join(', ')}`);
  if (bad.length) problems.push(`wrong shapes: ${bad.join('; ')}`);
  if (unexpected.length) problems.push(`unexpected ${unexpected.join(', ')}`);
  if (problems.length) throw new Error(`${who}: ${problems.join('. ')}`);
  const tied = sd['transformer.wte.weight'];
  if (head !== null) {
    // a file that keeps lm_head.weight must hold the tied values (nodegrad's GPT has one tensor for both)
    if (head.shape.length !== 2 || head.shape[0] !== tied.shape[0] || head.shape[1] !== tied.shape[1] || !sameValues(head, tied)) {
      throw new Error(`${who}: lm_head.weight differs from wte.weight (an untied head), which nodegrad's GPT cannot hold`);
    }
  }
  sd['lm_head.weight'] = tied;
  return { stateDict: sd, config: cfg };
}

/** Hugging Face's config.json for a GPT2LMHeadModel with this config. */
export function configToHF(c: GPT2Config): Record<string, unknown> {
  return {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: c.dropout,
    bos_token_id: c.vocabSize === 50257 ? 50256 : c.vocabSize - 1,
    embd_pdrop: c.dropout,
    eos_token_id: c.vocabSize === 50257 ? 50256 : c.vocabSize - 1,
    initializer_range: 0.02,
    layer_norm_epsilon: c.layerNormEps,
    model_type: 'gpt2',
    n_ctx: c.blockSize,
    n_embd: c.nEmbd,
    n_head: c.nHead,
    n_inner: null,
    n_layer: c.nLayer,
    n_positions: c.blockSize,
    resid_pdrop: c.dropout,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    vocab_size: c.vocabSize,
  };
}

/** The GPT2Config a state dict with nodegrad GPT names implies (nHead must be given: shapes do not tell it). */
function configFromStateDict(sd: Map<string, Tensor>, given: Partial<GPT2Config>, who: string): GPT2Config {
  const wte = sd.get('transformer.wte.weight');
  const wpe = sd.get('transformer.wpe.weight');
  if (!wte || !wpe) throw new Error(`${who}: the state dict has no transformer.wte.weight / transformer.wpe.weight (not a GPT)`);
  let nLayer = 0;
  for (const k of sd.keys()) {
    const m = /^transformer\.h\.(\d+)\./.exec(k);
    if (m) nLayer = Math.max(nLayer, Number(m[1]) + 1);
  }
  const nEmbd = wte.shape[1];
  const nHead = given.nHead ?? (nEmbd % 64 === 0 ? nEmbd / 64 : 0);
  if (!(nHead > 0) || nEmbd % nHead !== 0) throw new Error(`${who}: pass config.nHead (n_embd ${nEmbd} is not a multiple of 64)`);
  if (given.bias === false) throw new Error(`${who}: a GPT without biases has no Hugging Face GPT-2 equivalent`);
  return {
    vocabSize: wte.shape[0], blockSize: wpe.shape[0], nLayer, nEmbd, nHead,
    layerNormEps: given.layerNormEps ?? 1e-5, dropout: given.dropout ?? 0, bias: true,
  };
}

/**
 * nodegrad GPT state dict → Hugging Face GPT2LMHeadModel tensors (`transformer.*`, Conv1D [in, out]; the tied
 * lm_head.weight is left out, as save_pretrained does) and its config.json. A present lm_head.weight must equal
 * the embedding.
 */
export function nanoGPTToHF(stateDict: Record<string, Tensor> | Map<string, Tensor>, config: Partial<GPT2Config> = {}): { tensors: Record<string, Tensor>; config: Record<string, unknown> } {
  const who = 'nanoGPTToHF';
  if (stateDict === null || typeof stateDict !== 'object') throw new TypeError(`${who}: stateDict must be an object or Map of name → Tensor`);
  const sd = stateDict instanceof Map ? new Map(stateDict) : new Map(Object.entries(stateDict));
  const cfg = configFromStateDict(sd, config, who);
  const head = sd.get('lm_head.weight');
  const wte = sd.get('transformer.wte.weight')!;
  if (head !== undefined && head !== wte) {
    if (head.size !== wte.size || !sameValues(head, wte)) throw new Error(`${who}: lm_head.weight differs from transformer.wte.weight (an untied head cannot be saved as GPT-2)`);
  }
  sd.delete('lm_head.weight');
  const out: Record<string, Tensor> = {};
  const expected = new Set<string>(TOP_PARAMS.map((k) => `transformer.${k}`));
  for (let i = 0; i < cfg.nLayer; i++) for (const p of BLOCK_PARAMS) expected.add(`transformer.h.${i}.${p}`);
  const missing = [...expected].filter((k) => !sd.has(k));
  const unexpected = [...sd.keys()].filter((k) => !expected.has(k));
  if (missing.length || unexpected.length) {
    throw new Error(`${who}: ${[missing.length ? `missing ${missing.join(', ')}` : '', unexpected.length ? `unexpected ${unexpected.join(', ')} (merge LoRA adapters first)` : ''].filter(Boolean).join('. ')}`);
  }
  for (const k of expected) {
    const t = sd.get(k)!;
    if (t.dtype !== 'float32' && t.dtype !== 'bfloat16') throw new TypeError(`${who}: ${k} is ${t.dtype}; expected float32 or bfloat16`);
    out[k] = isConv1DWeight(k) ? transposed(t) : t.detach();
  }
  return { tensors: out, config: configToHF(cfg) };
}

/**
 * Reads a Hugging Face GPT-2 checkpoint: a folder with model.safetensors (and config.json), or the .safetensors
 * file itself (config.json beside it is read when present).
 */
export function loadHFGPT2(p: string, opts: { keepBf16?: boolean } = {}): { stateDict: Record<string, Tensor>; config: GPT2Config } {
  const who = 'loadHFGPT2';
  checkOptions(opts, ['keepBf16'], who);
  if (typeof p !== 'string' || p.length === 0) throw new TypeError(`${who}: path must be a non-empty string`);
  let file = p;
  let dir = path.dirname(p);
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
    dir = p;
    file = path.join(p, 'model.safetensors');
    if (!fs.existsSync(file)) throw new Error(`${who}: ${p} has no model.safetensors (pytorch_model.bin is not supported: convert it to safetensors)`);
  }
  const cfgFile = path.join(dir, 'config.json');
  let config: HFGPT2ConfigJson | undefined;
  if (fs.existsSync(cfgFile)) {
    try {
      config = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as HFGPT2ConfigJson;
    } catch (e) {
      throw new Error(`${who}: cannot parse ${cfgFile}: ${(e as Error).message}`, { cause: e });
    }
  }
  return hfToNanoGPT(loadSafetensors(file, { keepBf16: opts.keepBf16 ?? false }), { config });
}

/** Writes `dir/model.safetensors` (HF GPT-2 layout, metadata format "pt" as transformers requires) and `dir/config.json`, atomically. */
export function saveHFGPT2(dir: string, stateDict: Record<string, Tensor> | Map<string, Tensor>, config: Partial<GPT2Config> = {}): void {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('saveHFGPT2: dir must be a non-empty string');
  const { tensors, config: json } = nanoGPTToHF(stateDict, config);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }, 'saveHFGPT2'));
  writeFileAtomic(path.join(dir, 'config.json'), Buffer.from(`${JSON.stringify(json, null, 2)}\n`, 'utf8'));
}
