/* int8_t max pooling over one plane of an N-d window (any spatial rank). The input's quantization parameters
 * pass through unchanged: the max of quantized values is the quantized max. Ties keep the first tap in
 * row-major window order; the optional indices are those of qi_f32_maxpool_ukernel_nd__scalar
 * (kernels/f32-pool/f32-pool.h). A window without an in-bounds tap gives INT8_MIN and index -1.
 *
 * The 2d kernels take a 1-D or 2-D window (g->dims 1 or 2) and no indices, with the same results; the config
 * table picks one per ISA path. */
#ifndef QI_S8_MAXPOOL_H
#define QI_S8_MAXPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/f32-im2col/windownd.h"
#include "kernels/ukernel.h"

#define QI_S8_MAXPOOL_ND_UKERNEL_DECL(fn)                                                                             \
  void fn(const qi_windownd *g, const int8_t *input, int8_t *output, int64_t *indices, int64_t index_base,            \
          bool column_major)
#define QI_S8_MAXPOOL_2D_UKERNEL_DECL(fn) void fn(const qi_windownd *g, const int8_t *input, int8_t *output)
typedef QI_S8_MAXPOOL_ND_UKERNEL_DECL((*qi_s8_maxpool_ukernel_nd_fn));
typedef QI_S8_MAXPOOL_2D_UKERNEL_DECL((*qi_s8_maxpool_ukernel_2d_fn));

QI_S8_MAXPOOL_ND_UKERNEL_DECL(qi_s8_maxpool_ukernel_nd__scalar);
QI_S8_MAXPOOL_2D_UKERNEL_DECL(qi_s8_maxpool_ukernel_2d__scalar);
QI_S8_MAXPOOL_2D_UKERNEL_DECL(qi_s8_maxpool_ukernel_2d__avx2);
QI_S8_MAXPOOL_2D_UKERNEL_DECL(qi_s8_maxpool_ukernel_2d__neon);

typedef struct qi_s8_maxpool_config {
  qi_s8_maxpool_ukernel_2d_fn ukernel_2d; /* 1-D / 2-D windows, no indices */
  const char *name_2d;
  qi_s8_maxpool_ukernel_nd_fn ukernel_nd; /* any rank, indices */
  const char *name_nd;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_s8_maxpool_config;
QI_KERNEL_PAIR(qi_s8_maxpool_config, ukernel_2d, name_2d);
QI_KERNEL_PAIR(qi_s8_maxpool_config, ukernel_nd, name_nd);

/* Never NULL; paths without a kernel of their own fall back along their family. */
const qi_s8_maxpool_config *qi_s8_maxpool_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_s8_maxpool_config *const *qi_s8_maxpool_config_list(size_t *count);

#endif /* QI_S8_MAXPOOL_H */
