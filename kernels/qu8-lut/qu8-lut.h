/* Table lookup on bytes, y[i] = table[x[i]], and the builder of the 256-entry table of a quantized unary
 * function (QLinearSigmoid, QLinearLeakyRelu, QLinearLookup, QLinearConcat's requantization).
 *
 * The table is indexed by the raw stored byte of the input and holds the raw stored byte of the output, so
 * the kernels never look at signedness: for an int8 input, byte b stands for the value (int8_t)b.
 *
 * Builder (qi_qu8_lut_build): for each byte b, with q its value in the input's type,
 *   x = (float)(q - x_zero_point) * x_scale                 (DequantizeLinear)
 *   y = f(x)                                                (qinfer's FP32 unary kernel, kernels/f32-vunary)
 *   table[b] = qi_quantize_f32(y, y_scale, y_zero_point, qmin, qmax)   (QuantizeLinear: division, half even)
 * stored as the output type's byte. */
#ifndef QI_QU8_LUT_H
#define QI_QU8_LUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-vunary/vunary.h"
#include "kernels/ukernel.h"

#define QI_QU8_LUT_UKERNEL_DECL(fn) void fn(size_t n, const uint8_t *x, uint8_t *y, const uint8_t table[256])
typedef QI_QU8_LUT_UKERNEL_DECL((*qi_qu8_lut_ukernel_fn));

QI_QU8_LUT_UKERNEL_DECL(qi_qu8_lut_ukernel__scalar);
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
QI_QU8_LUT_UKERNEL_DECL(qi_qu8_lut_ukernel__avx2);
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
QI_QU8_LUT_UKERNEL_DECL(qi_qu8_lut_ukernel__neon);
#endif

/* The quantization of one side of a table: type (uint8 when !is_int8), scale, zero point in its own domain. */
typedef struct qi_qu8_lut_side {
  bool is_int8;
  float scale;
  int32_t zero_point;
} qi_qu8_lut_side;

/* Builds table[256] for y = f(x) (op with its parameters; QI_VUNARY_COUNT: the identity, which is the
 * requantization from x's parameters to y's). [qmin, qmax]: the output range in its own domain. */
void qi_qu8_lut_build(uint8_t table[256], qi_vunary_op op, const qi_f32_unary_params *fparams, qi_qu8_lut_side x,
                      qi_qu8_lut_side y, int32_t qmin, int32_t qmax);
typedef void (*qi_qu8_lut_build_fn)(uint8_t table[256], qi_vunary_op op, const qi_f32_unary_params *fparams,
                                    qi_qu8_lut_side x, qi_qu8_lut_side y, int32_t qmin, int32_t qmax);

typedef struct qi_qu8_lut_config {
  qi_qu8_lut_ukernel_fn lut;
  const char *name;
  uint32_t features;          /* QI_CPU_* bits the kernel needs */
  qi_act_domain x_domain;     /* QI_ACT_DOMAIN_NATIVE: raw bytes in, raw bytes out (build reads the types) */
  qi_qu8_lut_build_fn build;  /* the table the kernel reads: its parameters */
} qi_qu8_lut_config;
QI_KERNEL_PAIR(qi_qu8_lut_config, lut, name);

/* Never NULL; paths without kernels fall back to avx2 / neon / scalar. */
const qi_qu8_lut_config *qi_qu8_lut_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_lut_config *const *qi_qu8_lut_config_list(size_t *count);

#endif /* QI_QU8_LUT_H */
