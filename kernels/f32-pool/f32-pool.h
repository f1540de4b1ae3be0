/* FP32 pooling over CHW planes (one plane per call) and global pooling over rows.
 *
 * Max pooling: the largest input under the window, padding taps ignored.
 * Average pooling (ONNX / ONNX Runtime semantics): sum of the in-bounds taps divided by
 *   - count_include_pad == false: the number of in-bounds taps;
 *   - count_include_pad == true:  the number of taps inside the padded input, i.e. the window clipped to
 *     [-pad_top, in_h + pad_bottom) x [-pad_left, in_w + pad_right) (ceil_mode windows may overhang it);
 *   a window with no in-bounds tap gives 0.
 * Lp pooling: (sum of |x|^p over the in-bounds taps)^(1/p); padding contributes 0.
 *
 * The 2-D kernels (1-D maps to a plane of height 1) are the fast path; the _nd kernels take any spatial rank.
 * MaxPool's optional indices (int64): index_base + the offset of the chosen input element in the plane,
 * row-major or, with column_major, column-major (ONNX storage_order 1); ties keep the first tap in row-major
 * window order; -1 for a window without an in-bounds tap. */
#ifndef QI_F32_POOL_H
#define QI_F32_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"
#include "kernels/ukernel.h"

#define QI_F32_MAXPOOL2D_UKERNEL_DECL(fn) void fn(const qi_window2d *g, const float *input, float *output)
#define QI_F32_AVGPOOL2D_UKERNEL_DECL(fn) \
  void fn(const qi_window2d *g, bool count_include_pad, const float *input, float *output)
#define QI_F32_MAXPOOL_ND_UKERNEL_DECL(fn)                                                                      \
  void fn(const qi_windownd *g, const float *input, float *output, int64_t *indices, int64_t index_base,        \
          bool column_major)
#define QI_F32_AVGPOOL_ND_UKERNEL_DECL(fn) \
  void fn(const qi_windownd *g, bool count_include_pad, const float *input, float *output)
#define QI_F32_LPPOOL_ND_UKERNEL_DECL(fn) void fn(const qi_windownd *g, float p, const float *input, float *output)
/* output[r] = mean (or max) of input[r * length .. r * length + length), for rows r < rows.
 * The mean is summed in one order on every path, so its bits do not depend on the ISA (a GlobalAveragePool left
 * in float between quantized tensors then keeps an INT8 model's outputs identical on every path): element i
 * into partial sum i % 16 (from 0), then s[l] += s[l + 8], s[l] += s[l + 4], s[l] += s[l + 2], s[0] + s[1], times
 * 1 / length rounded. Likewise the 2-D average: the taps in row-major window order from 0, divided by the count. */
#define QI_F32_GAVGPOOL_LANES 16
#define QI_F32_GPOOL_UKERNEL_DECL(fn) void fn(size_t rows, size_t length, const float *input, float *output)
typedef QI_F32_MAXPOOL2D_UKERNEL_DECL((*qi_f32_maxpool2d_ukernel_fn));
typedef QI_F32_AVGPOOL2D_UKERNEL_DECL((*qi_f32_avgpool2d_ukernel_fn));
typedef QI_F32_MAXPOOL_ND_UKERNEL_DECL((*qi_f32_maxpool_nd_ukernel_fn));
typedef QI_F32_AVGPOOL_ND_UKERNEL_DECL((*qi_f32_avgpool_nd_ukernel_fn));
typedef QI_F32_LPPOOL_ND_UKERNEL_DECL((*qi_f32_lppool_nd_ukernel_fn));
typedef QI_F32_GPOOL_UKERNEL_DECL((*qi_f32_gpool_ukernel_fn));

QI_F32_MAXPOOL2D_UKERNEL_DECL(qi_f32_maxpool2d_chw_ukernel__scalar);
QI_F32_AVGPOOL2D_UKERNEL_DECL(qi_f32_avgpool2d_chw_ukernel__scalar);
QI_F32_MAXPOOL_ND_UKERNEL_DECL(qi_f32_maxpool_ukernel_nd__scalar);
QI_F32_AVGPOOL_ND_UKERNEL_DECL(qi_f32_avgpool_ukernel_nd__scalar);
QI_F32_LPPOOL_ND_UKERNEL_DECL(qi_f32_lppool_ukernel_nd__scalar);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gavgpool_ukernel__scalar);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gmaxpool_ukernel__scalar);
/* SIMD kernels (AVX2, AVX-512, NEON: one template, pool-simd.h) for the 2-D and global pooling; the N-d ones
 * are scalar. */
QI_F32_MAXPOOL2D_UKERNEL_DECL(qi_f32_maxpool2d_chw_ukernel__avx2);
QI_F32_AVGPOOL2D_UKERNEL_DECL(qi_f32_avgpool2d_chw_ukernel__avx2);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gavgpool_ukernel__avx2);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gmaxpool_ukernel__avx2);
QI_F32_MAXPOOL2D_UKERNEL_DECL(qi_f32_maxpool2d_chw_ukernel__avx512f);
QI_F32_AVGPOOL2D_UKERNEL_DECL(qi_f32_avgpool2d_chw_ukernel__avx512f);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gavgpool_ukernel__avx512f);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gmaxpool_ukernel__avx512f);
QI_F32_MAXPOOL2D_UKERNEL_DECL(qi_f32_maxpool2d_chw_ukernel__neon);
QI_F32_AVGPOOL2D_UKERNEL_DECL(qi_f32_avgpool2d_chw_ukernel__neon);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gavgpool_ukernel__neon);
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gmaxpool_ukernel__neon);

typedef struct qi_f32_pool_config {
  qi_f32_maxpool2d_ukernel_fn maxpool2d;
  const char *name_maxpool2d;
  qi_f32_avgpool2d_ukernel_fn avgpool2d;
  const char *name_avgpool2d;
  qi_f32_maxpool_nd_ukernel_fn maxpool_nd;
  const char *name_maxpool_nd;
  qi_f32_avgpool_nd_ukernel_fn avgpool_nd;
  const char *name_avgpool_nd;
  qi_f32_lppool_nd_ukernel_fn lppool_nd;
  const char *name_lppool_nd;
  qi_f32_gpool_ukernel_fn gavgpool;
  const char *name_gavgpool;
  qi_f32_gpool_ukernel_fn gmaxpool;
  const char *name_gmaxpool;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_pool_config;
QI_KERNEL_PAIR(qi_f32_pool_config, maxpool2d, name_maxpool2d);
QI_KERNEL_PAIR(qi_f32_pool_config, avgpool2d, name_avgpool2d);
QI_KERNEL_PAIR(qi_f32_pool_config, maxpool_nd, name_maxpool_nd);
QI_KERNEL_PAIR(qi_f32_pool_config, avgpool_nd, name_avgpool_nd);
QI_KERNEL_PAIR(qi_f32_pool_config, lppool_nd, name_lppool_nd);
QI_KERNEL_PAIR(qi_f32_pool_config, gavgpool, name_gavgpool);
QI_KERNEL_PAIR(qi_f32_pool_config, gmaxpool, name_gmaxpool);

/* Never NULL; paths without kernels of their own fall back along their family. */
const qi_f32_pool_config *qi_f32_pool_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_pool_config *const *qi_f32_pool_config_list(size_t *count);

#endif /* QI_F32_POOL_H */
