/* FP32 GEMM microkernels: C[M, N] = W[M, K] * B[K, N] + bias[M], clamped to [min, max].
 *
 * The packed operand is the left one (W, the weights of a convolution or a constant matrix) so that NCHW
 * convolutions need no layout change: per image, out[Cout, H*W] = W[Cout, Cin*kh*kw] * col[Cin*kh*kw, H*W].
 * B is read unpacked: kc rows of nc contiguous floats, b_stride floats apart. C is mr rows of nc floats,
 * c_stride floats apart.
 *
 * Packed weight layout (the "panel" ABI, written by qi_f32_gemm_pack_w, read by every gemm ukernel):
 *
 *   for each panel p of MR rows (rows p*MR .. p*MR+MR-1, zero-filled past M):
 *     float bias[MR]                        bias of the panel's rows (0 when there is no bias)
 *     for each k-block kb of KR columns (K rounded up to KR, zero-filled past K):
 *       float w[MR][KR]                     w[r][j] = W[p*MR + r][kb*KR + j]
 *
 *   One panel holds MR * (1 + round_up(K, KR)) floats; qi_f32_gemm_packed_floats gives the whole size.
 *   A ukernel receives one panel and walks it once per NR-wide column tile of B.
 *
 * Second orientation, "xw": C[M, N] = A[M, K] * W[K, N] + bias[N] with the RIGHT operand packed (the weights of
 * a Gemm / MatMul whose B is constant; A, the activations, is read in place). W is packed by the same pack
 * function as the N x K matrix W^T in panels of XW_NR rows, i.e. panels of XW_NR output columns:
 *
 *   for each panel p of NR columns (columns p*NR .. p*NR+NR-1, zero-filled past N):
 *     float bias[NR]                        bias of the panel's columns
 *     for each k-block kb of KR rows (K rounded up to KR, zero-filled past K):
 *       float w[NR][KR]                     w[j][i] = W[kb*KR + i][p*NR + j]   (KR = 1: row k of the panel)
 *
 *   An xw ukernel receives mr (1..XW_MR) rows of A, a_stride floats apart, and the first panel of nc columns,
 *   and walks consecutive panels (qi_f32_gemm_panel_floats(K, NR, KR) floats apart) until nc is covered.
 */
#ifndef QI_F32_GEMM_H
#define QI_F32_GEMM_H

#include <assert.h>
#include <stddef.h>

#include "kernels/ukernel.h"

/* Output clamp of every *_minmax_* kernel; {-INFINITY, +INFINITY} disables it. */
typedef struct qi_f32_minmax_params {
  float min;
  float max;
} qi_f32_minmax_params;

/* Hot kernels start on a cache line: their loop timings then do not depend on where the linker put them. */
#if defined(__GNUC__)
#define QI_KERNEL_ALIGN __attribute__((aligned(64)))
#else
#define QI_KERNEL_ALIGN
#endif

static_assert(sizeof(float) == 4, "packed panels are arrays of IEEE binary32");
static_assert(sizeof(qi_f32_minmax_params) == 2 * sizeof(float), "params are passed by pointer to SIMD code");

/* One MR-row panel times B: writes mr (1..MR) rows and nc (>= 1) columns of C; kc (>= 1) is K. */
#define QI_F32_GEMM_UKERNEL_DECL(fn)                                                                           \
  void fn(size_t mr, size_t nc, size_t kc, const float *packed_w, const float *b, size_t b_stride, float *c,    \
          size_t c_stride, const qi_f32_minmax_params *params)
typedef QI_F32_GEMM_UKERNEL_DECL((*qi_f32_gemm_minmax_ukernel_fn));

/* mr (1..XW_MR) rows of A (kc floats each, a_stride apart) times the packed panels of W covering nc columns:
 * writes mr rows of nc floats of C, c_stride apart. kc (>= 1) is K. */
#define QI_F32_GEMM_XW_UKERNEL_DECL(fn)                                                                        \
  void fn(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride, const float *packed_w, float *c,    \
          size_t c_stride, const qi_f32_minmax_params *params)
typedef QI_F32_GEMM_XW_UKERNEL_DECL((*qi_f32_gemm_xw_minmax_ukernel_fn));

/* Packs W (m x k, element (i, j) at w[i * w_m_stride + j * w_k_stride]) and optional bias (m floats, NULL
 * for zeros) into panels of mr rows and kr-wide k-blocks. `packed` holds qi_f32_gemm_packed_floats(). */
typedef void (*qi_f32_gemm_pack_fn)(size_t m, size_t k, size_t mr, size_t kr, const float *w, size_t w_m_stride,
                                    size_t w_k_stride, const float *bias, float *packed);

/* A kernel together with the tile and packing it needs: chosen once per ISA path. */
typedef struct qi_f32_gemm_config {
  qi_f32_gemm_minmax_ukernel_fn ukernel;
  const char *name;
  qi_f32_gemm_pack_fn pack;
  size_t mr, nr, kr;
  /* the xw orientation (packed right operand), packed by `pack` with m = N, mr = xw_nr, kr = xw_kr */
  qi_f32_gemm_xw_minmax_ukernel_fn xw_ukernel;
  const char *xw_name;
  size_t xw_mr, xw_nr, xw_kr;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_gemm_config;
QI_KERNEL_PAIR(qi_f32_gemm_config, ukernel, name);
QI_KERNEL_PAIR(qi_f32_gemm_config, xw_ukernel, xw_name);

/* Config for an ISA path: the best kernel the path has, the scalar one for paths without their own.
 * Never NULL. */
const qi_f32_gemm_config *qi_f32_gemm_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_gemm_config *const *qi_f32_gemm_config_list(size_t *count);

static inline size_t qi_round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
static inline size_t qi_div_round_up(size_t x, size_t q) { return (x + q - 1) / q; }

/* Floats of a packed m x k operand. */
static inline size_t qi_f32_gemm_packed_floats(size_t m, size_t k, size_t mr, size_t kr) {
  return qi_div_round_up(m, mr) * mr * (1 + qi_round_up(k, kr));
}
/* Floats of one packed panel (distance between consecutive panels). */
static inline size_t qi_f32_gemm_panel_floats(size_t k, size_t mr, size_t kr) { return mr * (1 + qi_round_up(k, kr)); }

void qi_f32_gemm_pack_w(size_t m, size_t k, size_t mr, size_t kr, const float *w, size_t w_m_stride,
                        size_t w_k_stride, const float *bias, float *packed);

QI_F32_GEMM_UKERNEL_DECL(qi_f32_gemm_minmax_ukernel_4x8__scalar);
QI_F32_GEMM_XW_UKERNEL_DECL(qi_f32_gemm_xw_minmax_ukernel_4x8__scalar);
#if defined(__x86_64__) || defined(__i386__)
QI_F32_GEMM_UKERNEL_DECL(qi_f32_gemm_minmax_ukernel_6x16__avx2);
QI_F32_GEMM_XW_UKERNEL_DECL(qi_f32_gemm_xw_minmax_ukernel_6x16__avx2);
QI_F32_GEMM_UKERNEL_DECL(qi_f32_gemm_minmax_ukernel_8x32__avx512f);
QI_F32_GEMM_XW_UKERNEL_DECL(qi_f32_gemm_xw_minmax_ukernel_8x32__avx512f);
#endif /* x86 */
#if defined(__aarch64__)
QI_F32_GEMM_UKERNEL_DECL(qi_f32_gemm_minmax_ukernel_8x8__neon);
QI_F32_GEMM_XW_UKERNEL_DECL(qi_f32_gemm_xw_minmax_ukernel_8x8__neon);
#elif defined(__ARM_NEON)
QI_F32_GEMM_UKERNEL_DECL(qi_f32_gemm_minmax_ukernel_4x8__neon);
QI_F32_GEMM_XW_UKERNEL_DECL(qi_f32_gemm_xw_minmax_ukernel_4x8__neon);
#endif /* Arm */

#endif /* QI_F32_GEMM_H */
