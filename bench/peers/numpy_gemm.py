"""numpy SGEMM GFLOP/s on the shapes of bench/gemm.mjs. Threads: set OPENBLAS_NUM_THREADS (the
runner does, per process, and unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE).
   python3 bench/peers/numpy_gemm.py [--quick]"""
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
from common import parse_args, gemm_time, emit
import numpy as np

o = parse_args()
rng = np.random.default_rng(0)


def mm(ta, tb, M, N, K):
    A = rng.standard_normal((K, M) if ta else (M, K), dtype=np.float32)
    B = rng.standard_normal((N, K) if tb else (K, N), dtype=np.float32)
    a = A.T if ta else A
    b = B.T if tb else B
    C = np.empty((M, N), dtype=np.float32)
    return lambda: np.matmul(a, b, out=C)


info = {}
try:
    cfg = np.show_config(mode='dicts')
    info = cfg.get('Build Dependencies', {}).get('blas', {})
except Exception:
    pass
emit({'framework': 'numpy', 'version': np.__version__, 'python': sys.executable,
      'threads': int(os.environ.get('OPENBLAS_NUM_THREADS', '0')) or None, 'blas': info,
      'gemm': gemm_time(mm, o['quick'])})
