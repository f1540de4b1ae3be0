/* AVX-VNNI W4A8, 6 rows x 16 columns: the AVX2 kernel's structure (kernels/qu8-gemm-qb4w/4x8c4-avx2.c) with
 * vpdpbusd (VEX). Per column block and block of bl, each group of G k is unpacked once into int8 u - z on the
 * stack (unpack-avx2.h: 96 nibble bytes for G = 32, 48 for G = 16), then each k-block feeds 12 vpdpbusd from 2
 * activation loads (columns 0..7 and 8..15) and 6 weight broadcasts. vpdpbusd adds 4 u8 x s8 products to an int32
 * lane without saturation (exact). Per block: cvtdq2ps, mulps and addps per row (never fused), then requant.h's
 * clamp and rounding on the float totals.
 *
 * NOT RUN natively on the machine this was written on (AMD Zen 3: no AVX-VNNI); the tester lists it and reports
 * it skipped there, and also runs this file's code with vpdpbusd emulated by AVX2 (tests/unit/
 * test_qu8_gemm_qb4w.c), which tests everything but that one instruction. */
#include <immintrin.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "kernels/qu8-gemm-qb4w/unpack-avx2.h"
#include "kernels/qu8-gemm/requant-avx2.h"

#define MR 6
#define NR 16
#define KR 4

QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni);

/* The int32 sums of one block (len k from x on, a multiple of 4) starting from zc: lo[r] / hi[r] hold row r's
 * columns 0..7 / 8..15. half (16 or 8) is a constant at each call. */
static inline __attribute__((always_inline)) void dot_block(const qi_qu8_gemm_qb4w_block *blk, size_t len,
                                                            const uint8_t *x, const size_t half,
                                                            const __m256i zidx[3], int8_t *restrict wbuf,
                                                            __m256i lo[MR], __m256i hi[MR]) {
  const __m256i zb = qi_qb4w_zbytes_avx2(blk->z);
  const __m256i z0 = _mm256_shuffle_epi8(zb, zidx[0]), z1 = _mm256_shuffle_epi8(zb, zidx[1]);
  const __m256i z2 = _mm256_shuffle_epi8(zb, zidx[2]);
  int8_t *w0 = wbuf, *w1 = wbuf + MR * half;
  const int8_t *const w[2] = {w0, w1};
  __m256i a0 = _mm256_set1_epi32(blk->zc[0]), b0 = a0, a1 = _mm256_set1_epi32(blk->zc[1]), b1 = a1;
  __m256i a2 = _mm256_set1_epi32(blk->zc[2]), b2 = a2, a3 = _mm256_set1_epi32(blk->zc[3]), b3 = a3;
  __m256i a4 = _mm256_set1_epi32(blk->zc[4]), b4 = a4, a5 = _mm256_set1_epi32(blk->zc[5]), b5 = a5;
  const uint8_t *u = blk->u;
  for (size_t g0 = 0; g0 < len; g0 += 2 * half, u += MR * half) {
    qi_qb4w_unpack32_avx2(u, 0, z0, w0, w1); /* G = 32: rows 0, 1; G = 16: rows 0..3 */
    if (half == 16) {
      qi_qb4w_unpack32_avx2(u, 32, z1, w0, w1); /* rows 2, 3 */
      qi_qb4w_unpack32_avx2(u, 64, z2, w0, w1); /* rows 4, 5 */
    } else {
      qi_qb4w_unpack16_avx2(u, 32, z1, w0, w1); /* rows 4, 5 */
    }
    __asm__ volatile("" ::: "memory"); /* weights are broadcast from memory, not shuffled out of the stored regs */
    const size_t glen = len - g0 < 2 * half ? len - g0 : 2 * half;
    const uint8_t *xg = x + g0 * NR;
    for (size_t kk = 0; kk < glen; kk += 4) {
      const __m256i xa = _mm256_loadu_si256((const __m256i *)(xg + kk * NR));
      const __m256i xb = _mm256_loadu_si256((const __m256i *)(xg + kk * NR + 32));
#define QB4W_ROW(a, b, r)                                                                                          \
  do {                                                                                                            \
    const __m256i wv = qi_qb4w_w4_avx2(w, half, r, kk);                                                           \
    a = _mm256_dpbusd_avx_epi32(a, xa, wv);                                                                       \
    b = _mm256_dpbusd_avx_epi32(b, xb, wv);                                                                       \
  } while (0)
      QB4W_ROW(a0, b0, 0);
      QB4W_ROW(a1, b1, 1);
      QB4W_ROW(a2, b2, 2);
      QB4W_ROW(a3, b3, 3);
      QB4W_ROW(a4, b4, 4);
      QB4W_ROW(a5, b5, 5);
#undef QB4W_ROW
    }
  }
  lo[0] = a0, lo[1] = a1, lo[2] = a2, lo[3] = a3, lo[4] = a4, lo[5] = a5;
  hi[0] = b0, hi[1] = b1, hi[2] = b2, hi[3] = b3, hi[4] = b4, hi[5] = b5;
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                          const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                          size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params && !params->out.col_bias);
  const size_t bl = params->bl, kp = qi_qu8_round_up(kc, KR), nb = (kc + bl - 1) / bl;
  assert(bl >= 16 && bl % 16 == 0);
  const size_t half = qi_qu8_gemm_qb4w_group(bl) / 2;
  const __m256i zidx[3] = {qi_qb4w_zrow_index_avx2(0, half), qi_qb4w_zrow_index_avx2(32, half),
                           qi_qb4w_zrow_index_avx2(64, half)};
  int8_t wbuf[2 * MR * 16];
  const float *bias_f = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kp) {
    __m256 f_lo[MR], f_hi[MR];
    for (size_t r = 0; r < MR; r++) f_lo[r] = f_hi[r] = _mm256_set1_ps(bias_f[r]);
    for (size_t b = 0; b < nb; b++) {
      const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(packed_w, MR, bl, b);
      const size_t k0 = b * bl, len = kp - k0 < bl ? kp - k0 : bl;
      __m256i lo[MR], hi[MR];
      if (half == 16) dot_block(&blk, len, packed_x + k0 * NR, 16, zidx, wbuf, lo, hi);
      else dot_block(&blk, len, packed_x + k0 * NR, 8, zidx, wbuf, lo, hi);
      for (size_t r = 0; r < MR; r++) {
        f_lo[r] = qi_qb4w_fold_avx2(f_lo[r], lo[r], blk.scale[r]);
        f_hi[r] = qi_qb4w_fold_avx2(f_hi[r], hi[r], blk.scale[r]);
      }
    }
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    uint8_t *out = c + n0 * c_col_stride;
    for (size_t r = 0; r < mr; r++) {
      const __m128i q8 = _mm_packus_epi16(qi_qb4w_out8_avx2(f_lo[r], &params->out),
                                          qi_qb4w_out8_avx2(f_hi[r], &params->out));
      qi_qu8_store_row_avx2(out + r * c_row_stride, q8, cols, c_col_stride, &params->out);
    }
  }
}
