#include <assert.h>
#include <string.h>

#include "kernels/f32-im2col/f32-im2col.h"

/* Splits tap index t (row-major over the kernel dims) into per-axis taps k[]. */
static void tap_coords(const qi_windownd *g, size_t t, size_t *k) {
  for (size_t a = g->dims; a-- > 0;) {
    k[a] = t % g->kernel[a];
    t /= g->kernel[a];
  }
}

/* Input offset (row-major in the plane) of the row that output row oc[] (all axes but the last) reads at taps
 * k[]; false when that row lies in the padding. */
static bool input_row(const qi_windownd *g, const size_t *oc, const size_t *k, size_t *offset) {
  size_t off = 0;
  for (size_t a = 0; a + 1 < g->dims; a++) {
    const size_t ip = oc[a] * g->stride[a] + k[a] * g->dilation[a];
    if (ip < g->pad_begin[a] || ip - g->pad_begin[a] >= g->in[a]) return false;
    off = off * g->in[a] + (ip - g->pad_begin[a]);
  }
  *offset = off * g->in[g->dims - 1];
  return true;
}

void qi_f32_im2col_nd__scalar(const qi_windownd *g, size_t row_begin, size_t row_end, const float *input,
                              float *col) {
  assert(g && input && col);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  const size_t taps = qi_windownd_taps(g), out_size = qi_windownd_out_size(g), in_size = qi_windownd_in_size(g);
  const size_t last = g->dims - 1, out_w = g->out[last], s = g->stride[last];
  for (size_t row = row_begin; row < row_end; row++) {
    size_t k[QI_WINDOW_MAX_DIMS], oc[QI_WINDOW_MAX_DIMS] = {0}, lo, hi;
    tap_coords(g, row % taps, k);
    const float *plane = input + (row / taps) * in_size;
    float *dst = col + row * out_size;
    qi_windownd_axis_outputs(g, last, k[last], &lo, &hi);
    const size_t ix0 = lo * s + k[last] * g->dilation[last] - g->pad_begin[last];
    for (size_t r = 0; r < out_size / out_w; r++, dst += out_w) {
      size_t off;
      if (!input_row(g, oc, k, &off)) {
        memset(dst, 0, out_w * sizeof(float));
      } else {
        const float *src = plane + off;
        for (size_t ox = 0; ox < lo; ox++) dst[ox] = 0.0f;
        for (size_t ox = lo, ix = ix0; ox < hi; ox++, ix += s) dst[ox] = src[ix];
        for (size_t ox = hi; ox < out_w; ox++) dst[ox] = 0.0f;
      }
      qi_windownd_step(last, g->out, oc);
    }
  }
}

void qi_f32_col2im_nd__scalar(const qi_windownd *g, size_t c_begin, size_t c_end, const float *col, float *output) {
  assert(g && col && output);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  const size_t taps = qi_windownd_taps(g), out_size = qi_windownd_out_size(g), in_size = qi_windownd_in_size(g);
  const size_t last = g->dims - 1, out_w = g->out[last], s = g->stride[last];
  for (size_t c = c_begin; c < c_end; c++) {
    float *plane = output + c * in_size;
    for (size_t t = 0; t < taps; t++) {
      size_t k[QI_WINDOW_MAX_DIMS], oc[QI_WINDOW_MAX_DIMS] = {0}, lo, hi;
      tap_coords(g, t, k);
      const float *src = col + (c * taps + t) * out_size;
      qi_windownd_axis_outputs(g, last, k[last], &lo, &hi);
      const size_t ix0 = lo * s + k[last] * g->dilation[last] - g->pad_begin[last];
      for (size_t r = 0; r < out_size / out_w; r++, src += out_w) {
        size_t off;
        if (input_row(g, oc, k, &off)) {
          float *dst = plane + off;
          for (size_t ox = lo, ix = ix0; ox < hi; ox++, ix += s) dst[ix] += src[ox];
        }
        qi_windownd_step(last, g->out, oc);
      }
    }
  }
}
