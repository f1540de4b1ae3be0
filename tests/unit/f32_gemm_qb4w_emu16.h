/* The f32-gemm-qb4w SIMD templates on the emulated 16-lane vector (vec-emu16.h) at the AVX-512 tiles (w 16x32,
 * xw 32x32): the zmm kernels' logic as an extra config of test_f32_gemm_qb4w.c, run on any CPU. */
#include "vec-emu16.h"

QI_F32_GEMM_QB4W_UKERNEL_DECL(test_f32_qb4w_gemm_minmax_ukernel_16x32__emu16);
QI_F32_GEMM_QB4W_XW_UKERNEL_DECL(test_f32_qb4w_gemm_xw_minmax_ukernel_32x32__emu16);
#define QI_QB4W_W_FN test_f32_qb4w_gemm_minmax_ukernel_16x32__emu16
#define QI_QB4W_W_MV 1
#define QI_QB4W_W_RT 8
#define QI_QB4W_W_NV 2
#include "kernels/f32-gemm-qb4w/w-simd.h"
#define QI_QB4W_XW_FN test_f32_qb4w_gemm_xw_minmax_ukernel_32x32__emu16
#define QI_QB4W_XW_MR 8
#define QI_QB4W_XW_NV 2
#define QI_QB4W_XW_TILES 4
#include "kernels/f32-gemm-qb4w/xw-simd.h"

static const qi_f32_gemm_qb4w_config emu16 = {
    .ukernel = QI_KERNEL(test_f32_qb4w_gemm_minmax_ukernel_16x32__emu16),
    .xw_ukernel = QI_KERNEL(test_f32_qb4w_gemm_xw_minmax_ukernel_32x32__emu16),
    .mr = 16,
    .nr = 32,
    .xw_mr = 32,
    .xw_nr = 32,
};
#define EMU16_CONFIGS 1
static const qi_f32_gemm_qb4w_config *const emu16_configs[EMU16_CONFIGS] = {&emu16};
