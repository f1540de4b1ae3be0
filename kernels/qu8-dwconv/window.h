/* Portable row staging of the 8-bit window kernels (qu8 depthwise convolution and average pooling), no ISA
 * intrinsics, so every SIMD body (window-avx2.h today, a NEON one later) shares it: each output row reads copies
 * of its kernel_h input rows padded with a given byte (the zero point, so padding taps contribute nothing once
 * the zero point is subtracted), and a row of that byte above and below the plane. Every output of a row,
 * borders and ceil_mode overhangs included, can then be computed with full-width vector loads. */
#ifndef QI_QU8_WINDOW_H
#define QI_QU8_WINDOW_H

#include <stdint.h>
#include <string.h>

#include "kernels/f32-im2col/window2d.h"

#define QI_QU8_WINDOW_MAX_ROWS 64      /* taller windows take the scalar kernels */
#define QI_QU8_WINDOW_ROW_BYTES 32768  /* stack for the padded rows; wider planes take the scalar kernels */

/* Bytes of one padded row copy (from padded column 0) for vectors of vec_out outputs at stride_w 1 or 2 (a
 * vector step reads vec_out * stride_w bytes), or 0 when the window is too tall, the stride another one, or the
 * rows do not fit the stack buffer. */
static inline size_t qi_qu8_window_row_bytes(const qi_window2d *g, size_t vec_out) {
  const size_t sx = g->stride_w, vec_end = (g->out_w + vec_out - 1) / vec_out * vec_out;
  if (g->kernel_h > QI_QU8_WINDOW_MAX_ROWS || sx < 1 || sx > 2) return 0;
  const size_t w = (vec_end - 1) * sx + (g->kernel_w - 1) * g->dilation_w + (sx == 1 ? vec_out : 2 * vec_out);
  return (g->kernel_h + 1) * w <= QI_QU8_WINDOW_ROW_BYTES ? w : 0;
}

/* kernel_h slots of padded rows, and the padding row. With dilation_h 1, input row iy lives in slot
 * iy % kernel_h, so consecutive output rows copy only their new rows; the pad columns are written once. */
typedef struct qi_qu8_padded_rows {
  size_t row_w, copy_lo, copy_n;
  size_t slot_row[QI_QU8_WINDOW_MAX_ROWS];
  uint8_t buf[QI_QU8_WINDOW_ROW_BYTES];
} qi_qu8_padded_rows;

static inline void qi_qu8_padded_rows_init(qi_qu8_padded_rows *r, const qi_window2d *g, size_t row_w,
                                           uint8_t pad_byte) {
  r->row_w = row_w;
  r->copy_lo = g->pad_left < row_w ? g->pad_left : row_w;
  r->copy_n = row_w - r->copy_lo < g->in_w ? row_w - r->copy_lo : g->in_w;
  for (size_t s = 0; s < g->kernel_h; s++) r->slot_row[s] = SIZE_MAX;
  memset(r->buf, pad_byte, (g->kernel_h + 1) * row_w);
}

/* The padded input row that tap row ky of output row oy reads (padded column 0 first). kh = g->kernel_h, passed
 * so that a constant one turns iy % kh into a multiply. */
static inline __attribute__((always_inline)) const uint8_t *qi_qu8_padded_row(qi_qu8_padded_rows *r,
                                                                              const qi_window2d *g,
                                                                              const uint8_t *input, size_t oy,
                                                                              size_t ky, size_t kh) {
  const size_t iy_padded = oy * g->stride_h + ky * g->dilation_h;
  if (iy_padded < g->pad_top || iy_padded - g->pad_top >= g->in_h) return r->buf + kh * r->row_w;
  const size_t iy = iy_padded - g->pad_top, s = g->dilation_h == 1 ? iy % kh : ky;
  if (r->slot_row[s] != iy) {
    memcpy(r->buf + s * r->row_w + r->copy_lo, input + iy * g->in_w, r->copy_n);
    r->slot_row[s] = iy;
  }
  return r->buf + s * r->row_w;
}

/* The kernel_h * kernel_w tap pointers of output row oy into its padded rows (tap[ky * kernel_w + kx]: padded
 * column 0 of the tap's row, plus kx * dilation_w). */
static inline __attribute__((always_inline)) void qi_qu8_padded_taps(qi_qu8_padded_rows *r, const qi_window2d *g,
                                                                     const uint8_t *input, size_t oy,
                                                                     const uint8_t **tap) {
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    const uint8_t *row = qi_qu8_padded_row(r, g, input, oy, ky, g->kernel_h);
    for (size_t kx = 0; kx < g->kernel_w; kx++) tap[ky * g->kernel_w + kx] = row + kx * g->dilation_w;
  }
}

/* memcpy of n < 16 bytes without a library call: overlapping word moves inside [0, n) of both buffers. */
static inline void qi_qu8_copy_short(uint8_t *dst, const uint8_t *src, size_t n) {
  if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, src, 8), memcpy(&b, src + n - 8, 8);
    memcpy(dst, &a, 8), memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, src, 4), memcpy(&b, src + n - 4, 4);
    memcpy(dst, &a, 4), memcpy(dst + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
  }
}

/* Bands of output rows for the depthwise kernels: all padded input rows of a band (row_w bytes each, as above)
 * are copied into a 32 KiB buffer before its outputs are computed, so that the loads do not wait on the copy's
 * stores and no row bookkeeping sits in the output loop. */
#define QI_QU8_BAND_BYTES 32768

/* Output rows per band, or 0 when the window's rows do not fit the buffer. */
static inline size_t qi_qu8_band_out_rows(const qi_window2d *g, size_t row_w) {
  const size_t span_h = (g->kernel_h - 1) * g->dilation_h + 1;
  if (!row_w || span_h * row_w > QI_QU8_BAND_BYTES) return 0;
  return (QI_QU8_BAND_BYTES / row_w - span_h) / g->stride_h + 1;
}

/* Stages the padded input rows of output rows [oy0, oy1) into buf (row y - y0 of padded row y, y0 = oy0 *
 * stride_h, which it returns): the pad byte outside the plane, the input row from padded column pad_left, copied
 * by `copy` (the ISA body's memcpy without a library call; inlined, the pointer being a constant there). */
static inline __attribute__((always_inline)) size_t qi_qu8_band_stage(
    uint8_t *buf, const qi_window2d *g, const uint8_t *input, size_t row_w, uint8_t pad_byte, size_t oy0, size_t oy1,
    void (*copy)(uint8_t *dst, const uint8_t *src, size_t n)) {
  const size_t y0 = oy0 * g->stride_h, y1 = (oy1 - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h + 1;
  const size_t copy_lo = g->pad_left < row_w ? g->pad_left : row_w;
  const size_t copy_n = row_w - copy_lo < g->in_w ? row_w - copy_lo : g->in_w;
  memset(buf, pad_byte, (y1 - y0) * row_w);
  const size_t c0 = y0 > g->pad_top ? y0 : g->pad_top, c1 = y1 < g->pad_top + g->in_h ? y1 : g->pad_top + g->in_h;
  for (size_t y = c0; y < c1; y++) copy(buf + (y - y0) * row_w + copy_lo, input + (y - g->pad_top) * g->in_w, copy_n);
  return y0;
}

#endif /* QI_QU8_WINDOW_H */
