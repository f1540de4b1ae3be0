/* qi_graph -> ONNX ModelProto bytes.
 *
 * Two steps. plan_build checks the graph and decides everything that is written (node order, initializers,
 * value_info, opset imports, IR version), so that encoding cannot fail. The message is then encoded twice by the
 * same functions: once measuring (enc.p == NULL) and once into a buffer of exactly the measured size. A
 * length-delimited field needs its length before its contents, so put_msg measures a submessage before writing
 * it: a message nested k deep is measured k times (k <= 5: Model > Graph > Node > Attribute > Tensor), and
 * measuring never reads tensor data. Field numbers are those of the official onnx.proto; the ones our decoding
 * subset (loader/onnx.proto) also lists are checked against nanopb's generated tags at compile time. */
#include "engine/quant/writer/onnx_writer.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/name_map.h"
#include "onnx.pb.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ONNX writer copies tensor data as raw_data (little-endian): only little-endian hosts are supported"
#endif

#define QI_PB_MAX_MESSAGE 2147483647ull /* protobuf's limit on a serialized message (2 GiB - 1) */
#define QI_WRITER_GRAPH_NAME "qinfer"
#define QI_WRITER_DEFAULT_OPSET 17 /* "" import for a graph that imports and uses nothing of the default domain */

/* ---- field numbers (onnx/onnx.proto) ---- */

enum { WT_VARINT = 0, WT_LEN = 2, WT_I32 = 5 };

enum {
  F_MODEL_IR_VERSION = 1, F_MODEL_PRODUCER_NAME = 2, F_MODEL_PRODUCER_VERSION = 3, F_MODEL_GRAPH = 7,
  F_MODEL_OPSET_IMPORT = 8,
  F_OPSET_DOMAIN = 1, F_OPSET_VERSION = 2,
  F_GRAPH_NODE = 1, F_GRAPH_NAME = 2, F_GRAPH_INITIALIZER = 5, F_GRAPH_INPUT = 11, F_GRAPH_OUTPUT = 12,
  F_GRAPH_VALUE_INFO = 13,
  F_NODE_INPUT = 1, F_NODE_OUTPUT = 2, F_NODE_NAME = 3, F_NODE_OP_TYPE = 4, F_NODE_ATTRIBUTE = 5, F_NODE_DOMAIN = 7,
  F_ATTR_NAME = 1, F_ATTR_F = 2, F_ATTR_I = 3, F_ATTR_S = 4, F_ATTR_T = 5, F_ATTR_FLOATS = 7, F_ATTR_INTS = 8,
  F_ATTR_STRINGS = 9, F_ATTR_TENSORS = 10, F_ATTR_TYPE = 20,
  F_TENSOR_DIMS = 1, F_TENSOR_DATA_TYPE = 2, F_TENSOR_NAME = 8, F_TENSOR_RAW_DATA = 9,
  F_VALUE_INFO_NAME = 1, F_VALUE_INFO_TYPE = 2,
  F_TYPE_TENSOR_TYPE = 1, F_TENSOR_TYPE_ELEM_TYPE = 1, F_TENSOR_TYPE_SHAPE = 2,
  F_SHAPE_DIM = 1, F_DIM_VALUE = 1, F_DIM_PARAM = 2,
};

static_assert(F_MODEL_IR_VERSION == onnx_ModelProto_ir_version_tag, "onnx.proto field number");
static_assert(F_MODEL_PRODUCER_NAME == onnx_ModelProto_producer_name_tag, "onnx.proto field number");
static_assert(F_MODEL_GRAPH == onnx_ModelProto_graph_tag, "onnx.proto field number");
static_assert(F_MODEL_OPSET_IMPORT == onnx_ModelProto_opset_import_tag, "onnx.proto field number");
static_assert(F_OPSET_DOMAIN == onnx_OperatorSetIdProto_domain_tag, "onnx.proto field number");
static_assert(F_OPSET_VERSION == onnx_OperatorSetIdProto_version_tag, "onnx.proto field number");
static_assert(F_GRAPH_NODE == onnx_GraphProto_node_tag, "onnx.proto field number");
static_assert(F_GRAPH_INITIALIZER == onnx_GraphProto_initializer_tag, "onnx.proto field number");
static_assert(F_GRAPH_INPUT == onnx_GraphProto_input_tag, "onnx.proto field number");
static_assert(F_GRAPH_OUTPUT == onnx_GraphProto_output_tag, "onnx.proto field number");
static_assert(F_NODE_INPUT == onnx_NodeProto_input_tag, "onnx.proto field number");
static_assert(F_NODE_OUTPUT == onnx_NodeProto_output_tag, "onnx.proto field number");
static_assert(F_NODE_NAME == onnx_NodeProto_name_tag, "onnx.proto field number");
static_assert(F_NODE_OP_TYPE == onnx_NodeProto_op_type_tag, "onnx.proto field number");
static_assert(F_NODE_ATTRIBUTE == onnx_NodeProto_attribute_tag, "onnx.proto field number");
static_assert(F_NODE_DOMAIN == onnx_NodeProto_domain_tag, "onnx.proto field number");
static_assert(F_ATTR_NAME == onnx_AttributeProto_name_tag, "onnx.proto field number");
static_assert(F_ATTR_F == onnx_AttributeProto_f_tag, "onnx.proto field number");
static_assert(F_ATTR_I == onnx_AttributeProto_i_tag, "onnx.proto field number");
static_assert(F_ATTR_S == onnx_AttributeProto_s_tag, "onnx.proto field number");
static_assert(F_ATTR_T == onnx_AttributeProto_t_tag, "onnx.proto field number");
static_assert(F_ATTR_FLOATS == onnx_AttributeProto_floats_tag, "onnx.proto field number");
static_assert(F_ATTR_INTS == onnx_AttributeProto_ints_tag, "onnx.proto field number");
static_assert(F_ATTR_STRINGS == onnx_AttributeProto_strings_tag, "onnx.proto field number");
static_assert(F_ATTR_TENSORS == onnx_AttributeProto_tensors_tag, "onnx.proto field number");
static_assert(F_ATTR_TYPE == onnx_AttributeProto_type_tag, "onnx.proto field number");
static_assert(F_TENSOR_DIMS == onnx_TensorProto_dims_tag, "onnx.proto field number");
static_assert(F_TENSOR_DATA_TYPE == onnx_TensorProto_data_type_tag, "onnx.proto field number");
static_assert(F_TENSOR_NAME == onnx_TensorProto_name_tag, "onnx.proto field number");
static_assert(F_TENSOR_RAW_DATA == onnx_TensorProto_raw_data_tag, "onnx.proto field number");
static_assert(F_VALUE_INFO_NAME == onnx_ValueInfoProto_name_tag, "onnx.proto field number");
static_assert(F_VALUE_INFO_TYPE == onnx_ValueInfoProto_type_tag, "onnx.proto field number");
static_assert(F_TYPE_TENSOR_TYPE == onnx_TypeProto_tensor_type_tag, "onnx.proto field number");
static_assert(F_TENSOR_TYPE_ELEM_TYPE == onnx_TypeProto_Tensor_elem_type_tag, "onnx.proto field number");
static_assert(F_TENSOR_TYPE_SHAPE == onnx_TypeProto_Tensor_shape_tag, "onnx.proto field number");
static_assert(F_SHAPE_DIM == onnx_TensorShapeProto_dim_tag, "onnx.proto field number");
static_assert(F_DIM_VALUE == onnx_TensorShapeProto_Dimension_dim_value_tag, "onnx.proto field number");
static_assert(F_DIM_PARAM == onnx_TensorShapeProto_Dimension_dim_param_tag, "onnx.proto field number");

/* ---- the plan: what is written ---- */

typedef struct opset_import {
  const char *domain; /* "" for the default domain */
  int64_t version;
} opset_import;

typedef struct plan {
  const qi_graph *g;
  int *nodes, n_nodes; /* live nodes in write (execution) order */
  int *inits, n_inits; /* initializers, by tensor index */
  int *infos, n_infos; /* value_info tensors */
  opset_import *opsets;
  int n_opsets;
  int64_t ir_version;
} plan;

/* Per-tensor facts gathered while planning. */
enum {
  T_INPUT = 1u << 0,    /* graph input */
  T_PRODUCED = 1u << 1, /* output of a live node */
  T_DEFINED = 1u << 2,  /* defined before the node being checked */
  T_INIT = 1u << 3,     /* written as an initializer */
  T_OUTPUT = 1u << 4,   /* graph output */
  T_INFO = 1u << 5,     /* written as value_info */
};

static void plan_free(plan *pl) {
  free(pl->nodes);
  free(pl->inits);
  free(pl->infos);
  free(pl->opsets);
}

static qi_status oom(qi_error *err, const char *what) {
  return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "ONNX writer: out of memory (%s)", what);
}

static const char *node_label(const qi_node *n) { return n->name && n->name[0] ? n->name : "(unnamed)"; }

/* The live nodes in execution order: g->order when set (it must list every live node exactly once: a graph
 * changed after qi_graph_toposort must be sorted again), else index order. */
static qi_status plan_nodes(plan *pl, qi_error *err) {
  const qi_graph *g = pl->g;
  int n_live = 0;
  for (int i = 0; i < g->n_nodes; i++) n_live += !g->nodes[i].dead;
  pl->nodes = malloc(sizeof(int) * (size_t)(n_live + 1));
  bool *seen = calloc((size_t)g->n_nodes + 1, 1);
  if (!pl->nodes || !seen) {
    free(seen);
    return oom(err, "node order");
  }
  qi_status s = QINFER_OK;
  if (g->n_order > 0) {
    for (int k = 0; k < g->n_order && s == QINFER_OK; k++) {
      int i = g->order ? g->order[k] : -1;
      if (i < 0 || i >= g->n_nodes)
        s = qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: g->order[%d] = %d is not a node index", k, i);
      else if (seen[i])
        s = qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node %d appears twice in g->order", i);
      else if (!g->nodes[i].dead) {
        seen[i] = true;
        pl->nodes[pl->n_nodes++] = i;
      }
    }
    for (int i = 0; i < g->n_nodes && s == QINFER_OK; i++)
      if (!g->nodes[i].dead && !seen[i])
        s = qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                    "ONNX writer: node '%s' (%s) is not in g->order (the graph changed after qi_graph_toposort; "
                    "sort it again)", node_label(&g->nodes[i]), g->nodes[i].op_type ? g->nodes[i].op_type : "?");
  } else {
    for (int i = 0; i < g->n_nodes; i++)
      if (!g->nodes[i].dead) pl->nodes[pl->n_nodes++] = i;
  }
  free(seen);
  return s;
}

/* A constant written as a TensorProto (initializer or attribute value): a writable dtype, a valid shape and
 * data holding all its bytes. */
static qi_status check_const(const qi_graph *g, int t, const char *what, qi_error *err) {
  const qi_tensor *x = &g->tensors[t];
  size_t es = qi_dtype_size(x->dtype);
  int64_t numel;
  if (!qi_dtype_known(x->dtype))
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "ONNX writer: %s '%s' has data type %s (%d), which cannot be written",
                   what, x->name, qi_dtype_name(x->dtype), x->dtype);
  if (x->rank < 0 || x->rank > QI_MAX_RANK)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: %s '%s' has no valid shape (rank %d)", what, x->name,
                   x->rank);
  if (!qi_shape_numel(x->rank, x->dims, &numel) || (uint64_t)numel > SIZE_MAX / (es ? es : 1))
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "ONNX writer: %s '%s': size overflows", what, x->name);
  size_t bytes = qi_dtype_bytes(x->dtype, (size_t)numel); /* 4-bit: two per byte, as ONNX's raw_data */
  if (bytes > 0 && (!x->data || x->nbytes < bytes))
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                   "ONNX writer: %s '%s' holds %zu of its %zu bytes (constant data dropped?)", what, x->name,
                   x->data ? x->nbytes : 0, bytes);
  return QINFER_OK;
}

static qi_status check_attr(const qi_graph *g, const qi_node *n, const qi_attr *a, qi_error *err) {
  const char *node = node_label(n);
  if (!a->name || !a->name[0])
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s' (%s) has an attribute without a name",
                   node, n->op_type);
  for (const qi_attr *b = n->attrs; b < a; b++)
    if (strcmp(b->name, a->name) == 0)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s' (%s) has two attributes '%s'", node,
                     n->op_type, a->name);
  switch (a->type) {
    case QI_ATTR_FLOAT: case QI_ATTR_INT: return QINFER_OK;
    case QI_ATTR_STRING:
      return a->s || a->s_len == 0 ? QINFER_OK
                                   : qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                                             "ONNX writer: node '%s': string attribute '%s' has no bytes", node, a->name);
    case QI_ATTR_FLOATS: case QI_ATTR_INTS: case QI_ATTR_STRINGS: case QI_ATTR_TENSORS: {
      const void *items = a->type == QI_ATTR_FLOATS ? (const void *)a->floats
                          : a->type == QI_ATTR_INTS ? (const void *)a->ints
                          : a->type == QI_ATTR_STRINGS ? (const void *)a->strings
                                                       : (const void *)a->tensors;
      if (a->n < 0 || (a->n > 0 && !items))
        return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s': attribute '%s' has %d missing values",
                       node, a->name, a->n);
      for (int k = 0; k < a->n; k++) {
        if (a->type == QI_ATTR_STRINGS && !a->strings[k])
          return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s': attribute '%s' string %d is NULL",
                         node, a->name, k);
        if (a->type != QI_ATTR_TENSORS) continue;
        if (a->tensors[k] < 0 || a->tensors[k] >= g->n_tensors)
          return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s': attribute '%s' tensor %d is out of range",
                         node, a->name, k);
        QI_CHECK(check_const(g, a->tensors[k], "attribute tensor", err));
      }
      return QINFER_OK;
    }
    case QI_ATTR_TENSOR:
      if (a->tensor < 0 || a->tensor >= g->n_tensors)
        return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s': attribute '%s' has no tensor", node,
                       a->name);
      return check_const(g, a->tensor, "attribute tensor", err);
    case QI_ATTR_GRAPH: case QI_ATTR_GRAPHS:
      return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                     "ONNX writer: node '%s' (%s): attribute '%s' holds a graph, which qinfer does not keep and "
                     "cannot write", node, n->op_type, a->name);
    case QI_ATTR_SPARSE_TENSOR: case QI_ATTR_SPARSE_TENSORS: case QI_ATTR_TYPE_PROTO: case QI_ATTR_TYPE_PROTOS:
      return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                     "ONNX writer: node '%s' (%s): attribute '%s' has type %d, whose value qinfer does not keep and "
                     "cannot write", node, n->op_type, a->name, (int)a->type);
    default:
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s': attribute '%s' has invalid type %d",
                     node, a->name, (int)a->type);
  }
}

/* Checks a node's fields and tensor indices; marks its outputs produced. */
static qi_status check_node(const plan *pl, const qi_node *n, uint8_t *st, qi_error *err) {
  const qi_graph *g = pl->g;
  if (!n->op_type || !n->op_type[0])
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s' has no op_type", node_label(n));
  if (!n->domain || (n->n_inputs > 0 && !n->inputs) || (n->n_outputs > 0 && !n->outputs) ||
      (n->n_attrs > 0 && !n->attrs) || n->n_inputs < 0 || n->n_outputs < 0 || n->n_attrs < 0)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s' (%s) is malformed", node_label(n),
                   n->op_type);
  for (int a = 0; a < n->n_attrs; a++)
    if (n->attrs[a].name && strncmp(n->attrs[a].name, QI_INTERNAL_ATTR_PREFIX, strlen(QI_INTERNAL_ATTR_PREFIX)) == 0)
      return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                     "ONNX writer: node '%s' (%s) carries the engine's own annotation '%s' (e.g. a fused activation "
                     "set by a pass), which ONNX cannot express: write the graph before the passes", node_label(n),
                     n->op_type, n->attrs[a].name);
  for (int k = 0; k < n->n_inputs + n->n_outputs; k++) {
    int t = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
    if (t < -1 || t >= g->n_tensors)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: node '%s' (%s): tensor index %d is out of range",
                     node_label(n), n->op_type, t);
  }
  for (int k = 0; k < n->n_outputs; k++) {
    int t = n->outputs[k];
    if (t < 0) continue;
    if (st[t] & (T_PRODUCED | T_INPUT))
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: tensor '%s' is %s and also produced by node '%s' (%s)",
                     g->tensors[t].name, (st[t] & T_INPUT) ? "a graph input" : "produced by another node",
                     node_label(n), n->op_type);
    st[t] |= T_PRODUCED;
  }
  for (int a = 0; a < n->n_attrs; a++) QI_CHECK(check_attr(g, n, &n->attrs[a], err));
  return QINFER_OK;
}

/* A tensor that is read (by a node or as a graph output) must be defined by then: a graph input, an earlier
 * node's output or a constant, which becomes an initializer. */
static qi_status define_read(const plan *pl, int t, uint8_t *st, const char *reader, qi_error *err) {
  const qi_tensor *x = &pl->g->tensors[t];
  if (st[t] & T_DEFINED) return QINFER_OK;
  if (st[t] & T_PRODUCED)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                   "ONNX writer: %s reads '%s' before the node that produces it (nodes are not in topological order: "
                   "run qi_graph_toposort)", reader, x->name);
  if (!(x->flags & QI_TF_CONST))
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                   "ONNX writer: %s reads '%s', which no node, graph input or constant defines", reader, x->name);
  QI_CHECK(check_const(pl->g, t, "initializer", err));
  st[t] |= T_DEFINED | T_INIT;
  return QINFER_OK;
}

/* A graph input, output or value_info: a valid rank and symbol indices, and a dtype for inputs. */
static qi_status check_value(const qi_graph *g, int t, const char *what, bool need_dtype, qi_error *err) {
  const qi_tensor *x = &g->tensors[t];
  if (x->rank < -1 || x->rank > QI_MAX_RANK)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: %s '%s' has rank %d", what, x->name, x->rank);
  if (need_dtype && x->dtype == QINFER_DTYPE_UNDEFINED)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: %s '%s' has no data type", what, x->name);
  for (int d = 0; d < x->rank; d++) {
    int32_t s = x->sym[d];
    if (s >= g->n_syms || (s >= 0 && (!g->sym_names || !g->sym_names[s] || !g->sym_names[s][0])) || s < -1)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: %s '%s': dimension %d has an invalid symbol %d",
                     what, x->name, d, (int)s);
  }
  return QINFER_OK;
}

/* Every tensor the file names must have a non-empty name that no other written tensor has. */
static qi_status check_names(plan *pl, const uint8_t *st, qi_error *err) {
  const qi_graph *g = pl->g;
  qi_name_map names;
  qi_name_map_init(&names);
  qi_status s = QINFER_OK;
  for (int t = 0; t < g->n_tensors && s == QINFER_OK; t++) {
    if (!(st[t] & (T_INPUT | T_PRODUCED | T_INIT | T_OUTPUT))) continue;
    const char *name = g->tensors[t].name;
    size_t len = name ? strlen(name) : 0;
    if (len == 0)
      s = qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: tensor %d has no name", t);
    else if (qi_name_map_get(&names, name, len) >= 0)
      s = qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: two tensors are called '%s'", name);
    else if (!qi_name_map_put(&names, name, len, t))
      s = oom(err, "name map");
  }
  qi_name_map_free(&names);
  return s;
}

/* Smallest IR version that goes with an opset version of the default domain (onnx/docs/Versioning.md). */
static int64_t ir_for_opset(int64_t opset) {
  static const struct {
    int64_t opset, ir;
  } table[] = {{9, 4}, {10, 5}, {11, 6}, {12, 7}, {15, 8}, {19, 9}, {21, 10}, {23, 11}};
  int64_t ir = 3;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (opset >= table[i].opset) ir = table[i].ir;
  return ir;
}

static int find_opset(const plan *pl, const char *domain) {
  for (int i = 0; i < pl->n_opsets; i++)
    if (strcmp(pl->opsets[i].domain, domain) == 0) return i;
  return -1;
}

/* The graph's opset imports ("ai.onnx" written as ""), plus every domain a live node uses that is not imported
 * (at the highest opset its nodes carry, at least 1); the default domain is always imported. Then the IR
 * version: the graph's (8 when unset), raised to what the default opset needs and to at least 4 (initializers
 * that are not graph inputs). */
static qi_status plan_opsets(plan *pl, qi_error *err) {
  const qi_graph *g = pl->g;
  pl->opsets = malloc(sizeof(opset_import) * ((size_t)g->n_opsets + (size_t)pl->n_nodes + 1));
  if (!pl->opsets) return oom(err, "opset imports");
  for (int i = 0; i < g->n_opsets; i++) {
    const char *d = g->opset_domains && g->opset_domains[i] ? g->opset_domains[i] : NULL;
    if (!d || !g->opset_versions || g->opset_versions[i] < 1)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: opset import %d is invalid", i);
    if (strcmp(d, "ai.onnx") == 0) d = "";
    if (find_opset(pl, d) >= 0)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: domain '%s' is imported twice", d);
    pl->opsets[pl->n_opsets++] = (opset_import){d, g->opset_versions[i]};
  }
  int first_added = pl->n_opsets;
  for (int k = 0; k < pl->n_nodes; k++) {
    const qi_node *n = &g->nodes[pl->nodes[k]];
    int i = find_opset(pl, n->domain);
    if (i < 0) {
      i = pl->n_opsets++;
      pl->opsets[i] = (opset_import){n->domain, 1};
    }
    if (i >= first_added && n->opset > pl->opsets[i].version) pl->opsets[i].version = n->opset;
  }
  if (find_opset(pl, "") < 0) pl->opsets[pl->n_opsets++] = (opset_import){"", QI_WRITER_DEFAULT_OPSET};
  int64_t ir = g->ir_version > 0 ? g->ir_version : 8;
  int64_t need = ir_for_opset(pl->opsets[find_opset(pl, "")].version);
  pl->ir_version = ir > need ? ir : need;
  if (pl->ir_version < 4) pl->ir_version = 4;
  return QINFER_OK;
}

/* Collects the indices of the tensors whose state has bit, in index order. */
static qi_status collect(const qi_graph *g, const uint8_t *st, unsigned bit, int **out, int *n, qi_error *err) {
  *out = malloc(sizeof(int) * ((size_t)g->n_tensors + 1));
  if (!*out) return oom(err, "tensor list");
  *n = 0;
  for (int t = 0; t < g->n_tensors; t++)
    if (st[t] & bit) (*out)[(*n)++] = t;
  return QINFER_OK;
}

/* Graph inputs or outputs: indices in range, each listed once; marks them with bit. */
static qi_status mark_list(const qi_graph *g, const int *list, int n, unsigned bit, const char *what, uint8_t *st,
                           qi_error *err) {
  for (int i = 0; i < n; i++) {
    int t = list[i];
    if (t < 0 || t >= g->n_tensors)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: %s %d is out of range", what, t);
    if (st[t] & bit)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: %s '%s' is listed twice", what, g->tensors[t].name);
    st[t] |= (uint8_t)bit;
  }
  return QINFER_OK;
}

static qi_status plan_build(plan *pl, const qi_graph *g, qi_error *err) {
  memset(pl, 0, sizeof *pl);
  pl->g = g;
  if (g->n_tensors < 0 || g->n_nodes < 0 || (g->n_tensors > 0 && !g->tensors) || (g->n_nodes > 0 && !g->nodes) ||
      g->n_inputs < 0 || g->n_outputs < 0 || (g->n_inputs > 0 && !g->inputs) || (g->n_outputs > 0 && !g->outputs))
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: malformed graph");
  if (g->n_outputs == 0) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "ONNX writer: the graph has no outputs");
  QI_CHECK(plan_nodes(pl, err));
  uint8_t *st = calloc((size_t)g->n_tensors + 1, 1);
  if (!st) return oom(err, "tensor states");
  qi_status s = mark_list(g, g->inputs, g->n_inputs, T_INPUT, "graph input", st, err);
  for (int i = 0; i < g->n_inputs && s == QINFER_OK; i++) {
    st[g->inputs[i]] |= T_DEFINED;
    s = check_value(g, g->inputs[i], "graph input", true, err);
  }
  for (int k = 0; k < pl->n_nodes && s == QINFER_OK; k++) s = check_node(pl, &g->nodes[pl->nodes[k]], st, err);
  for (int k = 0; k < pl->n_nodes && s == QINFER_OK; k++) {
    const qi_node *n = &g->nodes[pl->nodes[k]];
    char reader[160];
    snprintf(reader, sizeof reader, "node '%s' (%s)", node_label(n), n->op_type);
    for (int i = 0; i < n->n_inputs && s == QINFER_OK; i++)
      if (n->inputs[i] >= 0) s = define_read(pl, n->inputs[i], st, reader, err);
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] >= 0) st[n->outputs[o]] |= T_DEFINED;
  }
  if (s == QINFER_OK) s = mark_list(g, g->outputs, g->n_outputs, T_OUTPUT, "graph output", st, err);
  for (int i = 0; i < g->n_outputs && s == QINFER_OK; i++) {
    s = define_read(pl, g->outputs[i], st, "a graph output", err);
    if (s == QINFER_OK) s = check_value(g, g->outputs[i], "graph output", false, err);
  }
  /* value_info: shaped computed tensors other than graph outputs (informative for tools and ORT). */
  for (int t = 0; t < g->n_tensors && s == QINFER_OK; t++) {
    const qi_tensor *x = &g->tensors[t];
    bool info = (st[t] & T_PRODUCED) && !(st[t] & T_OUTPUT) && (x->flags & QI_TF_SHAPED) &&
                x->dtype != QINFER_DTYPE_UNDEFINED && x->rank >= 0;
    if (info && (s = check_value(g, t, "value", false, err)) == QINFER_OK) st[t] |= T_INFO;
  }
  if (s == QINFER_OK) s = check_names(pl, st, err);
  if (s == QINFER_OK) s = collect(g, st, T_INIT, &pl->inits, &pl->n_inits, err);
  if (s == QINFER_OK) s = collect(g, st, T_INFO, &pl->infos, &pl->n_infos, err);
  free(st);
  if (s == QINFER_OK) s = plan_opsets(pl, err);
  return s;
}

/* ---- encoding ---- */

typedef struct enc {
  uint8_t *p; /* NULL while measuring */
  uint64_t n; /* bytes written (or counted) */
} enc;

typedef void (*msg_fn)(enc *e, const plan *pl, const void *item);

static void put_raw(enc *e, const void *src, size_t len) {
  if (e->p && len) memcpy(e->p + e->n, src, len);
  e->n += len;
}

static void put_varint(enc *e, uint64_t v) {
  uint8_t b[10];
  size_t k = 0;
  while (v >= 0x80) {
    b[k++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[k++] = (uint8_t)v;
  put_raw(e, b, k);
}

static void put_key(enc *e, int field, int wire_type) { put_varint(e, (uint64_t)field << 3 | (uint64_t)wire_type); }

/* int32/int64/enum fields: negative values take ten bytes (two's complement as uint64). */
static void put_int(enc *e, int field, int64_t v) {
  put_key(e, field, WT_VARINT);
  put_varint(e, (uint64_t)v);
}

static void put_float(enc *e, int field, float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
  put_key(e, field, WT_I32);
  put_raw(e, b, sizeof b);
}

static void put_bytes(enc *e, int field, const void *p, size_t len) {
  put_key(e, field, WT_LEN);
  put_varint(e, len);
  put_raw(e, p, len);
}

static void put_str(enc *e, int field, const char *s) { put_bytes(e, field, s, strlen(s)); }

static void put_msg(enc *e, int field, msg_fn fn, const plan *pl, const void *item) {
  enc m = {NULL, 0};
  fn(&m, pl, item);
  put_key(e, field, WT_LEN);
  put_varint(e, m.n);
  if (!e->p) {
    e->n += m.n;
    return;
  }
  enc w = {e->p + e->n, 0};
  fn(&w, pl, item);
  assert(w.n == m.n);
  e->n += w.n;
}

/* TensorProto: dims, data_type, [name], raw_data (check_const guaranteed the bytes). */
static void enc_tensor_body(enc *e, const qi_tensor *x, bool named) {
  for (int d = 0; d < x->rank; d++) put_int(e, F_TENSOR_DIMS, x->dims[d]);
  put_int(e, F_TENSOR_DATA_TYPE, x->dtype);
  if (named) put_str(e, F_TENSOR_NAME, x->name);
  int64_t numel = 1;
  for (int d = 0; d < x->rank; d++) numel *= x->dims[d];
  put_bytes(e, F_TENSOR_RAW_DATA, x->data, qi_dtype_bytes(x->dtype, (size_t)numel));
}

static void enc_initializer(enc *e, const plan *pl, const void *item) {
  (void)pl;
  enc_tensor_body(e, item, true);
}

/* Attribute tensors are private to their attribute: their IR names ("<node>:<attr>") are not written. */
static void enc_attr_tensor(enc *e, const plan *pl, const void *item) {
  (void)pl;
  enc_tensor_body(e, item, false);
}

static void enc_attr(enc *e, const plan *pl, const void *item) {
  const qi_attr *a = item;
  const qi_tensor *tensors = pl->g->tensors;
  put_str(e, F_ATTR_NAME, a->name);
  switch (a->type) {
    case QI_ATTR_FLOAT: put_float(e, F_ATTR_F, a->f); break;
    case QI_ATTR_INT: put_int(e, F_ATTR_I, a->i); break;
    case QI_ATTR_STRING: put_bytes(e, F_ATTR_S, a->s, a->s_len); break;
    case QI_ATTR_TENSOR: put_msg(e, F_ATTR_T, enc_attr_tensor, pl, &tensors[a->tensor]); break;
    case QI_ATTR_FLOATS:
      for (int k = 0; k < a->n; k++) put_float(e, F_ATTR_FLOATS, a->floats[k]);
      break;
    case QI_ATTR_INTS:
      for (int k = 0; k < a->n; k++) put_int(e, F_ATTR_INTS, a->ints[k]);
      break;
    case QI_ATTR_STRINGS:
      for (int k = 0; k < a->n; k++) put_str(e, F_ATTR_STRINGS, a->strings[k]);
      break;
    case QI_ATTR_TENSORS:
      for (int k = 0; k < a->n; k++) put_msg(e, F_ATTR_TENSORS, enc_attr_tensor, pl, &tensors[a->tensors[k]]);
      break;
    default: assert(!"attribute type refused by check_attr"); break;
  }
  put_int(e, F_ATTR_TYPE, a->type);
}

/* Tensor names of a node's inputs or outputs; an absent one is "", trailing absent ones are dropped. */
static void put_names(enc *e, const plan *pl, int field, const int *idx, int n) {
  while (n > 0 && idx[n - 1] < 0) n--;
  for (int k = 0; k < n; k++) put_str(e, field, idx[k] >= 0 ? pl->g->tensors[idx[k]].name : "");
}

static void enc_node(enc *e, const plan *pl, const void *item) {
  const qi_node *n = item;
  put_names(e, pl, F_NODE_INPUT, n->inputs, n->n_inputs);
  put_names(e, pl, F_NODE_OUTPUT, n->outputs, n->n_outputs);
  if (n->name && n->name[0]) put_str(e, F_NODE_NAME, n->name);
  put_str(e, F_NODE_OP_TYPE, n->op_type);
  for (int a = 0; a < n->n_attrs; a++) put_msg(e, F_NODE_ATTRIBUTE, enc_attr, pl, &n->attrs[a]);
  if (n->domain[0]) put_str(e, F_NODE_DOMAIN, n->domain);
}

typedef struct dim_item {
  const qi_tensor *x;
  int d;
} dim_item;

/* A symbolic dim by name, a known one by value, an unknown one as an empty Dimension. */
static void enc_dim(enc *e, const plan *pl, const void *item) {
  const dim_item *di = item;
  int32_t s = di->x->sym[di->d];
  if (s >= 0) put_str(e, F_DIM_PARAM, pl->g->sym_names[s]);
  else if (di->x->dims[di->d] >= 0) put_int(e, F_DIM_VALUE, di->x->dims[di->d]);
}

static void enc_shape(enc *e, const plan *pl, const void *item) {
  const qi_tensor *x = item;
  for (int d = 0; d < x->rank; d++) put_msg(e, F_SHAPE_DIM, enc_dim, pl, &(dim_item){x, d});
}

static void enc_tensor_type(enc *e, const plan *pl, const void *item) {
  const qi_tensor *x = item;
  put_int(e, F_TENSOR_TYPE_ELEM_TYPE, x->dtype);
  if (x->rank >= 0) put_msg(e, F_TENSOR_TYPE_SHAPE, enc_shape, pl, x);
}

static void enc_type(enc *e, const plan *pl, const void *item) { put_msg(e, F_TYPE_TENSOR_TYPE, enc_tensor_type, pl, item); }

/* ValueInfoProto; the type is left out when the element type is unknown (a graph output nothing declared). */
static void enc_value_info(enc *e, const plan *pl, const void *item) {
  const qi_tensor *x = item;
  put_str(e, F_VALUE_INFO_NAME, x->name);
  if (x->dtype != QINFER_DTYPE_UNDEFINED) put_msg(e, F_VALUE_INFO_TYPE, enc_type, pl, x);
}

static void enc_graph(enc *e, const plan *pl, const void *item) {
  (void)item;
  const qi_graph *g = pl->g;
  for (int k = 0; k < pl->n_nodes; k++) put_msg(e, F_GRAPH_NODE, enc_node, pl, &g->nodes[pl->nodes[k]]);
  put_str(e, F_GRAPH_NAME, QI_WRITER_GRAPH_NAME);
  for (int k = 0; k < pl->n_inits; k++) put_msg(e, F_GRAPH_INITIALIZER, enc_initializer, pl, &g->tensors[pl->inits[k]]);
  for (int k = 0; k < g->n_inputs; k++) put_msg(e, F_GRAPH_INPUT, enc_value_info, pl, &g->tensors[g->inputs[k]]);
  for (int k = 0; k < g->n_outputs; k++) put_msg(e, F_GRAPH_OUTPUT, enc_value_info, pl, &g->tensors[g->outputs[k]]);
  for (int k = 0; k < pl->n_infos; k++) put_msg(e, F_GRAPH_VALUE_INFO, enc_value_info, pl, &g->tensors[pl->infos[k]]);
}

static void enc_opset(enc *e, const plan *pl, const void *item) {
  (void)pl;
  const opset_import *o = item;
  if (o->domain[0]) put_str(e, F_OPSET_DOMAIN, o->domain);
  put_int(e, F_OPSET_VERSION, o->version);
}

static void enc_model(enc *e, const plan *pl, const void *item) {
  (void)item;
  put_int(e, F_MODEL_IR_VERSION, pl->ir_version);
  put_str(e, F_MODEL_PRODUCER_NAME, "qinfer");
  put_str(e, F_MODEL_PRODUCER_VERSION, qinfer_version());
  put_msg(e, F_MODEL_GRAPH, enc_graph, pl, NULL);
  for (int k = 0; k < pl->n_opsets; k++) put_msg(e, F_MODEL_OPSET_IMPORT, enc_opset, pl, &pl->opsets[k]);
}

/* ---- entry points ---- */

qi_status qi_onnx_write(const qi_graph *g, uint8_t **out, size_t *out_size, qi_error *err) {
  qi_error local;
  if (!err) err = &local;
  qi_error_clear(err);
  if (!out || !out_size) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "qi_onnx_write: NULL argument");
  *out = NULL;
  *out_size = 0;
  if (!g) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "qi_onnx_write: NULL graph");
  plan pl;
  qi_status s = plan_build(&pl, g, err);
  if (s != QINFER_OK) {
    plan_free(&pl);
    return s;
  }
  enc m = {NULL, 0};
  enc_model(&m, &pl, NULL);
  if (m.n > QI_PB_MAX_MESSAGE) {
    plan_free(&pl);
    return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                   "ONNX writer: the model would take %llu bytes, over protobuf's 2 GiB limit (writing weights as "
                   "external data is not supported)", (unsigned long long)m.n);
  }
  uint8_t *buf = malloc(m.n ? (size_t)m.n : 1);
  if (!buf) {
    plan_free(&pl);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "ONNX writer: cannot allocate %llu bytes for the model",
                   (unsigned long long)m.n);
  }
  enc w = {buf, 0};
  enc_model(&w, &pl, NULL);
  plan_free(&pl);
  assert(w.n == m.n);
  *out = buf;
  *out_size = (size_t)w.n;
  return QINFER_OK;
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    n -= (size_t)k;
  }
  return true;
}

/* Writes buf to a new temporary file next to path (same file system, so rename is atomic), then renames it. */
static qi_status write_atomically(const char *path, const uint8_t *buf, size_t size, qi_error *err) {
  static atomic_uint counter;
  size_t cap = strlen(path) + 64;
  char *tmp = malloc(cap);
  if (!tmp) return oom(err, "file name");
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    snprintf(tmp, cap, "%s.tmp-%ld-%u", path, (long)getpid(), atomic_fetch_add(&counter, 1u));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666); /* the umask applies */
    if (fd < 0 && errno != EEXIST) break;
  }
  qi_status s = QINFER_OK;
  if (fd < 0) {
    s = qi_fail(err, QINFER_ERR_IO, "cannot write '%s': cannot create a file in its folder (%s)", path, strerror(errno));
    free(tmp);
    return s;
  }
  const char *step = NULL;
  if (!write_all(fd, buf, size)) step = "write";
  else if (fsync(fd) != 0) step = "fsync";
  int saved = errno;
  if (close(fd) != 0 && !step) {
    step = "close";
    saved = errno;
  }
  if (!step && rename(tmp, path) != 0) {
    step = "rename";
    saved = errno;
  }
  if (step) {
    unlink(tmp);
    s = qi_fail(err, QINFER_ERR_IO, "cannot write '%s': %s failed (%s)", path, step, strerror(saved));
  }
  free(tmp);
  return s;
}

qi_status qi_onnx_write_file(const qi_graph *g, const char *path, qi_error *err) {
  qi_error local;
  if (!err) err = &local;
  if (!path || !path[0]) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "qi_onnx_write_file: no path");
  uint8_t *buf;
  size_t size;
  QI_CHECK(qi_onnx_write(g, &buf, &size, err));
  qi_status s = write_atomically(path, buf, size, err);
  free(buf);
  return s;
}
