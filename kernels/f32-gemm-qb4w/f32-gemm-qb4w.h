/* W4A32 GEMM: float activations x 4-bit weights with a float scale per output channel and block of k (kernels/qb4w.h),
 * the nibbles dequantized inside the kernel (weights stay 4-bit in memory), float accumulation, float output.
 *
 *   value(i, j) = (u - z) * scale, per (output channel i, block of bl k-values), as kernels/qb4w.h defines
 *
 * Two orientations, as the FP32 gemm (kernels/f32-gemm/f32-gemm.h):
 *   - "w" (convolution): C[M, N] = W[M, K] * B[K, N] + bias[M]; W packed in panels of mr output channels, B read
 *     unpacked (kc rows of nc floats, b_stride apart), C mr rows of nc floats, c_stride apart.
 *   - "xw" (MatMul, Gemm, com.microsoft.MatMulNBits): C[M, N] = A[M, K] * W[K, N] + bias[N]; W packed in panels of
 *     xw_nr output columns (the source's rows are the output columns), A mr rows of kc floats a_stride apart.
 * The packed layouts of both are this family's ABI, documented below with static_asserts by their author.
 * FP32 results: any summation order (FMA allowed); held to tolerances against a double-precision oracle.
 * bl is a multiple of 16 (block-wise), or qi_f32_gemm_qb4w_channel_block(k) for per-channel weights.
 *
 * Packed weights: both orientations use one panel format over P channels (P = cfg->mr output rows for "w",
 * P = cfg->xw_nr output columns for "xw"; the channels are the source's rows):
 *
 *   for each panel of P channels (channels past m: bias 0, scale 0, zs 0, nibbles 0, i.e. weight 0):
 *     float    bias[P]
 *     for each block b of bl k-values (nb = ceil(K / bl) blocks):
 *       float    scale[P]                   s = scale(channel, b)
 *       float    zs[P]                      zs = -(float)(z * s), z the offset-binary zero point (0..15)
 *       uint32_t word[bl / 8][P]            word g of channel c, bits 4i..4i+3: the offset-binary nibble u of
 *                                           k = b * bl + 8 g + i (i = 0..7), native endianness; 0 past K
 *
 *   weight(c, k) = u * s + zs = (u - z) * s (kernels/qb4w.h's value, up to the rounding of z * s).
 *
 * So one vector load of QV_N words of a group holds 8 k-steps of QV_N channels; step i is (word >> 4i) & 15,
 * converted to float and dequantized with one multiply-add by the block's scale and zs: the "xw" kernels
 * dequantize each k-step of their panel's columns once, in registers, and use it for all their rows; the "w"
 * kernels dequantize a group of their panel's rows into 8 x MR floats on the stack and broadcast from there.
 * Scales are applied per k-step (in the dequantization), not per block. A kernel never reads A (xw) or B (w)
 * past kc. Block bytes and panel bytes are multiples of 4 (bl is a multiple of 8), so every float and word is
 * 4-byte aligned when the packed buffer is.
 */
#ifndef QI_F32_GEMM_QB4W_H
#define QI_F32_GEMM_QB4W_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/qb4w.h"

typedef struct qi_f32_qb4w_params {
  qi_f32_minmax_params minmax;
  size_t bl; /* block length of the packed weights */
} qi_f32_qb4w_params;

static inline size_t qi_f32_gemm_qb4w_channel_block(size_t k) { return (k + 31) / 32 * 32; }

static_assert(sizeof(float) == 4 && sizeof(uint32_t) == 4, "qb4w panels: binary32 bias / scale / zs, 32-bit words");
/* k-values per packed word (8 nibbles). */
#define QI_F32_QB4W_GROUP 8
/* Bytes of one block of a P-channel panel: scale[P], zs[P], word[bl / 8][P]. */
static inline size_t qi_f32_gemm_qb4w_block_bytes(size_t p, size_t bl) {
  return p * 2 * sizeof(float) + bl / QI_F32_QB4W_GROUP * p * sizeof(uint32_t);
}
/* Bytes of one P-channel panel over k: bias[P] and ceil(k / bl) blocks. */
static inline size_t qi_f32_gemm_qb4w_panel_bytes(size_t p, size_t k, size_t bl) {
  return p * sizeof(float) + (k + bl - 1) / bl * qi_f32_gemm_qb4w_block_bytes(p, bl);
}

#define QI_F32_GEMM_QB4W_UKERNEL_DECL(fn)                                                                      \
  void fn(size_t mr, size_t nc, size_t kc, const void *packed_w, const float *b, size_t b_stride, float *c,     \
          size_t c_stride, const qi_f32_qb4w_params *params)
typedef QI_F32_GEMM_QB4W_UKERNEL_DECL((*qi_f32_gemm_qb4w_ukernel_fn));
#define QI_F32_GEMM_QB4W_XW_UKERNEL_DECL(fn)                                                                   \
  void fn(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride, const void *packed_w, float *c,     \
          size_t c_stride, const qi_f32_qb4w_params *params)
typedef QI_F32_GEMM_QB4W_XW_UKERNEL_DECL((*qi_f32_gemm_qb4w_xw_ukernel_fn));

typedef struct qi_f32_gemm_qb4w_config {
  qi_f32_gemm_qb4w_ukernel_fn ukernel;
  const char *name;
  qi_f32_gemm_qb4w_xw_ukernel_fn xw_ukernel;
  const char *xw_name;
  uint32_t features;  /* QI_CPU_* bits both kernels need */
  size_t mr, nr;      /* "w" tile: panel rows, columns per step */
  size_t xw_mr, xw_nr; /* "xw" tile: rows of A per call, panel columns */
} qi_f32_gemm_qb4w_config;
QI_KERNEL_PAIR(qi_f32_gemm_qb4w_config, ukernel, name);
QI_KERNEL_PAIR(qi_f32_gemm_qb4w_config, xw_ukernel, xw_name);

const qi_f32_gemm_qb4w_config *qi_f32_gemm_qb4w_config_get(qi_isa isa);
const qi_f32_gemm_qb4w_config *const *qi_f32_gemm_qb4w_config_list(size_t *count);

/* Packs src (m output channels x k) with bias (m floats, NULL: 0) for cfg's "w" kernel (panels of cfg->mr rows)
 * or "xw" kernel (panels of cfg->xw_nr columns), blocks of bl, into the size the matching function gives, where
 *   bl == src->block (block-wise weights, a multiple of 16), or
 *   bl == qi_f32_gemm_qb4w_channel_block(k) with src->block >= k (per-channel weights). */
void qi_f32_gemm_qb4w_pack_w(const qi_f32_gemm_qb4w_config *cfg, const qi_qb4w_source *src, size_t bl,
                             const float *bias, void *packed);
size_t qi_f32_gemm_qb4w_packed_w_size(const qi_f32_gemm_qb4w_config *cfg, size_t m, size_t k, size_t bl);
void qi_f32_gemm_qb4w_pack_xw(const qi_f32_gemm_qb4w_config *cfg, const qi_qb4w_source *src, size_t bl,
                              const float *bias, void *packed);
size_t qi_f32_gemm_qb4w_packed_xw_size(const qi_f32_gemm_qb4w_config *cfg, size_t m, size_t k, size_t bl);
/* Bytes from one packed panel to the next (w: mr rows; xw: xw_nr columns). */
size_t qi_f32_gemm_qb4w_w_panel_stride(const qi_f32_gemm_qb4w_config *cfg, size_t k, size_t bl);
size_t qi_f32_gemm_qb4w_xw_panel_stride(const qi_f32_gemm_qb4w_config *cfg, size_t k, size_t bl);

QI_F32_GEMM_QB4W_UKERNEL_DECL(qi_f32_qb4w_gemm_minmax_ukernel_4x4__scalar);
QI_F32_GEMM_QB4W_XW_UKERNEL_DECL(qi_f32_qb4w_gemm_xw_minmax_ukernel_4x4__scalar);
#if defined(__x86_64__) || defined(__i386__)
QI_F32_GEMM_QB4W_UKERNEL_DECL(qi_f32_qb4w_gemm_minmax_ukernel_24x16__avx2);
QI_F32_GEMM_QB4W_XW_UKERNEL_DECL(qi_f32_qb4w_gemm_xw_minmax_ukernel_24x16__avx2);
QI_F32_GEMM_QB4W_UKERNEL_DECL(qi_f32_qb4w_gemm_minmax_ukernel_16x32__avx512f);
QI_F32_GEMM_QB4W_XW_UKERNEL_DECL(qi_f32_qb4w_gemm_xw_minmax_ukernel_32x32__avx512f);
#endif /* x86 */
#if defined(__aarch64__)
QI_F32_GEMM_QB4W_UKERNEL_DECL(qi_f32_qb4w_gemm_minmax_ukernel_8x8__neon);
QI_F32_GEMM_QB4W_XW_UKERNEL_DECL(qi_f32_qb4w_gemm_xw_minmax_ukernel_32x8__neon);
#elif defined(__ARM_NEON)
QI_F32_GEMM_QB4W_UKERNEL_DECL(qi_f32_qb4w_gemm_minmax_ukernel_4x8__neon);
QI_F32_GEMM_QB4W_XW_UKERNEL_DECL(qi_f32_qb4w_gemm_xw_minmax_ukernel_16x8__neon);
#endif /* Arm */

#endif /* QI_F32_GEMM_QB4W_H */
