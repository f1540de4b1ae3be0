#include <string.h>

#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"

/* Layout: see f32-gemm-qb4w.h. Portable code shared by every ISA (packing runs once, at prepare time). */

static void put_f32(uint8_t *p, float v) { memcpy(p, &v, sizeof v); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof v); }

/* Panels of p channels of src, blocks of bl. */
static void pack_panels(const qi_qb4w_source *src, size_t p, size_t bl, const float *bias, uint8_t *out) {
  assert(src != NULL && src->w != NULL && src->scale != NULL && out != NULL);
  assert(src->m >= 1 && src->k >= 1 && src->block >= 1 && p >= 1);
  assert(bl % 16 == 0 && (bl == src->block || (src->block >= src->k && bl >= src->k)));
  const size_t m = src->m, k = src->k, nb = (k + bl - 1) / bl, groups = bl / QI_F32_QB4W_GROUP;
  const size_t src_block = bl == src->block ? bl : src->k; /* per-channel: every k is in source block 0 */
  for (size_t c0 = 0; c0 < m; c0 += p) {
    const size_t chans = m - c0 < p ? m - c0 : p;
    for (size_t c = 0; c < p; c++) put_f32(out + c * sizeof(float), bias && c < chans ? bias[c0 + c] : 0.0f);
    out += p * sizeof(float);
    for (size_t b = 0; b < nb; b++) {
      const size_t sb = b * bl / src_block; /* the source block of this packed block */
      for (size_t c = 0; c < p; c++) {
        float s = 0.0f, zs = 0.0f;
        if (c < chans) {
          s = qi_qb4w_scale(src, c0 + c, sb);
          const int32_t z = qi_qb4w_zp(src, c0 + c, sb) + (src->w_signed ? 8 : 0);
          zs = -((float)z * s);
        }
        put_f32(out + c * sizeof(float), s);
        put_f32(out + (p + c) * sizeof(float), zs);
      }
      uint8_t *words = out + 2 * p * sizeof(float);
      for (size_t g = 0; g < groups; g++)
        for (size_t c = 0; c < p; c++) {
          uint32_t word = 0;
          for (size_t i = 0; i < QI_F32_QB4W_GROUP && c < chans; i++) {
            const size_t j = b * bl + g * QI_F32_QB4W_GROUP + i;
            if (j < k) word |= (uint32_t)qi_qb4w_offset(qi_qb4w_q(src, c0 + c, j), src->w_signed) << (4 * i);
          }
          put_u32(words + (g * p + c) * sizeof(uint32_t), word);
        }
      out += qi_f32_gemm_qb4w_block_bytes(p, bl);
    }
  }
}

void qi_f32_gemm_qb4w_pack_w(const qi_f32_gemm_qb4w_config *cfg, const qi_qb4w_source *src, size_t bl,
                             const float *bias, void *packed) {
  pack_panels(src, cfg->mr, bl, bias, packed);
}
void qi_f32_gemm_qb4w_pack_xw(const qi_f32_gemm_qb4w_config *cfg, const qi_qb4w_source *src, size_t bl,
                              const float *bias, void *packed) {
  pack_panels(src, cfg->xw_nr, bl, bias, packed);
}

size_t qi_f32_gemm_qb4w_w_panel_stride(const qi_f32_gemm_qb4w_config *cfg, size_t k, size_t bl) {
  return qi_f32_gemm_qb4w_panel_bytes(cfg->mr, k, bl);
}
size_t qi_f32_gemm_qb4w_xw_panel_stride(const qi_f32_gemm_qb4w_config *cfg, size_t k, size_t bl) {
  return qi_f32_gemm_qb4w_panel_bytes(cfg->xw_nr, k, bl);
}
size_t qi_f32_gemm_qb4w_packed_w_size(const qi_f32_gemm_qb4w_config *cfg, size_t m, size_t k, size_t bl) {
  return (m + cfg->mr - 1) / cfg->mr * qi_f32_gemm_qb4w_w_panel_stride(cfg, k, bl);
}
size_t qi_f32_gemm_qb4w_packed_xw_size(const qi_f32_gemm_qb4w_config *cfg, size_t m, size_t k, size_t bl) {
  return (m + cfg->xw_nr - 1) / cfg->xw_nr * qi_f32_gemm_qb4w_xw_panel_stride(cfg, k, bl);
}
