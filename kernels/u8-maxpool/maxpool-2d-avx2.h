/* The body of the AVX2 8-bit max pooling kernels over one plane of a 1-D or 2-D window (include only from -avx2
 * files): kernels/u8-maxpool/2d-avx2.c (vpmaxub) and kernels/s8-maxpool/2d-avx2.c (vpmaxsb) instantiate it.
 *
 * Each output row first takes the column-wise max of its in-bounds input rows (32 columns per step) into a row
 * buffer in padded coordinates, whose pad columns (left, right and past the end for ceil_mode overhangs and the
 * last vector) hold the type's lowest value; then the window's taps along the row are max-ed from that buffer:
 * 32 outputs per step for stride_w 1 (one load per tap) or 2 (two loads per tap, then the even bytes: & 0x00ff
 * as 16-bit words and vpackuswb, which keeps every byte as it is), any other stride one output at a time.
 * A window without an in-bounds tap gives `lowest`, and the lowest value never beats an in-bounds tap, so the
 * result is the scalar kernel's exactly. Rows wider than the stack buffer and windows over 64 rows take the N-d
 * scalar kernel. */
#ifndef QI_MAXPOOL_2D_AVX2_H
#define QI_MAXPOOL_2D_AVX2_H

#include <assert.h>
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels/u8-maxpool/maxpool-rows.h"

#define QI_MAXPOOL_2D_AVX2_ROW_BYTES 16384 /* padded row buffer; wider rows take the scalar kernel */
#define QI_MAXPOOL_2D_AVX2_MAX_ROWS 64     /* taller windows take the scalar kernel */

/* Bytes of the padded row buffer the kernel needs (from padded column 0), or 0 when it does not fit. */
static inline size_t qi_maxpool_2d_avx2_row_bytes(const qi_maxpool_rows *r) {
  const size_t vec_out = (r->out_w + 31) / 32 * 32, sx = r->sw;
  size_t w = (vec_out - 1) * sx + (r->kw - 1) * r->dw + 1 + 64; /* a stride-2 step loads 64 bytes */
  if (w < r->pl + r->in_w) w = r->pl + r->in_w;
  return w <= QI_MAXPOOL_2D_AVX2_ROW_BYTES ? w : 0;
}

#define QI_DEFINE_MAXPOOL_2D_AVX2(name, T, lowest, vmax256, vmax128, smax, scalar_nd)                             \
  void name(const qi_windownd *g, const T *input, T *output) {                                                  \
    assert(g && input && output && (g->dims == 1 || g->dims == 2));                                            \
    const qi_maxpool_rows r = qi_maxpool_rows_of(g);                                                           \
    const size_t row_w = qi_maxpool_2d_avx2_row_bytes(&r);                                                     \
    if (!row_w || r.kh > QI_MAXPOOL_2D_AVX2_MAX_ROWS) {                                                        \
      scalar_nd(g, input, output, NULL, 0, false);                                                             \
      return;                                                                                                  \
    }                                                                                                          \
    _Alignas(32) T buf[QI_MAXPOOL_2D_AVX2_ROW_BYTES];                                                          \
    memset(buf, (uint8_t)(lowest), row_w);                                                                     \
    T *const mid = buf + r.pl; /* column 0 of the input */                                                     \
    const size_t in_w = r.in_w, out_w = r.out_w, kw = r.kw, dw = r.dw;                                         \
    for (size_t oy = 0; oy < r.out_h; oy++) {                                                                  \
      const T *rows[QI_MAXPOOL_2D_AVX2_MAX_ROWS];                                                              \
      size_t n_rows = 0;                                                                                       \
      for (size_t ky = 0; ky < r.kh; ky++) {                                                                   \
        const size_t iy = oy * r.sh + ky * r.dh;                                                               \
        if (iy >= r.pt && iy - r.pt < r.in_h) rows[n_rows++] = input + (iy - r.pt) * in_w;                     \
      }                                                                                                        \
      T *const out_row = output + oy * out_w;                                                                  \
      if (n_rows == 0) {                                                                                       \
        memset(out_row, (uint8_t)(lowest), out_w);                                                             \
        continue;                                                                                              \
      }                                                                                                        \
      /* column-wise max of the rows into mid[0, in_w); the last vector overlaps the one before */            \
      if (in_w >= 32) {                                                                                        \
        for (size_t x = 0;; x += 32) {                                                                         \
          if (x + 32 > in_w) x = in_w - 32;                                                                    \
          __m256i v = _mm256_loadu_si256((const __m256i *)(rows[0] + x));                                      \
          for (size_t i = 1; i < n_rows; i++) v = vmax256(v, _mm256_loadu_si256((const __m256i *)(rows[i] + x))); \
          _mm256_storeu_si256((__m256i *)(mid + x), v);                                                        \
          if (x + 32 == in_w) break;                                                                           \
        }                                                                                                      \
      } else if (in_w >= 16) {                                                                                 \
        for (size_t x = 0;; x += 16) {                                                                         \
          if (x + 16 > in_w) x = in_w - 16;                                                                    \
          __m128i v = _mm_loadu_si128((const __m128i *)(rows[0] + x));                                         \
          for (size_t i = 1; i < n_rows; i++) v = vmax128(v, _mm_loadu_si128((const __m128i *)(rows[i] + x)));  \
          _mm_storeu_si128((__m128i *)(mid + x), v);                                                           \
          if (x + 16 == in_w) break;                                                                           \
        }                                                                                                      \
      } else {                                                                                                 \
        for (size_t x = 0; x < in_w; x++) {                                                                    \
          T v = rows[0][x];                                                                                    \
          for (size_t i = 1; i < n_rows; i++) v = smax(v, rows[i][x]);                                         \
          mid[x] = v;                                                                                          \
        }                                                                                                      \
      }                                                                                                        \
      /* max along the row: outputs ox .. ox + 31 per step; the last partial step through a small buffer */  \
      if (r.sw == 1 || r.sw == 2) {                                                                            \
        for (size_t ox = 0; ox < out_w; ox += 32) {                                                            \
          __m256i m;                                                                                           \
          if (r.sw == 1) {                                                                                     \
            m = _mm256_loadu_si256((const __m256i *)(buf + ox));                                               \
            for (size_t kx = 1; kx < kw; kx++)                                                                 \
              m = vmax256(m, _mm256_loadu_si256((const __m256i *)(buf + ox + kx * dw)));                       \
          } else {                                                                                             \
            const T *p = buf + 2 * ox;                                                                         \
            __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32)); \
            for (size_t kx = 1; kx < kw; kx++) {                                                               \
              a = vmax256(a, _mm256_loadu_si256((const __m256i *)(p + kx * dw)));                              \
              b = vmax256(b, _mm256_loadu_si256((const __m256i *)(p + kx * dw + 32)));                         \
            }                                                                                                  \
            const __m256i even = _mm256_set1_epi16(0xff);                                                      \
            m = _mm256_packus_epi16(_mm256_and_si256(a, even), _mm256_and_si256(b, even));                     \
            m = _mm256_permute4x64_epi64(m, _MM_SHUFFLE(3, 1, 2, 0));                                          \
          }                                                                                                    \
          if (ox + 32 <= out_w) {                                                                              \
            _mm256_storeu_si256((__m256i *)(out_row + ox), m);                                                 \
          } else {                                                                                             \
            _Alignas(32) T last[32];                                                                           \
            _mm256_store_si256((__m256i *)last, m);                                                            \
            memcpy(out_row + ox, last, out_w - ox);                                                            \
          }                                                                                                    \
        }                                                                                                      \
      } else {                                                                                                 \
        for (size_t ox = 0; ox < out_w; ox++) {                                                                \
          const T *p = buf + ox * r.sw;                                                                        \
          T v = p[0];                                                                                          \
          for (size_t kx = 1; kx < kw; kx++) v = smax(v, p[kx * dw]);                                          \
          out_row[ox] = v;                                                                                     \
        }                                                                                                      \
      }                                                                                                        \
    }                                                                                                          \
  }

#endif /* QI_MAXPOOL_2D_AVX2_H */
