#include <assert.h>

#include "kernels/f32-pool/f32-pool.h"

void qi_f32_gavgpool_ukernel__scalar(size_t rows, size_t length, const float *input, float *output) {
  assert(length >= 1 && input && output);
  const float scale = 1.0f / (float)length;
  for (size_t r = 0; r < rows; r++, input += length) {
    /* four partial sums: shorter dependency chains, and closer to a pairwise sum than one running total */
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t i = 0;
    for (; i + 4 <= length; i += 4) {
      s0 += input[i];
      s1 += input[i + 1];
      s2 += input[i + 2];
      s3 += input[i + 3];
    }
    for (; i < length; i++) s0 += input[i];
    output[r] = ((s0 + s1) + (s2 + s3)) * scale;
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
