// Optimizer update range kernels (one pass per element over p, g and the state). Included INSIDE an
// ISA namespace (see ew_impl_unary.h). Formulas and their order are PyTorch's; lib/backend/js/fused.ts
// computes the same expressions in the same order (in float64).

// Adam's denominator is sqrt(v)·(1/sqrt(1 − β2^t)) + eps (PyTorch divides by sqrt(1 − β2^t); the
// product differs from it by at most one rounding). On AVX-512 / AVX2 the division m / denom is a
// reciprocal estimate refined by one Newton step (≤ 2 ulp from the quotient): the divider, not memory,
// bounds this loop once the state sits in L2 (`node bench/mlp.mjs --sections adam`: 235k parameters,
// 1 thread 171 → 148 µs). denom = +inf (v overflowed) gives 0 like the division; NaN stays NaN.
static inline float adam_one(float p, float g, float& m, float& v, float b1, float b2, float omb1, float omb2,
                             float wd, float decay, float step, float inv_bc2s, float eps) noexcept {
  float pi = p * decay;            // AdamW: p *= 1 − lr·wd (decay = 1 for Adam)
  float gi = g + wd * pi;          // Adam: L2 term in the gradient (wd = 0 for AdamW)
  float mi = b1 * m + omb1 * gi;
  float vi = b2 * v + omb2 * (gi * gi);
  m = mi;
  v = vi;
  float denom = __builtin_sqrtf(vi) * inv_bc2s + eps;
  return pi - step * (mi / denom);
}

static void adam_k(float* p, const float* g, float* m, float* v, int64_t n, const AdamConsts& c) noexcept {
  const float b1 = c.beta1, b2 = c.beta2, omb1 = c.one_minus_beta1, omb2 = c.one_minus_beta2;
  const float wd = c.decoupled ? 0.0f : c.weight_decay, decay = c.decoupled ? c.decay_factor : 1.0f;
  const float step = c.step_size, ib = c.inv_bc2_sqrt, eps = c.eps;
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), vo1 = _mm512_set1_ps(omb1),
               vo2 = _mm512_set1_ps(omb2), vwd = _mm512_set1_ps(wd), vdec = _mm512_set1_ps(decay),
               vst = _mm512_set1_ps(step), vib = _mm512_set1_ps(ib), veps = _mm512_set1_ps(eps),
               two = _mm512_set1_ps(2.0f), inf = _mm512_set1_ps(__builtin_inff());
  for (; i < n; i += 16) {
    __mmask16 k = n - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1u);
    __m512 pi = _mm512_mul_ps(_mm512_mask_loadu_ps(_mm512_setzero_ps(), k, p + i), vdec);
    __m512 gi = _mm512_fmadd_ps(vwd, pi, _mm512_mask_loadu_ps(_mm512_setzero_ps(), k, g + i));
    __m512 mi = _mm512_fmadd_ps(vo1, gi, _mm512_mul_ps(vb1, _mm512_mask_loadu_ps(_mm512_setzero_ps(), k, m + i)));
    __m512 vi = _mm512_fmadd_ps(vo2, _mm512_mul_ps(gi, gi), _mm512_mul_ps(vb2, _mm512_mask_loadu_ps(_mm512_setzero_ps(), k, v + i)));
    _mm512_mask_storeu_ps(m + i, k, mi);
    _mm512_mask_storeu_ps(v + i, k, vi);
    __m512 d = _mm512_fmadd_ps(_mm512_maskz_sqrt_ps(__mmask16(0xffff), vi), vib, veps);
    __m512 r0 = _mm512_maskz_rcp14_ps(__mmask16(0xffff), d);
    __m512 r = _mm512_mul_ps(r0, _mm512_fnmadd_ps(d, r0, two));
    r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, inf, _CMP_EQ_OQ), r, r0);  // rcp14(+inf) = 0
    _mm512_mask_storeu_ps(p + i, k, _mm512_fnmadd_ps(vst, _mm512_mul_ps(mi, r), pi));
  }
#elif defined(__AVX2__) && defined(__FMA__)
  const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vo1 = _mm256_set1_ps(omb1),
               vo2 = _mm256_set1_ps(omb2), vwd = _mm256_set1_ps(wd), vdec = _mm256_set1_ps(decay),
               vst = _mm256_set1_ps(step), vib = _mm256_set1_ps(ib), veps = _mm256_set1_ps(eps),
               two = _mm256_set1_ps(2.0f), inf = _mm256_set1_ps(__builtin_inff());
  for (; i + 8 <= n; i += 8) {
    __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), vdec);
    __m256 gi = _mm256_fmadd_ps(vwd, pi, _mm256_loadu_ps(g + i));
    __m256 mi = _mm256_fmadd_ps(vo1, gi, _mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)));
    __m256 vi = _mm256_fmadd_ps(vo2, _mm256_mul_ps(gi, gi), _mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    __m256 d = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), vib, veps);
    __m256 r0 = _mm256_rcp_ps(d);  // 12 bits; one Newton step → ~23
    __m256 r = _mm256_mul_ps(r0, _mm256_fnmadd_ps(d, r0, two));
    r = _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps(d, inf, _CMP_EQ_OQ));
    _mm256_storeu_ps(p + i, _mm256_fnmadd_ps(vst, _mm256_mul_ps(mi, r), pi));
  }
#endif
  for (; i < n; ++i) p[i] = adam_one(p[i], g[i], m[i], v[i], b1, b2, omb1, omb2, wd, decay, step, ib, eps);
}

static void sgd_k(float* p, const float* g, float* buf, int64_t n, const SgdConsts& c) noexcept {
  const float lr = c.lr, mom = c.momentum, omd = c.one_minus_dampening, wd = c.weight_decay;
  if (!c.has_momentum) {
    for (int64_t i = 0; i < n; ++i) p[i] = p[i] - lr * (g[i] + wd * p[i]);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] + wd * p[i];
    float b = c.first_step ? gi : mom * buf[i] + omd * gi;
    buf[i] = b;
    float d = c.nesterov ? gi + mom * b : b;
    p[i] = p[i] - lr * d;
  }
}

static void rmsprop_k(float* p, const float* g, float* sq, float* buf, int64_t n, const RmspropConsts& c) noexcept {
  const float lr = c.lr, a = c.alpha, oma = c.one_minus_alpha, eps = c.eps, wd = c.weight_decay, mom = c.momentum;
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] + wd * p[i];
    float s = a * sq[i] + oma * (gi * gi);
    sq[i] = s;
    float avg = __builtin_sqrtf(s) + eps;
    if (c.has_momentum) {
      float b = mom * buf[i] + gi / avg;
      buf[i] = b;
      p[i] = p[i] - lr * b;
    } else {
      p[i] = p[i] - lr * (gi / avg);
    }
  }
}
