/* The VNNI depthwise body shared by 3x3-avxvnni.c, any-avxvnni.c, 3x3-avx512vnni.c and any-avx512vnni.c (include
 * only from those files, after defining QI_QU8_DW_DPBUSD(acc, x_u8, w_s8) as the ISA's 256-bit vpdpbusd:
 * _mm256_dpbusd_avx_epi32 for AVX-VNNI, _mm256_dpbusd_epi32 for AVX-512 VNNI + VL).
 *
 * Input rows padded with the zero point as in the AVX2 body (window.h's row width, so borders take the
 * vector path; here all padded input rows of a band of output rows are staged at once), but one vpdpbusd
 * multiplies-accumulates a whole kernel row (up to 4 taps) of 8 outputs in uint8 x int8, without widening: each
 * 32-bit lane of the activation vector holds the 4 bytes x[ox*sx + j*dilation_w] (j < 4; taps j >= kernel_w get
 * weight 0) of its output, gathered with one vpshufb from 16 bytes of the row, and the weight vector holds the
 * row's 4 weights in every lane. The 4 products of a lane (|x * w| <= 255 * 128) are summed into int32 exactly
 * (vpdpbusd, not the saturating vpdpbusds); the zero point folds into the start value bias - x_zp * sum(w) as in
 * the AVX2 body.
 *
 * 16 outputs per step as two vectors A = outputs 0-3 | 8-11 and B = 4-7 | 12-15 (the lanes of the AVX2 body's
 * vpunpck order, so it stores with qi_qu8_dw_store16): stride 1 reads row bytes [0, 16) | [8, 24), A and B being
 * two shuffles of them; stride 2 reads [0, 16) | [16, 32) for A and [8, 24) | [24, 40) for B. A last step of up
 * to 8 outputs (7-wide planes: one step) computes one vector 0-3 | 4-7 from [0, 16) | [4*sx, 4*sx + 16).
 * Preconditions (qi_qu8_dwconv_vnni_row_bytes): kernel_w <= 4, kernel_h <= QI_QU8_WINDOW_MAX_ROWS, stride_w 1
 * with (kernel_w - 1) * dilation_w <= 8 or stride_w 2 with (kernel_w - 1) * dilation_w <= 9, and the padded rows
 * fit the stack buffer (QI_QU8_BAND_BYTES holds the window's rows); other windows take the AVX2 kernels. */
#ifndef QI_QU8_DWCONV_VNNI_H
#define QI_QU8_DWCONV_VNNI_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels/qu8-dwconv/dwconv-avx2.h"

#ifndef QI_QU8_DW_DPBUSD
#error "define QI_QU8_DW_DPBUSD before including dwconv-vnni.h"
#endif

/* Row bytes of the padded copies, or 0 when the VNNI body cannot take the window. */
static inline size_t qi_qu8_dwconv_vnni_row_bytes(const qi_window2d *g) {
  const size_t sx = g->stride_w, span = (g->kernel_w - 1) * g->dilation_w;
  if (g->kernel_w > 4 || (sx == 1 && span > 8) || (sx == 2 && span > 9) || sx < 1 || sx > 2) return 0;
  const size_t row_w = qi_qu8_window_avx2_row_bytes(g); /* reads stay below (out_w rounded up to 16) * sx + 8 */
  return qi_qu8_band_out_rows(g, row_w) ? row_w : 0;
}

/* vpshufb control of one 128-bit lane: lane i of 4 takes bytes first + i*sx + j*dw, j < 4 (j >= kw: the first). */
static inline __m128i qi_qu8_dw_vnni_control(size_t first, size_t sx, size_t kw, size_t dw) {
  uint8_t c[16];
  for (size_t i = 0; i < 4; i++)
    for (size_t j = 0; j < 4; j++) c[i * 4 + j] = (uint8_t)(first + i * sx + (j < kw ? j * dw : 0));
  return _mm_loadu_si128((const __m128i *)c);
}

static inline __attribute__((always_inline)) __m256i qi_qu8_dw_vnni_load2(const uint8_t *lo, const uint8_t *hi,
                                                                          __m256i flip, int flipped) {
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)lo)),
                                            _mm_loadu_si128((const __m128i *)hi), 1);
  return flipped ? _mm256_xor_si256(v, flip) : v;
}

/* Precondition: row_w = qi_qu8_dwconv_vnni_row_bytes(g) != 0; kh, kw, sx, dw the window's (constants where the
 * caller knows them); flipped = (p->sign_flip != 0), a constant.
 * The input is staged in bands of output rows: all padded input rows of a band are copied first (a row of zero
 * points where the window is above or below the plane), then its outputs are computed, so that the loads do not
 * wait on the copy's stores and no row bookkeeping sits in the output loop. A store of 16 (or 8) outputs may run
 * past the end of its row into the next rows, which are written later; only the plane's end is respected. */
static inline __attribute__((always_inline)) void qi_qu8_dwconv_vnni_body(
    const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale, uint8_t *output,
    const qi_qu8_dwconv_params *p, size_t kh, size_t kw, size_t sx, size_t dw, size_t row_w, int flipped) {
  int32_t wrow[QI_QU8_WINDOW_MAX_ROWS];
  int32_t wsum = 0;
  for (size_t ky = 0; ky < kh; ky++) {
    uint32_t packed = 0;
    for (size_t kx = 0; kx < kw; kx++) {
      wsum += weights[ky * kw + kx];
      packed |= (uint32_t)(uint8_t)weights[ky * kw + kx] << (8 * kx);
    }
    wrow[ky] = (int32_t)packed;
  }
  const uint8_t pad_byte = (uint8_t)(p->x_zero_point ^ p->sign_flip); /* loads as x_zero_point */
  /* modulo 2^32 like the vector adds: exact whenever the output's sum fits int32, whatever the bias */
  const __m256i vbase = _mm256_set1_epi32((int32_t)((uint32_t)bias - (uint32_t)(p->x_zero_point * wsum)));
  const __m128i flip128 = _mm_set1_epi8((char)p->sign_flip);
  const __m256i flip256 = _mm256_set1_epi8((char)p->sign_flip);
  const qi_requant_avx2 rq = qi_requant_avx2_init(scale, p->y_zero_point, p->qmin, p->qmax);
  /* stride 1: A and B shuffle the same bytes [0, 16) | [8, 24); stride 2: one control, two loads */
  const __m128i ca = qi_qu8_dw_vnni_control(0, sx, kw, dw), cb = qi_qu8_dw_vnni_control(sx == 1 ? 4 : 0, sx, kw, dw);
  const __m256i ctl_a = _mm256_broadcastsi128_si256(ca), ctl_b = _mm256_broadcastsi128_si256(cb);
  __m256i w[QI_QU8_WINDOW_MAX_ROWS];
  for (size_t ky = 0; ky < kh; ky++) w[ky] = _mm256_set1_epi32(wrow[ky]);
  const size_t out_w = g->out_w, sh = g->stride_h, dh = g->dilation_h;
  const size_t band = qi_qu8_band_out_rows(g, row_w), plane_bytes = g->out_h * out_w;
  uint8_t buf[QI_QU8_BAND_BYTES];
  for (size_t oy0 = 0; oy0 < g->out_h; oy0 += band) {
    const size_t oy1 = oy0 + band < g->out_h ? oy0 + band : g->out_h;
    const size_t y0 = qi_qu8_band_stage(buf, g, input, row_w, pad_byte, oy0, oy1, qi_qu8_copy);
    for (size_t oy = oy0; oy < oy1; oy++) {
      const uint8_t *r[QI_QU8_WINDOW_MAX_ROWS];
      for (size_t ky = 0; ky < kh; ky++) r[ky] = buf + (oy * sh + ky * dh - y0) * row_w;
      uint8_t *out_row = output + oy * out_w;
      size_t ox = 0;
      for (; ox + 8 < out_w; ox += 16) {
        __m256i acc_a = vbase, acc_b = vbase;
#pragma GCC unroll 8
        for (size_t ky = 0; ky < kh; ky++) {
          const uint8_t *q = r[ky] + ox * sx;
          __m256i xa, xb;
          if (sx == 1) {
            const __m256i v = qi_qu8_dw_vnni_load2(q, q + 8, flip256, flipped);
            xa = _mm256_shuffle_epi8(v, ctl_a), xb = _mm256_shuffle_epi8(v, ctl_b);
          } else {
            xa = _mm256_shuffle_epi8(qi_qu8_dw_vnni_load2(q, q + 16, flip256, flipped), ctl_a);
            xb = _mm256_shuffle_epi8(qi_qu8_dw_vnni_load2(q + 8, q + 24, flip256, flipped), ctl_b);
          }
          acc_a = QI_QU8_DW_DPBUSD(acc_a, xa, w[ky]);
          acc_b = QI_QU8_DW_DPBUSD(acc_b, xb, w[ky]);
        }
        if (oy * out_w + ox + 16 <= plane_bytes) {
          qi_qu8_dw_store16(out_row + ox, acc_a, acc_b, &rq, flip128);
        } else {
          uint8_t last[16];
          qi_qu8_dw_store16(last, acc_a, acc_b, &rq, flip128);
          qi_qu8_copy_short(out_row + ox, last, out_w - ox);
        }
      }
      if (ox < out_w) { /* 1 to 8 outputs: lanes 0-3 | 4-7 */
        __m256i acc = vbase;
#pragma GCC unroll 8
        for (size_t ky = 0; ky < kh; ky++) {
          const uint8_t *q = r[ky] + ox * sx;
          const __m256i x = _mm256_shuffle_epi8(qi_qu8_dw_vnni_load2(q, q + 4 * sx, flip256, flipped), ctl_a);
          acc = QI_QU8_DW_DPBUSD(acc, x, w[ky]);
        }
        const __m256i q32 = qi_requant_fp32_avx2(acc, &rq);
        const __m256i q16 = _mm256_packs_epi32(q32, q32); /* 0-3 0-3 | 4-7 4-7 */
        const __m256i q8 = _mm256_packus_epi16(q16, q16); /* dword 0: 0-3, dword 4: 4-7 */
        const __m256i qo = _mm256_permutevar8x32_epi32(q8, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
        const __m128i y = _mm_xor_si128(_mm256_castsi256_si128(qo), flip128);
        if (oy * out_w + ox + 8 <= plane_bytes) {
          _mm_storel_epi64((__m128i *)(out_row + ox), y);
        } else {
          uint8_t last[16];
          _mm_storeu_si128((__m128i *)last, y);
          qi_qu8_copy_short(out_row + ox, last, out_w - ox);
        }
      }
    }
  }
}

/* Precondition as qi_qu8_dwconv_vnni_body's; picks the specialisation of the sign flip. */
#define QI_QU8_DWCONV_VNNI_CALL(g, input, weights, bias, scale, output, params, kh, kw, sx, dw, row_w)             \
  do {                                                                                                           \
    if ((params)->sign_flip)                                                                                     \
      qi_qu8_dwconv_vnni_body(g, input, weights, bias, scale, output, params, kh, kw, sx, dw, row_w, 1);        \
    else                                                                                                         \
      qi_qu8_dwconv_vnni_body(g, input, weights, bias, scale, output, params, kh, kw, sx, dw, row_w, 0);        \
  } while (0)

/* The 3x3 kernel of one VNNI ISA: stride and dilation 1 and 2 as constants; other windows take `fallback`. */
#define QI_QU8_DWCONV_VNNI_3X3_KERNEL(name, fallback)                                                             \
  void name(const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale,           \
            uint8_t *output, const qi_qu8_dwconv_params *params) {                                                 \
    qi_qu8_dwconv_check(g, input, weights, output, params);                                                        \
    assert(g->kernel_h == 3 && g->kernel_w == 3);                                                                  \
    const size_t row_w = qi_qu8_dwconv_vnni_row_bytes(g);                                                          \
    if (row_w && g->stride_w == 1 && g->dilation_w == 1)                                                           \
      QI_QU8_DWCONV_VNNI_CALL(g, input, weights, bias, scale, output, params, 3, 3, 1, 1, row_w);                  \
    else if (row_w && g->stride_w == 2 && g->dilation_w == 1)                                                      \
      QI_QU8_DWCONV_VNNI_CALL(g, input, weights, bias, scale, output, params, 3, 3, 2, 1, row_w);                  \
    else if (row_w)                                                                                                \
      QI_QU8_DWCONV_VNNI_CALL(g, input, weights, bias, scale, output, params, 3, 3, g->stride_w, g->dilation_w,    \
                              row_w);                                                                              \
    else                                                                                                           \
      fallback(g, input, weights, bias, scale, output, params);                                                    \
  }

/* The generic kernel of one VNNI ISA: windows up to 4 wide; others take `fallback`. */
#define QI_QU8_DWCONV_VNNI_ANY_KERNEL(name, fallback)                                                             \
  void name(const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale,           \
            uint8_t *output, const qi_qu8_dwconv_params *params) {                                                 \
    qi_qu8_dwconv_check(g, input, weights, output, params);                                                        \
    const size_t row_w = qi_qu8_dwconv_vnni_row_bytes(g);                                                          \
    if (row_w && g->stride_w == 1)                                                                                 \
      QI_QU8_DWCONV_VNNI_CALL(g, input, weights, bias, scale, output, params, g->kernel_h, g->kernel_w, 1,         \
                              g->dilation_w, row_w);                                                               \
    else if (row_w)                                                                                                \
      QI_QU8_DWCONV_VNNI_CALL(g, input, weights, bias, scale, output, params, g->kernel_h, g->kernel_w, 2,         \
                              g->dilation_w, row_w);                                                               \
    else                                                                                                           \
      fallback(g, input, weights, bias, scale, output, params);                                                    \
  }

#endif /* QI_QU8_DWCONV_VNNI_H */
