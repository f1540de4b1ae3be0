/* Per-weight importance E[x_k^2] (engine/quant/weight_importance.h). */
#include "engine/quant/weight_importance.h"

#include <stdlib.h>
#include <string.h>

double *qz_weight_importance(const qi_node *n, const qi_tensor *wt, const qz_range *xr) {
  if (!xr || wt->rank < 2) return NULL;
  const bool conv = !strcmp(n->op_type, "Conv"), gemm = !strcmp(n->op_type, "Gemm");
  const bool matmul = !strcmp(n->op_type, "MatMul");
  const int64_t numel = qi_tensor_numel(wt);
  if (numel < 1) return NULL;
  /* E[x^2] per input index: along axis 1 (Conv channels, a 2-D A's K) or the last axis (a MatMul's A of rank >= 3) */
  const double *sq = xr->ch_sq;
  int64_t len = xr->channels;
  double count = xr->ch_count;
  int64_t k_len; /* the weight's K (Conv: C/g) */
  if (conv) k_len = wt->dims[1];
  else if (gemm && wt->rank == 2 && qi_attr_int(n, "transA", 0) == 0)
    k_len = qi_attr_int(n, "transB", 0) ? wt->dims[1] : wt->dims[0];
  else if (matmul) k_len = wt->dims[wt->rank - 2];
  else return NULL;
  const int64_t groups = conv ? qi_attr_int(n, "group", 1) : 1;
  if (matmul && len != k_len) sq = xr->last_sq, len = xr->last_len, count = xr->last_count;
  if (!sq || !(count > 0) || groups < 1 || wt->dims[0] % groups || len != k_len * groups) return NULL;
  double *imp = malloc(sizeof(double) * (size_t)numel);
  if (!imp) return NULL;
  if (conv) { /* [M, C/g, taps]: element (m, c, tap) reads channel m / (M / g) * C/g + c */
    const int64_t m_count = wt->dims[0], taps = numel / (m_count * k_len);
    for (int64_t m = 0, e = 0; m < m_count; m++) {
      const int64_t c0 = m / (m_count / groups) * k_len;
      for (int64_t c = 0; c < k_len; c++)
        for (int64_t t = 0; t < taps; t++, e++) imp[e] = sq[c0 + c] / count;
    }
  } else if (gemm && qi_attr_int(n, "transB", 0)) { /* [N, K] */
    for (int64_t e = 0; e < numel; e++) imp[e] = sq[e % k_len] / count;
  } else { /* [..., K, N] */
    const int64_t cols = wt->dims[wt->rank - 1];
    for (int64_t e = 0; e < numel; e++) imp[e] = sq[e / cols % k_len] / count;
  }
  return imp;
}
