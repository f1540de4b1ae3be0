/* Unpacking the qb4w panels' nibbles on NEON (kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h): groups of G k-values (32,
 * or 16 for blocks of an odd multiple of 16) of every row into a small stack buffer (a span of up to
 * QI_QB4W_NEON_SPAN k) laid out as the tile's dot loop reads it.
 *
 * A row's group is G/2 bytes: for G = 32 the low nibbles of its 16 bytes are k 0..15 and the high nibbles k
 * 16..31; for G = 16 the low nibbles of its 8 bytes are k 0..7 and the high nibbles k 8..15. Either way an AND
 * or a shift (and for G = 16 a combine) gives 16 consecutive k as bytes u, and u - z (-15..15) is exact in int8
 * (the subtraction wraps in uint8 and is read as int8). The tiles then interleave the rows with one structured
 * store (vst4 / vst2): no transposes in registers. Portable NEON (aarch64 and armv7). */
#ifndef QI_QU8_GEMM_QB4W_NIBBLES_NEON_H
#define QI_QU8_GEMM_QB4W_NIBBLES_NEON_H

#include <arm_neon.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"

/* k per unpacked span: a multiple of both group sizes; the buffers hold one span of the tile's rows. */
#define QI_QB4W_NEON_SPAN 128

/* u - z of k 16 * part .. 16 * part + 15 of one row's group (row: its G/2 bytes, half_g = G/2; part < G/16). */
static inline int8x16_t qi_qb4w_row16_neon(const uint8_t *row, size_t half_g, size_t part, uint8_t z) {
  const uint8x16_t mask = vdupq_n_u8(15);
  uint8x16_t u;
  if (half_g == 16) {
    const uint8x16_t v = vld1q_u8(row);
    u = part == 0 ? vandq_u8(v, mask) : vshrq_n_u8(v, 4);
  } else {
    const uint8x8_t v = vld1_u8(row);
    u = vcombine_u8(vand_u8(v, vget_low_u8(mask)), vshr_n_u8(v, 4));
  }
  return vreinterpretq_s8_u8(vsubq_u8(u, vdupq_n_u8(z)));
}

/* Writes one set's rows (d[r]: u - z of 16 consecutive k of row r; up to 8 rows) interleaved as the tile's dot
 * loop reads them. */
typedef void (*qi_qb4w_store_set_fn)(const int8x16_t *d, void *dst);

/* One group (u: row 0's bytes, rows half_g bytes apart; z: the rows' zero points) of `rows` rows into dst (the
 * group's place in the span) as sets of set_rows rows: k 16 * part.. of the set of rows r0.. at
 * dst + r0 / set_rows * set_stride + part * part_stride (bytes). */
static inline __attribute__((always_inline)) void qi_qb4w_unpack_neon(const uint8_t *u, size_t half_g,
                                                                      const uint8_t *z, size_t rows, size_t set_rows,
                                                                      size_t set_stride, size_t part_stride,
                                                                      qi_qb4w_store_set_fn store, void *dst) {
  for (size_t part = 0; part < half_g / 8; part++)
    for (size_t r0 = 0; r0 < rows; r0 += set_rows) {
      int8x16_t d[8];
      for (size_t r = 0; r < set_rows; r++) d[r] = qi_qb4w_row16_neon(u + (r0 + r) * half_g, half_g, part, z[r0 + r]);
      store(d, (uint8_t *)dst + r0 / set_rows * set_stride + part * part_stride);
    }
}

/* The 4x8c1 tile's set: 4 rows as int16, 4 per k: dst[k * 4 + r] (the lanes of vmlal_lane_s16, the int8 4x8c1
 * tile's weights); 16 k of a set are QI_QB4W_X8C1_PART bytes, a span's QI_QB4W_X8C1_SET. */
#define QI_QB4W_X8C1_PART (16 * 4 * 2)
#define QI_QB4W_X8C1_SET (QI_QB4W_NEON_SPAN * 4 * 2)
static inline void qi_qb4w_store_rows4_s16_neon(const int8x16_t *d, void *dst) {
  int16x8x4_t lo, hi; /* k 0..7 / 8..15, one vector per row */
  for (int r = 0; r < 4; r++) lo.val[r] = vmovl_s8(vget_low_s8(d[r])), hi.val[r] = vmovl_s8(vget_high_s8(d[r]));
  vst4q_s16(dst, lo);
  vst4q_s16((int16_t *)dst + 8 * 4, hi);
}

#endif /* QI_QU8_GEMM_QB4W_NIBBLES_NEON_H */
