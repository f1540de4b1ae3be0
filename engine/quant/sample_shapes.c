/* The calibration samples grouped by shape (docs/quantization.md, "Samples of several shapes"): every sample is
 * loaded once before calibration, checked against the model's inputs (rank and every fixed dimension; the dtype
 * and finiteness by qz_sample_load) and given the group of its shape; calibration then builds one session per
 * group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/job.h"

/* The model input's declared shape, its symbolic dims by name ("?" when unnamed): [N,3,H,W]. */
static const char *declared_shape(const qinfer_tensor_info *info, char *buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "[");
  for (int d = 0; d < info->rank && used < size; d++) {
    const char *sep = d ? "," : "";
    if (info->dims[d] >= 0) used += (size_t)snprintf(buf + used, size - used, "%s%lld", sep, (long long)info->dims[d]);
    else used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, info->dim_names[d] ? info->dim_names[d] : "?");
  }
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}

/* Whether sample tensor t fits model input k: same rank, and every fixed dimension equal. */
static qi_status check_fits(const qz_source *src, size_t index, int k, const qi_host_tensor *t, qi_error *err) {
  qinfer_tensor_info info;
  qinfer_model_input_info(src->model, (size_t)k, &info);
  bool fits = info.rank == t->rank;
  for (int d = 0; fits && d < info.rank; d++) fits = info.dims[d] < 0 || info.dims[d] == t->dims[d];
  if (fits) return QINFER_OK;
  char label[320], got[160], want[512];
  return qi_fail(err, QINFER_ERR_SHAPE, "%s: shape %s does not fit the model's input '%s' %s%s",
                 qz_sample_label(src, index, k, label, sizeof label), qi_shape_str(t->rank, t->dims, got, sizeof got),
                 info.name, declared_shape(&info, want, sizeof want),
                 info.rank == t->rank ? " (only its symbolic dimensions may vary)" : "");
}

static bool same_shape(const qz_shape_group *g, int n_inputs, const qinfer_quant_sample *s) {
  for (int i = 0; i < n_inputs; i++)
    if (g->rank[i] != s->t[i].rank || memcmp(g->dims[i], s->t[i].dims, sizeof(int64_t) * (size_t)g->rank[i]) != 0)
      return false;
  return true;
}

/* The group of sample s's shape, added when new; -1 when out of memory. */
static int group_of(qz_source *src, const qinfer_quant_sample *s) {
  for (int g = 0; g < src->n_groups; g++)
    if (same_shape(&src->groups[g], src->n_inputs, s)) return g;
  qz_shape_group *grown = realloc(src->groups, sizeof *grown * ((size_t)src->n_groups + 1));
  if (!grown) return -1;
  src->groups = grown;
  qz_shape_group *g = &src->groups[src->n_groups];
  memset(g, 0, sizeof *g);
  for (int i = 0; i < src->n_inputs; i++) {
    g->rank[i] = s->t[i].rank;
    memcpy(g->dims[i], s->t[i].dims, sizeof(int64_t) * (size_t)s->t[i].rank);
  }
  return src->n_groups++;
}

qi_status qz_source_group_shapes(qz_source *src, qi_error *err) {
  if (!(src->group = malloc(sizeof(int) * (src->n_samples + 1))))
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (size_t s = 0; s < src->n_samples; s++) {
    qinfer_quant_sample sample;
    qi_status st = qz_sample_load(src, s, &sample, err);
    for (int k = 0; st == QINFER_OK && k < src->n_inputs; k++) st = check_fits(src, s, k, &sample.t[k], err);
    if (st == QINFER_OK && (src->group[s] = group_of(src, &sample)) < 0)
      st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    qz_sample_free(&sample);
    if (st != QINFER_OK) return st;
    src->groups[src->group[s]].n++;
  }
  return QINFER_OK;
}

qi_status qz_sample_load_in_group(const qz_source *src, size_t index, qinfer_quant_sample *s, qi_error *err) {
  QI_CHECK(qz_sample_load(src, index, s, err));
  if (same_shape(&src->groups[src->group[index]], src->n_inputs, s)) return QINFER_OK;
  char label[320];
  return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s: its shape changed since it was first read",
                 qz_sample_label(src, index, -1, label, sizeof label));
}
