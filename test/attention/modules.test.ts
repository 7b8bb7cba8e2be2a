/** nn.MultiheadAttention / TransformerEncoderLayer behaviour beyond the PyTorch fixtures: keys, unbatched input, isCausal, errors. */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { randData } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

forEachBackend('attention modules', ['sdpa', 'sdpaBackward', 'layerNorm', 'layerNormBackward', 'gemm'], () => {
  it('state-dict keys as PyTorch (fused and separate projections, no bias)', () => {
    expect(Object.keys(new ng.nn.MultiheadAttention(8, 2).stateDict())).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(Object.keys(new ng.nn.MultiheadAttention(8, 2, { kdim: 4, vdim: 6 }).stateDict())).toEqual(
      ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(Object.keys(new ng.nn.MultiheadAttention(8, 2, { bias: false }).stateDict())).toEqual(['in_proj_weight', 'out_proj.weight']);
    const enc = new ng.nn.TransformerEncoder(new ng.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2, { norm: new ng.nn.LayerNorm(8) });
    const keys = Object.keys(enc.stateDict());
    expect(keys[0]).toBe('layers.0.self_attn.in_proj_weight');
    expect(keys).toContain('layers.1.norm2.bias');
    expect(keys.at(-1)).toBe('norm.bias');
  });
  it('unbatched input equals a batch of one; needWeights false gives null; isCausal equals the causal mask', () => {
    ng.manualSeed(1);
    const mha = new ng.nn.MultiheadAttention(8, 2);
    const x = randData([5, 8], 1);
    const [a, wa] = mha.forward(x);
    const [b] = mha.forward(x.unsqueeze(1));
    expect(a.shape).toEqual([5, 8]);
    expect(wa!.shape).toEqual([5, 5]);
    expectClose(a.data, b.data);
    const [, none] = mha.forward(x, x, x, { needWeights: false });
    expect(none).toBeNull();
    const mask = ng.ones([5, 5], { dtype: 'bool' }).triu(1);
    const [c] = mha.forward(x, x, x, { attnMask: mask, needWeights: false });
    const [d] = mha.forward(x, x, x, { isCausal: true, needWeights: false });
    const [e, we] = mha.forward(x, x, x, { isCausal: true });
    expectClose(d.data, c.data, { rtol: 1e-5, atol: 1e-6 });
    expectClose(e.data, c.data, { rtol: 1e-5, atol: 1e-6 });
    expect(we!.data[1]).toBe(0); // row 0 attends to key 0 only
  });
  it('errors name the module and shapes', () => {
    expect(() => new ng.nn.MultiheadAttention(10, 3)).toThrow(/MultiheadAttention: embedDim 10 must be divisible by numHeads 3/);
    expect(() => new ng.nn.MultiheadAttention(8, 2, { batch_first: true } as never)).toThrow(/unknown option 'batch_first'/);
    const mha = new ng.nn.MultiheadAttention(8, 2);
    expect(() => mha.forward(ng.ones([4, 2, 6]))).toThrow(/query \[4,2,6\] has embedding size 6, expected embedDim 8/);
    expect(() => mha.forward(ng.ones([4, 2, 8]), ng.ones([4, 2, 8]), ng.ones([4, 2, 8]), { attnMask: ng.ones([4, 5]) })).toThrow(/attnMask \[4,5\] must be \[L, S\] = \[4, 4\]/);
    expect(() => mha.forward(ng.ones([4, 2, 8]), undefined, undefined, { keyPaddingMask: ng.ones([4], { dtype: 'bool' }) })).toThrow(/keyPaddingMask \[4\] must be \[2,4\]/);
    expect(() => new ng.nn.TransformerEncoderLayer(8, 2, { activation: 'tanh' as never })).toThrow(/activation must be 'relu' or 'gelu'/);
  });
  it('trains: a gradient step lowers a toy loss', () => {
    ng.manualSeed(2);
    const layer = new ng.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true, normFirst: true });
    const opt = new ng.optim.Adam(layer.parameters(), { lr: 1e-2 });
    const x = randData([2, 6, 8], 3);
    const target = randData([2, 6, 8], 4);
    const loss = () => layer.forward(x, { isCausal: true }).sub(target).square().mean();
    const l0 = loss().item();
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    expect(loss().item()).toBeLessThan(l0 * 0.8);
  });
});
