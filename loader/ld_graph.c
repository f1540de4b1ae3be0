/* GraphProto -> qi_graph: initializers, graph inputs, node outputs, nodes, graph outputs, in that order, so that
 * every name a node reads is known when the node is built whatever the order of nodes in the file. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader_internal.h"

#define QI_MAX_NODE_ARGS (1 << 20) /* inputs or outputs of one node; anything above is hostile */

/* ---- decoding ---- */

typedef struct graph_msg {
  qi_ld *ld;
  qi_vec nodes, inits, inputs, outputs; /* qi_span each */
  int n_sparse;
} graph_msg;

static bool graph_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  graph_msg *m = *arg;
  qi_span sp;
  qi_vec *dst = field->tag == onnx_GraphProto_node_tag          ? &m->nodes
                : field->tag == onnx_GraphProto_initializer_tag ? &m->inits
                : field->tag == onnx_GraphProto_input_tag       ? &m->inputs
                : field->tag == onnx_GraphProto_output_tag      ? &m->outputs
                                                                : NULL;
  if (field->tag == onnx_GraphProto_sparse_initializer_tag) m->n_sparse++;
  return qi_ld_take_span(m->ld, stream, &sp, "graph field") && (!dst || qi_vec_push(m->ld, dst, &sp));
}

typedef struct node_msg {
  qi_ld *ld;
  qi_span name, op_type, domain;
  qi_vec inputs, outputs, attrs; /* qi_span each */
} node_msg;

static bool node_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  node_msg *m = *arg;
  qi_span sp;
  switch (field->tag) {
    case onnx_NodeProto_name_tag: return qi_ld_take_span(m->ld, stream, &m->name, "node name");
    case onnx_NodeProto_op_type_tag: return qi_ld_take_span(m->ld, stream, &m->op_type, "node op_type");
    case onnx_NodeProto_domain_tag: return qi_ld_take_span(m->ld, stream, &m->domain, "node domain");
    case onnx_NodeProto_input_tag:
      return qi_ld_take_span(m->ld, stream, &sp, "node input") && qi_vec_push(m->ld, &m->inputs, &sp);
    case onnx_NodeProto_output_tag:
      return qi_ld_take_span(m->ld, stream, &sp, "node output") && qi_vec_push(m->ld, &m->outputs, &sp);
    case onnx_NodeProto_attribute_tag:
      return qi_ld_take_span(m->ld, stream, &sp, "node attribute") && qi_vec_push(m->ld, &m->attrs, &sp);
    default: return qi_ld_fail(m->ld, QINFER_ERR_INVALID_MODEL, "node: unexpected field %u", (unsigned)field->tag);
  }
}

/* Decodes a NodeProto into m (vectors reused); outputs_only skips everything but the outputs. */
static bool node_msg_decode(qi_ld *ld, qi_span span, node_msg *m, bool outputs_only) {
  m->name = m->op_type = m->domain = (qi_span){0};
  m->inputs.n = m->outputs.n = m->attrs.n = 0;
  onnx_NodeProto pb = onnx_NodeProto_init_zero;
  pb_callback_t *cbs[] = {&pb.output, &pb.input, &pb.name, &pb.op_type, &pb.domain, &pb.attribute};
  for (size_t i = 0; i < (outputs_only ? 1 : sizeof cbs / sizeof cbs[0]); i++) {
    cbs[i]->funcs.decode = node_cb;
    cbs[i]->arg = m;
  }
  if (!qi_ld_decode_span(ld, span, onnx_NodeProto_fields, &pb, "node")) return false;
  if (m->inputs.n > QI_MAX_NODE_ARGS || m->outputs.n > QI_MAX_NODE_ARGS)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "a node has more than %d inputs or outputs", QI_MAX_NODE_ARGS);
  return true;
}

/* ValueInfoProto: name, element type and shape. */
typedef struct vinfo_msg {
  qi_ld *ld;
  onnx_ValueInfoProto pb;
  qi_span name;
  int rank; /* dims seen; may exceed QI_MAX_RANK (refused later) */
  int64_t dims[QI_MAX_RANK];
  qi_span params[QI_MAX_RANK];
} vinfo_msg;

typedef struct dim_msg {
  qi_ld *ld;
  qi_span param;
} dim_msg;

static bool dim_param_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  (void)field;
  dim_msg *d = *arg;
  return qi_ld_take_span(d->ld, stream, &d->param, "dim_param");
}

static bool vinfo_dim_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  (void)field;
  vinfo_msg *m = *arg;
  dim_msg d = {m->ld, {0}};
  onnx_TensorShapeProto_Dimension pb = onnx_TensorShapeProto_Dimension_init_zero;
  pb.dim_param.funcs.decode = dim_param_cb;
  pb.dim_param.arg = &d;
  if (!qi_ld_decode(m->ld, stream, onnx_TensorShapeProto_Dimension_fields, &pb, "shape dimension")) return false;
  if (pb.has_dim_value && pb.dim_value < 0)
    return qi_ld_fail(m->ld, QINFER_ERR_INVALID_MODEL, "shape dimension %d is negative (%lld)", m->rank,
                      (long long)pb.dim_value);
  if (m->rank < QI_MAX_RANK) {
    m->dims[m->rank] = pb.has_dim_value ? pb.dim_value : -1;
    m->params[m->rank] = pb.has_dim_value ? (qi_span){0} : d.param;
  }
  if (m->rank < INT_MAX) m->rank++;
  return true;
}

static bool vinfo_name_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  (void)field;
  vinfo_msg *m = *arg;
  return qi_ld_take_span(m->ld, stream, &m->name, "value name");
}

static bool vinfo_decode(qi_ld *ld, qi_span span, vinfo_msg *m, const char *what) {
  memset(m, 0, sizeof *m);
  m->ld = ld;
  m->pb = (onnx_ValueInfoProto)onnx_ValueInfoProto_init_zero;
  m->pb.name.funcs.decode = vinfo_name_cb;
  m->pb.name.arg = m;
  m->pb.type.tensor_type.shape.dim.funcs.decode = vinfo_dim_cb;
  m->pb.type.tensor_type.shape.dim.arg = m;
  return qi_ld_decode_span(ld, span, onnx_ValueInfoProto_fields, &m->pb, what);
}

/* ---- names ---- */

/* Index of the tensor an ONNX name refers to, or -1 (private attribute tensors are never found). */
static int lookup_named(const qi_ld *ld, qi_span name) {
  int t = qi_name_map_get(&ld->names, (const char *)name.p, name.len);
  return t < ld->n_named ? t : -1;
}

/* Adds a tensor called name (a span already checked to be absent) and indexes it. */
static int add_named(qi_ld *ld, qi_span name, const char *what) {
  char *s = qi_ld_strdup(ld, name, what);
  if (!s) return -1;
  int t = qi_graph_add_tensor(ld->g, s);
  free(s);
  if (t < 0) {
    qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory adding tensor");
    return -1;
  }
  const char *key = ld->g->tensors[t].name;
  if (!qi_name_map_put(&ld->names, key, name.len, t)) {
    qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory indexing tensor names");
    return -1;
  }
  return t;
}

/* Index of the symbolic dimension called name in g->sym_names, added when new; -1 on failure. */
static int intern_sym(qi_ld *ld, qi_span name) {
  int i = qi_name_map_get(&ld->syms, (const char *)name.p, name.len);
  if (i >= 0) return i;
  qi_graph *g = ld->g;
  char *s = qi_ld_strdup(ld, name, "dim_param");
  if (!s) return -1;
  char **names = realloc(g->sym_names, sizeof *names * (size_t)(g->n_syms + 1));
  if (!names) {
    free(s);
    qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  g->sym_names = names;
  names[g->n_syms] = s;
  if (!qi_name_map_put(&ld->syms, s, name.len, g->n_syms)) {
    g->n_syms++; /* owned by the graph either way */
    qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  return g->n_syms++;
}

/* Gives tensor t the type of m: element type and, when a shape is present, rank and dims (dim_param -> -1 with a
 * symbol; an empty dimension -> -1). required: a missing type is an error (graph inputs). */
static bool apply_type(qi_ld *ld, const vinfo_msg *m, int t, const char *what, bool required) {
  const char *name = ld->g->tensors[t].name;
  const onnx_TypeProto *type = &m->pb.type;
  if (!m->pb.has_type)
    return required ? qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "%s '%s' has no type", what, name) : true;
  if (!type->has_tensor_type)
    return qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "%s '%s' is not a tensor (sequence, map or optional)", what, name);
  int64_t dtype = type->tensor_type.has_elem_type ? type->tensor_type.elem_type : 0;
  if ((required || dtype != 0) && !qi_ld_check_dtype(ld, dtype, what, name)) return false;
  int rank = -1;
  int64_t dims[QI_MAX_RANK];
  int32_t sym[QI_MAX_RANK];
  if (type->tensor_type.has_shape) {
    if (m->rank > QI_MAX_RANK)
      return qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "%s '%s' has rank %d; at most %d is supported", what, name,
                        m->rank, QI_MAX_RANK);
    rank = m->rank;
    for (int d = 0; d < rank; d++) {
      dims[d] = m->dims[d];
      sym[d] = m->params[d].len ? intern_sym(ld, m->params[d]) : -1;
      if (m->params[d].len && sym[d] < 0) return false;
    }
  }
  qi_tensor *x = &ld->g->tensors[t];
  x->dtype = (int)dtype;
  x->rank = rank;
  for (int d = 0; d < QI_MAX_RANK; d++) {
    x->dims[d] = d < rank ? dims[d] : 0;
    x->sym[d] = d < rank ? sym[d] : -1;
  }
  return true;
}

/* ---- building ---- */

int64_t qi_ld_opset(const qi_ld *ld, const char *domain) {
  if (strcmp(domain, "ai.onnx") == 0) domain = "";
  for (int i = 0; i < ld->g->n_opsets; i++)
    if (strcmp(ld->g->opset_domains[i], domain) == 0) return ld->g->opset_versions[i];
  return -1;
}

static bool add_initializers(qi_ld *ld, const qi_vec *spans) {
  for (size_t i = 0; i < spans->n; i++) {
    qi_tensor_msg tm;
    bool ok = qi_tensor_msg_decode(ld, QI_VEC_AT(spans, qi_span, i), &tm, "initializer");
    if (ok && tm.name.len == 0) ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "initializer #%zu has no name", i);
    if (ok && lookup_named(ld, tm.name) >= 0)
      ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "initializer '%.*s' is defined twice", (int)tm.name.len,
                      (const char *)tm.name.p);
    int t = ok ? add_named(ld, tm.name, "initializer name") : -1;
    ld->n_named = ld->g->n_tensors;
    ok = t >= 0 && qi_ld_fill_tensor(ld, &tm, t);
    qi_tensor_msg_free(&tm);
    if (!ok) return false;
  }
  return true;
}

/* Graph inputs that are not initializers (IR < 4 lists initializers as inputs too). */
static bool add_inputs(qi_ld *ld, const qi_vec *spans) {
  qi_graph *g = ld->g;
  if (spans->n && !(g->inputs = malloc(sizeof(int) * spans->n)))
    return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < spans->n; i++) {
    vinfo_msg m;
    if (!vinfo_decode(ld, QI_VEC_AT(spans, qi_span, i), &m, "graph input")) return false;
    if (m.name.len == 0) return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "graph input #%zu has no name", i);
    int t = lookup_named(ld, m.name);
    if (t >= 0 && (g->tensors[t].flags & QI_TF_CONST)) continue;
    if (t >= 0)
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "graph input '%s' is listed twice", g->tensors[t].name);
    if ((t = add_named(ld, m.name, "graph input name")) < 0) return false;
    ld->n_named = g->n_tensors;
    g->tensors[t].flags |= QI_TF_INPUT;
    g->inputs[g->n_inputs++] = t;
    if (!apply_type(ld, &m, t, "graph input", true)) return false;
  }
  return true;
}

/* Creates the tensor of every node output, so that nodes may read values produced further down the file. */
static bool add_node_outputs(qi_ld *ld, const qi_vec *spans, node_msg *nm) {
  for (size_t i = 0; i < spans->n; i++) {
    if (!node_msg_decode(ld, QI_VEC_AT(spans, qi_span, i), nm, true)) return false;
    for (size_t k = 0; k < nm->outputs.n; k++) {
      qi_span name = QI_VEC_AT(&nm->outputs, qi_span, k);
      if (name.len == 0) continue; /* absent optional output */
      if (lookup_named(ld, name) >= 0)
        return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%.*s' is produced twice (node #%zu output %zu)",
                          (int)name.len, (const char *)name.p, i, k);
      if (add_named(ld, name, "node output name") < 0) return false;
      ld->n_named = ld->g->n_tensors;
    }
  }
  return true;
}

/* Resolves names to tensor indices (-1 for ""); every name must be known. */
static bool resolve(qi_ld *ld, const qi_vec *names, qi_vec *idx, const char *node, const char *op) {
  idx->n = 0;
  for (size_t k = 0; k < names->n; k++) {
    qi_span name = QI_VEC_AT(names, qi_span, k);
    int t = name.len ? lookup_named(ld, name) : -1;
    if (name.len && t < 0)
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL,
                        "node '%s' (%s) reads '%.*s', which no node, graph input or initializer defines", node, op,
                        (int)name.len, (const char *)name.p);
    if (!qi_vec_push(ld, idx, &t)) return false;
  }
  return true;
}

/* Builds one node (or, for Constant, its constant output). names holds its name, op_type and domain. */
static bool build_node(qi_ld *ld, const node_msg *nm, char **names, qi_vec *ins, qi_vec *outs) {
  const char *name = names[0], *op = names[1], *domain = names[2];
  if (!op[0]) return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "node '%s' has no op_type", name);
  if (strcmp(domain, "ai.onnx") == 0) domain = "";
  int64_t opset = qi_ld_opset(ld, domain);
  if (opset < 0)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "node '%s' (%s) uses domain '%s', which the model does not import",
                      name, op, domain);
  if (!resolve(ld, &nm->inputs, ins, name, op) || !resolve(ld, &nm->outputs, outs, name, op)) return false;
  if (strcmp(op, "Constant") == 0 && domain[0] == '\0') {
    if (ins->n != 0 || outs->n != 1 || QI_VEC_AT(outs, int, 0) < 0)
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "Constant node '%s' needs no input and one output", name);
    return qi_ld_constant(ld, name, nm->attrs.data, nm->attrs.n, QI_VEC_AT(outs, int, 0));
  }
  int n = qi_graph_add_node(ld->g, op, domain, ins->data, (int)ins->n, outs->data, (int)outs->n);
  if (n < 0) return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory adding node '%s'", name);
  qi_node *node = &ld->g->nodes[n];
  free(node->name);
  node->name = names[0];
  names[0] = NULL; /* now owned by the graph */
  node->opset = (int)opset;
  for (size_t a = 0; a < nm->attrs.n; a++)
    if (!qi_ld_add_attr(ld, n, QI_VEC_AT(&nm->attrs, qi_span, a))) return false;
  return true;
}

static bool add_nodes(qi_ld *ld, const qi_vec *spans, node_msg *nm) {
  qi_vec ins, outs;
  qi_vec_init(&ins, sizeof(int));
  qi_vec_init(&outs, sizeof(int));
  bool ok = true;
  for (size_t i = 0; ok && i < spans->n; i++) {
    ok = node_msg_decode(ld, QI_VEC_AT(spans, qi_span, i), nm, false);
    char *names[3] = {NULL, NULL, NULL};
    if (ok) ok = (names[0] = qi_ld_strdup(ld, nm->name, "node name")) && (names[1] = qi_ld_strdup(ld, nm->op_type, "op_type")) &&
                 (names[2] = qi_ld_strdup(ld, nm->domain, "node domain"));
    if (ok) ok = build_node(ld, nm, names, &ins, &outs);
    for (int k = 0; k < 3; k++) free(names[k]);
  }
  qi_vec_free(&ins);
  qi_vec_free(&outs);
  return ok;
}

static bool add_outputs(qi_ld *ld, const qi_vec *spans) {
  qi_graph *g = ld->g;
  if (spans->n == 0) return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "the graph has no outputs");
  if (!(g->outputs = malloc(sizeof(int) * spans->n))) return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < spans->n; i++) {
    vinfo_msg m;
    if (!vinfo_decode(ld, QI_VEC_AT(spans, qi_span, i), &m, "graph output")) return false;
    if (m.name.len == 0) return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "graph output #%zu has no name", i);
    int t = lookup_named(ld, m.name);
    if (t < 0)
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "graph output '%.*s' is not produced by any node, input or initializer",
                        (int)m.name.len, (const char *)m.name.p);
    qi_tensor *x = &g->tensors[t];
    if (x->flags & QI_TF_OUTPUT)
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "graph output '%s' is listed twice", x->name);
    x->flags |= QI_TF_OUTPUT;
    g->outputs[g->n_outputs++] = t;
    /* Declared type of a computed output: informative only, shapes are inferred again per session. */
    if (!(x->flags & (QI_TF_CONST | QI_TF_INPUT)) && !apply_type(ld, &m, t, "graph output", false)) return false;
  }
  return true;
}

bool qi_ld_graph(qi_ld *ld, qi_span graph) {
  graph_msg gm = {.ld = ld};
  qi_vec *lists[] = {&gm.nodes, &gm.inits, &gm.inputs, &gm.outputs};
  for (int i = 0; i < 4; i++) qi_vec_init(lists[i], sizeof(qi_span));
  node_msg nm = {.ld = ld};
  qi_vec_init(&nm.inputs, sizeof(qi_span));
  qi_vec_init(&nm.outputs, sizeof(qi_span));
  qi_vec_init(&nm.attrs, sizeof(qi_span));

  onnx_GraphProto pb = onnx_GraphProto_init_zero;
  pb_callback_t *cbs[] = {&pb.node, &pb.initializer, &pb.input, &pb.output, &pb.sparse_initializer};
  for (size_t i = 0; i < sizeof cbs / sizeof cbs[0]; i++) {
    cbs[i]->funcs.decode = graph_cb;
    cbs[i]->arg = &gm;
  }
  bool ok = qi_ld_decode_span(ld, graph, onnx_GraphProto_fields, &pb, "graph");
  if (ok && gm.n_sparse)
    ok = qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "sparse initializers are not supported");
  ok = ok && add_initializers(ld, &gm.inits) && add_inputs(ld, &gm.inputs) && add_node_outputs(ld, &gm.nodes, &nm) &&
       add_nodes(ld, &gm.nodes, &nm) && add_outputs(ld, &gm.outputs);
  for (int i = 0; i < 4; i++) qi_vec_free(lists[i]);
  qi_vec_free(&nm.inputs);
  qi_vec_free(&nm.outputs);
  qi_vec_free(&nm.attrs);
  return ok;
}
