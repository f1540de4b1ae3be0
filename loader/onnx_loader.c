/* qi_onnx_load: ModelProto header (IR version, producer, opset imports), then the graph (ld_graph.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader_internal.h"
#include "loader/onnx_loader.h"

#define QI_MAX_OPSET_IMPORTS 1024
#define QI_MAX_OPSET_VERSION 100000 /* far above any real opset version */

typedef struct model_msg {
  qi_ld *ld;
  qi_span producer, graph;
} model_msg;

typedef struct opset_msg {
  qi_ld *ld;
  qi_span domain;
} opset_msg;

static bool opset_domain_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  (void)field;
  opset_msg *m = *arg;
  return qi_ld_take_span(m->ld, stream, &m->domain, "opset domain");
}

/* Records one OperatorSetIdProto in g->opset_domains / g->opset_versions ("ai.onnx" stored as ""). */
static bool add_opset(qi_ld *ld, pb_istream_t *stream) {
  qi_graph *g = ld->g;
  opset_msg m = {ld, {0}};
  onnx_OperatorSetIdProto pb = onnx_OperatorSetIdProto_init_zero;
  pb.domain.funcs.decode = opset_domain_cb;
  pb.domain.arg = &m;
  if (!qi_ld_decode(ld, stream, onnx_OperatorSetIdProto_fields, &pb, "opset import")) return false;
  if (g->n_opsets >= QI_MAX_OPSET_IMPORTS)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "more than %d opset imports", QI_MAX_OPSET_IMPORTS);
  char *domain = qi_ld_strdup(ld, m.domain, "opset domain");
  if (!domain) return false;
  if (strcmp(domain, "ai.onnx") == 0) domain[0] = '\0';
  bool ok = true;
  if (!pb.has_version || pb.version < 1 || pb.version > QI_MAX_OPSET_VERSION)
    ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "opset import for domain '%s' has an invalid version %lld", domain,
                    (long long)pb.version);
  else if (qi_ld_opset(ld, domain) >= 0)
    ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "domain '%s' is imported twice", domain);
  char **domains = ok ? realloc(g->opset_domains, sizeof(char *) * (size_t)(g->n_opsets + 1)) : NULL;
  if (domains) g->opset_domains = domains;
  int64_t *versions = domains ? realloc(g->opset_versions, sizeof(int64_t) * (size_t)(g->n_opsets + 1)) : NULL;
  if (versions) g->opset_versions = versions;
  if (ok && !versions) ok = qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  if (!ok) {
    free(domain);
    return false;
  }
  g->opset_domains[g->n_opsets] = domain;
  g->opset_versions[g->n_opsets++] = pb.version;
  return true;
}

static bool model_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  model_msg *m = *arg;
  switch (field->tag) {
    case onnx_ModelProto_opset_import_tag: return add_opset(m->ld, stream);
    case onnx_ModelProto_producer_name_tag: return qi_ld_take_span(m->ld, stream, &m->producer, "producer_name");
    case onnx_ModelProto_graph_tag:
      if (m->graph.set) return qi_ld_fail(m->ld, QINFER_ERR_INVALID_MODEL, "the model has more than one graph");
      return qi_ld_take_span(m->ld, stream, &m->graph, "graph");
    default: return qi_ld_fail(m->ld, QINFER_ERR_INVALID_MODEL, "model: unexpected field %u", (unsigned)field->tag);
  }
}

/* Decodes the model header and builds the graph. */
static bool load(qi_ld *ld) {
  model_msg m = {.ld = ld};
  onnx_ModelProto pb = onnx_ModelProto_init_zero;
  pb.opset_import.funcs.decode = pb.producer_name.funcs.decode = pb.graph.funcs.decode = model_cb;
  pb.opset_import.arg = pb.producer_name.arg = pb.graph.arg = &m;
  if (!qi_ld_decode_span(ld, (qi_span){ld->buf, ld->size, true}, onnx_ModelProto_fields, &pb, "model")) return false;
  ld->ir_version = pb.has_ir_version ? pb.ir_version : 0;
  ld->g->ir_version = ld->ir_version;
  if (!(ld->g->producer_name = qi_ld_strdup(ld, m.producer, "producer_name"))) return false;
  if (!m.graph.set) return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "the model has no graph");
  /* Before IR version 3 there were no opset imports: the default domain is implicitly at version 1. */
  if (ld->ir_version < 3 && qi_ld_opset(ld, "") < 0) {
    char **domains = realloc(ld->g->opset_domains, sizeof(char *) * (size_t)(ld->g->n_opsets + 1));
    if (domains) ld->g->opset_domains = domains;
    int64_t *versions = domains ? realloc(ld->g->opset_versions, sizeof(int64_t) * (size_t)(ld->g->n_opsets + 1)) : NULL;
    if (versions) ld->g->opset_versions = versions;
    char *empty = versions ? calloc(1, 1) : NULL;
    if (!empty) return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    ld->g->opset_domains[ld->g->n_opsets] = empty;
    ld->g->opset_versions[ld->g->n_opsets++] = 1;
  }
  if (!qi_ld_graph(ld, m.graph)) return false;
  if (qi_graph_toposort(ld->g, ld->err) != QINFER_OK) return qi_ld_adopt(ld);
  return true;
}

qi_status qi_onnx_load(const void *data, size_t size, const char *base_dir, qi_graph **out, qi_error *err) {
  return qi_onnx_load_flags(data, size, base_dir, 0, out, err);
}

qi_status qi_onnx_load_flags(const void *data, size_t size, const char *base_dir, unsigned flags, qi_graph **out,
                             qi_error *err) {
  qi_error local;
  if (!err) err = &local;
  qi_error_clear(err);
  if (!out || (!data && size)) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "qi_onnx_load: NULL argument");
  *out = NULL;
  if (size == 0) return qi_fail(err, QINFER_ERR_INVALID_MODEL, "the model is empty");
  qi_ld ld = {.buf = data, .size = size, .base_dir = base_dir, .flags = flags, .err = err};
  qi_name_map_init(&ld.names);
  qi_name_map_init(&ld.syms);
  if (!(ld.g = qi_graph_new())) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  bool ok = load(&ld);
  qi_name_map_free(&ld.names);
  qi_name_map_free(&ld.syms);
  qi_ld_external_free(&ld);
  if (!ok) {
    qi_graph_free(ld.g);
    return err->code != QINFER_OK ? err->code : qi_fail(err, QINFER_ERR_INVALID_MODEL, "invalid model");
  }
  *out = ld.g;
  return QINFER_OK;
}
