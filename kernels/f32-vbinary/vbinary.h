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

#include "kernels/ukernel.h"

#define QI_F32_VBINARY_UKERNEL_DECL(fn) void fn(size_t n, const float *a, const float *b, float *y)
typedef QI_F32_VBINARY_UKERNEL_DECL((*qi_f32_vbinary_ukernel_fn));

QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vadd_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vaddc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vsub_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vsubc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrsubc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vmul_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vmulc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vdiv_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vdivc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrdivc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vmax_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vmaxc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vmin_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vminc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vpow_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vpowc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrpowc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vprelu_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vpreluc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrpreluc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vmod_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vmodc_ukernel__scalar);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrmodc_ukernel__scalar);

/* The ops with SIMD kernels (vbinary-simd.h) as (op, kernel, broadcast kernel, reversed broadcast kernel) name
 * stems, qi_f32_<stem>_ukernel__avx2 / __avx512f / __neon; commutative ops reuse the broadcast kernel as the reversed one.
 * Pow and Mod run the scalar kernels on every path. */
#define QI_F32_VBINARY_SIMD_OPS(X)                   \
  X(QI_VBINARY_ADD, vadd, vaddc, vaddc)             \
  X(QI_VBINARY_SUB, vsub, vsubc, vrsubc)            \
  X(QI_VBINARY_MUL, vmul, vmulc, vmulc)             \
  X(QI_VBINARY_DIV, vdiv, vdivc, vrdivc)            \
  X(QI_VBINARY_MAX, vmax, vmaxc, vmaxc)             \
  X(QI_VBINARY_MIN, vmin, vminc, vminc)             \
  X(QI_VBINARY_PRELU, vprelu, vpreluc, vrpreluc)

#define QI_F32_VBINARY_DECL_ISA(kind, op, opc, isa)  \
  QI_F32_VBINARY_UKERNEL_DECL(qi_f32_##op##_ukernel__##isa); \
  QI_F32_VBINARY_UKERNEL_DECL(qi_f32_##opc##_ukernel__##isa);
#define QI_F32_VBINARY_DECL_AVX2(kind, op, opc, ropc) QI_F32_VBINARY_DECL_ISA(kind, op, opc, avx2)
#define QI_F32_VBINARY_DECL_AVX512F(kind, op, opc, ropc) QI_F32_VBINARY_DECL_ISA(kind, op, opc, avx512f)
QI_F32_VBINARY_SIMD_OPS(QI_F32_VBINARY_DECL_AVX2)
QI_F32_VBINARY_SIMD_OPS(QI_F32_VBINARY_DECL_AVX512F)
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrsubc_ukernel__avx2);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrdivc_ukernel__avx2);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrpreluc_ukernel__avx2);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrsubc_ukernel__avx512f);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrdivc_ukernel__avx512f);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrpreluc_ukernel__avx512f);
#define QI_F32_VBINARY_DECL_NEON(kind, op, opc, ropc) QI_F32_VBINARY_DECL_ISA(kind, op, opc, neon)
QI_F32_VBINARY_SIMD_OPS(QI_F32_VBINARY_DECL_NEON)
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrsubc_ukernel__neon);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrdivc_ukernel__neon);
QI_F32_VBINARY_UKERNEL_DECL(qi_f32_vrpreluc_ukernel__neon);

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

/* The kernels of one op for one path: vector op vector, vector op scalar and scalar op vector (== opc for
 * commutative ops), the op they compute and the CPU features they need. */
typedef struct qi_f32_vbinary_config {
  qi_f32_vbinary_ukernel_fn op;
  const char *name_op;
  qi_f32_vbinary_ukernel_fn opc;
  const char *name_opc;
  qi_f32_vbinary_ukernel_fn ropc;
  const char *name_ropc;
  qi_vbinary_op kind;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_vbinary_config;
QI_KERNEL_PAIR(qi_f32_vbinary_config, op, name_op);
QI_KERNEL_PAIR(qi_f32_vbinary_config, opc, name_opc);
QI_KERNEL_PAIR(qi_f32_vbinary_config, ropc, name_ropc);

/* The kernels of op for an ISA path (paths without their own fall back: AVX-VNNI to AVX2, Pow and Mod to
 * scalar). Never NULL for op < QI_VBINARY_COUNT. */
const qi_f32_vbinary_config *qi_f32_vbinary_config_get(qi_vbinary_op op, qi_isa isa);
/* Every (op, kernels) entry built into this binary, the scalar ones first; *count receives their number. */
const qi_f32_vbinary_config *const *qi_f32_vbinary_config_list(size_t *count);

#endif /* QI_F32_VBINARY_H */
