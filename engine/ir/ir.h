/* Graph IR: tensors (values) and nodes, indices into flat arrays owned by a qi_graph.
 *
 * A tensor is any value of the graph: a graph input, an initializer, a node output. Its shape is concrete
 * (rank >= 0, every dim >= 0) once shapes are inferred for a session; before that a dim may be -1 with an
 * optional symbolic name (sym[i] >= 0 indexes graph->sym_names).
 *
 * Constant tensors (QI_TF_CONST) have `data` set: initializer bytes referenced in place inside the model
 * mapping (when suitably aligned), or a buffer the graph owns (QI_TF_OWNED: copied, decoded from typed
 * fields, or produced by constant folding). Non-constant tensors get `data` from the session arena or, for
 * graph inputs, from the caller.
 */
#ifndef QI_IR_H
#define QI_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qinfer.h"
#include "engine/ir/status.h"

#define QI_MAX_RANK QINFER_MAX_RANK

enum {
  QI_TF_CONST = 1u << 0,   /* data holds the value (initializer, Constant or folded) */
  QI_TF_OWNED = 1u << 1,   /* data was malloc'ed by the graph and is freed with it */
  QI_TF_INPUT = 1u << 2,   /* graph input supplied by the caller */
  QI_TF_OUTPUT = 1u << 3,  /* graph output */
  QI_TF_SHAPED = 1u << 4,  /* dtype and shape are known */
  QI_TF_UNALIGNED = 1u << 5, /* constant data in place (inside the model's bytes) but not aligned for its element
                              * type: only copied (memcpy), never read as typed values; qi_graph_clone gives the
                              * copy an aligned buffer of its own */
};

typedef struct qi_tensor {
  char *name;        /* unique in the graph; "" never used (absent optional inputs are index -1) */
  int dtype;         /* qinfer_dtype */
  int rank;          /* -1 while unknown */
  int64_t dims[QI_MAX_RANK];
  int32_t sym[QI_MAX_RANK]; /* symbolic dim name index or -1 */
  uint32_t flags;
  void *data;
  size_t nbytes;     /* bytes of data when set */
  int producer;      /* node index, -1 for inputs and constants */
  int n_consumers;   /* number of node input slots reading it (computed by qi_graph_link) */
} qi_tensor;

typedef enum qi_attr_type {
  QI_ATTR_UNDEFINED = 0,
  QI_ATTR_FLOAT = 1,
  QI_ATTR_INT = 2,
  QI_ATTR_STRING = 3,
  QI_ATTR_TENSOR = 4,
  QI_ATTR_GRAPH = 5,
  QI_ATTR_FLOATS = 6,
  QI_ATTR_INTS = 7,
  QI_ATTR_STRINGS = 8,
  QI_ATTR_TENSORS = 9,
  QI_ATTR_GRAPHS = 10,
  QI_ATTR_SPARSE_TENSOR = 11,
  QI_ATTR_SPARSE_TENSORS = 12,
  QI_ATTR_TYPE_PROTO = 13,
  QI_ATTR_TYPE_PROTOS = 14,
} qi_attr_type;

typedef struct qi_attr {
  char *name;
  qi_attr_type type;
  float f;
  int64_t i;
  char *s;          /* STRING: bytes, NUL-terminated for convenience; s_len excludes the NUL */
  size_t s_len;
  int n;            /* element count of FLOATS / INTS / STRINGS / TENSORS */
  float *floats;
  int64_t *ints;
  char **strings;
  int tensor;       /* TENSOR: index of a constant tensor in the graph (unnamed, private) */
  int *tensors;     /* TENSORS: indices */
} qi_attr;

struct qi_op;

typedef struct qi_node {
  char *name;
  char *op_type;
  char *domain;      /* "" for the default ONNX domain ("ai.onnx" is normalised to "") */
  int opset;         /* opset version in force for the node's domain */
  int n_inputs, n_outputs;
  int *inputs;       /* tensor indices; -1 for an absent optional input */
  int *outputs;      /* tensor indices; -1 for an absent optional output */
  int n_attrs;
  qi_attr *attrs;
  /* The operator implementing (domain, op_type), resolved once by the engine when the model is loaded; the IR
   * never looks inside it. */
  const struct qi_op *op;
  bool dead;         /* removed by a pass; skipped everywhere */
  int index;         /* position in its graph's nodes (set by qi_graph_add_node; nodes are never moved) */
} qi_node;

/* Attributes whose names start with this prefix are the engine's own annotations of a rewritten graph (e.g. a
 * fused activation); they are not ONNX and the writer refuses to write them. */
#define QI_INTERNAL_ATTR_PREFIX "qinfer."

typedef struct qi_graph {
  qi_tensor *tensors;
  int n_tensors, cap_tensors;
  qi_node *nodes;
  int n_nodes, cap_nodes;
  int *inputs;       /* graph inputs (tensor indices), initializers excluded */
  int n_inputs;
  int *outputs;
  int n_outputs;
  char **sym_names;  /* symbolic dimension names */
  int n_syms;
  /* opset imports */
  int n_opsets;
  char **opset_domains;
  int64_t *opset_versions;
  int64_t ir_version;
  char *producer_name;
  int *order;        /* execution order (node indices) after qi_graph_toposort */
  int n_order;
  struct qi_graph_index *index; /* while a pass keeps one (engine/ir/graph_index.h), else NULL; never cloned */
  /* File mappings the graph's constant data points into (the model file when loaded from a path, external
   * data files); unmapped by qi_graph_free. */
  struct qi_mapping {
    void *addr;
    size_t len;
    bool in_memory; /* an anonymous mapping holding a copy of the file (QI_LOAD_READ_EXTERNAL), not the file */
  } *mappings;
  int n_mappings;
} qi_graph;

/* Records a mapping to be munmap'ed with the graph. */
qi_status qi_graph_add_mapping(qi_graph *g, void *addr, size_t len, qi_error *err);

/* ---- construction (engine/ir/graph.c) ---- */
qi_graph *qi_graph_new(void);
void qi_graph_free(qi_graph *g);
/* Adds a tensor with a copy of name; returns its index or -1 on allocation failure. */
int qi_graph_add_tensor(qi_graph *g, const char *name);
/* Adds a tensor named base + suffix, or base + suffix + "_<k>" when that name is taken; its index or -1. */
int qi_graph_add_unique_tensor(qi_graph *g, const char *base, const char *suffix);
/* A malloc'ed copy of s ("" for NULL), or NULL when out of memory. */
char *qi_str_dup(const char *s);
/* Index of the tensor called name or -1. Linear scan: use only while building small graphs / in tools. */
int qi_graph_find_tensor(const qi_graph *g, const char *name);
/* Adds a node (op_type and domain copied); inputs/outputs arrays copied; returns index or -1. */
int qi_graph_add_node(qi_graph *g, const char *op_type, const char *domain, const int *inputs, int n_inputs,
                      const int *outputs, int n_outputs);
/* Appends an attribute to node; returns it (zeroed but for name and type) or NULL. */
qi_attr *qi_node_add_attr(qi_graph *g, int node, const char *name, qi_attr_type type);
/* Removes node's attribute called name (and frees it); nothing when it has none. */
void qi_node_remove_attr(qi_node *n, const char *name);
/* Sets the producer / consumer counts of every tensor; fails on a tensor produced twice. */
qi_status qi_graph_link(qi_graph *g, qi_error *err);
/* Computes g->order (Kahn); fails with QINFER_ERR_INVALID_MODEL on a cycle or an input read before it is made. */
qi_status qi_graph_toposort(qi_graph *g, qi_error *err);
/* A copy of g that a session can rewrite: its own tensors, nodes, attributes and names; constant payloads are
 * shared with g (not owned by the copy; unaligned ones are copied to aligned buffers the copy owns), so g must
 * outlive it; file mappings stay g's. NULL when out of memory. */
qi_graph *qi_graph_clone(const qi_graph *g);
/* Frees the owned payload of every constant tensor, keeping names, dtypes and shapes (a metadata-only graph). */
void qi_graph_drop_const_data(qi_graph *g);
/* Makes tensor t constant with a copy of nbytes from data (graph-owned). */
qi_status qi_tensor_set_const_copy(qi_tensor *t, int dtype, int rank, const int64_t *dims, const void *data,
                                   qi_error *err);
/* Makes tensor t constant with a fresh zeroed graph-owned buffer for its current dtype and shape. */
qi_status qi_tensor_alloc_const(qi_tensor *t, qi_error *err);

/* ---- tensor helpers ---- */
/* Bytes of one element; 0 for unknown types and for the 4-bit ones (not byte-addressable: qi_dtype_bytes). */
size_t qi_dtype_size(int dtype);
static inline bool qi_dtype_is_4bit(int dtype) { return dtype == QINFER_DTYPE_INT4 || dtype == QINFER_DTYPE_UINT4; }
/* Bytes numel elements of dtype take: numel * qi_dtype_size, or (numel + 1) / 2 for the 4-bit types (two per
 * byte, low nibble first; the high nibble of an odd count's last byte is ignored). 0 for unknown types; the
 * caller checks numel * size for overflow as before (4-bit sizes never overflow). */
static inline size_t qi_dtype_bytes(int dtype, size_t numel) {
  return qi_dtype_is_4bit(dtype) ? numel / 2 + (numel & 1) : numel * qi_dtype_size(dtype);
}
/* Value k of 4-bit data (two per byte, low nibble first): -8..7 for int4, 0..15 for uint4. */
static inline int32_t qi_int4_at(const void *bytes, int64_t k, int dtype) {
  const int32_t nib = (((const uint8_t *)bytes)[k >> 1] >> ((k & 1) * 4)) & 15;
  return dtype == QINFER_DTYPE_INT4 ? (nib ^ 8) - 8 : nib;
}
/* A type a tensor may have (qi_dtype_size > 0 or 4-bit). */
static inline bool qi_dtype_known(int dtype) { return qi_dtype_size(dtype) > 0 || qi_dtype_is_4bit(dtype); }
const char *qi_dtype_name(int dtype);
/* Product of dims; returns false on overflow or a negative dim. */
bool qi_shape_numel(int rank, const int64_t *dims, int64_t *out);
static inline int64_t qi_tensor_numel(const qi_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}
/* Saturating int64 arithmetic for statistics (MACs, parameter counts): a negative factor gives 0, overflow
 * INT64_MAX. */
static inline int64_t qi_mul_sat(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0) return 0;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}
static inline int64_t qi_add_sat(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}
/* Element count of t, saturating (0 for a negative dim). */
static inline int64_t qi_tensor_numel_sat(const qi_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n = qi_mul_sat(n, t->dims[i]);
  return n;
}
/* Element i of a uint8 / int8 / int32 tensor with data, as int32 (0 for other types). */
int32_t qi_tensor_int_at(const qi_tensor *t, int64_t i);
/* Sets dtype, rank and dims; marks SHAPED; clears symbols. */
void qi_tensor_set_shape(qi_tensor *t, int dtype, int rank, const int64_t *dims);
/* Formats "[1,3,224,224]" into buf. */
const char *qi_shape_str(int rank, const int64_t *dims, char *buf, size_t size);

/* ---- attribute lookup (NULL/default when absent) ---- */
const qi_attr *qi_node_attr(const qi_node *n, const char *name);
int64_t qi_attr_int(const qi_node *n, const char *name, int64_t dflt);
float qi_attr_float(const qi_node *n, const char *name, float dflt);
const char *qi_attr_string(const qi_node *n, const char *name, const char *dflt);
/* INTS attribute: returns element count (or -1 when absent) and sets *vals. */
int qi_attr_ints(const qi_node *n, const char *name, const int64_t **vals);
int qi_attr_floats(const qi_node *n, const char *name, const float **vals);

/* ---- node errors (engine/ir/node_error.c): one format everywhere, "node 'NAME' (OP): message", or
 * "node #INDEX (OP): message" for a node without a name ---- */
/* Records code and the printf-style message, prefixed with node n, in err (err may be NULL); returns code. */
qi_status qi_node_fail(qi_error *err, qi_status code, const qi_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prefixes node n to the message in err unless it already names n so (qi_node_fail); returns err->code. */
qi_status qi_node_error_context(const qi_node *n, qi_error *err);

/* Input / output tensor of a node, NULL when the slot is absent or out of range. */
static inline qi_tensor *qi_node_in(qi_graph *g, const qi_node *n, int i) {
  return (i < n->n_inputs && n->inputs[i] >= 0) ? &g->tensors[n->inputs[i]] : NULL;
}
static inline qi_tensor *qi_node_out(qi_graph *g, const qi_node *n, int i) {
  return (i < n->n_outputs && n->outputs[i] >= 0) ? &g->tensors[n->outputs[i]] : NULL;
}

#endif /* QI_IR_H */
