/* Integer convolution and matrix multiplication ops (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger,
 * com.microsoft QGemm) and the tiled driver they share around the qu8 gemm ukernels (kernels/qu8-gemm). */
#ifndef QI_OPS_QUANT_CONV_H
#define QI_OPS_QUANT_CONV_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/op.h"
#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "kernels/qu8-gemm-s32/qu8-gemm-s32.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

/* Target bytes of one tile of packed activations (about a core's L2 share). */
#ifndef QI_QGEMM_TILE_BYTES
#define QI_QGEMM_TILE_BYTES (256 * 1024)
#endif

/* C = packed W[M, K] x X[K, N], X produced one tile of columns at a time by `pack` (which writes columns
 * [n0, n1) into dst in the packed activation layout, n0 a multiple of cfg->nr). Each tile is packed (in parallel
 * over NR-column blocks) into `scratch` (qi_qgemm_scratch_bytes), then multiplied (in parallel over
 * (column block, panel) pairs). Every output element is computed by one ukernel call, so results do not
 * depend on the thread count. C[m][n] lands at c[m * c_row_stride + n * c_col_stride]. */
typedef struct qi_qgemm_job {
  const qi_qu8_gemm_config *cfg;
  size_t m, n, k;
  const void *packed_w;
  void (*pack)(const void *ctx, size_t n0, size_t n1, uint8_t *dst);
  const void *pack_ctx;
  uint8_t *c;
  size_t c_row_stride, c_col_stride;
  qi_qu8_gemm_params params;
  uint8_t *scratch;
  size_t tile; /* columns per tile: a multiple of cfg->nr (qi_qgemm_tile) */
  /* set: this int32-output kernel of cfg's layout runs instead of cfg->ukernel, c holds int32_t elements and
   * params are unused (kernels/qu8-gemm-s32) */
  qi_qu8_gemm_s32_ukernel_fn s32;
  /* set: this W4A8 kernel runs instead (kernels/qu8-gemm-qb4w): packed_w holds qb4w panels of blocks of
   * qb4w_params.bl, cfg describes only the activation layout (the qb4w config's mr, nr, kr, pack_x) */
  qi_qu8_gemm_qb4w_ukernel_fn qb4w;
  qi_qu8_gemm_qb4w_params qb4w_params;
} qi_qgemm_job;

/* Helpers of the integer ops. */
static inline bool qi_q_is_8bit(int dtype) { return dtype == QINFER_DTYPE_UINT8 || dtype == QINFER_DTYPE_INT8; }
static inline bool qi_q_is_const(const qi_tensor *t) { return !t || (t->flags & QI_TF_CONST); }
/* Element i of a uint8 or int8 buffer. */
static inline int32_t qi_q_load8(const void *p, size_t i, bool is_signed) {
  return is_signed ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

size_t qi_qgemm_tile(const qi_qu8_gemm_config *cfg, size_t k, size_t n);
static inline size_t qi_qgemm_scratch_bytes(const qi_qu8_gemm_config *cfg, size_t k, size_t tile) {
  return qi_qu8_gemm_packed_x_bytes(k, tile, cfg->nr, cfg->kr);
}
void qi_qgemm_tiled_run(const qi_qgemm_job *job, qi_threadpool *pool);

/* [qmin, qmax] of an output of type dtype (uint8 / int8), narrowed by a fused clamp (rt->act.kind == QI_ACT_CLAMP:
 * the real interval [act_min, act_max] quantized with y_scale / y_zp, monotonic so the bounds map to bounds). */
void qi_qconv_out_range(const qi_act *act, int dtype, float y_scale, int32_t y_zp, int32_t *qmin,
                        int32_t *qmax);

/* A zero point input without a scale (ConvInteger, MatMulInteger), of data's type: one value, or per_axis_len
 * values (> 0: per channel / row / column allowed). Absent: 0. */
struct qi_qparams;
qi_status qi_qconv_read_zero_point(qi_graph *g, const qi_node *n, int slot, const qi_tensor *data, int64_t per_axis_len,
                                   struct qi_qparams *out, qi_error *err);

qi_status qi_qlinearconv_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qlinearconv_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qlinearconv_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
void qi_qconv_release(qi_node_rt *rt);
qi_status qi_convinteger_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_convinteger_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_convinteger_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);

qi_status qi_qlinearmatmul_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qlinearmatmul_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qlinearmatmul_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
qi_status qi_matmulinteger_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_matmulinteger_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_matmulinteger_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
qi_status qi_qgemm_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qgemm_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qgemm_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
void qi_qmatmul_release(qi_node_rt *rt);

#endif /* QI_OPS_QUANT_CONV_H */
