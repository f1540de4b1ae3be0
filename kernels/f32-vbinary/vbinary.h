/* FP32 elementwise binary kernels.
 *
 *   qi_f32_v<op>_ukernel__<isa>(n, a, b, y):   y[i] = a[i] op b[i]
 *   qi_f32_v<op>c_ukernel__<isa>(n, a, b, y):  y[i] = a[i] op b[0]
 *   qi_f32_vr<op>c_ukernel__<isa>(n, a, b, y): y[i] = b[0] op a[i]   (non-commutative ops only)
 * y may equal a (in place); otherwise buffers must not overlap.
 */
#ifndef QI_F32_VBINARY_H
#define QI_F32_VBINARY_H

#include <stddef.h>

#include "kernels/isa.h"

typedef void (*qi_f32_vbinary_ukernel_fn)(size_t n, const float *a, const float *b, float *y);

#define QI_F32_VBINARY_DECL(name) void name(size_t n, const float *a, const float *b, float *y);
QI_F32_VBINARY_DECL(qi_f32_vadd_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vaddc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vsub_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vsubc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vrsubc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vmul_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vmulc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vdiv_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vdivc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vrdivc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vmax_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vmaxc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vmin_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vminc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vpow_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vpowc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vrpowc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vprelu_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vpreluc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vrpreluc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vmod_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vmodc_ukernel__scalar)
QI_F32_VBINARY_DECL(qi_f32_vrmodc_ukernel__scalar)
#undef QI_F32_VBINARY_DECL

typedef enum qi_vbinary_op {
  QI_VBINARY_ADD,
  QI_VBINARY_SUB,
  QI_VBINARY_MUL,
  QI_VBINARY_DIV,
  QI_VBINARY_MAX,
  QI_VBINARY_MIN,
  QI_VBINARY_POW,
  QI_VBINARY_PRELU, /* a: x, b: slope; y = a < 0 ? a * b : a */
  QI_VBINARY_MOD,   /* C fmodf: result has the sign of a */
  QI_VBINARY_COUNT
} qi_vbinary_op;

typedef struct qi_f32_vbinary_config {
  qi_f32_vbinary_ukernel_fn op;   /* vector op vector */
  qi_f32_vbinary_ukernel_fn opc;  /* vector op scalar */
  qi_f32_vbinary_ukernel_fn ropc; /* scalar op vector (== opc for commutative ops) */
} qi_f32_vbinary_config;

/* Kernels of op for isa. */
const qi_f32_vbinary_config *qi_f32_vbinary_config_get(qi_vbinary_op op, qi_isa isa);

#endif /* QI_F32_VBINARY_H */
