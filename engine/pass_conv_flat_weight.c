/* A Conv weight written flat: DequantizeLinear(4-bit [M, K] blocked along K) -> Reshape(constant shape) -> Conv W.
 * Blocks of a 4-bit Conv weight along the im2col's K = C/g * kh * kw (k = (c * kh + y) * kw + x) have one scale
 * per block of consecutive k, which ONNX's blocked DequantizeLinear can only state on the 2-D [M, K] form; the
 * Reshape gives the Conv its [M, C/g, kh, kw]. Both 4-bit fusions (W4A8 and W4A32) look through it. */
#include <stdlib.h>
#include <string.h>

#include "engine/pass_qdq.h"

int qi_conv_flat_weight(qi_graph *g, int conv, int t, qi_status *st, qi_error *err) {
  const int p = t >= 0 ? g->tensors[t].producer : -1;
  if (p < 0) return -1;
  const qi_node *r = &g->nodes[p];
  if (r->dead || r->domain[0] || strcmp(r->op_type, "Reshape") != 0 || r->n_inputs < 2 || r->n_outputs != 1)
    return -1;
  const int flat = r->inputs[0], shape = r->inputs[1];
  if (flat < 0 || shape < 0 || !(g->tensors[shape].flags & QI_TF_CONST) || !g->tensors[shape].data ||
      g->tensors[shape].dtype != QINFER_DTYPE_INT64 || g->tensors[shape].rank != 1)
    return -1;
  const qi_tensor *ft = &g->tensors[flat];
  const int64_t rank = g->tensors[shape].dims[0];
  const int64_t *dims = g->tensors[shape].data;
  if (ft->rank != 2 || rank < 3 || rank > 4 || dims[0] != ft->dims[0]) return -1;
  int64_t k = 1;
  for (int i = 1; i < rank; i++) {
    if (dims[i] < 1 || dims[i] > ft->dims[1]) return -1; /* explicit dims only (no 0 / -1) */
    k *= dims[i];
  }
  if (k != ft->dims[1]) return -1;
  /* the fused op reads the window from kernel_shape: the Conv's own (its infer checks it against the weight's
   * dims), or the Reshape's spatial dims written onto the Conv, where they are what ONNX infers anyway */
  const int64_t *ks;
  if (qi_attr_ints(&g->nodes[conv], "kernel_shape", &ks) >= 0) return flat;
  qi_attr *a = qi_node_add_attr(g, conv, "kernel_shape", QI_ATTR_INTS);
  int64_t *v = a ? malloc(sizeof(int64_t) * (size_t)(rank - 2)) : NULL;
  if (!v) {
    *st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  memcpy(v, (const int64_t *)g->tensors[shape].data + 2, sizeof(int64_t) * (size_t)(rank - 2));
  a->ints = v;
  a->n = (int)(rank - 2);
  return flat;
}
