#include "engine/quant/compare_match.h"

#include <stdlib.h>
#include <string.h>

#include "engine/quant/io/tensor_stats.h"

bool qi_cmp_is_float_dtype(qinfer_dtype d) {
  return d == QINFER_DTYPE_FLOAT || d == QINFER_DTYPE_DOUBLE || d == QINFER_DTYPE_FLOAT16;
}

bool qi_cmp_is_quant_dtype(qinfer_dtype d) {
  return d == QINFER_DTYPE_UINT8 || d == QINFER_DTYPE_INT8 || d == QINFER_DTYPE_UINT16 || d == QINFER_DTYPE_INT16;
}

bool qi_cmp_is_quantize(const qi_node *n) {
  return !n->dead && !strcmp(n->op_type, "QuantizeLinear") && (!n->domain[0] || !strcmp(n->domain, "com.microsoft")) &&
         n->n_inputs >= 2 && n->inputs[0] >= 0 && n->n_outputs >= 1 && n->outputs[0] >= 0;
}

static bool is_const_tensor(const qi_graph *g, int t) {
  return t >= 0 && (g->tensors[t].flags & QI_TF_CONST) && g->tensors[t].data;
}

void qi_cmp_dequant_free(qi_cmp_dequant *d) {
  free(d->scale);
  free(d->zp);
  memset(d, 0, sizeof *d);
}

bool qi_cmp_quant_params(const qi_graph *g, const qi_node *n, const qinfer_tensor_info *out, qi_cmp_dequant *d) {
  memset(d, 0, sizeof *d);
  if (!qi_cmp_is_quant_dtype(out->dtype)) return false;
  const int st = n->inputs[1], zt = n->n_inputs > 2 ? n->inputs[2] : -1;
  if (!is_const_tensor(g, st) || (zt >= 0 && !is_const_tensor(g, zt))) return false;
  const qi_tensor *S = &g->tensors[st], *Z = zt >= 0 ? &g->tensors[zt] : NULL;
  if (S->dtype != QINFER_DTYPE_FLOAT || S->rank > 1 || qi_attr_int(n, "block_size", 0) != 0) return false;
  const int64_t np = qi_tensor_numel(S);
  if (np < 1 || (Z && qi_tensor_numel(Z) != np)) return false;
  int64_t inner = 1;
  if (np > 1) {
    int64_t axis = qi_attr_int(n, "axis", 1);
    if (axis < 0) axis += out->rank;
    if (axis < 0 || axis >= out->rank || out->dims[axis] != np) return false;
    for (int k = (int)axis + 1; k < out->rank; k++) inner *= out->dims[k];
  }
  d->scale = malloc((size_t)np * sizeof *d->scale);
  d->zp = malloc((size_t)np * sizeof *d->zp);
  if (!d->scale || !d->zp) {
    qi_cmp_dequant_free(d);
    return false;
  }
  memcpy(d->scale, S->data, (size_t)np * sizeof *d->scale);
  for (int64_t c = 0; c < np; c++) d->zp[c] = Z ? qi_element_as_double((qinfer_dtype)Z->dtype, Z->data, c) : 0.0;
  d->q = (qi_cmp_quant){.dtype = out->dtype, .scale = d->scale, .zero_point = d->zp, .n_params = np, .inner = inner};
  return true;
}

const qi_node *qi_cmp_quantize_writing(const qi_graph *g, const char *name) {
  int t = qi_graph_find_tensor(g, name);
  int p = t >= 0 ? g->tensors[t].producer : -1;
  return p >= 0 && qi_cmp_is_quantize(&g->nodes[p]) ? &g->nodes[p] : NULL;
}
