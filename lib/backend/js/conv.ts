/**
 * The js reference kernels for convolution (im2col + the reference GEMM), pooling and batch norm
 * (see the Backend contract). Plain loops; batch-norm sums in float64.
 */
import { Epilogue, type Conv2dGeometry } from '../backend.js';
import { gemm } from './gemm.js';

/**
 * cols[(c·kH + i)·kW + j, oh·outW + ow] = x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] (0 outside)
 * for one image x [C, H, W] at offset xo; cols is [C·kH·kW, outH·outW] (overwritten).
 */
export function im2col(x: Float32Array, xo: number, cols: Float32Array, g: Conv2dGeometry): void {
  const { c: C, h: H, w: W, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++, r++) {
        let p = r * outH * outW;
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padH + i * dilationH;
          const inRow = ih >= 0 && ih < H;
          const rowBase = xo + (c * H + ih) * W;
          for (let ow = 0; ow < outW; ow++, p++) {
            const iw = ow * strideW - padW + j * dilationW;
            cols[p] = inRow && iw >= 0 && iw < W ? x[rowBase + iw] : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: dx[c, ih, iw] += every cols entry im2col read from there (accumulates). */
export function col2im(cols: Float32Array, dx: Float32Array, xo: number, g: Conv2dGeometry): void {
  const { c: C, h: H, w: W, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++, r++) {
        let p = r * outH * outW;
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= H) { p += outW; continue; }
          const rowBase = xo + (c * H + ih) * W;
          for (let ow = 0; ow < outW; ow++, p++) {
            const iw = ow * strideW - padW + j * dilationW;
            if (iw >= 0 && iw < W) dx[rowBase + iw] += cols[p];
          }
        }
      }
    }
  }
}

export function conv2d(out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array | null, g: Conv2dGeometry): void {
  const P = g.outH * g.outW;
  const CK = g.c * g.kH * g.kW;
  const O = g.outC;
  if (g.n * O * P === 0) return;
  const cols = new Float32Array(CK * P);
  for (let n = 0; n < g.n; n++) {
    const oo = n * O * P;
    const outN = out.subarray(oo, oo + O * P);
    if (CK === 0) outN.fill(0);
    else {
      im2col(x, n * g.c * g.h * g.w, cols, g);
      // out[n] (O×P) = weight (O×CK) · cols (CK×P)
      gemm(false, false, O, P, CK, 1, weight, CK, cols, P, 0, outN, P, Epilogue.none, null, 1, 0, 0, 0);
    }
    if (bias !== null) {
      for (let o = 0; o < O; o++) {
        const b = bias[o];
        for (let p = o * P; p < (o + 1) * P; p++) outN[p] += b;
      }
    }
  }
}

export function conv2dBackward(
  dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null,
  dout: Float32Array, x: Float32Array, weight: Float32Array, g: Conv2dGeometry,
): void {
  const P = g.outH * g.outW;
  const CK = g.c * g.kH * g.kW;
  const O = g.outC;
  const img = g.c * g.h * g.w;
  if (dx !== null) dx.fill(0, 0, g.n * img);
  if (dweight !== null) dweight.fill(0, 0, O * CK);
  if (dbias !== null) {
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let n = 0; n < g.n; n++) {
        const base = (n * O + o) * P;
        for (let p = 0; p < P; p++) s += dout[base + p];
      }
      dbias[o] = s;
    }
  }
  if (P === 0 || CK === 0 || O === 0) return;
  const cols = new Float32Array(CK * P);
  for (let n = 0; n < g.n; n++) {
    const doutN = dout.subarray(n * O * P, (n + 1) * O * P);
    if (dweight !== null) {
      im2col(x, n * img, cols, g);
      // dweight (O×CK) += dout[n] (O×P) · colsᵀ (P×CK)
      gemm(false, true, O, CK, P, 1, doutN, P, cols, P, 1, dweight, CK, Epilogue.none, null, 1, 0, 0, 0);
    }
    if (dx !== null) {
      // dcols (CK×P) = weightᵀ (CK×O) · dout[n] (O×P)
      gemm(true, false, CK, P, O, 1, weight, CK, doutN, P, 0, cols, P, Epilogue.none, null, 1, 0, 0, 0);
      col2im(cols, dx, n * img, g);
    }
  }
}

export function maxPool2d(out: Float32Array, indices: Int32Array, x: Float32Array, g: Conv2dGeometry): void {
  const { h: H, w: W, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const planes = g.n * g.c;
  let k = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, k++) {
        let best = -Infinity;
        let arg = -1;
        for (let i = 0; i < kH; i++) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kW; j++) {
            const iw = ow * strideW - padW + j * dilationW;
            if (iw < 0 || iw >= W) continue;
            const v = x[base + ih * W + iw];
            if (arg < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
              best = v;
              arg = ih * W + iw;
            }
          }
        }
        out[k] = best;
        indices[k] = arg;
      }
    }
  }
}

export function maxPool2dBackward(dx: Float32Array, dout: Float32Array, indices: Int32Array, g: Conv2dGeometry): void {
  const HW = g.h * g.w;
  const OP = g.outH * g.outW;
  const planes = g.n * g.c;
  dx.fill(0, 0, planes * HW);
  for (let pl = 0; pl < planes; pl++) {
    for (let k = pl * OP; k < (pl + 1) * OP; k++) {
      const a = indices[k];
      if (a >= 0) dx[pl * HW + a] += dout[k];
    }
  }
}

export function avgPool2d(out: Float32Array, x: Float32Array, g: Conv2dGeometry): void {
  const { h: H, w: W, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const inv = 1 / (kH * kW);
  const planes = g.n * g.c;
  let k = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, k++) {
        let s = 0;
        for (let i = 0; i < kH; i++) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kW; j++) {
            const iw = ow * strideW - padW + j * dilationW;
            if (iw >= 0 && iw < W) s += x[base + ih * W + iw];
          }
        }
        out[k] = s * inv;
      }
    }
  }
}

export function avgPool2dBackward(dx: Float32Array, dout: Float32Array, g: Conv2dGeometry): void {
  const { h: H, w: W, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const inv = 1 / (kH * kW);
  const planes = g.n * g.c;
  dx.fill(0, 0, planes * H * W);
  let k = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, k++) {
        const d = dout[k] * inv;
        for (let i = 0; i < kH; i++) {
          const ih = oh * strideH - padH + i * dilationH;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kW; j++) {
            const iw = ow * strideW - padW + j * dilationW;
            if (iw >= 0 && iw < W) dx[base + ih * W + iw] += d;
          }
        }
      }
    }
  }
}

export function batchNormStats(mean: Float32Array, variance: Float32Array, x: Float32Array, N: number, C: number, L: number): void {
  const M = N * L;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * L;
      for (let l = 0; l < L; l++) s += x[base + l];
    }
    const m = s / M;
    let q = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * L;
      for (let l = 0; l < L; l++) {
        const d = x[base + l] - m;
        q += d * d;
      }
    }
    mean[c] = m;
    variance[c] = q / M;
  }
}

export function batchNormForward(
  out: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array,
  gamma: Float32Array | null, beta: Float32Array | null, N: number, C: number, L: number,
): void {
  for (let c = 0; c < C; c++) {
    // out = x·scale + shift, computed in float32 like the native kernel
    const scale = Math.fround(invstd[c] * (gamma === null ? 1 : gamma[c]));
    const shift = Math.fround((beta === null ? 0 : beta[c]) - Math.fround(mean[c] * scale));
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * L;
      for (let l = 0; l < L; l++) out[base + l] = Math.fround(x[base + l] * scale) + shift;
    }
  }
}

export function batchNormBackward(
  dx: Float32Array | null, dgamma: Float32Array | null, dbeta: Float32Array | null,
  dout: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array,
  gamma: Float32Array | null, N: number, C: number, L: number, batchStats: boolean,
): void {
  const M = N * L;
  for (let c = 0; c < C; c++) {
    const m = mean[c];
    const is = invstd[c];
    let sd = 0;
    let sdx = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * L;
      for (let l = 0; l < L; l++) {
        const d = dout[base + l];
        sd += d;
        sdx += d * (x[base + l] - m) * is;
      }
    }
    if (dbeta !== null) dbeta[c] = sd;
    if (dgamma !== null) dgamma[c] = sdx;
    if (dx === null) continue;
    const k = (gamma === null ? 1 : gamma[c]) * is;
    const a = batchStats ? sd / M : 0;
    const b = batchStats ? sdx / M : 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * L;
      for (let l = 0; l < L; l++) {
        const xh = (x[base + l] - m) * is;
        dx[base + l] = k * (dout[base + l] - a - xh * b);
      }
    }
  }
}
