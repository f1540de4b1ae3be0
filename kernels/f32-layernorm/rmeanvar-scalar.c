#include <assert.h>

#include "kernels/f32-layernorm/layernorm.h"

/* Four partial sums: shorter addition chains (less rounding drift on long rows) and independent adds. */
void qi_f32_rmeanvar_ukernel__scalar(size_t n, const float *x, float *mean, float *var) {
  assert(n > 0 && x != NULL && mean != NULL && var != NULL);
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < n; i++) s0 += x[i];
  const float m = ((s0 + s1) + (s2 + s3)) / (float)n;
  float q0 = 0.0f, q1 = 0.0f, q2 = 0.0f, q3 = 0.0f;
  for (i = 0; i + 4 <= n; i += 4) {
    const float d0 = x[i] - m, d1 = x[i + 1] - m, d2 = x[i + 2] - m, d3 = x[i + 3] - m;
    q0 += d0 * d0;
    q1 += d1 * d1;
    q2 += d2 * d2;
    q3 += d3 * d3;
  }
  for (; i < n; i++) {
    const float d = x[i] - m;
    q0 += d * d;
  }
  *mean = m;
  *var = ((q0 + q1) + (q2 + q3)) / (float)n;
}
