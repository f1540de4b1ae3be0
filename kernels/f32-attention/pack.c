#include <string.h>

#include "kernels/f32-attention/attention.h"

void qi_f32_attention_pack_k(size_t kv_len, size_t head_size, const float *k, size_t k_row, size_t k_col, size_t ldk,
                             float *kt) {
  for (size_t d = 0; d < head_size; d++) {
    float *row = kt + d * ldk;
    for (size_t j = 0; j < kv_len; j++) row[j] = k[j * k_row + d * k_col];
    memset(row + kv_len, 0, (ldk - kv_len) * sizeof(float));
  }
}
