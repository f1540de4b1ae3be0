/* Per-channel affine ops folded into the convolution before them (qi_fold_conv_affine).
 *
 * A Conv output read only by BatchNormalization (inference), Mul / Div by a constant, or Add / Sub of a constant,
 * each per output channel or a scalar, is an affine map per channel: y[c] = m[c] * conv(x)[c] + a[c]. A chain of
 * them is accumulated (in double) and folded once:
 *
 *   W'[c] = m[c] * W[c],   B'[c] = m[c] * B[c] + a[c]
 *
 * BatchNormalization: m = gamma / sqrt(var + eps), a = beta - mean * m. Exports of re-parameterised blocks
 * (PaddleOCR's learnable affine layers) and PyTorch's quantization-aware ConvBn (Conv -> Div -> Add -> BN) have
 * such chains; folding them saves passes over the tensor and, for quantized models, makes the Conv fusable.
 *
 * Weights are a float constant (multiplied) or the DequantizeLinear of a constant int8 / uint8 tensor (QDQ models):
 * then m[c] goes into the scale, scale'[c] = scale[c] * |m[c]| (a per-tensor scale becomes per channel, axis 0),
 * and a channel with m[c] < 0 gets its integers negated around the zero point (refused when that overflows). The
 * integer weights the QDQ pass packs are unchanged, only their scale moves, so the fused QLinearConv stays exact. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"

typedef struct conv_fold {
  int conv;
  int64_t cout, per_out; /* output channels, weights per output channel */
  double *m, *a;         /* accumulated multiplier and offset per channel */
  int last;              /* node whose output the folded Conv writes */
} conv_fold;

static bool is_const_float(const qi_graph *g, int t) {
  return t >= 0 && (g->tensors[t].flags & QI_TF_CONST) && g->tensors[t].dtype == QINFER_DTYPE_FLOAT &&
         g->tensors[t].data;
}

/* The values of constant c per output channel of a Conv output of rank `rank`: a scalar, or a tensor whose only
 * non-1 dim is the channel axis (1) when right-aligned against the output (e.g. [C,1,1] or [1,C,1,1]). */
static bool channel_values(const qi_graph *g, int c, int rank, int64_t cout, const float **vals, bool *scalar) {
  if (!is_const_float(g, c)) return false;
  const qi_tensor *t = &g->tensors[c];
  const int64_t n = qi_tensor_numel(t);
  *vals = t->data;
  *scalar = n == 1;
  if (n == 1) return t->rank <= rank;
  if (n != cout || t->rank > rank) return false;
  for (int d = 0; d < t->rank; d++) {
    const int out_axis = rank - t->rank + d;
    if (t->dims[d] != (out_axis == 1 ? cout : 1)) return false;
  }
  return true;
}

/* Absorbs node ai (reading the chain's current output) into f; false when it is not a foldable affine op. */
static bool absorb(const qi_graph *g, conv_fold *f, int ai, int y, int rank) {
  const qi_node *a = &g->nodes[ai];
  if (a->dead || a->domain[0] || a->n_outputs < 1 || a->outputs[0] < 0) return false;
  for (int k = 1; k < a->n_outputs; k++)
    if (a->outputs[k] >= 0) return false;
  if (!strcmp(a->op_type, "BatchNormalization")) {
    if (a->n_inputs != 5 || a->inputs[0] != y || qi_attr_int(a, "training_mode", 0) != 0) return false;
    const float *p[4];
    for (int k = 0; k < 4; k++) {
      const int t = a->inputs[k + 1];
      if (!is_const_float(g, t) || qi_tensor_numel(&g->tensors[t]) != f->cout) return false;
      p[k] = g->tensors[t].data;
    }
    const double eps = qi_attr_float(a, "epsilon", 1e-5f);
    for (int64_t c = 0; c < f->cout; c++) {
      const double k = (double)p[0][c] / sqrt((double)p[3][c] + eps);
      f->m[c] *= k;
      f->a[c] = (f->a[c] - p[2][c]) * k + p[1][c];
    }
    return true;
  }
  const bool mul = !strcmp(a->op_type, "Mul"), add = !strcmp(a->op_type, "Add"), sub = !strcmp(a->op_type, "Sub"),
             div = !strcmp(a->op_type, "Div");
  if (a->n_inputs != 2 || !(mul || add || sub || div)) return false;
  if ((sub || div) && a->inputs[0] != y) return false; /* c - y and c / y are not affine in y's weights */
  if (a->inputs[0] == y && a->inputs[1] == y) return false;
  const int other = a->inputs[0] == y ? a->inputs[1] : a->inputs[0];
  const float *v;
  bool scalar;
  if (!channel_values(g, other, rank, f->cout, &v, &scalar)) return false;
  for (int64_t c = 0; c < f->cout; c++) {
    const double k = v[scalar ? 0 : c];
    if ((div && k == 0) || !isfinite(k)) return false;
  }
  for (int64_t c = 0; c < f->cout; c++) {
    const double k = v[scalar ? 0 : c];
    if (mul) f->m[c] *= k, f->a[c] *= k;
    else if (div) f->m[c] /= k, f->a[c] /= k;
    else f->a[c] += add ? k : -k;
  }
  return true;
}

static int add_tensor_like(qi_graph *g, const char *base, const char *suffix, int dtype, int rank,
                           const int64_t *dims, qi_error *err) {
  int64_t shape[QI_MAX_RANK]; /* dims may point into g->tensors, which adding a tensor can move */
  memcpy(shape, dims, sizeof(int64_t) * (size_t)rank);
  const int t = qi_graph_add_unique_tensor(g, base, suffix);
  if (t < 0) {
    qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  qi_tensor_set_shape(&g->tensors[t], dtype, rank, shape);
  return t;
}

static int add_const(qi_graph *g, const char *base, const char *suffix, int dtype, int rank, const int64_t *dims,
                     qi_error *err) {
  const int t = add_tensor_like(g, base, suffix, dtype, rank, dims, err);
  if (t < 0 || qi_tensor_alloc_const(&g->tensors[t], err) != QINFER_OK) return -1;
  return t;
}

/* The Conv's weights as a DequantizeLinear of constant 8-bit integers: its node, or -1. */
static int weight_dq(const qi_graph *g, int w) {
  const int p = g->tensors[w].producer;
  if (p < 0) return -1;
  const qi_node *d = &g->nodes[p];
  if (d->dead || strcmp(d->op_type, "DequantizeLinear") != 0 || (d->domain[0] && strcmp(d->domain, "com.microsoft")))
    return -1;
  const int q = d->inputs[0], s = d->n_inputs > 1 ? d->inputs[1] : -1, z = d->n_inputs > 2 ? d->inputs[2] : -1;
  if (q < 0 || !(g->tensors[q].flags & QI_TF_CONST) || !is_const_float(g, s) || g->tensors[s].rank > 1) return -1;
  if (g->tensors[q].dtype != QINFER_DTYPE_INT8 && g->tensors[q].dtype != QINFER_DTYPE_UINT8) return -1;
  if (z >= 0 && !(g->tensors[z].flags & QI_TF_CONST)) return -1;
  if (qi_attr_int(d, "block_size", 0) != 0) return -1;
  const int64_t ns = qi_tensor_numel(&g->tensors[s]);
  if (ns != 1) { /* per axis: must be the output-channel axis */
    int64_t axis = qi_attr_int(d, "axis", 1);
    if (axis < 0) axis += g->tensors[q].rank;
    if (axis != 0 || ns != g->tensors[q].dims[0]) return -1;
  }
  return p;
}

/* New weights W' = m * W for float weights. */
static int fold_float_weights(qi_graph *g, const conv_fold *f, int w, const char *base, qi_error *err) {
  const int t = add_const(g, base, "/folded_weight", QINFER_DTYPE_FLOAT, g->tensors[w].rank, g->tensors[w].dims, err);
  if (t < 0) return -1;
  const float *src = g->tensors[w].data;
  float *dst = g->tensors[t].data;
  for (int64_t c = 0; c < f->cout; c++)
    for (int64_t j = 0; j < f->per_out; j++) dst[c * f->per_out + j] = (float)(src[c * f->per_out + j] * f->m[c]);
  return t;
}

static void int8_set(qi_tensor *t, int64_t i, int32_t v) {
  if (t->dtype == QINFER_DTYPE_INT8) ((int8_t *)t->data)[i] = (int8_t)v;
  else ((uint8_t *)t->data)[i] = (uint8_t)v;
}

/* New DequantizeLinear of the same integers (negated per channel where m < 0) with scale * |m|, per channel. */
static int fold_dq_weights(qi_graph *g, const conv_fold *f, int dq, int w, const char *base, qi_error *err) {
  const qi_node *d = &g->nodes[dq];
  const int q = d->inputs[0], s = d->inputs[1], z = d->n_inputs > 2 ? d->inputs[2] : -1;
  const int dtype = g->tensors[q].dtype;
  const int32_t qmin = dtype == QINFER_DTYPE_INT8 ? -128 : 0, qmax = dtype == QINFER_DTYPE_INT8 ? 127 : 255;
  const int64_t ns = qi_tensor_numel(&g->tensors[s]), nz = z >= 0 ? qi_tensor_numel(&g->tensors[z]) : 1;
  bool negate = false;
  for (int64_t c = 0; c < f->cout; c++) negate |= f->m[c] < 0;
  /* check every value first: nothing is added to the graph when the fold is refused */
  for (int64_t c = 0; c < f->cout; c++) {
    const double sc = ((const float *)g->tensors[s].data)[ns == 1 ? 0 : c] * fabs(f->m[c]);
    if (!(sc > 0) || !isfinite(sc) || sc > 3.4e38 || sc < 1e-38) return -2;
    if (f->m[c] >= 0) continue;
    const int32_t zp = z < 0 ? 0 : qi_tensor_int_at(&g->tensors[z], nz == 1 ? 0 : c);
    for (int64_t j = 0; j < f->per_out; j++) {
      const int32_t v = qi_tensor_int_at(&g->tensors[q], c * f->per_out + j);
      if (2 * zp - v < qmin || 2 * zp - v > qmax) return -2; /* -(v - zp) + zp out of range */
    }
  }
  const int64_t pdims[1] = {f->cout};
  int qn = q;
  if (negate) {
    if ((qn = add_const(g, base, "/folded_weight_q", dtype, g->tensors[q].rank, g->tensors[q].dims, err)) < 0) return -1;
    for (int64_t c = 0; c < f->cout; c++) {
      const int32_t zp = z < 0 ? 0 : qi_tensor_int_at(&g->tensors[z], nz == 1 ? 0 : c);
      for (int64_t j = 0; j < f->per_out; j++) {
        const int64_t i = c * f->per_out + j;
        const int32_t v = qi_tensor_int_at(&g->tensors[q], i);
        int8_set(&g->tensors[qn], i, f->m[c] < 0 ? 2 * zp - v : v);
      }
    }
  }
  const int sn = add_const(g, base, "/folded_weight_scale", QINFER_DTYPE_FLOAT, 1, pdims, err);
  if (sn < 0) return -1;
  for (int64_t c = 0; c < f->cout; c++)
    ((float *)g->tensors[sn].data)[c] = (float)(((const float *)g->tensors[s].data)[ns == 1 ? 0 : c] * fabs(f->m[c]));
  int zn = -1;
  if (z >= 0) {
    if ((zn = add_const(g, base, "/folded_weight_zero_point", dtype, 1, pdims, err)) < 0) return -1;
    for (int64_t c = 0; c < f->cout; c++) int8_set(&g->tensors[zn], c, qi_tensor_int_at(&g->tensors[z], nz == 1 ? 0 : c));
  }
  const int wn = add_tensor_like(g, base, "/folded_weight", QINFER_DTYPE_FLOAT, g->tensors[w].rank, g->tensors[w].dims,
                                 err);
  if (wn < 0) return -1;
  const int ins[3] = {qn, sn, zn};
  const int ni = qi_graph_add_node(g, "DequantizeLinear", g->nodes[dq].domain, ins, zn >= 0 ? 3 : 2, &wn, 1);
  if (ni < 0) {
    qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  qi_node *nd = &g->nodes[ni];
  g->tensors[wn].producer = ni;
  nd->op = qi_op_find(nd->domain, nd->op_type);
  nd->opset = g->nodes[dq].opset < 13 && !nd->domain[0] ? 13 : g->nodes[dq].opset;
  qi_attr *ax = qi_node_add_attr(g, ni, "axis", QI_ATTR_INT);
  if (!ax || !g->nodes[ni].op) {
    qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  ax->i = 0;
  return wn;
}

/* Folds f into its Conv: new weights and bias, the Conv writes the chain's last output. 1: folded, 0: refused. */
static qi_status apply(qi_graph *g, conv_fold *f, qi_error *err, bool *folded) {
  *folded = false;
  const int w = g->nodes[f->conv].inputs[1];
  const int b_old = g->nodes[f->conv].n_inputs > 2 ? g->nodes[f->conv].inputs[2] : -1;
  char base[600];
  /* the new tensors are named after the Conv, or its output when it has no name (unique: a weight shared by many
   * Convs would make each fold probe name_1, name_2, ... up to its rank) */
  const qi_node *c0 = &g->nodes[f->conv];
  snprintf(base, sizeof base, "%s", c0->name[0] ? c0->name : g->tensors[c0->outputs[0]].name);
  int wn;
  const int dq = is_const_float(g, w) ? -1 : weight_dq(g, w);
  if (dq < 0 && !is_const_float(g, w)) return QINFER_OK;
  if (dq >= 0) {
    if ((wn = fold_dq_weights(g, f, dq, w, base, err)) == -2) return QINFER_OK;
  } else {
    wn = fold_float_weights(g, f, w, base, err);
  }
  if (wn < 0) return err->code;
  const int64_t bdims[1] = {f->cout};
  const int bf = add_const(g, base, "/folded_bias", QINFER_DTYPE_FLOAT, 1, bdims, err);
  if (bf < 0) return err->code;
  const float *bsrc = b_old >= 0 ? g->tensors[b_old].data : NULL;
  for (int64_t c = 0; c < f->cout; c++)
    ((float *)g->tensors[bf].data)[c] = (float)((bsrc ? bsrc[c] : 0.0) * f->m[c] + f->a[c]);
  qi_node *cv = &g->nodes[f->conv];
  if (cv->n_inputs < 3) {
    int *in = realloc(cv->inputs, sizeof(int) * 3);
    if (!in) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    cv->inputs = in;
    cv->n_inputs = 3;
  }
  cv->inputs[1] = wn;
  cv->inputs[2] = bf;
  qi_graph_index_note_reader(g, wn, f->conv);
  qi_graph_index_note_reader(g, bf, f->conv);
  *folded = true;
  return QINFER_OK;
}

qi_status qi_fold_conv_affine(qi_graph *g, qi_error *err) {
  QI_CHECK(qi_graph_link(g, err));
  /* readers, names and producers kept current fold by fold (no relink, no scan of the graph per Conv) */
  QI_CHECK(qi_graph_index_begin(g, err));
  const int n_order = g->n_order;
  for (int oi = 0; oi < n_order; oi++) {
    const int ci = g->order[oi];
    const qi_node *conv = &g->nodes[ci];
    if (conv->dead || strcmp(conv->op_type, "Conv") != 0 || conv->domain[0] || conv->n_inputs < 2 ||
        conv->n_outputs != 1 || qi_node_fused_act(conv).kind != QI_ACT_NONE)
      continue;
    const int w = conv->inputs[1];
    if (w < 0 || g->tensors[w].rank < 3 || g->tensors[w].dims[0] < 1) continue;
    if (!is_const_float(g, w) && weight_dq(g, w) < 0) continue;
    const int64_t cout = g->tensors[w].dims[0];
    const int b = conv->n_inputs > 2 ? conv->inputs[2] : -1;
    if (b >= 0 && (!is_const_float(g, b) || qi_tensor_numel(&g->tensors[b]) != cout)) continue;
    conv_fold f = {ci, cout, qi_tensor_numel(&g->tensors[w]) / cout, calloc((size_t)cout, sizeof(double)),
                   calloc((size_t)cout, sizeof(double)), -1};
    if (!f.m || !f.a) {
      free(f.m), free(f.a);
      qi_graph_index_end(g);
      return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (int64_t c = 0; c < cout; c++) f.m[c] = 1.0;
    const int rank = g->tensors[w].rank; /* the Conv output's rank, known from the weights even without shapes */
    int y = conv->outputs[0];
    for (;;) {
      const int ai = qi_graph_sole_reader(g, y);
      if (ai < 0 || !absorb(g, &f, ai, y, rank)) break;
      f.last = ai;
      y = g->nodes[ai].outputs[0];
    }
    bool folded = false;
    qi_status st = f.last >= 0 ? apply(g, &f, err, &folded) : QINFER_OK;
    if (st == QINFER_OK && folded) {
      /* the Conv now writes the chain's output; the chain's nodes go */
      int t = g->nodes[ci].outputs[0];
      for (int ai = qi_graph_sole_reader(g, t); ai >= 0; ai = qi_graph_sole_reader(g, t)) {
        g->tensors[t].producer = -1; /* the chain's tensors are made no more */
        t = g->nodes[ai].outputs[0];
        g->nodes[ai].dead = true;
        if (ai == f.last) break;
      }
      g->nodes[ci].outputs[0] = g->nodes[f.last].outputs[0];
      g->tensors[g->nodes[ci].outputs[0]].producer = ci;
    }
    free(f.m);
    free(f.a);
    if (st != QINFER_OK) {
      qi_graph_index_end(g);
      return st;
    }
  }
  qi_graph_index_end(g);
  return qi_graph_toposort(g, err);
}
