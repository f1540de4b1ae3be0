#include <assert.h>
#include <immintrin.h>

#include "kernels/qu8-lut/qu8-lut.h"

/* 256-entry lookup with vpshufb on the table's sixteen 16-byte slices, 32 bytes per step.
 *
 * vpshufb(t, i) gives t[i & 15], or 0 when bit 7 of i is set. For the low half (x < 128): the chain
 *   r = shuf(s0, x) ^ shuf(s1, x - 16) ^ shuf(s2, x - 32) ^ ... ^ shuf(s7, x - 112)
 * with signed saturating subtractions (so an index that went below zero stays negative: bit 7 set, 0 out)
 * and s0 = T0, s_k = T_k ^ T_(k-1) telescopes to T_h[x & 15] for x in slice h: the terms k <= h are the
 * only nonzero ones. x >= 128 is negative as int8 and gives 0 throughout. The high half is the same chain
 * on x ^ 0x80 with slices 8..15; the two halves are ORed. */
void qi_qu8_lut_ukernel__avx2(size_t n, const uint8_t *x, uint8_t *y, const uint8_t table[256]) {
  assert(n == 0 || (x != NULL && y != NULL && table != NULL));
  if (n >= 32) {
    __m256i s[16];
    for (int k = 0; k < 16; k++) {
      __m128i t = _mm_loadu_si128((const __m128i *)(table + 16 * k));
      if (k % 8) t = _mm_xor_si128(t, _mm_loadu_si128((const __m128i *)(table + 16 * (k - 1))));
      s[k] = _mm256_broadcastsi128_si256(t);
    }
    const __m256i v16 = _mm256_set1_epi8(16), v80 = _mm256_set1_epi8((char)0x80);
    for (; n >= 32; n -= 32, x += 32, y += 32) {
      __m256i lo = _mm256_loadu_si256((const __m256i *)x);
      __m256i hi = _mm256_xor_si256(lo, v80);
      __m256i rlo = _mm256_shuffle_epi8(s[0], lo), rhi = _mm256_shuffle_epi8(s[8], hi);
      for (int k = 1; k < 8; k++) {
        lo = _mm256_subs_epi8(lo, v16);
        hi = _mm256_subs_epi8(hi, v16);
        rlo = _mm256_xor_si256(rlo, _mm256_shuffle_epi8(s[k], lo));
        rhi = _mm256_xor_si256(rhi, _mm256_shuffle_epi8(s[8 + k], hi));
      }
      _mm256_storeu_si256((__m256i *)y, _mm256_or_si256(rlo, rhi));
    }
  }
  for (size_t i = 0; i < n; i++) y[i] = table[x[i]];
}
