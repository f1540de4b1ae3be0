#include <assert.h>

#include "kernels/f32-pool/f32-pool.h"

void qi_f32_gavgpool_ukernel__scalar(size_t rows, size_t length, const float *input, float *output) {
  assert(length >= 1 && input && output);
  const float scale = 1.0f / (float)length;
  for (size_t r = 0; r < rows; r++, input += length) {
    /* the order of f32-pool.h, which the SIMD kernels follow: 16 interleaved partial sums, then the fixed tree */
    float s[QI_F32_GAVGPOOL_LANES] = {0};
    size_t i = 0;
    for (; i + QI_F32_GAVGPOOL_LANES <= length; i += QI_F32_GAVGPOOL_LANES)
      for (size_t l = 0; l < QI_F32_GAVGPOOL_LANES; l++) s[l] += input[i + l]; /* independent sums: vectorizable */
    for (size_t l = 0; i + l < length; l++) s[l] += input[i + l];
    for (size_t half = QI_F32_GAVGPOOL_LANES / 2; half >= 1; half /= 2)
      for (size_t l = 0; l < half; l++) s[l] += s[l + half];
    output[r] = s[0] * scale;
  }
}

void qi_f32_gmaxpool_ukernel__scalar(size_t rows, size_t length, const float *input, float *output) {
  assert(length >= 1 && input && output);
  for (size_t r = 0; r < rows; r++, input += length) {
    float best = input[0];
    for (size_t i = 1; i < length; i++) best = input[i] > best ? input[i] : best;
    output[r] = best;
  }
}
