/* Quantized GEMM: uint8 activations x int8 per-output-channel weights, int32 accumulation, requantized per
 * output row by the one rule of kernels/requant.h, uint8 output (int8 through the sign-flip trick).
 *
 *   C[m][n] = requant(bias[m] + sum_k W[m][k] * X_u8[k][n], scale[m])        (m < M, n < N, k < K)
 *
 * Orientation as the FP32 gemm: the LEFT operand W[M = Cout, K] is the packed weights, the right operand is the
 * activations, so an NCHW convolution computes per image and group Y[Cout, H*W] = W * col[K, H*W]. The
 * activation zero point is folded into the packed bias (bias[m] = B[m] - x_zero_point * sum_k W[m][k]), so the
 * kernel multiplies the raw uint8 activations and needs no zero point. int8 activations are handled in the
 * uint8 domain: x ^ 0x80 (= x + 128) on packing, zero points + 128, output byte ^ 0x80 on store; the results are
 * exactly those of int8 arithmetic.
 *
 * Packed weights ("qc8w panels", written by qi_qu8_gemm_pack_w, read by every ukernel), Kp = round_up(K, 4):
 *
 *   for each panel p of MR rows (rows p*MR .. p*MR+MR-1; rows past M: weights 0, bias 0, scale 0):
 *     int32_t bias[MR]                 B[m] - x_zero_point * sum_k W[m][k]   (int32, wrapping)
 *     float   scale[MR]                requantization scale of row m (> 0)
 *     intW_t  w[Kp / 4][MR][4]         w[kb][r][j] = W[p*MR + r][4*kb + j]   (0 past K)
 *
 *   intW_t is int8_t, or for kernels whose config says w_bytes = 2 (AVX2 without VNNI) int16_t: the weights are
 *   sign-extended once at packing, so that a row's 4 weights are one 64-bit broadcast load in the kernel.
 *   One panel is MR * (8 + w_bytes * Kp) bytes (qi_qu8_gemm_panel_bytes); panels follow each other.
 *
 * Packed activations (written by qi_qu8_gemm_pack_x / qi_qu8_im2col_packed), per block of NR columns:
 *
 *   for each column block b of NR columns (columns past N: any value, their outputs are not stored):
 *     uint8_t x[Kp / 4][NR][4]         x[kb][j][i] = X_u8[4*kb + i][b*NR + j]   (k past K: 0; W is 0 there)
 *
 *   One block is NR * Kp bytes (qi_qu8_gemm_xblock_bytes). Four consecutive k of one column are adjacent, the
 *   operand of vpdpbusd (and of vpmaddwd after widening to int16).
 *
 * A ukernel computes mr (1..MR) rows of one panel against nc (>= 1) columns, walking consecutive column blocks
 * of packed_x; it stores C[r][j] at c[r * c_row_stride + j * c_col_stride] (c_col_stride 1: convolution, NCHW;
 * c_row_stride 1: MatMul's transposed store). Preconditions (asserted): 1 <= kc <= QI_QU8_GEMM_MAX_K, so that
 * |acc| <= 255 * 128 * 65536 < 2^31 and int32 cannot overflow before the bias is added.
 */
#ifndef QI_QU8_GEMM_H
#define QI_QU8_GEMM_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-im2col/window2d.h"
#include "kernels/isa.h"

#define QI_QU8_GEMM_MAX_K 65536
#define QI_QU8_GEMM_KR 4

/* Output parameters, in the uint8 domain (int8 value + 128 for int8 outputs). Fill with
 * qi_qu8_gemm_params_init; min / max are (float)(qmin - zero_point), (float)(qmax - zero_point). */
typedef struct qi_qu8_gemm_params {
  float min, max;
  int32_t zero_point;
  int32_t qmin, qmax; /* 0 <= qmin <= qmax <= 255; a fused clamp may leave zero_point outside */
  uint8_t sign_flip;  /* 0x80 for int8 outputs: stored byte = result ^ sign_flip */
} qi_qu8_gemm_params;

static inline qi_qu8_gemm_params qi_qu8_gemm_params_init(int32_t zero_point, int32_t qmin, int32_t qmax,
                                                         uint8_t sign_flip) {
  assert(0 <= qmin && qmin <= qmax && qmax <= 255 && 0 <= zero_point && zero_point <= 255);
  const qi_qu8_gemm_params p = {(float)(qmin - zero_point), (float)(qmax - zero_point), zero_point, qmin, qmax,
                                sign_flip};
  return p;
}

static_assert(sizeof(int32_t) == 4 && sizeof(float) == 4, "panel header: MR int32 biases then MR binary32 scales");

typedef void (*qi_qu8_gemm_minmax_ukernel_fn)(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                              const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                              size_t c_col_stride, const qi_qu8_gemm_params *params);

typedef struct qi_qu8_gemm_config {
  qi_qu8_gemm_minmax_ukernel_fn ukernel;
  size_t mr, nr;   /* kr is always QI_QU8_GEMM_KR */
  size_t w_bytes;  /* bytes per packed weight: 1 (int8) or 2 (int16) */
  const char *name;
} qi_qu8_gemm_config;

/* Config for an ISA path, falling back along the family
 * (avx512vnni -> avxvnni -> avx2 -> scalar). Never NULL. */
const qi_qu8_gemm_config *qi_qu8_gemm_config_get(qi_isa isa);

static inline size_t qi_qu8_round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
static inline size_t qi_qu8_gemm_panel_bytes(size_t k, size_t mr, size_t w_bytes) {
  return mr * (2 * sizeof(int32_t) + w_bytes * qi_qu8_round_up(k, QI_QU8_GEMM_KR));
}
static inline size_t qi_qu8_gemm_packed_w_bytes(size_t m, size_t k, size_t mr, size_t w_bytes) {
  return (m + mr - 1) / mr * qi_qu8_gemm_panel_bytes(k, mr, w_bytes);
}
static inline size_t qi_qu8_gemm_xblock_bytes(size_t k, size_t nr) { return nr * qi_qu8_round_up(k, QI_QU8_GEMM_KR); }
static inline size_t qi_qu8_gemm_packed_x_bytes(size_t k, size_t n, size_t nr) {
  return (n + nr - 1) / nr * qi_qu8_gemm_xblock_bytes(k, nr);
}

/* The parts of one packed panel of mr rows. */
typedef struct qi_qu8_gemm_panel {
  const int32_t *bias;
  const float *scale;
  const void *w; /* int8_t or int16_t weights */
} qi_qu8_gemm_panel;

static inline qi_qu8_gemm_panel qi_qu8_gemm_panel_parts(const void *packed_w, size_t mr) {
  const uint8_t *p = packed_w;
  const qi_qu8_gemm_panel parts = {(const int32_t *)p, (const float *)(p + mr * sizeof(int32_t)),
                                   p + 2 * mr * sizeof(int32_t)};
  return parts;
}

/* Packs W (m x k int8, element (i, j) at w[i * w_m_stride + j * w_k_stride]) into panels of mr rows of w_bytes
 * weights, with bias[i] (NULL: 0) - x_zero_point * sum_j W[i][j] (x_zero_point in the uint8 domain) and scale[i]
 * (m floats). `packed` holds qi_qu8_gemm_packed_w_bytes(m, k, mr, w_bytes) bytes. */
void qi_qu8_gemm_pack_w(size_t m, size_t k, size_t mr, size_t w_bytes, const int8_t *w, size_t w_m_stride,
                        size_t w_k_stride, const int32_t *bias, const float *scale, int32_t x_zero_point,
                        void *packed);

/* Packs columns [0, n) of X (k x n bytes, element (i, j) at x[i * k_stride + j * n_stride]) XORed with
 * sign_flip into ceil(n / nr) blocks of nr columns (qi_qu8_gemm_packed_x_bytes bytes). */
void qi_qu8_gemm_pack_x(size_t k, size_t n, size_t nr, const uint8_t *x, size_t k_stride, size_t n_stride,
                        uint8_t sign_flip, uint8_t *packed);

/* im2col of `channels` CHW planes straight into the packed activation layout: K = channels * kernel_h *
 * kernel_w rows (row (c * kernel_h + ky) * kernel_w + kx), one column per output pixel in [pix_begin, pix_end)
 * (pixel oy * out_w + ox), in ceil((pix_end - pix_begin) / nr) blocks. Loaded bytes are XORed with sign_flip;
 * padding taps (and columns past pix_end in the last block) get pad_value (the input zero point, uint8 domain). */
void qi_qu8_im2col_packed(const qi_window2d *g, size_t channels, const uint8_t *input, uint8_t sign_flip,
                          uint8_t pad_value, size_t pix_begin, size_t pix_end, size_t nr, uint8_t *packed);

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x4c4__scalar(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                        const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                        size_t c_col_stride, const qi_qu8_gemm_params *params);
void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_params *params);
void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                          const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                          size_t c_col_stride, const qi_qu8_gemm_params *params);
void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                             const uint8_t *packed_x, uint8_t *c,
                                                             size_t c_row_stride, size_t c_col_stride,
                                                             const qi_qu8_gemm_params *params);

#endif /* QI_QU8_GEMM_H */
