/** PyTorch habits, written the way a user meets them (issue 14 items that live in the tensor core). */
import { describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';

describe('PyTorch habits', () => {
  it('noGrad(async fn) keeps recording off across awaits until the promise settles', async () => {
    const x = ng.tensor([1, 2], { requiresGrad: true });
    const y = await ng.noGrad(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return x.mul(2);
    });
    expect(y.requiresGrad).toBe(false);
    expect(ng.isGradEnabled()).toBe(true);
    await expect(ng.noGrad(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(ng.isGradEnabled()).toBe(true);
    expect(() => ng.noGrad(null as never)).toThrow(/noGrad: expected a function/);
  });

  it('numParameters counts trainable parameters only', () => {
    const m = new ng.nn.Sequential(new ng.nn.Linear(3, 4), new ng.nn.Linear(4, 2));
    expect(m.numParameters()).toBe(3 * 4 + 4 + 4 * 2 + 2);
    m.at(0).requiresGrad(false);
    expect(m.numParameters()).toBe(4 * 2 + 2);
  });

  it('TensorDataset takes int32 label tensors as class labels', () => {
    const ds = new ng.data.TensorDataset(ng.zeros([3, 2]), ng.tensor([2, 0, 1], { dtype: 'int32' }));
    expect(ds.get(0)[1]).toBe(2);
    const [, y] = [...new ng.data.DataLoader(ds, { batchSize: 3 })][0];
    expect(Array.from(y as Int32Array)).toEqual([2, 0, 1]);
  });

  it('non-tensor input names the op and shows the value with its type', () => {
    expect(() => ng.exp(undefined as never)).toThrow(/^exp: expected a Tensor, got undefined/);
    expect(() => ng.relu('4' as never)).toThrow(/^relu: expected a Tensor, got "4" \(string\)/);
    expect(() => ng.softmax(null as never)).toThrow(/^softmax: expected a Tensor, got null/);
    expect(() => ng.add(ng.zeros([1]), '1' as never)).toThrow(/add: expected a Tensor or a number, got "1" \(string\)/);
    expect(() => ng.sin({} as never)).toThrow(/sin: expected a Tensor, got an object/);
  });

  it('tensor(): wrong element types are named, not called ragged; typed-array rows are accepted', () => {
    expect(() => ng.tensor([['1', 2]] as never)).toThrow(/^tensor: expected a number at \[0\]\[0\], got "1" \(string\)/);
    expect(() => ng.tensor([[1, 2], [3]])).toThrow(/ragged nested array at \[1\]/);
    const t = ng.tensor([new Float32Array([1, 2]), new Float32Array([3, 4])] as never);
    expect(t.shape).toEqual([2, 2]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('shape is frozen; slice takes a step', () => {
    const x = ng.arange(6).reshape(2, 3);
    expect(Object.isFrozen(x.shape)).toBe(true);
    expect(() => { (x.shape as number[])[0] = 3; }).toThrow(TypeError);
    expect(x.slice(1, 0, 3, 2).toArray()).toEqual([[0, 2], [3, 5]]);
  });

  it('function-form options reject unknown keys naming the nearest one', () => {
    const x = ng.zeros([1, 1, 4, 4]);
    const w = ng.zeros([1, 1, 3, 3]);
    expect(() => ng.conv2d(x, w, null, { strid: 1 } as never)).toThrow(/conv2d: unknown option 'strid' \(did you mean stride\?\)/);
    expect(() => ng.maxPool2d(x, 2, { paddin: 0 } as never)).toThrow(/maxPool2d: unknown option 'paddin'/);
    expect(() => ng.avgPool2d(x, 2, { dilation: 1 } as never)).toThrow(/avgPool2d: unknown option 'dilation'/);
    expect(() => ng.gelu(ng.zeros([2]), { approx: 'tanh' } as never)).toThrow(/gelu: unknown option 'approx' \(did you mean approximate\?\)/);
    expect(() => ng.batchNorm(ng.zeros([2, 3]), null, null, null, null, { trainig: true } as never)).toThrow(/batchNorm: unknown option 'trainig' \(did you mean training\?\)/);
    expect(() => ng.data.mnist({ splt: 'test' } as never)).toThrow(/mnist: unknown option 'splt' \(did you mean split\?\)/);
    expect(() => ng.topk(ng.zeros([3]), 1, -1, { larget: true } as never)).toThrow(/topk: unknown option 'larget'/);
  });
});
