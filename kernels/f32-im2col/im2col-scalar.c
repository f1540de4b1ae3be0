#include <assert.h>
#include <string.h>

#include "kernels/f32-im2col/f32-im2col.h"

/* Output columns [*lo, *hi) whose tap at offset `tap` (= kx * dilation) lands inside [0, in). */
static void valid_range(size_t in, size_t out, size_t stride, size_t pad, size_t tap, size_t *lo, size_t *hi) {
  /* ix = ox * stride + tap - pad must satisfy 0 <= ix < in */
  size_t first = tap >= pad ? 0 : (pad - tap + stride - 1) / stride;
  size_t end = (in + pad > tap) ? (in + pad - tap - 1) / stride + 1 : 0;
  if (end > out) end = out;
  if (first > end) first = end;
  *lo = first;
  *hi = end;
}

void qi_f32_im2col_chw__scalar(const qi_window2d *g, size_t row_begin, size_t row_end, const float *input,
                               float *col) {
  assert(g && input && col);
  assert(g->stride_h >= 1 && g->stride_w >= 1 && g->dilation_h >= 1 && g->dilation_w >= 1);
  const size_t taps = g->kernel_h * g->kernel_w, out_hw = g->out_h * g->out_w;
  for (size_t row = row_begin; row < row_end; row++) {
    const size_t c = row / taps, ky = (row % taps) / g->kernel_w, kx = row % g->kernel_w;
    const float *plane = input + c * g->in_h * g->in_w;
    float *dst = col + row * out_hw;
    size_t ox_lo, ox_hi;
    valid_range(g->in_w, g->out_w, g->stride_w, g->pad_left, kx * g->dilation_w, &ox_lo, &ox_hi);
    for (size_t oy = 0; oy < g->out_h; oy++, dst += g->out_w) {
      const size_t iy_padded = oy * g->stride_h + ky * g->dilation_h;
      if (iy_padded < g->pad_top || iy_padded - g->pad_top >= g->in_h) {
        memset(dst, 0, g->out_w * sizeof(float));
        continue;
      }
      const float *src = plane + (iy_padded - g->pad_top) * g->in_w;
      for (size_t ox = 0; ox < ox_lo; ox++) dst[ox] = 0.0f;
      if (ox_lo < ox_hi) { /* else every tap of the row is padding, and ix0 would wrap below 0 */
        const size_t ix0 = ox_lo * g->stride_w + kx * g->dilation_w - g->pad_left;
        if (g->stride_w == 1) {
          memcpy(dst + ox_lo, src + ix0, (ox_hi - ox_lo) * sizeof(float));
        } else {
          for (size_t ox = ox_lo, ix = ix0; ox < ox_hi; ox++, ix += g->stride_w) dst[ox] = src[ix];
        }
      }
      for (size_t ox = ox_hi; ox < g->out_w; ox++) dst[ox] = 0.0f;
    }
  }
}

void qi_f32_col2im_chw__scalar(const qi_window2d *g, size_t c_begin, size_t c_end, const float *col, float *output) {
  assert(g && col && output);
  assert(g->stride_h >= 1 && g->stride_w >= 1 && g->dilation_h >= 1 && g->dilation_w >= 1);
  const size_t out_hw = g->out_h * g->out_w;
  for (size_t c = c_begin; c < c_end; c++) {
    float *plane = output + c * g->in_h * g->in_w;
    for (size_t ky = 0; ky < g->kernel_h; ky++) {
      for (size_t kx = 0; kx < g->kernel_w; kx++) {
        const size_t row = (c * g->kernel_h + ky) * g->kernel_w + kx;
        const float *src = col + row * out_hw;
        size_t ox_lo, ox_hi;
        valid_range(g->in_w, g->out_w, g->stride_w, g->pad_left, kx * g->dilation_w, &ox_lo, &ox_hi);
        for (size_t oy = 0; oy < g->out_h; oy++, src += g->out_w) {
          const size_t iy_padded = oy * g->stride_h + ky * g->dilation_h;
          if (iy_padded < g->pad_top || iy_padded - g->pad_top >= g->in_h) continue;
          float *dst = plane + (iy_padded - g->pad_top) * g->in_w;
          size_t ix = ox_lo * g->stride_w + kx * g->dilation_w - g->pad_left;
          for (size_t ox = ox_lo; ox < ox_hi; ox++, ix += g->stride_w) dst[ix] += src[ox];
        }
      }
    }
  }
}

void qi_f32_im2col_tile_chw__scalar(const qi_window2d *g, size_t row_begin, size_t row_end, size_t pix_begin,
                                    size_t pix_end, const float *input, float *col) {
  assert(g && input && col && pix_begin < pix_end && pix_end <= g->out_h * g->out_w);
  assert(g->stride_h >= 1 && g->stride_w >= 1 && g->dilation_h >= 1 && g->dilation_w >= 1);
  const size_t taps = g->kernel_h * g->kernel_w, width = pix_end - pix_begin;
  for (size_t row = row_begin; row < row_end; row++) {
    const size_t c = row / taps, ky = (row % taps) / g->kernel_w, kx = row % g->kernel_w;
    const float *plane = input + c * g->in_h * g->in_w;
    float *dst = col + row * width;
    size_t ox_lo, ox_hi;
    valid_range(g->in_w, g->out_w, g->stride_w, g->pad_left, kx * g->dilation_w, &ox_lo, &ox_hi);
    for (size_t p = pix_begin; p < pix_end;) {
      const size_t oy = p / g->out_w, x0 = p % g->out_w;
      const size_t x1 = pix_end - (p - x0) < g->out_w ? pix_end - (p - x0) : g->out_w; /* end of this run */
      float *out = dst + (p - pix_begin);                                               /* pixel (oy, x0) */
      const size_t iy_padded = oy * g->stride_h + ky * g->dilation_h;
      if (iy_padded < g->pad_top || iy_padded - g->pad_top >= g->in_h) {
        for (size_t ox = x0; ox < x1; ox++) out[ox - x0] = 0.0f;
      } else {
        const float *src = plane + (iy_padded - g->pad_top) * g->in_w;
        const size_t tap = kx * g->dilation_w;
        for (size_t ox = x0; ox < x1; ox++)
          out[ox - x0] = ox >= ox_lo && ox < ox_hi ? src[ox * g->stride_w + tap - g->pad_left] : 0.0f;
      }
      p += x1 - x0;
    }
  }
}
