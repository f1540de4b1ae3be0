/* Quantized average pooling of 8-bit activations (QLinearGlobalAveragePool, QLinearAveragePool).
 *
 * Every output is the sum of its in-bounds inputs minus the zero point, as an exact int32, requantized by
 * qinfer's one rule (kernels/requant.h) with the scale composed in float in exactly this order:
 *
 *   acc   = sum over the window's in-bounds taps of (x_u8 - x_zero_point)
 *   scale = x_scale / (y_scale * (float)count)
 *   y     = qi_requant_fp32(acc, scale, y_zero_point, qmin, qmax)
 *
 * count: the plane's size for global pooling; for windows, by the qi_qu8_avgpool_divisor mode:
 *   QI_QU8_AVGPOOL_DIV_VALID   the number of in-bounds taps (count_include_pad = 0);
 *   QI_QU8_AVGPOOL_DIV_PADDED  the number of taps inside the padded input: the window clipped to
 *                              [-pad_begin, in + pad_end) on each axis (ONNX AveragePool's count_include_pad,
 *                              as ONNX Runtime's float AveragePool and kernels/f32-pool compute it);
 *   QI_QU8_AVGPOOL_DIV_WINDOW  the whole window, kernel_h * kernel_w, even where a ceil_mode window
 *                              overhangs the padded input (ONNX Runtime's QLinearAveragePool).
 * A window without any in-bounds tap gives y_zero_point (the quantized 0), as the float kernels give 0.
 *
 * Activations are handled in the uint8 domain (x_domain QI_ACT_DOMAIN_U8, every current kernel) as in
 * kernels/qu8-dwconv/qu8-dwconv.h: for int8 tensors (sign_flip = 0x80) each loaded byte is x ^ 0x80 and each
 * stored byte y_u8 ^ 0x80, zero points and qmin / qmax given in the uint8 domain; the results are exactly those
 * of int8 arithmetic.
 * Precondition: count * 255 < 2^31 (count <= QI_QU8_AVGPOOL_MAX_COUNT), so acc never overflows. */
#ifndef QI_QU8_AVGPOOL_H
#define QI_QU8_AVGPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"
#include "kernels/requant.h"
#include "kernels/ukernel.h"

#define QI_QU8_AVGPOOL_MAX_COUNT ((size_t)8421504) /* floor((2^31 - 1) / 255) */

typedef enum qi_qu8_avgpool_divisor {
  QI_QU8_AVGPOOL_DIV_VALID = 0,
  QI_QU8_AVGPOOL_DIV_PADDED = 1,
  QI_QU8_AVGPOOL_DIV_WINDOW = 2,
} qi_qu8_avgpool_divisor;

typedef struct qi_qu8_avgpool_params {
  int32_t x_zero_point; /* the kernel's domain (uint8) */
  int32_t y_zero_point; /* the kernel's domain */
  int32_t qmin, qmax;   /* the kernel's domain, 0 <= qmin <= y_zero_point <= qmax <= 255 in uint8 */
  uint8_t sign_flip;    /* the tensors' XOR into the domain: 0 for uint8 tensors, 0x80 for int8 */
  float x_scale, y_scale; /* finite, > 0: each window's scale is x_scale / (y_scale * (float)count) */
} qi_qu8_avgpool_params;

/* The requantization scale of a window of `count` taps (count >= 1). */
static inline float qi_qu8_avgpool_scale(const qi_qu8_avgpool_params *p, size_t count) {
  return p->x_scale / (p->y_scale * (float)count);
}

/* The parameters of x and y (zero points in the tensor's own type, int8 when is_int8), full output range, for a
 * kernel of domain d (its config's x_domain). */
qi_qu8_avgpool_params qi_qu8_avgpool_params_make(qi_act_domain d, float x_scale, int32_t x_zero_point,
                                                 float y_scale, int32_t y_zero_point, bool is_int8);
typedef qi_qu8_avgpool_params (*qi_qu8_avgpool_params_init_fn)(qi_act_domain d, float x_scale, int32_t x_zero_point,
                                                               float y_scale, int32_t y_zero_point, bool is_int8);

/* Global pooling, CHW: output[r] = pooled input[r * length .. r * length + length), for rows r < rows. */
#define QI_QU8_GAVGPOOL_UKERNEL_DECL(fn)                                                                      \
  void fn(size_t rows, size_t length, const uint8_t *input, uint8_t *output, const qi_qu8_avgpool_params *params)
/* Global pooling, channels last: output[c] = pooled input[p * channels + c] over pixels p < pixels. */
#define QI_QU8_GAVGPOOL_NWC_UKERNEL_DECL(fn)                                                                  \
  void fn(size_t pixels, size_t channels, const uint8_t *input, uint8_t *output, const qi_qu8_avgpool_params *params)
/* Windowed pooling over one CHW plane (1-D: a plane of height 1). */
#define QI_QU8_AVGPOOL2D_UKERNEL_DECL(fn)                                                                     \
  void fn(const qi_window2d *g, qi_qu8_avgpool_divisor divisor, const uint8_t *input, uint8_t *output,          \
          const qi_qu8_avgpool_params *params)
/* Windowed pooling of any spatial rank over one image of `channels` interleaved channels: input
 * [in pixels][channels], output [out pixels][channels] (channels = 1: one CHW plane of an N-d input). */
#define QI_QU8_AVGPOOL_ND_UKERNEL_DECL(fn)                                                                    \
  void fn(const qi_windownd *g, qi_qu8_avgpool_divisor divisor, size_t channels, const uint8_t *input,          \
          uint8_t *output, const qi_qu8_avgpool_params *params)
typedef QI_QU8_GAVGPOOL_UKERNEL_DECL((*qi_qu8_gavgpool_ukernel_fn));
typedef QI_QU8_GAVGPOOL_NWC_UKERNEL_DECL((*qi_qu8_gavgpool_nwc_ukernel_fn));
typedef QI_QU8_AVGPOOL2D_UKERNEL_DECL((*qi_qu8_avgpool2d_ukernel_fn));
typedef QI_QU8_AVGPOOL_ND_UKERNEL_DECL((*qi_qu8_avgpool_nd_ukernel_fn));

typedef struct qi_qu8_avgpool_config {
  qi_qu8_gavgpool_ukernel_fn gavgpool;
  const char *name_gavgpool;
  qi_qu8_gavgpool_nwc_ukernel_fn gavgpool_nwc;
  const char *name_gavgpool_nwc;
  qi_qu8_avgpool2d_ukernel_fn avgpool2d;
  const char *name_avgpool2d;
  qi_qu8_avgpool_nd_ukernel_fn avgpool_nd; /* any rank, channels interleaved (the 2d kernel's fallback too) */
  const char *name_avgpool_nd;
  uint32_t features;       /* QI_CPU_* bits the kernels need */
  qi_act_domain x_domain;  /* how the kernels read activation bytes: init_params(x_domain, ...) */
  qi_qu8_avgpool_params_init_fn init_params;
} qi_qu8_avgpool_config;
QI_KERNEL_PAIR(qi_qu8_avgpool_config, gavgpool, name_gavgpool);
QI_KERNEL_PAIR(qi_qu8_avgpool_config, gavgpool_nwc, name_gavgpool_nwc);
QI_KERNEL_PAIR(qi_qu8_avgpool_config, avgpool2d, name_avgpool2d);
QI_KERNEL_PAIR(qi_qu8_avgpool_config, avgpool_nd, name_avgpool_nd);

/* Never NULL; paths without a kernel of their own fall back. */
const qi_qu8_avgpool_config *qi_qu8_avgpool_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_avgpool_config *const *qi_qu8_avgpool_config_list(size_t *count);

QI_QU8_GAVGPOOL_UKERNEL_DECL(qi_qu8_gavgpool_ukernel__scalar);
QI_QU8_GAVGPOOL_NWC_UKERNEL_DECL(qi_qu8_gavgpool_nwc_ukernel__scalar);
QI_QU8_AVGPOOL2D_UKERNEL_DECL(qi_qu8_avgpool2d_chw_ukernel__scalar);
QI_QU8_AVGPOOL_ND_UKERNEL_DECL(qi_qu8_avgpool_ukernel_nd__scalar);
#if defined(__x86_64__) || defined(__i386__)
QI_QU8_GAVGPOOL_UKERNEL_DECL(qi_qu8_gavgpool_ukernel__avx2);
QI_QU8_GAVGPOOL_NWC_UKERNEL_DECL(qi_qu8_gavgpool_nwc_ukernel__avx2);
QI_QU8_AVGPOOL2D_UKERNEL_DECL(qi_qu8_avgpool2d_chw_ukernel__avx2);
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
QI_QU8_GAVGPOOL_UKERNEL_DECL(qi_qu8_gavgpool_ukernel__neon);
QI_QU8_GAVGPOOL_NWC_UKERNEL_DECL(qi_qu8_gavgpool_nwc_ukernel__neon);
QI_QU8_AVGPOOL2D_UKERNEL_DECL(qi_qu8_avgpool2d_chw_ukernel__neon);
#endif /* Arm NEON */

/* Requantizes one window's sum and stores it in the tensor's domain (xor sign_flip); count 0 gives the zero point. */
static inline uint8_t qi_qu8_avgpool_store(int32_t acc, size_t count, const qi_qu8_avgpool_params *p) {
  const int32_t q = count ? qi_requant_fp32(acc, qi_qu8_avgpool_scale(p, count), p->y_zero_point, p->qmin, p->qmax)
                          : p->y_zero_point;
  return (uint8_t)((uint8_t)q ^ p->sign_flip);
}

/* Global pooling's store: sum of the uint8-domain bytes minus zp_sum = x_zero_point * count (|result| < 2^31). */
static inline uint8_t qi_qu8_avgpool_store_sum(int64_t sum, int64_t zp_sum, float scale,
                                               const qi_qu8_avgpool_params *p) {
  return (uint8_t)((uint8_t)qi_requant_fp32((int32_t)(sum - zp_sum), scale, p->y_zero_point, p->qmin, p->qmax) ^
                   p->sign_flip);
}

#endif /* QI_QU8_AVGPOOL_H */
