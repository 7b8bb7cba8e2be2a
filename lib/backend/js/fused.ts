/**
 * Reference kernels for the fused ops: softmax + cross-entropy, row gather/scatter, and the
 * multi-tensor optimizer steps. Plain loops in float64 (JS numbers), rounded once on store; the
 * optimizer formulas follow the same expressions, in the same order, as the native kernels
 * (native/include/ew_impl_optim.h), which are PyTorch's.
 */

/**
 * losses[r] = logsumexp(logits[r]) − logits[r, labels[r]]; dlogits (when non-null) receives
 * gradScale · (softmax(logits[r]) − onehot(labels[r])). Labels are validated by the caller.
 */
export function softmaxCrossEntropy(
  logits: Float32Array, labels: Int32Array, losses: Float32Array, dlogits: Float32Array | null,
  rows: number, classes: number, gradScale: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const label = labels[r];
    let m = -Infinity;
    for (let j = 0; j < classes; j++) {
      const v = logits[base + j];
      if (v > m || v !== v) m = v;
      if (v !== v) break;
    }
    if (m === -Infinity) m = 0; // all −inf: avoid −inf − −inf = NaN
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(logits[base + j] - m);
    const xl = logits[base + label];
    losses[r] = m + Math.log(s) - xl;
    if (dlogits) {
      const atLabel = gradScale * (Math.exp(xl - m) / s - 1);
      for (let j = 0; j < classes; j++) dlogits[base + j] = gradScale * (Math.exp(logits[base + j] - m) / s);
      dlogits[base + label] = atLabel;
    }
  }
}

/** out[r, :] = table[idx[r], :] for r < rows; table is [n, dim]. Indices are validated by the caller. */
export function gatherRows(table: Float32Array, idx: Int32Array, out: Float32Array, rows: number, dim: number): void {
  for (let r = 0; r < rows; r++) {
    const src = idx[r] * dim;
    out.set(table.subarray(src, src + dim), r * dim);
  }
}

/** dtable[idx[r], :] += dout[r, :] (accumulates; duplicate indices add up in row order). */
export function scatterAddRows(dout: Float32Array, idx: Int32Array, dtable: Float32Array, rows: number, dim: number): void {
  for (let r = 0; r < rows; r++) {
    const dst = idx[r] * dim;
    const src = r * dim;
    for (let j = 0; j < dim; j++) dtable[dst + j] += dout[src + j];
  }
}

/**
 * Adam / AdamW over many tensors. Per element (PyTorch order): AdamW first scales p by (1 − lr·wd);
 * Adam adds wd·p to g; m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²;
 * p −= (lr / (1−β1^step)) · m / (sqrt(v) / sqrt(1−β2^step) + eps).
 */
export function adamStep(
  params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[],
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
  decoupled: boolean,
): void {
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const wd = decoupled ? 0 : weightDecay;
  for (let t = 0; t < params.length; t++) {
    const p = params[t], g = grads[t], mt = m[t], vt = v[t];
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] * decay;
      const gi = g[i] + wd * pi;
      const mi = beta1 * mt[i] + (1 - beta1) * gi;
      const vi = beta2 * vt[i] + (1 - beta2) * gi * gi;
      mt[i] = mi;
      vt[i] = vi;
      p[i] = pi - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
    }
  }
}

/**
 * SGD (PyTorch): g = grad + wd·p; with momentum: buf = firstStep ? g : momentum·buf + (1−dampening)·g,
 * g = nesterov ? g + momentum·buf : buf. Then p −= lr·g.
 */
export function sgdStep(
  params: Float32Array[], grads: Float32Array[], momentumBufs: Float32Array[] | null,
  lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean,
  firstStep: boolean,
): void {
  for (let t = 0; t < params.length; t++) {
    const p = params[t], g = grads[t];
    const buf = momentum !== 0 && momentumBufs ? momentumBufs[t] : null;
    for (let i = 0; i < p.length; i++) {
      let gi = g[i] + weightDecay * p[i];
      if (buf) {
        const b = firstStep ? gi : momentum * buf[i] + (1 - dampening) * gi;
        buf[i] = b;
        gi = nesterov ? gi + momentum * b : b;
      }
      p[i] = p[i] - lr * gi;
    }
  }
}

/**
 * RMSprop (PyTorch, not centred): g = grad + wd·p; sq = alpha·sq + (1−alpha)·g²; avg = sqrt(sq) + eps;
 * with momentum > 0: buf = momentum·buf + g/avg, p −= lr·buf; otherwise p −= lr·g/avg.
 */
export function rmspropStep(
  params: Float32Array[], grads: Float32Array[], squareAvg: Float32Array[], momentumBufs: Float32Array[] | null,
  lr: number, alpha: number, eps: number, weightDecay: number, momentum: number,
): void {
  for (let t = 0; t < params.length; t++) {
    const p = params[t], g = grads[t], sq = squareAvg[t];
    const buf = momentum > 0 && momentumBufs ? momentumBufs[t] : null;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + weightDecay * p[i];
      const s = alpha * sq[i] + (1 - alpha) * gi * gi;
      sq[i] = s;
      const avg = Math.sqrt(s) + eps;
      if (buf) {
        const b = momentum * buf[i] + gi / avg;
        buf[i] = b;
        p[i] = p[i] - lr * b;
      } else {
        p[i] = p[i] - lr * (gi / avg);
      }
    }
  }
}
