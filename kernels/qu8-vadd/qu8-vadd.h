/* Quantized addition of two 8-bit vectors (or a vector and one broadcast value) (docs/quantization.md,
 * "QLinearAdd"). Two formulas, both those ONNX Runtime computes, so that a quantized model gives the same
 * bytes in qinfer and in ORT (a one-step difference in a residual Add would otherwise spread through every
 * later layer):
 *
 *   fused  (QLinearAdd, and a QDQ Add whose output is quantized directly; ORT's QLinearAdd kernel):
 *          ra = a_scale / y_scale, rb = b_scale / y_scale, fixed = y_zp - fma(ra, a_zp, rb * b_zp)
 *          y  = sat(round_half_even(fma(a, ra, fma(b, rb, fixed))))
 *          with b broadcast: fixed_b = fixed + b * rb (a multiply, then an add), y = sat(rne(fma(a, ra, fixed_b)))
 *   float  (a QDQ Add followed by Relu / Clip before its QuantizeLinear; ORT runs DequantizeLinear, Add, the
 *          activation and QuantizeLinear in float):
 *          s = (float)(a - a_zp) * a_scale + (float)(b - b_zp) * b_scale
 *          y = sat(round_half_even(s / y_scale) + y_zp)   (the activation: the [qmin, qmax] clamp, exact)
 *
 * a, b are the stored values (uint8, or int8 as signed values: x_domain QI_ACT_DOMAIN_NATIVE, no XOR, the type from
 * the params' is_int8, since the float formula must see the tensors' own values); every float operation is IEEE
 * binary32 with round-to-nearest-even, the fused multiply-adds are single-rounding (fmaf in C, vfmadd on x86, vfma on
 * ARM), and nothing else is contracted (the build uses -ffp-contract=off), so every ISA gives the same bytes. sat
 * clamps to [qmin, qmax], the type's range narrowed by a fused activation. */
#ifndef QI_QU8_VADD_H
#define QI_QU8_VADD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/ukernel.h"

typedef struct qi_qu8_add_params {
  float a_ratio, b_ratio, fixed;   /* fused formula */
  float a_scale, b_scale, y_scale; /* float formula */
  int32_t a_zero_point, b_zero_point, y_zero_point;
  int32_t qmin, qmax;              /* output range in the tensors' own domain */
  uint8_t is_int8;                 /* bytes are int8 values */
  uint8_t float_path;              /* 1: the float formula */
} qi_qu8_add_params;

/* y[i] = a[i] (+) b[i]; the c variant: y[i] = a[i] (+) b[0], b one broadcast value */
#define QI_QU8_VADD_UKERNEL_DECL(fn) \
  void fn(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y, const qi_qu8_add_params *p)
typedef QI_QU8_VADD_UKERNEL_DECL((*qi_qu8_vadd_ukernel_fn));
typedef qi_qu8_vadd_ukernel_fn qi_qu8_vaddc_ukernel_fn;

QI_QU8_VADD_UKERNEL_DECL(qi_qu8_vadd_minmax_ukernel__scalar);
QI_QU8_VADD_UKERNEL_DECL(qi_qu8_vaddc_minmax_ukernel__scalar);
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
QI_QU8_VADD_UKERNEL_DECL(qi_qu8_vadd_minmax_ukernel__avx2);
QI_QU8_VADD_UKERNEL_DECL(qi_qu8_vaddc_minmax_ukernel__avx2);
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
QI_QU8_VADD_UKERNEL_DECL(qi_qu8_vadd_minmax_ukernel__neon);
QI_QU8_VADD_UKERNEL_DECL(qi_qu8_vaddc_minmax_ukernel__neon);
#endif

typedef void (*qi_qu8_add_params_init_fn)(qi_qu8_add_params *p, float a_scale, int32_t a_zero_point, float b_scale,
                                          int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin,
                                          int32_t qmax, int is_int8, int float_path, int swapped);

typedef struct qi_qu8_vadd_config {
  qi_qu8_vadd_ukernel_fn vadd;
  const char *vadd_name;
  qi_qu8_vaddc_ukernel_fn vaddc;
  const char *vaddc_name;
  uint32_t features;      /* QI_CPU_* bits the kernels need */
  qi_act_domain x_domain; /* QI_ACT_DOMAIN_NATIVE: each tensor read in its own type (init_params' is_int8) */
  qi_qu8_add_params_init_fn init_params; /* qi_qu8_add_params_init */
} qi_qu8_vadd_config;
QI_KERNEL_PAIR(qi_qu8_vadd_config, vadd, vadd_name);
QI_KERNEL_PAIR(qi_qu8_vadd_config, vaddc, vaddc_name);

/* Never NULL; paths without kernels fall back to avx2 / neon / scalar. */
const qi_qu8_vadd_config *qi_qu8_vadd_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_vadd_config *const *qi_qu8_vadd_config_list(size_t *count);

/* Parameters from the operands' scales and zero points (zero points and [qmin, qmax] in the tensors' own
 * domain: uint8, or int8 when is_int8). Scales finite and > 0. swapped: the kernels will receive b as their
 * first operand (a broadcast a): `fixed` is still formed in (a, b) order, the other fields are exchanged. */
void qi_qu8_add_params_init(qi_qu8_add_params *p, float a_scale, int32_t a_zero_point, float b_scale,
                            int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                            int is_int8, int float_path, int swapped);

static inline int32_t qi_qu8_add_value(uint8_t byte, const qi_qu8_add_params *p) {
  return p->is_int8 ? (int32_t)(int8_t)byte : (int32_t)byte;
}

/* round half to even of a float known to lie well inside int32, then the clamp */
static inline uint8_t qi_qu8_add_store(float v, int32_t zp, const qi_qu8_add_params *p) {
  int32_t q = (int32_t)nearbyintf(v) + zp;
  q = q < p->qmin ? p->qmin : q;
  q = q > p->qmax ? p->qmax : q;
  return (uint8_t)q;
}

/* The fused formula with b broadcast: fixed + b * rb, rounded after the multiply and after the add. */
static inline float qi_qu8_add_fixed_b(int32_t b, const qi_qu8_add_params *p) {
  const float prod = (float)b * p->b_ratio;
  return p->fixed + prod;
}

/* One element (the scalar kernels and the tests' oracle share it); b_fixed: qi_qu8_add_fixed_b(b) when b is
 * the broadcast operand, NAN otherwise. */
static inline uint8_t qi_qu8_add_one(int32_t a, int32_t b, float b_fixed, const qi_qu8_add_params *p) {
  if (p->float_path) {
    const float va = (float)(a - p->a_zero_point) * p->a_scale, vb = (float)(b - p->b_zero_point) * p->b_scale;
    const float s = va + vb;
    return qi_qu8_add_store(s / p->y_scale, p->y_zero_point, p);
  }
  const float t = b_fixed == b_fixed ? fmaf((float)a, p->a_ratio, b_fixed)
                                     : fmaf((float)a, p->a_ratio, fmaf((float)b, p->b_ratio, p->fixed));
  return qi_qu8_add_store(t, 0, p);
}

#endif /* QI_QU8_VADD_H */
