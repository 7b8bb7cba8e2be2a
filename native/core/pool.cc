// Max / average pooling over N·C independent planes, spread over the pool in contiguous plane ranges
// (small calls stay on the calling thread).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "conv.h"
#include "thread_pool.h"

namespace ng {
namespace {

constexpr int64_t kParallelMinWork = 1 << 15;  // window taps per call below which one thread wins

template <class F>
void for_planes(const ConvGeom& g, F&& f) {
  const int64_t planes = g.n * g.c;
  const int64_t work = planes * g.oh * g.ow * g.kh * g.kw + planes * g.h * g.w;
  int parts = int(std::min<int64_t>(num_threads(), planes));
  if (work < kParallelMinWork || parts < 1) parts = 1;
  parallel_for(parts, [&](int task, int) {
    const int64_t p0 = planes * task / parts, p1 = planes * (task + 1) / parts;
    for (int64_t p = p0; p < p1; ++p) f(p);
  });
}

}  // namespace

// The common 2×2, stride-2, unpadded window: no bounds checks (every tap is inside the plane).
static void maxpool_2x2(float* op, int32_t* ip, const float* xp, const ConvGeom& g) {
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    const float* r0 = xp + 2 * oh * g.w;
    const float* r1 = r0 + g.w;
    const int32_t base = int32_t(2 * oh * g.w);
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const float v[4] = {r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};
      const int32_t at[4] = {base + int32_t(2 * ow), base + int32_t(2 * ow + 1),
                             base + int32_t(g.w + 2 * ow), base + int32_t(g.w + 2 * ow + 1)};
      float best = v[0];
      int32_t arg = at[0];
      for (int t = 1; t < 4; ++t) {
        if (v[t] > best || (std::isnan(v[t]) && !std::isnan(best))) {
          best = v[t];
          arg = at[t];
        }
      }
      op[oh * g.ow + ow] = best;
      ip[oh * g.ow + ow] = arg;
    }
  }
}

void maxpool2d_forward(float* out, int32_t* idx, const float* x, const ConvGeom& g) noexcept {
  const int64_t HW = g.h * g.w, OP = g.oh * g.ow;
  if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1) {
    for_planes(g, [&](int64_t pl) { maxpool_2x2(out + pl * OP, idx + pl * OP, x + pl * HW, g); });
    return;
  }
  for_planes(g, [&](int64_t pl) {
    const float* xp = x + pl * HW;
    float* op = out + pl * OP;
    int32_t* ip = idx + pl * OP;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t arg = -1;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = ow * g.sw - g.pw + j * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            const float v = xp[ih * g.w + iw];
            if (arg < 0 || v > best || (std::isnan(v) && !std::isnan(best))) {
              best = v;
              arg = ih * g.w + iw;
            }
          }
        }
        op[oh * g.ow + ow] = best;
        ip[oh * g.ow + ow] = int32_t(arg);
      }
    }
  });
}

void maxpool2d_backward(float* dx, const float* dout, const int32_t* idx, const ConvGeom& g) noexcept {
  const int64_t HW = g.h * g.w, OP = g.oh * g.ow;
  for_planes(g, [&](int64_t pl) {
    float* dp = dx + pl * HW;
    if (HW > 0) std::memset(dp, 0, size_t(HW) * sizeof(float));  // dx may be null when HW = 0
    const float* d = dout + pl * OP;
    const int32_t* ip = idx + pl * OP;
    // indices come from the caller: out-of-plane ones are skipped, never written
    for (int64_t k = 0; k < OP; ++k) {
      const int64_t a = ip[k];
      if (a >= 0 && a < HW) dp[a] += d[k];
    }
  });
}

void avgpool2d_forward(float* out, const float* x, const ConvGeom& g) noexcept {
  const int64_t HW = g.h * g.w, OP = g.oh * g.ow;
  const float inv = 1.0f / float(g.kh * g.kw);
  for_planes(g, [&](int64_t pl) {
    const float* xp = x + pl * HW;
    float* op = out + pl * OP;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        float s = 0.0f;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = ow * g.sw - g.pw + j * g.dw;
            if (iw >= 0 && iw < g.w) s += xp[ih * g.w + iw];
          }
        }
        op[oh * g.ow + ow] = s * inv;
      }
    }
  });
}

void avgpool2d_backward(float* dx, const float* dout, const ConvGeom& g) noexcept {
  const int64_t HW = g.h * g.w, OP = g.oh * g.ow;
  const float inv = 1.0f / float(g.kh * g.kw);
  for_planes(g, [&](int64_t pl) {
    float* dp = dx + pl * HW;
    if (HW > 0) std::memset(dp, 0, size_t(HW) * sizeof(float));  // dx may be null when HW = 0
    const float* d = dout + pl * OP;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const float v = d[oh * g.ow + ow] * inv;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = ow * g.sw - g.pw + j * g.dw;
            if (iw >= 0 && iw < g.w) dp[ih * g.w + iw] += v;
          }
        }
      }
    }
  });
}

}  // namespace ng
