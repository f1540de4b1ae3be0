#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels/qu8-gemm/qu8-gemm.h"

size_t qi_qu8_gemm_packed_w_size(const qi_qu8_gemm_config *cfg, size_t m, size_t k) {
  return (m + cfg->mr - 1) / cfg->mr * qi_qu8_gemm_panel_bytes(k, cfg->mr, cfg->kr, cfg->w_bytes);
}

void qi_qu8_gemm_pack_w(const qi_qu8_gemm_config *cfg, size_t m, size_t k, const int8_t *w, size_t w_m_stride,
                        size_t w_k_stride, const int32_t *bias, const float *scale, int32_t x_zero_point,
                        void *packed) {
  const size_t mr = cfg->mr, kr = cfg->kr, w_bytes = cfg->w_bytes;
  assert(m >= 1 && k >= 1 && k <= QI_QU8_GEMM_MAX_K && mr >= 1 && kr >= 1 && w && scale && packed);
  assert(w_bytes == 1 || w_bytes == 2);
  assert(x_zero_point >= -128 && x_zero_point <= 255);
  const size_t panel = qi_qu8_gemm_panel_bytes(k, mr, kr, w_bytes);
  uint8_t *dst = packed;
  for (size_t p0 = 0; p0 < m; p0 += mr, dst += panel) {
    int32_t *pb = (int32_t *)dst;
    float *ps = (float *)(dst + mr * sizeof(int32_t));
    int8_t *pw = (int8_t *)(dst + 2 * mr * sizeof(int32_t));
    int16_t *pw16 = (int16_t *)(void *)pw;
    memset(dst, 0, panel);
    for (size_t r = 0; r < mr && p0 + r < m; r++) {
      const int8_t *row = w + (p0 + r) * w_m_stride;
      int64_t sum = 0;
      for (size_t j = 0; j < k; j++) {
        const int8_t v = row[j * w_k_stride];
        sum += v;
        const size_t at = (j / kr) * mr * kr + r * kr + j % kr;
        if (w_bytes == 2) pw16[at] = v;
        else pw[at] = v;
      }
      /* int32 wrapping arithmetic, as the kernels accumulate */
      const uint32_t b = (uint32_t)(bias ? bias[p0 + r] : 0) - (uint32_t)((int64_t)x_zero_point * sum);
      pb[r] = (int32_t)b;
      ps[r] = scale[p0 + r];
    }
  }
}

/* Interleaves 4 rows of cols bytes into d[j * 4 + i], XORed with flip: the k-block of every current kernel. */
static void interleave4(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, size_t cols,
                        uint8_t flip, uint8_t *restrict d) {
  for (size_t j = 0; j < cols; j++) {
    d[4 * j + 0] = r0[j] ^ flip;
    d[4 * j + 1] = r1[j] ^ flip;
    d[4 * j + 2] = r2[j] ^ flip;
    d[4 * j + 3] = r3[j] ^ flip;
  }
}

/* Interleaves kr rows of cols bytes (r[i] + off for i < kr) into d[j * kr + i], XORed with flip. */
static inline void interleave(const uint8_t *const *r, size_t off, size_t kr, size_t cols, uint8_t flip,
                              uint8_t *restrict d) {
  if (kr == 4) {
    interleave4(r[0] + off, r[1] + off, r[2] + off, r[3] + off, cols, flip, d);
    return;
  }
  for (size_t j = 0; j < cols; j++)
    for (size_t i = 0; i < kr; i++) d[kr * j + i] = r[i][off + j] ^ flip;
}

void qi_qu8_gemm_pack_x(size_t k, size_t n, size_t nr, size_t kr, const uint8_t *x, size_t k_stride,
                        size_t n_stride, uint8_t sign_flip, uint8_t *packed) {
  assert(k >= 1 && n >= 1 && nr >= 1 && kr >= 1 && kr <= QI_QU8_GEMM_MAX_KR && x && packed);
  const size_t kp = qi_qu8_round_up(k, kr);
  static const uint8_t zeros[256];
  for (size_t n0 = 0; n0 < n; n0 += nr) {
    const size_t cols = n - n0 < nr ? n - n0 : nr;
    uint8_t *blk = packed + (n0 / nr) * nr * kp;
    for (size_t kb = 0; kb < kp; kb += kr) {
      uint8_t *d = blk + kb * nr;
      const size_t rows = k - kb < kr ? k - kb : kr;
      if (n_stride == 1 && cols <= sizeof zeros) { /* rows of X are contiguous: interleave kr of them */
        const uint8_t *r[QI_QU8_GEMM_MAX_KR];
        for (size_t i = 0; i < kr; i++) r[i] = i < rows ? x + (kb + i) * k_stride + n0 : zeros;
        interleave(r, 0, kr, cols, sign_flip, d);
        if (rows < kr) /* padded k reads as 0, not 0 ^ flip */
          for (size_t j = 0; j < cols; j++)
            for (size_t i = rows; i < kr; i++) d[j * kr + i] = 0;
      } else if (k_stride == 1 && rows == kr) { /* columns of X are contiguous: kr bytes per column */
        for (size_t j = 0; j < cols; j++) {
          const uint8_t *src = x + kb + (n0 + j) * n_stride;
          for (size_t i = 0; i < kr; i++) d[j * kr + i] = src[i] ^ sign_flip;
        }
      } else {
        for (size_t j = 0; j < cols; j++) {
          const uint8_t *src = x + kb * k_stride + (n0 + j) * n_stride;
          size_t i = 0;
          for (; i < rows; i++) d[j * kr + i] = src[i * k_stride] ^ sign_flip;
          for (; i < kr; i++) d[j * kr + i] = 0;
        }
      }
      if (cols < nr) memset(d + cols * kr, 0, (nr - cols) * kr);
    }
  }
}

/* Output columns [*lo, *hi) whose tap at offset `tap` lands inside [0, in) along one axis. */
static void valid_range(size_t in, size_t out, size_t stride, size_t pad, size_t tap, size_t *lo, size_t *hi) {
  size_t first = tap >= pad ? 0 : (pad - tap + stride - 1) / stride;
  size_t end = (in + pad > tap) ? (in + pad - tap - 1) / stride + 1 : 0;
  if (end > out) end = out;
  if (first > end) first = end;
  *lo = first;
  *hi = end;
}

/* The pixels of one column block, as runs along output rows. */
typedef struct pix_run {
  size_t j0, j1, oy, ox0;
} pix_run;

/* Short copies and fills (an image row, a pad of one or two pixels) without a libc call: fixed-size 8-, 4-, 2-
 * and 1-byte moves, the last 8 overlapping. */
static inline void copy_short(uint8_t *restrict d, const uint8_t *restrict s, size_t n) {
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) memcpy(d + i, s + i, 8);
    memcpy(d + n - 8, s + n - 8, 8);
    return;
  }
  size_t i = 0;
  if (n & 4) memcpy(d, s, 4), i = 4;
  if (n & 2) memcpy(d + i, s + i, 2), i += 2;
  if (n & 1) d[i] = s[i];
}

static inline void fill_short(uint8_t *d, uint8_t v, size_t n) {
  uint8_t v8[8];
  memset(v8, v, 8);
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) memcpy(d + i, v8, 8);
    memcpy(d + n - 8, v8, 8);
    return;
  }
  size_t i = 0;
  if (n & 4) memcpy(d, v8, 4), i = 4;
  if (n & 2) memcpy(d + i, v8, 2), i += 2;
  if (n & 1) d[i] = v;
}

/* Writes row (c, ky, kx) of the column matrix for the block's runs into t (cols bytes), padding as pad. */
static void im2col_row(const qi_window2d *g, const uint8_t *plane, size_t ky, size_t kx, const pix_run *runs,
                       size_t n_runs, uint8_t pad, uint8_t *restrict t) {
  const size_t ty = ky * g->dilation_h, tx = kx * g->dilation_w, sw = g->stride_w, in_w = g->in_w;
  size_t lo, hi;
  valid_range(in_w, g->out_w, sw, g->pad_left, tx, &lo, &hi);
  for (size_t r = 0; r < n_runs; r++) {
    const pix_run *run = &runs[r];
    uint8_t *out = t + run->j0;
    const size_t len = run->j1 - run->j0, ox0 = run->ox0, ox1 = ox0 + len;
    const size_t iy = run->oy * g->stride_h + ty - g->pad_top; /* wraps when in padding */
    if (iy >= g->in_h || lo >= hi) {
      fill_short(out, pad, len);
      continue;
    }
    const size_t a = ox0 > lo ? ox0 : lo, b = ox1 < hi ? ox1 : hi; /* valid part [a, b) */
    if (a >= b) {
      fill_short(out, pad, len);
      continue;
    }
    if (a > ox0) fill_short(out, pad, a - ox0);
    const uint8_t *src = plane + iy * in_w + a * sw + tx - g->pad_left;
    uint8_t *o = out + (a - ox0);
    if (sw == 1) {
      copy_short(o, src, b - a);
    } else if (sw == 2) { /* a constant stride: the compiler vectorises the gather (even bytes) */
      for (size_t i = 0; i < b - a; i++) o[i] = src[2 * i];
    } else {
      for (size_t i = 0; i < b - a; i++) o[i] = src[i * sw];
    }
    if (ox1 > b) fill_short(out + (b - ox0), pad, ox1 - b);
  }
}

/* Columns built per pass (a multiple of every NR up to 64): the column-matrix rows of a pass live on the stack. */
#define IM2COL_CHUNK 512

/* Shifted copies of one channel for a pass, so that every row of the column matrix is one contiguous run of it:
 * plane (kx, r) (kx < kernel_w, r < stride_h) holds M rows of out_w bytes,
 *     S[kx][r][m][ox] = padded input at row (oy_first + m) * stride_h + r, column ox * stride_w + kx * dilation_w
 * (the pad byte outside the input). Row (ky, kx) of the column matrix for pixels [c0, c0 + cols) is then
 * S[kx][(ky * dilation_h) % stride_h] from m = (ky * dilation_h) / stride_h, column c0 - oy_first * out_w on:
 * consecutive output rows are consecutive rows of S. A channel is staged once per pass (kernel_w * stride_h * M
 * rows of out_w bytes, a gather per row) instead of a run per output row for each of its kernel_h * kernel_w
 * rows of the column matrix. Passes whose stage does not fit a slot build their rows run by run. */
#define IM2COL_STAGE_BYTES 8192
#define IM2COL_STAGE_SLOTS 4 /* channels in flight: kr <= 4 consecutive rows of K span at most 4 channels */

typedef struct im2col_stage {
  size_t oy_first, m_rows, plane_bytes;
  size_t channel[IM2COL_STAGE_SLOTS];
  uint8_t buf[IM2COL_STAGE_SLOTS][IM2COL_STAGE_BYTES];
} im2col_stage;

/* Sets the stage's geometry for pixels [c0, c0 + cols); false when a channel's planes do not fit a slot. */
static bool im2col_stage_init(im2col_stage *st, const qi_window2d *g, size_t c0, size_t cols) {
  const size_t oy_last = (c0 + cols - 1) / g->out_w;
  st->oy_first = c0 / g->out_w;
  st->m_rows = oy_last - st->oy_first + 1 + (g->kernel_h - 1) * g->dilation_h / g->stride_h;
  st->plane_bytes = st->m_rows * g->out_w;
  for (size_t i = 0; i < IM2COL_STAGE_SLOTS; i++) st->channel[i] = SIZE_MAX;
  return g->stride_h <= 4 && st->plane_bytes * g->kernel_w * g->stride_h <= IM2COL_STAGE_BYTES;
}

/* The staged planes of channel c (staging them when the slot holds another channel). */
static const uint8_t *im2col_stage_get(im2col_stage *st, const qi_window2d *g, const uint8_t *input, size_t c,
                                       uint8_t pad) {
  uint8_t *b = st->buf[c % IM2COL_STAGE_SLOTS];
  if (st->channel[c % IM2COL_STAGE_SLOTS] == c) return b;
  st->channel[c % IM2COL_STAGE_SLOTS] = c;
  const uint8_t *plane = input + c * g->in_h * g->in_w;
  const size_t out_w = g->out_w, sw = g->stride_w, sh = g->stride_h;
  for (size_t kx = 0; kx < g->kernel_w; kx++) {
    const size_t tx = kx * g->dilation_w;
    size_t lo, hi;
    valid_range(g->in_w, out_w, sw, g->pad_left, tx, &lo, &hi);
    for (size_t r = 0; r < sh; r++) {
      bool used = false; /* a row residue no tap reads (1x1 stride-2 windows: the odd rows) is not staged */
      for (size_t ky = 0; ky < g->kernel_h && !used; ky++) used = ky * g->dilation_h % sh == r;
      if (!used) continue;
      uint8_t *sp = b + (kx * sh + r) * st->plane_bytes;
      for (size_t m = 0; m < st->m_rows; m++) {
        uint8_t *o = sp + m * out_w;
        const size_t iy = (st->oy_first + m) * sh + r - g->pad_top; /* wraps when in padding */
        if (iy >= g->in_h || lo >= hi) {
          fill_short(o, pad, out_w);
          continue;
        }
        fill_short(o, pad, lo);
        const uint8_t *src = plane + iy * g->in_w + lo * sw + tx - g->pad_left;
        if (sw == 1) {
          copy_short(o + lo, src, hi - lo);
        } else if (sw == 2) { /* a constant stride: the compiler vectorises the gather (even bytes) */
          for (size_t i = 0; i < hi - lo; i++) o[lo + i] = src[2 * i];
        } else {
          for (size_t i = 0; i < hi - lo; i++) o[lo + i] = src[i * sw];
        }
        fill_short(o + hi, pad, out_w - hi);
      }
    }
  }
  return b;
}

void qi_qu8_im2col_packed(const qi_window2d *g, size_t channels, const uint8_t *input, uint8_t sign_flip,
                          uint8_t pad_value, size_t pix_begin, size_t pix_end, size_t nr, size_t kr,
                          uint8_t *packed) {
  assert(g && input && packed && channels >= 1 && pix_begin < pix_end && pix_end <= g->out_h * g->out_w);
  assert(g->stride_h >= 1 && g->stride_w >= 1 && g->dilation_h >= 1 && g->dilation_w >= 1 && nr >= 1 && nr <= 64);
  assert(kr >= 1 && kr <= QI_QU8_GEMM_MAX_KR);
  const size_t taps = g->kernel_h * g->kernel_w, k = channels * taps, kp = qi_qu8_round_up(k, kr);
  const size_t plane = g->in_h * g->in_w, chunk = IM2COL_CHUNK / nr * nr;
  /* Rows are built unflipped with the padding pre-flipped, then flipped together while interleaving. */
  const uint8_t pad = pad_value ^ sign_flip;
  uint8_t rows[QI_QU8_GEMM_MAX_KR][IM2COL_CHUNK];
  pix_run runs[IM2COL_CHUNK + 2];
  im2col_stage stage;
  for (size_t c0 = pix_begin; c0 < pix_end; c0 += chunk) {
    const size_t cols = pix_end - c0 < chunk ? pix_end - c0 : chunk, width = qi_qu8_round_up(cols, nr);
    uint8_t *first_blk = packed + (c0 - pix_begin) / nr * nr * kp;
    size_t n_runs = 0;
    for (size_t j = 0; j < cols;) {
      const size_t p = c0 + j, oy = p / g->out_w, ox = p % g->out_w;
      const size_t len = g->out_w - ox < cols - j ? g->out_w - ox : cols - j;
      runs[n_runs++] = (pix_run){j, j + len, oy, ox};
      j += len;
    }
    /* kr rows of K span up to kr channels, each staged in a slot of its own */
    const bool staged = im2col_stage_init(&stage, g, c0, cols) && kr <= IM2COL_STAGE_SLOTS;
    const size_t stage_col = c0 - stage.oy_first * g->out_w;
    for (size_t kb = 0; kb < kp; kb += kr) {
      const uint8_t *src[QI_QU8_GEMM_MAX_KR];
      for (size_t i = 0; i < kr; i++) {
        const size_t row = kb + i;
        src[i] = rows[i];
        if (row >= k) {
          memset(rows[i], sign_flip, width); /* 0 after the flip */
          continue;
        }
        const size_t c = row / taps, t = row % taps, ky = t / g->kernel_w, kx = t % g->kernel_w;
        if (staged) {
          const size_t dy = ky * g->dilation_h;
          src[i] = im2col_stage_get(&stage, g, input, c, pad) +
                   (kx * g->stride_h + dy % g->stride_h) * stage.plane_bytes + dy / g->stride_h * g->out_w + stage_col;
          if (cols < width) { /* the last pass: its padded columns need a copy */
            memcpy(rows[i], src[i], cols);
            src[i] = rows[i];
          }
        } else {
          im2col_row(g, input + c * plane, ky, kx, runs, n_runs, pad, rows[i]);
        }
        if (cols < width) memset(rows[i] + cols, pad, width - cols);
      }
      for (size_t b = 0; b < width; b += nr)
        interleave(src, b, kr, nr, sign_flip, first_blk + b / nr * nr * kp + kb * nr);
    }
  }
}
