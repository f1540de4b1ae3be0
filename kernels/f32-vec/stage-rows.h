/* Row staging of the SIMD f32 window kernels (depthwise convolution, max and average pooling on one CHW plane),
 * over the primitives of vec-avx2.h, vec-avx512f.h or vec-neon.h (include one of them first).
 *
 * The output rows of a plane are computed a band at a time from copies of the band's input rows ("staged
 * rows"), each padded with a pad value (0 for sums, -FLT_MAX for max) and split into stride_w phases:
 *
 *     staged[p * len + j] = padded[stride_w * j + p]     p < stride_w, j < len
 *     padded[i] = input_row[i - pad_left] for pad_left <= i < pad_left + in_w, the pad value elsewhere
 *
 * so the tap at padded column stride_w * ox + t (t = kx * dilation_w) of QV_N consecutive outputs ox.. is one
 * contiguous load at staged + (t % stride_w) * len + t / stride_w + ox (qv_stage_tap_offset). Stride 1 copies a
 * row, stride 2 deinterleaves it with vector shuffles, larger strides gather. len covers the last, partial
 * vector of a row, so every output, borders and ceil_mode overhangs included, is computed with full loads;
 * rows above and below the plane are one row of the pad value. Staging all rows of a band before computing it
 * keeps the copy's stores away from the loads and the row bookkeeping out of the output loop. */
#ifndef QI_F32_VEC_STAGE_ROWS_H
#define QI_F32_VEC_STAGE_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/f32-im2col/window2d.h"

#ifndef QV_N
#error "include kernels/f32-vec/vec-<isa>.h first"
#endif

#define QV_STAGE_FLOATS 8192 /* 32 KiB of stack per call; planes whose rows do not fit take the scalar kernels */
#define QV_STAGE_MAX_KW 64   /* wider windows take the scalar kernels */

typedef struct qv_stage {
  size_t len;          /* floats per phase, a multiple of QV_N */
  size_t row_floats;   /* stride_w * len */
  size_t band;         /* output rows per band */
  size_t iy_begin;     /* input row of the first staged row of the current band */
  float pad;           /* the pad value */
  float *pad_row;      /* row_floats of the pad value */
  float *rows;         /* the staged rows of the band */
} qv_stage;

static inline size_t qv_round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }

/* Lays out buf (QV_STAGE_FLOATS floats, the first `extra` of them left to the caller) for g's rows; false when
 * the window is wider than QV_STAGE_MAX_KW or the rows of one output row do not fit. */
static inline bool qv_stage_plan(qv_stage *st, const qi_window2d *g, float *buf, size_t extra, float pad) {
  const size_t s = g->stride_w, span_w = (g->kernel_w - 1) * g->dilation_w;
  if (g->kernel_w > QV_STAGE_MAX_KW || g->out_w > QV_STAGE_FLOATS || span_w > QV_STAGE_FLOATS || s > 64 ||
      g->out_h == 0 || g->out_w == 0)
    return false;
  st->len = qv_round_up(qv_round_up(g->out_w, QV_N) + span_w / s + 1, QV_N);
  st->row_floats = s * st->len;
  const size_t fixed = extra + st->row_floats;
  if (fixed >= QV_STAGE_FLOATS) return false;
  const size_t fit = (QV_STAGE_FLOATS - fixed) / st->row_floats;
  const size_t span_h = (g->kernel_h - 1) * g->dilation_h + 1;
  if (fit >= g->in_h) st->band = g->out_h;
  else if (fit >= span_h) st->band = (fit - span_h) / g->stride_h + 1;
  else return false;
  st->pad = pad;
  st->pad_row = buf + extra;
  st->rows = st->pad_row + st->row_floats;
  for (size_t i = 0; i < st->row_floats; i += QV_N) qv_store(st->pad_row + i, qv_opaque(qv_set1(pad)));
  return true;
}

/* Offset of tap column kx in a staged row (add ox for the outputs ox..). */
static inline size_t qv_stage_tap_offset(const qv_stage *st, const qi_window2d *g, size_t kx) {
  const size_t t = kx * g->dilation_w;
  return t % g->stride_w * st->len + t / g->stride_w;
}

/* The pad value over dst[0, lo) and dst[hi, n) (n a multiple of QV_N), in whole vectors of the QV_N grid, which
 * may also cover part of [lo, hi): the caller writes that part afterwards. Fewer stores than a full fill. */
static inline void qv_stage_pad_around(float *dst, size_t n, size_t lo, size_t hi, qv vpad) {
  lo = lo < n ? lo : n, hi = hi < n ? hi : n;
  for (size_t i = 0; i < lo; i += QV_N) qv_store(dst + i, qv_opaque(vpad));
  for (size_t i = hi / QV_N * QV_N; i < n; i += QV_N) qv_store(dst + i, qv_opaque(vpad));
}

/* dst[0, n) = padded[0, n) of one input row, n a multiple of QV_N: the pad around, then the row (vector moves and
 * a masked tail load: rows are short, and library calls cost more than the copy). */
static inline void qv_stage_padded(float *dst, size_t n, const float *src, size_t in_w, size_t pad_left, float pad) {
  qv_stage_pad_around(dst, n, pad_left, pad_left + in_w, qv_set1(pad));
  if (pad_left >= n) return;
  const size_t count = n - pad_left < in_w ? n - pad_left : in_w;
  float *d = dst + pad_left;
  size_t i = 0;
  for (; i + QV_N <= count; i += QV_N) qv_store(d + i, qv_opaque(qv_load(src + i)));
  if (i == count) return;
  /* the tail's other lanes are the pad value: stored whole while inside dst (masked stores are slow on AMD) */
  const qv tail = qv_load_tail_fill(src + i, qt_make(count - i), qv_set1(pad));
  if (pad_left + i + QV_N <= n) qv_store(d + i, tail);
  else qv_store_tail(d + i, tail, qt_make(count - i));
}

/* Stores v at base[at, at + QV_N) clipped to base[0, len). */
static inline void qv_store_clipped(float *base, size_t at, qv v, size_t len) {
  if (at + QV_N <= len) qv_store(base + at, v);
  else if (at < len) qv_store_tail(base + at, v, qt_make(len - at));
}

/* Stride 2: the phases dst[0, len) (even padded columns) and dst[len, 2 len) (odd ones) of one input row, by
 * deinterleaving the row itself: its element 2m lands in the phase of pad_left's parity at m + pad_left / 2, its
 * element 2m + 1 in the other phase at m + (pad_left + 1) / 2. (Deinterleaving a padded copy instead would load
 * across the copy's fresh stores, which store forwarding cannot serve.) */
static inline void qv_stage_row2(float *dst, size_t len, const float *src, size_t in_w, size_t pad_left, float pad) {
  const qv vpad = qv_set1(pad);
  float *even_dst = pad_left % 2 ? dst + len : dst, *odd_dst = pad_left % 2 ? dst : dst + len;
  const size_t even_at = pad_left / 2, odd_at = (pad_left + 1) / 2;
  qv_stage_pad_around(even_dst, len, even_at, even_at + (in_w + 1) / 2, vpad);
  qv_stage_pad_around(odd_dst, len, odd_at, odd_at + in_w / 2, vpad);
  for (size_t m = 0; 2 * m < in_w; m += QV_N) {
    const size_t left = in_w - 2 * m; /* floats of the row from 2m on; lanes past the row read as the pad */
    const qv a = left >= QV_N ? qv_load(src + 2 * m) : qv_load_tail_fill(src + 2 * m, qt_make(left), vpad);
    const qv b = left >= 2 * QV_N ? qv_load(src + 2 * m + QV_N)
                 : left > QV_N    ? qv_load_tail_fill(src + 2 * m + QV_N, qt_make(left - QV_N), vpad)
                                  : vpad;
    qv even, odd;
    qv_deinterleave2(a, b, &even, &odd);
    qv_store_clipped(even_dst, even_at + m, even, len);
    qv_store_clipped(odd_dst, odd_at + m, odd, len);
  }
}

static inline void qv_stage_row(const qv_stage *st, const qi_window2d *g, const float *src, float *dst) {
  const size_t s = g->stride_w, len = st->len;
  if (s == 1) {
    qv_stage_padded(dst, len, src, g->in_w, g->pad_left, st->pad);
  } else if (s == 2) {
    qv_stage_row2(dst, len, src, g->in_w, g->pad_left, st->pad);
  } else {
    for (size_t p = 0; p < s; p++)
      for (size_t j = 0; j < len; j++) {
        const size_t i = s * j + p;
        dst[p * len + j] = i >= g->pad_left && i - g->pad_left < g->in_w ? src[i - g->pad_left] : st->pad;
      }
  }
}

/* Stages the input rows that output rows [oy0, oy1) read. */
static inline void qv_stage_band(qv_stage *st, const qi_window2d *g, const float *input, size_t oy0, size_t oy1) {
  const size_t first = oy0 * g->stride_h, last = (oy1 - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h;
  const size_t begin = first > g->pad_top ? first - g->pad_top : 0;
  const size_t end = last >= g->pad_top ? (last - g->pad_top + 1 < g->in_h ? last - g->pad_top + 1 : g->in_h) : 0;
  st->iy_begin = begin;
  for (size_t iy = begin; iy < end; iy++)
    qv_stage_row(st, g, input + iy * g->in_w, st->rows + (iy - begin) * st->row_floats);
}

/* The staged row that tap row ky of output row oy (of the current band) reads: the pad row outside the plane. */
static inline const float *qv_stage_tap_row(const qv_stage *st, const qi_window2d *g, size_t oy, size_t ky) {
  const size_t iy = oy * g->stride_h + ky * g->dilation_h;
  if (iy < g->pad_top || iy - g->pad_top >= g->in_h) return st->pad_row;
  return st->rows + (iy - g->pad_top - st->iy_begin) * st->row_floats;
}

/* Stores one vector of outputs at out[0, QV_N) when `room` (floats writable from out) allows it, else its
 * first `room` lanes. A row's last vector spills into the next rows of the plane, which are written later. */
static inline void qv_store_room(float *out, qv v, size_t room) {
  if (room >= QV_N) qv_store(out, v);
  else qv_store_tail(out, v, qt_make(room));
}

#endif /* QI_F32_VEC_STAGE_ROWS_H */
