/* One query row at a time: scores, softmax in place (max subtracted), then the row times V scaled by 1 / sum. */
#include <assert.h>
#include <math.h>

#include "kernels/f32-attention/attention.h"

void qi_f32_attention_ukernel_1x1__scalar(const qi_f32_attention_args *a) {
  assert(a->kv_len >= 1 && a->head_size >= 1 && a->v_head_size >= 1 && a->ldk >= a->kv_len);
  float *s = a->work;
  for (size_t i = 0; i < a->rows; i++) {
    const float *q = a->q + i * a->q_row;
    for (size_t j = 0; j < a->kv_len; j++) s[j] = 0.0f;
    for (size_t d = 0; d < a->head_size; d++) {
      const float qd = q[d * a->q_col];
      const float *kt = a->kt + d * a->ldk;
      for (size_t j = 0; j < a->kv_len; j++) s[j] += qd * kt[j];
    }
    float max = -INFINITY;
    for (size_t j = 0; j < a->kv_len; j++) {
      s[j] *= a->scale;
      max = s[j] > max ? s[j] : max;
    }
    float sum = 0.0f;
    for (size_t j = 0; j < a->kv_len; j++) {
      s[j] = expf(s[j] - max);
      sum += s[j];
    }
    float *y = a->y + i * a->y_row;
    for (size_t d = 0; d < a->v_head_size; d++) y[d] = 0.0f;
    for (size_t j = 0; j < a->kv_len; j++) {
      const float *v = a->v + j * a->v_row;
      for (size_t d = 0; d < a->v_head_size; d++) y[d] += s[j] * v[d];
    }
    const float inv = 1.0f / sum;
    for (size_t d = 0; d < a->v_head_size; d++) y[d] *= inv;
  }
}
