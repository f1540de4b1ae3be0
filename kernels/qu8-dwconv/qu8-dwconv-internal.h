/* Kernel declarations of the qu8-dwconv family and the border path they share (the contract for callers is
 * qu8-dwconv.h; this header is for the family's kernels, config and tests). */
#ifndef QI_QU8_DWCONV_INTERNAL_H
#define QI_QU8_DWCONV_INTERNAL_H

#include <assert.h>

#include "kernels/qu8-dwconv/qu8-dwconv.h"

QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_3x3__scalar);
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_any__scalar);
#if defined(__x86_64__) || defined(__i386__)
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_3x3__avx2);
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_any__avx2);
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_3x3__avxvnni);
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_any__avxvnni);
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_3x3__avx512vnni);
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_any__avx512vnni);
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_3x3__neon);
QI_QU8_DWCONV_UKERNEL_DECL(qi_qu8_dwconv_minmax_ukernel_any__neon);
#endif /* Arm NEON */

/* Requantizes an accumulator and stores it in the tensor's domain (xor sign_flip). */
static inline uint8_t qi_qu8_dwconv_store(int32_t acc, float scale, const qi_qu8_dwconv_params *p) {
  return (uint8_t)((uint8_t)qi_requant_fp32(acc, scale, p->y_zero_point, p->qmin, p->qmax) ^ p->sign_flip);
}

/* One output pixel with a bounds check on every tap; returns the accumulator (before requantization). */
static inline int32_t qi_qu8_dwconv_border_acc(const qi_window2d *g, const uint8_t *input, const int8_t *weights,
                                               int32_t bias, const qi_qu8_dwconv_params *p, size_t oy, size_t ox) {
  int32_t acc = bias;
  const int32_t zp = p->x_zero_point;
  const uint8_t flip = p->sign_flip;
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    const size_t iy_padded = oy * g->stride_h + ky * g->dilation_h;
    if (iy_padded < g->pad_top || iy_padded - g->pad_top >= g->in_h) continue;
    const uint8_t *row = input + (iy_padded - g->pad_top) * g->in_w;
    for (size_t kx = 0; kx < g->kernel_w; kx++) {
      const size_t ix_padded = ox * g->stride_w + kx * g->dilation_w;
      if (ix_padded < g->pad_left || ix_padded - g->pad_left >= g->in_w) continue;
      acc += (int32_t)weights[ky * g->kernel_w + kx] * ((int32_t)(row[ix_padded - g->pad_left] ^ flip) - zp);
    }
  }
  return acc;
}

/* One interior output pixel (every tap in bounds) whose window starts at `origin`. */
static inline int32_t qi_qu8_dwconv_interior_acc(const qi_window2d *g, const uint8_t *origin, const int8_t *weights,
                                                 int32_t bias, int32_t zp, uint8_t flip) {
  int32_t acc = bias;
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    const uint8_t *row = origin + ky * g->dilation_h * g->in_w;
    const int8_t *w = weights + ky * g->kernel_w;
    for (size_t kx = 0; kx < g->kernel_w; kx++) acc += (int32_t)w[kx] * ((int32_t)(row[kx * g->dilation_w] ^ flip) - zp);
  }
  return acc;
}

/* Writes every output pixel of rows [oy0, oy1) and columns [ox0, ox1) through the border path. */
static inline void qi_qu8_dwconv_border_block(const qi_window2d *g, const uint8_t *input, const int8_t *weights,
                                              int32_t bias, float scale, uint8_t *output,
                                              const qi_qu8_dwconv_params *p, size_t oy0, size_t oy1, size_t ox0,
                                              size_t ox1) {
  for (size_t oy = oy0; oy < oy1; oy++)
    for (size_t ox = ox0; ox < ox1; ox++)
      output[oy * g->out_w + ox] = qi_qu8_dwconv_store(qi_qu8_dwconv_border_acc(g, input, weights, bias, p, oy, ox),
                                                       scale, p);
}

static inline void qi_qu8_dwconv_check(const qi_window2d *g, const uint8_t *input, const int8_t *weights,
                                       uint8_t *output, const qi_qu8_dwconv_params *p) {
  (void)g, (void)input, (void)weights, (void)output, (void)p;
  assert(g && input && weights && output && p);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->kernel_h * g->kernel_w <= 65536);
  assert(g->stride_h >= 1 && g->stride_w >= 1 && g->dilation_h >= 1 && g->dilation_w >= 1);
  assert(p->qmin >= 0 && p->qmin <= p->y_zero_point && p->y_zero_point <= p->qmax && p->qmax <= 255);
  assert(p->x_zero_point >= 0 && p->x_zero_point <= 255);
  assert(p->sign_flip == 0 || p->sign_flip == 0x80);
}

#endif /* QI_QU8_DWCONV_INTERNAL_H */
