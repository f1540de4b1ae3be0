#include <assert.h>
#include <stdbool.h>
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

/* Columns [x0, x1) of one output row of a column-matrix row: dst[ox - x0] = src[ox * stride + tap - pad] for ox in
 * [lo, hi) (the taps inside the input row; src NULL when the whole input row is padding), 0 elsewhere. Three
 * plain loops (zeros, copy, zeros) instead of a test per element; stride 2 has a constant step, which the
 * compiler vectorises. */
/* Runs are short (at most a column block of the gemm's NR floats in the tile kernel): GCC would turn the copy
 * and zero loops into memcpy / memset calls, whose call costs more than such a run. */
#if defined(__GNUC__) && !defined(__clang__)
#define QI_NO_LIBC_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define QI_NO_LIBC_LOOPS
#endif

QI_NO_LIBC_LOOPS static inline void row_run(float *restrict dst, const float *restrict src, size_t x0, size_t x1, size_t lo,
                                            size_t hi, size_t stride, size_t tap, size_t pad) {
  if (!src) lo = hi = x1;
  lo = lo < x0 ? x0 : (lo > x1 ? x1 : lo);
  hi = hi > x1 ? x1 : (hi < lo ? lo : hi);
  for (size_t i = 0; i < lo - x0; i++) dst[i] = 0.0f;
  if (lo < hi) { /* else every tap of the run is padding, and the first ix would wrap below 0 */
    const float *s = src + lo * stride + tap - pad;
    float *d = dst + (lo - x0);
    const size_t n = hi - lo;
    if (stride == 1)
      for (size_t i = 0; i < n; i++) d[i] = s[i];
    else if (stride == 2)
      for (size_t i = 0; i < n; i++) d[i] = s[2 * i];
    else
      for (size_t i = 0; i < n; i++) d[i] = s[stride * i];
  }
  for (size_t i = 0; i < x1 - hi; i++) dst[hi - x0 + i] = 0.0f;
}

QI_NO_LIBC_LOOPS void qi_f32_im2col_chw__scalar(const qi_window2d *g, size_t row_begin, size_t row_end, const float *input,
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
      const bool inside = iy_padded >= g->pad_top && iy_padded - g->pad_top < g->in_h;
      row_run(dst, inside ? plane + (iy_padded - g->pad_top) * g->in_w : NULL, 0, g->out_w, ox_lo, ox_hi,
              g->stride_w, kx * g->dilation_w, g->pad_left);
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

QI_NO_LIBC_LOOPS void qi_f32_im2col_tile_chw__scalar(const qi_window2d *g, size_t row_begin, size_t row_end, size_t pix_begin,
                                    size_t pix_end, size_t block, size_t rows, const float *input, float *col) {
  assert(g && input && col && pix_begin < pix_end && pix_end <= g->out_h * g->out_w);
  assert(g->stride_h >= 1 && g->stride_w >= 1 && g->dilation_h >= 1 && g->dilation_w >= 1);
  assert(block >= 1 && row_end <= rows);
  const size_t taps = g->kernel_h * g->kernel_w;
  for (size_t row = row_begin; row < row_end; row++) {
    const size_t c = row / taps, ky = (row % taps) / g->kernel_w, kx = row % g->kernel_w;
    const float *plane = input + c * g->in_h * g->in_w;
    float *dst = col + row * block;
    size_t ox_lo, ox_hi;
    valid_range(g->in_w, g->out_w, g->stride_w, g->pad_left, kx * g->dilation_w, &ox_lo, &ox_hi);
    /* runs of one output row that stay inside one column block: (oy, x) the run's first pixel, (blk, off) its
     * block and place in it, all advanced without a division */
    size_t oy = pix_begin / g->out_w, x = pix_begin % g->out_w, blk = 0, off = 0;
    for (size_t p = pix_begin; p < pix_end;) {
      size_t n = g->out_w - x;
      if (n > pix_end - p) n = pix_end - p;
      if (n > block - off) n = block - off;
      const size_t iy_padded = oy * g->stride_h + ky * g->dilation_h;
      const bool inside = iy_padded >= g->pad_top && iy_padded - g->pad_top < g->in_h;
      row_run(dst + blk * rows * block + off, inside ? plane + (iy_padded - g->pad_top) * g->in_w : NULL, x, x + n,
              ox_lo, ox_hi, g->stride_w, kx * g->dilation_w, g->pad_left);
      p += n, x += n, off += n;
      if (x == g->out_w) x = 0, oy++;
      if (off == block) off = 0, blk++;
    }
  }
}
