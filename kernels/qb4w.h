/* 4-bit weights as models store them, the input of every int4 weight packer (kernels/qu8-gemm-qb4w for W4A8,
 * kernels/f32-gemm-qb4w for W4A32).
 *
 * A weight matrix W (m x k: m output channels, k the reduction length) of 4-bit integers, two per byte, low
 * nibble first (ONNX's int4 / uint4 tensors and com.microsoft.MatMulNBits blobs both use this order). Element
 * (i, j) is nibble number i * w_m_stride + j * w_k_stride of `w` (nibble n: byte n / 2, the low half when n is
 * even). Quantization parameters are per (row, block): block b of row i covers j in [b * block, (b + 1) * block)
 * (the last block may be shorter); block = k (or more) is one parameter per output channel.
 *
 *   value(i, j) = (q(i, j) - zp(i, b)) * scale(i, b),  b = j / block
 *
 * q is int4 (-8..7, two's complement nibbles) when w_signed, else uint4 (0..15). zp has the same type; zero_point
 * NULL means 0 for int4 and 0 for uint4 as ONNX specifies (MatMulNBits' default of 8 is given explicitly by its
 * caller: zero_point_default). The zero points are nibbles too, numbered like the weights: nibble
 * i * zp_m_stride + b * zp_b_stride of `zero_point`. Scales are floats: scale[i * scale_m_stride + b *
 * scale_b_stride].
 *
 * Packers turn the pair (q, zp) into offset-binary nibbles u = q + 8 (int4) or q (uint4) with a zero point
 * z = zp + 8 or zp in 0..15, so that every kernel reads unsigned nibbles and computes u - z in -15..15.
 */
#ifndef QI_KERNELS_QB4W_H
#define QI_KERNELS_QB4W_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct qi_qb4w_source {
  size_t m, k, block;                       /* block >= 1 */
  const uint8_t *w;
  size_t w_m_stride, w_k_stride;            /* in nibbles */
  bool w_signed;                            /* int4 (else uint4); the zero points have the same type */
  const float *scale;
  size_t scale_m_stride, scale_b_stride;    /* in floats */
  const uint8_t *zero_point;                /* NULL: every zero point is zero_point_default */
  size_t zp_m_stride, zp_b_stride;          /* in nibbles */
  int32_t zero_point_default;               /* in q's type: 0 for ONNX, 8 for uint4 MatMulNBits */
} qi_qb4w_source;

static inline uint8_t qi_nibble(const uint8_t *p, size_t n) { return (uint8_t)((p[n >> 1] >> ((n & 1) * 4)) & 15); }
static inline int32_t qi_nibble_value(uint8_t nib, bool is_signed) {
  return is_signed ? (int32_t)((nib ^ 8u)) - 8 : (int32_t)nib;
}
static inline size_t qi_qb4w_blocks(const qi_qb4w_source *s) { return (s->k + s->block - 1) / s->block; }
/* q(i, j), zp(i, b) and scale(i, b) of the source, in q's own type (int4 -8..7 or uint4 0..15). */
static inline int32_t qi_qb4w_q(const qi_qb4w_source *s, size_t i, size_t j) {
  return qi_nibble_value(qi_nibble(s->w, i * s->w_m_stride + j * s->w_k_stride), s->w_signed);
}
static inline int32_t qi_qb4w_zp(const qi_qb4w_source *s, size_t i, size_t b) {
  if (!s->zero_point) return s->zero_point_default;
  return qi_nibble_value(qi_nibble(s->zero_point, i * s->zp_m_stride + b * s->zp_b_stride), s->w_signed);
}
static inline float qi_qb4w_scale(const qi_qb4w_source *s, size_t i, size_t b) {
  return s->scale[i * s->scale_m_stride + b * s->scale_b_stride];
}
/* The offset-binary nibble u (0..15) of q, and of a zero point. */
static inline uint8_t qi_qb4w_offset(int32_t q, bool is_signed) { return (uint8_t)(is_signed ? q + 8 : q); }

#endif /* QI_KERNELS_QB4W_H */
