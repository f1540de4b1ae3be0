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
 * Activations are handled in the uint8 domain as in kernels/qu8-dwconv/qu8-dwconv.h: for int8 tensors
 * (sign_flip = 0x80) each loaded byte is x ^ 0x80 and each stored byte y_u8 ^ 0x80, zero points and
 * qmin / qmax given in the uint8 domain; the results are exactly those of int8 arithmetic.
 * Precondition: count * 255 < 2^31 (count <= QI_QU8_AVGPOOL_MAX_COUNT), so acc never overflows. */
#ifndef QI_QU8_AVGPOOL_H
#define QI_QU8_AVGPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"
#include "kernels/requant.h"
#include "kernels/isa.h"

#define QI_QU8_AVGPOOL_MAX_COUNT ((size_t)8421504) /* floor((2^31 - 1) / 255) */

typedef enum qi_qu8_avgpool_divisor {
  QI_QU8_AVGPOOL_DIV_VALID = 0,
  QI_QU8_AVGPOOL_DIV_PADDED = 1,
  QI_QU8_AVGPOOL_DIV_WINDOW = 2,
} qi_qu8_avgpool_divisor;

typedef struct qi_qu8_avgpool_params {
  int32_t x_zero_point; /* uint8 domain */
  int32_t y_zero_point; /* uint8 domain */
  int32_t qmin, qmax;   /* uint8 domain, 0 <= qmin <= y_zero_point <= qmax <= 255 */
  uint8_t sign_flip;    /* 0 for uint8 tensors, 0x80 for int8 */
  float x_scale, y_scale; /* finite, > 0: each window's scale is x_scale / (y_scale * (float)count) */
} qi_qu8_avgpool_params;

/* The requantization scale of a window of `count` taps (count >= 1). */
static inline float qi_qu8_avgpool_scale(const qi_qu8_avgpool_params *p, size_t count) {
  return p->x_scale / (p->y_scale * (float)count);
}

/* Global pooling, CHW: output[r] = pooled input[r * length .. r * length + length), for rows r < rows. */
typedef void (*qi_qu8_gavgpool_ukernel_fn)(size_t rows, size_t length, const uint8_t *input, uint8_t *output,
                                           const qi_qu8_avgpool_params *params);
/* Global pooling, channels last: output[c] = pooled input[p * channels + c] over pixels p < pixels. */
typedef void (*qi_qu8_gavgpool_nwc_ukernel_fn)(size_t pixels, size_t channels, const uint8_t *input,
                                               uint8_t *output, const qi_qu8_avgpool_params *params);
/* Windowed pooling over one CHW plane (1-D: a plane of height 1). */
typedef void (*qi_qu8_avgpool2d_ukernel_fn)(const qi_window2d *g, qi_qu8_avgpool_divisor divisor, const uint8_t *input,
                                            uint8_t *output, const qi_qu8_avgpool_params *params);

typedef struct qi_qu8_avgpool_config {
  qi_qu8_gavgpool_ukernel_fn gavgpool;
  qi_qu8_gavgpool_nwc_ukernel_fn gavgpool_nwc;
  qi_qu8_avgpool2d_ukernel_fn avgpool2d;
  const char *name_gavgpool, *name_gavgpool_nwc, *name_avgpool2d;
} qi_qu8_avgpool_config;

/* Never NULL; paths without a kernel of their own fall back. */
const qi_qu8_avgpool_config *qi_qu8_avgpool_config_get(qi_isa isa);

void qi_qu8_gavgpool_ukernel__scalar(size_t rows, size_t length, const uint8_t *input, uint8_t *output,
                                     const qi_qu8_avgpool_params *params);
void qi_qu8_gavgpool_nwc_ukernel__scalar(size_t pixels, size_t channels, const uint8_t *input, uint8_t *output,
                                         const qi_qu8_avgpool_params *params);
void qi_qu8_avgpool2d_chw_ukernel__scalar(const qi_window2d *g, qi_qu8_avgpool_divisor divisor, const uint8_t *input,
                                          uint8_t *output, const qi_qu8_avgpool_params *params);
#if defined(__x86_64__) || defined(__i386__)
void qi_qu8_gavgpool_ukernel__avx2(size_t rows, size_t length, const uint8_t *input, uint8_t *output,
                                   const qi_qu8_avgpool_params *params);
void qi_qu8_gavgpool_nwc_ukernel__avx2(size_t pixels, size_t channels, const uint8_t *input, uint8_t *output,
                                       const qi_qu8_avgpool_params *params);
void qi_qu8_avgpool2d_chw_ukernel__avx2(const qi_window2d *g, qi_qu8_avgpool_divisor divisor, const uint8_t *input,
                                        uint8_t *output, const qi_qu8_avgpool_params *params);
#endif /* x86 */

/* Windowed pooling of any spatial rank over one image of `channels` interleaved channels: input
 * [in pixels][channels], output [out pixels][channels] (channels = 1: one CHW plane of an N-d input). */
void qi_qu8_avgpool_ukernel_nd__scalar(const qi_windownd *g, qi_qu8_avgpool_divisor divisor, size_t channels,
                                       const uint8_t *input, uint8_t *output, const qi_qu8_avgpool_params *params);

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
