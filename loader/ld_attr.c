/* AttributeProto -> qi_attr, TENSOR attributes -> private constant tensors, Constant nodes -> constants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader_internal.h"

#define QI_MAX_ATTRS_PER_NODE 4096 /* far above any real op; bounds the duplicate-name scan */

typedef struct attr_msg {
  qi_ld *ld;
  onnx_AttributeProto pb;
  qi_span name, s, ref, t;
  qi_vec floats, ints, strings, tensors; /* float, int64_t, qi_span, qi_span */
  int n_graphs, n_sparse, n_types;       /* singular and repeated together */
} attr_msg;

static bool attr_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  attr_msg *m = *arg;
  qi_ld *ld = m->ld;
  qi_span skipped;
  uint64_t u;
  uint32_t u32;
  switch (field->tag) {
    case onnx_AttributeProto_name_tag: return qi_ld_take_span(ld, stream, &m->name, "attribute name");
    case onnx_AttributeProto_ref_attr_name_tag: return qi_ld_take_span(ld, stream, &m->ref, "attribute ref_attr_name");
    case onnx_AttributeProto_s_tag: return qi_ld_take_span(ld, stream, &m->s, "attribute s");
    case onnx_AttributeProto_t_tag: return qi_ld_take_span(ld, stream, &m->t, "attribute t");
    case onnx_AttributeProto_g_tag:
    case onnx_AttributeProto_graphs_tag:
      m->n_graphs++;
      return qi_ld_take_span(ld, stream, &skipped, "attribute graph");
    case onnx_AttributeProto_sparse_tensor_tag:
    case onnx_AttributeProto_sparse_tensors_tag:
      m->n_sparse++;
      return qi_ld_take_span(ld, stream, &skipped, "attribute sparse tensor");
    case onnx_AttributeProto_tp_tag:
    case onnx_AttributeProto_type_protos_tag:
      m->n_types++;
      return qi_ld_take_span(ld, stream, &skipped, "attribute type proto");
    case onnx_AttributeProto_floats_tag:
      while (stream->bytes_left) {
        float f;
        if (!pb_decode_fixed32(stream, &u32))
          return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "attribute floats: malformed (%s)", PB_GET_ERROR(stream));
        memcpy(&f, &u32, sizeof f);
        if (!qi_vec_push(ld, &m->floats, &f)) return false;
      }
      return true;
    case onnx_AttributeProto_ints_tag:
      while (stream->bytes_left) {
        if (!pb_decode_varint(stream, &u))
          return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "attribute ints: malformed (%s)", PB_GET_ERROR(stream));
        int64_t v = (int64_t)u;
        if (!qi_vec_push(ld, &m->ints, &v)) return false;
      }
      return true;
    case onnx_AttributeProto_strings_tag:
    case onnx_AttributeProto_tensors_tag: {
      qi_span sp;
      bool is_str = field->tag == onnx_AttributeProto_strings_tag;
      return qi_ld_take_span(ld, stream, &sp, is_str ? "attribute strings" : "attribute tensors") &&
             qi_vec_push(ld, is_str ? &m->strings : &m->tensors, &sp);
    }
    default:
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "attribute: unexpected field %u", (unsigned)field->tag);
  }
}

static void attr_msg_free(attr_msg *m) {
  qi_vec_free(&m->floats);
  qi_vec_free(&m->ints);
  qi_vec_free(&m->strings);
  qi_vec_free(&m->tensors);
}

/* Decodes an AttributeProto and checks what every attribute needs: a name, no function reference, a known type. */
static bool attr_msg_decode(qi_ld *ld, qi_span span, attr_msg *m, const char *node_name) {
  memset(m, 0, sizeof *m);
  m->ld = ld;
  qi_vec_init(&m->floats, sizeof(float));
  qi_vec_init(&m->ints, sizeof(int64_t));
  qi_vec_init(&m->strings, sizeof(qi_span));
  qi_vec_init(&m->tensors, sizeof(qi_span));
  onnx_AttributeProto *pb = &m->pb;
  *pb = (onnx_AttributeProto)onnx_AttributeProto_init_zero;
  pb_callback_t *cbs[] = {&pb->name,  &pb->ref_attr_name, &pb->s,       &pb->t,           &pb->g,
                          &pb->graphs, &pb->sparse_tensor, &pb->sparse_tensors, &pb->tp, &pb->type_protos,
                          &pb->floats, &pb->ints,          &pb->strings, &pb->tensors};
  for (size_t i = 0; i < sizeof cbs / sizeof cbs[0]; i++) {
    cbs[i]->funcs.decode = attr_cb;
    cbs[i]->arg = m;
  }
  if (!qi_ld_decode_span(ld, span, onnx_AttributeProto_fields, pb, "attribute")) return false;
  if (!m->name.set || m->name.len == 0)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "node '%s': an attribute has no name", node_name);
  if (m->ref.set)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL,
                      "node '%s': attribute '%.*s' refers to a function attribute (ref_attr_name) outside a function",
                      node_name, (int)m->name.len, (const char *)m->name.p);
  if (!pb->has_type || pb->type < QI_ATTR_FLOAT || pb->type > QI_ATTR_TYPE_PROTOS)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "node '%s': attribute '%.*s' has %s type %d", node_name,
                      (int)m->name.len, (const char *)m->name.p, pb->has_type ? "an unknown" : "no",
                      (int)pb->type);
  return true;
}

/* Copies count items of elem bytes (NULL when count is 0). */
static bool dup_array(qi_ld *ld, const qi_vec *v, void **out) {
  *out = NULL;
  if (v->n == 0) return true;
  *out = malloc(v->n * v->elem);
  if (!*out) return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory copying an attribute");
  memcpy(*out, v->data, v->n * v->elem);
  return true;
}

int qi_ld_attr_tensor(qi_ld *ld, const char *node_name, const char *attr_name, qi_span span) {
  /* A private name, unique in the graph; tensors created from here on are never found by ONNX name lookups
   * (their indices are >= ld->n_named), so the name cannot capture a reference from the model. */
  char name[256];
  int len = snprintf(name, sizeof name, "%s:%s", node_name, attr_name);
  for (int k = 1; len < 0 || (size_t)len >= sizeof name || qi_name_map_get(&ld->names, name, strlen(name)) >= 0; k++)
    len = snprintf(name, sizeof name, "%.200s:%.32s#%d", node_name, attr_name, k);
  int t = qi_graph_add_tensor(ld->g, name);
  if (t < 0) {
    qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory adding a tensor");
    return -1;
  }
  const char *key = ld->g->tensors[t].name;
  if (!qi_name_map_put(&ld->names, key, strlen(key), t)) {
    qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  qi_tensor_msg tm;
  bool ok = qi_tensor_msg_decode(ld, span, &tm, "attribute tensor") && qi_ld_fill_tensor(ld, &tm, t);
  qi_tensor_msg_free(&tm);
  return ok ? t : -1;
}

/* Fills a, an attribute of node, from m. */
static bool fill_attr(qi_ld *ld, const char *node_name, qi_attr *a, const attr_msg *m) {
  const onnx_AttributeProto *pb = &m->pb;
  switch (a->type) {
    case QI_ATTR_FLOAT: a->f = pb->f; return true;
    case QI_ATTR_INT: a->i = pb->i; return true;
    case QI_ATTR_STRING:
      a->s = malloc(m->s.len + 1);
      if (!a->s) return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
      if (m->s.len) memcpy(a->s, m->s.p, m->s.len);
      a->s[m->s.len] = '\0';
      a->s_len = m->s.len;
      return true;
    case QI_ATTR_FLOATS:
      if (!dup_array(ld, &m->floats, (void **)&a->floats)) return false;
      a->n = (int)m->floats.n;
      return true;
    case QI_ATTR_INTS:
      if (!dup_array(ld, &m->ints, (void **)&a->ints)) return false;
      a->n = (int)m->ints.n;
      return true;
    case QI_ATTR_STRINGS:
      if (m->strings.n && !(a->strings = calloc(m->strings.n, sizeof(char *))))
        return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
      a->n = (int)m->strings.n;
      for (size_t i = 0; i < m->strings.n; i++)
        if (!(a->strings[i] = qi_ld_strdup(ld, QI_VEC_AT(&m->strings, qi_span, i), "a strings attribute")))
          return false;
      return true;
    case QI_ATTR_TENSOR: {
      if (!m->t.set)
        return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "node '%s': TENSOR attribute '%s' has no tensor", node_name,
                          a->name);
      int t = qi_ld_attr_tensor(ld, node_name, a->name, m->t); /* grows tensors, not attrs: a stays valid */
      if (t < 0) return false;
      a->tensor = t;
      return true;
    }
    case QI_ATTR_TENSORS:
      if (m->tensors.n && !(a->tensors = malloc(m->tensors.n * sizeof(int))))
        return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
      for (size_t i = 0; i < m->tensors.n; i++) {
        int t = qi_ld_attr_tensor(ld, node_name, a->name, QI_VEC_AT(&m->tensors, qi_span, i));
        if (t < 0) return false;
        a->tensors[i] = t;
        a->n = (int)i + 1;
      }
      return true;
    case QI_ATTR_GRAPH: case QI_ATTR_GRAPHS: a->n = m->n_graphs; return true; /* recorded, never decoded */
    case QI_ATTR_SPARSE_TENSOR: case QI_ATTR_SPARSE_TENSORS: a->n = m->n_sparse; return true;
    case QI_ATTR_TYPE_PROTO: case QI_ATTR_TYPE_PROTOS: a->n = m->n_types; return true;
    default: return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "attribute '%s': bad type", a->name);
  }
}

bool qi_ld_add_attr(qi_ld *ld, int node, qi_span span) {
  qi_node *n = &ld->g->nodes[node];
  const char *node_name = n->name;
  if (n->n_attrs >= QI_MAX_ATTRS_PER_NODE)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "node '%s' has more than %d attributes", node_name,
                      QI_MAX_ATTRS_PER_NODE);
  attr_msg m;
  bool ok = attr_msg_decode(ld, span, &m, node_name);
  char *name = ok ? qi_ld_strdup(ld, m.name, "attribute name") : NULL;
  ok = ok && name;
  for (int i = 0; ok && i < n->n_attrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0)
      ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "node '%s': attribute '%s' is given twice", node_name, name);
  qi_attr *a = ok ? qi_node_add_attr(ld->g, node, name, (qi_attr_type)m.pb.type) : NULL;
  if (ok && !a) ok = qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory adding an attribute");
  if (ok) ok = fill_attr(ld, node_name, a, &m);
  free(name);
  attr_msg_free(&m);
  return ok;
}

bool qi_ld_constant(qi_ld *ld, const char *node_name, const qi_span *attrs, size_t n_attrs, int out) {
  if (n_attrs != 1)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "Constant node '%s' has %zu attributes; it needs exactly one",
                      node_name, n_attrs);
  attr_msg m;
  bool ok = attr_msg_decode(ld, attrs[0], &m, node_name);
  if (ok) {
    qi_tensor *t = &ld->g->tensors[out];
    int type = m.pb.type;
    int64_t len1[1] = {0};
    struct {
      const char *name;
      int type;
    } const kinds[] = {{"value", QI_ATTR_TENSOR}, {"value_float", QI_ATTR_FLOAT}, {"value_floats", QI_ATTR_FLOATS},
                       {"value_int", QI_ATTR_INT}, {"value_ints", QI_ATTR_INTS}};
    int kind = -1;
    for (int k = 0; k < (int)(sizeof kinds / sizeof kinds[0]); k++)
      if (qi_span_eq(m.name, kinds[k].name)) kind = k;
    if (qi_span_eq(m.name, "value_string") || qi_span_eq(m.name, "value_strings") ||
        qi_span_eq(m.name, "sparse_value"))
      ok = qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "Constant node '%s': attribute '%.*s' is not supported", node_name,
                      (int)m.name.len, (const char *)m.name.p);
    else if (kind < 0)
      ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "Constant node '%s': unknown attribute '%.*s'", node_name,
                      (int)m.name.len, (const char *)m.name.p);
    else if (type != kinds[kind].type)
      ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "Constant node '%s': attribute '%s' has the wrong type %d",
                      node_name, kinds[kind].name, type);
    else if (type == QI_ATTR_TENSOR) {
      qi_tensor_msg tm;
      ok = m.t.set ? qi_tensor_msg_decode(ld, m.t, &tm, "Constant value") && qi_ld_fill_tensor(ld, &tm, out)
                   : qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "Constant node '%s': 'value' has no tensor", node_name);
      if (m.t.set) qi_tensor_msg_free(&tm);
    } else {
      qi_status s;
      if (type == QI_ATTR_FLOAT) s = qi_tensor_set_const_copy(t, QINFER_DTYPE_FLOAT, 0, len1, &m.pb.f, ld->err);
      else if (type == QI_ATTR_INT) s = qi_tensor_set_const_copy(t, QINFER_DTYPE_INT64, 0, len1, &m.pb.i, ld->err);
      else {
        const qi_vec *v = type == QI_ATTR_FLOATS ? &m.floats : &m.ints;
        len1[0] = (int64_t)v->n;
        s = qi_tensor_set_const_copy(t, type == QI_ATTR_FLOATS ? QINFER_DTYPE_FLOAT : QINFER_DTYPE_INT64, 1, len1,
                                     v->data, ld->err);
      }
      if (s != QINFER_OK) ok = qi_ld_adopt(ld);
    }
  }
  attr_msg_free(&m);
  return ok;
}
