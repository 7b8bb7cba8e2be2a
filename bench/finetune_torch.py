"""PyTorch peer for bench/finetune.mjs --gpt2: one LoRA fine-tuning step (forward, backward, AdamW on the adapters)
of a GPT-2 124M-shaped model (12 x 768, 12 heads, V 50257, T 64, B 4, random weights, head tied to wte), with
PEFT's LoRA formula written out (no peft package): y = x W^T + b + (alpha / r) * (x A^T) B^T, A [r, in]
Kaiming-uniform, B [out, r] zeros, every base parameter frozen. Same targets as the nodegrad run (--target).
Reports the median step time after two warm-up steps and the peak RSS (ru_maxrss).

  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/finetune_torch.py [--target c_attn,c_proj] [--threads 2] [--mode lora|full]
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.scaling = alpha / r
        self.lora_A = nn.Linear(base.in_features, r, bias=False)  # kaiming_uniform_(a=sqrt(5)), as PEFT
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x) * self.scaling)


class Attn(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))  # PyTorch 1.13: no fused SDPA
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).tril().logical_not(), float('-inf')).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(B, T, C))


class Mlp(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.c_fc = nn.Linear(C, 4 * C)
        self.c_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate='tanh'))


class Block(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C)
        self.attn = Attn(C, H)
        self.ln_2 = nn.LayerNorm(C)
        self.mlp = Mlp(C)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, V, T, L, H, C):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList([Block(C, H) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target', default='c_attn')
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--mode', default='lora', choices=['lora', 'full'])
    ap.add_argument('--steps', type=int, default=3)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    V, T, L, H, C, B = 50257, 64, 12, 12, 768, 4
    m = GPT(V, T, L, H, C)
    targets = a.target.split(',')
    if a.mode == 'lora':
        for p in m.parameters():
            p.requires_grad_(False)
        for name, mod in list(m.named_modules()):
            for t in targets:
                child = getattr(mod, t, None)
                if isinstance(child, nn.Linear):
                    setattr(mod, t, LoraLinear(child, 8, 16))
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    tok = torch.tensor([(i * 7919) % V for i in range(B * (T + 1))]).view(B, T + 1)
    x, y = tok[:, :T].contiguous(), tok[:, 1:].contiguous()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(m(x).view(-1, V), y.view(-1))
        loss.backward()
        opt.step()
        return loss.item()

    step()
    step()
    ts = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    print(json.dumps({'mode': f'torch {a.mode}', 'target': targets, 'stepMs': ts[len(ts) // 2], 'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      'trainable': sum(p.numel() for p in params), 'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
