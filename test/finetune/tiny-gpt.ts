/**
 * A GPT-2-shaped module tree for the fine-tuning tests, built from nn layers only (ng.models.GPT lives in
 * another change): the child names of Hugging Face GPT-2 in nn.Linear layout (transformer.wte,
 * transformer.h.{i}.attn.c_attn, ...), pre-LayerNorm blocks with causal attention and a tanh-GELU MLP, and
 * lm_head tied to wte (one Parameter held by both).
 */
import * as ng from '../../lib/index.js';

const { nn } = ng;

export interface TinyConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

export class Attn extends nn.Module {
  c_attn: ng.nn.Linear;
  c_proj: ng.nn.Linear;
  constructor(readonly nEmbd: number, readonly nHead: number) {
    super();
    this.c_attn = new nn.Linear(nEmbd, 3 * nEmbd);
    this.c_proj = new nn.Linear(nEmbd, nEmbd);
  }
  forward(x: ng.Tensor): ng.Tensor {
    const [B, T, C] = x.shape;
    const h = this.nHead;
    const qkv = this.c_attn.forward(x);
    const [q, k, v] = ng.split(qkv, C, 2).map((t) => t.reshape([B, T, h, C / h]).transpose(1, 2));
    const y = ng.F.scaledDotProductAttention(q, k, v, { isCausal: true });
    return this.c_proj.forward(y.transpose(1, 2).reshape([B, T, C]));
  }
}

export class Mlp extends nn.Module {
  c_fc: ng.nn.Linear;
  c_proj: ng.nn.Linear;
  constructor(nEmbd: number) {
    super();
    this.c_fc = new nn.Linear(nEmbd, 4 * nEmbd);
    this.c_proj = new nn.Linear(4 * nEmbd, nEmbd);
  }
  forward(x: ng.Tensor): ng.Tensor {
    return this.c_proj.forward(this.c_fc.forward(x).gelu({ approximate: 'tanh' }));
  }
}

export class Block extends nn.Module {
  ln_1: ng.nn.LayerNorm;
  attn: Attn;
  ln_2: ng.nn.LayerNorm;
  mlp: Mlp;
  constructor(nEmbd: number, nHead: number) {
    super();
    this.ln_1 = new nn.LayerNorm(nEmbd);
    this.attn = new Attn(nEmbd, nHead);
    this.ln_2 = new nn.LayerNorm(nEmbd);
    this.mlp = new Mlp(nEmbd);
  }
  forward(x: ng.Tensor): ng.Tensor {
    x = x.add(this.attn.forward(this.ln_1.forward(x)));
    return x.add(this.mlp.forward(this.ln_2.forward(x)));
  }
}

export class Trunk extends nn.Module {
  wte: ng.nn.Embedding;
  wpe: ng.nn.Embedding;
  h: ng.nn.ModuleList;
  ln_f: ng.nn.LayerNorm;
  constructor(c: TinyConfig) {
    super();
    this.wte = new nn.Embedding(c.vocabSize, c.nEmbd);
    this.wpe = new nn.Embedding(c.blockSize, c.nEmbd);
    this.h = new nn.ModuleList(Array.from({ length: c.nLayer }, () => new Block(c.nEmbd, c.nHead)));
    this.ln_f = new nn.LayerNorm(c.nEmbd);
  }
  forward(): ng.Tensor {
    throw new Error('Trunk: call TinyGPT.forward');
  }
}

export class TinyGPT extends nn.Module {
  transformer: Trunk;
  lm_head: ng.nn.Linear;
  /** run each block through ng.utils.checkpoint when set */
  checkpointBlocks = false;
  constructor(readonly config: TinyConfig) {
    super();
    this.transformer = new Trunk(config);
    this.lm_head = new nn.Linear(config.nEmbd, config.vocabSize, false);
    this.lm_head.weight = this.transformer.wte.weight; // tied
  }
  forward(idx: ng.Tensor): ng.Tensor {
    const [, T] = idx.shape;
    const pos = ng.arange(T).int();
    let x = this.transformer.wte.forward(idx).add(this.transformer.wpe.forward(pos));
    for (const b of this.transformer.h) {
      const blk = b as Block;
      x = this.checkpointBlocks ? ng.utils.checkpoint((t: ng.Tensor) => blk.forward(t), x) : blk.forward(x);
    }
    return this.lm_head.forward(this.transformer.ln_f.forward(x));
  }
}
