/* Mean / variance and layer normalization over a row, written once on the width-generic vectors of
 * kernels/f32-vunary/simd-*.h (layernorm-avx2.c, layernorm-avx512f.c): the two passes of the scalar kernel
 * (the sum, then the squared deviations from the mean by FMA, the masked tail lanes zeroed), each in two vector
 * accumulators, then y = ((x - mean) * r) * scale + bias in one pass, r = 1 / sqrt(var + eps). y may equal x. */
#ifndef QI_F32_LAYERNORM_SIMD_H
#define QI_F32_LAYERNORM_SIMD_H

#include <assert.h>
#include <math.h>

#include "kernels/f32-layernorm/layernorm.h"

void QV_UKERNEL(rmeanvar)(size_t n, const float *x, float *mean, float *var) {
  assert(n > 0 && x != NULL && mean != NULL && var != NULL);
  qv s0 = qv_zero(), s1 = qv_zero();
  size_t i = 0;
  for (; i + 2 * QV_N <= n; i += 2 * QV_N) s0 = qv_add(s0, qv_load(x + i)), s1 = qv_add(s1, qv_load(x + i + QV_N));
  if (i + QV_N <= n) s0 = qv_add(s0, qv_load(x + i)), i += QV_N;
  const qt t = qt_make(n - i); /* used only when n - i > 0 */
  if (i < n) s1 = qv_add(s1, qv_load_tail(x + i, t));
  const float m = qv_hsum(qv_add(s0, s1)) / (float)n;
  const qv vm = qv_set1(m);
  qv q0 = qv_zero(), q1 = qv_zero();
  for (i = 0; i + 2 * QV_N <= n; i += 2 * QV_N) {
    const qv d0 = qv_sub(qv_load(x + i), vm), d1 = qv_sub(qv_load(x + i + QV_N), vm);
    q0 = qv_fma(d0, d0, q0), q1 = qv_fma(d1, d1, q1);
  }
  if (i + QV_N <= n) {
    const qv d = qv_sub(qv_load(x + i), vm);
    q0 = qv_fma(d, d, q0), i += QV_N;
  }
  if (i < n) {
    const qv d = qv_tail_zero(qv_sub(qv_load_tail(x + i, t), vm), t);
    q1 = qv_fma(d, d, q1);
  }
  *mean = m;
  *var = qv_hsum(qv_add(q0, q1)) / (float)n;
}

void QV_UKERNEL(layernorm)(size_t n, const float *x, const float *scale, const float *bias, float eps, float *y,
                           float *mean, float *inv_std) {
  assert(n > 0 && x != NULL && scale != NULL && y != NULL && mean != NULL && inv_std != NULL);
  float m, var;
  QV_UKERNEL(rmeanvar)(n, x, &m, &var);
  const float r = 1.0f / sqrtf(var + eps);
  const qv vm = qv_set1(m), vr = qv_set1(r);
  size_t i = 0;
  for (; i + QV_N <= n; i += QV_N) {
    const qv d = qv_mul(qv_sub(qv_load(x + i), vm), vr);
    qv_store(y + i, bias ? qv_fma(d, qv_load(scale + i), qv_load(bias + i)) : qv_mul(d, qv_load(scale + i)));
  }
  if (i < n) {
    const qt t = qt_make(n - i);
    const qv d = qv_mul(qv_sub(qv_load_tail(x + i, t), vm), vr);
    const qv s = qv_load_tail(scale + i, t);
    qv_store_tail(y + i, bias ? qv_fma(d, s, qv_load_tail(bias + i, t)) : qv_mul(d, s), t);
  }
  *mean = m;
  *inv_std = r;
}

#endif /* QI_F32_LAYERNORM_SIMD_H */
