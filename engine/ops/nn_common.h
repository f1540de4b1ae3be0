/* Shared helpers of the nn op family (Conv, ConvTranspose, Gemm, MatMul, pooling, Attention): error
 * messages that name the node, window attribute parsing and output-size rules, and the parallel gemm driver. */
#ifndef QI_NN_COMMON_H
#define QI_NN_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/op.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"

/* Checks that input i exists, is float and has a rank in [min_rank, max_rank]. */
qi_status qi_nn_check_float_input(qi_graph *g, const qi_node *n, int i, int min_rank, int max_rank, qi_error *err);

/* The Conv layout checks shared by Conv, QLinearConv and ConvInteger: weights w [M, C/group, k...] of x's rank
 * for input x [N, C, ...]; reads the group attribute (1 <= group <= C) into *group, and checks that C is
 * w's C/group times group and M a positive multiple of group. */
qi_status qi_nn_conv_group(const qi_node *n, const qi_tensor *x, const qi_tensor *w, int64_t *group, qi_error *err);

/* The [M, C/group, k...] view of a 4-bit fused Conv's weight (QLinearConvW4, ConvQB4W): w itself when it has x's
 * rank (*flat false); or w stored flat [M, C/group * k...] (rank 2: its blocks run along the im2col's K, what
 * DequantizeLinear -> Reshape -> Conv gives), then kernel_shape is required and *view is w with the dims
 * [M, K / taps, kernel_shape...] (data shared). */
qi_status qi_nn_conv_weight_view(const qi_node *n, const qi_tensor *x, const qi_tensor *w, qi_tensor *view,
                                 bool *flat, qi_error *err);

typedef enum qi_auto_pad { QI_AUTO_PAD_NOTSET, QI_AUTO_PAD_SAME_UPPER, QI_AUTO_PAD_SAME_LOWER, QI_AUTO_PAD_VALID } qi_auto_pad;

#define QI_NN_MAX_SPATIAL QI_WINDOW_MAX_DIMS

/* Attributes of a window op (Conv, ConvTranspose, pooling), read and range-checked. */
typedef struct qi_nn_window_attrs {
  int spatial;                 /* 1 .. QI_NN_MAX_SPATIAL */
  int64_t kernel[QI_NN_MAX_SPATIAL], stride[QI_NN_MAX_SPATIAL], dilation[QI_NN_MAX_SPATIAL];
  int64_t pad_begin[QI_NN_MAX_SPATIAL], pad_end[QI_NN_MAX_SPATIAL];
  qi_auto_pad auto_pad;
} qi_nn_window_attrs;

/* Reads kernel_shape (or takes weight_kernel, the spatial dims of the weights, when not NULL: kernel_shape must
 * then match it), strides, dilations (when allow_dilations), pads and auto_pad. */
qi_status qi_nn_read_window_attrs(const qi_node *n, int spatial, const int64_t *weight_kernel, bool allow_dilations,
                                  qi_nn_window_attrs *w, qi_error *err);

/* Output sizes of a forward window (Conv, pooling) over in[spatial]; resolves auto_pad into pads. ceil_mode
 * rounds up and drops a last window that would start inside the end padding (as ONNX Runtime does). */
qi_status qi_nn_window_output(const qi_node *n, qi_nn_window_attrs *w, const int64_t *in, bool ceil_mode,
                              int64_t *out, qi_error *err);

/* The 2-D kernel geometry of a 1-D or 2-D window (1-D maps to a plane of height 1). */
void qi_nn_window2d(const qi_nn_window_attrs *w, const int64_t *in, const int64_t *out, qi_window2d *g);
/* The N-d kernel geometry of a window of any spatial rank. */
void qi_nn_windownd(const qi_nn_window_attrs *w, const int64_t *in, const int64_t *out, qi_windownd *g);

/* Clamp parameters for the node's fused activation (QI_ACT_CLAMP), +-inf otherwise. */
qi_f32_minmax_params qi_nn_minmax(const qi_act *act);

/* C[M, N] (+)= packed W[M, K] * B[K, N] over `batch` independent problems, split into (panel, column block)
 * tiles run on the pool. Each output element is computed by one ukernel call in a fixed order, so results do
 * not depend on the thread count. The optional epilogue runs on each finished tile. */
typedef struct qi_nn_gemm_args {
  const qi_f32_gemm_config *cfg;
  size_t batch, m, n, k;
  const float *packed_w;
  size_t packed_w_batch_stride; /* floats between the packed operands of consecutive problems (0: shared) */
  const float *b;
  size_t b_stride, b_batch_stride;
  bool b_blocked; /* B in blocks of cfg->nr columns, each k rows of nr floats (block i at b + i * k * nr; the
                   * im2col tiles' layout): b_stride is ignored */
  float *c;
  size_t c_stride, c_batch_stride;
  const size_t *b_offsets, *c_offsets, *w_offsets; /* per-problem offsets in floats replacing the strides */
  qi_f32_minmax_params params;
  void (*epilogue)(void *ctx, size_t batch, size_t row0, size_t rows, size_t col0, size_t cols, float *c_tile,
                   size_t c_stride);
  void *epilogue_ctx;
} qi_nn_gemm_args;

void qi_nn_gemm(const qi_nn_gemm_args *args, qi_threadpool *pool);

/* The xw orientation: C[M, N] = A[M, K] * packed W[K, N] over `batch` problems, A read in place (rows a_stride
 * floats apart), W packed once by cfg->pack as N x K panels of cfg->xw_nr rows (see f32-gemm.h). Split into
 * (column block, block of xw_mr rows) tiles, column block outermost so a block of W stays in cache while the rows
 * of A stream past; each output element is computed by one ukernel call in a fixed order, whatever the split. */
typedef struct qi_nn_gemm_xw_args {
  const qi_f32_gemm_config *cfg;
  size_t batch, m, n, k;
  const float *a;
  size_t a_stride;
  const size_t *a_offsets; /* per problem, in floats (NULL: problem * m * a_stride) */
  const float *packed_w;
  const size_t *w_offsets; /* per problem, in floats (NULL: one W shared by every problem) */
  float *c;
  size_t c_stride, c_batch_stride;
  qi_f32_minmax_params params;
  void (*epilogue)(void *ctx, size_t batch, size_t row0, size_t rows, size_t col0, size_t cols, float *c_tile,
                   size_t c_stride);
  void *epilogue_ctx;
} qi_nn_gemm_xw_args;

void qi_nn_gemm_xw(const qi_nn_gemm_xw_args *args, qi_threadpool *pool);

/* Packs a constant right operand W[K, N] (element (k, j) at w[k * k_stride + j * n_stride]) for the xw
 * orientation into dst (qi_f32_gemm_packed_floats(N, K, xw_nr, xw_kr) floats): weights times alpha, and
 * bias[j] (NULL: zeros) in each panel's bias slots. */
void qi_nn_pack_xw(const qi_f32_gemm_config *cfg, size_t k, size_t n, const float *w, size_t k_stride,
                   size_t n_stride, float alpha, const float *bias, float *dst);

/* Epilogue context that applies a node's fused LeakyRelu to the tile (qi_apply_act_f32 row by row). */
void qi_nn_act_epilogue(void *act, size_t batch, size_t row0, size_t rows, size_t col0, size_t cols, float *c_tile,
                        size_t c_stride);

#endif /* QI_NN_COMMON_H */
