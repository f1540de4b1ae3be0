/* Dynamic quantization of linear layers (`qinfer quantize --dynamic`; engine/quant/quantize.h), the graph ONNX
 * Runtime's quantize_dynamic writes:
 *
 *     x -> DynamicQuantizeLinear -> (x_q uint8, x_scale, x_zero_point)      one per activation, shared by readers
 *     ConvInteger(x_q, w_q, x_zero_point)   or   MatMulInteger(x_q, w_q, x_zero_point)          -> int32
 *     -> Cast(to float) -> Mul(., Mul(x_scale, w_scale)) [-> Add(., bias)]                     -> the node's output
 *
 * Weights int8 symmetric in [-127, 127] (zero point 0, left out), one scale per output channel (Conv axis 0,
 * MatMul / Gemm per column of B [K, N]) or per tensor; the scale from max |w| or the mse search (weights.h). The
 * scale constant has the shape that broadcasts along the output's channel axis: [1, Cout, 1(, 1)] for Conv, [N]
 * for MatMul. Gemm (transA = 0, constant B, constant or no C, also through Identity nodes) becomes MatMulInteger: B transposed to [K, N] when
 * transB, alpha folded into the weight scale, beta into a copy of C that is the Add's constant. A Conv's bias is
 * written as [1, Cout, 1(, 1)] (ORT writes a Reshape of it; the constant is the same values). This is the
 * chain engine/pass_qdq_dynamic.c fuses into one DynamicQuantizeConv / DynamicQuantizeMatMul node.
 *
 * With 4-bit weights (--weights int4 / uint4) the MatMul / Gemm nodes become what ONNX Runtime's
 * MatMulNBitsQuantizer writes, run with dynamic int8 activations:
 *
 *     com.microsoft.MatMulNBits(x, B uint8 [N, nb, bl / 2], scales [N * nb][, zero_points][, , bias])
 *         K, N, bits 4, block_size bl, accuracy_level 4 (A quantized to int8 per row and block at run time)
 *
 * B holds the offset-binary codes of W^T [N, K] blocked along K (int4: q + 8 with the default zero point 8;
 * uint4: q with packed uint8 zero points), low nibble first, zero past K; bl = --block-size, 32 when it is 0
 * (ONNX Runtime computes level 4 in int8 only for blocks of 16 .. 256). Convs stay float (MatMulNBits is a MatMul);
 * a Gemm's alpha is folded into the scales, beta * C becomes the bias when C has N values (else the Gemm stays
 * float). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "engine/quant/quantize.h"
#include "engine/quant/weights.h"

typedef struct dyn {
  qi_graph *g;
  const qz_options *o;
  qz_report *rep;
  qi_error *err;
  int (*dql)[3]; /* per original tensor: its DynamicQuantizeLinear's x_q, x_scale, x_zero_point, or -1s */
  int n_dql;
} dyn;

static qi_status oom(dyn *d) { return qi_fail(d->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"); }

static int new_tensor(dyn *d, const char *base, const char *suffix, int dtype, int rank, const int64_t *dims) {
  const int t = qi_graph_add_unique_tensor(d->g, base, suffix);
  if (t < 0) {
    oom(d);
    return -1;
  }
  if (rank >= 0) qi_tensor_set_shape(&d->g->tensors[t], dtype, rank, dims);
  else d->g->tensors[t].dtype = dtype;
  return t;
}

static int new_const(dyn *d, const char *base, const char *suffix, int dtype, int rank, const int64_t *dims,
                     const void *data) {
  const int t = qi_graph_add_unique_tensor(d->g, base, suffix);
  if (t < 0) oom(d);
  if (t < 0 || qi_tensor_set_const_copy(&d->g->tensors[t], dtype, rank, dims, data, d->err) != QINFER_OK) return -1;
  return t;
}

static int add_node(dyn *d, const char *type, const int *ins, int n_ins, const int *outs, int n_outs) {
  const int ni = qi_graph_add_node(d->g, type, "", ins, n_ins, outs, n_outs);
  if (ni < 0) oom(d);
  return ni;
}

/* The DynamicQuantizeLinear of activation x (made at its first reader): its x_q; x_scale and x_zero_point are
 * *xs and *xz. */
static int quantized_input(dyn *d, int x, int *xs, int *xz) {
  if (d->dql[x][0] >= 0) {
    *xs = d->dql[x][1], *xz = d->dql[x][2];
    return d->dql[x][0];
  }
  char base[32];
  snprintf(base, sizeof base, "dyn%d", d->n_dql);
  const qi_tensor *xt = &d->g->tensors[x];
  const int rank = xt->rank;
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, xt->dims, sizeof dims);
  const int xq = new_tensor(d, base, "_quantized", QINFER_DTYPE_UINT8, rank, dims);
  const int s = xq >= 0 ? new_tensor(d, base, "_scale", QINFER_DTYPE_FLOAT, 0, NULL) : -1;
  const int z = s >= 0 ? new_tensor(d, base, "_zero_point", QINFER_DTYPE_UINT8, 0, NULL) : -1;
  if (z < 0) return -1;
  const int outs[3] = {xq, s, z};
  if (add_node(d, "DynamicQuantizeLinear", &x, 1, outs, 3) < 0) return -1;
  d->dql[x][0] = xq, d->dql[x][1] = s, d->dql[x][2] = z;
  d->n_dql++;
  d->rep->activations++;
  *xs = s, *xz = z;
  return xq;
}

/* The float constant t is, or that Identity nodes pass on to t (torch exports share equal tensors through an
 * Identity, as ViT's attention output biases), or -1. */
static int float_const(const qi_graph *g, int t) {
  for (int hops = 0; t >= 0 && hops < 8; hops++) {
    const qi_tensor *x = &g->tensors[t];
    if (x->flags & QI_TF_CONST) return x->dtype == QINFER_DTYPE_FLOAT ? t : -1;
    const int p = x->producer;
    if (p < 0 || g->nodes[p].dead || g->nodes[p].domain[0] || strcmp(g->nodes[p].op_type, "Identity") != 0 ||
        g->nodes[p].n_inputs < 1)
      return -1;
    t = g->nodes[p].inputs[0];
  }
  return -1;
}

/* Which nodes are rewritten: Conv 1-D / 2-D, MatMul with a [K, N] B, Gemm with transA = 0; a constant float
 * weight; a constant bias (Conv B, Gemm C; through Identity nodes) or none; a float input 0 that is no constant;
 * not excluded. */
static bool dynamic_node(const qi_graph *g, const qi_node *n, const qz_options *o) {
  if (n->dead || n->domain[0] || n->n_inputs < 2 || n->n_outputs < 1 || n->outputs[0] < 0 || n->inputs[0] < 0)
    return false;
  const int x = n->inputs[0], w = n->inputs[1];
  if (w < 0 || !(g->tensors[w].flags & QI_TF_CONST) || g->tensors[w].dtype != QINFER_DTYPE_FLOAT ||
      (g->tensors[x].flags & QI_TF_CONST) ||
      (g->tensors[x].dtype != QINFER_DTYPE_FLOAT && g->tensors[x].dtype != QINFER_DTYPE_UNDEFINED) ||
      qz_node_excluded(g, n, o))
    return false;
  const int rank = g->tensors[w].rank, b = n->n_inputs > 2 ? n->inputs[2] : -1;
  if (b >= 0 && float_const(g, b) < 0) return false;
  if (!strcmp(n->op_type, "Conv")) return rank == 3 || rank == 4;
  if (!strcmp(n->op_type, "MatMul")) return rank == 2;
  return !strcmp(n->op_type, "Gemm") && rank == 2 && qi_attr_int(n, "transA", 0) == 0;
}

/* The weight as [K, N] for MatMulInteger (Gemm with transB: transposed), or the Conv weight as it is; malloc'ed. */
static float *weight_values(const qi_tensor *wt, bool transpose) {
  const int64_t numel = qi_tensor_numel(wt);
  float *v = malloc(sizeof(float) * (size_t)(numel ? numel : 1));
  if (!v) return NULL;
  const float *src = wt->data;
  if (!transpose) {
    memcpy(v, src, sizeof(float) * (size_t)numel);
    return v;
  }
  const int64_t rows = wt->dims[0], cols = wt->dims[1]; /* [N, K] -> [K, N] */
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) v[c * rows + r] = src[r * cols + c];
  return v;
}

/* The chain for node ni (dynamic_node holds). */
static qi_status rewrite_node(dyn *d, int ni) {
  qi_graph *g = d->g;
  qi_node *n = &g->nodes[ni];
  const bool conv = !strcmp(n->op_type, "Conv"), gemm = !strcmp(n->op_type, "Gemm");
  const bool trans_b = gemm && qi_attr_int(n, "transB", 0);
  const float alpha = gemm ? qi_attr_float(n, "alpha", 1.f) : 1.f, beta = gemm ? qi_attr_float(n, "beta", 1.f) : 1.f;
  const int x = n->inputs[0], w = n->inputs[1], y = n->outputs[0];
  const int b = n->n_inputs > 2 ? float_const(g, n->inputs[2]) : -1;
  const qi_tensor *wt = &g->tensors[w];
  const int rank = wt->rank;
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, wt->dims, sizeof dims);
  if (trans_b) dims[0] = wt->dims[1], dims[1] = wt->dims[0];
  const int64_t channels = conv ? dims[0] : dims[1], numel = qi_tensor_numel(wt);
  float *values = weight_values(wt, trans_b);
  if (!values) return oom(d);
  const qz_weight_spec spec = {.bits = 8, .mse = d->o->weight_method == QZ_WEIGHT_MSE,
                               .axis = d->o->per_channel ? (conv ? 0 : 1) : -1};
  qz_weight_q wq;
  qi_status st = qz_weight_quantize(values, rank, dims, &spec, &wq, d->err);
  free(values);
  if (st != QINFER_OK) return st;
  char base[600];
  snprintf(base, sizeof base, "%s", wt->name);
  /* the scale along the output's channel axis: [1, Cout, 1(, 1)] for Conv, [N] for MatMul, a scalar per tensor */
  int64_t sdims[QI_MAX_RANK] = {1, 1, 1, 1};
  int srank = 0;
  if (d->o->per_channel) {
    srank = conv ? rank : 1;
    sdims[conv ? 1 : 0] = channels;
  }
  for (int64_t c = 0; c < wq.n_groups; c++) wq.group_scale[c] *= alpha; /* exact for alpha = 1 */
  const int wq_t = new_const(d, base, "_quantized", QINFER_DTYPE_INT8, rank, dims, wq.q);
  const int ws_t = wq_t >= 0 ? new_const(d, base, "_scale", QINFER_DTYPE_FLOAT, srank, sdims, wq.group_scale) : -1;
  qz_weight_q_free(&wq);
  if (ws_t < 0) return d->err->code ? d->err->code : oom(d);
  d->rep->weights++;
  d->rep->weight_bytes_fp32 += numel * 4;
  d->rep->weight_bytes_int8 += numel;
  /* the bias: a Conv's as [1, Cout, 1(, 1)], a Gemm's C times beta in its own shape */
  int bias = -1;
  if (b >= 0) {
    const qi_tensor *bt = &g->tensors[b];
    const int64_t bn = qi_tensor_numel(bt);
    float *bv = malloc(sizeof(float) * (size_t)(bn ? bn : 1));
    if (!bv) return oom(d);
    for (int64_t i = 0; i < bn; i++) bv[i] = ((const float *)bt->data)[i] * beta; /* exact for beta = 1 */
    int64_t bdims[QI_MAX_RANK] = {1, bn, 1, 1};
    snprintf(base, sizeof base, "%s", bt->name);
    bias = conv ? new_const(d, base, "_channels", QINFER_DTYPE_FLOAT, rank, bdims, bv)
                : new_const(d, base, "_scaled", QINFER_DTYPE_FLOAT, bt->rank, bt->dims, bv);
    free(bv);
    if (bias < 0) return d->err->code ? d->err->code : oom(d);
  }
  int xs, xz;
  const int xq = quantized_input(d, x, &xs, &xz);
  if (xq < 0) return d->err->code;
  /* the tensors of the chain, named after the output */
  snprintf(base, sizeof base, "%s", g->tensors[y].name);
  const int yrank = g->tensors[y].rank;
  int64_t ydims[QI_MAX_RANK];
  memcpy(ydims, g->tensors[y].dims, sizeof ydims);
  const int acc = new_tensor(d, base, "_int32", QINFER_DTYPE_INT32, yrank, ydims);
  const int accf = acc >= 0 ? new_tensor(d, base, "_int32_float", QINFER_DTYPE_FLOAT, yrank, ydims) : -1;
  const int sprod = accf >= 0 ? new_tensor(d, base, "_scales", QINFER_DTYPE_FLOAT, srank, sdims) : -1;
  const int scaled = sprod >= 0 && bias >= 0 ? new_tensor(d, base, "_scaled", QINFER_DTYPE_FLOAT, yrank, ydims) : y;
  if (sprod < 0 || scaled < 0) return d->err->code;
  /* the node itself becomes the integer op (a Conv keeps its attributes, which ConvInteger shares) */
  n = &g->nodes[ni];
  int *ins = realloc(n->inputs, sizeof(int) * 3);
  char *type = qi_str_dup(conv ? "ConvInteger" : "MatMulInteger");
  if (!ins || !type) {
    if (ins) n->inputs = ins;
    free(type);
    return oom(d);
  }
  n->inputs = ins;
  ins[0] = xq, ins[1] = wq_t, ins[2] = xz;
  n->n_inputs = 3;
  n->outputs[0] = acc;
  free(n->op_type);
  n->op_type = type;
  n->op = NULL;
  static const char *const gemm_attrs[] = {"alpha", "beta", "transA", "transB"};
  for (int k = 0; gemm && k < 4; k++) qi_node_remove_attr(n, gemm_attrs[k]);
  const int cast = add_node(d, "Cast", &acc, 1, &accf, 1);
  qi_attr *to = cast >= 0 ? qi_node_add_attr(g, cast, "to", QI_ATTR_INT) : NULL;
  if (!to) return d->err->code ? d->err->code : oom(d);
  to->i = QINFER_DTYPE_FLOAT;
  const int smul[2] = {xs, ws_t}, ymul[2] = {accf, sprod}, badd[2] = {scaled, bias};
  if (add_node(d, "Mul", smul, 2, &sprod, 1) < 0 || add_node(d, "Mul", ymul, 2, &scaled, 1) < 0 ||
      (bias >= 0 && add_node(d, "Add", badd, 2, &y, 1) < 0))
    return d->err->code;
  d->rep->quantized_nodes++;
  return QINFER_OK;
}

/* --- 4-bit weights: MatMulNBits (see the top of the file) --- */

/* A MatMul / Gemm that dynamic_node takes whose bias (Gemm C) is absent or has N values. */
static bool nbits_node(const qi_graph *g, const qi_node *n, const qz_options *o) {
  if (!dynamic_node(g, n, o) || !strcmp(n->op_type, "Conv")) return false;
  const qi_tensor *w = &g->tensors[n->inputs[1]];
  const int64_t cols = !strcmp(n->op_type, "Gemm") && qi_attr_int(n, "transB", 0) ? w->dims[0] : w->dims[1];
  const int b = n->n_inputs > 2 ? float_const(g, n->inputs[2]) : -1;
  return b < 0 || qi_tensor_numel(&g->tensors[b]) == cols;
}

/* Renames node n to com.microsoft MatMulNBits with its attributes (the Gemm's removed). */
static qi_status make_nbits_node(dyn *d, int ni, const int ins[6], int64_t k, int64_t n_cols, int64_t bl) {
  qi_graph *g = d->g;
  qi_node *n = &g->nodes[ni];
  int *in = realloc(n->inputs, sizeof(int) * 6);
  char *type = qi_str_dup("MatMulNBits"), *domain = qi_str_dup("com.microsoft");
  if (in) n->inputs = in;
  if (!in || !type || !domain) {
    free(type), free(domain);
    return oom(d);
  }
  memcpy(in, ins, sizeof(int) * 6);
  n->n_inputs = ins[5] >= 0 ? 6 : ins[3] >= 0 ? 4 : 3;
  free(n->op_type), free(n->domain);
  n->op_type = type, n->domain = domain, n->op = NULL;
  n->opset = 1; /* com.microsoft opset 1 (the writer imports the domain at its nodes' highest) */
  static const char *const gemm_attrs[] = {"alpha", "beta", "transA", "transB"};
  for (int i = 0; i < 4; i++) qi_node_remove_attr(n, gemm_attrs[i]);
  const char *const names[] = {"K", "N", "bits", "block_size", "accuracy_level"};
  const int64_t values[] = {k, n_cols, 4, bl, 4};
  for (int i = 0; i < 5; i++) {
    qi_attr *a = qi_node_add_attr(g, ni, names[i], QI_ATTR_INT);
    if (!a) return d->err->code ? d->err->code : oom(d);
    a->i = values[i];
  }
  return QINFER_OK;
}

static qi_status rewrite_nbits(dyn *d, int ni) {
  qi_graph *g = d->g;
  const qi_node *n = &g->nodes[ni];
  const bool gemm = !strcmp(n->op_type, "Gemm"), trans_b = gemm && qi_attr_int(n, "transB", 0);
  const float alpha = gemm ? qi_attr_float(n, "alpha", 1.f) : 1.f, beta = gemm ? qi_attr_float(n, "beta", 1.f) : 1.f;
  const int x = n->inputs[0], b = n->n_inputs > 2 ? float_const(g, n->inputs[2]) : -1;
  const qi_tensor *wt = &g->tensors[n->inputs[1]];
  const int64_t k = trans_b ? wt->dims[1] : wt->dims[0], cols = trans_b ? wt->dims[0] : wt->dims[1];
  const int64_t bl = d->o->block_size ? d->o->block_size : 32, nb = (k + bl - 1) / bl;
  /* W^T [N, K]: the rows of B are the output columns */
  float *wn = weight_values(wt, !trans_b);
  if (!wn) return oom(d);
  const int64_t wdims[2] = {cols, k};
  const qz_weight_spec spec = {.bits = 4, .asymmetric = d->o->weight_asymmetric,
                               .mse = d->o->weight_method == QZ_WEIGHT_MSE, .axis = 1, .block = bl};
  qz_weight_q wq;
  qi_status st = qz_weight_quantize(wn, 2, wdims, &spec, &wq, d->err);
  free(wn);
  if (st != QINFER_OK) return st;
  const int64_t zp_row = (nb + 1) / 2;
  uint8_t *codes = calloc((size_t)(cols * nb * bl / 2), 1), *zps = calloc((size_t)(cols * zp_row), 1);
  float *scales = malloc(sizeof(float) * (size_t)(cols * nb));
  if (!codes || !zps || !scales) {
    free(codes), free(zps), free(scales), qz_weight_q_free(&wq);
    return oom(d);
  }
  const bool asym = d->o->weight_asymmetric;
  for (int64_t r = 0; r < cols; r++) {
    for (int64_t j = 0; j < k; j++) {
      const int v = wq.q[r * k + j] + (asym ? 0 : 8); /* uint4 codes; int4 q + 8 against the default zero point 8 */
      codes[(r * nb * bl + j) / 2] |= (uint8_t)(v << ((j & 1) * 4));
    }
    for (int64_t bi = 0; bi < nb; bi++) {
      scales[r * nb + bi] = wq.scale[r * nb + bi] * alpha; /* exact for alpha = 1 */
      if (asym) zps[r * zp_row + bi / 2] |= (uint8_t)(wq.zp[r * nb + bi] << ((bi & 1) * 4));
    }
  }
  qz_weight_q_free(&wq);
  char base[600];
  snprintf(base, sizeof base, "%s", wt->name);
  const int64_t bdims[3] = {cols, nb, bl / 2}, sdims[1] = {cols * nb}, zdims[1] = {cols * zp_row};
  int ins[6] = {x, -1, -1, -1, -1, -1};
  ins[1] = new_const(d, base, "_nbits", QINFER_DTYPE_UINT8, 3, bdims, codes);
  ins[2] = ins[1] >= 0 ? new_const(d, base, "_nbits_scales", QINFER_DTYPE_FLOAT, 1, sdims, scales) : -1;
  if (asym && ins[2] >= 0) ins[3] = new_const(d, base, "_nbits_zero_points", QINFER_DTYPE_UINT8, 1, zdims, zps);
  free(codes), free(zps), free(scales);
  if (ins[2] < 0 || (asym && ins[3] < 0)) return d->err->code ? d->err->code : oom(d);
  if (b >= 0) {
    const qi_tensor *bt = &g->tensors[b];
    float *bv = malloc(sizeof(float) * (size_t)cols);
    if (!bv) return oom(d);
    for (int64_t i = 0; i < cols; i++) bv[i] = ((const float *)bt->data)[i] * beta; /* exact for beta = 1 */
    const int64_t bias_dims[1] = {cols};
    snprintf(base, sizeof base, "%s", bt->name);
    ins[5] = new_const(d, base, "_bias", QINFER_DTYPE_FLOAT, 1, bias_dims, bv);
    free(bv);
    if (ins[5] < 0) return d->err->code ? d->err->code : oom(d);
  }
  QI_CHECK(make_nbits_node(d, ni, ins, k, cols, bl));
  d->rep->weights++;
  d->rep->weight_bytes_fp32 += k * cols * 4;
  d->rep->weight_bytes_int8 += cols * nb * bl / 2;
  d->rep->activations++; /* each MatMulNBits quantizes its own A at run time */
  d->rep->quantized_nodes++;
  return QINFER_OK;
}

qi_status qz_rewrite_dynamic(qi_graph *g, const qz_options *o, qz_report *rep, qi_error *err) {
  memset(rep, 0, sizeof *rep);
  dyn d = {g, o, rep, err, malloc(sizeof(int[3]) * ((size_t)g->n_tensors + 1)), 0};
  if (!d.dql) return oom(&d);
  for (int t = 0; t < g->n_tensors; t++) d.dql[t][0] = d.dql[t][1] = d.dql[t][2] = -1;
  qi_status st = qi_graph_link(g, err);
  const int n_nodes = g->n_nodes;
  for (int ni = 0; st == QINFER_OK && ni < n_nodes; ni++) {
    if (o->weight_bits == 4) {
      if (nbits_node(g, &g->nodes[ni], o)) st = rewrite_nbits(&d, ni);
    } else if (dynamic_node(g, &g->nodes[ni], o)) {
      st = rewrite_node(&d, ni);
    }
  }
  free(d.dql);
  if (st == QINFER_OK) st = qi_graph_link(g, err);
  return st == QINFER_OK ? qi_graph_toposort(g, err) : st;
}
