/* The reduction / normalization op family (engine/ops/reduce_*.c); the table is reduce_table.c. */
#ifndef QI_REDUCE_OPS_H
#define QI_REDUCE_OPS_H

#include "engine/op.h"

#define QI_REDUCE_DECLARE_INFER_RUN(name)                                                  \
  qi_status qi_reduce_##name##_infer(qi_graph *g, qi_node *n, qi_error *err);              \
  qi_status qi_reduce_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);

QI_REDUCE_DECLARE_INFER_RUN(softmax)         /* Softmax and LogSoftmax */
QI_REDUCE_DECLARE_INFER_RUN(layernorm)
QI_REDUCE_DECLARE_INFER_RUN(instancenorm)
QI_REDUCE_DECLARE_INFER_RUN(batchnorm)
QI_REDUCE_DECLARE_INFER_RUN(reduce)          /* Reduce* */
QI_REDUCE_DECLARE_INFER_RUN(arg)             /* ArgMax and ArgMin */
#undef QI_REDUCE_DECLARE_INFER_RUN

qi_status qi_reduce_layernorm_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_reduce_batchnorm_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_reduce_reduce_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);

/* Elements of input per parallel chunk. */
#define QI_REDUCE_GRAIN 16384

static inline qi_threadpool *qi_reduce_pool(const qi_exec_ctx *ctx) { return ctx ? ctx->pool : NULL; }

/* Normalizes an axis attribute value into [0, rank) (accepting [-rank, rank) or, with allow_rank,
 * [-rank, rank] as the opset < 13 Softmax does); fails with QINFER_ERR_INVALID_MODEL. */
qi_status qi_reduce_axis(const qi_node *n, int64_t axis, int rank, bool allow_rank, int *out, qi_error *err);

#endif /* QI_REDUCE_OPS_H */
