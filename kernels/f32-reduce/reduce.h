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

#include "kernels/ukernel.h"

typedef enum qi_reduce_kind {
  QI_REDUCE_SUM,
  QI_REDUCE_SUMSQ,
  QI_REDUCE_SUMABS,
  QI_REDUCE_MAX,
  QI_REDUCE_MIN,
  QI_REDUCE_PROD,
  QI_REDUCE_KIND_COUNT
} qi_reduce_kind;

#define QI_F32_RREDUCE_UKERNEL_DECL(fn) void fn(size_t n, const float *x, float *y)
#define QI_F32_RDREDUCE_UKERNEL_DECL(fn) \
  void fn(size_t rows, size_t channels, const float *x, size_t x_stride, float *y)
#define QI_F32_RSUMEXP_UKERNEL_DECL(fn) void fn(size_t n, const float *x, const float *m, float *y)
#define QI_F32_RDSUMEXP_UKERNEL_DECL(fn) \
  void fn(size_t rows, size_t channels, const float *x, size_t x_stride, const float *m, float *y)
typedef QI_F32_RREDUCE_UKERNEL_DECL((*qi_f32_rreduce_ukernel_fn));
typedef QI_F32_RDREDUCE_UKERNEL_DECL((*qi_f32_rdreduce_ukernel_fn));
typedef QI_F32_RSUMEXP_UKERNEL_DECL((*qi_f32_rsumexp_ukernel_fn));
typedef QI_F32_RDSUMEXP_UKERNEL_DECL((*qi_f32_rdsumexp_ukernel_fn));

QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rsum_ukernel__scalar);
QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdsum_ukernel__scalar);
QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rsumsq_ukernel__scalar);
QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdsumsq_ukernel__scalar);
QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rsumabs_ukernel__scalar);
QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdsumabs_ukernel__scalar);
QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rmax_ukernel__scalar);
QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdmax_ukernel__scalar);
QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rmin_ukernel__scalar);
QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdmin_ukernel__scalar);
QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rprod_ukernel__scalar);
QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdprod_ukernel__scalar);
QI_F32_RSUMEXP_UKERNEL_DECL(qi_f32_rsumexp_ukernel__scalar);
QI_F32_RDSUMEXP_UKERNEL_DECL(qi_f32_rdsumexp_ukernel__scalar);

#define QI_F32_REDUCE_DECL_ISA(isa)                                                                             \
  QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rsum_ukernel__##isa);                                                     \
  QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdsum_ukernel__##isa);                                                   \
  QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rsumsq_ukernel__##isa);                                                   \
  QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdsumsq_ukernel__##isa);                                                 \
  QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rsumabs_ukernel__##isa);                                                  \
  QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdsumabs_ukernel__##isa);                                                \
  QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rmax_ukernel__##isa);                                                     \
  QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdmax_ukernel__##isa);                                                   \
  QI_F32_RREDUCE_UKERNEL_DECL(qi_f32_rmin_ukernel__##isa);                                                     \
  QI_F32_RDREDUCE_UKERNEL_DECL(qi_f32_rdmin_ukernel__##isa);                                                   \
  QI_F32_RSUMEXP_UKERNEL_DECL(qi_f32_rsumexp_ukernel__##isa);                                                  \
  QI_F32_RDSUMEXP_UKERNEL_DECL(qi_f32_rdsumexp_ukernel__##isa);
/* SIMD kernels of every kind but the product (reduce-simd.h) */
QI_F32_REDUCE_DECL_ISA(avx2)
QI_F32_REDUCE_DECL_ISA(avx512f)
QI_F32_REDUCE_DECL_ISA(neon)

/* A kernel and its name, both filled by QI_KERNEL(fn): the elements of the per-kind arrays below. */
typedef struct qi_f32_rreduce_kernel {
  qi_f32_rreduce_ukernel_fn ukernel;
  const char *name;
} qi_f32_rreduce_kernel;
typedef struct qi_f32_rdreduce_kernel {
  qi_f32_rdreduce_ukernel_fn ukernel;
  const char *name;
} qi_f32_rdreduce_kernel;
QI_KERNEL_PAIR(qi_f32_rreduce_kernel, ukernel, name);
QI_KERNEL_PAIR(qi_f32_rdreduce_kernel, ukernel, name);

/* Every reduction of one path: callers take several kinds from one config (Softmax: max, then sumexp). A path
 * with kernels of its own for some kinds only fills the others with the scalar ones. */
typedef struct qi_f32_reduce_config {
  qi_f32_rreduce_kernel r[QI_REDUCE_KIND_COUNT];   /* contiguous row, indexed by qi_reduce_kind */
  qi_f32_rdreduce_kernel rd[QI_REDUCE_KIND_COUNT]; /* rows apart, indexed by qi_reduce_kind */
  qi_f32_rsumexp_ukernel_fn rsumexp;
  const char *name_rsumexp;
  qi_f32_rdsumexp_ukernel_fn rdsumexp;
  const char *name_rdsumexp;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_reduce_config;
QI_KERNEL_PAIR(qi_f32_reduce_config, rsumexp, name_rsumexp);
QI_KERNEL_PAIR(qi_f32_reduce_config, rdsumexp, name_rdsumexp);

/* Never NULL; paths without kernels of their own fall back (AVX-VNNI to AVX2). */
const qi_f32_reduce_config *qi_f32_reduce_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_reduce_config *const *qi_f32_reduce_config_list(size_t *count);

#endif /* QI_F32_REDUCE_H */
