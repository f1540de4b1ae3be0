/* GPTQ over a model: the layers, their H from the calibration samples, batch by batch
 * (engine/quant/gptq_collect.h). */
#include "engine/quant/gptq_collect.h"

#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "engine/quant/gptq.h"

typedef struct layer {
  int node, input;     /* in the analysis graph */
  const char *weight;  /* its weight tensor's name */
  int64_t dims[2];     /* the weight as GPTQ sees it: [M, K] (out_axis 0) or [K, M] (out_axis 1) */
  int out_axis;
  int64_t k;
  qz_weight_spec spec;
  bool conv;
  int64_t kernel[2], stride[2], pad[2], pad_end[2], dilation[2]; /* Conv: (h, w); a 1-D Conv as h = 1 */
  double *h;           /* k x k sums of x x^T (upper triangle), during its batch */
  double count;        /* columns summed */
} layer;

/* The layer node n makes, or false when GPTQ does not apply to it. */
static bool layer_of(const qz_job *j, const qz_options *o, int ni, layer *l) {
  const qi_graph *g = j->g;
  const qi_node *n = &g->nodes[ni];
  if (n->dead || n->domain[0] || !(qi_node_op_flags(n) & QI_OPF_QUANT_LINEAR) || n->n_inputs < 2 ||
      qz_node_excluded(g, n, o))
    return false;
  const int x = n->inputs[0], w = n->inputs[1];
  if (x < 0 || w < 0 || !j->plan.quantize[x] || j->session_index[x] < 0) return false;
  const qi_tensor *wt = &g->tensors[w];
  if (!(wt->flags & QI_TF_CONST) || wt->dtype != QINFER_DTYPE_FLOAT || !wt->data || wt->rank < 2) return false;
  memset(l, 0, sizeof *l);
  l->node = ni, l->input = x, l->weight = wt->name;
  l->spec = qz_node_weight_spec(g, n, wt->rank, wt->dims, o);
  if (l->spec.axis < 0) return false; /* per tensor */
  const bool conv = !strcmp(n->op_type, "Conv"), gemm = !strcmp(n->op_type, "Gemm");
  if (conv) {
    if ((wt->rank != 3 && wt->rank != 4) || qi_attr_int(n, "group", 1) != 1 ||
        strcmp(qi_attr_string(n, "auto_pad", "NOTSET"), "NOTSET") != 0)
      return false;
    const int sp = wt->rank - 2; /* spatial dims: 1 or 2 */
    const int64_t *v;
    for (int d = 0; d < 2; d++) l->kernel[d] = 1, l->stride[d] = 1, l->pad[d] = l->pad_end[d] = 0, l->dilation[d] = 1;
    for (int d = 0; d < sp; d++) l->kernel[2 - sp + d] = wt->dims[2 + d];
    if (qi_attr_ints(n, "strides", &v) == sp)
      for (int d = 0; d < sp; d++) l->stride[2 - sp + d] = v[d];
    if (qi_attr_ints(n, "dilations", &v) == sp)
      for (int d = 0; d < sp; d++) l->dilation[2 - sp + d] = v[d];
    if (qi_attr_ints(n, "pads", &v) == 2 * sp)
      for (int d = 0; d < sp; d++) l->pad[2 - sp + d] = v[d], l->pad_end[2 - sp + d] = v[sp + d];
    l->conv = true;
    l->out_axis = 0;
    l->dims[0] = wt->dims[0];
    l->dims[1] = qi_tensor_numel(wt) / wt->dims[0];
    l->k = l->dims[1];
  } else if (wt->rank == 2 && (!gemm || qi_attr_int(n, "transA", 0) == 0)) {
    l->out_axis = gemm && qi_attr_int(n, "transB", 0) ? 0 : 1;
    l->dims[0] = wt->dims[0], l->dims[1] = wt->dims[1];
    l->k = wt->dims[1 - l->out_axis];
  } else {
    return false;
  }
  const int blocked_axis = 1 - l->out_axis;
  return l->k > 0 && l->k <= QZ_GPTQ_MAX_K &&
         (l->spec.block > 0 ? l->spec.axis == blocked_axis : l->spec.axis == l->out_axis);
}

/* h += sum_p x_p x_p^T over the upper triangle, x: p rows of k values; tiles of 128 x 128 stay in cache, and zeros
 * (half of a Relu's output) are skipped. */
static void add_outer(double *h, int64_t k, const double *x, int64_t p) {
  enum { TILE = 128 };
  for (int64_t i0 = 0; i0 < k; i0 += TILE)
    for (int64_t j0 = i0; j0 < k; j0 += TILE) {
      const int64_t i1 = i0 + TILE < k ? i0 + TILE : k, j1 = j0 + TILE < k ? j0 + TILE : k;
      for (int64_t r = 0; r < p; r++) {
        const double *xr = x + r * k;
        for (int64_t i = i0; i < i1; i++) {
          const double a = xr[i];
          if (a == 0) continue;
          double *hi = h + i * k;
          for (int64_t c = i > j0 ? i : j0; c < j1; c++) hi[c] += a * xr[c];
        }
      }
    }
}

enum { PANEL = 64 }; /* columns gathered before each add_outer */

/* Adds the layer's input x (dims) to its H: Conv im2col columns or the rows of A. */
static void accumulate(layer *l, const float *x, int rank, const int64_t *dims, double *panel) {
  int64_t filled = 0;
  if (l->conv) {
    if (rank != 4 && rank != 3) return;
    const int64_t n = dims[0], c = dims[1], ih = rank == 4 ? dims[2] : 1, iw = dims[rank - 1];
    if (c * l->kernel[0] * l->kernel[1] != l->k) return;
    int64_t out[2], in[2] = {ih, iw}; /* ONNX's floor((in + pads - dilated kernel) / stride) + 1 */
    for (int d = 0; d < 2; d++) {
      const int64_t span = l->dilation[d] * (l->kernel[d] - 1) + 1;
      out[d] = (in[d] + l->pad[d] + l->pad_end[d] - span) / l->stride[d] + 1;
    }
    for (int64_t b = 0; b < n; b++)
      for (int64_t oy = 0; oy < out[0]; oy++)
        for (int64_t ox = 0; ox < out[1]; ox++) {
          double *col = panel + filled * l->k;
          int64_t e = 0;
          for (int64_t ch = 0; ch < c; ch++)
            for (int64_t ky = 0; ky < l->kernel[0]; ky++)
              for (int64_t kx = 0; kx < l->kernel[1]; kx++, e++) {
                const int64_t y = oy * l->stride[0] - l->pad[0] + ky * l->dilation[0];
                const int64_t xx = ox * l->stride[1] - l->pad[1] + kx * l->dilation[1];
                col[e] = y < 0 || y >= ih || xx < 0 || xx >= iw ? 0.0 : x[((b * c + ch) * ih + y) * iw + xx];
              }
          if (++filled == PANEL) add_outer(l->h, l->k, panel, filled), l->count += (double)filled, filled = 0;
        }
  } else {
    if (dims[rank - 1] != l->k) return;
    int64_t rows = 1;
    for (int d = 0; d < rank - 1; d++) rows *= dims[d];
    for (int64_t r = 0; r < rows; r++) {
      for (int64_t e = 0; e < l->k; e++) panel[filled * l->k + e] = x[r * l->k + e];
      if (++filled == PANEL) add_outer(l->h, l->k, panel, filled), l->count += (double)filled, filled = 0;
    }
  }
  if (filled) add_outer(l->h, l->k, panel, filled), l->count += (double)filled;
}

typedef struct batch {
  layer *l;
  int n;
  double *panel; /* PANEL x max k */
} batch;

static void feed_batch(qz_job *j, void *user) {
  batch *b = user;
  for (int i = 0; i < b->n; i++) {
    qinfer_tensor_info info;
    const void *data;
    size_t nbytes;
    if (qinfer_session_tensor(j->session, (size_t)j->session_index[b->l[i].input], &info, &data, &nbytes) !=
            QINFER_OK ||
        info.dtype != QINFER_DTYPE_FLOAT)
      continue;
    size_t numel = 1;
    for (int d = 0; d < info.rank; d++) numel *= (size_t)info.dims[d];
    if (numel * sizeof(float) == nbytes) accumulate(&b->l[i], data, info.rank, info.dims, b->panel);
  }
}

/* Runs every sample into the batch's H, then quantizes its layers into out. */
static qi_status run_batch(qz_job *j, batch *b, qz_gptq_set *out, int *done, int total) {
  const size_t n = j->src.n_samples;
  int *order = malloc(sizeof(int) * ((size_t)j->src.n_groups + 1));
  if (!order) return qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  const int n_groups = qz_job_group_order(j, n, order);
  qi_status st = QINFER_OK;
  for (int k = 0; st == QINFER_OK && k < n_groups; k++) {
    st = qz_job_use_group(j, order[k]);
    for (size_t s = 0; st == QINFER_OK && s < n; s++)
      if (j->src.group[s] == order[k]) st = qz_job_run_sample(j, s, feed_batch, b);
  }
  free(order);
  for (int i = 0; st == QINFER_OK && i < b->n; i++) {
    layer *l = &b->l[i];
    const double inv = l->count > 0 ? 1.0 / l->count : 0.0;
    for (int64_t r = 0; r < l->k; r++) /* the mean, mirrored into the lower triangle */
      for (int64_t c = r; c < l->k; c++) l->h[r * l->k + c] = l->h[c * l->k + r] = l->h[r * l->k + c] * inv;
    qz_gptq_result *res = &out->r[out->n];
    const qi_tensor *wt = &j->g->tensors[j->g->nodes[l->node].inputs[1]];
    if (!(res->weight = malloc(strlen(l->weight) + 1))) return qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    strcpy(res->weight, l->weight);
    if ((st = qz_gptq_quantize(wt->data, l->dims, l->out_axis, &l->spec, l->h, &res->q, j->err)) != QINFER_OK) {
      free(res->weight);
      break;
    }
    out->n++;
    free(l->h), l->h = NULL;
    if (j->opt->progress) j->opt->progress(j->opt->progress_user, "GPTQ (layers)", (size_t)++*done, (size_t)total);
  }
  return st;
}

qi_status qz_job_gptq(qz_job *j, const qz_options *o, qz_gptq_set *out) {
  memset(out, 0, sizeof *out);
  layer *all = malloc(sizeof(layer) * ((size_t)j->g->n_nodes + 1));
  out->r = calloc((size_t)j->g->n_nodes + 1, sizeof(qz_gptq_result));
  if (!all || !out->r) {
    free(all);
    return qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  int n = 0;
  int64_t max_k = 0;
  for (int i = 0; i < j->g->n_nodes; i++)
    if (layer_of(j, o, i, &all[n])) max_k = all[n].k > max_k ? all[n].k : max_k, n++;
  out->candidates = n;
  qz_job_message(j, "GPTQ: %d layers, the largest K %lld (its H: %.0f MB in double)", n, (long long)max_k,
                 (double)max_k * (double)max_k * 8 / 1e6);
  batch b = {.panel = malloc(sizeof(double) * (size_t)(PANEL * (max_k ? max_k : 1)))};
  qi_status st = b.panel ? QINFER_OK : qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  int done = 0;
  for (int first = 0; st == QINFER_OK && first < n;) {
    double bytes = 0;
    b.l = all + first, b.n = 0;
    while (first + b.n < n) {
      layer *l = &all[first + b.n];
      const double need = (double)l->k * (double)l->k * sizeof(double);
      if (b.n && bytes + need > QZ_GPTQ_BATCH_BYTES) break;
      if (!(l->h = calloc((size_t)(l->k * l->k), sizeof(double)))) {
        st = qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory (a %lld x %lld GPTQ matrix)", (long long)l->k,
                     (long long)l->k);
        break;
      }
      bytes += need, b.n++;
    }
    if (st == QINFER_OK) st = run_batch(j, &b, out, &done, n);
    for (int i = 0; i < b.n; i++) free(b.l[i].h), b.l[i].h = NULL;
    first += b.n;
  }
  free(b.panel);
  free(all);
  if (st != QINFER_OK) qz_gptq_set_free(out);
  return st;
}

void qz_gptq_set_free(qz_gptq_set *s) {
  for (int i = 0; s->r && i < s->n; i++) free(s->r[i].weight), qz_weight_q_free(&s->r[i].q);
  free(s->r);
  memset(s, 0, sizeof *s);
}

static void *dup(const void *p, size_t bytes) {
  if (!p) return NULL;
  void *c = malloc(bytes ? bytes : 1);
  if (c) memcpy(c, p, bytes);
  return c;
}

bool qz_gptq_take(const qz_gptq_set *s, const char *name, int64_t numel, qz_weight_q *out) {
  for (int i = 0; s && i < s->n; i++) {
    const qz_weight_q *q = &s->r[i].q;
    if (strcmp(s->r[i].weight, name) != 0 || q->numel != numel) continue;
    *out = *q;
    out->q = dup(q->q, (size_t)numel);
    out->deq = dup(q->deq, sizeof(float) * (size_t)numel);
    out->group_scale = dup(q->group_scale, sizeof(float) * (size_t)q->n_groups);
    out->group_zp = dup(q->group_zp, sizeof(int32_t) * (size_t)q->n_groups);
    out->scale = dup(q->scale, sizeof(float) * (size_t)q->scale_numel);
    out->zp = dup(q->zp, sizeof(int32_t) * (size_t)q->scale_numel);
    if (!out->q || !out->deq || !out->group_scale || !out->group_zp || !out->scale || (q->zp && !out->zp)) {
      qz_weight_q_free(out);
      return false;
    }
    return true;
  }
  return false;
}
