/* Internal layout of the public handles (include/qinfer.h), shared by engine/api.c, the passes and tools. */
#ifndef QI_SESSION_H
#define QI_SESSION_H

#include "engine/ir.h"
#include "engine/op.h"

struct qinfer_model {
  const void *data; /* the ONNX bytes: the file mapping, or the caller's buffer */
  size_t size;
  void *map;        /* non-NULL when the model owns a mapping of its file */
  size_t map_len;
  char *base_dir;   /* folder external data may come from, or NULL */
  qi_graph *graph;  /* decoded once to answer queries (metadata only: constant payloads are dropped);
                     * sessions decode their own copy */
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

struct qinfer_session_options {
  int threads;
  qinfer_isa isa;
  qi_input_shape *shapes;
  int n_shapes;
  qi_dim_binding *dims;
  int n_dims;
};

struct qinfer_session {
  const qinfer_model *model;
  qi_graph *graph;   /* this session's graph after all passes */
  qi_threadpool *pool;
  qinfer_isa isa;
  void *arena;       /* one block for every activation and scratch buffer */
  size_t arena_bytes;
  bool *input_set;   /* per graph input: set since the session was created */
  qi_error err;
};

/* Session building steps (engine/session.c, engine/passes_*.c, engine/planner.c). */
qi_status qi_bind_input_shapes(qi_graph *g, const qinfer_session_options *opts, qi_error *err);
qi_status qi_resolve_ops(qi_graph *g, qi_error *err);
qi_status qi_infer_and_fold(qi_graph *g, qi_error *err);
qi_status qi_remove_dead_nodes(qi_graph *g, qi_error *err);
qi_status qi_fuse_batchnorm(qi_graph *g, qi_error *err);
qi_status qi_fuse_activations(qi_graph *g, qi_error *err);
qi_status qi_prepare_nodes(qi_graph *g, qi_error *err);
/* Frees owned constant buffers nothing reads at run time any more: those whose every live reader packed
 * them in prepare (qi_node.const_inputs_packed), and those no live node reads (e.g. replaced by folding). */
void qi_release_packed_constants(qi_graph *g);
/* Assigns arena offsets to every non-constant, non-input tensor and every node's scratch; returns the size. */
qi_status qi_plan_arena(qi_graph *g, size_t *arena_bytes, qi_error *err);
/* Points tensors and scratch at their arena slots. */
void qi_bind_arena(qi_graph *g, void *arena);
/* Prefixes "node 'name' (Op)" to err's message unless the op's message already starts with the op type. */
qi_status qi_node_error_context(const qi_node *n, qi_error *err);
/* Runs every live node in order. */
qi_status qi_execute(qi_graph *g, qi_threadpool *pool, qi_error *err);

#endif /* QI_SESSION_H */
