/* AVX-512 VNNI W4A8, 8 rows x 32 columns: the AVX2 kernel's structure (kernels/qu8-gemm-qb4w/4x8c4-avx2.c) on zmm
 * registers. Per column block and block of bl, each group of G k is unpacked once into int8 u - z on the stack
 * (the two planes of unpack-avx2.h, 64 nibble bytes per AND / shift / subtract), then each k-block feeds
 * vpdpbusd: 2 activation loads (columns 0..15 and 16..31) and per row one embedded broadcast of its 4 weights
 * from the unpacked buffer. vpdpbusd adds 4 u8 x s8 products to an int32 lane without saturation (exact). Per
 * block: cvtdq2ps, mulps and addps per row (never fused), then requant.h's clamp and rounding on the float
 * totals. A last column block of at most 16 columns reads and computes only its first half.
 *
 * NOT RUN on the machine this was written on (AMD Zen 3: no AVX-512); the tester lists it and reports it
 * skipped there. Its logic is the AVX2 kernel's, which runs and is tested. */
#include <immintrin.h>
#include <string.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "kernels/qu8-gemm/store-avx512.h"

#define MR 8
#define NR 32
#define KR 4

QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni);

/* vpshufb indices: for the 64 group bytes from `first` on, the row of each byte (t / half), picking z[row] from a
 * register holding z[0 .. 7] in every 64-bit element. */
static inline __m512i zrow_index(size_t first, size_t half) {
  uint8_t idx[64];
  for (size_t t = 0; t < 64; t++) idx[t] = (uint8_t)((first + t) / half);
  return _mm512_loadu_si512(idx);
}

/* Unpacks the 64 group bytes at u + o into the planes w0 + o (low nibbles) and w1 + o (high), minus zpat. */
static inline void unpack64(const uint8_t *u, size_t o, __m512i zpat, int8_t *w0, int8_t *w1) {
  const __m512i mask = _mm512_set1_epi8(15), v = _mm512_loadu_si512(u + o);
  _mm512_storeu_si512(w0 + o, _mm512_sub_epi8(_mm512_and_si512(v, mask), zpat));
  _mm512_storeu_si512(w1 + o, _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(v, 4), mask), zpat));
}

/* Row r's 4 weights of k = kk .. kk + 3 of the unpacked group, broadcast (an embedded {1to16} operand). */
static inline __m512i w4(const int8_t *const w[2], size_t half, size_t r, size_t kk) {
  int32_t v;
  memcpy(&v, w[kk / half] + r * half + kk % half, sizeof v);
  return _mm512_set1_epi32(v);
}

/* The int32 sums of one block (len k from x on, a multiple of 4) starting from zc: lo[r] / hi[r] hold row r's
 * columns 0..15 / 16..31 (hi untouched when !full). half (16 or 8) and full are constants at each call. */
static inline __attribute__((always_inline)) void dot_block(const qi_qu8_gemm_qb4w_block *blk, size_t len,
                                                            const uint8_t *x, const size_t half, const bool full,
                                                            const __m512i zidx[2], int8_t *restrict wbuf,
                                                            __m512i lo[MR], __m512i hi[MR]) {
  int64_t zq;
  memcpy(&zq, blk->z, sizeof zq); /* z[0 .. 7]: exactly the block's zp bytes for MR = 8 */
  const __m512i zb = _mm512_set1_epi64(zq);
  const __m512i z0 = _mm512_shuffle_epi8(zb, zidx[0]), z1 = _mm512_shuffle_epi8(zb, zidx[1]);
  int8_t *w0 = wbuf, *w1 = wbuf + MR * half;
  const int8_t *const w[2] = {w0, w1};
  __m512i a0 = _mm512_set1_epi32(blk->zc[0]), b0 = a0, a1 = _mm512_set1_epi32(blk->zc[1]), b1 = a1;
  __m512i a2 = _mm512_set1_epi32(blk->zc[2]), b2 = a2, a3 = _mm512_set1_epi32(blk->zc[3]), b3 = a3;
  __m512i a4 = _mm512_set1_epi32(blk->zc[4]), b4 = a4, a5 = _mm512_set1_epi32(blk->zc[5]), b5 = a5;
  __m512i a6 = _mm512_set1_epi32(blk->zc[6]), b6 = a6, a7 = _mm512_set1_epi32(blk->zc[7]), b7 = a7;
  const uint8_t *u = blk->u;
  for (size_t g0 = 0; g0 < len; g0 += 2 * half, u += MR * half) {
    unpack64(u, 0, z0, w0, w1);
    if (half == 16) unpack64(u, 64, z1, w0, w1);
    __asm__ volatile("" ::: "memory"); /* weights are broadcast from memory, not shuffled out of the stored regs */
    const size_t glen = len - g0 < 2 * half ? len - g0 : 2 * half;
    const uint8_t *xg = x + g0 * NR;
    for (size_t kk = 0; kk < glen; kk += 4) {
      const __m512i xa = _mm512_loadu_si512(xg + kk * NR);
      const __m512i xb = full ? _mm512_loadu_si512(xg + kk * NR + 64) : xa;
#define QB4W_ROW(a, b, r)                                                                                          \
  do {                                                                                                            \
    const __m512i wv = w4(w, half, r, kk);                                                                        \
    a = _mm512_dpbusd_epi32(a, xa, wv);                                                                           \
    if (full) b = _mm512_dpbusd_epi32(b, xb, wv);                                                                 \
  } while (0)
      QB4W_ROW(a0, b0, 0);
      QB4W_ROW(a1, b1, 1);
      QB4W_ROW(a2, b2, 2);
      QB4W_ROW(a3, b3, 3);
      QB4W_ROW(a4, b4, 4);
      QB4W_ROW(a5, b5, 5);
      QB4W_ROW(a6, b6, 6);
      QB4W_ROW(a7, b7, 7);
#undef QB4W_ROW
    }
  }
  lo[0] = a0, lo[1] = a1, lo[2] = a2, lo[3] = a3, lo[4] = a4, lo[5] = a5, lo[6] = a6, lo[7] = a7;
  hi[0] = b0, hi[1] = b1, hi[2] = b2, hi[3] = b3, hi[4] = b4, hi[5] = b5, hi[6] = b6, hi[7] = b7;
}

/* f + (float)acc * scale: cvtdq2ps, a multiply and an add (separate instructions: the header's rule). */
static inline __m512 fold(__m512 f, __m512i acc, float scale) {
  return _mm512_add_ps(f, _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(scale)));
}

/* 16 float totals -> 16 output bytes: the clamp, cvtps2dq (half to even), + zero point, XOR the output flip. */
static inline __m128i out16(__m512 f, const qi_qu8_gemm_params *params) {
  f = _mm512_max_ps(f, _mm512_set1_ps(params->min));
  f = _mm512_min_ps(f, _mm512_set1_ps(params->max));
  const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(params->zero_point));
  return _mm_xor_si128(_mm512_cvtusepi32_epi8(q), _mm_set1_epi8((char)params->sign_flip));
}

/* One column block of cols columns (full: more than 16). */
static inline __attribute__((always_inline)) void column_block(size_t mr, size_t cols, size_t kp, size_t nb,
                                                               size_t bl, size_t half, const bool full,
                                                               const void *packed_w, const uint8_t *x,
                                                               const __m512i zidx[2], int8_t *restrict wbuf,
                                                               uint8_t *out, size_t c_row_stride,
                                                               size_t c_col_stride, const qi_qu8_gemm_params *params) {
  const float *bias_f = packed_w;
  __m512 f_lo[MR], f_hi[MR];
  for (size_t r = 0; r < MR; r++) f_lo[r] = f_hi[r] = _mm512_set1_ps(bias_f[r]);
  for (size_t b = 0; b < nb; b++) {
    const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(packed_w, MR, bl, b);
    const size_t k0 = b * bl, len = kp - k0 < bl ? kp - k0 : bl;
    __m512i lo[MR], hi[MR];
    if (half == 16) dot_block(&blk, len, x + k0 * NR, 16, full, zidx, wbuf, lo, hi);
    else dot_block(&blk, len, x + k0 * NR, 8, full, zidx, wbuf, lo, hi);
    for (size_t r = 0; r < MR; r++) {
      f_lo[r] = fold(f_lo[r], lo[r], blk.scale[r]);
      if (full) f_hi[r] = fold(f_hi[r], hi[r], blk.scale[r]);
    }
  }
  for (size_t r = 0; r < mr; r++) {
    uint8_t *o = out + r * c_row_stride;
    qi_qu8_store16_avx512(out16(f_lo[r], params), o, cols < 16 ? cols : 16, c_col_stride);
    if (full) qi_qu8_store16_avx512(out16(f_hi[r], params), o + 16 * c_col_stride, cols - 16, c_col_stride);
  }
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                             const uint8_t *packed_x, uint8_t *c,
                                                             size_t c_row_stride, size_t c_col_stride,
                                                             const qi_qu8_gemm_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params && !params->out.col_bias);
  const size_t bl = params->bl, kp = qi_qu8_round_up(kc, KR), nb = (kc + bl - 1) / bl;
  assert(bl >= 16 && bl % 16 == 0);
  const size_t half = qi_qu8_gemm_qb4w_group(bl) / 2;
  const __m512i zidx[2] = {zrow_index(0, half), zrow_index(64, half)};
  int8_t wbuf[2 * MR * 16];
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kp) {
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    uint8_t *out = c + n0 * c_col_stride;
    if (cols > 16)
      column_block(mr, cols, kp, nb, bl, half, true, packed_w, packed_x, zidx, wbuf, out, c_row_stride, c_col_stride,
                   &params->out);
    else
      column_block(mr, cols, kp, nb, bl, half, false, packed_w, packed_x, zidx, wbuf, out, c_row_stride,
                   c_col_stride, &params->out);
  }
}
