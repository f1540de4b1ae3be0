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

/* Appends v at column jr of the block row *d (nr columns, 2 int16 each), moving to the next block's row after nr. */
#define PUT(v)                  \
  do {                          \
    d[jr * 2] = (v);            \
    if (++jr == nr) {           \
      jr = 0;                   \
      d += block;               \
    }                           \
  } while (0)

void qi_qs16_im2col_packed(const qi_window2d *g, size_t channels, const uint16_t *input, uint16_t flip,
                           int16_t pad_d, size_t pix_begin, size_t pix_end, size_t nr, int16_t *packed) {
  assert(g && input && packed && channels >= 1 && pix_begin < pix_end && pix_end <= g->out_h * g->out_w && nr >= 1);
  const size_t taps = g->kernel_h * g->kernel_w, k = channels * taps, kp = qi_qs16_round_up(k, 2);
  const size_t plane = g->in_h * g->in_w, block = qi_qs16_gemm_xblock_elems(k, nr);
  const size_t n = pix_end - pix_begin, width = qi_qs16_round_up(n, nr), sw = g->stride_w;
  /* Row by row of K (element (kk, j) lands at block j / nr, pair kk / 2, column j % nr, parity kk % 2), the
   * pixels by runs along an output row: per row of K, the outputs [lo, hi) whose tap column is inside the input
   * are known once, so a run is padding, a strided copy, padding. */
  for (size_t kk = 0; kk < kp; kk++) {
    int16_t *d = packed + kk / 2 * nr * 2 + kk % 2;
    size_t jr = 0;
    if (kk >= k) { /* the pair's padding row: zeros (the weights are 0 there too) */
      for (size_t j = 0; j < width; j++) PUT(0);
      continue;
    }
    const size_t c = kk / taps, t = kk % taps, ky = t / g->kernel_w, kx = t % g->kernel_w;
    const uint16_t *src = input + c * plane;
    /* tap column ix = ox * sw + off; inside the input for ox in [lo, hi) */
    const long off = (long)(kx * g->dilation_w) - (long)g->pad_left, in_w = (long)g->in_w;
    size_t lo = off >= 0 ? 0 : (size_t)((-off + (long)sw - 1) / (long)sw);
    size_t hi = in_w > off ? (size_t)((in_w - off + (long)sw - 1) / (long)sw) : 0;
    hi = hi < g->out_w ? hi : g->out_w;
    lo = lo < hi ? lo : hi;
    for (size_t p = pix_begin; p < pix_end;) {
      const size_t oy = p / g->out_w, ox0 = p % g->out_w;
      const size_t ox1 = g->out_w - ox0 < pix_end - p ? g->out_w : ox0 + (pix_end - p);
      const size_t iy = oy * g->stride_h + ky * g->dilation_h - g->pad_top; /* wraps above the input: large */
      if (iy >= g->in_h) {
        for (size_t ox = ox0; ox < ox1; ox++) PUT(pad_d);
      } else {
        const uint16_t *srow = src + iy * g->in_w;
        const size_t a = ox0 > lo ? ox0 : lo, b = ox1 < hi ? ox1 : hi;
        size_t ox = ox0;
        for (; ox < a && ox < ox1; ox++) PUT(pad_d);
        for (; ox < b; ox++) PUT((int16_t)(srow[(long)(ox * sw) + off] ^ flip));
        for (; ox < ox1; ox++) PUT(pad_d);
      }
      p += ox1 - ox0;
    }
    for (size_t j = n; j < width; j++) PUT(0); /* columns past the range: their outputs are not stored */
  }
}

#undef PUT
