/* Windowed average pooling over one CHW plane, AVX2: the window sums of 16 outputs at a time (stride_w 1 or 2)
 * from zero-point-padded row copies (kernels/qu8-dwconv/window.h), so every tap outside the plane adds
 * x_zero_point and acc = sum - x_zero_point * taps is the sum over the in-bounds taps, exactly; 16-bit lanes
 * hold sums of up to 257 taps. Each output's scale x_scale / (y_scale * count) is computed by the scalar
 * formula once per distinct row count into a per-column table (avgpool-scales.h; 0 for windows without an
 * in-bounds tap, whose acc is 0: they give y_zero_point); the requantization is requant-avx2.h's with that
 * scale per lane.
 * Windows of more than 256 taps or rows, stride_w > 2 and planes too wide for the stack buffers take the
 * scalar kernel. */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "kernels/qu8-avgpool/avgpool-scales.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/qu8-dwconv/requant-avx2.h"
#include "kernels/qu8-dwconv/window-avx2.h"

static __attribute__((always_inline)) inline void avgpool_rows(const qi_window2d *g, qi_qu8_avgpool_divisor divisor,
                                                               const uint8_t *input, uint8_t *output,
                                                               const qi_qu8_avgpool_params *p, size_t sx,
                                                               size_t row_w) {
  const size_t ntaps = g->kernel_h * g->kernel_w;
  const uint8_t flip = p->sign_flip;
  const __m128i flip128 = _mm_set1_epi8((char)flip);
  const __m256i flip256 = _mm256_set1_epi8((char)flip);
  const __m256i vzp_taps = _mm256_set1_epi32(p->x_zero_point * (int32_t)ntaps);
  const __m256 lo = _mm256_set1_ps((float)(p->qmin - p->y_zero_point));
  const __m256 hi = _mm256_set1_ps((float)(p->qmax - p->y_zero_point));
  const __m256i yzp = _mm256_set1_epi32(p->y_zero_point);
  qi_qu8_avgpool_scales sc;
  qi_qu8_avgpool_scales_init(&sc, g);
  qi_qu8_padded_rows rows;
  qi_qu8_padded_rows_init(&rows, g, row_w, (uint8_t)(p->x_zero_point ^ flip));
  const uint8_t *tap[QI_QU8_AVGPOOL_SIMD_MAX_TAPS];
  for (size_t oy = 0; oy < g->out_h; oy++) {
    qi_qu8_avgpool_scales_row(&sc, g, divisor, p, oy);
    qi_qu8_padded_taps(&rows, g, input, oy, tap);
    uint8_t *out_row = output + oy * g->out_w;
    for (size_t ox = 0; ox < g->out_w; ox += 16) {
      const size_t ix = ox * sx;
      __m256i sum = _mm256_setzero_si256();
      for (size_t t = 0; t < ntaps; t++)
        sum = _mm256_add_epi16(sum, qi_qu8_load16_u16(tap[t] + ix, sx, flip128, flip256));
      __m256i q[2];
      for (int h = 0; h < 2; h++) {
        const __m128i half = h ? _mm256_extracti128_si256(sum, 1) : _mm256_castsi256_si128(sum);
        const __m256i acc = _mm256_sub_epi32(_mm256_cvtepu16_epi32(half), vzp_taps);
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(sc.scale + ox + 8 * (size_t)h));
        v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
        q[h] = _mm256_add_epi32(_mm256_cvtps_epi32(v), yzp);
      }
      const __m256i q16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), _MM_SHUFFLE(3, 1, 2, 0));
      const __m256i q8 = _mm256_permute4x64_epi64(_mm256_packus_epi16(q16, q16), _MM_SHUFFLE(3, 1, 2, 0));
      const __m128i bytes = _mm_xor_si128(_mm256_castsi256_si128(q8), flip128);
      if (ox + 16 <= g->out_w) {
        _mm_storeu_si128((__m128i *)(out_row + ox), bytes);
      } else {
        uint8_t last[16];
        _mm_storeu_si128((__m128i *)last, bytes);
        memcpy(out_row + ox, last, g->out_w - ox);
      }
    }
  }
}

void qi_qu8_avgpool2d_chw_ukernel__avx2(const qi_window2d *g, qi_qu8_avgpool_divisor divisor, const uint8_t *input,
                                        uint8_t *output, const qi_qu8_avgpool_params *params) {
  assert(g && input && output && params);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  const size_t row_w = qi_qu8_window_avx2_row_bytes(g);
  if (!qi_qu8_avgpool_simd_takes(g, row_w))
    qi_qu8_avgpool2d_chw_ukernel__scalar(g, divisor, input, output, params);
  else if (g->stride_w == 1)
    avgpool_rows(g, divisor, input, output, params, 1, row_w);
  else
    avgpool_rows(g, divisor, input, output, params, 2, row_w);
}
