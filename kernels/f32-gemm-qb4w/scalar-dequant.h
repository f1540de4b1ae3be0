/* The scalar kernels' view of one block of a packed qb4w panel (f32-gemm-qb4w.h): the dequantized weight of
 * channel c at k-offset kk of the block, u * s + zs. */
#ifndef QI_F32_GEMM_QB4W_SCALAR_DEQUANT_H
#define QI_F32_GEMM_QB4W_SCALAR_DEQUANT_H

#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"

typedef struct qb4w_block_view {
  const float *scale, *zs;
  const uint32_t *word;
} qb4w_block_view;

/* Block view at `block`, a block of a P-channel panel (4-byte aligned). */
static inline qb4w_block_view qb4w_block_at(const uint8_t *block, size_t p) {
  const float *scale = (const float *)(const void *)block;
  const qb4w_block_view v = {scale, scale + p, (const uint32_t *)(const void *)(scale + 2 * p)};
  return v;
}

static inline float qb4w_weight(const qb4w_block_view *v, size_t p, size_t c, size_t kk) {
  const uint32_t u = (v->word[kk / QI_F32_QB4W_GROUP * p + c] >> (4 * (kk % QI_F32_QB4W_GROUP))) & 15u;
  return (float)u * v->scale[c] + v->zs[c];
}

static inline float qb4w_clamp(float v, float vmin, float vmax) {
  v = v < vmin ? vmin : v;
  return v > vmax ? vmax : v;
}

#endif /* QI_F32_GEMM_QB4W_SCALAR_DEQUANT_H */
