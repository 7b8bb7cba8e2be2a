"""PyTorch peer for bench/gpt.mjs: one nanoGPT training step (forward, cross-entropy, backward, clip 1.0,
AdamW with nanoGPT's decay groups, foreach) per timed run on random tokens, and nanoGPT's generate (no KV
cache: the cropped context recomputed per token) in eval/no_grad. The model is nanoGPT's, written in plain
PyTorch 1.13 (no F.scaled_dot_product_attention in 1.13: attention is nanoGPT's own explicit fallback,
masked softmax), tanh GELU, tied head. Medians after warm-up; prints one @@JSON line.
   python3 bench/peers/torch_gpt.py --config a|b|c [--threads N] [--quick]"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

args = sys.argv[1:]
th = int(args[args.index('--threads') + 1]) if '--threads' in args else 1
cfg_name = args[args.index('--config') + 1]
quick = '--quick' in args
torch.set_num_threads(th)
torch.manual_seed(0)

CONFIGS = json.loads(args[args.index('--configs') + 1])
c = CONFIGS[cfg_name]


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        C = c["nEmbd"]
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        T = c["blockSize"]
        self.register_buffer("bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

    def forward(self, x):
        B, T, C = x.size()
        H = c["nHead"]
        q, k, v = self.c_attn(x).split(C, dim=2)
        k = k.view(B, T, H, C // H).transpose(1, 2)
        q = q.view(B, T, H, C // H).transpose(1, 2)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        C = c["nEmbd"]
        self.ln_1 = nn.LayerNorm(C)
        self.attn = CausalSelfAttention()
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.c_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        V, C = c["vocabSize"], c["nEmbd"]
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(c["blockSize"], C)
        self.h = nn.ModuleList([Block() for _ in range(c["nLayer"])])
        self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.wte.weight = self.lm_head.weight
        for n, p in self.named_parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * c["nLayer"]) if n.endswith("c_proj.weight") else 0.02)
            elif n.endswith("bias"):
                torch.nn.init.zeros_(p)

    def forward(self, idx):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))

    @torch.no_grad()
    def generate(self, idx, n):
        for _ in range(n):
            ctx = idx[:, -c["blockSize"]:]
            logits = self(ctx)[:, -1, :]
            nxt = torch.argmax(logits, dim=-1, keepdim=True)
            idx = torch.cat((idx, nxt), dim=1)
        return idx


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


model = GPT()
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                         {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                        lr=6e-4, betas=(0.9, 0.95), foreach=True)
B, T, V = c["batch"], c["T"], c["vocabSize"]
g = torch.Generator().manual_seed(1)
batches = [(torch.randint(0, V, (B, T), generator=g), torch.randint(0, V, (B, T), generator=g)) for _ in range(4)]
runs = c["quickRuns" if quick else "runs"]
fw, bw, up, tot, cpu = [], [], [], [], []
for i in range(c["warm"] + runs):
    x, y = batches[i % len(batches)]
    c0 = time.process_time()
    t0 = time.perf_counter()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, V), y.view(-1), ignore_index=-1)
    t1 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    t2 = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    t3 = time.perf_counter()
    c1 = time.process_time()
    if i >= c["warm"]:
        cpu.append((c1 - c0) * 1e3)
        fw.append((t1 - t0) * 1e3)
        bw.append((t2 - t1) * 1e3)
        up.append((t3 - t2) * 1e3)
        tot.append((t3 - t0) * 1e3)
step = {"median": median(tot), "min": min(tot), "max": max(tot), "runs": runs,
        "forward": median(fw), "backward": median(bw), "update": median(up), "cpuMs": median(cpu), "loss": float(loss)}
step["tokensPerS"] = B * T / (step["median"] / 1e3)
gen = None
if c.get("gen"):
    gp, gn = c["gen"]["prompt"], c["gen"]["quickNew" if quick else "new"]
    model.eval()
    idx = torch.randint(0, V, (1, gp), generator=g)
    model.generate(idx, 2)
    t = time.perf_counter()
    model.generate(idx, gn)
    s = time.perf_counter() - t
    gen = {"prompt": gp, "new": gn, "noCacheTokensPerS": gn / s}
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("@@JSON " + json.dumps({"framework": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
                              "config": cfg_name, "step": step, "generate": gen, "peakRssMB": rss}))
