/* The body of the NEON 8-bit max pooling kernels over one plane of a 1-D or 2-D window (include only from -neon
 * files; aarch64 and armv7): kernels/u8-maxpool/2d-neon.c (vmaxq_u8) and kernels/s8-maxpool/2d-neon.c
 * (vmaxq_s8) call it with is_signed a constant, on the bytes of either type.
 *
 * As maxpool-2d-avx2.h, with 16-byte vectors: each output row first takes the column-wise max of its in-bounds
 * input rows (16 columns per step) into a row buffer in padded coordinates, whose pad columns (left, right and
 * past the end for ceil_mode overhangs and the last vector) hold the type's lowest value; then the window's taps
 * along the row are max-ed from that buffer, 16 outputs per step for stride_w 1 (one load per tap) or 2 (vld2q:
 * the even bytes of 32), any other stride one output at a time. A window without an in-bounds tap gives the
 * lowest value, which never beats an in-bounds tap, so the result is the scalar kernel's exactly. */
#ifndef QI_MAXPOOL_2D_NEON_H
#define QI_MAXPOOL_2D_NEON_H

#include <arm_neon.h>
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels/u8-maxpool/maxpool-rows.h"

#define QI_MAXPOOL_2D_NEON_ROW_BYTES 16384 /* padded row buffer; wider rows take the scalar kernel */
#define QI_MAXPOOL_2D_NEON_MAX_ROWS 64     /* taller windows take the scalar kernel */

static inline __attribute__((always_inline)) uint8x16_t qi_x8_vmax_neon(uint8x16_t a, uint8x16_t b, bool is_signed) {
  return is_signed ? vreinterpretq_u8_s8(vmaxq_s8(vreinterpretq_s8_u8(a), vreinterpretq_s8_u8(b))) : vmaxq_u8(a, b);
}

static inline __attribute__((always_inline)) uint8_t qi_x8_max_neon_scalar(uint8_t a, uint8_t b, bool is_signed) {
  return (is_signed ? (int8_t)a > (int8_t)b : a > b) ? a : b;
}

/* Bytes of the padded row buffer the kernel needs (from padded column 0), or 0 when it does not fit. */
static inline size_t qi_maxpool_2d_neon_row_bytes(const qi_maxpool_rows *r) {
  const size_t vec_out = (r->out_w + 15) / 16 * 16;
  size_t w = (vec_out - 1) * r->sw + (r->kw - 1) * r->dw + 1 + 32; /* a stride-2 step loads 32 bytes */
  if (w < r->pl + r->in_w) w = r->pl + r->in_w;
  return w <= QI_MAXPOOL_2D_NEON_ROW_BYTES ? w : 0;
}

/* Pools the plane; false (nothing written) when the window takes the scalar kernel instead. */
static inline __attribute__((always_inline)) bool qi_x8_maxpool_2d_neon(const qi_windownd *g, const uint8_t *input,
                                                                        uint8_t *output, bool is_signed) {
  assert(g && input && output && (g->dims == 1 || g->dims == 2));
  const qi_maxpool_rows r = qi_maxpool_rows_of(g);
  const size_t row_w = qi_maxpool_2d_neon_row_bytes(&r);
  if (!row_w || r.kh > QI_MAXPOOL_2D_NEON_MAX_ROWS) return false;
  const uint8_t lowest = is_signed ? 0x80 : 0;
  uint8_t buf[QI_MAXPOOL_2D_NEON_ROW_BYTES];
  memset(buf, lowest, row_w);
  uint8_t *const mid = buf + r.pl; /* column 0 of the input */
  const size_t in_w = r.in_w, out_w = r.out_w, kw = r.kw, dw = r.dw;
  for (size_t oy = 0; oy < r.out_h; oy++) {
    const uint8_t *rows[QI_MAXPOOL_2D_NEON_MAX_ROWS];
    size_t n_rows = 0;
    for (size_t ky = 0; ky < r.kh; ky++) {
      const size_t iy = oy * r.sh + ky * r.dh;
      if (iy >= r.pt && iy - r.pt < r.in_h) rows[n_rows++] = input + (iy - r.pt) * in_w;
    }
    uint8_t *const out_row = output + oy * out_w;
    if (n_rows == 0) {
      memset(out_row, lowest, out_w);
      continue;
    }
    /* column-wise max of the rows into mid[0, in_w); the last vector overlaps the one before */
    if (in_w >= 16) {
      for (size_t x = 0;; x += 16) {
        if (x + 16 > in_w) x = in_w - 16;
        uint8x16_t v = vld1q_u8(rows[0] + x);
        for (size_t i = 1; i < n_rows; i++) v = qi_x8_vmax_neon(v, vld1q_u8(rows[i] + x), is_signed);
        vst1q_u8(mid + x, v);
        if (x + 16 == in_w) break;
      }
    } else {
      for (size_t x = 0; x < in_w; x++) {
        uint8_t v = rows[0][x];
        for (size_t i = 1; i < n_rows; i++) v = qi_x8_max_neon_scalar(v, rows[i][x], is_signed);
        mid[x] = v;
      }
    }
    /* max along the row: outputs ox .. ox + 15 per step; the last partial step through a small buffer */
    if (r.sw == 1 || r.sw == 2) {
      for (size_t ox = 0; ox < out_w; ox += 16) {
        const uint8_t *p = buf + ox * r.sw;
        uint8x16_t m = r.sw == 1 ? vld1q_u8(p) : vld2q_u8(p).val[0];
        for (size_t kx = 1; kx < kw; kx++)
          m = qi_x8_vmax_neon(m, r.sw == 1 ? vld1q_u8(p + kx * dw) : vld2q_u8(p + kx * dw).val[0], is_signed);
        if (ox + 16 <= out_w) {
          vst1q_u8(out_row + ox, m);
        } else {
          uint8_t last[16];
          vst1q_u8(last, m);
          memcpy(out_row + ox, last, out_w - ox);
        }
      }
    } else {
      for (size_t ox = 0; ox < out_w; ox++) {
        const uint8_t *p = buf + ox * r.sw;
        uint8_t v = p[0];
        for (size_t kx = 1; kx < kw; kx++) v = qi_x8_max_neon_scalar(v, p[kx * dw], is_signed);
        out_row[ox] = v;
      }
    }
  }
  return true;
}

#endif /* QI_MAXPOOL_2D_NEON_H */
