/* Graph construction, linking and topological ordering. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine/ir/graph_index.h"
#include "engine/ir/ir.h"

char *qi_str_dup(const char *s) {
  size_t n = strlen(s ? s : "");
  char *d = malloc(n + 1);
  if (d) memcpy(d, s ? s : "", n + 1);
  return d;
}

/* Grows *arr (of elem bytes each) so that it holds at least need elements. */
static bool grow(void **arr, int *cap, int need, size_t elem) {
  if (need <= *cap) return true;
  int ncap = *cap ? *cap : 16;
  while (ncap < need) {
    if (ncap > (1 << 29)) return false;
    ncap *= 2;
  }
  void *p = realloc(*arr, (size_t)ncap * elem);
  if (!p) return false;
  memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
  *arr = p;
  *cap = ncap;
  return true;
}

qi_graph *qi_graph_new(void) {
  qi_graph *g = calloc(1, sizeof(qi_graph));
  return g;
}

static void free_attr(qi_attr *a) {
  free(a->name);
  free(a->s);
  free(a->floats);
  free(a->ints);
  if (a->strings)
    for (int i = 0; i < a->n; i++) free(a->strings[i]);
  free(a->strings);
  free(a->tensors);
}

void qi_graph_free(qi_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n_nodes; i++) {
    qi_node *n = &g->nodes[i];
    free(n->name);
    free(n->op_type);
    free(n->domain);
    free(n->inputs);
    free(n->outputs);
    for (int a = 0; a < n->n_attrs; a++) free_attr(&n->attrs[a]);
    free(n->attrs);
  }
  for (int i = 0; i < g->n_tensors; i++) {
    qi_tensor *t = &g->tensors[i];
    free(t->name);
    if (t->flags & QI_TF_OWNED) free(t->data);
  }
  for (int i = 0; i < g->n_syms; i++) free(g->sym_names[i]);
  for (int i = 0; i < g->n_opsets; i++) free(g->opset_domains[i]);
  for (int i = 0; i < g->n_mappings; i++) munmap(g->mappings[i].addr, g->mappings[i].len);
  free(g->mappings);
  free(g->opset_domains);
  free(g->opset_versions);
  free(g->sym_names);
  free(g->producer_name);
  free(g->tensors);
  free(g->nodes);
  free(g->inputs);
  free(g->outputs);
  free(g->order);
  qi_graph_index_end(g);
  free(g);
}

int qi_graph_add_tensor(qi_graph *g, const char *name) {
  if (!grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof(qi_tensor))) return -1;
  qi_tensor *t = &g->tensors[g->n_tensors];
  memset(t, 0, sizeof *t);
  t->name = qi_str_dup(name);
  if (!t->name) return -1;
  t->rank = -1;
  t->producer = -1;
  for (int i = 0; i < QI_MAX_RANK; i++) t->sym[i] = -1;
  g->n_tensors++;
  qi_graph_index_added_tensor(g, g->n_tensors - 1);
  return g->n_tensors - 1;
}

int qi_graph_add_unique_tensor(qi_graph *g, const char *base, const char *suffix) {
  char name[1024];
  snprintf(name, sizeof name, "%s%s", base, suffix);
  for (int k = 1; qi_graph_find_tensor(g, name) >= 0; k++) snprintf(name, sizeof name, "%s%s_%d", base, suffix, k);
  return qi_graph_add_tensor(g, name);
}

int32_t qi_tensor_int_at(const qi_tensor *t, int64_t i) {
  switch (t->dtype) {
    case QINFER_DTYPE_UINT8: return ((const uint8_t *)t->data)[i];
    case QINFER_DTYPE_INT8: return ((const int8_t *)t->data)[i];
    case QINFER_DTYPE_INT32: return ((const int32_t *)t->data)[i];
    case QINFER_DTYPE_UINT4: case QINFER_DTYPE_INT4: return qi_int4_at(t->data, i, t->dtype);
    default: return 0;
  }
}

int qi_graph_find_tensor(const qi_graph *g, const char *name) {
  const int indexed = qi_graph_index_find(g, name);
  if (indexed != -2) return indexed;
  for (int i = 0; i < g->n_tensors; i++)
    if (strcmp(g->tensors[i].name, name) == 0) return i;
  return -1;
}

int qi_graph_add_node(qi_graph *g, const char *op_type, const char *domain, const int *inputs, int n_inputs,
                      const int *outputs, int n_outputs) {
  if (n_inputs < 0 || n_outputs < 0) return -1;
  if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof(qi_node))) return -1;
  qi_node *n = &g->nodes[g->n_nodes];
  memset(n, 0, sizeof *n);
  n->op_type = qi_str_dup(op_type);
  n->domain = qi_str_dup(domain && strcmp(domain, "ai.onnx") != 0 ? domain : "");
  n->name = qi_str_dup("");
  n->inputs = malloc(sizeof(int) * (size_t)(n_inputs ? n_inputs : 1));
  n->outputs = malloc(sizeof(int) * (size_t)(n_outputs ? n_outputs : 1));
  g->n_nodes++; /* counted now so qi_graph_free releases a half-built node */
  if (!n->op_type || !n->domain || !n->name || !n->inputs || !n->outputs) return -1;
  if (n_inputs) memcpy(n->inputs, inputs, sizeof(int) * (size_t)n_inputs);
  if (n_outputs) memcpy(n->outputs, outputs, sizeof(int) * (size_t)n_outputs);
  n->n_inputs = n_inputs;
  n->n_outputs = n_outputs;
  n->index = g->n_nodes - 1;
  qi_graph_index_added_node(g, g->n_nodes - 1);
  return g->n_nodes - 1;
}

qi_attr *qi_node_add_attr(qi_graph *g, int node, const char *name, qi_attr_type type) {
  qi_node *n = &g->nodes[node];
  qi_attr *a = realloc(n->attrs, sizeof(qi_attr) * (size_t)(n->n_attrs + 1));
  if (!a) return NULL;
  n->attrs = a;
  a = &n->attrs[n->n_attrs];
  memset(a, 0, sizeof *a);
  a->name = qi_str_dup(name);
  if (!a->name) return NULL;
  a->type = type;
  a->tensor = -1;
  n->n_attrs++;
  return a;
}

void qi_node_remove_attr(qi_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++) {
    if (strcmp(n->attrs[i].name, name) != 0) continue;
    free_attr(&n->attrs[i]);
    memmove(&n->attrs[i], &n->attrs[i + 1], sizeof(qi_attr) * (size_t)(n->n_attrs - i - 1));
    n->n_attrs--;
    return;
  }
}

/* ---- cloning: every array and string copied, constant payloads shared ---- */

static bool dup_array(void **dst, const void *src, size_t count, size_t elem) {
  *dst = NULL;
  if (!src) return true;
  *dst = malloc(count ? count * elem : 1);
  if (*dst && count) memcpy(*dst, src, count * elem);
  return *dst != NULL;
}

static bool dup_string(char **dst, const char *src) {
  *dst = src ? qi_str_dup(src) : NULL;
  return !src || *dst;
}

static bool clone_attr(qi_attr *d, const qi_attr *a) {
  *d = *a;
  d->name = d->s = NULL, d->floats = NULL, d->ints = NULL, d->strings = NULL, d->tensors = NULL;
  bool ok = dup_string(&d->name, a->name) && dup_array((void **)&d->floats, a->floats, (size_t)a->n, sizeof(float)) &&
            dup_array((void **)&d->ints, a->ints, (size_t)a->n, sizeof(int64_t)) &&
            dup_array((void **)&d->tensors, a->tensors, (size_t)a->n, sizeof(int));
  if (ok && a->s) { /* s_len bytes plus the NUL */
    ok = dup_array((void **)&d->s, a->s, a->s_len + 1, 1);
  }
  if (ok && a->strings) {
    ok = (d->strings = calloc((size_t)a->n + 1, sizeof(char *))) != NULL;
    for (int i = 0; ok && i < a->n; i++) ok = dup_string(&d->strings[i], a->strings[i]);
  }
  return ok;
}

static bool clone_node(qi_node *d, const qi_node *n) {
  *d = *n;
  d->name = d->op_type = d->domain = NULL, d->inputs = d->outputs = NULL, d->attrs = NULL, d->n_attrs = 0;
  if (!dup_string(&d->name, n->name) || !dup_string(&d->op_type, n->op_type) || !dup_string(&d->domain, n->domain) ||
      !dup_array((void **)&d->inputs, n->inputs, (size_t)n->n_inputs, sizeof(int)) ||
      !dup_array((void **)&d->outputs, n->outputs, (size_t)n->n_outputs, sizeof(int)))
    return false;
  if (!(d->attrs = calloc((size_t)n->n_attrs + 1, sizeof(qi_attr)))) return false;
  for (; d->n_attrs < n->n_attrs; d->n_attrs++)
    if (!clone_attr(&d->attrs[d->n_attrs], &n->attrs[d->n_attrs])) {
      d->n_attrs++; /* freed with the node */
      return false;
    }
  return true;
}

qi_graph *qi_graph_clone(const qi_graph *g) {
  qi_graph *c = qi_graph_new();
  if (!c) return NULL;
  c->ir_version = g->ir_version;
  bool ok = dup_string(&c->producer_name, g->producer_name) &&
            (c->tensors = calloc((size_t)g->n_tensors + 1, sizeof(qi_tensor))) != NULL &&
            (c->nodes = calloc((size_t)g->n_nodes + 1, sizeof(qi_node))) != NULL &&
            dup_array((void **)&c->inputs, g->inputs, (size_t)g->n_inputs, sizeof(int)) &&
            dup_array((void **)&c->outputs, g->outputs, (size_t)g->n_outputs, sizeof(int)) &&
            dup_array((void **)&c->order, g->order, (size_t)g->n_order, sizeof(int)) &&
            dup_array((void **)&c->opset_versions, g->opset_versions, (size_t)g->n_opsets, sizeof(int64_t)) &&
            (c->opset_domains = calloc((size_t)g->n_opsets + 1, sizeof(char *))) != NULL &&
            (c->sym_names = calloc((size_t)g->n_syms + 1, sizeof(char *))) != NULL;
  if (!ok) {
    qi_graph_free(c);
    return NULL;
  }
  c->cap_tensors = g->n_tensors + 1;
  c->cap_nodes = g->n_nodes + 1;
  c->n_inputs = g->n_inputs, c->n_outputs = g->n_outputs, c->n_order = g->n_order;
  for (; ok && c->n_opsets < g->n_opsets; c->n_opsets++) ok = dup_string(&c->opset_domains[c->n_opsets], g->opset_domains[c->n_opsets]);
  for (; ok && c->n_syms < g->n_syms; c->n_syms++) ok = dup_string(&c->sym_names[c->n_syms], g->sym_names[c->n_syms]);
  for (; ok && c->n_tensors < g->n_tensors; c->n_tensors++) {
    qi_tensor *t = &c->tensors[c->n_tensors];
    *t = g->tensors[c->n_tensors];
    t->flags &= ~(uint32_t)QI_TF_OWNED; /* the payload stays g's */
    ok = dup_string(&t->name, g->tensors[c->n_tensors].name);
    if (ok && (t->flags & QI_TF_UNALIGNED)) { /* an aligned copy the clone owns (malloc aligns for any type) */
      ok = dup_array(&t->data, g->tensors[c->n_tensors].data, t->nbytes, 1);
      t->flags = (t->flags & ~(uint32_t)QI_TF_UNALIGNED) | (ok ? QI_TF_OWNED : 0);
    }
  }
  for (; ok && c->n_nodes < g->n_nodes; c->n_nodes++) /* a node that fails halfway is counted: freed with c */
    ok = clone_node(&c->nodes[c->n_nodes], &g->nodes[c->n_nodes]);
  if (!ok) {
    qi_graph_free(c);
    return NULL;
  }
  return c;
}

qi_status qi_graph_add_mapping(qi_graph *g, void *addr, size_t len, qi_error *err) {
  struct qi_mapping *m = realloc(g->mappings, sizeof *m * (size_t)(g->n_mappings + 1));
  if (!m) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  g->mappings = m;
  m[g->n_mappings].addr = addr;
  m[g->n_mappings].len = len;
  m[g->n_mappings].in_memory = false;
  g->n_mappings++;
  return QINFER_OK;
}

qi_status qi_graph_link(qi_graph *g, qi_error *err) {
  for (int i = 0; i < g->n_tensors; i++) {
    g->tensors[i].producer = -1;
    g->tensors[i].n_consumers = 0;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++) {
      int t = n->inputs[k];
      if (t < -1 || t >= g->n_tensors)
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is out of range", k);
      if (t >= 0) g->tensors[t].n_consumers++;
    }
    for (int k = 0; k < n->n_outputs; k++) {
      int t = n->outputs[k];
      if (t < -1 || t >= g->n_tensors)
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output %d is out of range", k);
      if (t < 0) continue;
      qi_tensor *tt = &g->tensors[t];
      if (tt->producer >= 0 || (tt->flags & (QI_TF_CONST | QI_TF_INPUT)))
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "tensor '%s' is produced more than once", tt->name);
      tt->producer = i;
    }
  }
  for (int i = 0; i < g->n_outputs; i++) g->tensors[g->outputs[i]].n_consumers++;
  return QINFER_OK;
}

qi_status qi_graph_toposort(qi_graph *g, qi_error *err) {
  QI_CHECK(qi_graph_link(g, err));
  /* Kahn's algorithm over node -> node edges; a node is ready when each input is a graph input, a constant
   * or the output of an already ordered node. Stable: among ready nodes, file order is kept. */
  int *pending = calloc((size_t)g->n_nodes + 1, sizeof(int));
  int *order = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
  int *queue = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
  /* consumers lists in CSR form */
  int *cstart = calloc((size_t)g->n_tensors + 1, sizeof(int));
  if (!pending || !order || !queue || !cstart) goto oom;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++) {
      int t = n->inputs[k];
      if (t < 0) continue;
      const qi_tensor *tt = &g->tensors[t];
      if (tt->producer >= 0) {
        pending[i]++;
        cstart[t + 1]++;
      } else if (!(tt->flags & (QI_TF_CONST | QI_TF_INPUT))) {
        qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "reads '%s', which no node, input or initializer defines",
                     tt->name);
        goto fail;
      }
    }
  }
  for (int t = 0; t < g->n_tensors; t++) cstart[t + 1] += cstart[t];
  int *cons = malloc(sizeof(int) * ((size_t)cstart[g->n_tensors] + 1));
  int *fill = calloc((size_t)g->n_tensors + 1, sizeof(int));
  if (!cons || !fill) {
    free(cons);
    free(fill);
    goto oom;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++) {
      int t = n->inputs[k];
      if (t >= 0 && g->tensors[t].producer >= 0) cons[cstart[t] + fill[t]++] = i;
    }
  }
  free(fill);
  int head = 0, tail = 0, n_order = 0, n_live = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].dead) continue;
    n_live++;
    if (pending[i] == 0) queue[tail++] = i;
  }
  while (head < tail) {
    int i = queue[head++];
    order[n_order++] = i;
    const qi_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_outputs; k++) {
      int t = n->outputs[k];
      if (t < 0) continue;
      for (int c = cstart[t]; c < cstart[t + 1]; c++)
        if (--pending[cons[c]] == 0) queue[tail++] = cons[c];
    }
  }
  free(cons);
  if (n_order != n_live) {
    for (int i = 0; i < g->n_nodes; i++)
      if (!g->nodes[i].dead && pending[i] > 0) {
        qi_node_fail(err, QINFER_ERR_INVALID_MODEL, &g->nodes[i], "the graph has a cycle through this node");
        break;
      }
    goto fail;
  }
  free(g->order);
  g->order = order;
  g->n_order = n_order;
  free(pending);
  free(queue);
  free(cstart);
  return QINFER_OK;
oom:
  qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory while ordering the graph");
fail:
  free(pending);
  free(order);
  free(queue);
  free(cstart);
  return err ? err->code : QINFER_ERR_INVALID_MODEL;
}

/* ---- tensors ---- */

size_t qi_dtype_size(int dtype) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: case QINFER_DTYPE_INT32: case QINFER_DTYPE_UINT32: return 4;
    case QINFER_DTYPE_UINT8: case QINFER_DTYPE_INT8: case QINFER_DTYPE_BOOL: return 1;
    case QINFER_DTYPE_UINT16: case QINFER_DTYPE_INT16: case QINFER_DTYPE_FLOAT16: return 2;
    case QINFER_DTYPE_INT64: case QINFER_DTYPE_DOUBLE: case QINFER_DTYPE_UINT64: return 8;
    default: return 0;
  }
}

const char *qi_dtype_name(int dtype) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: return "float";
    case QINFER_DTYPE_UINT8: return "uint8";
    case QINFER_DTYPE_INT8: return "int8";
    case QINFER_DTYPE_UINT16: return "uint16";
    case QINFER_DTYPE_INT16: return "int16";
    case QINFER_DTYPE_INT32: return "int32";
    case QINFER_DTYPE_INT64: return "int64";
    case QINFER_DTYPE_STRING: return "string";
    case QINFER_DTYPE_BOOL: return "bool";
    case QINFER_DTYPE_FLOAT16: return "float16";
    case QINFER_DTYPE_DOUBLE: return "double";
    case QINFER_DTYPE_UINT32: return "uint32";
    case QINFER_DTYPE_UINT64: return "uint64";
    case QINFER_DTYPE_UINT4: return "uint4";
    case QINFER_DTYPE_INT4: return "int4";
    default: return "undefined";
  }
}

bool qi_shape_numel(int rank, const int64_t *dims, int64_t *out) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return false;
    if (dims[i] != 0 && n > INT64_MAX / dims[i]) return false;
    n *= dims[i];
  }
  *out = n;
  return true;
}

void qi_tensor_set_shape(qi_tensor *t, int dtype, int rank, const int64_t *dims) {
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < QI_MAX_RANK; i++) {
    t->dims[i] = i < rank ? dims[i] : 0;
    t->sym[i] = -1;
  }
  t->flags |= QI_TF_SHAPED;
}

const char *qi_shape_str(int rank, const int64_t *dims, char *buf, size_t size) {
  size_t used = 0;
  if (size == 0) return buf;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < rank && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}

static qi_status tensor_bytes(const qi_tensor *t, size_t *out, qi_error *err) {
  int64_t numel;
  size_t es = qi_dtype_size(t->dtype);
  if (!qi_dtype_known(t->dtype))
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "tensor '%s': unsupported dtype %s", t->name, qi_dtype_name(t->dtype));
  if (t->rank < 0 || t->rank > QI_MAX_RANK || !qi_shape_numel(t->rank, t->dims, &numel) ||
      (uint64_t)numel > SIZE_MAX / (es ? es : 1) / 2)
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "tensor '%s': size overflows", t->name);
  *out = qi_dtype_bytes(t->dtype, (size_t)numel);
  return QINFER_OK;
}

void qi_graph_drop_const_data(qi_graph *g) {
  for (int i = 0; i < g->n_tensors; i++) {
    qi_tensor *t = &g->tensors[i];
    if (!(t->flags & QI_TF_CONST)) continue;
    if (t->flags & QI_TF_OWNED) free(t->data);
    t->data = NULL;
    t->flags &= ~(uint32_t)QI_TF_OWNED;
  }
}

qi_status qi_tensor_alloc_const(qi_tensor *t, qi_error *err) {
  size_t bytes = 0;
  QI_CHECK(tensor_bytes(t, &bytes, err));
  void *p = calloc(1, bytes ? bytes : 1);
  if (!p) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "tensor '%s': cannot allocate %zu bytes", t->name, bytes);
  if (t->flags & QI_TF_OWNED) free(t->data);
  t->data = p;
  t->nbytes = bytes;
  t->flags |= QI_TF_CONST | QI_TF_OWNED | QI_TF_SHAPED;
  return QINFER_OK;
}

qi_status qi_tensor_set_const_copy(qi_tensor *t, int dtype, int rank, const int64_t *dims, const void *data,
                                   qi_error *err) {
  if (rank < 0 || rank > QI_MAX_RANK)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "tensor '%s': rank %d is not supported", t->name, rank);
  qi_tensor_set_shape(t, dtype, rank, dims);
  QI_CHECK(qi_tensor_alloc_const(t, err));
  if (t->nbytes) memcpy(t->data, data, t->nbytes);
  return QINFER_OK;
}

/* ---- attributes ---- */

const qi_attr *qi_node_attr(const qi_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}

int64_t qi_attr_int(const qi_node *n, const char *name, int64_t dflt) {
  const qi_attr *a = qi_node_attr(n, name);
  return a && a->type == QI_ATTR_INT ? a->i : dflt;
}

float qi_attr_float(const qi_node *n, const char *name, float dflt) {
  const qi_attr *a = qi_node_attr(n, name);
  return a && a->type == QI_ATTR_FLOAT ? a->f : dflt;
}

const char *qi_attr_string(const qi_node *n, const char *name, const char *dflt) {
  const qi_attr *a = qi_node_attr(n, name);
  return a && a->type == QI_ATTR_STRING && a->s ? a->s : dflt;
}

int qi_attr_ints(const qi_node *n, const char *name, const int64_t **vals) {
  const qi_attr *a = qi_node_attr(n, name);
  if (!a || a->type != QI_ATTR_INTS) return -1;
  *vals = a->ints;
  return a->n;
}

int qi_attr_floats(const qi_node *n, const char *name, const float **vals) {
  const qi_attr *a = qi_node_attr(n, name);
  if (!a || a->type != QI_ATTR_FLOATS) return -1;
  *vals = a->floats;
  return a->n;
}
