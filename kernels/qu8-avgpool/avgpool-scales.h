/* The per-output scales of the SIMD windowed average pooling kernels (avgpool-avx2.c, avgpool-neon.c), portable:
 * each output's scale x_scale / (y_scale * count) by the scalar formula, computed once per distinct row count
 * (in-bounds and padded taps of the row's window) into a table over the columns; 0 for windows without an
 * in-bounds tap (their sum minus the zero points is 0: they give y_zero_point), and 0 for the 16 columns past
 * out_w that a last vector computes. */
#ifndef QI_QU8_AVGPOOL_SCALES_H
#define QI_QU8_AVGPOOL_SCALES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels/qu8-avgpool/qu8-avgpool.h"

#define QI_QU8_AVGPOOL_SCALES_MAX_OUT_W 2048 /* wider planes take the scalar kernel */
#define QI_QU8_AVGPOOL_SIMD_MAX_TAPS 256     /* 16-bit lane sums of 257 bytes at most; larger windows: scalar */

/* true when a SIMD kernel whose padded rows are row_w bytes (0: they do not fit) takes the window. */
static inline bool qi_qu8_avgpool_simd_takes(const qi_window2d *g, size_t row_w) {
  return row_w && g->kernel_h * g->kernel_w <= QI_QU8_AVGPOOL_SIMD_MAX_TAPS &&
         g->out_w <= QI_QU8_AVGPOOL_SCALES_MAX_OUT_W;
}

typedef struct qi_qu8_avgpool_scales {
  uint16_t col_valid[QI_QU8_AVGPOOL_SCALES_MAX_OUT_W], col_padded[QI_QU8_AVGPOOL_SCALES_MAX_OUT_W];
  float scale[QI_QU8_AVGPOOL_SCALES_MAX_OUT_W + 16];
  uint32_t key; /* (row valid, row padded) the table was made for */
} qi_qu8_avgpool_scales;

/* Taps of one axis for output coordinate o: in bounds ([pad, pad + in) in padded coordinates) and inside the
 * padded extent ([0, pad + in + pad_end)). */
static inline void qi_qu8_avgpool_axis_counts(size_t o, size_t stride, size_t kernel, size_t dilation, size_t pad,
                                              size_t in, size_t pad_end, uint16_t *valid, uint16_t *padded) {
  size_t v = 0, p = 0;
  for (size_t k = 0; k < kernel; k++) {
    const size_t c = o * stride + k * dilation;
    v += c >= pad && c < pad + in;
    p += c < pad + in + pad_end;
  }
  *valid = (uint16_t)v;
  *padded = (uint16_t)p;
}

/* Precondition: g->out_w <= QI_QU8_AVGPOOL_SCALES_MAX_OUT_W. */
static inline void qi_qu8_avgpool_scales_init(qi_qu8_avgpool_scales *s, const qi_window2d *g) {
  for (size_t ox = 0; ox < g->out_w; ox++)
    qi_qu8_avgpool_axis_counts(ox, g->stride_w, g->kernel_w, g->dilation_w, g->pad_left, g->in_w, g->pad_right,
                               &s->col_valid[ox], &s->col_padded[ox]);
  memset(s->scale + g->out_w, 0, 16 * sizeof(float));
  s->key = UINT32_MAX;
}

/* Makes s->scale[0, out_w) those of output row oy (unless the previous row's counts were the same). */
static inline void qi_qu8_avgpool_scales_row(qi_qu8_avgpool_scales *s, const qi_window2d *g,
                                             qi_qu8_avgpool_divisor divisor, const qi_qu8_avgpool_params *p,
                                             size_t oy) {
  uint16_t rv, rp;
  qi_qu8_avgpool_axis_counts(oy, g->stride_h, g->kernel_h, g->dilation_h, g->pad_top, g->in_h, g->pad_bottom, &rv,
                             &rp);
  if (((uint32_t)rv << 16 | rp) == s->key) return;
  s->key = (uint32_t)rv << 16 | rp;
  for (size_t ox = 0; ox < g->out_w; ox++) {
    const size_t valid = (size_t)rv * s->col_valid[ox];
    const size_t count = divisor == QI_QU8_AVGPOOL_DIV_VALID    ? valid
                         : divisor == QI_QU8_AVGPOOL_DIV_PADDED ? (size_t)rp * s->col_padded[ox]
                                                                : g->kernel_h * g->kernel_w;
    s->scale[ox] = valid ? qi_qu8_avgpool_scale(p, count) : 0.0f;
  }
}

#endif /* QI_QU8_AVGPOOL_SCALES_H */
