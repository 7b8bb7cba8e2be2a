/**
 * Reference kernels for LayerNorm and scaled-dot-product attention (the executable spec of
 * native/include/transformer_impl.h; contracts in ../backend.ts). Attention works one query row at a
 * time: its scores over the keys in a row buffer (float64), the softmax, the output and the row's
 * log-sum-exp; the backward recomputes the row from q, k and the saved log-sum-exp. Nothing L×S is
 * kept.
 */
import type { SdpaGeometry } from '../backend.js';

export function layerNorm(
  out: Float32Array, mean: Float32Array, rstd: Float32Array, x: Float32Array, weight: Float32Array | null,
  bias: Float32Array | null, rows: number, n: number, eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += x[o + j];
    const mu = s / n;
    let v = 0;
    for (let j = 0; j < n; j++) {
      const d = x[o + j] - mu;
      v += d * d;
    }
    const rs = Math.fround(1 / Math.sqrt(v / n + eps));
    const m = Math.fround(mu);
    mean[r] = m;
    rstd[r] = rs;
    for (let j = 0; j < n; j++) {
      let y = Math.fround(Math.fround(x[o + j] - m) * rs);
      if (weight !== null) y *= weight[j];
      if (bias !== null) y += bias[j];
      out[o + j] = y;
    }
  }
}

export function layerNormBackward(
  dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
  x: Float32Array, mean: Float32Array, rstd: Float32Array, weight: Float32Array | null, rows: number, n: number,
): void {
  const dw = dweight !== null ? new Float64Array(n) : null;
  const db = dbias !== null ? new Float64Array(n) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    const m = mean[r];
    const rs = rstd[r];
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < n; j++) {
      const xh = (x[o + j] - m) * rs;
      const g = weight !== null ? dout[o + j] * weight[j] : dout[o + j];
      s1 += g;
      s2 += g * xh;
      if (dw !== null) dw[j] += dout[o + j] * xh;
      if (db !== null) db[j] += dout[o + j];
    }
    if (dx !== null) {
      const c1 = s1 / n;
      const c2 = s2 / n;
      for (let j = 0; j < n; j++) {
        const xh = (x[o + j] - m) * rs;
        const g = weight !== null ? dout[o + j] * weight[j] : dout[o + j];
        dx[o + j] = rs * (g - c1 - xh * c2);
      }
    }
  }
  if (dweight !== null) for (let j = 0; j < n; j++) dweight[j] = dw![j];
  if (dbias !== null) for (let j = 0; j < n; j++) dbias[j] = db![j];
}

/** Scores of query row i of head (h0, h1) into s[0..S): scale·q·k + mask, −inf for causal futures. */
function scoreRow(
  s: Float64Array, q: Float32Array, k: Float32Array, mask: Float32Array | null, g: SdpaGeometry,
  h0: number, h1: number, i: number,
): void {
  const [q0, q1, qL] = g.qStrides;
  const [k0, k1, kL] = g.kStrides;
  const qo = h0 * q0 + h1 * q1 + i * qL;
  const kb = h0 * k0 + h1 * k1;
  for (let j = 0; j < g.S; j++) {
    if (g.causal && j > i) {
      s[j] = -Infinity;
      continue;
    }
    const ko = kb + j * kL;
    let d = 0;
    for (let e = 0; e < g.E; e++) d += q[qo + e] * k[ko + e];
    let v = d * g.scale;
    if (mask !== null) {
      const [m0, m1, mL, mS] = g.maskStrides!;
      v += mask[h0 * m0 + h1 * m1 + i * mL + j * mS];
    }
    s[j] = v;
  }
}

export function sdpa(
  out: Float32Array, lse: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
  mask: Float32Array | null, g: SdpaGeometry,
): void {
  const { b0, b1, L, S, Ev } = g;
  const [v0, v1, vL] = g.vStrides;
  const s = new Float64Array(S);
  const acc = new Float64Array(Ev);
  for (let h0 = 0; h0 < b0; h0++) {
    for (let h1 = 0; h1 < b1; h1++) {
      const bh = h0 * b1 + h1;
      const vb = h0 * v0 + h1 * v1;
      for (let i = 0; i < L; i++) {
        scoreRow(s, q, k, mask, g, h0, h1, i);
        let mx = -Infinity;
        for (let j = 0; j < S; j++) if (s[j] > mx) mx = s[j];
        const oo = (bh * L + i) * Ev;
        if (mx === -Infinity) {
          // every key masked out: output 0, lse −inf (zero gradients)
          for (let e = 0; e < Ev; e++) out[oo + e] = 0;
          lse[bh * L + i] = -Infinity;
          continue;
        }
        let sum = 0;
        acc.fill(0);
        for (let j = 0; j < S; j++) {
          if (s[j] === -Infinity) continue;
          const p = Math.exp(s[j] - mx);
          sum += p;
          const vo = vb + j * vL;
          for (let e = 0; e < Ev; e++) acc[e] += p * v[vo + e];
        }
        for (let e = 0; e < Ev; e++) out[oo + e] = acc[e] / sum;
        lse[bh * L + i] = mx + Math.log(sum);
      }
    }
  }
}

export function sdpaBackward(
  dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array, q: Float32Array, k: Float32Array,
  v: Float32Array, out: Float32Array, lse: Float32Array, mask: Float32Array | null, g: SdpaGeometry,
): void {
  const { b0, b1, L, S, E, Ev, scale } = g;
  const [q0, q1, qL] = g.qStrides;
  const [k0, k1, kL] = g.kStrides;
  const [v0, v1, vL] = g.vStrides;
  const s = new Float64Array(S);
  dq.fill(0, 0, b0 * b1 * L * E);
  dk.fill(0, 0, b0 * b1 * S * E);
  dv.fill(0, 0, b0 * b1 * S * Ev);
  for (let h0 = 0; h0 < b0; h0++) {
    for (let h1 = 0; h1 < b1; h1++) {
      const bh = h0 * b1 + h1;
      const qb = h0 * q0 + h1 * q1;
      const kb = h0 * k0 + h1 * k1;
      const vb = h0 * v0 + h1 * v1;
      for (let i = 0; i < L; i++) {
        const l = lse[bh * L + i];
        if (l === -Infinity) continue;
        scoreRow(s, q, k, mask, g, h0, h1, i);
        const oo = (bh * L + i) * Ev;
        let D = 0;
        for (let e = 0; e < Ev; e++) D += dout[oo + e] * out[oo + e];
        const qo = qb + i * qL;
        const dqo = (bh * L + i) * E;
        for (let j = 0; j < S; j++) {
          if (s[j] === -Infinity) continue;
          const p = Math.exp(s[j] - l);
          const vo = vb + j * vL;
          const dvo = (bh * S + j) * Ev;
          let dp = 0;
          for (let e = 0; e < Ev; e++) {
            dv[dvo + e] += p * dout[oo + e];
            dp += dout[oo + e] * v[vo + e];
          }
          const ds = p * (dp - D) * scale;
          const ko = kb + j * kL;
          const dko = (bh * S + j) * E;
          for (let e = 0; e < E; e++) {
            dq[dqo + e] += ds * k[ko + e];
            dk[dko + e] += ds * q[qo + e];
          }
        }
      }
    }
  }
}
