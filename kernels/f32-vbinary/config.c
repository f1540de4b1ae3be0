#include "kernels/f32-vbinary/vbinary.h"

/* Every op's scalar kernels (op, opc, ropc; commutative ops reuse opc as ropc); the entries, the list and the
 * table below are made from it, and the x86 SIMD entries from QI_F32_VBINARY_SIMD_OPS (vbinary.h): AVX2 in the
 * AVX2 slot, AVX-512 (file suffix avx512f) in the AVX-512 VNNI slot with features QI_CPU_AVX512. */
#define SCALAR_KERNELS(X) \
  X(QI_VBINARY_ADD, qi_f32_vadd_ukernel__scalar, qi_f32_vaddc_ukernel__scalar, qi_f32_vaddc_ukernel__scalar)          \
  X(QI_VBINARY_SUB, qi_f32_vsub_ukernel__scalar, qi_f32_vsubc_ukernel__scalar, qi_f32_vrsubc_ukernel__scalar)         \
  X(QI_VBINARY_MUL, qi_f32_vmul_ukernel__scalar, qi_f32_vmulc_ukernel__scalar, qi_f32_vmulc_ukernel__scalar)          \
  X(QI_VBINARY_DIV, qi_f32_vdiv_ukernel__scalar, qi_f32_vdivc_ukernel__scalar, qi_f32_vrdivc_ukernel__scalar)         \
  X(QI_VBINARY_MAX, qi_f32_vmax_ukernel__scalar, qi_f32_vmaxc_ukernel__scalar, qi_f32_vmaxc_ukernel__scalar)          \
  X(QI_VBINARY_MIN, qi_f32_vmin_ukernel__scalar, qi_f32_vminc_ukernel__scalar, qi_f32_vminc_ukernel__scalar)          \
  X(QI_VBINARY_POW, qi_f32_vpow_ukernel__scalar, qi_f32_vpowc_ukernel__scalar, qi_f32_vrpowc_ukernel__scalar)         \
  X(QI_VBINARY_PRELU, qi_f32_vprelu_ukernel__scalar, qi_f32_vpreluc_ukernel__scalar, qi_f32_vrpreluc_ukernel__scalar) \
  X(QI_VBINARY_MOD, qi_f32_vmod_ukernel__scalar, qi_f32_vmodc_ukernel__scalar, qi_f32_vrmodc_ukernel__scalar)

#define SCALAR_ENTRY(kind_, op_, opc_, ropc_)                                                                   \
  static const qi_f32_vbinary_config scalar_##kind_ = {                                                        \
      .op = QI_KERNEL(op_), .opc = QI_KERNEL(opc_), .ropc = QI_KERNEL(ropc_), .kind = kind_, .features = 0};
SCALAR_KERNELS(SCALAR_ENTRY)

/* One SIMD ISA's entry for an op: its kernels named qi_f32_<stem>_ukernel__<isa>. */
#define SIMD_ENTRY_ISA(kind_, op_, opc_, ropc_, isa, feature)                                                      \
  static const qi_f32_vbinary_config isa##_##kind_ = {.op = QI_KERNEL(qi_f32_##op_##_ukernel__##isa),             \
                                                      .opc = QI_KERNEL(qi_f32_##opc_##_ukernel__##isa),           \
                                                      .ropc = QI_KERNEL(qi_f32_##ropc_##_ukernel__##isa),         \
                                                      .kind = kind_,                                              \
                                                      .features = feature};

#if defined(__x86_64__) || defined(__i386__)
#define QI_VBINARY_X86 1
#define SIMD_ENTRY(kind_, op_, opc_, ropc_)                          \
  SIMD_ENTRY_ISA(kind_, op_, opc_, ropc_, avx2, QI_CPU_AVX2)         \
  SIMD_ENTRY_ISA(kind_, op_, opc_, ropc_, avx512f, QI_CPU_AVX512)
QI_F32_VBINARY_SIMD_OPS(SIMD_ENTRY)
#define SIMD_LISTED(kind_, op_, opc_, ropc_) &avx2_##kind_, &avx512f_##kind_,
#define SIMD_SLOT(kind_, op_, opc_, ropc_) \
  [kind_][QI_ISA_AVX2] = &avx2_##kind_, [kind_][QI_ISA_AVX512VNNI] = &avx512f_##kind_,
#endif /* x86 */

#if defined(__aarch64__) || defined(__ARM_NEON)
#define QI_VBINARY_NEON 1
#define NEON_ENTRY(kind_, op_, opc_, ropc_) SIMD_ENTRY_ISA(kind_, op_, opc_, ropc_, neon, QI_CPU_NEON)
QI_F32_VBINARY_SIMD_OPS(NEON_ENTRY)
#define NEON_LISTED(kind_, op_, opc_, ropc_) &neon_##kind_,
#define NEON_SLOT(kind_, op_, opc_, ropc_) [kind_][QI_ISA_NEON] = &neon_##kind_,
#endif /* aarch64 or NEON */

#define SCALAR_LISTED(kind_, op_, opc_, ropc_) &scalar_##kind_,
static const qi_f32_vbinary_config *const list[] = {SCALAR_KERNELS(SCALAR_LISTED)
#ifdef QI_VBINARY_X86
                                                        QI_F32_VBINARY_SIMD_OPS(SIMD_LISTED)
#endif
#ifdef QI_VBINARY_NEON
                                                            QI_F32_VBINARY_SIMD_OPS(NEON_LISTED)
#endif
};

/* Indexed by op and qi_isa; a path without kernels of its own for an op (NULL) uses the entry of the next lower
 * path of its family (qi_isa_fallback), ending at scalar. */
#define SCALAR_SLOT(kind_, op_, opc_, ropc_) [kind_][QI_ISA_SCALAR] = &scalar_##kind_,
static const qi_f32_vbinary_config *const configs[QI_VBINARY_COUNT][QI_ISA_COUNT] = {
    SCALAR_KERNELS(SCALAR_SLOT)
#ifdef QI_VBINARY_X86
        QI_F32_VBINARY_SIMD_OPS(SIMD_SLOT)
#endif
#ifdef QI_VBINARY_NEON
            QI_F32_VBINARY_SIMD_OPS(NEON_SLOT)
#endif
};

QI_ISA_OP_CONFIG_GETTERS(qi_f32_vbinary, qi_vbinary_op)
