/**
 * Bad input to the layers added for issue 14 (MultiheadAttention, TransformerEncoderLayer/DecoderLayer,
 * LayerNorm, Embedding, Conv1d, the loss modules), as a PyTorch user gets it wrong: a clear TypeError
 * (wrong type/dtype) or RangeError (bad value) or Error (shapes that disagree), naming the layer and the
 * argument, with the received value and its type — never a kernel's internal name or "Cannot read
 * properties of undefined". On every backend.
 */
import { expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend } from '../helpers/backends.js';

const { nn, F } = ng;
type Row = [string, () => unknown, ErrorConstructor, RegExp];

const x3 = () => ng.randn([2, 5, 8]);
const mha = () => new nn.MultiheadAttention(8, 2);
const ROWS: Row[] = [
  // MultiheadAttention
  ['MHA embedDim "8"', () => new nn.MultiheadAttention('8' as never, 2), TypeError, /^MultiheadAttention: embedDim must be a positive integer, got "8" \(string\)/],
  ['MHA 8 / 3 heads', () => new nn.MultiheadAttention(8, 3), RangeError, /^MultiheadAttention: embedDim 8 must be divisible by numHeads 3/],
  ['MHA numHeads 0', () => new nn.MultiheadAttention(8, 0), RangeError, /numHeads must be a positive integer, got 0/],
  ['MHA dropout 2', () => new nn.MultiheadAttention(8, 2, { dropout: 2 }), RangeError, /MultiheadAttention: dropout must be in \[0, 1\], got 2/],
  ['MHA batchFirst 1', () => new nn.MultiheadAttention(8, 2, { batchFirst: 1 as never }), TypeError, /MultiheadAttention: batchFirst must be a boolean, got 1 \(number\)/],
  ['MHA unknown option', () => new nn.MultiheadAttention(8, 2, { batch_first: true } as never), TypeError, /MultiheadAttention: unknown option 'batch_first' \(did you mean batchFirst\?\)/],
  ['MHA query null', () => mha().forward(null as never, x3(), x3()), TypeError, /MultiheadAttention: query must be a Tensor, got null/],
  ['MHA query nested array', () => mha().forward([[1]] as never), TypeError, /MultiheadAttention: query must be a Tensor, got an array/],
  ['MHA query int32', () => mha().forward(ng.zeros([2, 5, 8], { dtype: 'int32' })), TypeError, /MultiheadAttention: query must be a float32 tensor, got dtype int32/],
  ['MHA key int32', () => mha().forward(x3(), ng.zeros([2, 5, 8], { dtype: 'int32' }), x3()), TypeError, /MultiheadAttention: key must be a float32 tensor/],
  ['MHA query embedding size', () => mha().forward(ng.randn([2, 5, 7])), Error, /MultiheadAttention: query \[2,5,7\] has embedding size 7, expected embedDim 8/],
  ['MHA 1-D query', () => mha().forward(ng.randn([8])), Error, /MultiheadAttention: query must be 3-D/],
  ['MHA key/value disagree', () => mha().forward(x3(), ng.randn([3, 5, 8]), ng.randn([4, 5, 8])), Error, /MultiheadAttention: query \[2,5,8\], key \[3,5,8\] and value \[4,5,8\] disagree/],
  ['MHA attnMask shape', () => mha().forward(x3(), x3(), x3(), { attnMask: ng.zeros([3, 3]) }), Error, /MultiheadAttention: attnMask \[3,3\] must be \[L, S\] = \[2, 2\]/],
  ['MHA attnMask int32', () => mha().forward(x3(), x3(), x3(), { attnMask: ng.zeros([2, 2], { dtype: 'int32' }) }), TypeError, /attnMask must be a bool or float32 tensor, got dtype int32/],
  ['MHA attnMask array', () => mha().forward(x3(), x3(), x3(), { attnMask: [[true]] as never }), TypeError, /MultiheadAttention: attnMask must be a Tensor, got an array/],
  ['MHA keyPaddingMask shape', () => mha().forward(x3(), x3(), x3(), { keyPaddingMask: ng.zeros([5, 3], { dtype: 'bool' }) }), Error, /keyPaddingMask \[5,3\] must be \[5,2\]/],
  ['MHA needWeights "yes"', () => mha().forward(x3(), x3(), x3(), { needWeights: 'yes' as never }), TypeError, /MultiheadAttention: needWeights must be a boolean, got "yes" \(string\)/],
  ['MHA isCausal 1', () => mha().forward(x3(), x3(), x3(), { isCausal: 1 as never }), TypeError, /MultiheadAttention: isCausal must be a boolean/],
  ['MHA forward option typo', () => mha().forward(x3(), x3(), x3(), { needWeight: false } as never), TypeError, /did you mean needWeights\?/],
  // TransformerEncoderLayer / Encoder / DecoderLayer
  ['TEL dModel "8"', () => new nn.TransformerEncoderLayer('8' as never, 2), TypeError, /^TransformerEncoderLayer: dModel must be a positive integer, got "8" \(string\)/],
  ['TEL 8 / 3 heads', () => new nn.TransformerEncoderLayer(8, 3), RangeError, /^TransformerEncoderLayer: dModel 8 must be divisible by nhead 3/],
  ['TEL activation swish', () => new nn.TransformerEncoderLayer(8, 2, { activation: 'swish' as never }), RangeError, /activation must be 'relu' or 'gelu', got "swish" \(string\)/],
  ['TEL activation function', () => new nn.TransformerEncoderLayer(8, 2, { activation: (() => 0) as never }), TypeError, /activation must be 'relu' or 'gelu', got a function/],
  ['TEL dimFeedforward 0', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 0 }), RangeError, /dimFeedforward must be a positive integer, got 0/],
  ['TEL layerNormEps "1e-5"', () => new nn.TransformerEncoderLayer(8, 2, { layerNormEps: '1e-5' as never }), TypeError, /TransformerEncoderLayer: layerNormEps must be a non-negative number, got "1e-5" \(string\)/],
  ['TEL normFirst "true"', () => new nn.TransformerEncoderLayer(8, 2, { normFirst: 'true' as never }), TypeError, /TransformerEncoderLayer: normFirst must be a boolean, got "true" \(string\)/],
  ['TEL batchFirst 1', () => new nn.TransformerEncoderLayer(8, 2, { batchFirst: 1 as never }), TypeError, /TransformerEncoderLayer: batchFirst must be a boolean/],
  ['TEL src null', () => new nn.TransformerEncoderLayer(8, 2).forward(null as never), TypeError, /^TransformerEncoderLayer: src must be a Tensor, got null/],
  ['TEL src int32', () => new nn.TransformerEncoderLayer(8, 2).forward(ng.zeros([5, 2, 8], { dtype: 'int32' })), TypeError, /TransformerEncoderLayer: src must be a float32 tensor, got dtype int32/],
  ['TEL src embedding size', () => new nn.TransformerEncoderLayer(8, 2).forward(ng.randn([5, 2, 6])), Error, /^TransformerEncoderLayer: MultiheadAttention: query \[5,2,6\] has embedding size 6, expected embedDim 8/],
  ['TEL srcMask shape', () => new nn.TransformerEncoderLayer(8, 2).forward(x3(), { srcMask: ng.zeros([4, 4]) }), Error, /^TransformerEncoderLayer: .*attnMask \[4,4\] must be \[L, S\]/],
  ['TEL options number', () => new nn.TransformerEncoderLayer(8, 2).forward(x3(), 5 as never), TypeError, /TransformerEncoderLayer: options must be an object/],
  ['TEL option typo', () => new nn.TransformerEncoderLayer(8, 2).forward(x3(), { src_mask: null } as never), TypeError, /did you mean srcMask\?/],
  ['TE numLayers 0', () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2), 0), RangeError, /TransformerEncoder: numLayers must be a positive integer, got 0/],
  ['TE not a layer', () => new nn.TransformerEncoder({} as never, 2), TypeError, /TransformerEncoder: encoderLayer must be a TransformerEncoderLayer/],
  ['TDL memory missing', () => new nn.TransformerDecoderLayer(8, 2).forward(x3(), undefined as never), TypeError, /^TransformerDecoderLayer: memory must be a Tensor, got undefined/],
  ['TDL tgt string', () => new nn.TransformerDecoderLayer(8, 2).forward('x' as never, x3()), TypeError, /^TransformerDecoderLayer: tgt must be a Tensor, got "x" \(string\)/],
  ['TDL memory embedding size', () => new nn.TransformerDecoderLayer(8, 2).forward(x3(), ng.randn([5, 2, 6])), Error, /^TransformerDecoderLayer: MultiheadAttention: key \[5,2,6\]/],
  ['TDL memory batch', () => new nn.TransformerDecoderLayer(8, 2).forward(x3(), ng.randn([5, 3, 8])), Error, /^TransformerDecoderLayer: .*disagree in batch size/],
  ['TDL tgtIsCausal "no"', () => new nn.TransformerDecoderLayer(8, 2).forward(x3(), x3(), { tgtIsCausal: 'no' as never }), TypeError, /TransformerDecoderLayer: tgtIsCausal must be a boolean/],
  // LayerNorm
  ['LayerNorm("4")', () => new nn.LayerNorm('4' as never), TypeError, /^LayerNorm: normalizedShape must be a positive integer or an array of them, got "4" \(string\)/],
  ['LayerNorm(["4"])', () => new nn.LayerNorm(['4'] as never), TypeError, /LayerNorm: normalizedShape must hold integers, got "4" \(string\)/],
  ['LayerNorm([])', () => new nn.LayerNorm([]), RangeError, /LayerNorm: normalizedShape must be positive integers, got \[\]/],
  ['LayerNorm eps -1', () => new nn.LayerNorm(4, { eps: -1 }), RangeError, /LayerNorm: eps must be a non-negative number, got -1/],
  ['LayerNorm eps "1"', () => new nn.LayerNorm(4, { eps: '1' as never }), TypeError, /LayerNorm: eps must be a non-negative number, got "1" \(string\)/],
  ['LayerNorm elementwiseAffine 0', () => new nn.LayerNorm(4, { elementwiseAffine: 0 as never }), TypeError, /LayerNorm: elementwiseAffine must be a boolean, got 0 \(number\)/],
  ['LayerNorm forward null', () => new nn.LayerNorm(4).forward(null as never), TypeError, /^LayerNorm: expected a Tensor input, got null/],
  ['LayerNorm forward int32', () => new nn.LayerNorm(4).forward(ng.zeros([2, 4], { dtype: 'int32' })), TypeError, /^LayerNorm: input must be float32, got int32/],
  ['LayerNorm forward shape', () => new nn.LayerNorm(4).forward(ng.zeros([2, 3])), Error, /LayerNorm: input shape \[2,3\] does not end with normalized shape \[4\]/],
  ['F.layerNorm normalizedShape "4"', () => F.layerNorm(ng.zeros([2, 4]), '4' as never), TypeError, /^layerNorm: normalizedShape .* got "4" \(string\)/],
  ['F.layerNorm weight shape', () => F.layerNorm(ng.zeros([2, 4]), [4], ng.zeros([3])), Error, /layerNorm: weight of shape \[3\] does not match normalizedShape \[4\]/],
  // Embedding
  ['Embedding(5, "2")', () => new nn.Embedding(5, '2' as never), TypeError, /^Embedding: embeddingDim must be a positive integer, got "2" \(string\)/],
  ['Embedding(0, 2)', () => new nn.Embedding(0, 2), RangeError, /Embedding: sizes must be positive integers/],
  ['Embedding paddingIdx 9', () => new nn.Embedding(5, 2, 9), RangeError, /Embedding: paddingIdx must be an integer in \[-5, 5\), got 9/],
  ['Embedding maxNorm "1"', () => new nn.Embedding(5, 2, { maxNorm: '1' as never }), RangeError, /Embedding: maxNorm must be a positive finite number or null, got "1" \(string\)/],
  ['Embedding forward string', () => new nn.Embedding(5, 2).forward('1' as never), TypeError, /^Embedding: indices must be .* got "1" \(string\)/],
  ['Embedding forward [1, "2"]', () => new nn.Embedding(5, 2).forward([1, '2'] as never), TypeError, /^Embedding: index at position 1 must be an integer, got "2" \(string\)/],
  ['Embedding forward index 5', () => new nn.Embedding(5, 2).forward([0, 5]), RangeError, /Embedding: index 5 at position 1 is out of range for 5 embeddings/],
  ['Embedding forward ragged', () => new nn.Embedding(5, 2).forward([[1, 2], [3]] as never), Error, /^Embedding: indices: tensor: ragged nested array at \[1\]: expected length 2, got length 1/],
  ['F.embedding weight null', () => F.embedding([0], null as never), TypeError, /^embedding: weight must be a 2-D float32 tensor .* got null/],
  ['F.embedding weight int32', () => F.embedding([0], ng.zeros([3, 2], { dtype: 'int32' })), TypeError, /embedding: weight must be a 2-D float32 tensor .* got int32 \[3, 2\]/],
  // Conv1d
  ['Conv1d kernel "3"', () => new nn.Conv1d(2, 4, '3' as never), TypeError, /^Conv1d: kernel size must be an integer ≥ 1, got "3" \(string\)/],
  ['Conv1d groups 3', () => new nn.Conv1d(2, 4, 3, { groups: 3 }), RangeError, /Conv1d: inChannels \(2\) and outChannels \(4\) must be divisible by groups \(3\)/],
  ['Conv1d forward null', () => new nn.Conv1d(2, 4, 3).forward(null as never), TypeError, /^Conv1d: expected a Tensor input, got null/],
  ['Conv1d forward int32', () => new nn.Conv1d(2, 4, 3).forward(ng.zeros([1, 2, 8], { dtype: 'int32' })), TypeError, /^Conv1d: input must be a float32 tensor, got dtype int32/],
  ['Conv1d forward channels', () => new nn.Conv1d(2, 4, 3).forward(ng.zeros([1, 3, 8])), Error, /Conv1d: expected input \[N, 2, L\] or \[2, L\], got \[1,3,8\]/],
  ['Conv1d forward too short', () => new nn.Conv1d(2, 4, 3).forward(ng.zeros([1, 2, 2])), Error, /^Conv1d: kernel 3 is longer than the padded input length 2 \(input \[1,2,2\], padding 0\)/],
  ['Conv2d forward int32', () => new nn.Conv2d(1, 2, 3).forward(ng.zeros([1, 1, 5, 5], { dtype: 'int32' })), TypeError, /^Conv2d: input must be a float32 tensor, got dtype int32/],
  // loss modules
  ['CrossEntropyLoss(5)', () => new nn.CrossEntropyLoss(5 as never), TypeError, /^CrossEntropyLoss: options must be an object .* got 5 \(number\)/],
  ['CrossEntropyLoss reduction avg', () => new nn.CrossEntropyLoss({ reduction: 'avg' as never }), RangeError, /^CrossEntropyLoss: reduction must be 'mean', 'sum' or 'none', got "avg" \(string\)/],
  ['CrossEntropyLoss labelSmoothing 2', () => new nn.CrossEntropyLoss({ labelSmoothing: 2 }), RangeError, /^CrossEntropyLoss: labelSmoothing must be in \[0, 1\], got 2/],
  ['CrossEntropyLoss ignoreIndex "-1"', () => new nn.CrossEntropyLoss({ ignoreIndex: '-1' as never }), TypeError, /^CrossEntropyLoss: ignoreIndex must be an integer, got "-1" \(string\)/],
  ['CrossEntropyLoss weight array', () => new nn.CrossEntropyLoss({ weight: [1, 2, 3] as never }), TypeError, /^CrossEntropyLoss: weight must be a 1-D float32 Tensor of class weights, got an array of length 3/],
  ['CrossEntropyLoss weight 2-D', () => new nn.CrossEntropyLoss({ weight: ng.ones([3, 1]) }), TypeError, /^CrossEntropyLoss: weight must be a 1-D float32 Tensor .* got float32 \[3, 1\]/],
  ['CrossEntropyLoss option typo', () => new nn.CrossEntropyLoss({ label_smoothing: 0.1 } as never), TypeError, /did you mean labelSmoothing\?/],
  ['CrossEntropyLoss forward null', () => new nn.CrossEntropyLoss().forward(null as never, [0]), TypeError, /^CrossEntropyLoss: crossEntropy: logits must be a Tensor, got null/],
  ['CrossEntropyLoss labels string', () => new nn.CrossEntropyLoss().forward(ng.zeros([2, 3]), 'ab' as never), TypeError, /^CrossEntropyLoss: .*labels must be .* got "ab" \(string\)/],
  ['CrossEntropyLoss weight length', () => new nn.CrossEntropyLoss({ weight: ng.ones([4]) }).forward(ng.zeros([2, 3]), [0, 1]), Error, /^CrossEntropyLoss: crossEntropy: weight must be a 1-D float32 tensor of 3 class weights, got float32 \[4\]/],
  ['CrossEntropyLoss label count', () => new nn.CrossEntropyLoss().forward(ng.zeros([2, 3]), [0, 1, 2]), Error, /^CrossEntropyLoss: crossEntropy: 2 rows of logits but 3 labels/],
  ['CrossEntropyLoss label out of range', () => new nn.CrossEntropyLoss().forward(ng.zeros([2, 3]), [0, 3]), RangeError, /^CrossEntropyLoss: crossEntropy: .*3/],
  ['NLLLoss reduction 1', () => new nn.NLLLoss({ reduction: 1 as never }), TypeError, /^NLLLoss: reduction must be 'mean', 'sum' or 'none', got 1 \(number\)/],
  ['NLLLoss labelSmoothing (not an NLLLoss option)', () => new nn.NLLLoss({ labelSmoothing: 0.1 } as never), TypeError, /NLLLoss: unknown option 'labelSmoothing'/],
  ['MSELoss shapes', () => new nn.MSELoss().forward(ng.zeros([2, 3]), ng.zeros([3, 2])), Error, /^MSELoss: mseLoss: input shape \[2,3\] and target shape \[3,2\] differ/],
  ['MSELoss input null', () => new nn.MSELoss().forward(null as never, ng.zeros([2])), TypeError, /^MSELoss: mseLoss: input must be a Tensor, got null/],
  ['L1Loss reduction "none "', () => new nn.L1Loss({ reduction: 'none ' as never }), RangeError, /^L1Loss: reduction must be .* got "none " \(string\)/],
  ['HuberLoss delta -1', () => new nn.HuberLoss({ delta: -1 }), RangeError, /^HuberLoss: delta must be positive, got -1/],
  ['HuberLoss delta "1"', () => new nn.HuberLoss({ delta: '1' as never }), TypeError, /^HuberLoss: delta must be a positive number, got "1" \(string\)/],
  ['F.huberLoss delta "1"', () => F.huberLoss(ng.zeros([2]), ng.zeros([2]), '1' as never), TypeError, /^huberLoss: delta must be a positive number, got "1" \(string\)/],
  ['BCELoss probability 2', () => new nn.BCELoss().forward(ng.full([2], 2), ng.zeros([2])), RangeError, /^BCELoss: binaryCrossEntropy: input 2 at index 0 is not a probability in \[0, 1\]/],
  ['BCEWithLogitsLoss shapes', () => new nn.BCEWithLogitsLoss().forward(ng.zeros([2, 2]), ng.zeros([4])), Error, /^BCEWithLogitsLoss: binaryCrossEntropyWithLogits: input shape \[2,2\] and target shape \[4\] differ/],
  ['BCEWithLogitsLoss posWeight (not supported)', () => new nn.BCEWithLogitsLoss({ posWeight: ng.ones([2]) } as never), TypeError, /BCEWithLogitsLoss: unknown option 'posWeight'/],
];

forEachBackend('bad input to the issue-14 layers', [], () => {
  for (const [name, call, Cls, re] of ROWS) {
    it(name, () => {
      let err: unknown = null;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, `${name} did not throw`).toBeInstanceOf(Error);
      const e = err as Error;
      expect(e.message).not.toMatch(/Cannot read properties|undefined is not|is not a function/);
      expect(e.message, `${name}: ${e.constructor.name}: ${e.message}`).toMatch(re);
      if (Cls !== Error) expect(e.constructor.name, `${name}: ${e.message}`).toBe(Cls.name);
    });
  }

  it('good calls next to the bad ones still work (nested index lists, Conv1d just long enough, loss modules)', () => {
    const e = new nn.Embedding(5, 2);
    expect(e.forward([[1, 2], [3, 4]]).shape).toEqual([2, 2, 2]);
    expect(new nn.Conv1d(2, 4, 3).forward(ng.zeros([1, 2, 3])).shape).toEqual([1, 4, 1]);
    expect(new nn.CrossEntropyLoss({ reduction: 'sum', labelSmoothing: 0.1, ignoreIndex: 1 }).forward(ng.zeros([2, 3]), [0, 1]).item()).toBeCloseTo(Math.log(3), 5);
    expect(new nn.HuberLoss({ delta: 0.5 }).forward(ng.zeros([2]), ng.ones([2])).item()).toBeCloseTo(0.375, 6);
    const [y] = mha().forward(x3());
    expect(y.shape).toEqual([2, 5, 8]);
  });
});
