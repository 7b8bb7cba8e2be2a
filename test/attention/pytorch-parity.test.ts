/**
 * PyTorch 1.13 parity (fixtures/make_attention_fixture.py): SDPA against the explicit math path,
 * nn.MultiheadAttention (self / cross, masks, weights, kdim/vdim) and nn.TransformerEncoderLayer /
 * TransformerEncoder (post- and pre-norm, relu / gelu) loaded from PyTorch state dicts through
 * safetensors, and nn.TransformerDecoderLayer: outputs, attention weights, input and parameter gradients,
 * on every backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/tolerance.js';

const here = __dirname;
interface Enc { shape: number[]; dtype: 'bool' | 'float32'; data: number[] }
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Case = Record<string, any>;
const ref = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'attention-reference.json'), 'utf8')) as { cases: Case[] };
const weights = ng.loadSafetensors(path.join(here, 'fixtures', 'attention-weights.safetensors'));

function dec(e: Enc | null, requiresGrad = false): Tensor | null {
  if (e === null) return null;
  if (e.dtype === 'bool') return ng.tensor(e.data.map((x) => x !== 0), { dtype: 'bool' }).reshape(e.shape);
  return new ng.Tensor(Float32Array.from(e.data), e.shape, requiresGrad);
}
const T = (e: Enc, rg = false) => dec(e, rg)!;
function stateFor(prefix: string): Record<string, Tensor> {
  const sd: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(weights)) if (k.startsWith(prefix + '.')) sd[k.slice(prefix.length + 1)] = t;
  return sd;
}
const OUT = { rtol: 1e-4, atol: 1e-5 };
const GRAD = { rtol: 1e-3, atol: 1e-4 };

forEachBackend('PyTorch parity: attention', ['sdpa', 'sdpaBackward', 'layerNorm', 'layerNormBackward', 'gemm'], () => {
  for (const c of ref.cases.filter((x) => x.kind === 'sdpa')) {
    it(`sdpa ${c.name}`, () => {
      const q = T(c.q, true), k = T(c.k, true), v = T(c.v, true);
      const out = ng.F.scaledDotProductAttention(q, k, v, { attnMask: dec(c.mask), isCausal: c.isCausal, scale: c.scale });
      expect(out.shape).toEqual(c.out.shape);
      expectClose(out.data, c.out.data, OUT, 'out');
      out.backward(T(c.gradOut).data);
      expectClose(q.grad!.data, c.dq.data, GRAD, 'dq');
      expectClose(k.grad!.data, c.dk.data, GRAD, 'dk');
      expectClose(v.grad!.data, c.dv.data, GRAD, 'dv');
    });
  }
  for (const c of ref.cases.filter((x) => x.kind === 'mha')) {
    it(`MultiheadAttention ${c.name}`, () => {
      const mha = new ng.nn.MultiheadAttention(c.embedDim, c.numHeads, {
        batchFirst: c.batchFirst, bias: c.bias, ...(c.kdim ? { kdim: c.kdim } : {}), ...(c.vdim ? { vdim: c.vdim } : {}),
      });
      expect(Object.keys(mha.stateDict())).toEqual(c.keys);
      mha.loadStateDict(stateFor(c.name));
      const x = T(c.query, true);
      const key = c.selfAttn ? x : T(c.key, true);
      const value = c.selfAttn ? x : T(c.value, true);
      const [out, w] = mha.forward(x, key, value, {
        attnMask: dec(c.attnMask), keyPaddingMask: dec(c.keyPaddingMask), needWeights: c.needWeights, averageAttnWeights: c.averageAttnWeights,
      });
      expectClose(out.data, c.out.data, OUT, 'out');
      if (c.weights) expectClose(w!.data, c.weights.data, OUT, 'weights');
      else expect(w).toBeNull();
      out.backward(T(c.gradOut).data);
      expectClose(x.grad!.data, c.dquery.data, GRAD, 'dquery');
      if (!c.selfAttn) {
        expectClose(key.grad!.data, c.dkey.data, GRAD, 'dkey');
        expectClose(value.grad!.data, c.dvalue.data, GRAD, 'dvalue');
      }
      for (const [name, p] of mha.namedParameters()) expectClose(p.grad!.data, c.grads[name].data, GRAD, `grad ${name}`);
    });
  }
  for (const c of ref.cases.filter((x) => x.kind === 'encoder')) {
    it(`Transformer encoder ${c.name}`, () => {
      const layer = new ng.nn.TransformerEncoderLayer(c.dModel, c.nhead, {
        dimFeedforward: c.dimFeedforward, dropout: 0, activation: c.activation, batchFirst: c.batchFirst, normFirst: c.normFirst,
      });
      const mod = c.numLayers ? new ng.nn.TransformerEncoder(layer, c.numLayers, { norm: c.finalNorm ? new ng.nn.LayerNorm(c.dModel) : null }) : layer;
      expect(Object.keys(mod.stateDict())).toEqual(c.keys);
      mod.loadStateDict(stateFor(c.name));
      const x = T(c.src, true);
      const out = c.numLayers
        ? (mod as ng.nn.TransformerEncoder).forward(x, { mask: dec(c.srcMask), srcKeyPaddingMask: dec(c.srcKeyPaddingMask) })
        : (mod as ng.nn.TransformerEncoderLayer).forward(x, { srcMask: dec(c.srcMask), srcKeyPaddingMask: dec(c.srcKeyPaddingMask) });
      expectClose(out.data, c.out.data, OUT, 'out');
      out.backward(T(c.gradOut).data);
      expectClose(x.grad!.data, c.dsrc.data, GRAD, 'dsrc');
      for (const [name, p] of mod.namedParameters()) expectClose(p.grad!.data, c.grads[name].data, GRAD, `grad ${name}`);
    });
  }
  for (const c of ref.cases.filter((x) => x.kind === 'decoder')) {
    it(`TransformerDecoderLayer ${c.name}`, () => {
      const mod = new ng.nn.TransformerDecoderLayer(c.dModel, c.nhead, {
        dimFeedforward: c.dimFeedforward, dropout: 0, activation: c.activation, batchFirst: c.batchFirst, normFirst: c.normFirst,
      });
      expect(Object.keys(mod.stateDict())).toEqual(c.keys);
      mod.loadStateDict(stateFor(c.name));
      const x = T(c.tgt, true), mem = T(c.memory, true);
      const out = mod.forward(x, mem, { tgtMask: dec(c.tgtMask), memoryKeyPaddingMask: dec(c.memoryKeyPaddingMask) });
      expectClose(out.data, c.out.data, OUT, 'out');
      out.backward(T(c.gradOut).data);
      expectClose(x.grad!.data, c.dtgt.data, GRAD, 'dtgt');
      expectClose(mem.grad!.data, c.dmemory.data, GRAD, 'dmemory');
      for (const [name, p] of mod.namedParameters()) expectClose(p.grad!.data, c.grads[name].data, GRAD, `grad ${name}`);
    });
  }
  it('TransformerEncoder deep-copies its layer (equal values, separate storage)', () => {
    const layer = new ng.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    const enc = new ng.nn.TransformerEncoder(layer, 2);
    const sd = enc.stateDict();
    expect(sd['layers.0.linear1.weight'].data).toEqual(layer.linear1.weight.data);
    expect(sd['layers.1.linear1.weight'].data).toEqual(layer.linear1.weight.data);
    sd['layers.0.linear1.weight'].data[0] += 1;
    expect(sd['layers.1.linear1.weight'].data[0]).not.toBe(sd['layers.0.linear1.weight'].data[0]);
  });
});
