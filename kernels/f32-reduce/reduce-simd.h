/* The SIMD reductions, written once on the width-generic vectors of kernels/f32-vunary/simd-*.h (reduce-avx2.c,
 * reduce-avx512f.c include it after theirs): row kernels with two vector accumulators and a masked tail,
 * summed across lanes at the end (any summation order: the tester's bound covers it); rd kernels QV_N channels
 * at a time down the rows, the last channels masked. max / min keep the scalar rule lane by lane (x replaces the
 * accumulator when it is greater or NaN, so a NaN sticks), then across lanes. Products stay scalar. */
#ifndef QI_F32_REDUCE_SIMD_H
#define QI_F32_REDUCE_SIMD_H

#include <assert.h>

#include "kernels/f32-reduce/reduce.h"
#include "kernels/f32-vec/vmath-simd.h"

static inline qv f_id(qv v) { return v; }
static inline qv f_sq(qv v) { return qv_mul(v, v); }
static inline qv f_abs(qv v) { return qv_abs(v); }
static inline qv acc_add(qv acc, qv v) { return qv_add(acc, v); }
static inline qv acc_max(qv acc, qv v) { return qv_blend(qm_or(qm_gt(v, acc), qm_isnan(v)), acc, v); }
static inline qv acc_min(qv acc, qv v) { return qv_blend(qm_or(qm_lt(v, acc), qm_isnan(v)), acc, v); }
static inline float fold_max(float acc, float v) { return v > acc || v != v ? v : acc; }
static inline float fold_min(float acc, float v) { return v < acc || v != v ? v : acc; }

/* Sums of f(x): the masked tail lanes load 0 and f(0) = 0. */
#define QV_RSUM(name, f)                                                               \
  void QV_UKERNEL(name)(size_t n, const float *x, float *y) {                          \
    assert(x != NULL && y != NULL);                                                    \
    qv a0 = qv_zero(), a1 = qv_zero();                                                 \
    for (; n >= 2 * QV_N; n -= 2 * QV_N, x += 2 * QV_N) {                              \
      a0 = qv_add(a0, f(qv_load(x)));                                                  \
      a1 = qv_add(a1, f(qv_load(x + QV_N)));                                           \
    }                                                                                  \
    if (n >= QV_N) a0 = qv_add(a0, f(qv_load(x))), n -= QV_N, x += QV_N;               \
    if (n) a1 = qv_add(a1, f(qv_load_tail(x, qt_make(n))));                            \
    *y += qv_hsum(qv_add(a0, a1));                                                     \
  }

/* max / min: the tail lanes hold the identity; the lanes folded with the scalar rule. */
#define QV_RMINMAX(name, acc_fn, fold, identity)                                       \
  void QV_UKERNEL(name)(size_t n, const float *x, float *y) {                          \
    assert(x != NULL && y != NULL);                                                    \
    const qv id = qv_set1(identity);                                                   \
    qv a0 = id, a1 = id;                                                               \
    for (; n >= 2 * QV_N; n -= 2 * QV_N, x += 2 * QV_N) {                              \
      a0 = acc_fn(a0, qv_load(x));                                                     \
      a1 = acc_fn(a1, qv_load(x + QV_N));                                              \
    }                                                                                  \
    if (n >= QV_N) a0 = acc_fn(a0, qv_load(x)), n -= QV_N, x += QV_N;                  \
    if (n) a1 = acc_fn(a1, qv_load_tail_fill(x, qt_make(n), id));                      \
    float lanes[QV_N], m = *y;                                                         \
    qv_store(lanes, acc_fn(a0, a1));                                                   \
    for (int i = 0; i < QV_N; i++) m = fold(m, lanes[i]);                              \
    *y = m;                                                                            \
  }

/* y[c] = acc(y[c], f(x[r][c])) down the rows, QV_N channels at a time. */
#define QV_RD(name, f, acc_fn)                                                                              \
  void QV_UKERNEL(name)(size_t rows, size_t channels, const float *x, size_t x_stride, float *y) {          \
    assert(x != NULL && y != NULL);                                                                         \
    for (; channels >= QV_N; channels -= QV_N, x += QV_N, y += QV_N) {                                      \
      qv acc = qv_load(y);                                                                                  \
      for (size_t r = 0; r < rows; r++) acc = acc_fn(acc, f(qv_load(x + r * x_stride)));                    \
      qv_store(y, acc);                                                                                     \
    }                                                                                                       \
    if (channels) {                                                                                         \
      const qt t = qt_make(channels);                                                                       \
      qv acc = qv_load_tail(y, t);                                                                          \
      for (size_t r = 0; r < rows; r++) acc = acc_fn(acc, f(qv_load_tail(x + r * x_stride, t)));            \
      qv_store_tail(y, acc, t);                                                                             \
    }                                                                                                       \
  }

QV_RSUM(rsum, f_id)
QV_RSUM(rsumsq, f_sq)
QV_RSUM(rsumabs, f_abs)
QV_RMINMAX(rmax, acc_max, fold_max, -__builtin_inff())
QV_RMINMAX(rmin, acc_min, fold_min, __builtin_inff())
QV_RD(rdsum, f_id, acc_add)
QV_RD(rdsumsq, f_sq, acc_add)
QV_RD(rdsumabs, f_abs, acc_add)
QV_RD(rdmax, f_id, acc_max)
QV_RD(rdmin, f_id, acc_min)

/* sum of exp(x - m[0]); the tail lanes zeroed after the exp */
void QV_UKERNEL(rsumexp)(size_t n, const float *x, const float *m, float *y) {
  assert(x != NULL && m != NULL && y != NULL);
  const qv vm = qv_set1(*m);
  qv a0 = qv_zero(), a1 = qv_zero();
  for (; n >= 2 * QV_N; n -= 2 * QV_N, x += 2 * QV_N) {
    a0 = qv_add(a0, qv_exp(qv_sub(qv_load(x), vm)));
    a1 = qv_add(a1, qv_exp(qv_sub(qv_load(x + QV_N), vm)));
  }
  if (n >= QV_N) a0 = qv_add(a0, qv_exp(qv_sub(qv_load(x), vm))), n -= QV_N, x += QV_N;
  if (n) {
    const qt t = qt_make(n);
    a1 = qv_add(a1, qv_tail_zero(qv_exp(qv_sub(qv_load_tail(x, t), vm)), t));
  }
  *y += qv_hsum(qv_add(a0, a1));
}

void QV_UKERNEL(rdsumexp)(size_t rows, size_t channels, const float *x, size_t x_stride, const float *m, float *y) {
  assert(x != NULL && m != NULL && y != NULL);
  for (; channels >= QV_N; channels -= QV_N, x += QV_N, m += QV_N, y += QV_N) {
    const qv vm = qv_load(m);
    qv acc = qv_load(y);
    for (size_t r = 0; r < rows; r++) acc = qv_add(acc, qv_exp(qv_sub(qv_load(x + r * x_stride), vm)));
    qv_store(y, acc);
  }
  if (channels) {
    const qt t = qt_make(channels);
    const qv vm = qv_load_tail(m, t);
    qv acc = qv_load_tail(y, t);
    for (size_t r = 0; r < rows; r++) acc = qv_add(acc, qv_exp(qv_sub(qv_load_tail(x + r * x_stride, t), vm)));
    qv_store_tail(y, acc, t);
  }
}

#endif /* QI_F32_REDUCE_SIMD_H */
