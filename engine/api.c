/* The public C API (include/qinfer.h): handles, options and the session build sequence. */
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/isa_map.h"
#include "engine/pipeline.h"
#include "engine/planner.h"
#include "engine/session.h"
#include "loader/onnx_loader.h"

static _Thread_local qi_error tls_error;

static qi_status global_fail(qi_status code, const qi_error *from) {
  tls_error.code = code;
  memcpy(tls_error.msg, from->msg, sizeof tls_error.msg);
  return code;
}

qi_status qi_api_fail(qi_status code, const qi_error *from) { return global_fail(code, from); }

const char *qinfer_version(void) { return "0.1.0"; }

const char *qinfer_last_error(void) { return tls_error.msg; }

const char *qinfer_status_string(qinfer_status s) {
  switch (s) {
    case QINFER_OK: return "QINFER_OK";
    case QINFER_ERR_INVALID_ARGUMENT: return "QINFER_ERR_INVALID_ARGUMENT";
    case QINFER_ERR_IO: return "QINFER_ERR_IO";
    case QINFER_ERR_INVALID_MODEL: return "QINFER_ERR_INVALID_MODEL";
    case QINFER_ERR_UNSUPPORTED: return "QINFER_ERR_UNSUPPORTED";
    case QINFER_ERR_SHAPE: return "QINFER_ERR_SHAPE";
    case QINFER_ERR_OUT_OF_MEMORY: return "QINFER_ERR_OUT_OF_MEMORY";
    case QINFER_ERR_RUNTIME: return "QINFER_ERR_RUNTIME";
    case QINFER_ERR_QUANT_PARAMS: return "QINFER_ERR_QUANT_PARAMS";
  }
  return "QINFER_ERR_UNKNOWN";
}

size_t qinfer_dtype_size(qinfer_dtype dtype) { return qi_dtype_size(dtype); }
const char *qinfer_dtype_name(qinfer_dtype dtype) { return qi_dtype_name(dtype); }

/* ---- models ---- */

/* Decodes the model's bytes and checks that every operator is implemented. */
static qi_status load_graph(const qinfer_model *m, qi_graph **out, qi_error *err) {
  qi_graph *g = NULL;
  /* the model's graph only answers queries and is cloned: its constants stay in the model's bytes */
  const unsigned flags = QI_LOAD_UNALIGNED_IN_PLACE | (m->in_memory ? QI_LOAD_READ_EXTERNAL : 0u);
  qi_status s = qi_onnx_load_flags(m->data, m->size, m->base_dir, flags, &g, err);
  if (s == QINFER_OK) s = qi_resolve_ops(g, err);
  if (s != QINFER_OK) {
    qi_graph_free(g);
    return s;
  }
  *out = g;
  return QINFER_OK;
}

static qi_status finish_model_load(qinfer_model *m, qinfer_model **out_model) {
  qi_error err = {0};
  qi_status s = load_graph(m, &m->graph, &err);
  if (s != QINFER_OK) {
    qinfer_model_destroy(m);
    return global_fail(s, &err);
  }
  *out_model = m; /* its graph keeps the weights: every session starts from a clone of it */
  return QINFER_OK;
}

qinfer_status qinfer_model_load_file(const char *path, qinfer_model **out_model) {
  return qinfer_model_load_file_ex(path, QINFER_LOAD_DEFAULT, out_model);
}

qinfer_status qinfer_model_load_file_ex(const char *path, unsigned flags, qinfer_model **out_model) {
  qi_error err = {0};
  if (!path || !out_model)
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "path and out_model must not be NULL"),
                       &err);
  *out_model = NULL;
  if (flags & ~(unsigned)QINFER_LOAD_READ_INTO_MEMORY)
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "unknown load flags 0x%x", flags), &err);
  qinfer_model *m = calloc(1, sizeof *m);
  if (!m) return global_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
  m->in_memory = (flags & QINFER_LOAD_READ_INTO_MEMORY) != 0;
  qi_status s = (m->in_memory ? qi_read_file_copy : qi_map_file)(path, &m->map, &m->map_len, &err);
  if (s != QINFER_OK) {
    free(m);
    return global_fail(s, &err);
  }
  m->data = m->map;
  m->size = m->map_len;
  const char *slash = strrchr(path, '/');
  m->base_dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : qi_str_dup(".");
  if (!m->base_dir) {
    qinfer_model_destroy(m);
    return global_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
  }
  return finish_model_load(m, out_model);
}

qinfer_status qinfer_model_load_buffer(const void *data, size_t size, const char *base_dir,
                                       qinfer_model **out_model) {
  qi_error err = {0};
  if (!data || !out_model)
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "data and out_model must not be NULL"),
                       &err);
  *out_model = NULL;
  qinfer_model *m = calloc(1, sizeof *m);
  if (!m) return global_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
  m->data = data;
  m->size = size;
  if (base_dir && !(m->base_dir = qi_str_dup(base_dir))) {
    free(m);
    return global_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
  }
  return finish_model_load(m, out_model);
}

void qinfer_model_destroy(qinfer_model *m) {
  if (!m) return;
  qi_graph_free(m->graph);
  if (m->map) munmap(m->map, m->map_len);
  free(m->base_dir);
  free(m);
}

const char *qinfer_model_last_error(const qinfer_model *m) { return m ? m->err.msg : qinfer_last_error(); }

static void fill_info(const qi_graph *g, int t, qinfer_tensor_info *info) {
  const qi_tensor *x = &g->tensors[t];
  memset(info, 0, sizeof *info);
  info->name = x->name;
  info->dtype = (qinfer_dtype)x->dtype;
  info->rank = x->rank;
  for (int i = 0; i < x->rank && i < QI_MAX_RANK; i++) {
    info->dims[i] = x->sym[i] >= 0 ? -1 : x->dims[i];
    info->dim_names[i] = x->sym[i] >= 0 ? g->sym_names[x->sym[i]] : NULL;
  }
}

size_t qinfer_model_input_count(const qinfer_model *m) { return m ? (size_t)m->graph->n_inputs : 0; }
size_t qinfer_model_output_count(const qinfer_model *m) { return m ? (size_t)m->graph->n_outputs : 0; }

static qi_status info_at(const qi_graph *g, const int *list, int count, size_t index, qinfer_tensor_info *info,
                         qi_error *err) {
  if (!info || index >= (size_t)count)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "index %zu out of range (%d)", index, count);
  fill_info(g, list[index], info);
  return QINFER_OK;
}

qinfer_status qinfer_model_input_info(const qinfer_model *m, size_t index, qinfer_tensor_info *info) {
  if (!m) return QINFER_ERR_INVALID_ARGUMENT;
  qinfer_model *mm = (qinfer_model *)m; /* the error slot is mutable state of a const handle */
  return info_at(m->graph, m->graph->inputs, m->graph->n_inputs, index, info, &mm->err);
}

qinfer_status qinfer_model_output_info(const qinfer_model *m, size_t index, qinfer_tensor_info *info) {
  if (!m) return QINFER_ERR_INVALID_ARGUMENT;
  qinfer_model *mm = (qinfer_model *)m;
  return info_at(m->graph, m->graph->outputs, m->graph->n_outputs, index, info, &mm->err);
}

/* ---- options ---- */

qinfer_status qinfer_session_options_create(qinfer_session_options **out) {
  if (!out) return QINFER_ERR_INVALID_ARGUMENT;
  *out = calloc(1, sizeof **out);
  if (!*out) return QINFER_ERR_OUT_OF_MEMORY;
  (*out)->threads = 1;
  return QINFER_OK;
}

void qinfer_session_options_destroy(qinfer_session_options *o) {
  if (!o) return;
  for (int i = 0; i < o->n_shapes; i++) free(o->shapes[i].name);
  for (int i = 0; i < o->n_dims; i++) free(o->dims[i].name);
  for (int i = 0; i < o->n_values; i++) {
    free(o->values[i].name);
    free(o->values[i].data);
  }
  free(o->shapes);
  free(o->dims);
  free(o->values);
  free(o);
}

/* A deep copy of o (defaults when o is NULL), or NULL when out of memory. */
static qinfer_session_options *options_copy(const qinfer_session_options *o) {
  qinfer_session_options *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->threads = 1;
  if (!o) return c;
  *c = *o;
  c->shapes = calloc((size_t)o->n_shapes + 1, sizeof *c->shapes);
  c->dims = calloc((size_t)o->n_dims + 1, sizeof *c->dims);
  c->values = calloc((size_t)o->n_values + 1, sizeof *c->values);
  c->n_shapes = c->n_dims = c->n_values = 0;
  bool ok = c->shapes && c->dims && c->values;
  for (int i = 0; ok && i < o->n_shapes; i++, c->n_shapes++) {
    c->shapes[i] = o->shapes[i];
    ok = (c->shapes[i].name = qi_str_dup(o->shapes[i].name)) != NULL;
  }
  for (int i = 0; ok && i < o->n_dims; i++, c->n_dims++) {
    c->dims[i] = o->dims[i];
    ok = (c->dims[i].name = qi_str_dup(o->dims[i].name)) != NULL;
  }
  for (int i = 0; ok && i < o->n_values; i++, c->n_values++) {
    c->values[i] = o->values[i];
    c->values[i].data = malloc(o->values[i].nbytes ? o->values[i].nbytes : 1);
    c->values[i].name = qi_str_dup(o->values[i].name);
    ok = c->values[i].data && c->values[i].name;
    if (c->values[i].data) memcpy(c->values[i].data, o->values[i].data, o->values[i].nbytes);
  }
  if (!ok) {
    qinfer_session_options_destroy(c);
    return NULL;
  }
  return c;
}

static qi_input_value *find_value(const qinfer_session_options *o, const char *name) {
  for (int i = 0; o && i < o->n_values; i++)
    if (strcmp(o->values[i].name, name) == 0) return &o->values[i];
  return NULL;
}

const qi_input_value *qi_options_value(const qinfer_session_options *o, const char *name) {
  return find_value(o, name);
}

qinfer_status qinfer_session_options_set_input_value(qinfer_session_options *o, const char *name, qinfer_dtype dtype,
                                                     const void *data, const int64_t *dims, int rank) {
  qi_error err = {0};
  int64_t numel = 1;
  if (!o || !name || rank < 0 || rank > QI_MAX_RANK || (rank > 0 && !dims) || qi_dtype_size(dtype) == 0 ||
      !qi_shape_numel(rank, dims, &numel) || numel > (int64_t)(SIZE_MAX / 16) || (numel > 0 && !data))
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT,
                               "bad input value arguments (a named input, a known dtype, rank 0..%d, dims >= 0, data)",
                               QI_MAX_RANK), &err);
  const size_t nbytes = (size_t)numel * qi_dtype_size(dtype);
  void *copy = malloc(nbytes ? nbytes : 1);
  if (!copy) return global_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
  if (nbytes) memcpy(copy, data, nbytes);
  qi_input_value *slot = find_value(o, name);
  if (!slot) {
    qi_input_value *grown = realloc(o->values, sizeof *grown * (size_t)(o->n_values + 1));
    char *dup = qi_str_dup(name);
    if (grown) o->values = grown;
    if (!grown || !dup) {
      free(copy);
      free(dup);
      return global_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
    }
    slot = &o->values[o->n_values++];
    *slot = (qi_input_value){.name = dup};
  }
  free(slot->data);
  slot->data = copy;
  slot->nbytes = nbytes;
  slot->dtype = (int)dtype;
  slot->rank = rank;
  for (int i = 0; i < rank; i++) slot->dims[i] = dims[i];
  slot->bind = false;
  return QINFER_OK;
}

qinfer_status qinfer_session_options_set_threads(qinfer_session_options *o, int threads) {
  qi_error err = {0};
  if (!o || threads < 0 || threads > 1024)
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "threads must be in 0..1024"), &err);
  o->threads = threads;
  return QINFER_OK;
}

qinfer_status qinfer_session_options_set_isa(qinfer_session_options *o, qinfer_isa isa) {
  qi_error err = {0};
  if (!o || !qi_isa_public_valid(isa))
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "unknown ISA %d", (int)isa), &err);
  o->isa = isa;
  return QINFER_OK;
}

qinfer_status qinfer_session_options_set_profiling(qinfer_session_options *o, int enable) {
  if (!o) return QINFER_ERR_INVALID_ARGUMENT;
  o->profiling = enable != 0;
  return QINFER_OK;
}

qinfer_status qinfer_session_options_set_keep_intermediates(qinfer_session_options *o, int keep) {
  qi_error err = {0};
  if (!o) return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "options must not be NULL"), &err);
  o->keep_intermediates = keep != 0;
  return QINFER_OK;
}

qinfer_status qinfer_session_options_set_input_shape(qinfer_session_options *o, const char *name,
                                                     const int64_t *dims, int rank) {
  qi_error err = {0};
  if (!o || !name || rank < 0 || rank > QI_MAX_RANK || (rank > 0 && !dims))
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "bad input shape arguments (rank must be 0..%d)",
                               QI_MAX_RANK), &err);
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0)
      return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "input '%s': dimension %d is negative", name, i),
                         &err);
  qi_input_shape *slot = NULL;
  for (int i = 0; i < o->n_shapes; i++)
    if (strcmp(o->shapes[i].name, name) == 0) slot = &o->shapes[i];
  if (!slot) {
    qi_input_shape *grown = realloc(o->shapes, sizeof *grown * (size_t)(o->n_shapes + 1));
    if (!grown) return QINFER_ERR_OUT_OF_MEMORY;
    o->shapes = grown;
    slot = &o->shapes[o->n_shapes];
    if (!(slot->name = qi_str_dup(name))) return QINFER_ERR_OUT_OF_MEMORY;
    o->n_shapes++;
  }
  slot->rank = rank;
  for (int i = 0; i < rank; i++) slot->dims[i] = dims[i];
  return QINFER_OK;
}

qinfer_status qinfer_session_options_set_dim(qinfer_session_options *o, const char *name, int64_t value) {
  qi_error err = {0};
  if (!o || !name || value < 0)
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "bad dimension binding"), &err);
  for (int i = 0; i < o->n_dims; i++)
    if (strcmp(o->dims[i].name, name) == 0) {
      o->dims[i].value = value;
      return QINFER_OK;
    }
  qi_dim_binding *grown = realloc(o->dims, sizeof *grown * (size_t)(o->n_dims + 1));
  if (!grown) return QINFER_ERR_OUT_OF_MEMORY;
  o->dims = grown;
  if (!(o->dims[o->n_dims].name = qi_str_dup(name))) return QINFER_ERR_OUT_OF_MEMORY;
  o->dims[o->n_dims++].value = value;
  return QINFER_OK;
}

/* ---- sessions ---- */

static qi_status choose_isa(const qinfer_session_options *o, qi_isa *out, qi_error *err) {
  int isa = o ? (int)o->isa : QINFER_ISA_AUTO;
  if (isa == QINFER_ISA_AUTO) {
    isa = qi_isa_public_from_env();
    if (isa < 0) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "QINFER_ISA names an unknown ISA path");
  }
  const qi_isa path = qi_isa_from_public((qinfer_isa)isa); /* auto: the best path of this CPU */
  if (!qi_isa_available(path))
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "this CPU cannot run the %s path", qi_isa_name(path));
  *out = path;
  return QINFER_OK;
}

/* Building the session read the weights out of the model file to fold and pack them; the kernels now read
 * the packed copies. Hand the file pages back to the OS: they are clean, so a later read of a weight that is
 * used in place faults it back in from the file, and the resident size drops by the model's size. Copies read
 * into memory (QINFER_LOAD_READ_INTO_MEMORY) are anonymous: MADV_DONTNEED would zero them, so they are kept. */
static void release_file_pages(const qinfer_model *m, const qi_graph *g) {
  if (m->map && !m->in_memory) madvise(m->map, m->map_len, MADV_DONTNEED);
  for (int i = 0; i < g->n_mappings; i++)
    if (!g->mappings[i].in_memory) madvise(g->mappings[i].addr, g->mappings[i].len, MADV_DONTNEED);
#if defined(__GLIBC__)
  malloc_trim(0); /* and the heap pages of the folded weight copies freed after prepare */
#endif
}

/* The tensors qinfer_session_tensor exposes: inputs, then every computed tensor with an arena slot (when kept)
 * or the outputs, in execution order. */
static qi_status list_readable(qinfer_session *s, bool keep, qi_error *err) {
  const qi_graph *g = s->graph;
  s->readable = malloc(sizeof(int) * ((size_t)g->n_tensors + 1));
  if (!s->readable) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < g->n_inputs; i++) s->readable[s->n_readable++] = g->inputs[i];
  for (int oi = 0; oi < g->n_order; oi++) {
    const qi_node *n = &g->nodes[g->order[oi]];
    for (int k = 0; k < n->n_outputs; k++) {
      const int t = n->outputs[k];
      if (t < 0 || s->tensor_offset[t] < 0) continue;
      bool is_output = false;
      for (int i = 0; i < g->n_outputs; i++) is_output |= g->outputs[i] == t;
      if (keep || is_output) s->readable[s->n_readable++] = t;
    }
  }
  return QINFER_OK;
}

/* Points every arena tensor and scratch buffer at its slot. */
static void bind_arena(qinfer_session *s, const int64_t *scratch_offset) {
  qi_graph *g = s->graph;
  for (int t = 0; t < g->n_tensors; t++)
    if (s->tensor_offset[t] >= 0) g->tensors[t].data = (char *)s->arena + s->tensor_offset[t];
  for (int i = 0; i < g->n_nodes; i++)
    s->rt[i].scratch = scratch_offset[i] >= 0 ? (char *)s->arena + scratch_offset[i] : NULL;
}

static qi_status plan_and_bind(qinfer_session *s, bool keep_all, qi_error *err) {
  qi_graph *g = s->graph;
  int64_t *scratch_offset = malloc(sizeof(int64_t) * ((size_t)g->n_nodes + 1));
  s->tensor_offset = malloc(sizeof(int64_t) * ((size_t)g->n_tensors + 1));
  if (!scratch_offset || !s->tensor_offset) {
    free(scratch_offset);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  qi_status st = qi_plan_arena(g, s->rt, keep_all, s->tensor_offset, scratch_offset, &s->arena_bytes, err);
  /* never empty, so that zero-size tensors still get a valid (unused) address */
  if (st == QINFER_OK && !(s->arena = aligned_alloc(QI_ARENA_ALIGN, s->arena_bytes ? s->arena_bytes : QI_ARENA_ALIGN)))
    st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "cannot allocate a %zu-byte arena", s->arena_bytes);
  if (st == QINFER_OK) bind_arena(s, scratch_offset);
  free(scratch_offset);
  return st;
}

/* One zeroed profiling record per step of the execution order, naming its node and kernel. */
static qi_status profile_records(qinfer_session *s, qi_error *err) {
  const qi_graph *g = s->graph;
  if (!(s->profile = calloc((size_t)g->n_order + 1, sizeof *s->profile)))
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int k = 0; k < g->n_order; k++) {
    const qi_node *n = &g->nodes[g->order[k]];
    const char *kernel = s->rt[g->order[k]].kernel;
    s->profile[k] = (qinfer_node_profile){.op_type = n->op_type, .name = n->name ? n->name : "",
                                          .kernel = kernel ? kernel : "-",
                                          .macs = n->op->macs ? n->op->macs(g, n) : 0};
  }
  return QINFER_OK;
}

/* Plans s from its options (s->opts) on a fresh clone of the model's graph: passes, prepare, arena. prev (may be
 * NULL) is the plan in use when re-planning: nodes on the same constant inputs get its packed weights back. An
 * input whose value an op needs to infer shapes, and which the options give a value for, is bound to it (a
 * constant) and the plan starts again. */
static qi_status plan_session(qinfer_session *s, const qinfer_session *prev, qi_error *err) {
  const qinfer_session_options *o = s->opts;
  for (;;) {
    if (!(s->graph = qi_graph_clone(s->model->graph))) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    const qi_pipeline_options passes = {
        .bind_shapes = true, .shapes = o, .fuse_activations = !o->no_act_fusion, .isa = s->isa};
    err->needed_value = NULL;
    const qi_status st = qi_run_pipeline(s->graph, QI_STAGE_ALL, &passes, err);
    if (st == QINFER_OK) break;
    qi_input_value *v = err->needed_value ? find_value(o, err->needed_value->name) : NULL;
    err->needed_value = NULL;
    if (!v || v->bind) return st;
    v->bind = true; /* its value decides shapes */
    qi_graph_free(s->graph);
    s->graph = NULL;
  }
  qi_graph *g = s->graph;
  if (!(s->rt = calloc((size_t)g->n_nodes + 1, sizeof(qi_node_rt))))
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  QI_CHECK(qi_prepare_nodes(g, s->rt, s->isa, prev ? prev->graph : NULL, prev ? prev->rt : NULL, err));
  qi_release_packed_constants(g, s->rt);
  release_file_pages(s->model, s->model->graph);
  QI_CHECK(plan_and_bind(s, o->keep_intermediates, err));
  QI_CHECK(list_readable(s, o->keep_intermediates, err));
  if (o->profiling) QI_CHECK(profile_records(s, err));
  s->input_set = calloc((size_t)g->n_inputs + 1, sizeof(bool));
  s->new_value = calloc((size_t)g->n_inputs + 1, sizeof(void *));
  if (!s->input_set || !s->new_value) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < g->n_inputs; i++) s->input_set[i] = (g->tensors[g->inputs[i]].flags & QI_TF_CONST) != 0;
  return QINFER_OK;
}

/* Frees what a plan of s holds (graph, node data, arena, tables), keeping the packed weights that keep's plan
 * (may be NULL) holds too. */
static void free_plan(qinfer_session *s, const qinfer_session *keep) {
  if (s->rt) qi_release_nodes(s->graph, s->rt, keep ? keep->rt : NULL, keep && keep->graph ? keep->graph->n_nodes : 0);
  free(s->rt);
  free(s->tensor_offset);
  qi_graph_free(s->graph);
  free(s->arena);
  free(s->input_set);
  free(s->new_value);
  free(s->readable);
  free(s->profile);
  s->profile = NULL;
  s->rt = NULL;
  s->tensor_offset = NULL;
  s->graph = NULL;
  s->arena = NULL;
  s->input_set = NULL;
  s->new_value = NULL;
  s->readable = NULL;
}

static void swap_plan(qinfer_session *a, qinfer_session *b) {
#define QI_SWAP(field)            \
  do {                            \
    const qinfer_session t_ = *a; \
    a->field = b->field;          \
    b->field = t_.field;          \
  } while (0)
  QI_SWAP(opts);
  QI_SWAP(graph);
  QI_SWAP(rt);
  QI_SWAP(tensor_offset);
  QI_SWAP(arena);
  QI_SWAP(arena_bytes);
  QI_SWAP(input_set);
  QI_SWAP(new_value);
  QI_SWAP(readable);
  QI_SWAP(n_readable);
  QI_SWAP(profile);
#undef QI_SWAP
}

/* Inputs set in plan `from` whose size is unchanged in plan `to` stay set there (the caller's buffers). */
static void carry_inputs(qinfer_session *to, const qinfer_session *from) {
  for (int i = 0; i < to->graph->n_inputs; i++) {
    qi_tensor *t = &to->graph->tensors[to->graph->inputs[i]];
    const qi_tensor *f = &from->graph->tensors[from->graph->inputs[i]];
    if (to->input_set[i] || !from->input_set[i] || (f->flags & QI_TF_CONST)) continue;
    if (qi_dtype_bytes(t->dtype, (size_t)qi_tensor_numel(t)) != f->nbytes) continue;
    t->data = f->data;
    t->nbytes = f->nbytes;
    to->input_set[i] = true;
  }
}

/* Plans s again from opts (taken over): on success the new plan replaces the one in use, which is freed save the
 * packed weights the new one took over; on failure the session keeps its plan as it was. Allocates. */
static qi_status replan(qinfer_session *s, qinfer_session_options *opts) {
  qinfer_session *p = calloc(1, sizeof *p);
  if (!p) {
    qinfer_session_options_destroy(opts);
    return qi_fail(&s->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  p->model = s->model;
  p->isa = s->isa;
  p->opts = opts;
  const qi_status st = plan_session(p, s, &s->err);
  if (st == QINFER_OK) {
    carry_inputs(p, s);
    swap_plan(s, p);
    s->replan_pending = false;
  }
  free_plan(p, s);
  qinfer_session_options_destroy(p->opts);
  free(p);
  return st;
}

static qi_status build_session(qinfer_session *s, const qinfer_session_options *o, qi_error *err) {
  QI_CHECK(choose_isa(o, &s->isa, err));
  if (!(s->opts = options_copy(o))) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  QI_CHECK(plan_session(s, NULL, err));
  int threads = s->opts->threads;
  if (threads == 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads > 1 && !(s->pool = qi_threadpool_create(threads)))
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "cannot start %d threads", threads);
  return QINFER_OK;
}

qinfer_status qinfer_session_create(const qinfer_model *model, const qinfer_session_options *o,
                                    qinfer_session **out) {
  qi_error err = {0};
  if (!model || !out)
    return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "model and out_session must not be NULL"), &err);
  *out = NULL;
  qinfer_session *s = calloc(1, sizeof *s);
  if (!s) return global_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
  atomic_init(&s->busy, false);
  s->model = model;
  qi_status st = build_session(s, o, &err);
  if (st != QINFER_OK) {
    qinfer_session_destroy(s);
    return global_fail(st, &err);
  }
  *out = s;
  return QINFER_OK;
}

void qinfer_session_destroy(qinfer_session *s) {
  if (!s) return;
  qi_threadpool_destroy(s->pool);
  free_plan(s, NULL);
  qinfer_session_options_destroy(s->opts);
  free(s);
}

const char *qinfer_session_last_error(const qinfer_session *s) { return s ? s->err.msg : qinfer_last_error(); }

size_t qinfer_session_input_count(const qinfer_session *s) { return s ? (size_t)s->graph->n_inputs : 0; }
size_t qinfer_session_output_count(const qinfer_session *s) { return s ? (size_t)s->graph->n_outputs : 0; }

qinfer_status qinfer_session_input_info(const qinfer_session *s, size_t index, qinfer_tensor_info *info) {
  if (!s) return QINFER_ERR_INVALID_ARGUMENT;
  return info_at(s->graph, s->graph->inputs, s->graph->n_inputs, index, info, &((qinfer_session *)s)->err);
}

qinfer_status qinfer_session_output_info(const qinfer_session *s, size_t index, qinfer_tensor_info *info) {
  if (!s) return QINFER_ERR_INVALID_ARGUMENT;
  return info_at(s->graph, s->graph->outputs, s->graph->n_outputs, index, info, &((qinfer_session *)s)->err);
}

static int index_of(const qi_graph *g, const int *list, int count, const char *name) {
  if (!name) return -1;
  for (int i = 0; i < count; i++)
    if (strcmp(g->tensors[list[i]].name, name) == 0) return i;
  return -1;
}

int qinfer_session_input_index(const qinfer_session *s, const char *name) {
  return s ? index_of(s->graph, s->graph->inputs, s->graph->n_inputs, name) : -1;
}

int qinfer_session_output_index(const qinfer_session *s, const char *name) {
  return s ? index_of(s->graph, s->graph->outputs, s->graph->n_outputs, name) : -1;
}

/* One session, one thread at a time (include/qinfer.h): run, set_input, resize_input, get_output and tensor claim
 * the session with one atomic exchange and give it back on return. A call that finds it claimed by another thread fails
 * without touching the session; its message goes to the calling thread's qinfer_last_error(), since the
 * session's own message belongs to the thread inside it. Costs one exchange and one store per call. */
static qi_status session_enter(const qinfer_session *cs) {
  qinfer_session *s = (qinfer_session *)cs; /* the flag is the one member a const entry point writes */
  if (!atomic_exchange_explicit(&s->busy, true, memory_order_acquire)) return QINFER_OK;
  qi_error err;
  return global_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "session is already running on another thread"),
                     &err);
}

static qi_status session_leave(const qinfer_session *cs, qi_status st) {
  atomic_store_explicit(&((qinfer_session *)cs)->busy, false, memory_order_release);
  return st;
}

/* An input bound to its value (it decides shapes): another value is remembered, and the next run plans the
 * session again for it; the same value changes nothing. */
static qi_status set_bound_input(qinfer_session *s, size_t index, const qi_tensor *t, const void *data,
                                 size_t nbytes) {
  const qi_input_value *v = qi_options_value(s->opts, t->name);
  if (!v) return qi_fail(&s->err, QINFER_ERR_RUNTIME, "input '%s' is constant without a bound value", t->name);
  if (nbytes != v->nbytes || (!data && nbytes)) {
    char shape[128];
    return qi_fail(&s->err, QINFER_ERR_SHAPE,
                   "input '%s' decides shapes and is bound to a value of %zu bytes (%s %s), got %zu: a value of "
                   "another shape needs a new session",
                   t->name, v->nbytes, qi_dtype_name(v->dtype), qi_shape_str(v->rank, v->dims, shape, sizeof shape),
                   nbytes);
  }
  s->new_value[index] = nbytes && memcmp(data, v->data, nbytes) != 0 ? data : NULL;
  s->replan_pending = false;
  for (int i = 0; i < s->graph->n_inputs; i++) s->replan_pending |= s->new_value[i] != NULL;
  return QINFER_OK;
}

/* Plans the session again for the new values set_input gave inputs bound to a value. */
static qi_status replan_values(qinfer_session *s) {
  qinfer_session_options *o = options_copy(s->opts);
  if (!o) return qi_fail(&s->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  const qi_graph *g = s->graph;
  for (int i = 0; i < g->n_inputs; i++) {
    qi_input_value *v = s->new_value[i] ? find_value(o, g->tensors[g->inputs[i]].name) : NULL;
    if (v) memcpy(v->data, s->new_value[i], v->nbytes);
  }
  return replan(s, o);
}

static qi_status set_input(qinfer_session *s, size_t index, const void *data, size_t nbytes) {
  qi_graph *g = s->graph;
  if (index >= (size_t)g->n_inputs)
    return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT, "input index %zu out of range (%d inputs)", index,
                   g->n_inputs);
  qi_tensor *t = &g->tensors[g->inputs[index]];
  if (t->flags & QI_TF_CONST) return set_bound_input(s, index, t, data, nbytes);
  const size_t expect = qi_dtype_bytes(t->dtype, (size_t)qi_tensor_numel(t));
  if (!data && expect)
    return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT, "input '%s': data is NULL", t->name);
  if (nbytes != expect) {
    char shape[128];
    return qi_fail(&s->err, QINFER_ERR_SHAPE, "input '%s' expects %zu bytes (%s %s), got %zu", t->name, expect,
                   qi_dtype_name(t->dtype), qi_shape_str(t->rank, t->dims, shape, sizeof shape), nbytes);
  }
  t->data = (void *)data; /* read-only: no op writes a graph input */
  t->nbytes = nbytes;
  s->input_set[index] = true;
  return QINFER_OK;
}

qinfer_status qinfer_session_set_input(qinfer_session *s, size_t index, const void *data, size_t nbytes) {
  if (!s) return QINFER_ERR_INVALID_ARGUMENT;
  QI_CHECK(session_enter(s));
  return session_leave(s, set_input(s, index, data, nbytes));
}

static qi_status run(qinfer_session *s) {
  if (s->replan_pending) QI_CHECK(replan_values(s));
  const qi_graph *g = s->graph;
  for (int i = 0; i < g->n_inputs; i++)
    if (!s->input_set[i])
      return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT, "input '%s' was not set", g->tensors[g->inputs[i]].name);
  return qi_execute(s->graph, s->rt, s->pool, s->profile, &s->err);
}

qinfer_status qinfer_session_run(qinfer_session *s) {
  if (!s) return QINFER_ERR_INVALID_ARGUMENT;
  QI_CHECK(session_enter(s));
  return session_leave(s, run(s));
}

qinfer_status qinfer_session_profile(const qinfer_session *s, const qinfer_node_profile **records, size_t *count) {
  if (!s || !records || !count) return QINFER_ERR_INVALID_ARGUMENT;
  *records = s->profile;
  *count = s->profile ? (size_t)s->graph->n_order : 0;
  return QINFER_OK;
}

qinfer_status qinfer_session_profile_reset(qinfer_session *s) {
  if (!s) return QINFER_ERR_INVALID_ARGUMENT;
  QI_CHECK(session_enter(s));
  for (int k = 0; s->profile && k < s->graph->n_order; k++) {
    s->profile[k].last_ms = s->profile[k].total_ms = 0;
    s->profile[k].runs = 0;
  }
  return session_leave(s, QINFER_OK);
}

/* The shape input j takes when input `index` is resized to dims: its own for index; for another input, the shape
 * it has now with every dimension that shares a symbolic name with a dimension of the resized one following it. */
static void shape_after_resize(const qinfer_session *s, int j, size_t index, const int64_t *dims, int rank,
                               int64_t *out, int *out_rank) {
  const qi_graph *mg = s->model->graph, *g = s->graph;
  const qi_tensor *now = &g->tensors[g->inputs[j]];
  if ((size_t)j == index) {
    *out_rank = rank;
    memcpy(out, dims, sizeof(int64_t) * (size_t)rank);
    return;
  }
  const qi_tensor *declared = &mg->tensors[mg->inputs[j]], *resized = &mg->tensors[mg->inputs[index]];
  *out_rank = now->rank;
  for (int e = 0; e < now->rank; e++) {
    out[e] = now->dims[e];
    for (int f = 0; e < declared->rank && f < resized->rank && f < rank; f++)
      if (declared->sym[e] >= 0 && declared->sym[e] == resized->sym[f]) out[e] = dims[f];
  }
}

static qi_status resize_input(qinfer_session *s, size_t index, const int64_t *dims, int rank) {
  const qi_graph *g = s->graph;
  if (index >= (size_t)g->n_inputs)
    return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT, "input index %zu out of range (%d inputs)", index,
                   g->n_inputs);
  const qi_tensor *t = &g->tensors[g->inputs[index]];
  if (rank < 0 || rank > QI_MAX_RANK || (rank > 0 && !dims))
    return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT, "input '%s': rank must be 0..%d with dims", t->name,
                   QI_MAX_RANK);
  for (int d = 0; d < rank; d++)
    if (dims[d] < 0)
      return qi_fail(&s->err, QINFER_ERR_SHAPE, "input '%s': dimension %d is negative", t->name, d);
  if (t->flags & QI_TF_CONST)
    return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT,
                   "input '%s' decides shapes and is bound to its value: set another value with "
                   "qinfer_session_set_input instead", t->name);
  if (rank == t->rank && (rank == 0 || memcmp(dims, t->dims, sizeof(int64_t) * (size_t)rank) == 0))
    return QINFER_OK; /* the shape it has */
  qinfer_session_options *o = options_copy(s->opts);
  if (!o) return qi_fail(&s->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int j = 0; j < g->n_inputs; j++) {
    if (g->tensors[g->inputs[j]].flags & QI_TF_CONST) continue; /* bound to its value */
    int64_t shape[QI_MAX_RANK];
    int r;
    shape_after_resize(s, j, index, dims, rank, shape, &r);
    if (qinfer_session_options_set_input_shape(o, g->tensors[g->inputs[j]].name, shape, r) != QINFER_OK) {
      qinfer_session_options_destroy(o);
      return qi_fail(&s->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    }
  }
  return replan(s, o);
}

qinfer_status qinfer_session_resize_input(qinfer_session *s, size_t index, const int64_t *dims, int rank) {
  if (!s) return QINFER_ERR_INVALID_ARGUMENT;
  QI_CHECK(session_enter(s));
  return session_leave(s, resize_input(s, index, dims, rank));
}

static qi_status get_output(const qinfer_session *s, size_t index, const void **data, size_t *nbytes) {
  const qi_graph *g = s->graph;
  if (index >= (size_t)g->n_outputs)
    return qi_fail(&((qinfer_session *)s)->err, QINFER_ERR_INVALID_ARGUMENT, "output index %zu out of range", index);
  const qi_tensor *t = &g->tensors[g->outputs[index]];
  *data = t->data;
  *nbytes = qi_dtype_bytes(t->dtype, (size_t)qi_tensor_numel(t));
  return QINFER_OK;
}

qinfer_status qinfer_session_get_output(const qinfer_session *s, size_t index, const void **data, size_t *nbytes) {
  if (!s || !data || !nbytes) return QINFER_ERR_INVALID_ARGUMENT;
  QI_CHECK(session_enter(s));
  return session_leave(s, get_output(s, index, data, nbytes));
}

size_t qinfer_session_tensor_count(const qinfer_session *s) { return s ? (size_t)s->n_readable : 0; }

static qi_status session_tensor(const qinfer_session *s, size_t index, qinfer_tensor_info *info, const void **data,
                                size_t *nbytes) {
  QI_CHECK(info_at(s->graph, s->readable, s->n_readable, index, info, &((qinfer_session *)s)->err));
  const qi_tensor *t = &s->graph->tensors[s->readable[index]];
  *data = t->data;
  *nbytes = qi_dtype_bytes(t->dtype, (size_t)qi_tensor_numel(t));
  return QINFER_OK;
}

qinfer_status qinfer_session_tensor(const qinfer_session *s, size_t index, qinfer_tensor_info *info,
                                    const void **data, size_t *nbytes) {
  if (!s || !info || !data || !nbytes) return QINFER_ERR_INVALID_ARGUMENT;
  QI_CHECK(session_enter(s));
  return session_leave(s, session_tensor(s, index, info, data, nbytes));
}

int qinfer_session_tensor_index(const qinfer_session *s, const char *name) {
  return s ? index_of(s->graph, s->readable, s->n_readable, name) : -1;
}

const char *qinfer_session_isa_name(const qinfer_session *s) {
  return s ? qi_isa_name(s->isa) : "unknown";
}

size_t qinfer_session_arena_bytes(const qinfer_session *s) { return s ? s->arena_bytes : 0; }
