/* Internals of the QDQ fusion pass shared by its files (engine/pass_qdq.c, engine/pass_qdq_region.c). */
#ifndef QI_PASS_QDQ_H
#define QI_PASS_QDQ_H

#include "engine/session.h"

/* A DequantizeLinear feeding a pattern: its quantized input and parameters. */
typedef struct qi_dq_ref {
  int node;   /* DequantizeLinear node */
  int q;      /* quantized tensor (u8 / s8 / int32) */
  int scale;  /* scale tensor (constant) */
  int zp;     /* zero-point tensor or -1 */
  int axis;   /* normalised axis when per-axis, -1 per tensor */
} qi_dq_ref;

/* A pattern being replaced by one fused node. */
typedef struct qi_qdq_fusion {
  int op;        /* the float op node being replaced */
  int act;       /* Relu / Clip node between the op and Q, or -1 */
  int q;         /* the QuantizeLinear node */
  int dead[64];  /* further nodes the fusion makes dead (besides op, act, q) */
  int n_dead;
} qi_qdq_fusion;

/* Describes float tensor t as the output of a DequantizeLinear with constant parameters (per_tensor: a single
 * scale; want_dtype: 0 for u8 / s8, else that dtype). */
bool qi_qdq_dq_of(const qi_graph *g, int t, bool per_tensor, int want_dtype, qi_dq_ref *out);
/* The QuantizeLinear (per tensor, constant parameters, u8 / s8) that is the only reader of float tensor t, or -1. */
int qi_qdq_q_after(const qi_graph *g, int t);
/* First value of zero-point tensor t as int32 (0 when t < 0). */
int32_t qi_qdq_zp_value(const qi_graph *g, int t);
/* Adds the fused node (output: the Q's output), checks it with its op's infer and, on success, marks the
 * replaced nodes dead. False (graph unchanged but for an unused dead node) when the integer op refuses it. */
bool qi_qdq_emit(qi_graph *g, const qi_qdq_fusion *f, const char *type, const char *domain, const int *ins, int n_ins,
                 int copy_from, qi_status *st, qi_error *err);
/* qi_qdq_emit with one int attribute added to the fused node (after those copied from copy_from). */
bool qi_qdq_emit_attr(qi_graph *g, const qi_qdq_fusion *f, const char *type, const char *domain, const int *ins,
                      int n_ins, int copy_from, const char *int_attr, int64_t int_value, qi_status *st, qi_error *err);
/* Pieces of the linear-op fusion, shared with engine/pass_qdq_w4a8.c:
 * the op -> [Relu | Clip] -> Q chain after node oi (false: the output is not quantized); */
bool qi_qdq_find_output_q(const qi_graph *g, int oi, qi_qdq_fusion *f);
/* the Q's scale and zero point as fused-op inputs (a constant zero when the Q has none; false: out of memory); */
bool qi_qdq_out_params(qi_graph *g, const qi_qdq_fusion *f, int *ys, int *yz, qi_error *err);
/* zero point tensor zp, or a constant zero of qdtype shaped like scale (-1: out of memory); */
int qi_qdq_zp_or_zero(qi_graph *g, int zp, int qdtype, int scale, qi_error *err);
/* an int32 bias at x_scale * w_scale[c] (c < count) from a float constant or DequantizeLinear of int32 b (-1: none
 * fits). */
int qi_qdq_int32_bias(qi_graph *g, int b, int xs, const qi_dq_ref *w, int64_t count, qi_error *err);

/* The flat weight behind Conv node conv's weight t when t = Reshape(flat [M, K], constant shape [M, C/g, k...])
 * (engine/pass_conv_flat_weight.c), else -1. Gives the Conv a kernel_shape (the Reshape's) when it has none: the
 * fused op reads its window from it; *st set only when out of memory. */
int qi_conv_flat_weight(qi_graph *g, int conv, int t, qi_status *st, qi_error *err);

/* DQ(x 8-bit), DQ(w int4 / uint4 constant) [, bias] -> Conv / MatMul / Gemm [-> Relu / Clip] -> Q (node oi) ->
 * ai.qinfer QLinearConvW4 / QLinearMatMulW4 (engine/pass_qdq_w4a8.c). */
bool qi_qdq_fuse_w4a8(qi_graph *g, int oi, qi_status *st, qi_error *err);

/* Whether node n is a value-preserving op (QI_OPF_VALUE_PRESERVING) the pass runs on a quantized tensor: one
 * output, its further inputs (shapes, indices) constant or absent. The quantizer plans the same nodes. */
bool qi_qdq_passthrough_op(const qi_graph *g, const qi_node *n);
/* Whether node n is an elementwise op (QI_OPF_ELEMENTWISE) the region evaluator computes one value at a time: one
 * float output, two inputs for the binary ops, scalar constant bounds for Clip. The quantizer's planner asks the
 * same question to leave such chains to a lookup table. */
bool qi_region_evaluable(const qi_graph *g, const qi_node *n);
/* An elementwise region of tensor x: the nodes after order position pos whose inputs are x, scalar float
 * constants and earlier region nodes' outputs (qi_region_evaluable), in execution order; y is the exit once
 * chosen. */
enum { QI_REGION_MAX = 64 };
typedef struct qi_region {
  int nodes[QI_REGION_MAX];
  int n;
  int x, y;
} qi_region;
void qi_region_collect(qi_graph *g, int pos, int x, qi_region *r);
/* The value of tensor y (x or a region node's output) when x = xv, computed by qinfer's float code. */
float qi_region_eval(qi_graph *g, const qi_region *r, int y, float xv);

/* Replaces the elementwise region between the DequantizeLinear at order position pos and a QuantizeLinear by
 * a QLinearTable (engine/pass_qdq_region.c); also the bare DequantizeLinear -> QuantizeLinear pair. */
bool qi_qdq_fuse_region(qi_graph *g, int pos, qi_status *st, qi_error *err);

/* Replaces ONNX Runtime's dynamic-quantization chain DynamicQuantizeLinear -> ConvInteger / MatMulInteger (node oi)
 * -> Cast -> Mul [-> Add] by one DynamicQuantizeConv / DynamicQuantizeMatMul (engine/pass_qdq_dynamic.c). */
bool qi_qdq_fuse_dynamic(qi_graph *g, int oi, qi_status *st, qi_error *err);

#endif /* QI_PASS_QDQ_H */
