/* FP32 elementwise unary kernels: qi_f32_v<op>_ukernel__<isa>(n, x, y, params), y[i] = f(x[i]).
 * y may equal x (in place); otherwise buffers must not overlap. params carries the op's attributes. */
#ifndef QI_F32_VUNARY_H
#define QI_F32_VUNARY_H

#include <stddef.h>

#include "kernels/ukernel.h"

typedef struct qi_f32_unary_params {
  float min, max;            /* CLAMP */
  float alpha, beta, gamma;  /* LEAKY_RELU, HARD_SIGMOID, HARD_SWISH, ELU, SELU, CELU, THRESHOLDED_RELU */
} qi_f32_unary_params;

#define QI_F32_VUNARY_UKERNEL_DECL(fn) \
  void fn(size_t n, const float *x, float *y, const qi_f32_unary_params *params)
typedef QI_F32_VUNARY_UKERNEL_DECL((*qi_f32_vunary_ukernel_fn));

QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vabs_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vneg_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vsqrt_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vexp_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vlog_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vrecip_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vfloor_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vceil_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vround_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vsign_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vrelu_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vlrelu_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vclamp_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vsigmoid_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vhardsigmoid_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vhardswish_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vtanh_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_verf_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vgelu_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vgelutanh_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vsoftplus_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vsoftsign_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_velu_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vselu_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vcelu_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vthresholdedrelu_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vmish_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vsin_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vcos_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vtan_ukernel__scalar);
QI_F32_VUNARY_UKERNEL_DECL(qi_f32_vsqr_ukernel__scalar);

/* The ops with SIMD kernels (vunary-simd.h), each as (op, name stem): qi_f32_<stem>_ukernel__avx2,
 * qi_f32_<stem>_ukernel__avx512f and qi_f32_<stem>_ukernel__neon. The others (sin, cos, tan, elu, selu, celu, mish) run
 * the scalar kernels on every path. */
#define QI_F32_VUNARY_SIMD_OPS(X)                 \
  X(QI_VUNARY_ABS, vabs)                          \
  X(QI_VUNARY_NEG, vneg)                          \
  X(QI_VUNARY_SQRT, vsqrt)                        \
  X(QI_VUNARY_EXP, vexp)                          \
  X(QI_VUNARY_LOG, vlog)                          \
  X(QI_VUNARY_RECIPROCAL, vrecip)                 \
  X(QI_VUNARY_FLOOR, vfloor)                      \
  X(QI_VUNARY_CEIL, vceil)                        \
  X(QI_VUNARY_ROUND, vround)                      \
  X(QI_VUNARY_SIGN, vsign)                        \
  X(QI_VUNARY_RELU, vrelu)                        \
  X(QI_VUNARY_LEAKY_RELU, vlrelu)                 \
  X(QI_VUNARY_CLAMP, vclamp)                      \
  X(QI_VUNARY_SIGMOID, vsigmoid)                  \
  X(QI_VUNARY_HARD_SIGMOID, vhardsigmoid)         \
  X(QI_VUNARY_HARD_SWISH, vhardswish)             \
  X(QI_VUNARY_TANH, vtanh)                        \
  X(QI_VUNARY_ERF, verf)                          \
  X(QI_VUNARY_GELU, vgelu)                        \
  X(QI_VUNARY_GELU_TANH, vgelutanh)               \
  X(QI_VUNARY_SOFTPLUS, vsoftplus)                \
  X(QI_VUNARY_SOFTSIGN, vsoftsign)                \
  X(QI_VUNARY_THRESHOLDED_RELU, vthresholdedrelu) \
  X(QI_VUNARY_SQR, vsqr)

#define QI_F32_VUNARY_DECL_AVX2(kind, stem) QI_F32_VUNARY_UKERNEL_DECL(qi_f32_##stem##_ukernel__avx2);
#define QI_F32_VUNARY_DECL_AVX512F(kind, stem) QI_F32_VUNARY_UKERNEL_DECL(qi_f32_##stem##_ukernel__avx512f);
QI_F32_VUNARY_SIMD_OPS(QI_F32_VUNARY_DECL_AVX2)
QI_F32_VUNARY_SIMD_OPS(QI_F32_VUNARY_DECL_AVX512F)
#define QI_F32_VUNARY_DECL_NEON(kind, stem) QI_F32_VUNARY_UKERNEL_DECL(qi_f32_##stem##_ukernel__neon);
QI_F32_VUNARY_SIMD_OPS(QI_F32_VUNARY_DECL_NEON) /* aarch64 only */

typedef enum qi_vunary_op {
  QI_VUNARY_ABS,
  QI_VUNARY_NEG,
  QI_VUNARY_SQRT,
  QI_VUNARY_EXP,
  QI_VUNARY_LOG,
  QI_VUNARY_RECIPROCAL,
  QI_VUNARY_FLOOR,
  QI_VUNARY_CEIL,
  QI_VUNARY_ROUND,
  QI_VUNARY_SIGN,
  QI_VUNARY_RELU,
  QI_VUNARY_LEAKY_RELU,
  QI_VUNARY_CLAMP,
  QI_VUNARY_SIGMOID,
  QI_VUNARY_HARD_SIGMOID,
  QI_VUNARY_HARD_SWISH,
  QI_VUNARY_TANH,
  QI_VUNARY_ERF,
  QI_VUNARY_GELU,
  QI_VUNARY_GELU_TANH,
  QI_VUNARY_SOFTPLUS,
  QI_VUNARY_SOFTSIGN,
  QI_VUNARY_ELU,
  QI_VUNARY_SELU,
  QI_VUNARY_CELU,
  QI_VUNARY_THRESHOLDED_RELU,
  QI_VUNARY_MISH,
  QI_VUNARY_SIN,
  QI_VUNARY_COS,
  QI_VUNARY_TAN,
  QI_VUNARY_SQR,
  QI_VUNARY_COUNT
} qi_vunary_op;

/* One kernel of the family: the op it computes and the CPU features it needs. */
typedef struct qi_f32_vunary_config {
  qi_f32_vunary_ukernel_fn ukernel;
  const char *name;
  qi_vunary_op kind;
  uint32_t features; /* QI_CPU_* bits the kernel needs */
} qi_f32_vunary_config;
QI_KERNEL_PAIR(qi_f32_vunary_config, ukernel, name);

/* The kernel of op for an ISA path (paths without one of their own fall back: AVX-VNNI to AVX2, ops without a
 * SIMD kernel to scalar). Never NULL for op < QI_VUNARY_COUNT. */
const qi_f32_vunary_config *qi_f32_vunary_config_get(qi_vunary_op op, qi_isa isa);
/* Every (op, kernel) entry built into this binary, the scalar ones first; *count receives their number. */
const qi_f32_vunary_config *const *qi_f32_vunary_config_list(size_t *count);

#endif /* QI_F32_VUNARY_H */
