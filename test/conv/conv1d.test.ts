/**
 * nn.Conv1d as PyTorch's (weight [outC, inC, k], bias [outC], input [N, C, L] or unbatched [C, L],
 * positional stride/padding/dilation/groups/bias): outputs and input/weight/bias gradients against
 * PyTorch 1.13 (fixtures/make_conv1d_fixture.py → conv1d-reference.json) on every backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { nn } from '../../lib/index.js';
import { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';

interface Case {
  name: string;
  opts: { in_channels: number; out_channels: number; kernel_size: number; stride?: number; padding?: number; dilation?: number; bias?: boolean };
  xShape: number[]; x: number[]; weight: number[]; weightShape: number[]; bias: number[] | null;
  y: number[]; yShape: number[]; g: number[]; dx: number[]; dweight: number[]; dbias: number[] | null;
}
const REF = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'conv1d-reference.json'), 'utf8')) as { cases: Case[] };
const TOL = { rtol: 1e-4, atol: 1e-5 };

forEachBackend('nn.Conv1d vs PyTorch', ['conv2d', 'conv2dBackward'], () => {
  for (const c of REF.cases) {
    it(c.name, () => {
      const o = c.opts;
      const m = new nn.Conv1d(o.in_channels, o.out_channels, o.kernel_size, {
        stride: o.stride, padding: o.padding, dilation: o.dilation, bias: o.bias,
      });
      expect([...m.weight.shape]).toEqual(c.weightShape);
      m.weight.data.set(c.weight);
      if (c.bias) m.bias!.data.set(c.bias);
      else expect(m.bias).toBeNull();
      const x = new Tensor(Float32Array.from(c.x), c.xShape, true);
      const y = m.forward(x);
      expect([...y.shape]).toEqual(c.yShape);
      expectClose(y.data, c.y, TOL, 'output');
      y.mul(new Tensor(Float32Array.from(c.g), c.yShape)).sum().backward();
      expectClose(x.grad!.data, c.dx, TOL, 'dx');
      expectClose(m.weight.grad!.data, c.dweight, TOL, 'dweight');
      if (c.dbias) expectClose(m.bias!.grad!.data, c.dbias, TOL, 'dbias');
      expect(Object.keys(m.stateDict())).toEqual(c.bias ? ['weight', 'bias'] : ['weight']);
    });
  }

  it('positional arguments and option checks', () => {
    const m = new nn.Conv1d(2, 4, 3, 2, 1, 1, 1, false);
    expect(m.stride).toBe(2);
    expect(m.padding).toBe(1);
    expect(m.bias).toBeNull();
    expect(() => new nn.Conv1d(2, 4, 3, { strid: 2 } as never)).toThrow(/Conv1d: unknown option 'strid' \(did you mean stride\?\)/);
    expect(new nn.Conv1d(2, 4, 3, { groups: 2 }).weight.shape).toEqual([4, 1, 3]);
    expect(() => new nn.Conv1d(2, 3, 3, { groups: 2 })).toThrow(/must be divisible by groups \(2\)/);
    expect(() => m.forward(new Tensor(new Float32Array(30), [1, 3, 10]))).toThrow(/Conv1d/);
    expect(String(m)).toContain('Conv1d(2, 4');
  });
});
