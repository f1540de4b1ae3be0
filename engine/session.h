/* Internal layout of the public handles (include/qinfer.h), shared by engine/api.c, the passes and tools. */
#ifndef QI_SESSION_H
#define QI_SESSION_H

#include <stdatomic.h>

#include "engine/ir/graph_index.h"
#include "engine/ir/ir.h"
#include "engine/op.h"

struct qinfer_model {
  const void *data; /* the ONNX bytes: the file mapping, or the caller's buffer */
  size_t size;
  void *map;        /* non-NULL when the model owns a mapping of its file */
  size_t map_len;
  bool in_memory;   /* map is an anonymous copy of the file (QINFER_LOAD_READ_INTO_MEMORY), external data too */
  char *base_dir;   /* folder external data may come from, or NULL */
  qi_graph *graph;  /* decoded once, operators resolved; answers queries, and every session starts from a clone
                     * of it (qi_graph_clone: constant payloads shared, never parsed again) */
  qi_error err;
};

typedef struct qi_input_shape {
  char *name;
  int rank;
  int64_t dims[QI_MAX_RANK];
} qi_input_shape;

typedef struct qi_dim_binding {
  char *name;
  int64_t value;
} qi_dim_binding;

/* The value of an input given in the options (qinfer_session_options_set_input_value), a copy. */
typedef struct qi_input_value {
  char *name;
  int dtype;
  int rank;
  int64_t dims[QI_MAX_RANK];
  void *data;
  size_t nbytes;
  bool bind; /* the input decides shapes: bound to the value as a constant (set by the session it plans) */
} qi_input_value;

struct qinfer_session_options {
  int threads;
  qinfer_isa isa;
  qi_input_shape *shapes;
  int n_shapes;
  qi_dim_binding *dims;
  int n_dims;
  qi_input_value *values;
  int n_values;
  bool keep_intermediates;
  bool profiling;     /* per-node times of every run (qinfer_session_profile) */
  bool no_act_fusion; /* internal (the quantizer's calibration runs): keep Relu / Clip outputs separate */
};

struct qinfer_session {
  const qinfer_model *model;
  /* The session's own copy of its options, with the shape of every input it plans for and the values bound to
   * inputs that decide shapes: what a re-plan (resize, a new bound value) starts from. */
  qinfer_session_options *opts;
  const void **new_value; /* per graph input bound to a value: a caller buffer holding another value, which the
                           * next run re-plans for; NULL when none */
  bool replan_pending;
  qi_graph *graph;   /* this session's graph after all passes (a clone of the model's) */
  qi_node_rt *rt;    /* per node of graph: what this session keeps for it (state, scratch, ISA, activation) */
  int64_t *tensor_offset; /* per tensor: its arena offset, -1 when not in the arena (constants, inputs) */
  qi_threadpool *pool;
  qi_isa isa;        /* the path every node runs on */
  void *arena;       /* one block for every activation and scratch buffer */
  size_t arena_bytes;
  bool *input_set;   /* per graph input: set since the session was created */
  int *readable;     /* tensors qinfer_session_tensor exposes (indices into graph->tensors) */
  int n_readable;
  qinfer_node_profile *profile; /* per step of graph->order when the options turn profiling on, else NULL */
  qi_error err;
  /* set while a run / set_input / get_output / tensor call is inside the session: a second thread's call
   * meanwhile fails instead of racing (the header forbids it; this makes it an error, not wrong numbers) */
  atomic_bool busy;
};

/* The value given for input `name` in opts (may be NULL), or NULL. */
const qi_input_value *qi_options_value(const qinfer_session_options *opts, const char *name);

/* Records err as this thread's qinfer_last_error() and returns code: for the library's public entry points beyond
 * engine/api.c (include/qinfer_quant.h). */
qi_status qi_api_fail(qi_status code, const qi_error *err);

/* Session building steps (engine/pass_*.c, engine/pipeline.c, engine/executor.c). */
qi_status qi_bind_input_shapes(qi_graph *g, const qinfer_session_options *opts, qi_error *err);
qi_status qi_resolve_ops(qi_graph *g, qi_error *err);
/* Shape inference in order, folding every node whose inputs are all constant (on the given ISA path), except
 * QI_OPF_FOLD_LATE ones. */
qi_status qi_infer_and_fold(qi_graph *g, qi_isa isa, qi_error *err);
/* Folds what is constant after the QDQ pass, QI_OPF_FOLD_LATE nodes included (shapes already inferred). */
qi_status qi_fold_late(qi_graph *g, qi_isa isa, qi_error *err);
/* Helpers shared by the passes (engine/pass_fuse.c; the sole reader of a tensor: engine/ir/graph_index.h). */
/* Describes node a (Relu, Clip with constant bounds, LeakyRelu) as a fusable activation; false otherwise. */
bool qi_pass_activation_of(const qi_graph *g, const qi_node *a, qi_act *act);
/* Rewrites DequantizeLinear -> op -> QuantizeLinear patterns into integer ops (engine/pass_qdq.c). */
qi_status qi_fuse_qdq(qi_graph *g, qi_error *err);
/* DequantizeLinear(constant int4 / uint4) -> MatMul / Gemm with float activations into MatMulQB4W, the W4A32
 * kernels on the 4-bit weight (engine/pass_qdq_w4.c). */
qi_status qi_fuse_w4a32(qi_graph *g, qi_error *err);
qi_status qi_remove_dead_nodes(qi_graph *g, qi_error *err);
/* Conv -> BatchNormalization / Mul / Div / Add / Sub by per-channel or scalar constants, folded into the Conv's
 * weights (float, or a DequantizeLinear of integers: its scale) and bias (engine/pass_fold_conv.c). */
qi_status qi_fold_conv_affine(qi_graph *g, qi_error *err);
qi_status qi_fuse_activations(qi_graph *g, qi_error *err);
/* MatMul -> [scale] -> Softmax -> MatMul (with Transposes around) into FusedAttention (engine/pass_fuse_attention.c). */
qi_status qi_fuse_attention(qi_graph *g, qi_error *err);

/* Per-node runtime data for every node of g (rt: g->n_nodes entries, zeroed), each on path `isa` with its fused
 * activation decoded, then each live node's prepare in execution order. A re-plan passes the earlier plan's
 * graph and runtime data (else NULL): a node that is the same op on the same constant inputs gets its packed
 * weights back instead of packing them again (qi_rt_packed). */
qi_status qi_prepare_nodes(qi_graph *g, qi_node_rt *rt, qi_isa isa, const qi_graph *prev_g, const qi_node_rt *prev_rt,
                           qi_error *err);
/* Releases the op state and the packed weights of every node (rt: g->n_nodes entries), except packed buffers
 * that keep (n_keep entries, may be NULL) holds in the same node and slot: those another plan now uses. */
void qi_release_nodes(const qi_graph *g, qi_node_rt *rt, const qi_node_rt *keep, int n_keep);
/* Frees owned constant buffers nothing reads at run time any more: those whose every live reader packed
 * them in prepare (qi_node_rt.const_inputs_packed), and those no live node reads (e.g. replaced by folding). */
void qi_release_packed_constants(qi_graph *g, const qi_node_rt *rt);
/* Runs every live node in order; with prof (g->n_order records, NULL: profiling off) each node's time goes into
 * the record of its step. */
qi_status qi_execute(qi_graph *g, const qi_node_rt *rt, qi_threadpool *pool, qinfer_node_profile *prof, qi_error *err);

#endif /* QI_SESSION_H */
