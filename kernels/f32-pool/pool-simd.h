/* The bodies of the SIMD f32 pooling kernels, written once over the primitives of kernels/f32-vec (an -avx2.c
 * file includes vec-avx2.h first, an -avx512f.c file vec-avx512f.h, a -neon.c file vec-neon.h), with the
 * semantics of f32-pool.h.
 *
 * 2-D max and average pooling compute QV_N outputs of a row at a time from staged input rows
 * (kernels/f32-vec/stage-rows.h: rows padded with -FLT_MAX for max, 0 for sums, split into stride_w phases), so
 * borders, dilations and ceil_mode overhangs take the vector path: max starts from -FLT_MAX and keeps the
 * running max unless a tap is larger (a NaN tap never wins), as the scalar kernel; an average divides the
 * window's sum by (taps counted in the window's rows) * (taps counted in its columns), both from the window
 * geometry (in-bounds taps, or with count_include_pad the taps inside the padded extent), the columns' counts
 * from a table made once per plane; a window without an in-bounds tap gives 0. Windows wider than
 * QV_STAGE_MAX_KW and planes whose rows do not fit the stack buffer take the scalar kernels.
 * Global average pooling sums each row in the order of f32-pool.h (identical on every path); max pooling takes
 * two vector accumulators. The average's division is the scalar kernel's, so are its sums: 2-D averages too are
 * identical on every path. */
#ifndef QI_F32_POOL_SIMD_H
#define QI_F32_POOL_SIMD_H

#include <assert.h>
#include <float.h>

#include "kernels/f32-pool/f32-pool.h"
#include "kernels/f32-vec/stage-rows.h"

/* Window taps k < kernel with start + k * dilation in [lo, hi) (padded coordinates). */
static inline size_t qi_f32_pool_taps_in(size_t start, size_t kernel, size_t dilation, size_t lo, size_t hi) {
  size_t n = 0;
  for (size_t k = 0; k < kernel; k++) n += start + k * dilation >= lo && start + k * dilation < hi;
  return n;
}

static inline __attribute__((always_inline)) void qi_f32_maxpool2d_simd(const qi_window2d *g, const float *input,
                                                                        float *output) {
  assert(g && input && output);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  assert(g->dilation_h >= 1 && g->dilation_w >= 1);
  float buf[QV_STAGE_FLOATS] __attribute__((aligned(64)));
  qv_stage st;
  if (!qv_stage_plan(&st, g, buf, 0, -FLT_MAX)) {
    qi_f32_maxpool2d_chw_ukernel__scalar(g, input, output);
    return;
  }
  size_t offset[QV_STAGE_MAX_KW];
  for (size_t kx = 0; kx < g->kernel_w; kx++) offset[kx] = qv_stage_tap_offset(&st, g, kx);
  const size_t plane = g->out_h * g->out_w;
  for (size_t oy0 = 0; oy0 < g->out_h; oy0 += st.band) {
    const size_t oy1 = g->out_h - oy0 < st.band ? g->out_h : oy0 + st.band;
    qv_stage_band(&st, g, input, oy0, oy1);
    for (size_t oy = oy0; oy < oy1; oy++) {
      float *out = output + oy * g->out_w;
      for (size_t ox = 0; ox < g->out_w; ox += QV_N) {
        qv best = qv_set1(-FLT_MAX);
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const float *row = qv_stage_tap_row(&st, g, oy, ky) + ox;
          for (size_t kx = 0; kx < g->kernel_w; kx++) best = qv_max(qv_load(row + offset[kx]), best);
        }
        qv_store_room(out + ox, best, plane - oy * g->out_w - ox);
      }
    }
  }
}

static inline __attribute__((always_inline)) void qi_f32_avgpool2d_simd(const qi_window2d *g,
                                                                        bool count_include_pad,
                                                                        const float *input, float *output) {
  assert(g && input && output);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  assert(g->dilation_h >= 1 && g->dilation_w >= 1);
  float buf[QV_STAGE_FLOATS] __attribute__((aligned(64)));
  qv_stage st;
  const size_t out_w_vec = qv_round_up(g->out_w, QV_N);
  if (out_w_vec >= QV_STAGE_FLOATS || !qv_stage_plan(&st, g, buf, out_w_vec, 0.0f)) {
    qi_f32_avgpool2d_chw_ukernel__scalar(g, count_include_pad, input, output);
    return;
  }
  /* the divisor's column factor (1 where a column has no in-bounds tap: its sum is 0 and so is the output) */
  float *col_count = buf;
  const size_t in_lo_w = g->pad_left, in_hi_w = g->pad_left + g->in_w, padded_w = in_hi_w + g->pad_right;
  for (size_t ox = 0; ox < out_w_vec; ox++) {
    const size_t start = ox * g->stride_w;
    const size_t in = ox < g->out_w ? qi_f32_pool_taps_in(start, g->kernel_w, g->dilation_w, in_lo_w, in_hi_w) : 0;
    const size_t pad = qi_f32_pool_taps_in(start, g->kernel_w, g->dilation_w, 0, padded_w);
    col_count[ox] = in == 0 ? 1.0f : (float)(count_include_pad ? pad : in);
  }
  size_t offset[QV_STAGE_MAX_KW];
  for (size_t kx = 0; kx < g->kernel_w; kx++) offset[kx] = qv_stage_tap_offset(&st, g, kx);
  const size_t plane = g->out_h * g->out_w;
  const size_t in_lo_h = g->pad_top, in_hi_h = g->pad_top + g->in_h, padded_h = in_hi_h + g->pad_bottom;
  for (size_t oy0 = 0; oy0 < g->out_h; oy0 += st.band) {
    const size_t oy1 = g->out_h - oy0 < st.band ? g->out_h : oy0 + st.band;
    qv_stage_band(&st, g, input, oy0, oy1);
    for (size_t oy = oy0; oy < oy1; oy++) {
      float *out = output + oy * g->out_w;
      const size_t start = oy * g->stride_h;
      const size_t in = qi_f32_pool_taps_in(start, g->kernel_h, g->dilation_h, in_lo_h, in_hi_h);
      const size_t pad = qi_f32_pool_taps_in(start, g->kernel_h, g->dilation_h, 0, padded_h);
      /* a row without an in-bounds tap: every sum is 0, any non-zero divisor gives the 0 wanted */
      const qv row_count = qv_set1(in == 0 ? 1.0f : (float)(count_include_pad ? pad : in));
      for (size_t ox = 0; ox < g->out_w; ox += QV_N) {
        qv sum = qv_zero();
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const float *row = qv_stage_tap_row(&st, g, oy, ky) + ox;
          for (size_t kx = 0; kx < g->kernel_w; kx++) sum = qv_add(qv_load(row + offset[kx]), sum);
        }
        const qv avg = qv_div(sum, qv_mul(row_count, qv_load(col_count + ox)));
        qv_store_room(out + ox, avg, plane - oy * g->out_w - ox);
      }
    }
  }
}

/* The summation order of f32-pool.h: partial sum l of the 16 lives in lane l % QV_N of accumulator l / QV_N. The
 * accumulators are folded in halves, acc[a] += acc[a + h] for h = ACCS / 2, ..., 1, which is s[l] += s[l + 8]
 * (AVX2's two accumulators; NEON's four: acc[0] += acc[2], acc[1] += acc[3]), then s[l] += s[l + 4] (NEON:
 * acc[0] += acc[1]), and qv_hsum finishes the tree over the lanes (AVX-512's one accumulator: all of it). */
static inline __attribute__((always_inline)) void qi_f32_gavgpool_simd(size_t rows, size_t length,
                                                                       const float *input, float *output) {
  assert(length >= 1 && input && output);
  enum { ACCS = QI_F32_GAVGPOOL_LANES / QV_N };
  const float scale = 1.0f / (float)length;
  for (size_t r = 0; r < rows; r++, input += length) {
    qv acc[ACCS];
    for (size_t a = 0; a < ACCS; a++) acc[a] = qv_zero();
    size_t i = 0;
    for (; i + QI_F32_GAVGPOOL_LANES <= length; i += QI_F32_GAVGPOOL_LANES)
      for (size_t a = 0; a < ACCS; a++) acc[a] = qv_add(acc[a], qv_load(input + i + a * QV_N));
    /* the tail: lanes past the row add +0, which leaves every partial sum as it is */
    for (size_t a = 0; a < ACCS && i < length; a++, i += QV_N)
      acc[a] = qv_add(acc[a], length - i >= QV_N ? qv_load(input + i) : qv_load_tail(input + i, qt_make(length - i)));
    for (size_t h = ACCS / 2; h >= 1; h /= 2)
      for (size_t a = 0; a < h; a++) acc[a] = qv_add(acc[a], acc[a + h]);
    output[r] = qv_hsum(acc[0]) * scale;
  }
}

static inline __attribute__((always_inline)) void qi_f32_gmaxpool_simd(size_t rows, size_t length,
                                                                       const float *input, float *output) {
  assert(length >= 1 && input && output);
  for (size_t r = 0; r < rows; r++, input += length) {
    /* every lane starts from the row's first value, which the scalar kernel starts from too */
    qv m0 = qv_set1(input[0]), m1 = m0;
    size_t i = 0;
    for (; i + 2 * QV_N <= length; i += 2 * QV_N) {
      m0 = qv_max(qv_load(input + i), m0);
      m1 = qv_max(qv_load(input + i + QV_N), m1);
    }
    for (; i + QV_N <= length; i += QV_N) m0 = qv_max(qv_load(input + i), m0);
    if (i < length) m1 = qv_max(qv_load_tail_fill(input + i, qt_make(length - i), qv_set1(input[0])), m1);
    output[r] = qv_hmax(qv_max(m0, m1));
  }
}

#endif /* QI_F32_POOL_SIMD_H */
