#include <string.h>

#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

/* Layout: see qd8-f32-qb4w-gemm.h. Portable code shared by every ISA (packing runs once, at prepare time). */

static void put_f32(uint8_t *p, float v) { memcpy(p, &v, sizeof v); }
static void put_s32(uint8_t *p, int32_t v) { memcpy(p, &v, sizeof v); }

size_t qi_qd8_f32_qb4w_gemm_packed_size(const qi_qd8_f32_qb4w_gemm_config *cfg, size_t n, size_t k, size_t bl) {
  return (n + cfg->nr - 1) / cfg->nr * qi_qd8_f32_qb4w_panel_bytes(cfg->nr, k, bl);
}

void qi_qd8_f32_qb4w_gemm_pack(const qi_qd8_f32_qb4w_gemm_config *cfg, const qi_qb4w_source *src, size_t bl,
                               const float *bias, void *packed) {
  assert(cfg != NULL && src != NULL && src->w != NULL && src->scale != NULL && packed != NULL);
  assert(src->m >= 1 && src->k >= 1 && bl % QI_QD8_QB4W_GROUP == 0);
  assert(bl == src->block || (src->block >= src->k && bl >= src->k));
  const size_t p = cfg->nr, n = src->m, k = src->k, nb = (k + bl - 1) / bl;
  const size_t src_block = bl == src->block ? bl : src->k; /* per column: every k is in source block 0 */
  uint8_t *out = packed;
  for (size_t c0 = 0; c0 < n; c0 += p) {
    const size_t cols = n - c0 < p ? n - c0 : p;
    for (size_t c = 0; c < p; c++) put_f32(out + c * sizeof(float), bias && c < cols ? bias[c0 + c] : 0.0f);
    out += p * sizeof(float);
    for (size_t b = 0; b < nb; b++) {
      const size_t sb = b * bl / src_block;
      for (size_t c = 0; c < p; c++) {
        const bool real = c < cols;
        put_f32(out + c * sizeof(float), real ? qi_qb4w_scale(src, c0 + c, sb) : 0.0f);
        put_s32(out + (p + c) * sizeof(float), real ? qi_qb4w_zp(src, c0 + c, sb) + (src->w_signed ? 8 : 0) : 0);
      }
      uint8_t *u = out + 2 * p * sizeof(float);
      memset(u, 0, bl / 2 * p);
      for (size_t g = 0; g < bl / QI_QD8_QB4W_GROUP; g++)
        for (size_t c = 0; c < cols; c++)
          for (size_t i = 0; i < QI_QD8_QB4W_GROUP; i++) {
            const size_t j = b * bl + g * QI_QD8_QB4W_GROUP + i;
            if (j >= k) continue;
            const uint8_t nib = qi_qb4w_offset(qi_qb4w_q(src, c0 + c, j), src->w_signed);
            u[(g * p + c) * 4 + i % 4] |= (uint8_t)(nib << (i / 4 * 4));
          }
      out += qi_qd8_f32_qb4w_block_bytes(p, bl);
    }
  }
}
