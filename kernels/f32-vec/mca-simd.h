/* llvm-mca region markers (kernels/mca.h) for the f32 templates, named after the kernel a template instantiates:
 * QI_SIMD_MCA_BEGIN(fn, macs) with fn a macro naming the kernel's function (QI_GEMM_FN, ...) and macs a macro
 * expanding to a decimal literal, both expanded before kernels/mca.h pastes them. Empty unless -DQI_MCA. A
 * template places the markers only where its includer defined the macs (not 0), and only in one inlined copy
 * of the loop: llvm-mca takes one region per name. */
#ifndef QI_F32_VEC_MCA_SIMD_H
#define QI_F32_VEC_MCA_SIMD_H

#include "kernels/mca.h"

#define QI_SIMD_MCA_STR_(x) #x
#define QI_SIMD_MCA_STR(x) QI_SIMD_MCA_STR_(x)
#define QI_SIMD_MCA_BEGIN_(name, macs) QI_MCA_BEGIN(name, macs)
#define QI_SIMD_MCA_BEGIN(fn, macs) QI_SIMD_MCA_BEGIN_(QI_SIMD_MCA_STR(fn), macs)
#define QI_SIMD_MCA_END(fn) QI_MCA_END(QI_SIMD_MCA_STR(fn))

#endif /* QI_F32_VEC_MCA_SIMD_H */
