/* The W8A16 gemm's packers (layouts in kernels/qs16-gemm/qs16-gemm.h). */
#include <string.h>

#include "kernels/qs16-gemm/qs16-gemm.h"

void qi_qs16_gemm_pack_w(size_t mr, size_t m, size_t k, const int8_t *w, size_t w_m_stride, size_t w_k_stride,
                         const int32_t *bias, const float *scale, int32_t x_zero_point_d, void *packed) {
  assert(mr >= 1 && k >= 1 && k <= QI_QS16_GEMM_MAX_K && x_zero_point_d >= -32768 && x_zero_point_d <= 32767);
  const size_t panel = qi_qs16_gemm_panel_bytes(k, mr);
  for (size_t p0 = 0; p0 < m; p0 += mr) {
    uint8_t *dst = (uint8_t *)packed + p0 / mr * panel;
    memset(dst, 0, panel);
    int64_t *b = (int64_t *)(void *)dst;
    float *s = (float *)(void *)(dst + mr * sizeof(int64_t));
    int16_t *wp = (int16_t *)(void *)(dst + mr * (sizeof(int64_t) + sizeof(float)));
    for (size_t r = 0; r < mr && p0 + r < m; r++) {
      const int8_t *row = w + (p0 + r) * w_m_stride;
      int64_t sum = 0;
      for (size_t j = 0; j < k; j++) {
        const int8_t v = row[j * w_k_stride];
        sum += v;
        wp[(j / 2 * mr + r) * 2 + j % 2] = v;
      }
      b[r] = (bias ? (int64_t)bias[p0 + r] : 0) - (int64_t)x_zero_point_d * sum;
      s[r] = scale[p0 + r];
    }
  }
}

void qi_qs16_gemm_pack_x(size_t k, size_t n, size_t nr, const uint16_t *x, size_t k_stride, size_t n_stride,
                         uint16_t flip, int16_t *packed) {
  assert(k >= 1 && nr >= 1);
  const size_t kp = qi_qs16_round_up(k, 2), block = qi_qs16_gemm_xblock_elems(k, nr);
  for (size_t b0 = 0; b0 < n; b0 += nr) {
    int16_t *dst = packed + b0 / nr * block;
    for (size_t kk = 0; kk < kp; kk++)
      for (size_t j = 0; j < nr; j++)
        dst[(kk / 2 * nr + j) * 2 + kk % 2] =
            kk < k && b0 + j < n ? (int16_t)(x[kk * k_stride + (b0 + j) * n_stride] ^ flip) : 0;
  }
}

void qi_qs16_im2col_packed(const qi_window2d *g, size_t channels, const uint16_t *input, uint16_t flip,
                           int16_t pad_d, size_t pix_begin, size_t pix_end, size_t nr, int16_t *packed) {
  assert(g && input && packed && channels >= 1 && pix_begin < pix_end && pix_end <= g->out_h * g->out_w && nr >= 1);
  const size_t taps = g->kernel_h * g->kernel_w, k = channels * taps, kp = qi_qs16_round_up(k, 2);
  const size_t plane = g->in_h * g->in_w, block = qi_qs16_gemm_xblock_elems(k, nr);
  const size_t n = pix_end - pix_begin, width = qi_qs16_round_up(n, nr);
  for (size_t j = 0; j < width; j++) {
    int16_t *col = packed + j / nr * block + (j % nr) * 2;
    if (j >= n) { /* columns past the range: zeros, their outputs are not stored */
      for (size_t kk = 0; kk < kp; kk++) col[kk / 2 * nr * 2 + kk % 2] = 0;
      continue;
    }
    const size_t p = pix_begin + j, oy = p / g->out_w, ox = p % g->out_w;
    for (size_t kk = 0; kk < kp; kk++) {
      int16_t v = 0;
      if (kk < k) {
        const size_t c = kk / taps, t = kk % taps, ky = t / g->kernel_w, kx = t % g->kernel_w;
        /* unsigned wrap-around makes taps left of / above the input large, hence out of range */
        const size_t iy = oy * g->stride_h + ky * g->dilation_h - g->pad_top;
        const size_t ix = ox * g->stride_w + kx * g->dilation_w - g->pad_left;
        v = iy < g->in_h && ix < g->in_w ? (int16_t)(input[c * plane + iy * g->in_w + ix] ^ flip) : pad_d;
      }
      col[kk / 2 * nr * 2 + kk % 2] = v;
    }
  }
}
