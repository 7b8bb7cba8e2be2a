/**
 * optim.Adam / AdamW `{amsgrad, maximize}` against PyTorch 1.13 (fixtures/make_adam_fixture.py →
 * adam-flags-reference.json: parameters after each of 4 steps), on every backend; the flags in
 * parameter groups and in stateDict; unknown keys still rejected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { Adam, AdamW } from '../../lib/optim/index.js';
import { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';

interface Case { name: string; cls: 'Adam' | 'AdamW'; opts: Record<string, unknown>; steps: number[][] }
const REF = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'adam-flags-reference.json'), 'utf8')) as {
  p0: number[]; grads: number[][]; cases: Case[];
};

forEachBackend('Adam/AdamW amsgrad and maximize vs PyTorch', ['adamStep', 'unary'], () => {
  for (const c of REF.cases) {
    it(c.name, () => {
      const p = new Tensor(Float32Array.from(REF.p0), [2, 3], true);
      const Opt = c.cls === 'Adam' ? Adam : AdamW;
      const opt = new Opt([p], c.opts as never);
      REF.grads.forEach((g, s) => {
        p.grad = new Tensor(Float32Array.from(g), [2, 3]);
        opt.step();
        expectClose(p.data, c.steps[s], { rtol: 1e-5, atol: 1e-6 }, `step ${s + 1}`);
      });
    });
  }

  it('flags per parameter group; stateDict carries them and the vmax buffer', () => {
    const a = new Tensor(Float32Array.from(REF.p0), [2, 3], true);
    const b = new Tensor(Float32Array.from(REF.p0), [2, 3], true);
    const opt = new Adam([{ params: [a], amsgrad: true }, { params: [b] }], { lr: 0.1 });
    const ref = REF.cases.find((c) => c.name === 'Adam amsgrad')!;
    const plain = new Tensor(Float32Array.from(REF.p0), [2, 3], true);
    const plainOpt = new Adam([plain], { lr: 0.1 });
    REF.grads.forEach((g, s) => {
      a.grad = new Tensor(Float32Array.from(g), [2, 3]);
      b.grad = new Tensor(Float32Array.from(g), [2, 3]);
      plain.grad = new Tensor(Float32Array.from(g), [2, 3]);
      opt.step();
      plainOpt.step();
      expectClose(a.data, ref.steps[s], { rtol: 1e-5, atol: 1e-6 });
    });
    expect(Array.from(b.data)).toEqual(Array.from(plain.data));
    const sd = opt.stateDict();
    expect(sd.groups![0].amsgrad).toBe(true);
    expect(sd.groups![1].amsgrad).toBe(false);
    expect(sd.buffers.vmax[0]).not.toBeNull();
    expect(() => new Adam([a], { amsGrad: true } as never)).toThrow(/unknown option 'amsGrad' \(did you mean amsgrad\?\)/);
    expect(() => new AdamW([a], { maximise: true } as never)).toThrow(/did you mean maximize\?/);
    expect(() => new Adam([a], { amsgrad: 1 } as never)).toThrow(/amsgrad must be a boolean/);
  });
});
