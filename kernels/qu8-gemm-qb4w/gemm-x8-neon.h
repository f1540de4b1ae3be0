/* The walk shared by the family's NEON tiles (MR x 8 columns: the -neon, -neondot and -neoni8mm files of
 * kernels/qu8-gemm-qb4w), around a tile's own parts: `unpack` (one group of all MR rows of a panel into its place
 * in the stack buffer, kernels/qu8-gemm-qb4w/nibbles-neon.h), `dot` (acc += the buffer's first ksteps k times the
 * packed activations', ksteps a multiple of the tile's kr) and `finish` (the tile's accumulator layout to rows,
 * if it has its own). All are constant arguments of an always-inlined function, so each tile compiles to one
 * function with its own loops inlined.
 *
 * Columns go by chunks of up to QI_QB4W_NEON_CHUNK blocks of 8, which share every unpacked span (up to
 * QI_QB4W_NEON_SPAN k of one block): the unpack, about as long as the sdot tile's 32-k dot loop, is paid once per
 * chunk instead of once per 8 columns. Per column block: f = bias_f; per block b of bl k (only the k <
 * round_up(kc, kr) that the packed activations hold; the weights past them are never read): acc = 0, acc +=
 * products span by span, acc += zc[b] (the same int32 as zc[b] + the sum: int32 addition is associative, and
 * nothing overflows), then
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
#define QI_QB4W_NEON_CHUNK 4 /* 8-column blocks per unpacked span: bench's and quant_conv's 4 NR columns per call */

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

/* The float steps and the accumulators' resets, out of line (kernels/qu8-gemm-qb4w/epilogue-x8-neon.c: one copy
 * for every tile, called once per block and chunk), over the nblk column blocks of a chunk and rows 0..rows-1.
 * Begin: f = bias_f[r], acc = 0. Block: f += (float)(acc + zc[r]) * scale[r], then acc = 0. */
typedef float32x4_t qi_qb4w_f_x8[QI_QB4W_NEON_MAX_MR][2];
typedef int32x4_t qi_qb4w_acc_x8[QI_QB4W_NEON_MAX_MR][2];
void qi_qu8_qb4w_begin_x8__neon(size_t rows, size_t nblk, qi_qb4w_f_x8 *f, qi_qb4w_acc_x8 *acc, const float *bias_f);
void qi_qu8_qb4w_block_x8__neon(size_t rows, size_t nblk, qi_qb4w_f_x8 *f, qi_qb4w_acc_x8 *acc, const int32_t *zc,
                                const float *scale);
/* Requantizes rows 0..mr-1 of f and stores the chunk's cols columns at out (row r, column j at
 * out[r * row_stride + j * col_stride]). */
void qi_qu8_qb4w_store_x8__neon(qi_qb4w_f_x8 *f, size_t mr, size_t cols, uint8_t *out, size_t row_stride,
                                size_t col_stride, const qi_qu8_gemm_params *params);

/* part_bytes: the bytes of 16 k of the tile's first set in its buffer (where a group lands in the span). */
static inline __attribute__((always_inline)) void qi_qb4w_gemm_x8_neon(
    size_t MR, size_t KR, size_t part_bytes, qi_qb4w_unpack_x8_fn unpack, qi_qb4w_dot_x8_fn dot,
    qi_qb4w_finish_x8_fn finish, void *wbuf, size_t mr, size_t nc, size_t kc, const void *packed_w,
    const uint8_t *packed_x, uint8_t *c, size_t c_row_stride, size_t c_col_stride,
    const qi_qu8_gemm_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params && params->out.col_bias == NULL);
  const size_t NR = QI_QB4W_NEON_NR, bl = params->bl, g = qi_qu8_gemm_qb4w_group(bl), kp = qi_qu8_round_up(kc, KR);
  assert(bl >= 16 && bl % 16 == 0 && bl % KR == 0);
  const float *bias_f = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += QI_QB4W_NEON_CHUNK * NR) {
    const size_t cols = nc - n0 < QI_QB4W_NEON_CHUNK * NR ? nc - n0 : QI_QB4W_NEON_CHUNK * NR;
    size_t nblk = (cols + NR - 1) / NR; /* column blocks sharing each unpacked span */
    const uint8_t *xblk = packed_x + n0 * kp;  /* column block j of the chunk at xblk + j * NR * kp */
    qi_qb4w_f_x8 f[QI_QB4W_NEON_CHUNK];
    qi_qb4w_acc_x8 acc[QI_QB4W_NEON_CHUNK];
    qi_qu8_qb4w_begin_x8__neon(MR, nblk, f, acc, bias_f);
    for (size_t k0 = 0, b = 0; k0 < kp; k0 += bl, b++) {
      const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(packed_w, MR, bl, b);
      const size_t kend = kp - k0 < bl ? kp - k0 : bl;
      for (size_t s0 = 0; s0 < kend; s0 += QI_QB4W_NEON_SPAN) {
        size_t ksteps = kend - s0 < QI_QB4W_NEON_SPAN ? kend - s0 : QI_QB4W_NEON_SPAN;
        for (size_t g0 = 0; g0 < ksteps; g0 += g)
          unpack(blk.u + (s0 + g0) / 2 * MR, g / 2, blk.z, (uint8_t *)wbuf + g0 / 16 * part_bytes);
        /* ksteps and nblk hidden from the optimizer: knowing their bounds, GCC peels the dot loop (and the loops
         * over the chunk) into copies (text size, which the aarch64 static library holds to a bar; a loop's 2
         * instructions per iteration cost nothing here) */
        __asm__("" : "+r"(ksteps), "+r"(nblk));
        for (size_t j = 0; j < nblk; j++) dot(acc[j], wbuf, xblk + j * NR * kp + (k0 + s0) * NR, ksteps);
      }
      if (finish)
        for (size_t j = 0; j < nblk; j++) finish(acc[j]);
      qi_qu8_qb4w_block_x8__neon(MR, nblk, f, acc, blk.zc, blk.scale);
    }
    qi_qu8_qb4w_store_x8__neon(f, mr, cols, c + n0 * c_col_stride, c_row_stride, c_col_stride, &params->out);
  }
}

#endif /* QI_QU8_GEMM_QB4W_GEMM_X8_NEON_H */
