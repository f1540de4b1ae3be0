/* Quantized multiplication of two 8-bit vectors (or a vector and one broadcast value):
 *
 *   acc = (a - a_zero_point) * (b - b_zero_point)                          (int32, |acc| <= 65025)
 *   y   = qi_requant_fp32(acc, scale, y_zero_point, qmin, qmax)            (kernels/requant.h)
 *
 * with scale = (a_scale * b_scale) / y_scale composed in float in that order (qi_qu8_mul_params_init).
 * int8 tensors (sign_flip = 0x80) are handled in the uint8 domain (x_domain QI_ACT_DOMAIN_U8, every current
 * kernel: bytes ^ 0x80, zero points and qmin/qmax + 128), which gives exactly the int8 results. Every ISA
 * computes the same IEEE operations. */
#ifndef QI_QU8_VMUL_H
#define QI_QU8_VMUL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/requant.h"
#include "kernels/ukernel.h"

typedef struct qi_qu8_mul_params {
  int32_t a_zero_point, b_zero_point; /* the kernel's domain (uint8) */
  float scale;                        /* (a_scale * b_scale) / y_scale, finite and > 0 */
  int32_t y_zero_point, qmin, qmax;   /* the kernel's domain, 0 <= qmin <= y_zero_point <= qmax <= 255 in uint8 */
  uint8_t sign_flip;                  /* the tensors' XOR into the domain: 0 for uint8 tensors, 0x80 for int8 */
} qi_qu8_mul_params;

/* y[i] = a[i] (*) b[i]; the c variant: y[i] = a[i] (*) b[0] */
#define QI_QU8_VMUL_UKERNEL_DECL(fn) \
  void fn(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y, const qi_qu8_mul_params *p)
typedef QI_QU8_VMUL_UKERNEL_DECL((*qi_qu8_vmul_ukernel_fn));

QI_QU8_VMUL_UKERNEL_DECL(qi_qu8_vmul_minmax_ukernel__scalar);
QI_QU8_VMUL_UKERNEL_DECL(qi_qu8_vmulc_minmax_ukernel__scalar);
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
QI_QU8_VMUL_UKERNEL_DECL(qi_qu8_vmul_minmax_ukernel__avx2);
QI_QU8_VMUL_UKERNEL_DECL(qi_qu8_vmulc_minmax_ukernel__avx2);
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
QI_QU8_VMUL_UKERNEL_DECL(qi_qu8_vmul_minmax_ukernel__neon);
QI_QU8_VMUL_UKERNEL_DECL(qi_qu8_vmulc_minmax_ukernel__neon);
#endif

/* Zero points and [qmin, qmax] in the tensors' own type (int8 when is_int8); scales finite and > 0; d: the
 * kernel's domain (its config's x_domain). */
void qi_qu8_mul_params_init(qi_qu8_mul_params *p, qi_act_domain d, float a_scale, int32_t a_zero_point,
                            float b_scale, int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin,
                            int32_t qmax, int is_int8);
typedef void (*qi_qu8_mul_params_init_fn)(qi_qu8_mul_params *p, qi_act_domain d, float a_scale, int32_t a_zero_point,
                                          float b_scale, int32_t b_zero_point, float y_scale, int32_t y_zero_point,
                                          int32_t qmin, int32_t qmax, int is_int8);

typedef struct qi_qu8_vmul_config {
  qi_qu8_vmul_ukernel_fn vmul;
  const char *vmul_name;
  qi_qu8_vmul_ukernel_fn vmulc;
  const char *vmulc_name;
  uint32_t features;      /* QI_CPU_* bits the kernels need */
  qi_act_domain x_domain; /* how the kernels read the bytes of a, b and y: init_params(p, x_domain, ...) */
  qi_qu8_mul_params_init_fn init_params;
} qi_qu8_vmul_config;
QI_KERNEL_PAIR(qi_qu8_vmul_config, vmul, vmul_name);
QI_KERNEL_PAIR(qi_qu8_vmul_config, vmulc, vmulc_name);

/* Never NULL; paths without kernels fall back to avx2 / neon / scalar. */
const qi_qu8_vmul_config *qi_qu8_vmul_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_vmul_config *const *qi_qu8_vmul_config_list(size_t *count);

static inline uint8_t qi_qu8_mul_one(int32_t a, int32_t b, const qi_qu8_mul_params *p) {
  return (uint8_t)qi_requant_fp32((a - p->a_zero_point) * (b - p->b_zero_point), p->scale, p->y_zero_point,
                                  p->qmin, p->qmax);
}

#endif /* QI_QU8_VMUL_H */
