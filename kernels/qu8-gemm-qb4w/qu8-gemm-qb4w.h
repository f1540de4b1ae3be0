/* W4A8 GEMM: 8-bit activations x 4-bit weights with a float scale per output channel and block of k (qb4w; one
 * block spanning k is per-channel int4), int32 accumulation per block, a float sum over blocks, 8-bit output.
 *
 *   f[m][n] = bias_f[m] + sum over blocks b, in order, of (float)(zc[b][m] + sum_{k in b} Wd[m][k] * X_d[k][n]) * s[b][m]
 *   C[m][n] = clamp(round_half_even(f[m][n]), qmin - zp, qmax - zp) + zp          (then XOR sign_flip on store)
 *
 * Orientation, activations, packed activations, output parameters (qi_qu8_gemm_params; col_bias must be NULL)
 * and the activation packers are those of kernels/qu8-gemm/qu8-gemm.h: W[M = Cout, K] on the left, X_d[K, N]
 * the activation bytes in the config's domain packed in column blocks of nr and k-blocks of kr.
 * Wd[m][k] = u - z, the offset-binary nibble minus the block's zero point (kernels/qb4w.h), in -15..15.
 * zc[b][m] = -x_zero_point * sum_{k in b} Wd[m][k] (+ bias_q[m] in block 0): the activation zero point folded in
 * per block, exactly as the int8 family folds it into its bias.
 * s[b][m] = (x_scale * w_scale[m][b]) / y_scale, composed by the caller in that order.
 *
 * Bit-exactness: every ISA computes exactly this: int32 sums per block (no overflow: |Wd| <= 15, bytes <= 255,
 * k <= QI_QU8_GEMM_MAX_K), then per block one int32 -> float conversion (round to nearest even), one binary32
 * multiply and one binary32 add, never fused (the family's files build with -ffp-contract=off; SIMD code uses
 * separate multiply and add instructions), blocks added in increasing order starting from bias_f; then the
 * clamp and rounding of kernels/requant.h. With one block and bias_f = 0, C is exactly the int8 family's result
 * for the same integer weights (0 + x = x), so per-channel int4 gives the INT8 rule.
 *
 * Packed weights ("qb4w panels", written by qi_qu8_gemm_qb4w_pack_w; the ABI every ukernel reads):
 *
 *   for each panel p of mr rows (rows past M: weights u = z = 0, scales 0, bias 0):
 *     float   bias_f[mr]
 *     for each block b of bl k-values (nb = ceil(K / bl) blocks; nibbles past K are u = z = 0, i.e. weight 0):
 *       int32_t zc[mr]
 *       float   scale[mr]
 *       uint8_t z[mr] then 0-bytes up to a multiple of 4           (qi_qu8_gemm_qb4w_zp_bytes(mr))
 *       uint8_t u[bl / G][mr][G / 2]                               G = qi_qu8_gemm_qb4w_group(bl): 32, or 16
 *                                                                  when bl is an odd multiple of 16
 *         group g, row r, byte i: low nibble  = u of k = b*bl + g*G + i
 *                                 high nibble = u of k = b*bl + g*G + i + G/2
 *
 *   So one group of one row (16 bytes for G = 32) unpacks with an AND and a shift into G weights in k order;
 *   a group of all mr rows is contiguous. bl is a multiple of 16 and of the config's kr; per-channel weights
 *   use bl = round_up(K, 32) (qi_qu8_gemm_qb4w_channel_block). Block bytes and panel bytes are multiples of 4.
 *
 * A ukernel computes mr (1..MR) rows of one panel against nc (>= 1) columns walking consecutive column blocks of
 * packed_x (as qu8-gemm), with the block length bl in its params; it stores C[r][j] at
 * c[r * c_row_stride + j * c_col_stride]. Kernels may unpack nibbles into a small buffer on their stack (at most
 * one block of one panel, or a group at a time for long blocks); nothing is allocated.
 */
#ifndef QI_QU8_GEMM_QB4W_H
#define QI_QU8_GEMM_QB4W_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/qb4w.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

static_assert(sizeof(int32_t) == 4 && sizeof(float) == 4, "qb4w block header: int32 zc[mr], binary32 scale[mr]");

static inline size_t qi_qu8_gemm_qb4w_group(size_t bl) { return bl % 32 == 0 ? 32 : 16; }
static inline size_t qi_qu8_gemm_qb4w_zp_bytes(size_t mr) { return qi_qu8_round_up(mr, 4); }
static inline size_t qi_qu8_gemm_qb4w_block_bytes(size_t mr, size_t bl) {
  return mr * (sizeof(int32_t) + sizeof(float)) + qi_qu8_gemm_qb4w_zp_bytes(mr) + mr * bl / 2;
}
static inline size_t qi_qu8_gemm_qb4w_panel_bytes(size_t mr, size_t k, size_t bl) {
  return mr * sizeof(float) + (k + bl - 1) / bl * qi_qu8_gemm_qb4w_block_bytes(mr, bl);
}
/* The block length of per-channel weights of reduction length k. */
static inline size_t qi_qu8_gemm_qb4w_channel_block(size_t k) { return qi_qu8_round_up(k, 32); }

/* The parts of block b of one packed panel. */
typedef struct qi_qu8_gemm_qb4w_block {
  const int32_t *zc;
  const float *scale;
  const uint8_t *z;
  const uint8_t *u;
} qi_qu8_gemm_qb4w_block;

static inline qi_qu8_gemm_qb4w_block qi_qu8_gemm_qb4w_block_parts(const void *panel, size_t mr, size_t bl, size_t b) {
  const uint8_t *p = (const uint8_t *)panel + mr * sizeof(float) + b * qi_qu8_gemm_qb4w_block_bytes(mr, bl);
  const qi_qu8_gemm_qb4w_block parts = {(const int32_t *)p, (const float *)(p + mr * sizeof(int32_t)),
                                        p + mr * (sizeof(int32_t) + sizeof(float)),
                                        p + mr * (sizeof(int32_t) + sizeof(float)) + qi_qu8_gemm_qb4w_zp_bytes(mr)};
  return parts;
}

typedef struct qi_qu8_gemm_qb4w_params {
  qi_qu8_gemm_params out; /* clamp, zero point, sign flip; out.col_bias must be NULL */
  size_t bl;              /* block length of the packed weights */
} qi_qu8_gemm_qb4w_params;

#define QI_QU8_GEMM_QB4W_UKERNEL_DECL(fn)                                                                     \
  void fn(size_t mr, size_t nc, size_t kc, const void *packed_w, const uint8_t *packed_x, uint8_t *c,           \
          size_t c_row_stride, size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params)
typedef QI_QU8_GEMM_QB4W_UKERNEL_DECL((*qi_qu8_gemm_qb4w_ukernel_fn));

typedef struct qi_qu8_gemm_qb4w_config {
  qi_qu8_gemm_qb4w_ukernel_fn ukernel;
  const char *name;
  uint32_t features;            /* QI_CPU_* bits the kernel needs */
  size_t mr, nr, kr;            /* tile rows, columns, k-block of the packed activations */
  qi_act_domain x_domain;       /* how the kernel reads activation bytes */
  qi_qu8_gemm_pack_x_fn pack_x; /* activation packer (qu8-gemm's, with this config's nr, kr) */
} qi_qu8_gemm_qb4w_config;
QI_KERNEL_PAIR(qi_qu8_gemm_qb4w_config, ukernel, name);

/* Config for an ISA path, falling back along the family as qu8-gemm does. Never NULL. */
const qi_qu8_gemm_qb4w_config *qi_qu8_gemm_qb4w_config_get(qi_isa isa);
const qi_qu8_gemm_qb4w_config *const *qi_qu8_gemm_qb4w_config_list(size_t *count);

/* Packs src (m x k, kernels/qb4w.h) into cfg->mr-row panels of blocks of bl k-values, in
 * qi_qu8_gemm_qb4w_packed_size bytes, where
 *   bl == src->block (block-wise weights; src->block a multiple of 16 and of cfg->kr), or
 *   bl == qi_qu8_gemm_qb4w_channel_block(k) with src->block >= k (per-channel weights).
 * scale[i * nb + b] (m x nb floats): the composed s[b][i]; bias_f (m floats, NULL: 0); bias_q (m int32, NULL: 0;
 * added to zc of block 0); x_zero_point in the config's activation domain. */
void qi_qu8_gemm_qb4w_pack_w(const qi_qu8_gemm_qb4w_config *cfg, const qi_qb4w_source *src, size_t bl,
                             const float *scale, const float *bias_f, const int32_t *bias_q, int32_t x_zero_point,
                             void *packed);
static inline size_t qi_qu8_gemm_qb4w_packed_size(const qi_qu8_gemm_qb4w_config *cfg, size_t m, size_t k, size_t bl) {
  return (m + cfg->mr - 1) / cfg->mr * qi_qu8_gemm_qb4w_panel_bytes(cfg->mr, k, bl);
}

#endif /* QI_QU8_GEMM_QB4W_H */
