/* Quantized depthwise convolution, direct, on one CHW plane of 8-bit activations with int8 weights
 * (per-channel: one plane = one output channel, so its weights, bias and scale are scalars here).
 *
 *   acc[oy][ox] = bias + sum over in-bounds taps t of w[t] * (x_u8(t) - x_zero_point)
 *   y[oy][ox]   = qi_requant_fp32(acc, scale, y_zero_point, qmin, qmax)            (kernels/requant.h)
 *
 * Padding taps contribute nothing (the same as padding with the zero point). Activations are handled in the
 * uint8 domain (x_domain QI_ACT_DOMAIN_U8, every current kernel): for int8 tensors (sign_flip = 0x80) each loaded
 * byte is x ^ 0x80 (= x + 128) and each stored byte y_u8 ^ 0x80, with zero points and qmin/qmax given in the
 * uint8 domain (int8 value + 128); the results are exactly those of int8 arithmetic. Preconditions:
 * kernel_h * kernel_w <= 65536 (no int32 overflow). Any stride, dilation and padding. */
#ifndef QI_QU8_DWCONV_H
#define QI_QU8_DWCONV_H

#include <stdint.h>

#include "kernels/f32-im2col/window2d.h"
#include "kernels/requant.h"
#include "kernels/ukernel.h"

typedef struct qi_qu8_dwconv_params {
  int32_t x_zero_point; /* the kernel's domain (uint8) */
  int32_t y_zero_point; /* the kernel's domain */
  int32_t qmin, qmax;   /* the kernel's domain, 0 <= qmin <= y_zero_point <= qmax <= 255 in uint8 */
  uint8_t sign_flip;    /* the tensors' XOR into the domain: 0 for uint8 tensors, 0x80 for int8 */
} qi_qu8_dwconv_params;

/* The parameters of input zero point x_zero_point, output zero point y_zero_point and output range
 * [qmin, qmax], all in the tensors' own type (int8 when is_int8, else uint8; input and output of one type), for a
 * kernel of domain d (its config's x_domain). */
qi_qu8_dwconv_params qi_qu8_dwconv_params_make(qi_act_domain d, int32_t x_zero_point, int32_t y_zero_point,
                                               int32_t qmin, int32_t qmax, bool is_int8);

#define QI_QU8_DWCONV_UKERNEL_DECL(fn)                                                                        \
  void fn(const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale,          \
          uint8_t *output, const qi_qu8_dwconv_params *params)
typedef QI_QU8_DWCONV_UKERNEL_DECL((*qi_qu8_dwconv_minmax_ukernel_fn));
typedef qi_qu8_dwconv_params (*qi_qu8_dwconv_params_init_fn)(qi_act_domain d, int32_t x_zero_point,
                                                             int32_t y_zero_point, int32_t qmin, int32_t qmax,
                                                             bool is_int8);

typedef struct qi_qu8_dwconv_config {
  qi_qu8_dwconv_minmax_ukernel_fn ukernel_3x3; /* kernel_h == kernel_w == 3 (any stride / dilation / padding) */
  const char *name_3x3;
  qi_qu8_dwconv_minmax_ukernel_fn ukernel_any; /* every kernel size */
  const char *name_any;
  uint32_t features;         /* QI_CPU_* bits the kernels need */
  qi_act_domain x_domain;    /* how the kernels read activation bytes: init_params(x_domain, ...) */
  qi_qu8_dwconv_params_init_fn init_params;
} qi_qu8_dwconv_config;
QI_KERNEL_PAIR(qi_qu8_dwconv_config, ukernel_3x3, name_3x3);
QI_KERNEL_PAIR(qi_qu8_dwconv_config, ukernel_any, name_any);

/* Never NULL; paths without a kernel of their own fall back. */
const qi_qu8_dwconv_config *qi_qu8_dwconv_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_dwconv_config *const *qi_qu8_dwconv_config_list(size_t *count);

#endif /* QI_QU8_DWCONV_H */
