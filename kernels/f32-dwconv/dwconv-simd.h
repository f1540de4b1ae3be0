/* The body of the SIMD f32 depthwise kernels, written once over the primitives of kernels/f32-vec (an -avx2.c
 * file includes vec-avx2.h first, an -avx512f.c file vec-avx512f.h, a -neon.c file vec-neon.h) and
 * instantiated per window: the 3x3 and 5x5 kernels pass their size as constants, so the taps unroll; the any
 * kernel passes the geometry's.
 *
 * Each output row is computed QV_N outputs at a time from staged input rows (kernels/f32-vec/stage-rows.h:
 * zero-padded rows split into stride_w phases, so every tap of a vector is one contiguous load, at any stride,
 * dilation and padding): acc = bias, then acc += w[ky][kx] * row_ky[ox + offset_kx] by FMA over the taps, then
 * the clamp. Windows wider than QV_STAGE_MAX_KW, over 256 taps, or planes whose rows do not fit the stack
 * buffer take the scalar kernel.
 *
 * An includer that defines QI_DWCONV_MCA_FN (its kernel's name) and QI_DWCONV_MCA_MACS (kh * kw * QV_N as a
 * decimal literal, for a fixed window) gets llvm-mca region markers (kernels/mca.h, empty in normal builds)
 * around the body of the output loop, QV_N outputs over all taps and the clamp (the store, whole or a row's tail,
 * is left out: its branch would copy the end marker into both paths). */
#ifndef QI_F32_DWCONV_SIMD_H
#define QI_F32_DWCONV_SIMD_H

#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/f32-vec/mca-simd.h"
#include "kernels/f32-vec/stage-rows.h"

#ifndef QI_DWCONV_MCA_MACS
#define QI_DWCONV_MCA_MACS 0 /* no region */
#endif

#define QI_F32_DWCONV_SIMD_MAX_TAPS 256

static inline __attribute__((always_inline)) void qi_f32_dwconv_simd(const qi_window2d *g, const float *input,
                                                                     const float *weights, float bias,
                                                                     float *output,
                                                                     const qi_f32_minmax_params *params,
                                                                     size_t kh, size_t kw) {
  assert(g && input && weights && output && params);
  assert(g->kernel_h == kh && g->kernel_w == kw && g->stride_h >= 1 && g->stride_w >= 1);
  assert(g->dilation_h >= 1 && g->dilation_w >= 1);
  float buf[QV_STAGE_FLOATS] __attribute__((aligned(64)));
  qv_stage st;
  if (kh * kw > QI_F32_DWCONV_SIMD_MAX_TAPS || !qv_stage_plan(&st, g, buf, 0, 0.0f)) {
    qi_f32_dwconv_minmax_ukernel_any__scalar(g, input, weights, bias, output, params);
    return;
  }
  float w[QI_F32_DWCONV_SIMD_MAX_TAPS]; /* a local copy: no store to the output can alias it, so the compiler keeps
                                         the broadcast weights of a 3x3 window in registers */
  for (size_t k = 0; k < kh * kw; k++) w[k] = weights[k];
  size_t offset[QV_STAGE_MAX_KW];
  for (size_t kx = 0; kx < kw; kx++) offset[kx] = qv_stage_tap_offset(&st, g, kx);
  const qv vmin = qv_set1(params->min), vmax = qv_set1(params->max), vbias = qv_set1(bias);
  const size_t plane = g->out_h * g->out_w;
  for (size_t oy0 = 0; oy0 < g->out_h; oy0 += st.band) {
    const size_t oy1 = g->out_h - oy0 < st.band ? g->out_h : oy0 + st.band;
    qv_stage_band(&st, g, input, oy0, oy1);
    for (size_t oy = oy0; oy < oy1; oy++) {
      const float *tap[QI_F32_DWCONV_SIMD_MAX_TAPS]; /* row ky, column kx of the window at ox = 0 */
      for (size_t ky = 0; ky < kh; ky++) {
        const float *row = qv_stage_tap_row(&st, g, oy, ky);
        for (size_t kx = 0; kx < kw; kx++) tap[ky * kw + kx] = row + offset[kx];
      }
      float *out = output + oy * g->out_w;
      const size_t room = plane - oy * g->out_w;
      for (size_t ox = 0; ox < g->out_w; ox += QV_N) {
        if (QI_DWCONV_MCA_MACS != 0) QI_SIMD_MCA_BEGIN(QI_DWCONV_MCA_FN, QI_DWCONV_MCA_MACS);
        /* three partial sums (taps k % 3): a third of the FMA latency chain of one */
        qv acc0 = vbias, acc1 = qv_zero(), acc2 = qv_zero();
        size_t k = 0;
        for (; k + 3 <= kh * kw; k += 3) {
          acc0 = qv_fma(qv_load(tap[k] + ox), qv_set1(w[k]), acc0);
          acc1 = qv_fma(qv_load(tap[k + 1] + ox), qv_set1(w[k + 1]), acc1);
          acc2 = qv_fma(qv_load(tap[k + 2] + ox), qv_set1(w[k + 2]), acc2);
        }
        if (k < kh * kw) acc1 = qv_fma(qv_load(tap[k] + ox), qv_set1(w[k]), acc1);
        if (k + 1 < kh * kw) acc2 = qv_fma(qv_load(tap[k + 1] + ox), qv_set1(w[k + 1]), acc2);
        const qv acc = qv_add(acc0, qv_add(acc1, acc2));
        /* max(min, acc) then min(max, ...) with the bound first: a NaN sum stays NaN */
        const qv y = qv_min(vmax, qv_max(vmin, acc));
        if (QI_DWCONV_MCA_MACS != 0) QI_SIMD_MCA_END(QI_DWCONV_MCA_FN);
        qv_store_room(out + ox, y, room - ox);
      }
    }
  }
}

#endif /* QI_F32_DWCONV_SIMD_H */
