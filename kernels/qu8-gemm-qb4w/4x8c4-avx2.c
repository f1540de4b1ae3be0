/* AVX2 W4A8, 4 rows x 8 columns. Per column block and block of bl k-values, each group of G k is unpacked once
 * into int8 u - z (kernels/qu8-gemm-qb4w/unpack-avx2.h: an AND, a shift and a subtract per 32 nibble bytes), then
 * each k-block of 4 multiplies the 8 columns' 4 activation bytes (one 32-byte load) by a row's 4 weights (one
 * 32-bit broadcast) with vpmaddubsw. That instruction saturates int16 pair sums, which cannot happen here:
 * |u - z| <= 15 and bytes <= 255 bound a pair by 2 * 255 * 15 = 7650, and the two k-blocks added in int16 before
 * vpmaddwd (by ones, to int32) by 15300 < 32767, so every sum is exact. Per block: one cvtdq2ps, one mulps and one
 * addps per row (never fused), then kernels/requant.h's clamp and rounding on the float totals. */
#include <immintrin.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "kernels/qu8-gemm-qb4w/unpack-avx2.h"
#include "kernels/qu8-gemm/requant-avx2.h"

#define MR 4
#define NR 8
#define KR 4

QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2);

/* The int32 sums of one block (len k-values from x on, a multiple of 4) starting from zc: acc[r] holds row r's 8
 * columns. half = G/2 is a constant at each call (16 or 8), so the weight offsets fold. The accumulators are named
 * scalars, stored once at the end (see kernels/qu8-gemm/dot-4x8c4-avx2.h on GCC and accumulator arrays). */
static inline __attribute__((always_inline)) void dot_block(const qi_qu8_gemm_qb4w_block *blk, size_t len,
                                                            const uint8_t *x, const size_t half,
                                                            const __m256i zidx[2], int8_t *restrict wbuf,
                                                            __m256i acc[MR]) {
  const __m256i ones = _mm256_set1_epi16(1), zb = qi_qb4w_zbytes_avx2(blk->z);
  const __m256i z0 = _mm256_shuffle_epi8(zb, zidx[0]), z1 = _mm256_shuffle_epi8(zb, zidx[1]);
  int8_t *w0 = wbuf, *w1 = wbuf + MR * half;
  const int8_t *const w[2] = {w0, w1};
  __m256i a0 = _mm256_set1_epi32(blk->zc[0]), a1 = _mm256_set1_epi32(blk->zc[1]);
  __m256i a2 = _mm256_set1_epi32(blk->zc[2]), a3 = _mm256_set1_epi32(blk->zc[3]);
  const uint8_t *u = blk->u;
  for (size_t g0 = 0; g0 < len; g0 += 2 * half, u += MR * half) {
    qi_qb4w_unpack32_avx2(u, 0, z0, w0, w1);
    if (half == 16) qi_qb4w_unpack32_avx2(u, 32, z1, w0, w1);
    __asm__ volatile("" ::: "memory"); /* weights are broadcast from memory, not shuffled out of the stored regs */
    const size_t glen = len - g0 < 2 * half ? len - g0 : 2 * half;
    const uint8_t *xg = x + g0 * NR;
    size_t kk = 0;
    for (; kk + 8 <= glen; kk += 8) { /* two k-blocks */
      const __m256i xa = _mm256_loadu_si256((const __m256i *)(xg + kk * NR));
      const __m256i xb = _mm256_loadu_si256((const __m256i *)(xg + kk * NR + 32));
#define QB4W_PAIR(a, r)                                                                                           \
  a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, r, kk)), \
                                                             _mm256_maddubs_epi16(xb, qi_qb4w_w4_avx2(w, half, r, kk + 4))), \
                                            ones))
      QB4W_PAIR(a0, 0);
      QB4W_PAIR(a1, 1);
      QB4W_PAIR(a2, 2);
      QB4W_PAIR(a3, 3);
#undef QB4W_PAIR
    }
    if (kk < glen) { /* one k-block left (the end of K) */
      const __m256i xa = _mm256_loadu_si256((const __m256i *)(xg + kk * NR));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 0, kk)), ones));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 1, kk)), ones));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 2, kk)), ones));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 3, kk)), ones));
    }
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params && !params->out.col_bias);
  const size_t bl = params->bl, kp = qi_qu8_round_up(kc, KR), nb = (kc + bl - 1) / bl;
  assert(bl >= 16 && bl % 16 == 0);
  const size_t half = qi_qu8_gemm_qb4w_group(bl) / 2;
  const __m256i zidx[2] = {qi_qb4w_zrow_index_avx2(0, half), qi_qb4w_zrow_index_avx2(32, half)};
  int8_t wbuf[2 * MR * 16];
  const float *bias_f = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kp) {
    __m256 f[MR];
    for (size_t r = 0; r < MR; r++) f[r] = _mm256_set1_ps(bias_f[r]);
    for (size_t b = 0; b < nb; b++) {
      const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(packed_w, MR, bl, b);
      const size_t k0 = b * bl, len = kp - k0 < bl ? kp - k0 : bl;
      __m256i acc[MR];
      if (half == 16) dot_block(&blk, len, packed_x + k0 * NR, 16, zidx, wbuf, acc);
      else dot_block(&blk, len, packed_x + k0 * NR, 8, zidx, wbuf, acc);
      for (size_t r = 0; r < MR; r++) f[r] = qi_qb4w_fold_avx2(f[r], acc[r], blk.scale[r]);
    }
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    uint8_t *out = c + n0 * c_col_stride;
    for (size_t r = 0; r < mr; r++) {
      const __m128i q16 = qi_qb4w_out8_avx2(f[r], &params->out);
      qi_qu8_store_row_avx2(out + r * c_row_stride, _mm_packus_epi16(q16, q16), cols, c_col_stride, &params->out);
    }
  }
}
