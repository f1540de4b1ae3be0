/* The AVX2 depthwise body shared by 3x3-avx2.c and any-avx2.c (include only from -avx2 files).
 *
 * Each output row is computed from copies of its kernel_h input rows padded with the zero point (window.h;
 * all padded rows of a band of output rows are staged before its outputs are computed), so padding taps
 * contribute w * (x_zp - x_zp) = 0 and every output of the row, borders included, takes the vector path: 16
 * outputs at a time, for stride_w 1 or 2 (others use the scalar kernels). Each tap's 16 inputs are widened to
 * 16-bit lanes in the uint8 domain, two taps are interleaved (vpunpckl/hwd) and multiplied-accumulated against
 * their weight pair with vpmaddwd into int32 (each product |x * w| <= 255 * 128, a pair < 2^16: exact). The zero
 * point folds into the start value bias - x_zp * sum(w).
 * The requantization is requant-avx2.h's; the last partial vector of a row is stored in full when it stays inside
 * the plane (its excess lands in the next rows, written later), else through a buffer. */
#ifndef QI_QU8_DWCONV_AVX2_H
#define QI_QU8_DWCONV_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels/qu8-dwconv/qu8-dwconv-internal.h"
#include "kernels/qu8-dwconv/requant-avx2.h"
#include "kernels/qu8-dwconv/window-avx2.h"

#define QI_QU8_DWCONV_AVX2_MAX_TAPS 64 /* larger windows take the scalar kernel */

/* Requantizes 16 accumulators (lo: outputs 0-3 and 8-11, hi: 4-7 and 12-15, as vpunpck leaves them) and
 * stores them as 16 bytes in order. */
static inline __attribute__((always_inline)) void qi_qu8_dw_store16(uint8_t *out, __m256i acc_lo, __m256i acc_hi,
                                                                     const qi_requant_avx2 *r, __m128i flip128) {
  const __m256i q16 = _mm256_packs_epi32(qi_requant_fp32_avx2(acc_lo, r), qi_requant_fp32_avx2(acc_hi, r));
  const __m256i q8 = _mm256_permute4x64_epi64(_mm256_packus_epi16(q16, q16), _MM_SHUFFLE(3, 1, 2, 0));
  _mm_storeu_si128((__m128i *)out, _mm_xor_si128(_mm256_castsi256_si128(q8), flip128));
}

/* Bytes of the padded rows of the AVX2 body, or 0 when a band of them does not fit the stack buffer. */
static inline size_t qi_qu8_dwconv_avx2_row_bytes(const qi_window2d *g) {
  const size_t row_w = qi_qu8_window_avx2_row_bytes(g);
  return qi_qu8_band_out_rows(g, row_w) ? row_w : 0;
}

/* Precondition: ntaps = kernel_h * kernel_w <= QI_QU8_DWCONV_AVX2_MAX_TAPS, sx = stride_w is 1 or 2 and
 * row_w = qi_qu8_dwconv_avx2_row_bytes(g) != 0. */
static inline __attribute__((always_inline)) void qi_qu8_dwconv_avx2_body(
    const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale, uint8_t *output,
    const qi_qu8_dwconv_params *p, size_t kh, size_t kw, size_t sx, size_t row_w) {
  const size_t ntaps = kh * kw;
  int32_t wpair[QI_QU8_DWCONV_AVX2_MAX_TAPS / 2 + 1];
  int32_t wsum = 0;
  for (size_t t = 0; t < ntaps; t++) wsum += weights[t];
  for (size_t t = 0; t < ntaps; t += 2) {
    const int32_t w1 = t + 1 < ntaps ? weights[t + 1] : 0; /* the odd tap's partner has weight 0 */
    wpair[t / 2] = (int32_t)((uint32_t)(uint16_t)weights[t] | ((uint32_t)(uint16_t)w1 << 16));
  }
  const uint8_t flip = p->sign_flip, pad_byte = (uint8_t)(p->x_zero_point ^ flip); /* loads as x_zero_point */
  /* modulo 2^32 like the vector adds: exact whenever the output's sum fits int32, whatever the bias */
  const __m256i vbase = _mm256_set1_epi32((int32_t)((uint32_t)bias - (uint32_t)(p->x_zero_point * wsum)));
  const __m128i flip128 = _mm_set1_epi8((char)flip);
  const __m256i flip256 = _mm256_set1_epi8((char)flip);
  const qi_requant_avx2 rq = qi_requant_avx2_init(scale, p->y_zero_point, p->qmin, p->qmax);
  const uint8_t *tap[QI_QU8_DWCONV_AVX2_MAX_TAPS + 1];
  const size_t out_w = g->out_w, band = qi_qu8_band_out_rows(g, row_w), plane_bytes = g->out_h * out_w;
  uint8_t buf[QI_QU8_BAND_BYTES];
  for (size_t oy0 = 0; oy0 < g->out_h; oy0 += band) {
    const size_t oy1 = oy0 + band < g->out_h ? oy0 + band : g->out_h;
    const size_t y0 = qi_qu8_band_stage(buf, g, input, row_w, pad_byte, oy0, oy1, qi_qu8_copy);
    for (size_t oy = oy0; oy < oy1; oy++) {
      for (size_t ky = 0; ky < kh; ky++) {
        const uint8_t *r = buf + (oy * g->stride_h + ky * g->dilation_h - y0) * row_w;
        for (size_t kx = 0; kx < kw; kx++) tap[ky * kw + kx] = r + kx * g->dilation_w;
      }
      tap[ntaps] = tap[ntaps - 1];
      uint8_t *out_row = output + oy * out_w;
      for (size_t ox = 0; ox < out_w; ox += 16) {
        const size_t ix = ox * sx;
        __m256i acc_lo = vbase, acc_hi = vbase;
#pragma GCC unroll 16
        for (size_t t = 0; t < ntaps; t += 2) {
          const __m256i xa = qi_qu8_load16_u16(tap[t] + ix, sx, flip128, flip256);
          const __m256i xb = qi_qu8_load16_u16(tap[t + 1] + ix, sx, flip128, flip256);
          const __m256i w = _mm256_set1_epi32(wpair[t / 2]);
          acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, xb), w));
          acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, xb), w));
        }
        if (oy * out_w + ox + 16 <= plane_bytes) { /* may run into the next rows, written later */
          qi_qu8_dw_store16(out_row + ox, acc_lo, acc_hi, &rq, flip128);
        } else {
          uint8_t last[16];
          qi_qu8_dw_store16(last, acc_lo, acc_hi, &rq, flip128);
          qi_qu8_copy_short(out_row + ox, last, out_w - ox);
        }
      }
    }
  }
}

/* The kernel functions of one ISA, around the body above (stride and window as constants where they help). */
#define QI_QU8_DWCONV_3X3_KERNEL(name)                                                                              \
  void name(const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale,           \
            uint8_t *output, const qi_qu8_dwconv_params *params) {                                                 \
    qi_qu8_dwconv_check(g, input, weights, output, params);                                                        \
    assert(g->kernel_h == 3 && g->kernel_w == 3);                                                                  \
    const size_t row_w = qi_qu8_dwconv_avx2_row_bytes(g);                                                          \
    if (row_w && g->stride_w == 1)                                                                                 \
      qi_qu8_dwconv_avx2_body(g, input, weights, bias, scale, output, params, 3, 3, 1, row_w);                     \
    else if (row_w && g->stride_w == 2)                                                                            \
      qi_qu8_dwconv_avx2_body(g, input, weights, bias, scale, output, params, 3, 3, 2, row_w);                     \
    else                                                                                                           \
      qi_qu8_dwconv_minmax_ukernel_3x3__scalar(g, input, weights, bias, scale, output, params);                    \
  }

#define QI_QU8_DWCONV_ANY_KERNEL(name)                                                                              \
  void name(const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale,           \
            uint8_t *output, const qi_qu8_dwconv_params *params) {                                                 \
    qi_qu8_dwconv_check(g, input, weights, output, params);                                                        \
    const size_t kh = g->kernel_h, kw = g->kernel_w, row_w = qi_qu8_dwconv_avx2_row_bytes(g);                      \
    if (kh * kw > QI_QU8_DWCONV_AVX2_MAX_TAPS || g->stride_w > 2 || !row_w)                                        \
      qi_qu8_dwconv_minmax_ukernel_any__scalar(g, input, weights, bias, scale, output, params);                    \
    else if (g->stride_w == 1)                                                                                     \
      qi_qu8_dwconv_avx2_body(g, input, weights, bias, scale, output, params, kh, kw, 1, row_w);                   \
    else                                                                                                           \
      qi_qu8_dwconv_avx2_body(g, input, weights, bias, scale, output, params, kh, kw, 2, row_w);                   \
  }

#endif /* QI_QU8_DWCONV_AVX2_H */
