/**
 * LoRA as PEFT defines it (huggingface/peft src/peft/tuners/lora/layer.py): a frozen base Linear plus a
 * rank-r update, y = base(x) + s·B(A(dropout(x))) with s = alpha / r (alpha / √r with rsLoRA).
 * `lora_A.weight` is [r, in] Kaiming-uniform (a = √5, nn.Linear's own init), `lora_B.weight` [out, r] zeros,
 * so a fresh adapter leaves the model's output unchanged bit for bit.
 *
 * The update runs as two skinny GEMMs (x·Aᵀ is [M, r], then ·Bᵀ is [M, out]); W is never rebuilt per step.
 *
 * Names: the LoRA layer keeps the base Linear's parameters under their own names (`weight`, `bias`) and adds
 * the children `lora_A` and `lora_B`, so a wrapped `h.0.attn.c_attn` has the state-dict keys
 * `h.0.attn.c_attn.weight`, `.bias`, `.lora_A.weight`, `.lora_B.weight`. PEFT's in-memory model says
 * `base_layer.weight` and `lora_A.default.weight`; we keep the base names so a base checkpoint loads into a
 * wrapped model (strict: false) and `merge` gives back exactly the un-wrapped model's keys.
 */
import { linear, type LinearActivation } from '../nn/fused-linear.js';
import { gelu, relu, sigmoid, tanh } from '../ops/activation.js';
import { dropout } from '../nn/dropout.js';
import { Linear } from '../nn/layers.js';
import { Module, Parameter } from '../nn/module.js';
import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { current } from '../backend/registry.js';
import { Epilogue } from '../backend/backend.js';

export class LoraLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly r: number;
  /** alpha / r (alpha / √r with rsLoRA) */
  scaling: number;
  /** dropout probability on the LoRA branch's input (PEFT's lora_dropout) */
  readonly dropoutP: number;
  /** the base layer's parameters (the same Parameter objects, frozen by ng.lora.apply) */
  weight: Parameter;
  bias: Parameter | null;
  lora_A: Linear;
  lora_B: Linear;
  /** true while the update is folded into `weight` (merge with {unload: false}); forward then skips it */
  declare merged: boolean;
  /** the Linear this layer wraps (given back by merge) */
  declare readonly baseLayer: Linear;

  constructor(base: Linear, r: number, scaling: number, dropoutP = 0) {
    super();
    Object.defineProperty(this, 'baseLayer', { value: base, enumerable: false, writable: false });
    Object.defineProperty(this, 'merged', { value: false, enumerable: false, writable: true });
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.r = r;
    this.scaling = scaling;
    this.dropoutP = dropoutP;
    this.weight = base.weight;
    this.bias = base.bias;
    // PEFT's update_layer: lora_A = nn.Linear(in, r, bias=False) keeps nn.Linear's kaiming_uniform_(a=√5)
    // (reset_lora_parameters draws the same), lora_B = nn.Linear(r, out, bias=False) zeroed.
    this.lora_A = new Linear(base.inFeatures, r, false);
    this.lora_B = new Linear(r, base.outFeatures, false);
    this.lora_B.weight.data.fill(0);
  }

  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias, 'none');
    if (this.merged) return y;
    const xd = this.training && this.dropoutP > 0 ? dropout(x, this.dropoutP, true) : x;
    // s folded into the [M, r] intermediate (r columns) instead of the [M, out] result
    const h = linear(xd, this.lora_A.weight, null, 'none').mul(this.scaling);
    return y.add(linear(h, this.lora_B.weight, null, 'none'));
  }

  /**
   * act(forward(x)): what a model that fuses an activation into a Linear (GPT's c_fc → tanh-GELU calls
   * `c_fc.forwardFused(x, 'geluTanh')`) gets from the wrapped layer — the activation applies to the sum
   * base(x) + s·B·A·x, as with PEFT on an unfused layer.
   */
  forwardFused(x: Tensor, act: LinearActivation): Tensor {
    if (this.merged) return linear(x, this.weight, this.bias, act);
    const y = this.forward(x);
    switch (act) {
      case 'none': return y;
      case 'relu': return relu(y);
      case 'gelu': return gelu(y);
      case 'geluTanh': return gelu(y, { approximate: 'tanh' });
      case 'sigmoid': return sigmoid(y);
      case 'tanh': return tanh(y);
      default: throw new RangeError(`LoraLinear.forwardFused: unknown activation '${String(act)}'`);
    }
  }

  /** W += s·B·A in place (PEFT's merge); the forward then uses W alone. */
  merge(): void {
    if (this.merged) return;
    this.addDelta(1);
    this.merged = true;
  }

  /** W −= s·B·A in place (PEFT's unmerge). */
  unmerge(): void {
    if (!this.merged) return;
    this.addDelta(-1);
    this.merged = false;
  }

  /** W += sign·s·(B·A): one GEMM with beta 1 straight into the weight's storage. */
  private addDelta(sign: 1 | -1): void {
    if (this.weight.dtype === 'bfloat16') {
      // W + ΔW is not representable in bfloat16 without a second rounding: the merged weight becomes float32
      const wide = new Parameter(noGrad(() => this.weight.float()).data, [...this.weight.shape], false);
      this.weight = wide;
      (this.baseLayer as { weight: Parameter }).weight = wide;
    }
    noGrad(() => {
      const out = this.outFeatures;
      const inF = this.inFeatures;
      if (out === 0 || inF === 0 || this.r === 0) return;
      const w = this.weight;
      if (!w.isContiguous()) throw new Error('lora.merge: the base weight must be contiguous');
      current.gemm(false, false, out, inF, this.r, sign * this.scaling, this.lora_B.weight.data, this.r,
        this.lora_A.weight.data, inF, 1, w.data, inF, Epilogue.none, null, 1, 0, 0, 0);
      w._storage.version++;
    });
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, r=${this.r}, scaling=${this.scaling}, bias=${this.bias !== null}${this.merged ? ', merged' : ''}`;
  }
}

export function isLoraLinear(m: unknown): m is LoraLinear {
  return m instanceof LoraLinear;
}

/** Keeps Tensor imported for the declaration emit of forward's signature. */
export type { Tensor };
