/* The 2-D geometry the SIMD 8-bit max pooling kernels (maxpool-2d-avx2.h, maxpool-2d-neon.h) work on: a 1-D
 * or 2-D qi_windownd as rows (1-D: one row of height 1). Portable, no ISA intrinsics. */
#ifndef QI_MAXPOOL_ROWS_H
#define QI_MAXPOOL_ROWS_H

#include <stddef.h>

#include "kernels/f32-im2col/windownd.h"

/* The 2-D geometry of a 1-D or 2-D qi_windownd (1-D: one row of height 1). */
typedef struct qi_maxpool_rows {
  size_t in_h, in_w, out_h, out_w, kh, kw, sh, sw, dh, dw, pt, pl;
} qi_maxpool_rows;

static inline qi_maxpool_rows qi_maxpool_rows_of(const qi_windownd *g) {
  const size_t a = g->dims - 1; /* the last (row) axis */
  qi_maxpool_rows r = {1, g->in[a], 1, g->out[a], 1, g->kernel[a], 1, g->stride[a], 1, g->dilation[a], 0,
                       g->pad_begin[a]};
  if (g->dims == 2) {
    r.in_h = g->in[0], r.out_h = g->out[0], r.kh = g->kernel[0], r.sh = g->stride[0], r.dh = g->dilation[0];
    r.pt = g->pad_begin[0];
  }
  return r;
}

#endif /* QI_MAXPOOL_ROWS_H */
