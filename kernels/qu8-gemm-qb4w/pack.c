#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"

/* The packed block b of a panel, writable (qi_qu8_gemm_qb4w_block_parts gives the same pointers, const). */
typedef struct block_dst {
  int32_t *zc;
  float *scale;
  uint8_t *z, *u;
} block_dst;

static block_dst block_at(uint8_t *panel, size_t mr, size_t bl, size_t b) {
  uint8_t *p = panel + mr * sizeof(float) + b * qi_qu8_gemm_qb4w_block_bytes(mr, bl);
  const block_dst d = {(int32_t *)(void *)p, (float *)(void *)(p + mr * sizeof(int32_t)),
                       p + mr * (sizeof(int32_t) + sizeof(float)),
                       p + mr * (sizeof(int32_t) + sizeof(float)) + qi_qu8_gemm_qb4w_zp_bytes(mr)};
  return d;
}

/* Row r's nibbles of block b: k = b * bl + kk goes to group kk / G, byte r * G/2 + kk % (G/2) of the group, low
 * half for the first G/2 k of the group, high half for the rest (the header's layout). Returns sum (u - z). */
static int64_t pack_row_block(const qi_qb4w_source *src, size_t row, size_t b, size_t bl, size_t mr,
                              size_t r, uint8_t z, uint8_t *u) {
  const size_t g_len = qi_qu8_gemm_qb4w_group(bl), half = g_len / 2;
  const size_t k0 = b * bl, k1 = k0 + bl < src->k ? k0 + bl : src->k;
  int64_t sum = 0;
  for (size_t j = k0; j < k1; j++) {
    const uint8_t nib = qi_qb4w_offset(qi_qb4w_q(src, row, j), src->w_signed);
    sum += (int32_t)nib - (int32_t)z;
    const size_t kk = j - k0, i = kk % g_len;
    uint8_t *byte = u + kk / g_len * (mr * half) + r * half + i % half;
    *byte |= (uint8_t)(i < half ? nib : nib << 4);
  }
  return sum;
}

void qi_qu8_gemm_qb4w_pack_w(const qi_qu8_gemm_qb4w_config *cfg, const qi_qb4w_source *src, size_t bl,
                             const float *scale, const float *bias_f, const int32_t *bias_q, int32_t x_zero_point,
                             void *packed) {
  const size_t mr = cfg->mr, m = src->m, k = src->k;
  assert(m >= 1 && k >= 1 && k <= QI_QU8_GEMM_MAX_K && src->block >= 1 && src->w && scale && packed);
  const bool per_channel = src->block >= k && bl == qi_qu8_gemm_qb4w_channel_block(k);
  assert(per_channel || bl == src->block);
  assert(bl % 16 == 0 && bl % cfg->kr == 0);
  assert(x_zero_point >= -128 && x_zero_point <= 255);
  assert(src->zero_point || (src->w_signed ? src->zero_point_default >= -8 && src->zero_point_default <= 7
                                           : src->zero_point_default >= 0 && src->zero_point_default <= 15));
  (void)per_channel;
  const size_t nb = (k + bl - 1) / bl, panel = qi_qu8_gemm_qb4w_panel_bytes(mr, k, bl);
  uint8_t *dst = packed;
  for (size_t p0 = 0; p0 < m; p0 += mr, dst += panel) {
    memset(dst, 0, panel); /* rows past m, padding bytes, nibbles past k */
    float *pbias = (float *)(void *)dst;
    for (size_t r = 0; r < mr && p0 + r < m; r++) {
      const size_t row = p0 + r;
      pbias[r] = bias_f ? bias_f[row] : 0.0f;
      for (size_t b = 0; b < nb; b++) {
        const block_dst d = block_at(dst, mr, bl, b);
        const size_t src_b = b * bl / src->block; /* per-channel: 0; block-wise: b */
        const uint8_t z = qi_qb4w_offset(qi_qb4w_zp(src, row, src_b), src->w_signed);
        const int64_t sum = pack_row_block(src, row, b, bl, mr, r, z, d.u);
        /* int32 wrapping arithmetic, as the kernels accumulate */
        const uint32_t zc = (uint32_t)(b == 0 && bias_q ? bias_q[row] : 0) - (uint32_t)((int64_t)x_zero_point * sum);
        d.zc[r] = (int32_t)zc;
        d.scale[r] = scale[row * nb + b];
        d.z[r] = z;
      }
    }
  }
}
