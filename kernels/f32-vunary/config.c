#include "kernels/f32-vunary/vunary.h"

/* Every scalar kernel with the op it computes; the entries, the list and the table below are made from it, and
 * the x86 SIMD entries from QI_F32_VUNARY_SIMD_OPS (vunary.h): AVX2 in the AVX2 slot, AVX-512 (file suffix
 * avx512f) in the AVX-512 VNNI slot with features QI_CPU_AVX512, as no path lies between the two; the NEON ones
 * in the NEON slot (neondot and neoni8mm fall back to it). */
#define SCALAR_KERNELS(X) \
  X(QI_VUNARY_ABS, qi_f32_vabs_ukernel__scalar)                          \
  X(QI_VUNARY_NEG, qi_f32_vneg_ukernel__scalar)                          \
  X(QI_VUNARY_SQRT, qi_f32_vsqrt_ukernel__scalar)                        \
  X(QI_VUNARY_EXP, qi_f32_vexp_ukernel__scalar)                          \
  X(QI_VUNARY_LOG, qi_f32_vlog_ukernel__scalar)                          \
  X(QI_VUNARY_RECIPROCAL, qi_f32_vrecip_ukernel__scalar)                 \
  X(QI_VUNARY_FLOOR, qi_f32_vfloor_ukernel__scalar)                      \
  X(QI_VUNARY_CEIL, qi_f32_vceil_ukernel__scalar)                        \
  X(QI_VUNARY_ROUND, qi_f32_vround_ukernel__scalar)                      \
  X(QI_VUNARY_SIGN, qi_f32_vsign_ukernel__scalar)                        \
  X(QI_VUNARY_RELU, qi_f32_vrelu_ukernel__scalar)                        \
  X(QI_VUNARY_LEAKY_RELU, qi_f32_vlrelu_ukernel__scalar)                 \
  X(QI_VUNARY_CLAMP, qi_f32_vclamp_ukernel__scalar)                      \
  X(QI_VUNARY_SIGMOID, qi_f32_vsigmoid_ukernel__scalar)                  \
  X(QI_VUNARY_HARD_SIGMOID, qi_f32_vhardsigmoid_ukernel__scalar)         \
  X(QI_VUNARY_HARD_SWISH, qi_f32_vhardswish_ukernel__scalar)             \
  X(QI_VUNARY_TANH, qi_f32_vtanh_ukernel__scalar)                        \
  X(QI_VUNARY_ERF, qi_f32_verf_ukernel__scalar)                          \
  X(QI_VUNARY_GELU, qi_f32_vgelu_ukernel__scalar)                        \
  X(QI_VUNARY_GELU_TANH, qi_f32_vgelutanh_ukernel__scalar)               \
  X(QI_VUNARY_SOFTPLUS, qi_f32_vsoftplus_ukernel__scalar)                \
  X(QI_VUNARY_SOFTSIGN, qi_f32_vsoftsign_ukernel__scalar)                \
  X(QI_VUNARY_ELU, qi_f32_velu_ukernel__scalar)                          \
  X(QI_VUNARY_SELU, qi_f32_vselu_ukernel__scalar)                        \
  X(QI_VUNARY_CELU, qi_f32_vcelu_ukernel__scalar)                        \
  X(QI_VUNARY_THRESHOLDED_RELU, qi_f32_vthresholdedrelu_ukernel__scalar) \
  X(QI_VUNARY_MISH, qi_f32_vmish_ukernel__scalar)                        \
  X(QI_VUNARY_SIN, qi_f32_vsin_ukernel__scalar)                          \
  X(QI_VUNARY_COS, qi_f32_vcos_ukernel__scalar)                          \
  X(QI_VUNARY_TAN, qi_f32_vtan_ukernel__scalar)                          \
  X(QI_VUNARY_SQR, qi_f32_vsqr_ukernel__scalar)

#define SCALAR_ENTRY(op, fn) \
  static const qi_f32_vunary_config scalar_##op = {.ukernel = QI_KERNEL(fn), .kind = op, .features = 0};
SCALAR_KERNELS(SCALAR_ENTRY)

#if defined(__x86_64__) || defined(__i386__)
#define QI_VUNARY_X86 1
#define SIMD_ENTRY(op, stem)                                                                                     \
  static const qi_f32_vunary_config avx2_##op = {                                                              \
      .ukernel = QI_KERNEL(qi_f32_##stem##_ukernel__avx2), .kind = op, .features = QI_CPU_AVX2};               \
  static const qi_f32_vunary_config avx512_##op = {                                                            \
      .ukernel = QI_KERNEL(qi_f32_##stem##_ukernel__avx512f), .kind = op, .features = QI_CPU_AVX512};
QI_F32_VUNARY_SIMD_OPS(SIMD_ENTRY)
#define SIMD_LISTED(op, stem) &avx2_##op, &avx512_##op,
#define SIMD_SLOT(op, stem) [op][QI_ISA_AVX2] = &avx2_##op, [op][QI_ISA_AVX512VNNI] = &avx512_##op,
#else
#define SIMD_LISTED(op, stem)
#define SIMD_SLOT(op, stem)
#endif /* x86 */

/* NEON (vunary-neon.c): aarch64 only, armv7 keeps the scalar kernels (see the file). */
#if defined(__aarch64__)
#define QI_VUNARY_NEON 1
#define NEON_ENTRY(op, stem)                                                                                     \
  static const qi_f32_vunary_config neon_##op = {                                                              \
      .ukernel = QI_KERNEL(qi_f32_##stem##_ukernel__neon), .kind = op, .features = QI_CPU_NEON};
QI_F32_VUNARY_SIMD_OPS(NEON_ENTRY)
#define NEON_LISTED(op, stem) &neon_##op,
#define NEON_SLOT(op, stem) [op][QI_ISA_NEON] = &neon_##op,
#endif /* __aarch64__ */

#define SCALAR_LISTED(op, fn) &scalar_##op,
static const qi_f32_vunary_config *const list[] = {SCALAR_KERNELS(SCALAR_LISTED)
#ifdef QI_VUNARY_X86
                                                       QI_F32_VUNARY_SIMD_OPS(SIMD_LISTED)
#endif
#ifdef QI_VUNARY_NEON
                                                           QI_F32_VUNARY_SIMD_OPS(NEON_LISTED)
#endif
};

/* Indexed by op and qi_isa; a path without a kernel of its own for an op (NULL) uses the entry of the next lower
 * path of its family (qi_isa_fallback), ending at scalar. */
#define SCALAR_SLOT(op, fn) [op][QI_ISA_SCALAR] = &scalar_##op,
static const qi_f32_vunary_config *const configs[QI_VUNARY_COUNT][QI_ISA_COUNT] = {
    SCALAR_KERNELS(SCALAR_SLOT)
#ifdef QI_VUNARY_X86
        QI_F32_VUNARY_SIMD_OPS(SIMD_SLOT)
#endif
#ifdef QI_VUNARY_NEON
            QI_F32_VUNARY_SIMD_OPS(NEON_SLOT)
#endif
};

QI_ISA_OP_CONFIG_GETTERS(qi_f32_vunary, qi_vunary_op)
