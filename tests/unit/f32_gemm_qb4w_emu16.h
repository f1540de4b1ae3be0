/* The f32-gemm-qb4w SIMD templates on the emulated 16-lane vector (vec-emu16.h): the AVX-512 tiles' logic as
 * configs of test_f32_gemm_qb4w.c (none yet: the scalar kernels only). */
#define EMU16_CONFIGS 0
static const qi_f32_gemm_qb4w_config *const emu16_configs[1] = {NULL};
