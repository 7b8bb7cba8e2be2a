/**
 * GPT.generate / GPT.stream: the KV-cache path against re-running the full forward every step (past
 * blockSize too, where the context is cropped), greedy / topK / topP / temperature / generator
 * semantics, streaming and early stop, errors; and a tiny training run that learns a repeating
 * sequence — on every backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';

const here = __dirname;
const weights = ng.loadSafetensors(path.join(here, 'fixtures', 'gpt-weights.safetensors'));
const ref = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'gpt-reference.json'), 'utf8')) as { cases: { name: string; config: ng.models.GPTConfig }[] };

/** The fixture's PyTorch-initialised model (weights ×10 the GPT-2 scale: decisive, varied argmaxes). */
function fixtureModel(): ng.models.GPT {
  const c = ref.cases.find((x) => x.name === 'tied')!;
  const m = new ng.models.GPT(c.config);
  const sd: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(weights)) if (k.startsWith('tied/')) sd[k.slice(5)] = t;
  m.loadStateDict(sd);
  return m.eval();
}

/** nanoGPT's generate without a cache: crop to blockSize, full forward, argmax of the last row. */
function greedyReference(m: ng.models.GPT, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const ctx = seq.slice(-m.blockSize);
    const logits = ng.noGrad(() => m.forward([ctx]));
    seq.push(logits.select(1, ctx.length - 1).argmax(-1).item());
  }
  return seq;
}

function row(t: Tensor, r = 0): number[] {
  return (t.toArray() as number[][])[r];
}

forEachBackend('GPT.generate', ['sdpa', 'layerNorm', 'gemm', 'gatherRows'], () => {
  it('greedy with the KV cache = re-running the full forward each step, before and after the context passes blockSize', () => {
    const m = fixtureModel();
    const prompt = [3, 1, 4];
    const want = greedyReference(m, prompt, 14); // 3 + 14 = 17 > blockSize 8
    const got = m.generate([prompt], 14, { temperature: 0 });
    expect(got.dtype).toBe('int32');
    expect(got.shape).toEqual([1, 17]);
    expect(row(got)).toEqual(want);
    expect(new Set(want.slice(3)).size).toBeGreaterThan(1); // not a constant run
    expect(row(m.generate([prompt], 14, { temperature: 0, useCache: false }))).toEqual(want);
  });

  it('batched prompts decode each row as alone; the prompt may be longer than blockSize', () => {
    const m = fixtureModel();
    const a = [1, 2, 3, 4, 5];
    const b = [9, 9, 0, 1, 7];
    const got = m.generate(ng.tensor([a, b], { dtype: 'int32' }), 6, { temperature: 0 });
    expect(row(got, 0)).toEqual(greedyReference(m, a, 6));
    expect(row(got, 1)).toEqual(greedyReference(m, b, 6));
    const long = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0];
    expect(row(m.generate([long], 3, { temperature: 0 }))).toEqual(greedyReference(m, long, 3));
  });

  it('topK 1 is argmax, whatever the temperature; topP keeps at least one token (topP 0 = greedy)', () => {
    const m = fixtureModel();
    const greedy = row(m.generate([[5, 6]], 10, { temperature: 0 }));
    expect(row(m.generate([[5, 6]], 10, { topK: 1 }))).toEqual(greedy);
    expect(row(m.generate([[5, 6]], 10, { topK: 1, temperature: 3, generator: new ng.Generator(1) }))).toEqual(greedy);
    expect(row(m.generate([[5, 6]], 10, { topP: 0, generator: new ng.Generator(2) }))).toEqual(greedy);
    expect(row(m.generate([[5, 6]], 10, { topP: 1e-9, temperature: 2, generator: new ng.Generator(3) }))).toEqual(greedy);
  });

  it('sampling: reproducible with a generator, topK / topP pick only from the allowed set', () => {
    const m = fixtureModel();
    const s1 = row(m.generate([[0]], 20, { temperature: 1.5, generator: new ng.Generator(7) }));
    const s2 = row(m.generate([[0]], 20, { temperature: 1.5, generator: new ng.Generator(7) }));
    expect(s1).toEqual(s2);
    ng.manualSeed(4);
    const d1 = row(m.generate([[0]], 20, { temperature: 1.5 }));
    ng.manualSeed(4);
    expect(row(m.generate([[0]], 20, { temperature: 1.5 }))).toEqual(d1);
    expect(new Set(s1.slice(1)).size).toBeGreaterThan(2); // it does sample
    for (const opts of [{ topK: 2 }, { topP: 0.5 }, { topK: 3, topP: 0.6 }]) {
      const seq = row(m.generate([[0]], 7, { ...opts, temperature: 1.3, generator: new ng.Generator(9) }));
      for (let i = 1; i < seq.length; i++) {
        const ctx = seq.slice(Math.max(0, i - m.blockSize), i);
        const logits = ng.noGrad(() => m.forward([ctx])).select(1, ctx.length - 1).reshape(-1).div(1.3);
        const probs = Array.from(ng.softmax(logits, -1).data);
        const order = probs.map((p, j) => [p, j]).sort((x, y) => y[0] - x[0]);
        let allowed = order.slice(0, opts.topK ?? order.length);
        if (opts.topP !== undefined) {
          const z = allowed.reduce((s, [p]) => s + p, 0);
          let cum = 0;
          allowed = allowed.filter(([p], j) => { const keep = j === 0 || cum < opts.topP! - 1e-6; cum += p / z; return keep; });
        }
        expect(allowed.map(([, j]) => j), `step ${i} ${JSON.stringify(opts)}`).toContain(seq[i]);
      }
    }
  });

  it('streaming: onToken sees every step and can stop early; stream() yields the same tokens', () => {
    const m = fixtureModel();
    const seen: number[][] = [];
    const full = m.generate([[2, 3]], 6, { temperature: 0, onToken: (ids, step) => { seen.push([step, ...ids]); } });
    expect(seen.map(([s]) => s)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.map(([, id]) => id)).toEqual(row(full).slice(2));
    const early = m.generate([[2, 3]], 6, { temperature: 0, onToken: (_ids, step) => step < 2 });
    expect(early.shape).toEqual([1, 5]);
    expect(row(early)).toEqual(row(full).slice(0, 5));
    const streamed = [...m.stream([[2, 3]], 6, { temperature: 0 })].map((ids) => ids[0]);
    expect(streamed).toEqual(row(full).slice(2));
    expect(m.generate([[2, 3]], 0).shape).toEqual([1, 2]);
  });

  it('generation runs without dropout even in training mode', () => {
    const m = fixtureModel();
    const want = row(m.generate([[4, 2]], 8, { temperature: 0 }));
    const d = new ng.models.GPT({ ...m.config, dropout: 0.5 });
    d.loadStateDict(m.stateDict());
    expect(d.training).toBe(true);
    expect(row(d.generate([[4, 2]], 8, { temperature: 0 }))).toEqual(want);
  });

  it('generation records no graph and leaves gradients alone', () => {
    const m = fixtureModel();
    const out = m.generate([[1]], 3, { temperature: 0 });
    expect(out.requiresGrad).toBe(false);
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('bad generate input gives clear errors', () => {
    const m = fixtureModel();
    expect(() => m.generate([[1]], -1)).toThrow(/GPT\.generate: maxNewTokens must be a non-negative integer/);
    expect(() => m.generate([[1]], 2, { temperature: -1 })).toThrow(/temperature must be a finite number ≥ 0/);
    expect(() => m.generate([[1]], 2, { topK: 0 })).toThrow(/topK must be a positive integer/);
    expect(() => m.generate([[1]], 2, { topP: 1.5 })).toThrow(/topP must be in \[0, 1\]/);
    expect(() => m.generate([[1]], 2, { top_k: 5 } as never)).toThrow(/unknown option 'top_k'.*did you mean topK/);
    expect(() => m.generate([[1]], 2, { generator: {} as never })).toThrow(/generator must be an ng\.Generator/);
    expect(() => m.generate([[11]], 2)).toThrow(/token id 11 .* out of range for vocabSize 11/);
    expect(() => m.stream([[1]], 2, { topK: -3 })).toThrow(/GPT\.stream: topK/);
  });
});

forEachBackend('GPT training', ['sdpa', 'sdpaBackward', 'layerNorm', 'layerNormBackward', 'gemm', 'adamStep', 'softmaxCrossEntropy'], () => {
  it('100 AdamW steps on a repeating sequence lower the validation loss far below chance, and greedy decoding continues it', () => {
    ng.manualSeed(0);
    const V = 8, T = 16, B = 8;
    const m = new ng.models.GPT({ vocabSize: V, blockSize: T, nLayer: 2, nHead: 2, nEmbd: 16 });
    const opt = m.configureOptimizers({ lr: 3e-3, weightDecay: 0.01 });
    const pattern = [0, 1, 2, 3, 4, 5, 6, 7, 3, 1, 4];
    const tok = (i: number) => pattern[i % pattern.length];
    const batch = (offsets: number[]) => {
      const x = offsets.map((o) => Array.from({ length: T }, (_, t) => tok(o + t)));
      const y = offsets.map((o) => Array.from({ length: T }, (_, t) => tok(o + t + 1)));
      return [ng.tensor(x, { dtype: 'int32' }), ng.tensor(y, { dtype: 'int32' })];
    };
    const [vx, vy] = batch([0, 3, 5, 9]);
    const valLoss = () => ng.noGrad(() => ng.F.crossEntropy(m.eval().forward(vx).view(-1, V), vy.view(-1)).item());
    const before = valLoss();
    expect(before).toBeGreaterThan(1.5); // ≈ ln 8 = 2.08 at init
    m.train();
    let s = 1;
    for (let step = 0; step < 100; step++) {
      const offs = Array.from({ length: B }, () => { s = (s * 1103515245 + 12345) % 2147483648; return s % pattern.length; });
      const [x, y] = batch(offs);
      const loss = ng.F.crossEntropy(m.forward(x).view(-1, V), y.view(-1));
      opt.zeroGrad();
      loss.backward();
      ng.nn.utils.clipGradNorm(m.parameters(), 1);
      opt.step();
    }
    const after = valLoss();
    expect(after).toBeLessThan(0.5); // ≈ 0.21 after 100 steps
    const out = row(m.generate([[0, 1, 2]], 12, { temperature: 0 }));
    expect(out).toEqual(Array.from({ length: 15 }, (_, i) => tok(i)));
  });
});
