"""PyTorch peer for bench/attention.mjs: causal attention forward+backward by the explicit math path
(softmax(q·kᵀ·s + mask)·v: PyTorch 1.13 has no fused scaled_dot_product_attention) and LayerNorm
forward+backward, medians of timed runs after warm-up. Prints one @@JSON line.
   python3 bench/peers/torch_attention.py --threads 1 [--quick]"""
import json, sys, time
import torch
import torch.nn.functional as F

args = sys.argv[1:]
th = int(args[args.index('--threads') + 1]) if '--threads' in args else 1
quick = '--quick' in args
torch.set_num_threads(th)
torch.manual_seed(0)
SHAPES = [[8, 6, 256, 64], [4, 12, 1024, 64]]


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def timed(fn, runs, warm=2):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return {"median": median(ts), "min": min(ts), "max": max(ts), "runs": runs}


out = {"framework": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(), "sdpa": [], "layerNorm": []}
for B, H, L, E in SHAPES:
    q = torch.randn(B, H, L, E, requires_grad=True)
    k = torch.randn(B, H, L, E, requires_grad=True)
    v = torch.randn(B, H, L, E, requires_grad=True)
    mask = torch.ones(L, L, dtype=torch.bool).triu(1)
    g = torch.randn(B, H, L, E)

    def step():
        q.grad = k.grad = v.grad = None
        s = (q @ k.transpose(-2, -1)) * (E ** -0.5)
        s = s.masked_fill(mask, float('-inf'))
        o = torch.softmax(s, -1) @ v
        o.backward(g)

    r = timed(step, 3 if quick else (5 if L >= 1024 else 10))
    r["shape"] = [B, H, L, E]
    out["sdpa"].append(r)

for rows, n in [[4096, 768], [16384, 256]]:
    x = torch.randn(rows, n, requires_grad=True)
    w = torch.randn(n, requires_grad=True)
    b = torch.randn(n, requires_grad=True)
    g = torch.randn(rows, n)

    def ln():
        x.grad = w.grad = b.grad = None
        F.layer_norm(x, [n], w, b, 1e-5).backward(g)

    r = timed(ln, 5 if quick else 20)
    r["shape"] = [rows, n]
    out["layerNorm"].append(r)
print("@@JSON " + json.dumps(out))
