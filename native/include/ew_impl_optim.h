// Optimizer update range kernels (one pass per element over p, g and the state). Included INSIDE an
// ISA namespace (see ew_impl_unary.h). Formulas and their order are PyTorch's; lib/backend/js/fused.ts
// computes the same expressions in the same order (in float64).

static void adam_k(float* p, const float* g, float* m, float* v, int64_t n, const AdamConsts& c) noexcept {
  const float b1 = c.beta1, b2 = c.beta2, omb1 = c.one_minus_beta1, omb2 = c.one_minus_beta2;
  const float wd = c.decoupled ? 0.0f : c.weight_decay, decay = c.decoupled ? c.decay_factor : 1.0f;
  const float step = c.step_size, bc2s = c.bc2_sqrt, eps = c.eps;
  for (int64_t i = 0; i < n; ++i) {
    float pi = p[i] * decay;            // AdamW: p *= 1 − lr·wd (decay = 1 for Adam)
    float gi = g[i] + wd * pi;          // Adam: L2 term in the gradient (wd = 0 for AdamW)
    float mi = b1 * m[i] + omb1 * gi;
    float vi = b2 * v[i] + omb2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    float denom = __builtin_sqrtf(vi) / bc2s + eps;
    p[i] = pi - step * (mi / denom);
  }
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
