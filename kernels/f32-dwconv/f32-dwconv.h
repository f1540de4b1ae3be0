/* FP32 depthwise convolution, direct, on one CHW plane: output[oy][ox] = clamp(bias + sum over taps of
 * weights[ky * kernel_w + kx] * input[iy][ix]), padding taps contributing nothing. Each ukernel handles any
 * stride, dilation and padding; the 3x3 and 5x5 ones unroll their taps. The SIMD kernels (AVX2, AVX-512: one
 * template, dwconv-simd.h) compute QV_N outputs of a row at a time from staged, padded rows. */
#ifndef QI_F32_DWCONV_H
#define QI_F32_DWCONV_H

#include <stdbool.h>

#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-im2col/window2d.h"

#define QI_F32_DWCONV_UKERNEL_DECL(fn)                                                                         \
  void fn(const qi_window2d *g, const float *input, const float *weights, float bias, float *output,            \
          const qi_f32_minmax_params *params)
typedef QI_F32_DWCONV_UKERNEL_DECL((*qi_f32_dwconv_minmax_ukernel_fn));

typedef struct qi_f32_dwconv_config {
  qi_f32_dwconv_minmax_ukernel_fn ukernel_3x3; /* kernel_h == kernel_w == 3 */
  const char *name_3x3;
  qi_f32_dwconv_minmax_ukernel_fn ukernel_5x5; /* kernel_h == kernel_w == 5 */
  const char *name_5x5;
  qi_f32_dwconv_minmax_ukernel_fn ukernel_any; /* every kernel size */
  const char *name_any;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_dwconv_config;
QI_KERNEL_PAIR(qi_f32_dwconv_config, ukernel_3x3, name_3x3);
QI_KERNEL_PAIR(qi_f32_dwconv_config, ukernel_5x5, name_5x5);
QI_KERNEL_PAIR(qi_f32_dwconv_config, ukernel_any, name_any);

/* Never NULL. */
const qi_f32_dwconv_config *qi_f32_dwconv_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_dwconv_config *const *qi_f32_dwconv_config_list(size_t *count);

QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_3x3__scalar);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_any__scalar);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_3x3__avx2);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_5x5__avx2);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_any__avx2);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_3x3__avx512f);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_5x5__avx512f);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_any__avx512f);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_3x3__neon);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_5x5__neon);
QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_any__neon);

/* Shared border path: one output pixel with bounds checks on every tap (before the clamp). */
static inline float qi_f32_dwconv_border_pixel(const qi_window2d *g, const float *input, const float *weights,
                                               float bias, size_t oy, size_t ox) {
  float acc = bias;
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    const size_t iy_padded = oy * g->stride_h + ky * g->dilation_h;
    if (iy_padded < g->pad_top || iy_padded - g->pad_top >= g->in_h) continue;
    const float *row = input + (iy_padded - g->pad_top) * g->in_w;
    for (size_t kx = 0; kx < g->kernel_w; kx++) {
      const size_t ix_padded = ox * g->stride_w + kx * g->dilation_w;
      if (ix_padded < g->pad_left || ix_padded - g->pad_left >= g->in_w) continue;
      acc += weights[ky * g->kernel_w + kx] * row[ix_padded - g->pad_left];
    }
  }
  return acc;
}

static inline float qi_clamp_f32(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

#endif /* QI_F32_DWCONV_H */
