/**
 * `nodegrad train gpt` and `nodegrad generate` as child processes, on a tiny configuration (1 layer ×
 * 32, block 16): the run prints validation losses and a sample and saves a model folder; resuming from
 * the checkpoint reproduces an uninterrupted run bit for bit; generate streams the prompt and new text,
 * the same text for the same seed, and rejects a folder that is not a GPT folder.
 * In-process: the schedule (warm-up then cosine to lr/10) and the random windows.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gptLr, randomBatch } from '../../lib/cli-gpt.js';
import { Generator } from '../../lib/random.js';

describe('GPT training helpers', () => {
  it('gptLr warms up linearly to lr, then follows a cosine down to lr·minLrRatio at the last step', () => {
    const o = { lr: 1e-3, minLrRatio: 0.1, warmupSteps: 10, steps: 110 };
    expect(gptLr(0, o)).toBeCloseTo(1e-4, 12);
    expect(gptLr(9, o)).toBeCloseTo(1e-3, 12);
    expect(gptLr(10, o)).toBeCloseTo(1e-3, 12);
    expect(gptLr(60, o)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12);
    expect(gptLr(110, o)).toBeCloseTo(1e-4, 12);
    for (let s = 11; s < 110; s++) expect(gptLr(s, o)).toBeLessThan(gptLr(s - 1, o));
  });

  it('randomBatch draws windows whose targets are the inputs shifted by one token, reproducibly per seed', () => {
    const tokens = Int32Array.from({ length: 100 }, (_, i) => i);
    const [x, y] = randomBatch(tokens, 3, 8, new Generator(5));
    expect(x.shape).toEqual([3, 8]);
    expect(x.dtype).toBe('int32');
    const xd = x.data;
    const yd = y.data;
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 8; t++) expect(yd[b * 8 + t]).toBe(xd[b * 8 + t] + 1);
      expect(xd[b * 8 + 7]).toBeLessThan(99);
    }
    const [x2] = randomBatch(tokens, 3, 8, new Generator(5));
    expect(Array.from(x2.data)).toEqual(Array.from(xd));
    expect(() => randomBatch(tokens.subarray(0, 5), 1, 8, new Generator(0))).toThrow(/fewer than blockSize/);
  });
});

describe('nodegrad train gpt / generate as child processes', () => {
  const root = path.resolve(__dirname, '..', '..');
  const cli = path.join(root, 'dist', 'cjs', 'cli.js');
  const built = fs.existsSync(cli);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-gpt-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: tmp, timeout: 240_000, env: { ...process.env, NODEGRAD_CACHE_DIR: path.join(tmp, 'cache') } });
  const tiny = ['--n-layer', '1', '--n-head', '2', '--n-embd', '32', '--block-size', '16', '--batch-size', '4',
    '--eval-interval', '10', '--eval-iters', '2', '--warmup-steps', '2', '--sample-tokens', '20', '--no-progress'];

  it.skipIf(!built)('trains, prints val loss lines and a sample, saves a folder; a resumed run is bit-identical (skipped without dist/)', () => {
    const a = path.join(tmp, 'a');
    const r = run('train', 'gpt', ...tiny, '--steps', '20', '--out', a);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^step 10: train loss \d+\.\d+, val loss \d+\.\d{3}$/m);
    expect(r.stdout).toMatch(/^val loss \d+\.\d{3} after 20 steps/m);
    expect(r.stdout).toMatch(/sample \(temperature/);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'checkpoint.safetensors']) expect(fs.existsSync(path.join(a, f)), f).toBe(true);
    const cfg = JSON.parse(fs.readFileSync(path.join(a, 'config.json'), 'utf8'));
    expect(cfg.format).toBe('nodegrad.gpt');
    expect(cfg.config).toMatchObject({ nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 16 });

    // 10 steps, then resume to 20: the same weights as the uninterrupted run, byte for byte
    const b = path.join(tmp, 'b');
    expect(run('train', 'gpt', ...tiny, '--steps', '20', '--out', b).status).toBe(0);
    const c = path.join(tmp, 'c');
    // the same 20-step schedule, stopped after step 10 and resumed from its checkpoint
    fs.mkdirSync(c);
    const r10 = run('train', 'gpt', ...tiny, '--steps', '20', '--out', c, '--stop-after', '10');
    expect(r10.status, r10.stderr).toBe(0);
    const r20 = run('train', 'gpt', ...tiny, '--steps', '20', '--out', c, '--resume');
    expect(r20.status, r20.stderr).toBe(0);
    expect(r20.stdout).toMatch(/resuming from .* at step 10/);
    const wb = fs.readFileSync(path.join(b, 'model.safetensors'));
    const wc = fs.readFileSync(path.join(c, 'model.safetensors'));
    expect(Buffer.compare(wb, wc)).toBe(0);
  });

  it.skipIf(!built)('generate streams the prompt and new text, the same for the same seed; a bad folder is a clear error (skipped without dist/)', () => {
    const a = path.join(tmp, 'g');
    expect(run('train', 'gpt', ...tiny, '--steps', '10', '--out', a).status).toBe(0);
    const g1 = run('generate', a, '--prompt', 'The whale', '--max-new-tokens', '30', '--seed', '3');
    expect(g1.status, g1.stderr).toBe(0);
    expect(g1.stdout.startsWith('The whale')).toBe(true);
    expect(g1.stdout.length).toBeGreaterThan('The whale'.length + 10);
    const g2 = run('generate', a, '--prompt', 'The whale', '--max-new-tokens', '30', '--seed', '3');
    expect(g2.stdout).toBe(g1.stdout);
    const greedy1 = run('generate', a, '--prompt', 'The', '--max-new-tokens', '20', '--temperature', '0');
    const greedy2 = run('generate', a, '--prompt', 'The', '--max-new-tokens', '20', '--temperature', '0', '--seed', '9');
    expect(greedy1.status, greedy1.stderr).toBe(0);
    expect(greedy2.stdout).toBe(greedy1.stdout);
    const bad = run('generate', tmp);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/generate: .* has no config\.json/);
    const misplaced = run('train', 'mnist-mlp', '--n-layer', '2');
    expect(misplaced.status).not.toBe(0);
    expect(misplaced.stderr).toMatch(/--n-layer is a gpt option/);
  });
});
