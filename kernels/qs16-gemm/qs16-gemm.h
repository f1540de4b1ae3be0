/* W8A16 gemm: 16-bit activations (int16, or uint16 through the XOR below) x int8 per-output-channel weights,
 * exact integer accumulation, requantized per output row by kernels/requant.h's rule (qi_requant_fp32_s64) to a
 * 16-bit or 8-bit output.
 *
 *   C[m][n] = requant(bias[m] + sum_k W[m][k] * X_d[k][n], scale[m])        (m < M, n < N, k < K)
 *
 * Orientation as the qu8 gemm (kernels/qu8-gemm/qu8-gemm.h): the left operand W[M = Cout, K] is the packed
 * weights, the right one the activations, so a convolution computes Y[Cout, H*W] = W * col[K, H*W].
 *
 * Activation domain: int16. An int16 tensor is read as it is; a uint16 tensor is XORed with 0x8000 on packing,
 * which maps u to u - 32768, and its zero point moves by the same 32768, so x - x_zero_point is unchanged (the
 * 8-bit families' sign-flip trick, 16 bits wide). The zero point in that domain is folded into the packed bias:
 * bias[m] = B[m] - x_zero_point_d * sum_k W[m][k], an int64 (|x_zero_point_d| <= 32768, |sum_k W| <= 128 K).
 *
 * Exact accumulation: |X_d| <= 32768 and |W| <= 128, so a product is at most 2^22 in magnitude and a chunk of
 * QI_QS16_GEMM_KC = 256 consecutive k sums to at most 2^30 < 2^31: the kernels sum products in int32 over chunks
 * of 256 k and widen each chunk's sum (to int64 in the scalar kernel; to binary64 in the AVX2 one, exact since
 * every partial sum is an integer below 2^53). No instruction that saturates is used: vpmaddwd adds two products
 * of at most 2^22 each. With K <= QI_QS16_GEMM_MAX_K = 2^24, |acc| <= 2^46 + |bias| < 2^53.
 *
 * Requantization (kernels/requant.h, qi_requant_fp32_s64): q = clamp(round_half_even((float)acc * scale) + zp,
 * qmin, qmax), where (float)acc rounds the int64 to the nearest binary32 (ties to even) once: exact while
 * |acc| < 2^24, and for larger sums the nearest float; the AVX2 path converts the exact binary64 sum with
 * vcvtpd2ps, the same single rounding, so every path gives the same integers.
 *
 * Packed weights (qi_qs16_gemm_pack_w), per panel p of mr rows (rows past M: weights 0, bias 0, scale 0):
 *
 *     int64_t bias[mr]               B[m] - x_zero_point_d * sum_k W[m][k]
 *     float   scale[mr]              requantization scale of row m (> 0)
 *     int16_t w[Kp / 2][mr][2]       w[kb][r][j] = W[p*mr + r][2*kb + j]   (0 past K; sign-extended int8)
 *
 *   Kp = round_up(K, 2); one panel is mr * (12 + 2 * Kp) bytes rounded up to 8 (qi_qs16_gemm_panel_bytes).
 *   A row's two weights of one k pair are one 32-bit broadcast, the operand of vpmaddwd.
 *
 * Packed activations (qi_qs16_gemm_pack_x, qi_qs16_im2col_packed), per block b of nr columns:
 *
 *     int16_t x[Kp / 2][nr][2]       x[kb][j][i] = X_d[2*kb + i][b*nr + j]     (0 past K and past N)
 *
 * A ukernel computes mr (1..MR) rows of one panel against nc (>= 1) columns, walking consecutive blocks of
 * packed_x, and stores the low out_bytes bytes of q (two's complement for the signed types) at element
 * c[r * c_row_stride + j * c_col_stride] (strides in elements). 1 <= kc <= QI_QS16_GEMM_MAX_K (asserted).
 */
#ifndef QI_QS16_GEMM_H
#define QI_QS16_GEMM_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-im2col/window2d.h"
#include "kernels/ukernel.h"

#define QI_QS16_GEMM_MAX_K (1u << 24)
#define QI_QS16_GEMM_KC 256 /* k summed in int32 before widening: 256 * 2^22 = 2^30 */

/* Output parameters in the output tensor's own integers: min / max = (float)(qmin - zero_point),
 * (float)(qmax - zero_point); out_bytes 2 (int16 / uint16) or 1 (int8 / uint8). */
typedef struct qi_qs16_gemm_params {
  float min, max;
  int32_t zero_point;
  int32_t qmin, qmax;
  uint32_t out_bytes;
} qi_qs16_gemm_params;

/* Parameters of an output of type range [type_min, type_max] (the tensor type's), zero point zp and fused clamp
 * [qmin, qmax] within it; out_bytes 1 or 2. */
static inline qi_qs16_gemm_params qi_qs16_gemm_params_init(int32_t zero_point, int32_t qmin, int32_t qmax,
                                                           uint32_t out_bytes) {
  assert(qmin <= qmax && qmin >= -32768 && qmax <= 65535 && (out_bytes == 1 || out_bytes == 2));
  const qi_qs16_gemm_params p = {(float)(qmin - zero_point), (float)(qmax - zero_point), zero_point, qmin, qmax,
                                 out_bytes};
  return p;
}

#define QI_QS16_GEMM_UKERNEL_DECL(fn)                                                                         \
  void fn(size_t mr, size_t nc, size_t kc, const void *packed_w, const int16_t *packed_x, void *c,              \
          size_t c_row_stride, size_t c_col_stride, const qi_qs16_gemm_params *params)
typedef QI_QS16_GEMM_UKERNEL_DECL((*qi_qs16_gemm_ukernel_fn));

typedef struct qi_qs16_gemm_config {
  qi_qs16_gemm_ukernel_fn ukernel;
  const char *name;
  uint32_t features; /* QI_CPU_* bits the kernel needs */
  size_t mr, nr;     /* tile rows and columns; the k-block is 2 for every kernel */
} qi_qs16_gemm_config;
QI_KERNEL_PAIR(qi_qs16_gemm_config, ukernel, name);

/* Config for an ISA path, falling back along the family (every x86 path above AVX2 -> avx2 -> scalar). */
const qi_qs16_gemm_config *qi_qs16_gemm_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first. */
const qi_qs16_gemm_config *const *qi_qs16_gemm_config_list(size_t *count);

static inline size_t qi_qs16_round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
static inline size_t qi_qs16_gemm_panel_bytes(size_t k, size_t mr) {
  return qi_qs16_round_up(mr * (sizeof(int64_t) + sizeof(float) + 2 * qi_qs16_round_up(k, 2)), 8);
}
static inline size_t qi_qs16_gemm_packed_w_size(size_t m, size_t k, size_t mr) {
  return (m + mr - 1) / mr * qi_qs16_gemm_panel_bytes(k, mr);
}
/* int16 elements of one block of nr packed columns, and of n columns */
static inline size_t qi_qs16_gemm_xblock_elems(size_t k, size_t nr) { return nr * qi_qs16_round_up(k, 2); }
static inline size_t qi_qs16_gemm_packed_x_elems(size_t k, size_t n, size_t nr) {
  return (n + nr - 1) / nr * qi_qs16_gemm_xblock_elems(k, nr);
}

/* The XOR that takes a 16-bit tensor's values into the int16 domain, and a zero point of it into that domain. */
static inline uint16_t qi_qs16_flip(bool is_uint16) { return is_uint16 ? 0x8000 : 0; }
static inline int32_t qi_qs16_domain_zp(int32_t zero_point, bool is_uint16) {
  return is_uint16 ? zero_point - 32768 : zero_point;
}

/* The parts of one packed panel of mr rows. */
typedef struct qi_qs16_gemm_panel {
  const int64_t *bias;
  const float *scale;
  const int16_t *w;
} qi_qs16_gemm_panel;

static inline qi_qs16_gemm_panel qi_qs16_gemm_panel_parts(const void *packed_w, size_t mr) {
  const uint8_t *p = packed_w;
  const qi_qs16_gemm_panel parts = {(const int64_t *)(const void *)p,
                                    (const float *)(const void *)(p + mr * sizeof(int64_t)),
                                    (const int16_t *)(const void *)(p + mr * (sizeof(int64_t) + sizeof(float)))};
  return parts;
}

static_assert(sizeof(int64_t) == 8 && sizeof(float) == 4, "panel header: MR int64 biases then MR binary32 scales");

/* Packs W (m x k int8, element (i, j) at w[i * w_m_stride + j * w_k_stride]) into panels of mr rows with
 * bias[i] (NULL: 0) - x_zero_point_d * sum_j W[i][j] and scale[i], into qi_qs16_gemm_packed_w_size bytes
 * (8-byte aligned). x_zero_point_d: the activation zero point in the int16 domain (qi_qs16_domain_zp). */
void qi_qs16_gemm_pack_w(size_t mr, size_t m, size_t k, const int8_t *w, size_t w_m_stride, size_t w_k_stride,
                         const int32_t *bias, const float *scale, int32_t x_zero_point_d, void *packed);

/* Packs columns [0, n) of X (k x n 16-bit values, element (i, j) at x[i * k_stride + j * n_stride]) XORed with
 * flip into ceil(n / nr) blocks (qi_qs16_gemm_packed_x_elems int16). */
void qi_qs16_gemm_pack_x(size_t k, size_t n, size_t nr, const uint16_t *x, size_t k_stride, size_t n_stride,
                         uint16_t flip, int16_t *packed);

/* im2col of `channels` CHW planes of 16-bit values straight into the packed layout: K = channels * kernel_h *
 * kernel_w rows (row (c * kernel_h + ky) * kernel_w + kx), one column per output pixel in [pix_begin, pix_end).
 * Values are XORed with flip; padding taps get pad_d (the input zero point in the int16 domain). */
void qi_qs16_im2col_packed(const qi_window2d *g, size_t channels, const uint16_t *input, uint16_t flip,
                           int16_t pad_d, size_t pix_begin, size_t pix_end, size_t nr, int16_t *packed);

QI_QS16_GEMM_UKERNEL_DECL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x4c2__scalar);
QI_QS16_GEMM_UKERNEL_DECL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x8c2__avx2);
QI_QS16_GEMM_UKERNEL_DECL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_8x8c2__avx2);
QI_QS16_GEMM_UKERNEL_DECL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x8c2__neon);

#endif /* QI_QS16_GEMM_H */
