/* FP32 reductions.
 *
 *   qi_f32_r<kind>_ukernel__<isa>(n, x, y):  *y = acc(*y, f(x[0..n)))          (contiguous row)
 *   qi_f32_rd<kind>_ukernel__<isa>(rows, channels, x, x_stride, y):
 *       y[c] = acc(y[c], f(x[r * x_stride + c])) for r < rows, c < channels  (rows apart in memory)
 * Both accumulate into y, so a reduction split into several calls chains; the caller initializes y with the
 * identity of acc (0, 1, -inf or +inf). f is the identity, x*x or |x|. For sumexp f is exp(x - m) with m[0]
 * (row kernel) or m[c] (rd kernel) the offset the caller chose, usually the max.
 */
#ifndef QI_F32_REDUCE_H
#define QI_F32_REDUCE_H

#include <stddef.h>

#include "kernels/isa.h"

typedef enum qi_reduce_kind {
  QI_REDUCE_SUM,
  QI_REDUCE_SUMSQ,
  QI_REDUCE_SUMABS,
  QI_REDUCE_MAX,
  QI_REDUCE_MIN,
  QI_REDUCE_PROD,
  QI_REDUCE_KIND_COUNT
} qi_reduce_kind;

typedef void (*qi_f32_rreduce_ukernel_fn)(size_t n, const float *x, float *y);
typedef void (*qi_f32_rdreduce_ukernel_fn)(size_t rows, size_t channels, const float *x, size_t x_stride,
                                           float *y);

#define QI_F32_RREDUCE_DECL(kind)                                                                  \
  void qi_f32_r##kind##_ukernel__scalar(size_t n, const float *x, float *y);                       \
  void qi_f32_rd##kind##_ukernel__scalar(size_t rows, size_t channels, const float *x, size_t x_stride, \
                                         float *y);
QI_F32_RREDUCE_DECL(sum)
QI_F32_RREDUCE_DECL(sumsq)
QI_F32_RREDUCE_DECL(sumabs)
QI_F32_RREDUCE_DECL(max)
QI_F32_RREDUCE_DECL(min)
QI_F32_RREDUCE_DECL(prod)
#undef QI_F32_RREDUCE_DECL

void qi_f32_rsumexp_ukernel__scalar(size_t n, const float *x, const float *m, float *y);
void qi_f32_rdsumexp_ukernel__scalar(size_t rows, size_t channels, const float *x, size_t x_stride,
                                     const float *m, float *y);

typedef struct qi_f32_reduce_config {
  qi_f32_rreduce_ukernel_fn r[QI_REDUCE_KIND_COUNT];
  qi_f32_rdreduce_ukernel_fn rd[QI_REDUCE_KIND_COUNT];
  void (*rsumexp)(size_t n, const float *x, const float *m, float *y);
  void (*rdsumexp)(size_t rows, size_t channels, const float *x, size_t x_stride, const float *m, float *y);
} qi_f32_reduce_config;

const qi_f32_reduce_config *qi_f32_reduce_config_get(qi_isa isa);

#endif /* QI_F32_REDUCE_H */
