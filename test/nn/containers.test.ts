/** ModuleList / ModuleDict / ParameterList / ParameterDict: registration, PyTorch keys, training, saving; the unregistered-array warning. */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';

const { nn } = ng;

class Blocks extends nn.Module {
  blocks = new nn.ModuleList([new nn.Linear(4, 4), new nn.Linear(4, 4)]);
  heads = new nn.ModuleDict({ cls: new nn.Linear(4, 2), reg: new nn.Linear(4, 1) });
  scales = new nn.ParameterList([ng.ones([4]), ng.full([4], 2)]);
  extra = new nn.ParameterDict({ shift: ng.zeros([4]) });
  forward(x: ng.Tensor): ng.Tensor {
    for (const b of this.blocks) x = (b as ng.nn.Linear).forward(x).relu();
    for (const s of this.scales) x = x.mul(s);
    return (this.heads.get('cls') as ng.nn.Linear).forward(x.add(this.extra.get('shift')!));
  }
}

describe('containers', () => {
  it("register their members under PyTorch's keys", () => {
    const m = new Blocks();
    expect(Object.keys(m.stateDict())).toEqual([
      'blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias',
      'heads.cls.weight', 'heads.cls.bias', 'heads.reg.weight', 'heads.reg.bias',
      'scales.0', 'scales.1', 'extra.shift',
    ]);
    expect(m.parameters().length).toBe(11);
    expect(m.scales.at(1)).toBeInstanceOf(nn.Parameter);
    expect(m.toString()).toMatch(/\(blocks\): ModuleList/);
    expect(m.heads.keys()).toEqual(['cls', 'reg']);
    expect([...m.blocks].length).toBe(2);
    expect(() => m.blocks.forward()).toThrow(/not callable/);
  });

  it('their parameters train and round-trip through a state dict', () => {
    ng.manualSeed(0);
    const m = new Blocks();
    const opt = new ng.optim.SGD(m.parameters(), { lr: 0.1 });
    const before = Float32Array.from(m.blocks.at(1).parameters()[0].data);
    const x = ng.randn([3, 4]);
    m.forward(x).sum().backward();
    opt.step();
    expect(Array.from(m.blocks.at(1).parameters()[0].data)).not.toEqual(Array.from(before));
    expect(m.scales.at(0).grad).not.toBeNull();
    const m2 = new Blocks();
    m2.loadStateDict(m.stateDict());
    expect(Array.from(m2.forward(x).data)).toEqual(Array.from(m.forward(x).data));
  });

  it('insert re-indexes; bad members are refused', () => {
    const l = new nn.ModuleList([new nn.ReLU()]);
    l.insert(0, new nn.Linear(2, 2));
    expect(l.namedChildren().map(([k, c]) => `${k}:${c.constructor.name}`)).toEqual(['0:Linear', '1:ReLU']);
    expect(() => l.append({} as never)).toThrow(TypeError);
    expect(() => new nn.ModuleDict({ 'a.b': new nn.ReLU() })).toThrow(/without '\.'/);
    expect(() => new nn.ParameterList([ng.zeros([2], { dtype: 'int32' })])).toThrow(/float32/);
  });

  it('a plain array of layers on a module warns once that it is not registered', async () => {
    const seen: string[] = [];
    const onWarn = (w: Error): void => { seen.push(w.message); };
    process.on('warning', onWarn);
    class Plain extends nn.Module {
      layers = [new nn.Linear(2, 2), new nn.Linear(2, 2)];
      forward(x: ng.Tensor): ng.Tensor { return x; }
    }
    const p = new Plain();
    expect(p.parameters().length).toBe(0); // PyTorch semantics: not registered
    p.parameters();
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarn);
    expect(seen.filter((m) => m.includes('Plain.layers')).length).toBe(1);
    expect(seen[0]).toMatch(/not registered.*nn\.ModuleList/);
  });
});
