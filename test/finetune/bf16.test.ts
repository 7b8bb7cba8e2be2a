/**
 * bfloat16 storage: casts (round to nearest even, NaN/inf), linear/matmul with a bfloat16 weight (forward and
 * dX) on odd shapes against the float32 path, frozen LoRA bases stored as bf16, safetensors BF16, clear errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { forEachBackend, nativeKernelsOnly } from '../helpers/backends.js';
import { backendByName, current, nativeBinding } from '../../lib/backend/registry.js';
import { expectClose } from '../helpers/tolerance.js';
import { TinyGPT } from './tiny-gpt.js';

nativeKernelsOnly();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-bf16-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const f32 = (bits: number[]): ng.Tensor => ng.tensor(new Float32Array(new Uint32Array(bits).buffer), [bits.length]);

describe('bfloat16 casts', () => {
  it('round to nearest even, keep ±inf, -0 and subnormals, quiet NaNs, and widen exactly', () => {
    const cases: [number, number][] = [
      [0x3f800000, 0x3f80], // 1
      [0x3f808000, 0x3f80], // 1 + 2^-8: a tie, even stays
      [0x3f818000, 0x3f82], // a tie with an odd last bit rounds up
      [0x3f808001, 0x3f81], // just above the tie
      [0x3f807fff, 0x3f80], // just below
      [0xbf818000, 0xbf82], // negative tie, odd → away from zero
      [0x7f7fffff, 0x7f80], // the largest float32 rounds to +inf
      [0x7f800000, 0x7f80], // +inf
      [0xff800000, 0xff80], // -inf
      [0x80000000, 0x8000], // -0
      [0x00010000, 0x0001], // a bf16 subnormal
      [0x7f800001, 0x7fc0], // a signalling NaN becomes quiet, stays NaN
      [0xffc00000, 0xffc0], // -NaN
    ];
    const x = f32(cases.map(([b]) => b));
    const b = x.to('bfloat16');
    expect(b.dtype).toBe('bfloat16');
    expect([...b.bits()]).toEqual(cases.map(([, h]) => h));
    const back = new Uint32Array(b.float().data.buffer.slice(0));
    expect([...back]).toEqual(cases.map(([, h]) => (h << 16) >>> 0));
    expect(b.to('bf16')).toBe(b);
    expect(ng.tensor([1.5, -2]).to('bfloat16').toArray()).toEqual([1.5, -2]);
    expect(ng.tensor([3.14159]).to('bfloat16').item()).toBe(3.140625);
    expect(ng.tensor([[1, 2], [3, 4]]).to('bfloat16').t().contiguous().float().toArray()).toEqual([[1, 3], [2, 4]]);
    expect(String(ng.tensor([0.5]).to('bfloat16'))).toMatch(/bfloat16/);
    // constructors take {dtype: 'bfloat16'}
    expect(ng.tensor([1, 2.5, -3], { dtype: 'bfloat16' }).float().toArray()).toEqual([1, 2.5, -3]);
    expect(ng.tensor([[1, 1.00390625]], { dtype: 'bfloat16' }).bits()).toEqual(new Uint16Array([0x3f80, 0x3f80]));
    expect(ng.full([2], 0.5, { dtype: 'bfloat16' }).float().toArray()).toEqual([0.5, 0.5]);
    expect(ng.ones([2], { dtype: 'bfloat16' }).bits()).toEqual(new Uint16Array([0x3f80, 0x3f80]));
    expect(ng.eye(2, 2, { dtype: 'bfloat16' }).float().toArray()).toEqual([[1, 0], [0, 1]]);
    expect(ng.arange(3, { dtype: 'bfloat16' }).float().toArray()).toEqual([0, 1, 2]);
    // int and bool round-trip through bf16
    expect(ng.tensor([3, -7], { dtype: 'int32' }).to('bfloat16').int().toArray()).toEqual([3, -7]);
  });

  it('refuse bfloat16 where an op would read bits as floats, naming the op', () => {
    const b = ng.randn([4, 3]).to('bfloat16');
    expect(() => b.sum()).toThrow(/^sum: bfloat16 tensors are not supported here/);
    expect(() => b.data).toThrow(/^data: bfloat16/);
    expect(() => ng.F.dropout(b, 0.5, true)).toThrow(/dropout: input must be a float32 tensor, got bfloat16/);
    expect(() => b.requiresGrad_()).toThrow(/only float32 tensors can require gradients, got dtype bfloat16/);
    expect(() => ng.randn([3]).bits()).toThrow(/bits: expected a bfloat16 tensor, got float32/);
    expect(() => ng.tensor([1], { dtype: 'bfloat17' as never })).toThrow(/dtype must be 'float32', 'int32', 'bool' or 'bfloat16'/);
    // element-wise ops widen bf16 to float32, as they do ints
    expect(b.add(1).dtype).toBe('float32');
    expectClose(b.exp().data, b.float().exp().data);
  });
});

/** |x|·|W|ᵀ row sums: the scale of a dot product's error when W is rounded to bf16 (relative 2^-8). */
function bound(x: ng.Tensor, w: ng.Tensor): Float32Array {
  return x.abs().matmul(w.abs().t()).data;
}

forEachBackend('bfloat16 linear', ['gemm'], () => {
  for (const [M, K, N] of [[1, 7, 17], [7, 33, 1], [17, 257, 33], [33, 17, 257], [257, 1, 7]]) {
    it(`x·Wᵀ and dX = dY·W with a bf16 W [${N}, ${K}], M = ${M}: same as float32 on the widened W, within bf16 rounding of the original`, () => {
      ng.manualSeed(M * 1000 + K);
      const x = ng.randn([M, K], { requiresGrad: true });
      const w = ng.randn([N, K]);
      const bias = ng.randn([N], { requiresGrad: true });
      const wb = w.to('bfloat16');
      const wide = wb.float();
      const y = ng.nn.linear(x, wb, bias);
      const yRef = ng.nn.linear(x.detach(), wide, bias.detach());
      expectClose(y.data, yRef.data, { rtol: 1e-5, atol: 1e-5 }, 'vs widened');
      const yOrig = ng.nn.linear(x.detach(), w, bias.detach()).data;
      const bd = bound(x.detach(), w);
      for (let i = 0; i < yOrig.length; i++) expect(Math.abs(y.data[i] - yOrig[i])).toBeLessThanOrEqual(bd[i] * 2 ** -8 + 1e-5);
      const g = ng.randn([M, N]);
      y.backward(g);
      const dxRef = g.matmul(wide);
      expectClose(x.grad!.data, dxRef.data, { rtol: 1e-5, atol: 1e-5 }, 'dX');
      expectClose(bias.grad!.data, g.sum(0).data, { rtol: 1e-5, atol: 1e-5 }, 'db');
      // matmul with the transposed bf16 view widens too
      expectClose(x.detach().matmul(wb.t()).data, x.detach().matmul(wide.t()).data, { rtol: 1e-5, atol: 1e-5 }, 'matmul');
      // activations after the bf16 GEMM
      expectClose(ng.nn.linear(x.detach(), wb, bias.detach(), 'geluTanh').data, ng.nn.linear(x.detach(), wide, bias.detach(), 'geluTanh').data, { rtol: 1e-5, atol: 1e-5 }, 'gelu');
    });
  }

  it('a LoRA GPT with its frozen Linear weights in bf16: close outputs, LoRA trains, memory halved, merge widens', () => {
    ng.manualSeed(11);
    const cfg = { vocabSize: 19, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };
    const m = new TinyGPT(cfg);
    ng.lora.apply(m, { r: 4, alpha: 8, targetModules: ['c_attn', 'c_fc'] });
    for (const [, l] of ng.lora.loraLayers(m)) ng.nn.init.normal_(l.lora_B.weight, 0, 0.1);
    const idx = ng.tensor([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]], { dtype: 'int32' });
    m.eval();
    const y32 = m.forward(idx).data.slice();
    const bytes = () => m.parameters().reduce((s, p) => s + p.size * (p.dtype === 'bfloat16' ? 2 : 4), 0);
    const before = bytes();
    const names = ng.finetune.castFrozenWeights(m, 'bfloat16');
    // every Linear weight except lm_head (tied to the wte embedding)
    expect(names).toEqual([0, 1].flatMap((i) => ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((n) => `transformer.h.${i}.${n}.weight`)));
    expect(m.lm_head.weight.dtype).toBe('float32');
    const saved = m.parameters().filter((p) => p.dtype === 'bfloat16').reduce((s, p) => s + 2 * p.size, 0);
    expect(bytes()).toBe(before - saved);
    const y16 = m.forward(idx).data;
    expectClose(y16, y32, { rtol: 3e-2, atol: 3e-2 }, 'logits with bf16 bases');
    // training: LoRA parameters get gradients, bf16 bases none
    m.train();
    const opt = new ng.optim.AdamW(m.parameters().filter((p) => p.requiresGrad), { lr: 1e-2 });
    const loss0 = ng.F.crossEntropy(m.forward(idx).reshape([12, 19]), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0]);
    loss0.backward();
    for (const [, l] of ng.lora.loraLayers(m)) expect(l.lora_A.weight.grad).not.toBeNull();
    opt.step();
    // state dict: BF16 on disk, bits kept with keepBf16, float32 state loads into the bf16 model (rounded)
    const file = path.join(tmp, 'm.safetensors');
    ng.saveSafetensors(file, m.stateDict());
    const hdr = ng.readSafetensorsHeader(file);
    expect(hdr.tensors.find((t) => t.name === 'transformer.h.0.attn.c_attn.weight')!.dtype).toBe('BF16');
    const kept = ng.loadSafetensors(file, { keepBf16: true });
    expect(kept['transformer.h.0.attn.c_attn.weight'].dtype).toBe('bfloat16');
    expect(kept['transformer.h.0.attn.c_attn.weight'].bits()).toEqual(m.transformer.h.at(0).stateDict()['attn.c_attn.weight'].bits());
    expect(ng.loadSafetensors(file)['transformer.h.0.attn.c_attn.weight'].dtype).toBe('float32');
    const wide = ng.loadSafetensors(file);
    m.loadStateDict(wide, { strict: false });
    // merge folds the update into a float32 weight
    ng.lora.merge(m);
    expect(m.transformer.h.at(0).stateDict()['attn.c_attn.weight'].dtype).toBe('float32');
    expect(m.transformer.h.at(0).stateDict()['attn.c_proj.weight'].dtype).toBe('bfloat16');
    expect(() => ng.nn.linear(ng.randn([2, 16]), ng.randn([3, 16]).to('bfloat16'), ng.randn([3]).to('bfloat16'))).toThrow(/bias must be float32, got bfloat16/);
  });
});

forEachBackend('gemmBf16 kernel', ['gemmBf16'], (name) => {
  const rnd = (n: number, seed: number): Float32Array => {
    const g = new ng.Generator(seed);
    return Float32Array.from({ length: n }, () => g.normal());
  };
  const cases: [boolean, boolean, number, number, number][] = [
    [false, true, 1, 1, 1], [false, true, 7, 17, 33], [false, false, 17, 33, 7], [true, true, 33, 7, 17],
    [true, false, 257, 33, 17], [false, true, 3, 257, 300], [false, false, 65, 129, 257],
  ];
  for (const [tA, tB, M, N, K] of cases) {
    it(`${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} M ${M} N ${N} K ${K}, padded leading dims, beta 1, bias+GELU: equals the float32 reference on the widened B`, () => {
      const lda = (tA ? M : K) + 3;
      const ldb = (tB ? K : N) + 5;
      const ldc = N + 2;
      const A = rnd((tA ? K : M) * lda, 1);
      const B32 = rnd((tB ? N : K) * ldb, 2);
      const B = ng.tensor(B32).to('bfloat16').bits();
      const wide = ng.tensor(B).float().data;
      const C0 = rnd(M * ldc, 3);
      const bias = rnd(N, 4);
      const C = C0.slice();
      current.gemmBf16(tA, tB, M, N, K, 0.75, A, lda, B, ldb, 1, C, ldc, 6, bias);
      const ref = C0.slice();
      backendByName('js').gemm(tA, tB, M, N, K, 0.75, A, lda, wide, ldb, 1, ref, ldc, 6, bias, 1, 0, 0, 0);
      expectClose(C, ref, { rtol: 1e-4, atol: 1e-5 }, `${name} gemmBf16`);
    });
  }
  if (name === 'native') {
    it('the binding checks its arguments', () => {
      const b = nativeBinding()!;
      const A = new Float32Array(6);
      const C = new Float32Array(4);
      expect(() => b.gemmBf16(false, true, 2, 2, 3, 1, A, 3, new Float32Array(6) as never, 3, 0, C, 2, 0, null)).toThrow(/gemmBf16: argument 'B' must be a Uint16Array/);
      expect(() => b.gemmBf16(false, true, 2, 2, 3, 1, A, 3, new Uint16Array(5), 3, 0, C, 2, 0, null)).toThrow(/gemmBf16: argument 'B' has 5 elements, needs 6/);
      expect(() => b.gemmBf16(false, true, 2, 2, 0, 1, A, 3, new Uint16Array(6), 3, 0, C, 2, 0, null)).toThrow(/gemmBf16: argument 'K' must be at least 1/);
      expect(() => b.gemmBf16(false, true, 2, 2, 3, 1, A, 2, new Uint16Array(6), 3, 0, C, 2, 0, null)).toThrow(/lda/);
      expect(() => (b.gemmBf16 as (...a: unknown[]) => void)(false, true, 2, 2, 3)).toThrow(/gemmBf16/);
    });
  }
});
