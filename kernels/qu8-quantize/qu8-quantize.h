/* Quantize (float -> 8-bit) and dequantize (8-bit -> float) with one scale and zero point per call:
 *
 *   quantize:   y = qi_quantize_f32(x, scale, zero_point, qmin, qmax)      (kernels/requant.h: x / scale,
 *               NaN -> zero point, clamp, round half to even, + zero point)
 *   dequantize: y = (float)(x - zero_point) * scale                        (one IEEE multiply)
 *
 * Both work in the uint8 domain (x_domain QI_ACT_DOMAIN_U8, every current kernel): for int8 tensors (sign_flip = 0x80)
 * a stored byte is the uint8-domain value ^ 0x80 (= int8 value + 128) and the zero point, qmin and qmax are given in
 * the uint8 domain (int8 value + 128), which gives exactly the int8 results. Per-axis parameters are an outer loop of
 * calls in the op. Every ISA path computes the same IEEE operations (a division or one multiply, cvtps2dq under the
 * default rounding mode), so results are bit-identical to the scalar kernels. */
#ifndef QI_QU8_QUANTIZE_H
#define QI_QU8_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/ukernel.h"

typedef struct qi_qu8_quantize_params {
  float scale;        /* finite, > 0 */
  int32_t zero_point; /* the kernel's domain (uint8) */
  int32_t qmin, qmax; /* the kernel's domain: 0 <= qmin <= zero_point <= qmax <= 255 in uint8 (quantize only) */
  uint8_t sign_flip;  /* the tensor's XOR into the domain: 0 for uint8 tensors, 0x80 for int8 */
} qi_qu8_quantize_params;

#define QI_QU8_QUANTIZE_UKERNEL_DECL(fn) void fn(size_t n, const float *x, uint8_t *y, const qi_qu8_quantize_params *p)
#define QI_QU8_DEQUANTIZE_UKERNEL_DECL(fn) \
  void fn(size_t n, const uint8_t *x, float *y, const qi_qu8_quantize_params *p)
typedef QI_QU8_QUANTIZE_UKERNEL_DECL((*qi_qu8_quantize_ukernel_fn));
typedef QI_QU8_DEQUANTIZE_UKERNEL_DECL((*qi_qu8_dequantize_ukernel_fn));

QI_QU8_QUANTIZE_UKERNEL_DECL(qi_qu8_quantize_ukernel__scalar);
QI_QU8_DEQUANTIZE_UKERNEL_DECL(qi_qu8_dequantize_ukernel__scalar);
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
QI_QU8_QUANTIZE_UKERNEL_DECL(qi_qu8_quantize_ukernel__avx2);
QI_QU8_DEQUANTIZE_UKERNEL_DECL(qi_qu8_dequantize_ukernel__avx2);
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
QI_QU8_QUANTIZE_UKERNEL_DECL(qi_qu8_quantize_ukernel__neon);
QI_QU8_DEQUANTIZE_UKERNEL_DECL(qi_qu8_dequantize_ukernel__neon);
#endif

/* Parameters for a uint8 (is_int8 false) or int8 tensor from the zero point and [qmin, qmax] in the tensor's
 * own type, for kernels of domain d (their config's x_domain). */
qi_qu8_quantize_params qi_qu8_quantize_params_make(qi_act_domain d, float scale, int32_t zero_point, int32_t qmin,
                                                   int32_t qmax, int is_int8);
typedef qi_qu8_quantize_params (*qi_qu8_quantize_params_init_fn)(qi_act_domain d, float scale, int32_t zero_point,
                                                                 int32_t qmin, int32_t qmax, int is_int8);

typedef struct qi_qu8_quantize_config {
  qi_qu8_quantize_ukernel_fn quantize;
  const char *quantize_name;
  qi_qu8_dequantize_ukernel_fn dequantize;
  const char *dequantize_name;
  uint32_t features;      /* QI_CPU_* bits the kernels need */
  qi_act_domain x_domain; /* how the kernels see the 8-bit tensor's bytes: init_params(x_domain, ...) */
  qi_qu8_quantize_params_init_fn init_params;
} qi_qu8_quantize_config;
QI_KERNEL_PAIR(qi_qu8_quantize_config, quantize, quantize_name);
QI_KERNEL_PAIR(qi_qu8_quantize_config, dequantize, dequantize_name);

/* Never NULL; paths without kernels of their own fall back
 * (avx512vnni -> avxvnni -> avx2 -> scalar). */
const qi_qu8_quantize_config *qi_qu8_quantize_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_quantize_config *const *qi_qu8_quantize_config_list(size_t *count);

#endif /* QI_QU8_QUANTIZE_H */
