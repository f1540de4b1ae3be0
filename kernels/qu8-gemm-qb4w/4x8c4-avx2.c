/* AVX2 W4A8, 4 rows x 8 columns. Per column block and block of bl k-values, each group of G k is unpacked once
 * into int8 u - z (kernels/qu8-gemm-qb4w/unpack-avx2.h: an AND, a shift and a subtract per 32 nibble bytes), then
 * each k-block multiplies the 8 columns' 4 activation bytes (one 32-byte load) by a row's 4 weights (one 32-bit
 * broadcast) with vpmaddubsw. That instruction saturates int16 pair sums, which cannot happen here: |u - z| <= 15
 * and bytes <= 255 bound a pair by 2 * 255 * 15 = 7650, and the four k-blocks added in int16 before vpmaddwd (by
 * ones, to int32) by 4 * 7650 = 30600 < 32767, so every sum is exact. Per block: one cvtdq2ps, one mulps and one
 * addps per row (never fused), then kernels/requant.h's clamp and rounding on the float totals. */
#include <immintrin.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "kernels/qu8-gemm-qb4w/unpack-avx2.h"
#include "kernels/qu8-gemm/requant-avx2.h"

#define MR 4
#define NR 8
#define KR 4

QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2);

/* Unpacks group g (of G = 2 * half k-values) of block b of the panel into the two planes at buf (unpack-avx2.h). */
static inline __attribute__((always_inline)) void unpack_group(const void *panel, size_t bl, size_t b, size_t g,
                                                               const size_t half, const __m256i zidx[2],
                                                               int8_t *restrict buf) {
  const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(panel, MR, bl, b);
  const __m256i zb = qi_qb4w_zbytes_avx2(blk.z);
  const uint8_t *u = blk.u + g * MR * half;
  qi_qb4w_unpack32_avx2(u, 0, _mm256_shuffle_epi8(zb, zidx[0]), buf, buf + MR * half);
  if (half == 16) qi_qb4w_unpack32_avx2(u, 32, _mm256_shuffle_epi8(zb, zidx[1]), buf, buf + MR * half);
}

/* acc[r] += row r's sums over the glen k-values (a multiple of 4) of the unpacked group at buf, against the 8
 * columns at x. Pairs of k-blocks go through vpmaddubsw twice, an int16 add and one vpmaddwd by ones. */
static inline __attribute__((always_inline)) void dot_group(const int8_t *buf, size_t glen, const uint8_t *x,
                                                            const size_t half, __m256i *a0, __m256i *a1, __m256i *a2,
                                                            __m256i *a3) {
  const __m256i ones = _mm256_set1_epi16(1);
  const int8_t *const w[2] = {buf, buf + MR * half};
  size_t kk = 0;
  for (; kk + 16 <= glen; kk += 16) { /* four k-blocks */
    const __m256i x0 = _mm256_loadu_si256((const __m256i *)(x + kk * NR));
    const __m256i x1 = _mm256_loadu_si256((const __m256i *)(x + kk * NR + 32));
    const __m256i x2 = _mm256_loadu_si256((const __m256i *)(x + kk * NR + 64));
    const __m256i x3 = _mm256_loadu_si256((const __m256i *)(x + kk * NR + 96));
#define QB4W_QUAD(a, r)                                                                                          \
  do {                                                                                                            \
    const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(x0, qi_qb4w_w4_avx2(w, half, r, kk)),               \
                                         _mm256_maddubs_epi16(x1, qi_qb4w_w4_avx2(w, half, r, kk + 4)));          \
    const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(x2, qi_qb4w_w4_avx2(w, half, r, kk + 8)),           \
                                         _mm256_maddubs_epi16(x3, qi_qb4w_w4_avx2(w, half, r, kk + 12)));         \
    *a = _mm256_add_epi32(*a, _mm256_madd_epi16(_mm256_add_epi16(p01, p23), ones));                               \
  } while (0)
    QB4W_QUAD(a0, 0);
    QB4W_QUAD(a1, 1);
    QB4W_QUAD(a2, 2);
    QB4W_QUAD(a3, 3);
#undef QB4W_QUAD
  }
  for (; kk + 8 <= glen; kk += 8) { /* two k-blocks */
    const __m256i xa = _mm256_loadu_si256((const __m256i *)(x + kk * NR));
    const __m256i xb = _mm256_loadu_si256((const __m256i *)(x + kk * NR + 32));
#define QB4W_PAIR(a, r)                                                                                          \
  do {                                                                                                            \
    const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, r, kk)),                 \
                                       _mm256_maddubs_epi16(xb, qi_qb4w_w4_avx2(w, half, r, kk + 4)));            \
    *a = _mm256_add_epi32(*a, _mm256_madd_epi16(p, ones));                                                        \
  } while (0)
    QB4W_PAIR(a0, 0);
    QB4W_PAIR(a1, 1);
    QB4W_PAIR(a2, 2);
    QB4W_PAIR(a3, 3);
#undef QB4W_PAIR
  }
  if (kk < glen) { /* one k-block left (the end of K) */
    const __m256i xa = _mm256_loadu_si256((const __m256i *)(x + kk * NR));
    *a0 = _mm256_add_epi32(*a0, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 0, kk)), ones));
    *a1 = _mm256_add_epi32(*a1, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 1, kk)), ones));
    *a2 = _mm256_add_epi32(*a2, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 2, kk)), ones));
    *a3 = _mm256_add_epi32(*a3, _mm256_madd_epi16(_mm256_maddubs_epi16(xa, qi_qb4w_w4_avx2(w, half, 3, kk)), ones));
  }
}

/* The whole call for one group size (half = G/2 a constant). Columns go in sets of up to CB column blocks (the
 * gemm driver's tasks are about 4 NR wide): each group is unpacked once per set, not once per column block, and
 * its products are taken for every column block of the set in turn, their int32 sums and float totals kept on the
 * stack between groups. Groups are unpacked one ahead into the other of two buffers: the broadcasts of a group
 * then read stores made a group earlier, not the stores just before them (read back at once, the 4-byte loads from
 * 32-byte stores waited for the stores on Zen 3). After the last group of a set comes the first group again, for
 * the next set. The sums and the order of the folds are those of one column block at a time: the same bytes. */
#define CB 4
static inline __attribute__((always_inline)) void run(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params,
                                                      const size_t half) {
  const size_t bl = params->bl, kp = qi_qu8_round_up(kc, KR), nb = (kc + bl - 1) / bl, g_len = 2 * half;
  const __m256i zidx[2] = {qi_qb4w_zrow_index_avx2(0, half), qi_qb4w_zrow_index_avx2(32, half)};
  int8_t wbuf[2][2 * MR * 16];
  size_t cur = 0;
  unpack_group(packed_w, bl, 0, 0, half, zidx, wbuf[0]);
  const float *bias_f = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += CB * NR, packed_x += CB * NR * kp) {
    const size_t sets = (nc - n0 + NR - 1) / NR < CB ? (nc - n0 + NR - 1) / NR : CB;
    __m256 f[CB][MR];
    __m256i acc[CB][MR];
    for (size_t j = 0; j < sets; j++)
      for (size_t r = 0; r < MR; r++) f[j][r] = _mm256_set1_ps(bias_f[r]);
    for (size_t b = 0; b < nb; b++) {
      const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(packed_w, MR, bl, b);
      const size_t k0 = b * bl, len = kp - k0 < bl ? kp - k0 : bl;
      for (size_t j = 0; j < sets; j++)
        for (size_t r = 0; r < MR; r++) acc[j][r] = _mm256_set1_epi32(blk.zc[r]);
      for (size_t g0 = 0; g0 < len; g0 += g_len, cur ^= 1) {
        if (g0 + g_len < len) unpack_group(packed_w, bl, b, g0 / g_len + 1, half, zidx, wbuf[cur ^ 1]);
        else if (b + 1 < nb) unpack_group(packed_w, bl, b + 1, 0, half, zidx, wbuf[cur ^ 1]);
        else if (n0 + CB * NR < nc) unpack_group(packed_w, bl, 0, 0, half, zidx, wbuf[cur ^ 1]);
        __asm__ volatile("" ::: "memory"); /* weights are broadcast from memory, not shuffled out of registers */
        const size_t glen = len - g0 < g_len ? len - g0 : g_len;
        for (size_t j = 0; j < sets; j++) {
          __m256i a0 = acc[j][0], a1 = acc[j][1], a2 = acc[j][2], a3 = acc[j][3];
          dot_group(wbuf[cur], glen, packed_x + j * NR * kp + (k0 + g0) * NR, half, &a0, &a1, &a2, &a3);
          acc[j][0] = a0, acc[j][1] = a1, acc[j][2] = a2, acc[j][3] = a3;
        }
      }
      for (size_t j = 0; j < sets; j++)
        for (size_t r = 0; r < MR; r++) f[j][r] = qi_qb4w_fold_avx2(f[j][r], acc[j][r], blk.scale[r]);
    }
    for (size_t j = 0; j < sets; j++) {
      const size_t n = n0 + j * NR, cols = nc - n < NR ? nc - n : NR;
      uint8_t *out = c + n * c_col_stride;
      for (size_t r = 0; r < mr; r++) {
        const __m128i q16 = qi_qb4w_out8_avx2(f[j][r], &params->out);
        qi_qu8_store_row_avx2(out + r * c_row_stride, _mm_packus_epi16(q16, q16), cols, c_col_stride, &params->out);
      }
    }
  }
}
#undef CB

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params && !params->out.col_bias);
  assert(params->bl >= 16 && params->bl % 16 == 0);
  if (qi_qu8_gemm_qb4w_group(params->bl) == 32)
    run(mr, nc, kc, packed_w, packed_x, c, c_row_stride, c_col_stride, params, 16);
  else
    run(mr, nc, kc, packed_w, packed_x, c, c_row_stride, c_col_stride, params, 8);
}
