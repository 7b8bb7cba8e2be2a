/** Parameter groups (PyTorch's param_groups) and strict options, on every backend. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';

function setup(): { a: ng.Tensor; b: ng.Tensor; loss: () => ng.Tensor } {
  ng.manualSeed(3);
  const a = ng.randn([4, 3], { requiresGrad: true });
  const b = ng.randn([3], { requiresGrad: true });
  const x = ng.randn([5, 4]);
  return { a, b, loss: () => x.matmul(a).add(b).tanh().square().sum() };
}

forEachBackend('optimizer parameter groups', ['adamStep', 'sgdStep'], () => {
  for (const [name, make] of [
    ['AdamW', (p: never, o: never) => new ng.optim.AdamW(p, o)],
    ['SGD', (p: never, o: never) => new ng.optim.SGD(p, o)],
    ['RMSprop', (p: never, o: never) => new ng.optim.RMSprop(p, o)],
  ] as const) {
    it(`${name}: two groups equal two optimizers with those settings`, () => {
      const one = setup();
      const opt = make([{ params: [one.a], weightDecay: 0.1 }, { params: [one.b], lr: 0.05, weightDecay: 0 }] as never, { lr: 0.01, ...(name === 'SGD' ? { momentum: 0.9 } : {}) } as never);
      const two = setup();
      const oa = make([two.a] as never, { lr: 0.01, weightDecay: 0.1, ...(name === 'SGD' ? { momentum: 0.9 } : {}) } as never);
      const ob = make([two.b] as never, { lr: 0.05, weightDecay: 0, ...(name === 'SGD' ? { momentum: 0.9 } : {}) } as never);
      for (let s = 0; s < 4; s++) {
        opt.zeroGrad(); one.loss().backward(); opt.step();
        oa.zeroGrad(); ob.zeroGrad(); two.loss().backward(); oa.step(); ob.step();
      }
      expect(Array.from(one.a.data)).toEqual(Array.from(two.a.data));
      expect(Array.from(one.b.data)).toEqual(Array.from(two.b.data));
    });
  }

  it('paramGroups are live; lr (and schedulers) scale every group by its ratio; stateDict keeps groups', () => {
    const { a, b, loss } = setup();
    const opt = new ng.optim.Adam([{ params: [a] }, { params: [b], lr: 0.2 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.2]);
    expect(opt.paramGroups[1].params).toEqual([b]);
    const sched = new ng.optim.StepLR(opt, 1, 0.5);
    sched.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.05, 0.1]);
    opt.paramGroups[0].weightDecay = 0.3;
    loss().backward();
    opt.step();
    const sd = opt.stateDict();
    expect(sd.groups!.map((g) => g.lr)).toEqual([0.05, 0.1]);
    expect(sd.groups![0].weightDecay).toBe(0.3);
    const { a: a2, b: b2 } = setup();
    const opt2 = new ng.optim.Adam([{ params: [a2] }, { params: [b2], lr: 0.2 }], { lr: 0.1 });
    opt2.loadStateDict(sd);
    expect(opt2.paramGroups[0].weightDecay).toBe(0.3);
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual([0.05, 0.1]);
  });
});

describe('strict options', () => {
  const p = [ng.zeros([2], { requiresGrad: true })];
  it('unknown keys throw naming the key and the nearest known one', () => {
    expect(() => new ng.optim.Adam(p, { lr: 1e-3, weight_decay: 0.5 } as never)).toThrow(/Adam: unknown option 'weight_decay' \(did you mean weightDecay\?\)/);
    expect(() => new ng.optim.AdamW(p, { amsGrad: true } as never)).toThrow(/AdamW: unknown option 'amsGrad' \(did you mean amsgrad\?\)/);
    expect(() => new ng.optim.SGD(p, { lr: 0.1, momentun: 0.9 } as never)).toThrow(/did you mean momentum\?/);
    expect(() => new ng.optim.RMSprop(p, { lr: 0.1, centered: true } as never)).toThrow(/unknown option 'centered'/);
    expect(() => new ng.optim.Adam([{ params: p, weightDecy: 1 }] as never)).toThrow(/parameter group 0: unknown option 'weightDecy' \(did you mean weightDecay\?\)/);
    expect(() => new ng.optim.Adam([{ prams: p }] as never)).toThrow(TypeError);
    const ds = new ng.data.TensorDataset(ng.zeros([4, 2]), ng.zeros([4]));
    expect(() => new ng.data.DataLoader(ds, { batch_size: 16 } as never)).toThrow(/DataLoader: unknown option 'batch_size' \(did you mean batchSize\?\)/);
    const opt = new ng.optim.SGD(p, { lr: 0.1 });
    expect(() => new ng.optim.StepLR(opt, { stepSize: 1, gama: 0.5 } as never)).toThrow(/StepLR: unknown option 'gama' \(did you mean gamma\?\)/);
  });
});
