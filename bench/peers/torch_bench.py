"""PyTorch peer: GEMM, per-op overhead, XOR, MNIST MLP (train/acc/infer), Adam alone, CNN, under the
shared protocol (common.py). One process per thread count (the runner sets OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS to match). With --onnx PATH it also exports the trained MLP for the onnxruntime peer.
   python3 bench/peers/torch_bench.py --threads 1 [--quick] [--sections gemm,ops,xor,mlp,adam,cnn] [--onnx f]"""
import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from common import (parse_args, load_mnist, load_perm, stats, mlp_schedule, cnn_schedule, calibrate,
                    us_per_call, gemm_time, emit, BATCH, CNN_BATCH, LR, XOR_LR)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

o = parse_args()
th = int(o.get('threads') or 1)
torch.set_num_threads(th)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
sections = set((o.get('sections') or 'gemm,ops,xor,mlp,adam,cnn').split(','))
out = {'framework': 'pytorch', 'version': torch.__version__, 'threads': torch.get_num_threads(),
       'blas': os.environ.get('OPENBLAS_CORETYPE', 'auto')}


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def accuracy(model, tx, ty, shape):
    model.eval()
    c = 0
    with torch.no_grad():
        for s in range(0, len(ty), 1000):
            x = tx[s:s + 1000].view(-1, *shape)
            c += int((model(x).argmax(1) == ty[s:s + 1000]).sum())
    return c / len(ty)


def train_run(make, shape, bs, sched, X, Y, tx, ty, perm):
    steps, chunk = sched
    idx = torch.from_numpy(perm)
    def batch(b):
        i = idx[b * bs:(b + 1) * bs]
        return X.index_select(0, i).view(bs, *shape), Y.index_select(0, i)
    torch.manual_seed(0)
    m = make(); opt = torch.optim.Adam(m.parameters(), lr=LR)
    for b in range(3):  # warm-up on a throwaway model
        x, y = batch(b); opt.zero_grad(); F.cross_entropy(m(x), y).backward(); opt.step()
    torch.manual_seed(0)
    model = make(); model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    chunks = []
    t_all = t0 = time.perf_counter()
    loss = None
    for b in range(steps):
        x, y = batch(b)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if (b + 1) % chunk == 0:
            t = time.perf_counter()
            chunks.append(chunk * bs / (t - t0))
            t0 = time.perf_counter()
    overall = steps * bs / (time.perf_counter() - t_all)
    acc = accuracy(model, tx, ty, shape)
    return model, opt, {'samplesPerSec': stats(chunks), 'overall': overall, 'steps': steps, 'chunk': chunk,
                        'batch': bs, 'testAccuracy': acc, 'lastLoss': float(loss), 'params': n_params(model)}


if 'gemm' in sections:
    g = torch.Generator().manual_seed(0)
    def mm(ta, tb, M, N, K):
        A = torch.randn((K, M) if ta else (M, K), generator=g)
        B = torch.randn((N, K) if tb else (K, N), generator=g)
        a = A.t() if ta else A
        b = B.t() if tb else B
        C = torch.empty(M, N)
        return lambda: torch.mm(a, b, out=C)
    out['gemm'] = gemm_time(mm, o['quick'])

if 'ops' in sections:
    torch.manual_seed(0)
    a = torch.randn(8, 8, requires_grad=True)
    b = torch.randn(8, 8, requires_grad=True)
    out['ops'] = {'shape': [8, 8], 'autograd': True}
    for k, fn in (('add', lambda: a + b), ('matmul', lambda: a @ b), ('sigmoid', lambda: torch.sigmoid(a))):
        for _ in range(500):
            fn()
        out['ops'][k] = us_per_call(fn, calibrate(fn, 30))

if 'xor' in sections:
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
    x = torch.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
    y = torch.tensor([[0.], [1.], [1.], [0.]])
    opt = torch.optim.SGD(model.parameters(), lr=XOR_LR)
    def step():
        opt.zero_grad(); F.mse_loss(model(x), y).backward(); opt.step()
    for _ in range(2000):
        step()
    out['xor'] = {'usPerStep': us_per_call(step, calibrate(step, 50))}

need_data = 'mlp' in sections or 'cnn' in sections
if need_data:
    xtr, ytr = load_mnist('train'); xte, yte = load_mnist('test')
    perm = load_perm(len(ytr))
    X, Y, TX, TY = map(torch.from_numpy, (xtr, ytr, xte, yte))

model = opt = None
if 'mlp' in sections:
    model, opt, res = train_run(mlp, (784,), BATCH, mlp_schedule(o), X, Y, TX, TY, perm)
    batches = [TX[i * BATCH:(i + 1) * BATCH] for i in range(16)]
    k = [0]
    def fwd():
        with torch.no_grad():
            model(batches[k[0] & 15]); k[0] += 1
    us = us_per_call(fwd, calibrate(fwd, 200))
    sps = lambda u: BATCH / (u * 1e-6)
    out['mlp'] = {'train': res, 'infer': {'samplesPerSec': {'median': sps(us['median']), 'min': sps(us['max']),
                                                             'max': sps(us['min']), 'n': us['n']}, 'batch': BATCH}}
    if o.get('onnx'):
        try:
            torch.onnx.export(model, torch.zeros(BATCH, 784), o['onnx'], input_names=['x'], output_names=['logits'],
                              opset_version=13)
            out['onnxExport'] = o['onnx']
        except Exception as e:  # noqa
            out['onnxExport'] = 'failed: %s' % e

if 'adam' in sections:
    torch.manual_seed(0)
    m = model or mlp()
    for p in m.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    best = None
    for foreach in (False, True):
        try:
            op = torch.optim.Adam(m.parameters(), lr=LR, foreach=foreach)
        except TypeError:
            continue
        step = op.step
        r = us_per_call(step, calibrate(step, 50))
        r['foreach'] = foreach
        if best is None or r['median'] < best['median']:
            best = r
    out['adam'] = {'params': n_params(m), 'us': best}

if 'cnn' in sections:
    _, _, res = train_run(cnn, (1, 28, 28), CNN_BATCH, cnn_schedule(o), X, Y, TX, TY, perm)
    out['cnn'] = {'train': res}

emit(out)
