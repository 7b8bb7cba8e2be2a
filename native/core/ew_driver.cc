// Drivers for the element-wise, reduction and softmax kernels: pick the active ISA table, walk strided
// shapes, and split big calls over the thread pool. Splits never cut a reduced axis, so every result is
// bit-identical for any thread count.
#include <cstring>

#include "elementwise.h"
#include "ew_parallel.h"

namespace ng {

namespace {

bool is_transcendental(int op) {
  return op == kExp || op == kLog || op == kSigmoid || op == kTanh || op == kGelu || op == kGeluTanh ||
         op == kPowScalar;
}

// Calls f(off1, off2, flat, len) for each innermost run of the flat index range [e0, e1) of a row-major
// `shape`, where off1/off2 are the element offsets of the run's start under strides s1/s2.
template <class F>
void for_runs(const int64_t* shape, int rank, const int64_t* s1, const int64_t* s2, int64_t e0, int64_t e1, F f) {
  const int last = rank - 1;
  const int64_t n = shape[last];
  int64_t idx[kEwMaxRank];
  int64_t row = e0 / n, col = e0 % n, o1 = 0, o2 = 0;
  for (int d = last - 1; d >= 0; --d) {
    idx[d] = row % shape[d];
    row /= shape[d];
    o1 += idx[d] * s1[d];
    o2 += idx[d] * s2[d];
  }
  for (int64_t e = e0; e < e1;) {
    int64_t len = n - col < e1 - e ? n - col : e1 - e;
    f(o1 + col * s1[last], o2 + col * s2[last], e, len);
    e += len;
    col = 0;
    for (int d = last - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) { o1 += s1[d]; o2 += s2[d]; break; }
      idx[d] = 0;
      o1 -= s1[d] * (shape[d] - 1);
      o2 -= s2[d] * (shape[d] - 1);
    }
  }
}

int64_t total_of(const int64_t* shape, int rank) {
  int64_t t = 1;
  for (int d = 0; d < rank; ++d) t *= shape[d];
  return t;
}

}  // namespace

void ew_unary(int op, const float* x, float* out, int64_t n, float alpha) noexcept {
  const EwKernels& k = ew_kernels();
  int64_t min_chunk = is_transcendental(op) ? kEwMinChunkHeavy : kEwMinChunkLight;
  ew_parallel_chunks(n, min_chunk, [&](int64_t b, int64_t e) { k.unary(op, x + b, out + b, e - b, alpha); });
}

void ew_unary_backward(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                       float alpha) noexcept {
  const EwKernels& k = ew_kernels();
  bool heavy = op == kGelu || op == kGeluTanh || op == kPowScalar;
  ew_parallel_chunks(n, heavy ? kEwMinChunkHeavy : kEwMinChunkLight, [&](int64_t b, int64_t e) {
    k.unary_backward(op, x + b, y + b, dy + b, dx + b, e - b, alpha);
  });
}

void ew_binary(int op, const float* a, const int64_t* as, const float* b, const int64_t* bs, float* out,
               const int64_t* shape, int rank) noexcept {
  const EwKernels& k = ew_kernels();
  if (rank == 0) { k.binary_run(op, a, 0, b, 0, out, 1); return; }
  int64_t total = total_of(shape, rank);
  if (total == 0) return;
  ew_parallel_chunks(total, op == kPow ? kEwMinChunkHeavy : kEwMinChunkLight, [&](int64_t e0, int64_t e1) {
    for_runs(shape, rank, as, bs, e0, e1, [&](int64_t oa, int64_t ob, int64_t flat, int64_t len) {
      k.binary_run(op, a + oa, as[rank - 1], b + ob, bs[rank - 1], out + flat, len);
    });
  });
}

void ew_copy(const int64_t* shape, int rank, const float* src, const int64_t* ss, float* dst, const int64_t* ds,
             bool accumulate) noexcept {
  const EwKernels& k = ew_kernels();
  if (rank == 0) { k.copy_run(src, 0, dst, 0, 1, accumulate); return; }
  int64_t total = total_of(shape, rank);
  if (total == 0) return;
  // Threads only when dst is row-major contiguous (the permute/expand case): then chunks never overlap.
  bool contiguous = true;
  for (int64_t d = rank - 1, s = 1; d >= 0; --d) {
    if (shape[d] != 1 && ds[d] != s) contiguous = false;
    s *= shape[d];
  }
  auto body = [&](int64_t e0, int64_t e1) {
    for_runs(shape, rank, ss, ds, e0, e1, [&](int64_t os, int64_t od, int64_t, int64_t len) {
      k.copy_run(src + os, ss[rank - 1], dst + od, ds[rank - 1], len, accumulate);
    });
  };
  if (contiguous) {
    ew_parallel_chunks(total, kEwMinChunkLight, body);
  } else {
    body(0, total);
  }
}

void ew_reduce(int op, const float* x, float* out, int64_t outer, int64_t n, int64_t inner) noexcept {
  const EwKernels& k = ew_kernels();
  if (outer == 0 || inner == 0) return;
  if (inner == 1) {
    ew_parallel_units(outer, n, kEwMinChunkLight, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) out[o] = k.reduce_contig(op, x + o * n, n);
    });
    return;
  }
  const int64_t blocks = (inner + kEwColBlock - 1) / kEwColBlock;
  ew_parallel_units(outer * blocks, n * kEwColBlock, kEwMinChunkLight, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      int64_t o = u / blocks, c0 = (u % blocks) * kEwColBlock;
      int64_t w = inner - c0 < kEwColBlock ? inner - c0 : kEwColBlock;
      k.reduce_strided(op, x + o * n * inner + c0, out + o * inner + c0, n, inner, w);
    }
  });
}

void ew_softmax(const float* x, float* out, int64_t outer, int64_t n, int64_t inner, bool log) noexcept {
  const EwKernels& k = ew_kernels();
  if (outer == 0 || inner == 0 || n == 0) return;
  if (inner == 1) {
    ew_parallel_units(outer, n, kEwMinChunkHeavy, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) k.softmax_row(x + o * n, out + o * n, n, log);
    });
    return;
  }
  const int64_t blocks = (inner + kEwColBlock - 1) / kEwColBlock;
  ew_parallel_units(outer * blocks, n * kEwColBlock, kEwMinChunkHeavy, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      int64_t o = u / blocks, c0 = (u % blocks) * kEwColBlock;
      int64_t w = inner - c0 < kEwColBlock ? inner - c0 : kEwColBlock;
      int64_t off = o * n * inner + c0;
      k.softmax_strided(x + off, out + off, n, inner, w, log);
    }
  });
}

void ew_softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t n, int64_t inner,
                         bool log) noexcept {
  const EwKernels& k = ew_kernels();
  if (outer == 0 || inner == 0 || n == 0) return;
  if (inner == 1) {
    ew_parallel_units(outer, n, kEwMinChunkHeavy, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) k.softmax_backward_row(y + o * n, dy + o * n, dx + o * n, n, log);
    });
    return;
  }
  const int64_t blocks = (inner + kEwColBlock - 1) / kEwColBlock;
  ew_parallel_units(outer * blocks, n * kEwColBlock, kEwMinChunkHeavy, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      int64_t o = u / blocks, c0 = (u % blocks) * kEwColBlock;
      int64_t w = inner - c0 < kEwColBlock ? inner - c0 : kEwColBlock;
      int64_t off = o * n * inner + c0;
      k.softmax_backward_strided(y + off, dy + off, dx + off, n, inner, w, log);
    }
  });
}

}  // namespace ng
