/* Operator interface: each ONNX op qinfer implements is one qi_op with shape inference, optional
 * preparation (weight packing, precomputed parameters) and a run function that allocates nothing.
 *
 * Life of a node in a session:
 *   infer   -> called in topological order once input shapes are concrete; must check every precondition
 *              run() relies on (ranks, attribute values, broadcast compatibility, dtypes) and set each
 *              output's dtype and shape with qi_tensor_set_shape. Values of constant inputs are readable
 *              (tensor->data with QI_TF_CONST), so ops such as Reshape read their shape input here.
 *   prepare -> optional; called once after all passes, before planning; may build n->state (freed by
 *              release) and request n->scratch_bytes of per-run scratch memory.
 *   run     -> computes the outputs; input and output data pointers and n->scratch are set. Must not
 *              allocate, and must return an error rather than read or write out of bounds on bad data
 *              (e.g. a Gather index out of range).
 * A node whose inputs are all constant is folded: prepare + run at session creation into graph-owned
 * buffers, then release. Ops flagged QI_OPF_NO_FOLD are never folded.
 */
#ifndef QI_OP_H
#define QI_OP_H

#include "engine/ir/ir.h"
#include "engine/threadpool.h"

typedef struct qi_exec_ctx {
  qi_threadpool *pool; /* NULL: run on the calling thread */
} qi_exec_ctx;

enum {
  QI_OPF_FUSE_ACT = 1u << 0, /* honours n->act (fused Relu / Clip / LeakyRelu on its float output) */
  QI_OPF_NO_FOLD = 1u << 1,  /* never constant-fold (e.g. random ops) */
  QI_OPF_FOLD_LATE = 1u << 2, /* constant-folded only after the QDQ fusion pass (DequantizeLinear of weights) */
};

typedef struct qi_op {
  const char *op_type;
  const char *domain; /* "" is the default ONNX domain */
  qi_status (*infer)(qi_graph *g, qi_node *n, qi_error *err);
  qi_status (*prepare)(qi_graph *g, qi_node *n, qi_error *err);          /* may be NULL */
  qi_status (*run)(qi_graph *g, qi_node *n, const qi_exec_ctx *ctx, qi_error *err);
  void (*release)(qi_node *n);                                           /* may be NULL */
  unsigned flags;
} qi_op;

/* Op families, each a table terminated by an entry with op_type == NULL (engine/ops/). */
extern const qi_op qi_ops_math[];    /* elementwise binary/unary/activations, Where, comparisons */
extern const qi_op qi_ops_reduce[];  /* Softmax, LayerNormalization, Reduce*, BatchNormalization */
extern const qi_op qi_ops_tensor[];  /* shape / layout / indexing ops, Constant, Identity, Cast, Pad, Resize */
extern const qi_op qi_ops_nn[];      /* Conv, ConvTranspose, Gemm, MatMul, pooling, Attention */
extern const qi_op qi_ops_quant_conv[]; /* QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, QGemm */
extern const qi_op qi_ops_quant_pool[]; /* QLinearGlobalAveragePool, QLinearAveragePool */
extern const qi_op qi_ops_quant_table[]; /* QLinearTable (ai.qinfer): byte lookup tables from the QDQ pass */
extern const qi_op qi_ops_quant_elem[]; /* Quantize/DequantizeLinear, DynamicQuantizeLinear, QLinear Add/Mul/Concat, lookup tables */

/* Every family above, the tables qi_op_find searches; NULL-terminated (engine/ops/registry.c). */
extern const qi_op *const qi_op_families[];

/* Looks up the implementation of (domain, op_type); domain "" and "ai.onnx" are the same. NULL if none. */
const qi_op *qi_op_find(const char *domain, const char *op_type);

/* Applies a fused activation (n->act) to a float buffer in place. */
void qi_apply_act_f32(const qi_node *n, float *data, size_t count);

#endif /* QI_OP_H */
