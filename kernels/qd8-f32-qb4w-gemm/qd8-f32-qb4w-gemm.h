/* W4A8 with dynamic activations: float activations quantized to int8 at run time per row and block of k (qd8),
 * x 4-bit weights with a float scale per output column and block (qb4w), int32 dot products per block, float
 * output (f32). What com.microsoft.MatMulNBits computes at accuracy_level 4 (ONNX Runtime's MLAS "CompInt8").
 *
 * Activation quantization (qi_qd8_quantize_row_fn; ONNX Runtime's QuantizeARow_CompInt8 rule), per row and
 * block b of bl k-values (the last block may be shorter):
 *   amax = max |a_k|,  a_scale = amax / 127,  inv = amax != 0 ? 127 / amax : 0       (binary32 divisions)
 *   q_k = round_half_even(a_k * inv) (a binary32 product), then as cvtps2dq + packsswb: a value outside int32 or
 *         a NaN gives -128, else saturated to -128..127 (finite inputs give -127..127)
 *   a_sum = sum of the block's q_k (int32); the row's bytes are zero from k up to nb * bl.
 * Non-finite inputs give unspecified (but bounded, never trapping) codes, as in ONNX Runtime.
 *
 * The product, C[M, N] = A[M, K] * W[K, N] ("xw" orientation, A the quantized rows), for each (m, n):
 *   f = bias[n]; for each block b in increasing order:
 *     d = sum_{k in b} q[m][k] * u[n][k] - z[n][b] * a_sum[m][b]        (int32, exact: |d| < 2^31 for bl <= 4096)
 *     s = a_scale[m][b] * w_scale[n][b]                                   (one binary32 multiply)
 *     f = f + (float)d * s                                                (a multiply and an add, never fused)
 *   C[m][n] = min(max(f, min), max)
 * u is the offset-binary nibble of the weight and z its zero point (kernels/qb4w.h: u - z = q - zp), so d is
 * sum q * (u - z). Every ISA computes exactly this (the files build with -ffp-contract=off; SIMD code uses
 * separate multiply and add), so the family is bit-exact against a naive oracle, like the W4A8 family.
 *
 * Packed weights ("qd8 qb4w panels", written by qi_qd8_f32_qb4w_gemm_pack; the ABI every ukernel reads):
 *
 *   for each panel of NR output columns (columns past N: scale 0, z 0, nibbles 0, bias 0):
 *     float    bias[NR]
 *     for each block b of bl k-values (nb = ceil(K / bl)):
 *       float    scale[NR]
 *       int32_t  z[NR]                      the offset-binary zero point, 0..15
 *       uint8_t  u[bl / 8][NR][4]           group g, column c, byte j (j = 0..3): low nibble = u of
 *                                           k = b * bl + 8 g + j, high nibble = u of k = b * bl + 8 g + 4 + j
 *                                           (0 past K)
 *
 * So one group holds 8 k of NR columns in NR * 4 bytes: an AND gives k-steps 8g..8g+3 and a shift and an AND
 * 8g+4..8g+7, each as 4 consecutive bytes per column (the c4 layout vpmaddubsw / sdot read against 4 broadcast
 * activation bytes). bl is a multiple of 8. Block and panel bytes are multiples of 4.
 *
 * Quantized activations: row m at a + m * a_stride (bytes), nb * bl bytes (zero past K); its block parameters at
 * a_scale[m * ap_stride + b] and a_sum[m * ap_stride + b].
 *
 * A ukernel computes mr (1..MR) rows against nc (>= 1) columns, walking consecutive NR-column panels from
 * packed_w; C[r][j] at c[r * c_stride + j]. It never writes past nc columns.
 */
#ifndef QI_QD8_F32_QB4W_GEMM_H
#define QI_QD8_F32_QB4W_GEMM_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/isa.h"
#include "kernels/qb4w.h"
#include "kernels/ukernel.h"

static_assert(sizeof(int32_t) == 4 && sizeof(float) == 4, "qd8 qb4w block header: binary32 scale[NR], int32 z[NR]");

/* k-values per group of packed nibbles. */
#define QI_QD8_QB4W_GROUP 8

typedef struct qi_qd8_f32_qb4w_params {
  float min, max; /* the output clamp */
  size_t bl;      /* block length of the packed weights and of the quantized activations */
} qi_qd8_f32_qb4w_params;

static inline size_t qi_qd8_f32_qb4w_block_bytes(size_t nr, size_t bl) {
  return nr * (sizeof(float) + sizeof(int32_t)) + bl / 2 * nr;
}
static inline size_t qi_qd8_f32_qb4w_panel_bytes(size_t nr, size_t k, size_t bl) {
  return nr * sizeof(float) + (k + bl - 1) / bl * qi_qd8_f32_qb4w_block_bytes(nr, bl);
}

#define QI_QD8_F32_QB4W_GEMM_UKERNEL_DECL(fn)                                                                    \
  void fn(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride, const float *a_scale,                \
          const int32_t *a_sum, size_t ap_stride, const void *packed_w, float *c, size_t c_stride,                 \
          const qi_qd8_f32_qb4w_params *params)
typedef QI_QD8_F32_QB4W_GEMM_UKERNEL_DECL((*qi_qd8_f32_qb4w_gemm_ukernel_fn));

/* Quantizes one row of k floats into blocks of bl (the rule above): q gets nb * bl bytes, scale and sum nb
 * values each (nb = ceil(k / bl)). */
#define QI_QD8_QUANTIZE_ROW_DECL(fn)                                                                              \
  void fn(size_t k, size_t bl, const float *a, int8_t *q, float *scale, int32_t *sum)
typedef QI_QD8_QUANTIZE_ROW_DECL((*qi_qd8_quantize_row_fn));

typedef struct qi_qd8_f32_qb4w_gemm_config {
  qi_qd8_f32_qb4w_gemm_ukernel_fn ukernel;
  const char *name;
  qi_qd8_quantize_row_fn quantize_row;
  const char *quantize_name;
  uint32_t features; /* QI_CPU_* bits both functions need */
  size_t mr, nr;     /* rows per call, columns per panel */
} qi_qd8_f32_qb4w_gemm_config;
QI_KERNEL_PAIR(qi_qd8_f32_qb4w_gemm_config, ukernel, name);
QI_KERNEL_PAIR(qi_qd8_f32_qb4w_gemm_config, quantize_row, quantize_name);

const qi_qd8_f32_qb4w_gemm_config *qi_qd8_f32_qb4w_gemm_config_get(qi_isa isa);
const qi_qd8_f32_qb4w_gemm_config *const *qi_qd8_f32_qb4w_gemm_config_list(size_t *count);

/* Packs src (src->m = N output columns x K; block-wise with src->block == bl, or per column with src->block >= K
 * and bl = round_up(K, 8)) and bias (N floats, NULL: 0) into panels of cfg->nr columns. */
size_t qi_qd8_f32_qb4w_gemm_packed_size(const qi_qd8_f32_qb4w_gemm_config *cfg, size_t n, size_t k, size_t bl);
void qi_qd8_f32_qb4w_gemm_pack(const qi_qd8_f32_qb4w_gemm_config *cfg, const qi_qb4w_source *src, size_t bl,
                               const float *bias, void *packed);

QI_QD8_F32_QB4W_GEMM_UKERNEL_DECL(qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x4c4__scalar);
QI_QD8_QUANTIZE_ROW_DECL(qi_qd8_quantize_row__scalar);
#if defined(__x86_64__) || defined(__i386__)
QI_QD8_F32_QB4W_GEMM_UKERNEL_DECL(qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x8c4__avx2);
QI_QD8_QUANTIZE_ROW_DECL(qi_qd8_quantize_row__avx2);
#endif /* x86 */

#endif /* QI_QD8_F32_QB4W_GEMM_H */
