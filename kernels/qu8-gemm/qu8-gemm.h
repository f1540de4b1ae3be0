/* Quantized GEMM: 8-bit activations x int8 per-output-channel weights, int32 accumulation, requantized per
 * output row by the one rule of kernels/requant.h, uint8 output (int8 through the sign-flip trick).
 *
 *   C[m][n] = requant(bias[m] + sum_k W[m][k] * X_d[k][n], scale[m])        (m < M, n < N, k < K)
 *
 * Orientation as the FP32 gemm: the LEFT operand W[M = Cout, K] is the packed weights, the right operand is the
 * activations, so an NCHW convolution computes per image and group Y[Cout, H*W] = W * col[K, H*W]. X_d is the
 * activations in the kernel's domain (config x_domain, kernels/ukernel.h): uint8 for the x86 kernels (int8
 * tensors XORed with 0x80 on packing), int8 for a kernel that declares QI_ACT_DOMAIN_S8 (uint8 tensors XORed).
 * The activation zero point, in the same domain (qi_act_domain_value), is folded into the packed bias
 * (bias[m] = B[m] - x_zero_point * sum_k W[m][k]), so the kernel multiplies the raw domain bytes and needs no
 * zero point; the results are exactly those of the tensor's own arithmetic. Outputs are requantized in the
 * uint8 domain (zero point + 128 for int8 outputs) and XORed with the output flip on store.
 *
 * The config's contract: tile mr x nr, k-block kr, packed weight width w_bytes, activation domain, the weight
 * packer (pack_w) with its size function (packed_w_size), and the output parameters' initialiser. The packers
 * and size helpers below take kr (and mr, nr) from the config, so a kernel with another k-block (kr = 8 for
 * i8mm usmmla) or domain is described without touching the others. Kp = round_up(K, kr).
 *
 * Packed weights ("qc8w panels", written by qi_qu8_gemm_pack_w, read by every ukernel):
 *
 *   for each panel p of mr rows (rows p*mr .. p*mr+mr-1; rows past M: weights 0, bias 0, scale 0):
 *     int32_t bias[mr]                 B[m] - x_zero_point * sum_k W[m][k]   (int32, wrapping)
 *     float   scale[mr]                requantization scale of row m (> 0)
 *     intW_t  w[Kp / kr][mr][kr]       w[kb][r][j] = W[p*mr + r][kr*kb + j]  (0 past K)
 *
 *   intW_t is int8_t, or for kernels whose config says w_bytes = 2 (AVX2 without VNNI) int16_t: the weights are
 *   sign-extended once at packing, so that a row's 4 weights are one 64-bit broadcast load in the kernel.
 *   One panel is mr * (8 + w_bytes * Kp) bytes rounded up to 4 (qi_qu8_gemm_panel_bytes: the next panel's int32
 *   header stays aligned; zeros fill the gap); panels follow each other.
 *
 * Packed activations (written by qi_qu8_gemm_pack_x / qi_qu8_im2col_packed), per block of nr columns:
 *
 *   for each column block b of nr columns (columns past N: any value, their outputs are not stored):
 *     uint8_t x[Kp / kr][nr][kr]       x[kb][j][i] = X_d[kr*kb + i][b*nr + j]   (k past K: 0; W is 0 there)
 *
 *   One block is nr * Kp bytes (qi_qu8_gemm_xblock_bytes). kr consecutive k of one column are adjacent: with
 *   kr = 4, the operand of vpdpbusd (and of vpmaddwd after widening to int16).
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
#include "kernels/ukernel.h"

#define QI_QU8_GEMM_MAX_K 65536
#define QI_QU8_GEMM_MAX_KR 16 /* largest k-block the activation packers handle */

/* Output parameters, in the uint8 domain (int8 value + 128 for int8 outputs). Fill with
 * qi_qu8_gemm_params_init; min / max are (float)(qmin - zero_point), (float)(qmax - zero_point).
 * col_bias (NULL from the initialiser): per column j < nc of one ukernel call, an int32 added (wrapping) to the
 * sums of column j before requantization, beside the per-row bias of the panel. A product whose packed "weights"
 * are an activation with a zero point needs it: there the zero point term sum_k (x[k][j] - x_zp) depends on the
 * column (engine/ops/quant_matmul.c). The caller points it at the call's first column. */
typedef struct qi_qu8_gemm_params {
  float min, max;
  int32_t zero_point;
  int32_t qmin, qmax; /* 0 <= qmin <= qmax <= 255; a fused clamp may leave zero_point outside */
  uint8_t sign_flip;  /* 0x80 for int8 outputs: stored byte = result ^ sign_flip */
  const int32_t *col_bias;
} qi_qu8_gemm_params;

static inline qi_qu8_gemm_params qi_qu8_gemm_params_init(int32_t zero_point, int32_t qmin, int32_t qmax,
                                                         uint8_t sign_flip) {
  assert(0 <= qmin && qmin <= qmax && qmax <= 255 && 0 <= zero_point && zero_point <= 255);
  const qi_qu8_gemm_params p = {(float)(qmin - zero_point), (float)(qmax - zero_point), zero_point, qmin, qmax,
                                sign_flip, NULL};
  return p;
}
/* The output parameters of a uint8 (is_int8 false) or int8 output with zero point zero_point and range
 * [qmin, qmax], all three in the tensor's own type. */
qi_qu8_gemm_params qi_qu8_gemm_params_make(int32_t zero_point, int32_t qmin, int32_t qmax, bool is_int8);

static_assert(sizeof(int32_t) == 4 && sizeof(float) == 4, "panel header: MR int32 biases then MR binary32 scales");

#define QI_QU8_GEMM_UKERNEL_DECL(fn)                                                                          \
  void fn(size_t mr, size_t nc, size_t kc, const void *packed_w, const uint8_t *packed_x, uint8_t *c,           \
          size_t c_row_stride, size_t c_col_stride, const qi_qu8_gemm_params *params)
typedef QI_QU8_GEMM_UKERNEL_DECL((*qi_qu8_gemm_minmax_ukernel_fn));

struct qi_qu8_gemm_config;
/* Packs W (m x k int8, element (i, j) at w[i * w_m_stride + j * w_k_stride]) into the config's panels, with
 * bias[i] (NULL: 0) - x_zero_point * sum_j W[i][j] (x_zero_point in the config's activation domain) and
 * scale[i] (m floats), into packed_w_size(cfg, m, k) bytes. */
typedef void (*qi_qu8_gemm_pack_w_fn)(const struct qi_qu8_gemm_config *cfg, size_t m, size_t k, const int8_t *w,
                                      size_t w_m_stride, size_t w_k_stride, const int32_t *bias, const float *scale,
                                      int32_t x_zero_point, void *packed);
typedef size_t (*qi_qu8_gemm_packed_w_size_fn)(const struct qi_qu8_gemm_config *cfg, size_t m, size_t k);
/* The activation packer (qi_qu8_gemm_pack_x's signature and output, byte for byte). */
typedef void (*qi_qu8_gemm_pack_x_fn)(size_t k, size_t n, size_t nr, size_t kr, const uint8_t *x, size_t k_stride,
                                      size_t n_stride, uint8_t sign_flip, uint8_t *packed);
typedef qi_qu8_gemm_params (*qi_qu8_gemm_params_init_fn)(int32_t zero_point, int32_t qmin, int32_t qmax,
                                                         bool is_int8);

typedef struct qi_qu8_gemm_config {
  qi_qu8_gemm_minmax_ukernel_fn ukernel;
  const char *name;
  uint32_t features;        /* QI_CPU_* bits the kernel needs */
  size_t mr, nr, kr;        /* tile rows, columns, k-block */
  size_t w_bytes;           /* bytes per packed weight: 1 (int8) or 2 (int16) */
  qi_act_domain x_domain;   /* how the kernel reads activation bytes */
  qi_qu8_gemm_pack_w_fn pack_w;
  qi_qu8_gemm_packed_w_size_fn packed_w_size;
  qi_qu8_gemm_pack_x_fn pack_x; /* qi_qu8_gemm_pack_x or a SIMD packer with the same output (needs `features`) */
  qi_qu8_gemm_params_init_fn init_params;
} qi_qu8_gemm_config;
QI_KERNEL_PAIR(qi_qu8_gemm_config, ukernel, name);

/* Config for an ISA path, falling back along the family (avx512vnni -> avxvnni -> avx2 -> scalar; neoni8mm ->
 * neondot -> neon -> scalar). Never NULL. */
const qi_qu8_gemm_config *qi_qu8_gemm_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_gemm_config *const *qi_qu8_gemm_config_list(size_t *count);

static inline size_t qi_qu8_round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
/* Rounded up to 4 bytes so that every panel's int32 header is aligned (with kr a multiple of 4, as in every x86
 * kernel, it already is). */
static inline size_t qi_qu8_gemm_panel_bytes(size_t k, size_t mr, size_t kr, size_t w_bytes) {
  return qi_qu8_round_up(mr * (2 * sizeof(int32_t) + w_bytes * qi_qu8_round_up(k, kr)), sizeof(int32_t));
}
static inline size_t qi_qu8_gemm_xblock_bytes(size_t k, size_t nr, size_t kr) { return nr * qi_qu8_round_up(k, kr); }
static inline size_t qi_qu8_gemm_packed_x_bytes(size_t k, size_t n, size_t nr, size_t kr) {
  return (n + nr - 1) / nr * qi_qu8_gemm_xblock_bytes(k, nr, kr);
}
/* Bytes from one panel of cfg's packed weights to the next (the packed size of mr rows). */
static inline size_t qi_qu8_gemm_panel_stride(const qi_qu8_gemm_config *cfg, size_t k) {
  return cfg->packed_w_size(cfg, cfg->mr, k);
}
/* The activation XOR and a zero point (in the tensor's own type) for cfg's activation domain. */
static inline uint8_t qi_qu8_gemm_x_flip(const qi_qu8_gemm_config *cfg, bool x_is_int8) {
  return qi_act_domain_flip(cfg->x_domain, x_is_int8);
}
static inline int32_t qi_qu8_gemm_x_zero_point(const qi_qu8_gemm_config *cfg, int32_t zero_point, bool x_is_int8) {
  return qi_act_domain_value(cfg->x_domain, zero_point, x_is_int8);
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

/* The qc8w packer and its size (the pack_w / packed_w_size of every config of this family): panels of cfg->mr
 * rows, k-blocks of cfg->kr, cfg->w_bytes per weight. x_zero_point in [-128, 255] (the config's domain). */
void qi_qu8_gemm_pack_w(const qi_qu8_gemm_config *cfg, size_t m, size_t k, const int8_t *w, size_t w_m_stride,
                        size_t w_k_stride, const int32_t *bias, const float *scale, int32_t x_zero_point,
                        void *packed);
size_t qi_qu8_gemm_packed_w_size(const qi_qu8_gemm_config *cfg, size_t m, size_t k);

/* The per-run packer of an activation as the left operand (kernels/qu8-gemm/pack-rows.c): the panels of
 * qi_qu8_gemm_pack_w for W[i][j] = (int8_t)(w[i * row_stride + j] ^ w_flip) (w_flip 0x80: uint8 bytes as
 * value - 128), bias[i] = -x_zero_point * sum_j W[i][j] and the one scale for every row. */
void qi_qu8_gemm_pack_w_rows(const qi_qu8_gemm_config *cfg, size_t m, size_t k, const uint8_t *w, size_t row_stride,
                             uint8_t w_flip, float scale, int32_t x_zero_point, void *packed);

/* Packs columns [0, n) of X (k x n bytes, element (i, j) at x[i * k_stride + j * n_stride]) XORed with
 * sign_flip into ceil(n / nr) blocks of nr columns and k-blocks of kr <= QI_QU8_GEMM_MAX_KR
 * (qi_qu8_gemm_packed_x_bytes bytes). */
void qi_qu8_gemm_pack_x(size_t k, size_t n, size_t nr, size_t kr, const uint8_t *x, size_t k_stride,
                        size_t n_stride, uint8_t sign_flip, uint8_t *packed);
/* The same, AVX2 for n_stride 1, kr 4 and nr a multiple of 4 (kernels/qu8-gemm/pack-x-avx2.c); else the above. */
void qi_qu8_gemm_pack_x__avx2(size_t k, size_t n, size_t nr, size_t kr, const uint8_t *x, size_t k_stride,
                              size_t n_stride, uint8_t sign_flip, uint8_t *packed);
/* The same, NEON (aarch64 and armv7) for n_stride 1, kr 1, 4 or 8 and nr a multiple of 8
 * (kernels/qu8-gemm/pack-x-neon.c); else qi_qu8_gemm_pack_x. */
void qi_qu8_gemm_pack_x__neon(size_t k, size_t n, size_t nr, size_t kr, const uint8_t *x, size_t k_stride,
                              size_t n_stride, uint8_t sign_flip, uint8_t *packed);

/* im2col of `channels` CHW planes straight into the packed activation layout: K = channels * kernel_h *
 * kernel_w rows (row (c * kernel_h + ky) * kernel_w + kx), one column per output pixel in [pix_begin, pix_end)
 * (pixel oy * out_w + ox), in ceil((pix_end - pix_begin) / nr) blocks of k-blocks of kr <= QI_QU8_GEMM_MAX_KR.
 * Loaded bytes are XORed with sign_flip; padding taps (and columns past pix_end in the last block) get
 * pad_value (the input zero point as a byte of the kernel's domain). */
void qi_qu8_im2col_packed(const qi_window2d *g, size_t channels, const uint8_t *input, uint8_t sign_flip,
                          uint8_t pad_value, size_t pix_begin, size_t pix_end, size_t nr, size_t kr,
                          uint8_t *packed);

QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x4c4__scalar);
QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2);
QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni);
QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni);
QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c1__neon);
QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c1__neon);
QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c4__neondot);
QI_QU8_GEMM_UKERNEL_DECL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm);

#endif /* QI_QU8_GEMM_H */
