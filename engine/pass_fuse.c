/* Fusion passes, run after shape inference and constant folding:
 *   Conv -> BatchNormalization   folded into the Conv's weights and bias (inference-mode BN is affine per
 *                                channel: y = s * (x - mean) / sqrt(var + eps) + b).
 *   Op -> Relu / Clip / LeakyRelu  fused into ops flagged QI_OPF_FUSE_ACT (n->act). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"

int qi_pass_sole_consumer(const qi_graph *g, int t) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return -1;
  int found = -1;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] == t) {
        if (found >= 0) return -1;
        found = i;
      }
  }
  return found;
}

static bool is_const_f32(const qi_graph *g, int t, int64_t numel) {
  if (t < 0) return false;
  const qi_tensor *x = &g->tensors[t];
  return (x->flags & QI_TF_CONST) && x->dtype == QINFER_DTYPE_FLOAT && qi_tensor_numel(x) == numel;
}

/* Adds a graph-owned float constant named "<base><suffix>" with the given shape; returns its index or -1. */
static int add_const_f32(qi_graph *g, const char *base, const char *suffix, int rank, const int64_t *dims,
                         qi_error *err) {
  char name[512];
  snprintf(name, sizeof name, "%s%s", base, suffix);
  int t = qi_graph_add_tensor(g, name);
  if (t < 0) {
    qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  qi_tensor_set_shape(&g->tensors[t], QINFER_DTYPE_FLOAT, rank, dims);
  if (qi_tensor_alloc_const(&g->tensors[t], err) != QINFER_OK) return -1;
  return t;
}

static qi_status fold_bn_into_conv(qi_graph *g, int conv_i, int bn_i, qi_error *err) {
  const int w_i = g->nodes[conv_i].inputs[1];
  const int b_i = g->nodes[conv_i].n_inputs > 2 ? g->nodes[conv_i].inputs[2] : -1;
  const int64_t cout = g->tensors[w_i].dims[0];
  const int64_t per_out = qi_tensor_numel(&g->tensors[w_i]) / (cout ? cout : 1);
  const float eps = qi_attr_float(&g->nodes[bn_i], "epsilon", 1e-5f);
  const char *conv_name = g->nodes[conv_i].name[0] ? g->nodes[conv_i].name : g->tensors[w_i].name;
  int64_t bdims[1] = {cout};
  int wf = add_const_f32(g, conv_name, "/bn_folded_weight", g->tensors[w_i].rank, g->tensors[w_i].dims, err);
  if (wf < 0) return err->code;
  int bf = add_const_f32(g, conv_name, "/bn_folded_bias", 1, bdims, err);
  if (bf < 0) return err->code;
  /* tensors may have moved: take pointers only now */
  const qi_node *bn = &g->nodes[bn_i];
  const float *scale = g->tensors[bn->inputs[1]].data, *beta = g->tensors[bn->inputs[2]].data,
              *mean = g->tensors[bn->inputs[3]].data, *var = g->tensors[bn->inputs[4]].data;
  const float *w = g->tensors[w_i].data, *b = b_i >= 0 ? g->tensors[b_i].data : NULL;
  float *wout = g->tensors[wf].data, *bout = g->tensors[bf].data;
  for (int64_t c = 0; c < cout; c++) {
    const double k = (double)scale[c] / sqrt((double)var[c] + (double)eps);
    for (int64_t j = 0; j < per_out; j++) wout[c * per_out + j] = (float)(w[c * per_out + j] * k);
    bout[c] = (float)(((b ? (double)b[c] : 0.0) - mean[c]) * k + beta[c]);
  }
  qi_node *conv = &g->nodes[conv_i];
  if (conv->n_inputs < 3) {
    int *in = realloc(conv->inputs, sizeof(int) * 3);
    if (!in) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    conv->inputs = in;
    conv->n_inputs = 3;
  }
  conv->inputs[1] = wf;
  conv->inputs[2] = bf;
  conv->outputs[0] = g->nodes[bn_i].outputs[0];
  g->nodes[bn_i].dead = true;
  return QINFER_OK;
}

qi_status qi_fuse_batchnorm(qi_graph *g, qi_error *err) {
  for (int oi = 0; oi < g->n_order; oi++) {
    const int ci = g->order[oi];
    const qi_node *conv = &g->nodes[ci];
    if (conv->dead || strcmp(conv->op_type, "Conv") != 0 || conv->domain[0] || conv->n_inputs < 2 ||
        conv->n_outputs != 1)
      continue;
    const int w = conv->inputs[1];
    if (w < 0 || g->tensors[w].rank < 1 || !is_const_f32(g, w, qi_tensor_numel(&g->tensors[w]))) continue;
    const int64_t cout = g->tensors[w].dims[0];
    if (conv->n_inputs > 2 && conv->inputs[2] >= 0 && !is_const_f32(g, conv->inputs[2], cout)) continue;
    const int bi = qi_pass_sole_consumer(g, conv->outputs[0]);
    if (bi < 0) continue;
    const qi_node *bn = &g->nodes[bi];
    if (strcmp(bn->op_type, "BatchNormalization") != 0 || bn->domain[0] || bn->n_inputs != 5 ||
        bn->inputs[0] != conv->outputs[0] || qi_attr_int(bn, "training_mode", 0) != 0)
      continue;
    bool extra_outputs = false;
    for (int k = 1; k < bn->n_outputs; k++) extra_outputs |= bn->outputs[k] >= 0;
    if (extra_outputs) continue;
    bool params_ok = true;
    for (int k = 1; k < 5; k++) params_ok &= is_const_f32(g, bn->inputs[k], cout);
    if (!params_ok) continue;
    QI_CHECK(fold_bn_into_conv(g, ci, bi, err));
  }
  return qi_graph_toposort(g, err);
}

/* The per-output-channel values of constant c for a Conv output of rank `rank` with cout channels: a scalar or
 * a tensor whose only non-1 dim is the channel axis (1) of the output, e.g. [C,1,1] or [1,C,1,1]. */
static bool channel_values(const qi_graph *g, int c, int rank, int64_t cout, const float **vals, bool *scalar) {
  if (c < 0) return false;
  const qi_tensor *t = &g->tensors[c];
  if (!(t->flags & QI_TF_CONST) || t->dtype != QINFER_DTYPE_FLOAT || t->rank > rank) return false;
  const int64_t n = qi_tensor_numel(t);
  *vals = t->data;
  *scalar = n == 1;
  if (n == 1) return true;
  if (n != cout) return false;
  for (int d = 0; d < t->rank; d++) { /* right-aligned against the output's dims: channel axis 1 */
    const int out_axis = rank - t->rank + d;
    if (t->dims[d] != (out_axis == 1 ? cout : 1)) return false;
  }
  return true;
}

/* Conv -> Mul / Add / Sub / Div by a constant that is per output channel (or a scalar), with the Conv output
 * read by nothing else: folded into the Conv's weights and bias, as BatchNormalization is. Exports of
 * re-parameterised blocks (PaddleOCR's learnable affine layers) have such chains; folding them saves a pass
 * over the tensor and, for the quantizer, a quantization point. Division becomes a multiplication by the
 * reciprocal (a rounding-level difference). */
qi_status qi_fold_conv_affine(qi_graph *g, qi_error *err) {
  for (int oi = 0; oi < g->n_order; oi++) {
    const int ci = g->order[oi];
    const qi_node *conv = &g->nodes[ci];
    if (conv->dead || strcmp(conv->op_type, "Conv") != 0 || conv->domain[0] || conv->n_inputs < 2 ||
        conv->n_outputs != 1 || conv->act != QI_ACT_NONE)
      continue;
    const int w = conv->inputs[1];
    if (w < 0 || g->tensors[w].rank < 1 || !is_const_f32(g, w, qi_tensor_numel(&g->tensors[w]))) continue;
    const int64_t cout = g->tensors[w].dims[0];
    if (conv->n_inputs > 2 && conv->inputs[2] >= 0 && !is_const_f32(g, conv->inputs[2], cout)) continue;
    const int y = conv->outputs[0];
    const int ai = qi_pass_sole_consumer(g, y);
    if (ai < 0) continue;
    const qi_node *a = &g->nodes[ai];
    const bool mul = !strcmp(a->op_type, "Mul"), add = !strcmp(a->op_type, "Add"), sub = !strcmp(a->op_type, "Sub"),
               div = !strcmp(a->op_type, "Div");
    if (a->domain[0] || a->n_inputs != 2 || a->n_outputs != 1 || !(mul || add || sub || div)) continue;
    const int other = a->inputs[0] == y ? a->inputs[1] : a->inputs[0];
    if ((sub || div) && a->inputs[0] != y) continue; /* c - y and c / y are not affine in y's weights */
    if (a->inputs[0] == y && a->inputs[1] == y) continue;
    const float *v;
    bool scalar;
    if (!channel_values(g, other, g->tensors[y].rank, cout, &v, &scalar)) continue;
    if (g->tensors[a->outputs[0]].rank != g->tensors[y].rank) continue; /* broadcasting must not grow it */
    const char *name = conv->name[0] ? conv->name : g->tensors[w].name;
    const int b_old = conv->n_inputs > 2 ? conv->inputs[2] : -1;
    const int64_t per_out = qi_tensor_numel(&g->tensors[w]) / (cout ? cout : 1);
    int64_t bdims[1] = {cout};
    int wf = -1;
    if (mul || div) {
      wf = add_const_f32(g, name, "/affine_folded_weight", g->tensors[w].rank, g->tensors[w].dims, err);
      if (wf < 0) return err->code;
    }
    const int bf = add_const_f32(g, name, "/affine_folded_bias", 1, bdims, err);
    if (bf < 0) return err->code;
    const float *wsrc = g->tensors[w].data, *bsrc = b_old >= 0 ? g->tensors[b_old].data : NULL;
    v = g->tensors[other].data; /* tensors may have moved */
    float *bout = g->tensors[bf].data;
    for (int64_t c = 0; c < cout; c++) {
      const float k = v[scalar ? 0 : c];
      const float b = bsrc ? bsrc[c] : 0.f;
      if (mul || div) {
        const float m = mul ? k : 1.f / k;
        float *wout = g->tensors[wf].data;
        for (int64_t j = 0; j < per_out; j++) wout[c * per_out + j] = wsrc[c * per_out + j] * m;
        bout[c] = b * m;
      } else {
        bout[c] = add ? b + k : b - k;
      }
    }
    qi_node *cv = &g->nodes[ci];
    if (cv->n_inputs < 3) {
      int *in = realloc(cv->inputs, sizeof(int) * 3);
      if (!in) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
      cv->inputs = in;
      cv->n_inputs = 3;
    }
    if (wf >= 0) cv->inputs[1] = wf;
    cv->inputs[2] = bf;
    cv->outputs[0] = g->nodes[ai].outputs[0];
    g->nodes[ai].dead = true;
    oi--; /* the same Conv may absorb the next one of a chain */
  }
  return qi_graph_toposort(g, err);
}

/* Reads a constant float scalar input of node n (index k); false when absent or not constant. */
static bool const_scalar(const qi_graph *g, const qi_node *n, int k, float *out) {
  if (k >= n->n_inputs || n->inputs[k] < 0) return false;
  const qi_tensor *t = &g->tensors[n->inputs[k]];
  if (!(t->flags & QI_TF_CONST) || t->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(t) != 1) return false;
  *out = *(const float *)t->data;
  return true;
}

bool qi_pass_activation_of(const qi_graph *g, const qi_node *a, int *act, float *lo, float *hi, float *alpha) {
  if (a->domain[0] || a->n_outputs != 1) return false;
  *lo = -FLT_MAX;
  *hi = FLT_MAX;
  *alpha = 0.f;
  if (strcmp(a->op_type, "Relu") == 0) {
    *act = QI_ACT_CLAMP;
    *lo = 0.f;
    return true;
  }
  if (strcmp(a->op_type, "LeakyRelu") == 0) {
    *act = QI_ACT_LEAKY;
    *alpha = qi_attr_float(a, "alpha", 0.01f);
    return true;
  }
  if (strcmp(a->op_type, "Clip") == 0) {
    *act = QI_ACT_CLAMP;
    if (a->opset < 11) {
      *lo = qi_attr_float(a, "min", -FLT_MAX);
      *hi = qi_attr_float(a, "max", FLT_MAX);
      return true;
    }
    for (int k = 1; k < a->n_inputs; k++)
      if (a->inputs[k] >= 0 && !const_scalar(g, a, k, k == 1 ? lo : hi)) return false;
    return *lo <= *hi;
  }
  return false;
}

qi_status qi_fuse_activations(qi_graph *g, qi_error *err) {
  for (int oi = 0; oi < g->n_order; oi++) {
    qi_node *p = &g->nodes[g->order[oi]];
    if (p->dead || !(p->op->flags & QI_OPF_FUSE_ACT) || p->act != QI_ACT_NONE || p->n_outputs < 1 ||
        p->outputs[0] < 0 || g->tensors[p->outputs[0]].dtype != QINFER_DTYPE_FLOAT)
      continue;
    bool extra_outputs = false;
    for (int k = 1; k < p->n_outputs; k++) extra_outputs |= p->outputs[k] >= 0;
    if (extra_outputs) continue;
    const int ai = qi_pass_sole_consumer(g, p->outputs[0]);
    if (ai < 0) continue;
    qi_node *a = &g->nodes[ai];
    int act;
    float lo, hi, alpha;
    if (a->inputs[0] != p->outputs[0] || !qi_pass_activation_of(g, a, &act, &lo, &hi, &alpha)) continue;
    p->act = act;
    p->act_min = lo;
    p->act_max = hi;
    p->act_alpha = alpha;
    p->outputs[0] = a->outputs[0];
    a->dead = true;
  }
  return qi_graph_toposort(g, err);
}
