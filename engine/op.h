/* Operator interface: each ONNX op qinfer implements is one qi_op with shape inference, optional
 * preparation (weight packing, precomputed parameters) and a run function that allocates nothing.
 *
 * Life of a node in a session:
 *   infer   -> called in topological order once input shapes are concrete; must check every precondition
 *              run() relies on (ranks, attribute values, broadcast compatibility, dtypes) and set each
 *              output's dtype and shape with qi_tensor_set_shape. Values of constant inputs are readable
 *              (tensor->data with QI_TF_CONST), so ops such as Reshape read their shape input here.
 *   prepare -> optional; called once after all passes, before planning; may build rt->state (freed by
 *              release) and request rt->scratch_bytes of per-run scratch memory.
 *   run     -> computes the outputs; input and output data pointers and rt->scratch are set. Must not
 *              allocate, and must return an error rather than read or write out of bounds on bad data
 *              (e.g. a Gather index out of range).
 * A node whose inputs are all constant is folded: prepare + run at session creation into graph-owned
 * buffers, then release. Ops flagged QI_OPF_NO_FOLD are never folded.
 */
#ifndef QI_OP_H
#define QI_OP_H

#include "engine/ir/ir.h"
#include "engine/threadpool.h"
#include "kernels/isa.h"

typedef struct qi_exec_ctx {
  qi_threadpool *pool; /* NULL: run on the calling thread */
} qi_exec_ctx;

/* A fused activation on an op's output: the fusion passes record it on the rewritten node as attributes
 * (qi_node_set_fused_act), the session decodes it once into qi_node_rt.act. */
enum { QI_ACT_NONE = 0, QI_ACT_CLAMP = 1, QI_ACT_LEAKY = 2 };
typedef struct qi_act {
  int kind;          /* QI_ACT_* */
  float min, max;    /* QI_ACT_CLAMP: [min, max] */
  float alpha;       /* QI_ACT_LEAKY: slope below 0 */
} qi_act;

/* Packed-constant buffers one node may own (qi_rt_packed), and their alignment in bytes. */
#define QI_RT_PACKED_SLOTS 2
#define QI_RT_PACKED_ALIGN 64

/* What one session keeps for one node beside the (shared, session-free) IR node. */
typedef struct qi_node_rt {
  qi_isa isa;            /* the ISA path the node's kernels are chosen for */
  qi_act act;            /* fused activation (QI_ACT_NONE when none) */
  void *state;           /* built by op->prepare, freed by op->release */
  const char *kernel;    /* the ukernel prepare picked (its config name, for `qinfer bench --profile`); NULL: none */
  size_t scratch_bytes;  /* per-run scratch the op asked for in prepare (planned in the arena) */
  void *scratch;         /* set before run */
  bool const_inputs_packed; /* set by prepare: run reads none of the node's constant inputs (they were packed
                             * into state), so the session may free their buffers */
  /* Weights packed by prepare (qi_rt_packed), owned here rather than by the op state, so that a re-plan of the
   * session (qinfer_session_resize_input) re-prepares the node and hands them back unpacked-again. */
  void *packed[QI_RT_PACKED_SLOTS];
  size_t packed_bytes[QI_RT_PACKED_SLOTS];
  uint64_t const_fingerprint; /* of the constant inputs the packed buffers were made from (qi_rt_fingerprint) */
} qi_node_rt;

/* Buffer `slot` (< QI_RT_PACKED_SLOTS) of `bytes` bytes, aligned to QI_RT_PACKED_ALIGN, for prepare to pack constant weights into; the session
 * owns it (op release must not free it). *fresh is true for a new buffer, which prepare fills; false when the
 * session re-plans after a resize and hands back the buffer this node filled from the same constant inputs
 * before: prepare leaves its contents as they are. NULL when out of memory. */
void *qi_rt_packed(qi_node_rt *rt, int slot, size_t bytes, bool *fresh);
/* Frees the packed buffers of rt that `keep` (may be NULL) does not also hold in the same slot. */
void qi_rt_free_packed(qi_node_rt *rt, const qi_node_rt *keep);
/* A fingerprint of node n's constant inputs (dtype, shape, value): equal fingerprints mean packing them again
 * would give the same bytes. Initializers still in the model's bytes are known by address, computed constants
 * (folds) by a hash of their values. */
uint64_t qi_rt_fingerprint(const qi_graph *g, const qi_node *n);

/* Op flags. The first three tell the session how to treat a node; the others say what an op is, so that the
 * passes and the quantizer ask the op table instead of keeping lists of op names (qi_node_op_flags). */
enum {
  QI_OPF_FUSE_ACT = 1u << 0, /* honours rt->act (fused Relu / Clip / LeakyRelu on its float output) */
  QI_OPF_NO_FOLD = 1u << 1,  /* never constant-fold (e.g. random ops) */
  QI_OPF_FOLD_LATE = 1u << 2, /* constant-folded only after the QDQ fusion pass (DequantizeLinear of weights) */
  /* Every element of output 0 is an element of input 0, whatever the values, and the implementation takes
   * uint8 / int8 for input 0 (its other inputs are indices, shapes or axes). Either a layout change that keeps
   * every element (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Transpose, DepthToSpace,
   * SpaceToDepth) or a selection, some elements possibly repeated or left out (Slice, Gather, GatherElements,
   * Expand, Tile; MaxPool: the largest of a window, and quantization is monotonic). So on a quantized tensor,
   * with the output quantized like the input, the op gives exactly Q(op(DQ(x))): the QDQ pass runs it on the
   * 8-bit tensor and the quantizer gives its output the input's parameters. */
  QI_OPF_VALUE_PRESERVING = 1u << 3,
  /* y[i] is a function of x[i] alone, given scalar constant operands: the float unary functions of the math
   * family (qi_math_unary_describe), the two-input arithmetic Add, Sub, Mul, Div, Pow, Max, Min
   * (qi_math_binary_describe) and Identity (the one op flagged both elementwise and value-preserving). A chain of
   * them between a DequantizeLinear and a QuantizeLinear is one lookup table (engine/pass_qdq_region.c). */
  QI_OPF_ELEMENTWISE = 1u << 4,
  /* The QDQ pass has an integer op for DequantizeLinear -> op -> QuantizeLinear and the quantizer quantizes the
   * op's activations; the kind says which inputs are quantized how:
   *   LINEAR  Conv, MatMul, Gemm -> QLinearConv, QLinearMatMul, QGemm: activation input(s), int8 weights
   *           (input 1), an int32 bias (input 2);
   *   JOIN    Add, Mul, Concat -> QLinearAdd, QLinearMul, QLinearConcat: every input with its own parameters,
   *           rescaled to the output's (Add and Mul, also elementwise, take a constant operand too);
   *   POOL    AveragePool, GlobalAveragePool -> QLinearAveragePool, QLinearGlobalAveragePool: one quantized
   *           input, the output with its own parameters. */
  QI_OPF_QUANT_LINEAR = 1u << 5,
  QI_OPF_QUANT_JOIN = 1u << 6,
  QI_OPF_QUANT_POOL = 1u << 7,
  QI_OPF_HAS_QUANTIZED_FORM = QI_OPF_QUANT_LINEAR | QI_OPF_QUANT_JOIN | QI_OPF_QUANT_POOL,
  /* Reads or writes quantized tensors: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, the QLinear*
   * and integer ops. A graph holding one is already quantized (the quantizer refuses it). */
  QI_OPF_QUANTIZED = 1u << 8,
  /* Takes 4-bit (int4 / uint4) inputs: DequantizeLinear, QuantizeLinear (its zero point), the 4-bit weight ops
   * (W4A32, W4A8). Any other op given one is refused before its infer runs (their element loops know byte-sized
   * types only). */
  QI_OPF_READS_4BIT = 1u << 9,
};

typedef struct qi_op {
  const char *op_type;
  const char *domain; /* "" is the default ONNX domain */
  qi_status (*infer)(qi_graph *g, qi_node *n, qi_error *err);
  qi_status (*prepare)(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);           /* may be NULL */
  qi_status (*run)(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
  void (*release)(qi_node_rt *rt);                                                       /* may be NULL */
  unsigned flags;
  /* Multiply-accumulates of one run from the node's inferred shapes (`qinfer info`, `qinfer bench`'s GFLOP/s);
   * NULL for ops that count none. Saturates at INT64_MAX; 0 when a shape is unknown. */
  int64_t (*macs)(const qi_graph *g, const qi_node *n);
} qi_op;

/* One row of an op table, the same in every family (engine/ops/<family>_table.c): the op's type and domain, its
 * functions (prepare and release may be NULL) and its flags, spelled out so that a row says everything the
 * engine knows about the op. */
#define QI_OP(type, op_domain, infer_fn, prepare_fn, run_fn, release_fn, op_flags)                              \
  {.op_type = (type), .domain = (op_domain), .infer = (infer_fn), .prepare = (prepare_fn), .run = (run_fn),       \
   .release = (release_fn), .flags = (op_flags)}
/* The same row for an op whose work is counted in multiply-accumulates (engine/ops/macs.c). */
#define QI_OP_MACS(type, op_domain, infer_fn, prepare_fn, run_fn, release_fn, op_flags, macs_fn)                \
  {.op_type = (type), .domain = (op_domain), .infer = (infer_fn), .prepare = (prepare_fn), .run = (run_fn),       \
   .release = (release_fn), .flags = (op_flags), .macs = (macs_fn)}

/* MAC counters of the ops that have one (engine/ops/macs.c). */
int64_t qi_macs_conv(const qi_graph *g, const qi_node *n);         /* Conv, ConvInteger: weights are input 1 */
int64_t qi_macs_qlinearconv(const qi_graph *g, const qi_node *n);  /* QLinearConv: weights are input 3 */
int64_t qi_macs_conv_transpose(const qi_graph *g, const qi_node *n);
int64_t qi_macs_gemm(const qi_graph *g, const qi_node *n);         /* Gemm, QGemm: A is input 0 */
int64_t qi_macs_matmul(const qi_graph *g, const qi_node *n);       /* MatMul, MatMulInteger, QLinearMatMul */
int64_t qi_macs_attention(const qi_graph *g, const qi_node *n);
int64_t qi_macs_qattention(const qi_graph *g, const qi_node *n);  /* com.microsoft QAttention */
/* Sum over the live nodes of g (shapes inferred: a session's graph), saturating at INT64_MAX. */
int64_t qi_count_macs(const qi_graph *g);

/* Op families, each a table terminated by an entry with op_type == NULL (engine/ops/). */
extern const qi_op qi_ops_math[];    /* elementwise binary/unary/activations, Where, comparisons */
extern const qi_op qi_ops_reduce[];  /* Softmax, LayerNormalization, Reduce*, BatchNormalization */
extern const qi_op qi_ops_tensor[];  /* shape / layout / indexing ops, Constant, Identity, Cast, Pad, Resize */
extern const qi_op qi_ops_nn[];      /* Conv, ConvTranspose, Gemm, MatMul, pooling, Attention */
extern const qi_op qi_ops_quant_conv[]; /* QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, QGemm */
extern const qi_op qi_ops_quant_pool[]; /* QLinearGlobalAveragePool, QLinearAveragePool */
extern const qi_op qi_ops_quant_table[]; /* QLinearTable (ai.qinfer): byte lookup tables from the QDQ pass */
extern const qi_op qi_ops_quant_elem[]; /* Quantize/DequantizeLinear, DynamicQuantizeLinear, QLinear Add/Mul/Concat, lookup tables */
extern const qi_op qi_ops_quant_transformer[]; /* QLinearSoftmax, QLinearWhere, QLinearReduceMean, QAttention */

/* Every family above, the tables qi_op_find searches; NULL-terminated (engine/ops/registry.c). */
extern const qi_op *const qi_op_families[];

/* Looks up the implementation of (domain, op_type); domain "" and "ai.onnx" are the same. NULL if none. */
const qi_op *qi_op_find(const char *domain, const char *op_type);
/* The flags of node n's op: n->op's once resolved, else those of qi_op_find(n->domain, n->op_type); 0 for an op
 * qinfer does not implement. */
unsigned qi_node_op_flags(const qi_node *n);

/* The failure of an op's infer that needs the value of input t (`what`: its role, "shape", "axes", ...) to set
 * its output shapes while t is not constant: "input '<what>' must be constant (data-dependent shapes
 * unsupported)", with err->needed_value = t, so that shape inference can name the graph input the value comes
 * from and a session given that input's value binds it (engine/pass_infer.c). Returns QINFER_ERR_UNSUPPORTED. */
qi_status qi_require_value_fail(const qi_node *n, const qi_tensor *t, const char *what, qi_error *err);

/* Applies a fused activation to a float buffer in place. */
void qi_apply_act_f32(const qi_act *act, float *data, size_t count);
/* Records act on node `node` (internal attributes, QI_INTERNAL_ATTR_PREFIX); QINFER_ERR_OUT_OF_MEMORY on failure. */
qi_status qi_node_set_fused_act(qi_graph *g, int node, const qi_act *act, qi_error *err);
/* The fused activation recorded on n (kind QI_ACT_NONE when none). */
qi_act qi_node_fused_act(const qi_node *n);
/* Runs one node outside a session's executor (constant folding, tests): prepare, scratch, run, release, with
 * rt->isa = isa and rt->act from the node's attributes. packed (may be NULL) receives rt->const_inputs_packed. */
qi_status qi_run_node_once(qi_graph *g, qi_node *n, qi_isa isa, const qi_exec_ctx *ctx, bool *packed,
                           qi_error *err);

#endif /* QI_OP_H */
