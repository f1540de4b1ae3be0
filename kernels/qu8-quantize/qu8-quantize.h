/* Quantize (float -> 8-bit) and dequantize (8-bit -> float) with one scale and zero point per call:
 *
 *   quantize:   y = qi_quantize_f32(x, scale, zero_point, qmin, qmax)      (kernels/requant.h: x / scale,
 *               NaN -> zero point, clamp, round half to even, + zero point)
 *   dequantize: y = (float)(x - zero_point) * scale                        (one IEEE multiply)
 *
 * Both work in the uint8 domain: for int8 tensors (sign_flip = 0x80) a stored byte is the uint8-domain value
 * ^ 0x80 (= int8 value + 128) and the zero point, qmin and qmax are given in the uint8 domain (int8 value +
 * 128), which gives exactly the int8 results. Per-axis parameters are an outer loop of calls in the op.
 * Every ISA path computes the same IEEE operations (a division or one multiply, cvtps2dq under the default
 * rounding mode), so results are bit-identical to the scalar kernels. */
#ifndef QI_QU8_QUANTIZE_H
#define QI_QU8_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/isa.h"

typedef struct qi_qu8_quantize_params {
  float scale;        /* finite, > 0 */
  int32_t zero_point; /* uint8 domain */
  int32_t qmin, qmax; /* uint8 domain: 0 <= qmin <= zero_point <= qmax <= 255 (quantize only) */
  uint8_t sign_flip;  /* 0 for uint8 tensors, 0x80 for int8 */
} qi_qu8_quantize_params;

typedef void (*qi_qu8_quantize_ukernel_fn)(size_t n, const float *x, uint8_t *y, const qi_qu8_quantize_params *p);
typedef void (*qi_qu8_dequantize_ukernel_fn)(size_t n, const uint8_t *x, float *y, const qi_qu8_quantize_params *p);

void qi_qu8_quantize_ukernel__scalar(size_t n, const float *x, uint8_t *y, const qi_qu8_quantize_params *p);
void qi_qu8_dequantize_ukernel__scalar(size_t n, const uint8_t *x, float *y, const qi_qu8_quantize_params *p);
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
void qi_qu8_quantize_ukernel__avx2(size_t n, const float *x, uint8_t *y, const qi_qu8_quantize_params *p);
void qi_qu8_dequantize_ukernel__avx2(size_t n, const uint8_t *x, float *y, const qi_qu8_quantize_params *p);
#endif

typedef struct qi_qu8_quantize_config {
  qi_qu8_quantize_ukernel_fn quantize;
  qi_qu8_dequantize_ukernel_fn dequantize;
  const char *quantize_name, *dequantize_name;
} qi_qu8_quantize_config;

/* Never NULL; paths without kernels of their own fall back
 * (avx512vnni -> avxvnni -> avx2 -> scalar). */
const qi_qu8_quantize_config *qi_qu8_quantize_config_get(qi_isa isa);

/* Parameters for a uint8 (is_int8 false) or int8 tensor from the zero point and [qmin, qmax] in the tensor's
 * own domain. */
qi_qu8_quantize_params qi_qu8_quantize_params_make(float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                                                   int is_int8);

#endif /* QI_QU8_QUANTIZE_H */
