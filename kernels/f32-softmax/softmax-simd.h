/* Softmax and log-softmax over a row, written once on the width-generic vectors of kernels/f32-vunary/simd-*.h
 * (softmax-avx2.c, softmax-avx512f.c): the row max (maxps lane by lane, x > m ? x : m as the scalar kernel),
 * then exp(x - max) by the vector exp of vmath-simd.h (stored, and summed in two accumulators, the masked tail
 * lanes zeroed), then one multiply by 1 / sum; log-softmax subtracts max + log(sum) instead. y may equal x. */
#ifndef QI_F32_SOFTMAX_SIMD_H
#define QI_F32_SOFTMAX_SIMD_H

#include <assert.h>
#include <math.h>

#include "kernels/f32-softmax/softmax.h"
#include "kernels/f32-vec/vmath-simd.h"

static inline float row_max(size_t n, const float *x) {
  const qv lowest = qv_set1(-__builtin_inff());
  qv m = lowest;
  for (; n >= QV_N; n -= QV_N, x += QV_N) m = qv_max(qv_load(x), m);
  if (n) m = qv_max(qv_load_tail_fill(x, qt_make(n), lowest), m);
  float lanes[QV_N], r = -__builtin_inff();
  qv_store(lanes, m);
  for (int i = 0; i < QV_N; i++) r = lanes[i] > r ? lanes[i] : r;
  return r;
}

/* sum of exp(x - m), the exps stored into y when y is not NULL */
static inline float row_sumexp(size_t n, const float *x, float m, float *y) {
  const qv vm = qv_set1(m);
  qv a0 = qv_zero(), a1 = qv_zero();
  for (; n >= 2 * QV_N; n -= 2 * QV_N, x += 2 * QV_N) {
    const qv e0 = qv_exp(qv_sub(qv_load(x), vm)), e1 = qv_exp(qv_sub(qv_load(x + QV_N), vm));
    if (y) qv_store(y, e0), qv_store(y + QV_N, e1), y += 2 * QV_N;
    a0 = qv_add(a0, e0), a1 = qv_add(a1, e1);
  }
  if (n >= QV_N) {
    const qv e = qv_exp(qv_sub(qv_load(x), vm));
    if (y) qv_store(y, e), y += QV_N;
    a0 = qv_add(a0, e), n -= QV_N, x += QV_N;
  }
  if (n) {
    const qt t = qt_make(n);
    const qv e = qv_tail_zero(qv_exp(qv_sub(qv_load_tail(x, t), vm)), t);
    if (y) qv_store_tail(y, e, t);
    a1 = qv_add(a1, e);
  }
  return qv_hsum(qv_add(a0, a1));
}

void QV_UKERNEL(softmax)(size_t n, const float *x, float *y) {
  assert(n > 0 && x != NULL && y != NULL);
  const float sum = row_sumexp(n, x, row_max(n, x), y);
  const qv scale = qv_set1(1.0f / sum);
  for (; n >= QV_N; n -= QV_N, y += QV_N) qv_store(y, qv_mul(qv_load(y), scale));
  if (n) {
    const qt t = qt_make(n);
    qv_store_tail(y, qv_mul(qv_load_tail(y, t), scale), t);
  }
}

void QV_UKERNEL(logsoftmax)(size_t n, const float *x, float *y) {
  assert(n > 0 && x != NULL && y != NULL);
  const float m = row_max(n, x);
  const qv shift = qv_set1(m + logf(row_sumexp(n, x, m, NULL)));
  for (; n >= QV_N; n -= QV_N, x += QV_N, y += QV_N) qv_store(y, qv_sub(qv_load(x), shift));
  if (n) {
    const qt t = qt_make(n);
    qv_store_tail(y, qv_sub(qv_load_tail(x, t), shift), t);
  }
}

#endif /* QI_F32_SOFTMAX_SIMD_H */
