/* The walk shared by the family's NEON tiles (MR x 8 columns: the -neon, -neondot and -neoni8mm files of
 * kernels/qu8-gemm-qb4w), around a tile's own parts: `unpack` (one group of all MR rows of a panel into the
 * stack buffer, kernels/qu8-gemm-qb4w/nibbles-neon.h), `dot` (acc += that buffer times ksteps k of packed
 * activations, k multiple of the tile's kr) and `finish` (the tile's accumulator layout to rows, if it has its
 * own). All are constant arguments of an always-inlined function, so each
 * tile compiles to one function with its own loops inlined.
 *
 * Per 8-column block: f = bias_f; per block b of bl k (only the k < round_up(kc, kr) that the packed activations
 * hold; the weights past them are never read): acc = 0, acc += products group by group, acc += zc[b] (the same
 * int32 as zc[b] + the sum: int32 addition is associative, and nothing overflows), then
 *     f = f + (float)acc * scale[b]     vcvtq_f32_s32 (round to nearest even), vmulq_f32, vaddq_f32: one rounding
 *                                       each, never fused (the family builds with -ffp-contract=off)
 * and at the end kernels/requant-neon.h's clamp and half-even rounding, the zero point, the output flip: the
 * scalar rule of kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h bit for bit. armv7's NEON flushes denormal products and
 * sums to zero; that cannot change a result: a value below 2^-126 in magnitude is absorbed by any later term of
 * magnitude 2^-100 or more, and a sum that stays that small rounds to 0 either way. */
#ifndef QI_QU8_GEMM_QB4W_GEMM_X8_NEON_H
#define QI_QU8_GEMM_QB4W_GEMM_X8_NEON_H

#include <arm_neon.h>

#include "kernels/qu8-gemm-qb4w/nibbles-neon.h"
#include "kernels/qu8-gemm/store-x8-neon.h"

#define QI_QB4W_NEON_NR 8
#define QI_QB4W_NEON_MAX_MR 8

/* u: row 0's bytes of one group (rows half_g bytes apart), z: the rows' zero points, wbuf: the tile's buffer. */
typedef void (*qi_qb4w_unpack_x8_fn)(const uint8_t *u, size_t half_g, const uint8_t *z, void *wbuf);
/* acc += the products of wbuf's first ksteps k with x's, acc in the tile's own layout. */
typedef void (*qi_qb4w_dot_x8_fn)(int32x4_t acc[][2], const void *wbuf, const uint8_t *x, size_t ksteps);
/* The tile's layout of acc to rows: acc[r][h] = row r, columns 4h..4h+3 (NULL: it is already). */
typedef void (*qi_qb4w_finish_x8_fn)(int32x4_t acc[][2]);

/* A dot loop's named accumulators l<r>_ / h<r>_ (the names the int8 tiles' step macros use) from acc[r][0] /
 * acc[r][1], rows 0..3 or 0..7, and back. */
#define QI_QB4W_ACC_IN4(acc)                                                                            \
  int32x4_t l0_ = (acc)[0][0], h0_ = (acc)[0][1], l1_ = (acc)[1][0], h1_ = (acc)[1][1], l2_ = (acc)[2][0]; \
  int32x4_t h2_ = (acc)[2][1], l3_ = (acc)[3][0], h3_ = (acc)[3][1]
#define QI_QB4W_ACC_OUT4(acc) \
  ((acc)[0][0] = l0_, (acc)[0][1] = h0_, (acc)[1][0] = l1_, (acc)[1][1] = h1_, (acc)[2][0] = l2_, (acc)[2][1] = h2_, \
   (acc)[3][0] = l3_, (acc)[3][1] = h3_)
#define QI_QB4W_ACC_IN8(acc)                                                                            \
  QI_QB4W_ACC_IN4(acc);                                                                                 \
  int32x4_t l4_ = (acc)[4][0], h4_ = (acc)[4][1], l5_ = (acc)[5][0], h5_ = (acc)[5][1], l6_ = (acc)[6][0]; \
  int32x4_t h6_ = (acc)[6][1], l7_ = (acc)[7][0], h7_ = (acc)[7][1]
#define QI_QB4W_ACC_OUT8(acc) \
  (QI_QB4W_ACC_OUT4(acc), (acc)[4][0] = l4_, (acc)[4][1] = h4_, (acc)[5][0] = l5_, (acc)[5][1] = h5_, \
   (acc)[6][0] = l6_, (acc)[6][1] = h6_, (acc)[7][0] = l7_, (acc)[7][1] = h7_)

/* The float steps, out of line (kernels/qu8-gemm-qb4w/epilogue-x8-neon.c: one copy for every tile, called once
 * per block and once per 8-column block). f[r][h] += (float)(acc[r][h] + zc[r]) * scale[r], rows 0..rows-1: */
void qi_qu8_qb4w_block_x8__neon(size_t rows, float32x4_t f[][2], int32x4_t acc[][2], const int32_t *zc,
                                const float *scale);
/* Requantizes rows 0..mr-1 of f and stores cols <= 8 columns at out (row r, column j at
 * out[r * row_stride + j * col_stride]). */
void qi_qu8_qb4w_store_x8__neon(float32x4_t f[][2], size_t mr, size_t cols, uint8_t *out, size_t row_stride,
                                size_t col_stride, const qi_qu8_gemm_params *params);

static inline __attribute__((always_inline)) void qi_qb4w_gemm_x8_neon(
    size_t MR, size_t KR, qi_qb4w_unpack_x8_fn unpack, qi_qb4w_dot_x8_fn dot, qi_qb4w_finish_x8_fn finish,
    void *wbuf, size_t mr, size_t nc, size_t kc, const void *packed_w, const uint8_t *packed_x, uint8_t *c,
    size_t c_row_stride, size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params && params->out.col_bias == NULL);
  const size_t bl = params->bl, half_g = qi_qu8_gemm_qb4w_group(bl) / 2, kp = qi_qu8_round_up(kc, KR);
  assert(bl >= 16 && bl % 16 == 0 && bl % KR == 0);
  const float *bias_f = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += QI_QB4W_NEON_NR, packed_x += QI_QB4W_NEON_NR * kp) {
    float32x4_t f[QI_QB4W_NEON_MAX_MR][2];
    for (size_t r = 0; r < MR; r++) f[r][0] = f[r][1] = vdupq_n_f32(bias_f[r]);
    const uint8_t *x = packed_x;
    for (size_t k0 = 0, b = 0; k0 < kp; k0 += bl, b++) {
      const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(packed_w, MR, bl, b);
      int32x4_t acc[QI_QB4W_NEON_MAX_MR][2];
      for (size_t r = 0; r < MR; r++) acc[r][0] = acc[r][1] = vdupq_n_s32(0);
      const size_t kend = kp - k0 < bl ? kp - k0 : bl;
      for (size_t g0 = 0; g0 < kend; g0 += 2 * half_g) {
        unpack(blk.u + g0 / 2 * MR, half_g, blk.z, wbuf);
        size_t ksteps = kend - g0 < 2 * half_g ? kend - g0 : 2 * half_g;
        /* ksteps hidden from the optimizer: knowing it <= 32, GCC peels the dot loop into 8 copies (text size,
         * which the aarch64 static library holds to a bar; the loop's 2 instructions per k-block cost nothing) */
        __asm__("" : "+r"(ksteps));
        dot(acc, wbuf, x, ksteps);
        x += ksteps * QI_QB4W_NEON_NR;
      }
      if (finish) finish(acc);
      qi_qu8_qb4w_block_x8__neon(MR, f, acc, blk.zc, blk.scale);
    }
    qi_qu8_qb4w_store_x8__neon(f, mr, nc - n0 < QI_QB4W_NEON_NR ? nc - n0 : QI_QB4W_NEON_NR,
                               c + n0 * c_col_stride, c_row_stride, c_col_stride, &params->out);
  }
}

#endif /* QI_QU8_GEMM_QB4W_GEMM_X8_NEON_H */
