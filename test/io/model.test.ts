/**
 * model.save(dir) / nn.Module.load(dir) (lib/io/model.ts): round trip of a Sequential holding every
 * built-in layer kind (architecture, weights, buffers, outputs), a custom class through
 * registerModuleClass, and clear errors for unsaveable modules, a missing or corrupt config.json,
 * and weights that do not match the config.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_FILE, loadModel, moduleSpec, registerModuleClass, saveModel, WEIGHTS_FILE } from '../../lib/io/model.js';
import { saveSafetensors } from '../../lib/io/safetensors.js';
import {
  AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, GELU, Identity, LayerNorm, LeakyReLU, Linear,
  MaxPool2d, Module, Parameter, ReLU, Sequential, Sigmoid, Softmax, Tanh,
} from '../../lib/nn/index.js';
import { manualSeed } from '../../lib/random.js';
import { randn, Tensor } from '../../lib/tensor.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-model-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const newDir = () => path.join(tmp, `m${n++}`);
const values = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

describe('round trip', () => {
  it('a Sequential with every built-in layer kind: same architecture, weights, buffers and outputs', () => {
    manualSeed(3);
    const model = new Sequential(
      new Conv2d(1, 3, 3, { stride: 1, padding: 1 }), new BatchNorm2d(3), new ReLU(), new MaxPool2d(2), new AvgPool2d(2, { stride: 2 }),
      new Flatten(), new Linear(12, 8), new LayerNorm(8, { eps: 1e-3 }), new GELU({ approximate: 'tanh' }), new Dropout(0.3),
      new Sequential(new Linear(8, 6), new BatchNorm1d(6, { momentum: 0.2 }), new Tanh()),
      new LeakyReLU(0.2), new Sigmoid(), new Identity(), new Linear(6, 4, { bias: false }), new Softmax(1),
    );
    const x = randn([5, 1, 8, 8]);
    model.forward(x); // training mode: BatchNorm running statistics move away from their init
    model.eval();
    const want = Array.from(model.forward(x).data);
    const dir = newDir();
    model.save(dir, { note: 'every layer' });
    expect(fs.readdirSync(dir).sort()).toEqual([CONFIG_FILE, WEIGHTS_FILE].sort());
    manualSeed(99);
    const { model: back, metadata } = loadModel(dir);
    expect(metadata.note).toBe('every layer');
    expect(moduleSpec(back)).toEqual(moduleSpec(model));
    expect(values(back)).toEqual(values(model));
    expect(back.training).toBe(false);
    expect(Array.from(back.forward(x).data)).toEqual(want);
    // Module.load is the same thing
    expect(values((Module as unknown as { load(d: string): Module }).load(dir))).toEqual(values(model));
    // every built-in kind appears in the saved config
    const types = new Set<string>();
    const walk = (s: { type: string; children?: unknown[] }) => { types.add(s.type); (s.children as typeof s[] | undefined)?.forEach(walk); };
    walk(JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8')).architecture);
    const emb = new Sequential(new Embedding(10, 4));
    const d2 = newDir();
    emb.save(d2);
    expect(values(loadModel(d2).model)).toEqual(values(emb));
    types.add('Embedding');
    expect([...types].sort()).toEqual(['AvgPool2d', 'BatchNorm1d', 'BatchNorm2d', 'Conv2d', 'Dropout', 'Embedding', 'Flatten', 'GELU', 'Identity',
      'LayerNorm', 'LeakyReLU', 'Linear', 'MaxPool2d', 'ReLU', 'Sequential', 'Sigmoid', 'Softmax', 'Tanh']);
  });

  it('a custom class registered with registerModuleClass', () => {
    class Scale extends Module {
      readonly factor: Parameter;
      constructor(readonly size: number, readonly init: number) {
        super();
        this.factor = new Parameter(new Float32Array(size).fill(init), [size]);
      }
      forward(x: Tensor): Tensor {
        return x.mul(this.factor);
      }
      getConfig() {
        return { size: this.size, init: this.init };
      }
      static fromConfig(c: { size: number; init: number }) {
        return new Scale(c.size, c.init);
      }
    }
    registerModuleClass(Scale);
    manualSeed(1);
    const model = new Sequential(new Linear(3, 4), new Scale(4, 0.5));
    (model.at(1) as Scale).factor.data.set([1, 2, 3, 4]);
    const dir = newDir();
    model.save(dir);
    const back = loadModel(dir).model as Sequential;
    expect(back.at(1)).toBeInstanceOf(Scale);
    expect(values(back)).toEqual(values(model));
    const x = randn([2, 3]);
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(model.forward(x).data));
    expect(() => registerModuleClass(class Linear extends Module { forward(x: Tensor) { return x; } getConfig() { return {}; } static fromConfig() { return new Identity(); } })).toThrow(/built-in layer name/);
  });
});

describe('errors', () => {
  it('an unsaveable custom module is named, with the fix', () => {
    class Mystery extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    class MyLinear extends Linear {}
    const dir = newDir();
    expect(() => saveModel(new Sequential(new Linear(2, 2), new Mystery()), dir)).toThrow(/model\.1 is a Mystery, which has no saved form.*registerModuleClass\(Mystery\).*saveSafetensors/);
    expect(() => saveModel(new Sequential(new Sequential(new MyLinear(2, 2))), dir)).toThrow(/model\.0\.0 is a MyLinear/);
    expect(fs.existsSync(dir)).toBe(false); // nothing written
    expect(() => saveModel({} as Module, dir)).toThrow(TypeError);
  });

  it('missing, corrupt or foreign config.json', () => {
    const good = newDir();
    new Sequential(new Linear(2, 3)).save(good);
    const cfg = JSON.parse(fs.readFileSync(path.join(good, CONFIG_FILE), 'utf8'));
    const variant = (config: string | null) => {
      const d = newDir();
      fs.mkdirSync(d);
      fs.copyFileSync(path.join(good, WEIGHTS_FILE), path.join(d, WEIGHTS_FILE));
      if (config !== null) fs.writeFileSync(path.join(d, CONFIG_FILE), config);
      return d;
    };
    expect(() => loadModel(path.join(tmp, 'nope'))).toThrow(/loadModel: cannot read .*nope.config\.json/);
    expect(() => loadModel(variant(null))).toThrow(/cannot read .*config\.json/);
    expect(() => loadModel(variant('{"format": "nodegrad.model", '))).toThrow(/cannot read .*config\.json.*JSON/);
    expect(() => loadModel(variant('[]'))).toThrow(/is not a nodegrad model config/);
    expect(() => loadModel(variant(JSON.stringify({ ...cfg, format: 'keras' })))).toThrow(/is not a nodegrad model config/);
    expect(() => loadModel(variant(JSON.stringify({ ...cfg, version: 2 })))).toThrow(/has version 2; this nodegrad reads version 1/);
    expect(() => loadModel(variant(JSON.stringify({ ...cfg, architecture: undefined })))).toThrow(/has no architecture/);
    const unknown = { ...cfg, architecture: { type: 'Sequential', args: [], children: [{ type: 'Transformer', args: [] }] } };
    expect(() => loadModel(variant(JSON.stringify(unknown)))).toThrow(/model\.0: unknown layer type 'Transformer'/);
    const broken = { ...cfg, architecture: { type: 'Sequential', args: [], children: [{ type: 'Linear' }] } };
    expect(() => loadModel(variant(JSON.stringify(broken)))).toThrow(/model\.0: a layer spec needs 'type' \(string\) and 'args' \(array\)/);
  });

  it('weights that do not match the config name the file and the keys', () => {
    const dir = newDir();
    new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1)).save(dir);
    const w = path.join(dir, WEIGHTS_FILE);
    const sd = loadModel(dir).model.stateDict();
    // mis-shaped
    saveSafetensors(w, { ...sd, '2.weight': new Tensor(new Float32Array(6), [2, 3]) });
    expect(() => loadModel(dir)).toThrow(/model\.safetensors does not match .*config\.json.*2\.weight/);
    // missing and unexpected keys
    const { ['2.bias']: _gone, ...rest } = sd;
    void _gone;
    saveSafetensors(w, { ...rest, 'extra.weight': new Tensor(new Float32Array(1), [1]) });
    expect(() => loadModel(dir)).toThrow(/does not match[^]*2\.bias[^]*extra\.weight|does not match[^]*extra\.weight[^]*2\.bias/);
    // missing or corrupt weights file
    fs.writeFileSync(w, Buffer.from([1, 2, 3]));
    expect(() => loadModel(dir)).toThrow(/model\.safetensors/);
    fs.unlinkSync(w);
    expect(() => loadModel(dir)).toThrow(/model\.safetensors/);
  });
});
