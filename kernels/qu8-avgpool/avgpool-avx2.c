/* Windowed average pooling over one CHW plane, AVX2: the window sums of 16 outputs at a time (stride_w 1 or 2)
 * from zero-point-padded row copies (kernels/qu8-dwconv/window.h), so every tap outside the plane adds
 * x_zero_point and acc = sum - x_zero_point * taps is the sum over the in-bounds taps, exactly; 16-bit lanes
 * hold sums of up to 257 taps. Each output's scale x_scale / (y_scale * count) is computed by the scalar
 * formula once per distinct row count into a per-column table (0 for windows without an in-bounds tap, whose
 * acc is 0: they give y_zero_point); the requantization is requant-avx2.h's with that scale per lane.
 * Windows of more than 256 taps or rows, stride_w > 2 and planes too wide for the stack buffers take the
 * scalar kernel. */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/qu8-dwconv/requant-avx2.h"
#include "kernels/qu8-dwconv/window-avx2.h"

#define MAX_TAPS 256
#define MAX_OUT_W 2048

/* Taps of one axis for output coordinate o: in bounds ([pad, pad + in) in padded coordinates) and inside the
 * padded extent ([0, pad + in + pad_end)). */
static void axis_counts(size_t o, size_t stride, size_t kernel, size_t dilation, size_t pad, size_t in, size_t pad_end,
                        uint16_t *valid, uint16_t *padded) {
  size_t v = 0, p = 0;
  for (size_t k = 0; k < kernel; k++) {
    const size_t c = o * stride + k * dilation;
    v += c >= pad && c < pad + in;
    p += c < pad + in + pad_end;
  }
  *valid = (uint16_t)v;
  *padded = (uint16_t)p;
}

static __attribute__((always_inline)) inline void avgpool_rows(const qi_window2d *g, qi_qu8_avgpool_divisor divisor,
                                                               const uint8_t *input, uint8_t *output,
                                                               const qi_qu8_avgpool_params *p, size_t sx,
                                                               size_t row_w) {
  const size_t kh = g->kernel_h, kw = g->kernel_w, ntaps = kh * kw;
  const uint8_t flip = p->sign_flip;
  const __m128i flip128 = _mm_set1_epi8((char)flip);
  const __m256i flip256 = _mm256_set1_epi8((char)flip);
  const __m256i vzp_taps = _mm256_set1_epi32(p->x_zero_point * (int32_t)ntaps);
  const __m256 lo = _mm256_set1_ps((float)(p->qmin - p->y_zero_point));
  const __m256 hi = _mm256_set1_ps((float)(p->qmax - p->y_zero_point));
  const __m256i yzp = _mm256_set1_epi32(p->y_zero_point);
  uint16_t col_valid[MAX_OUT_W], col_padded[MAX_OUT_W];
  float scale[MAX_OUT_W + 16];
  for (size_t ox = 0; ox < g->out_w; ox++)
    axis_counts(ox, sx, kw, g->dilation_w, g->pad_left, g->in_w, g->pad_right, &col_valid[ox], &col_padded[ox]);
  memset(scale + g->out_w, 0, 16 * sizeof(float));
  qi_qu8_padded_rows rows;
  qi_qu8_padded_rows_init(&rows, g, row_w, (uint8_t)(p->x_zero_point ^ flip));
  const uint8_t *tap[MAX_TAPS];
  uint32_t scale_key = UINT32_MAX; /* (row valid, row padded) the scale table was made for */
  for (size_t oy = 0; oy < g->out_h; oy++) {
    uint16_t rv, rp;
    axis_counts(oy, g->stride_h, kh, g->dilation_h, g->pad_top, g->in_h, g->pad_bottom, &rv, &rp);
    if (((uint32_t)rv << 16 | rp) != scale_key) {
      scale_key = (uint32_t)rv << 16 | rp;
      for (size_t ox = 0; ox < g->out_w; ox++) {
        const size_t valid = (size_t)rv * col_valid[ox];
        const size_t count = divisor == QI_QU8_AVGPOOL_DIV_VALID    ? valid
                             : divisor == QI_QU8_AVGPOOL_DIV_PADDED ? (size_t)rp * col_padded[ox]
                                                                    : ntaps;
        scale[ox] = valid ? qi_qu8_avgpool_scale(p, count) : 0.0f;
      }
    }
    for (size_t ky = 0; ky < kh; ky++) {
      const uint8_t *r = qi_qu8_padded_row(&rows, g, input, oy, ky, kh);
      for (size_t kx = 0; kx < kw; kx++) tap[ky * kw + kx] = r + kx * g->dilation_w;
    }
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
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale + ox + 8 * (size_t)h));
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
  if (!row_w || g->kernel_h * g->kernel_w > MAX_TAPS || g->out_w > MAX_OUT_W)
    qi_qu8_avgpool2d_chw_ukernel__scalar(g, divisor, input, output, params);
  else if (g->stride_w == 1)
    avgpool_rows(g, divisor, input, output, params, 1, row_w);
  else
    avgpool_rows(g, divisor, input, output, params, 2, row_w);
}
