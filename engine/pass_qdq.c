/* QDQ fusion: the QDQ format marks a quantized op by DequantizeLinear on each quantized input and one
 * QuantizeLinear on its output:
 *
 *     xq -> DQ -> x ---\
 *     wq -> DQ -> w ----> Conv -> y [-> Relu | Clip] -> Q -> yq
 *     bq -> DQ -> b ---/
 *
 * This pass rewrites such patterns into integer ops that read xq and write yq directly (the float tensors
 * x, w, y disappear), so the integer kernels run and requantization parameters are precomputed at prepare:
 *
 *   Conv -> QLinearConv            MatMul -> QLinearMatMul        Gemm (alpha = beta = 1) -> QGemm
 *   Add / Mul -> QLinearAdd / QLinearMul                           Concat -> QLinearConcat
 *   GlobalAveragePool / AveragePool -> QLinearGlobalAveragePool / QLinearAveragePool
 *   elementwise float ops between one DQ and a Q (Sigmoid, HardSwish written out, scale and shift by scalar
 *   constants, ...), and a bare DQ -> Q with other parameters -> QLinearTable, a 256-entry lookup table
 *   (engine/pass_qdq_region.c);  DQ -> Q with the same parameters -> nothing (readers read the input);
 *   value-preserving ops (QI_OPF_VALUE_PRESERVING: MaxPool, Reshape, Transpose, Slice, Gather, ...) with equal
 *   input and output parameters -> the same op on the quantized tensor.
 * The op's flags (engine/op.h) choose the rewrite: QI_OPF_QUANT_LINEAR / _JOIN / _POOL, QI_OPF_VALUE_PRESERVING.
 *
 * A Relu or Clip between the op and Q becomes the fused op's real-valued clamp (its fused activation): quantization is
 * monotonic, so it is exact. Activations must be quantized per tensor; weights per tensor or per output
 * channel. A pattern that does not fit (per-axis activations, float constants, an op the integer runtime
 * lacks, a shape the integer op refuses) is left alone and runs in float through DequantizeLinear and
 * QuantizeLinear, which is always correct. Runs after shape inference; DequantizeLinear of constants is
 * folded only afterwards (QI_OPF_FOLD_LATE), so weights are still int8 here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pass_qdq.h"


static bool is_type(const qi_node *n, const char *op) {
  return !n->dead && strcmp(n->op_type, op) == 0 && (!n->domain[0] || strcmp(n->domain, "com.microsoft") == 0);
}

static bool is_const(const qi_graph *g, int t) { return t >= 0 && (g->tensors[t].flags & QI_TF_CONST); }

static int input_of(const qi_node *n, int k) { return k < n->n_inputs ? n->inputs[k] : -1; }

static bool is_graph_output(const qi_graph *g, int t) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return true;
  return false;
}

/* Describes float tensor t as the output of a DequantizeLinear with constant parameters. per_tensor: the
 * scale must be a single value; want_dtype: 0 for u8 / s8, else that dtype. */
bool qi_qdq_dq_of(const qi_graph *g, int t, bool per_tensor, int want_dtype, qi_dq_ref *out) {
  if (t < 0) return false;
  const int p = g->tensors[t].producer;
  if (p < 0) return false;
  const qi_node *d = &g->nodes[p];
  if (!is_type(d, "DequantizeLinear") || d->n_outputs != 1 || qi_attr_int(d, "block_size", 0) != 0) return false;
  const int q = input_of(d, 0), s = input_of(d, 1), z = input_of(d, 2);
  if (q < 0 || !is_const(g, s) || (z >= 0 && !is_const(g, z))) return false;
  const int dt = g->tensors[q].dtype;
  if (want_dtype ? dt != want_dtype : (dt != QINFER_DTYPE_UINT8 && dt != QINFER_DTYPE_INT8)) return false;
  const qi_tensor *st = &g->tensors[s];
  if (st->dtype != QINFER_DTYPE_FLOAT || st->rank > 1) return false;
  out->node = p;
  out->q = q;
  out->scale = s;
  out->zp = z;
  out->axis = -1;
  if (qi_tensor_numel(st) != 1) {
    if (per_tensor) return false;
    const int rank = g->tensors[q].rank;
    int64_t axis = qi_attr_int(d, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return false;
    out->axis = (int)axis;
  }
  return true;
}

/* The QuantizeLinear that is the only reader of float tensor t (per tensor, constant parameters, u8 / s8). */
int qi_qdq_q_after(const qi_graph *g, int t) {
  if (t < 0 || is_graph_output(g, t)) return -1;
  const int c = qi_graph_sole_reader(g, t);
  if (c < 0) return -1;
  const qi_node *q = &g->nodes[c];
  if (!is_type(q, "QuantizeLinear") || input_of(q, 0) != t || q->n_outputs != 1 || q->outputs[0] < 0) return -1;
  const int s = input_of(q, 1), z = input_of(q, 2);
  if (!is_const(g, s) || qi_tensor_numel(&g->tensors[s]) != 1 || (z >= 0 && !is_const(g, z))) return -1;
  const int dt = g->tensors[q->outputs[0]].dtype;
  if (dt != QINFER_DTYPE_UINT8 && dt != QINFER_DTYPE_INT8) return -1;
  return c;
}

static float scalar_f32(const qi_graph *g, int t) { return *(const float *)g->tensors[t].data; }

/* Zero point i of zero-point tensor t (a single one serves every i; 0 without a tensor). */
static int32_t zp_at(const qi_graph *g, int t, int64_t i) {
  if (t < 0) return 0;
  return qi_tensor_int_at(&g->tensors[t], qi_tensor_numel(&g->tensors[t]) == 1 ? 0 : i);
}

int32_t qi_qdq_zp_value(const qi_graph *g, int t) { return zp_at(g, t, 0); }

/* Same quantization (dtype, scale bits, zero point) of two per-tensor parameter sets. */
static bool same_params(const qi_graph *g, int q_a, int s_a, int z_a, int q_b, int s_b, int z_b) {
  if (g->tensors[q_a].dtype != g->tensors[q_b].dtype) return false;
  if (qi_tensor_numel(&g->tensors[s_a]) != 1 || qi_tensor_numel(&g->tensors[s_b]) != 1) return false;
  const float a = scalar_f32(g, s_a), b = scalar_f32(g, s_b);
  return memcmp(&a, &b, sizeof a) == 0 && zp_at(g, z_a, 0) == zp_at(g, z_b, 0);
}

/* ---- building the fused node ---- */

/* A constant zero of dtype shaped like the scale tensor (the zero point an input without one stands for). */
static int const_zero(qi_graph *g, int dtype, int scale, qi_error *err) {
  char name[600];
  const qi_tensor *st = &g->tensors[scale];
  snprintf(name, sizeof name, "%s/zero_point_%s", st->name, qi_dtype_name(dtype));
  int t = qi_graph_find_tensor(g, name);
  if (t >= 0) return t;
  const int rank = st->rank;
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, st->dims, sizeof dims);
  if ((t = qi_graph_add_tensor(g, name)) < 0) {
    qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  qi_tensor_set_shape(&g->tensors[t], dtype, rank, dims);
  if (qi_tensor_alloc_const(&g->tensors[t], err) != QINFER_OK) return -1; /* zero-filled */
  return t;
}

/* The zero-point tensor of a DQ / Q, or a constant zero of the quantized dtype shaped like its scale. */
static int zp_or_zero(qi_graph *g, int zp, int qdtype, int scale, qi_error *err) {
  return zp >= 0 ? zp : const_zero(g, qdtype, scale, err);
}

/* Copies every attribute of node src onto node dst (deep copies); false on allocation failure or an attribute
 * kind the fused ops never take (tensors, graphs). */
static bool copy_attrs(qi_graph *g, int dst, int src) {
  for (int i = 0; i < g->nodes[src].n_attrs; i++) {
    const qi_attr a0 = g->nodes[src].attrs[i];
    if (a0.type != QI_ATTR_FLOAT && a0.type != QI_ATTR_INT && a0.type != QI_ATTR_STRING &&
        a0.type != QI_ATTR_FLOATS && a0.type != QI_ATTR_INTS)
      return false;
    qi_attr *a = qi_node_add_attr(g, dst, a0.name, a0.type);
    if (!a) return false;
    a->f = a0.f;
    a->i = a0.i;
    if (a0.type == QI_ATTR_STRING) {
      if (!(a->s = malloc(a0.s_len + 1))) return false;
      memcpy(a->s, a0.s, a0.s_len + 1);
      a->s_len = a0.s_len;
    } else if (a0.type == QI_ATTR_FLOATS || a0.type == QI_ATTR_INTS) {
      const size_t el = a0.type == QI_ATTR_INTS ? sizeof(int64_t) : sizeof(float);
      void *v = malloc(el * (size_t)(a0.n ? a0.n : 1));
      if (!v) return false;
      if (a0.n) memcpy(v, a0.type == QI_ATTR_INTS ? (void *)a0.ints : (void *)a0.floats, el * (size_t)a0.n);
      if (a0.type == QI_ATTR_INTS) a->ints = v;
      else a->floats = v;
      a->n = a0.n;
    }
  }
  return true;
}


/* Marks node ni dead; the tensors it made have no producer now (as qi_graph_link would say). */
static void kill_node(qi_graph *g, int ni) {
  qi_node *n = &g->nodes[ni];
  n->dead = true;
  for (int k = 0; k < n->n_outputs; k++)
    if (n->outputs[k] >= 0 && g->tensors[n->outputs[k]].producer == ni) g->tensors[n->outputs[k]].producer = -1;
}

/* Adds the fused node (type/domain, inputs, output = Q's output), copies the op's attributes when
 * copy_from >= 0, resolves and infers it; on success marks the replaced nodes dead. Returns true when fused,
 * false when the integer runtime cannot take it (nothing changed then but a dead node). */
bool qi_qdq_emit(qi_graph *g, const qi_qdq_fusion *f, const char *type, const char *domain, const int *ins, int n_ins,
                 int copy_from, qi_status *st, qi_error *err) {
  return qi_qdq_emit_attr(g, f, type, domain, ins, n_ins, copy_from, NULL, 0, st, err);
}

bool qi_qdq_emit_attr(qi_graph *g, const qi_qdq_fusion *f, const char *type, const char *domain, const int *ins,
                      int n_ins, int copy_from, const char *int_attr, int64_t int_value, qi_status *st, qi_error *err) {
  const qi_op *op = qi_op_find(domain, type);
  if (!op) return false;
  const int yq = g->nodes[f->q].outputs[0];
  const int ni = qi_graph_add_node(g, type, domain, ins, n_ins, &yq, 1);
  if (ni < 0) {
    *st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return false;
  }
  qi_node *n = &g->nodes[ni];
  n->dead = true; /* until it is known to work: the Q node still produces yq */
  free(n->name);
  if (!(n->name = qi_str_dup(g->nodes[f->op].name))) {
    *st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return false;
  }
  n->op = op;
  n->opset = domain[0] ? 1 : g->nodes[f->op].opset;
  if (copy_from >= 0 && !copy_attrs(g, ni, copy_from)) return false;
  if (int_attr) {
    qi_attr *a = qi_node_add_attr(g, ni, int_attr, QI_ATTR_INT);
    if (!a) return false;
    a->i = int_value;
  }
  n = &g->nodes[ni];
  if (f->act >= 0) {
    if (!(op->flags & QI_OPF_FUSE_ACT)) return false;
    qi_act act;
    if (!qi_pass_activation_of(g, &g->nodes[f->act], &act) || act.kind != QI_ACT_CLAMP) return false;
    if ((*st = qi_node_set_fused_act(g, ni, &act, err)) != QINFER_OK) return false;
    n = &g->nodes[ni];
  }
  /* infer checks everything prepare relies on; a refusal leaves the float pattern in place */
  const qi_tensor saved = g->tensors[yq];
  qi_error probe = {0};
  if (op->infer(g, n, &probe) != QINFER_OK) {
    if (getenv("QI_DEBUG_QDQ")) fprintf(stderr, "qdq: %s not fused: %s\n", type, probe.msg);
    g->tensors[yq] = saved;
    return false;
  }
  n->dead = false;
  if (getenv("QI_DEBUG_QDQ")) fprintf(stderr, "qdq: %s -> %s (node %d)\n", g->nodes[f->op].name, type, ni);
  kill_node(g, f->op);
  kill_node(g, f->q);
  if (f->act >= 0) kill_node(g, f->act);
  for (int i = 0; i < f->n_dead; i++) kill_node(g, f->dead[i]);
  g->tensors[yq].producer = ni;
  return true;
}

/* Finds op -> [Relu | Clip] -> Q after node oi; false when the op's output is not quantized. */
static bool find_output_q(const qi_graph *g, int oi, qi_qdq_fusion *f) {
  memset(f, 0, sizeof *f);
  f->op = oi;
  f->act = -1;
  const qi_node *n = &g->nodes[oi];
  if (n->n_outputs != 1 || n->outputs[0] < 0) return false;
  int y = n->outputs[0];
  f->q = qi_qdq_q_after(g, y);
  if (f->q >= 0) return true;
  const int a = qi_graph_sole_reader(g, y);
  if (a < 0 || is_graph_output(g, y)) return false;
  qi_act act;
  if (!qi_pass_activation_of(g, &g->nodes[a], &act) || act.kind != QI_ACT_CLAMP ||
      input_of(&g->nodes[a], 0) != y)
    return false;
  f->act = a;
  f->q = qi_qdq_q_after(g, g->nodes[a].outputs[0]);
  return f->q >= 0;
}

/* The output parameters (scale, zero point) of the fusion's Q as fused-op inputs. */
static bool out_params(qi_graph *g, const qi_qdq_fusion *f, int *ys, int *yz, qi_error *err) {
  const qi_node *q = &g->nodes[f->q];
  *ys = q->inputs[1];
  *yz = zp_or_zero(g, input_of(q, 2), g->tensors[q->outputs[0]].dtype, q->inputs[1], err);
  return *yz >= 0;
}

/* An int32 bias for a conv / gemm with input scale xs and weight scales ws[c] (c < count) from a float
 * constant (ONNX Runtime's quantizer leaves float a bias it reaches through an Identity) or a DequantizeLinear
 * of int32: q = round_half_even(b / (xs * ws[c])), the division in binary32 for a float bias as ONNX Runtime
 * does it (in double for a rescaled int32 one); kept as is when the DQ's scale is already xs * ws[c]. Returns
 * the new tensor or -1 (no bias fits). */
static int int32_bias(qi_graph *g, int b, int xs, const qi_dq_ref *w, int64_t count, qi_error *err) {
  qi_dq_ref bd;
  const bool from_dq = qi_qdq_dq_of(g, b, false, QINFER_DTYPE_INT32, &bd) && is_const(g, bd.q);
  const bool from_float = is_const(g, b) && g->tensors[b].dtype == QINFER_DTYPE_FLOAT;
  if (!from_dq && !from_float) return -1;
  const int src = from_dq ? bd.q : b;
  if (qi_tensor_numel(&g->tensors[src]) != count || g->tensors[src].rank != 1) return -1;
  char name[600];
  snprintf(name, sizeof name, "%s/bias_int32", g->tensors[b].name);
  const int t = qi_graph_add_tensor(g, name);
  if (t < 0) return -1;
  int64_t dims[1] = {count};
  qi_tensor_set_shape(&g->tensors[t], QINFER_DTYPE_INT32, 1, dims);
  if (qi_tensor_alloc_const(&g->tensors[t], err) != QINFER_OK) return -1;
  int32_t *out = g->tensors[t].data;
  const int64_t n_ws = qi_tensor_numel(&g->tensors[w->scale]);
  const float x_scale = scalar_f32(g, xs);
  for (int64_t c = 0; c < count; c++) {
    const float acc_scale = x_scale * ((const float *)g->tensors[w->scale].data)[n_ws == 1 ? 0 : c];
    double q;
    if (from_dq) {
      const int64_t ns = qi_tensor_numel(&g->tensors[bd.scale]);
      const float bs = ((const float *)g->tensors[bd.scale].data)[ns == 1 ? 0 : c];
      const int32_t v = ((const int32_t *)g->tensors[bd.q].data)[c] - zp_at(g, bd.zp, c);
      if (bs == acc_scale) {
        out[c] = v;
        continue;
      }
      q = nearbyint((double)v * bs / acc_scale);
    } else { /* a float bias: one binary32 division, as ONNX Runtime quantizes it (its QDQ Conv / Gemm fusion) */
      q = nearbyintf(((const float *)g->tensors[b].data)[c] / acc_scale);
    }
    q = q > 2147483647.0 ? 2147483647.0 : (q < -2147483648.0 ? -2147483648.0 : q);
    out[c] = (int32_t)q;
  }
  return t;
}

bool qi_qdq_find_output_q(const qi_graph *g, int oi, qi_qdq_fusion *f) { return find_output_q(g, oi, f); }
bool qi_qdq_out_params(qi_graph *g, const qi_qdq_fusion *f, int *ys, int *yz, qi_error *err) {
  return out_params(g, f, ys, yz, err);
}
int qi_qdq_zp_or_zero(qi_graph *g, int zp, int qdtype, int scale, qi_error *err) {
  return zp_or_zero(g, zp, qdtype, scale, err);
}
int qi_qdq_int32_bias(qi_graph *g, int b, int xs, const qi_dq_ref *w, int64_t count, qi_error *err) {
  return int32_bias(g, b, xs, w, count, err);
}

/* Conv / MatMul / Gemm with a quantized input, quantized (constant) weights and an optional bias. */
static bool fuse_linear(qi_graph *g, int oi, qi_status *st, qi_error *err) {
  qi_qdq_fusion f;
  if (!find_output_q(g, oi, &f)) return false;
  const qi_node *n = &g->nodes[oi];
  const bool conv = strcmp(n->op_type, "Conv") == 0, matmul = strcmp(n->op_type, "MatMul") == 0;
  qi_dq_ref x, w;
  if (!qi_qdq_dq_of(g, input_of(n, 0), true, 0, &x) || !qi_qdq_dq_of(g, input_of(n, 1), false, 0, &w)) return false;
  if (!matmul && !is_const(g, w.q)) return false; /* QLinearConv and QGemm pack constant weights */
  const int b = input_of(n, 2);
  const qi_tensor *wt = &g->tensors[w.q];
  if (conv && w.axis > 0) return false;      /* per output channel = axis 0 */
  if (matmul && w.axis >= 0 && (wt->rank != 2 || w.axis != 1)) return false;
  int ys, yz;
  if (!out_params(g, &f, &ys, &yz, err)) return (*st = err->code), false;
  const int xz = zp_or_zero(g, x.zp, g->tensors[x.q].dtype, x.scale, err),
            wz = xz < 0 ? -1 : zp_or_zero(g, w.zp, g->tensors[w.q].dtype, w.scale, err);
  if (xz < 0 || wz < 0) return (*st = err->code), false;
  wt = &g->tensors[w.q]; /* adding a zero point may have moved the tensor array */
  if (matmul) {
    const int ins[8] = {x.q, x.scale, xz, w.q, w.scale, wz, ys, yz};
    return qi_qdq_emit(g, &f, "QLinearMatMul", "", ins, 8, -1, st, err);
  }
  if (conv) {
    int bias = -1;
    if (b >= 0 && (bias = int32_bias(g, b, x.scale, &w, wt->dims[0], err)) < 0) return false;
    const int ins[9] = {x.q, x.scale, xz, w.q, w.scale, wz, ys, yz, bias};
    return qi_qdq_emit(g, &f, "QLinearConv", "", ins, bias >= 0 ? 9 : 8, oi, st, err);
  }
  /* Gemm: QGemm's bias is int32 at scale a_scale * b_scale; alpha and beta must be 1 */
  if (qi_attr_float(n, "alpha", 1.f) != 1.f || (b >= 0 && qi_attr_float(n, "beta", 1.f) != 1.f) || wt->rank != 2)
    return false;
  const bool trans_b = qi_attr_int(n, "transB", 0) != 0;
  const int64_t cols = trans_b ? wt->dims[0] : wt->dims[1];
  if (w.axis >= 0 && w.axis != (trans_b ? 0 : 1)) return false;
  int bias = -1;
  if (b >= 0 && (bias = int32_bias(g, b, x.scale, &w, cols, err)) < 0) return false;
  const int ins[9] = {x.q, x.scale, xz, w.q, w.scale, wz, bias, ys, yz};
  return qi_qdq_emit(g, &f, "QGemm", "com.microsoft", ins, 9, oi, st, err);
}

/* Add / Mul of two quantized tensors. */
static bool fuse_binary(qi_graph *g, int oi, qi_status *st, qi_error *err) {
  qi_qdq_fusion f;
  if (!find_output_q(g, oi, &f)) return false;
  const qi_node *n = &g->nodes[oi];
  qi_dq_ref a, b;
  if (n->n_inputs != 2 || !qi_qdq_dq_of(g, n->inputs[0], true, 0, &a) || !qi_qdq_dq_of(g, n->inputs[1], true, 0, &b)) return false;
  int ys, yz;
  if (!out_params(g, &f, &ys, &yz, err)) return (*st = err->code), false;
  const int az = zp_or_zero(g, a.zp, g->tensors[a.q].dtype, a.scale, err),
            bz = zp_or_zero(g, b.zp, g->tensors[b.q].dtype, b.scale, err);
  if (az < 0 || bz < 0) return (*st = err->code), false;
  const int ins[8] = {a.q, a.scale, az, b.q, b.scale, bz, ys, yz};
  const char *type = strcmp(n->op_type, "Add") == 0 ? "QLinearAdd" : "QLinearMul";
  return qi_qdq_emit(g, &f, type, "com.microsoft", ins, 8, -1, st, err);
}

/* Concat of quantized tensors: QLinearConcat(Y_scale, Y_zp, (X, x_scale, x_zp)...). */
static bool fuse_concat(qi_graph *g, int oi, qi_status *st, qi_error *err) {
  qi_qdq_fusion f;
  if (!find_output_q(g, oi, &f) || f.act >= 0) return false;
  const int n_in = g->nodes[oi].n_inputs;
  if (n_in < 1 || n_in > 64) return false;
  int ins[2 + 3 * 64];
  if (!out_params(g, &f, &ins[0], &ins[1], err)) return (*st = err->code), false;
  for (int k = 0; k < n_in; k++) {
    qi_dq_ref x;
    if (!qi_qdq_dq_of(g, g->nodes[oi].inputs[k], true, 0, &x)) return false;
    ins[2 + 3 * k] = x.q;
    ins[3 + 3 * k] = x.scale;
    if ((ins[4 + 3 * k] = zp_or_zero(g, x.zp, g->tensors[x.q].dtype, x.scale, err)) < 0) return (*st = err->code), false;
  }
  return qi_qdq_emit(g, &f, "QLinearConcat", "com.microsoft", ins, 2 + 3 * n_in, oi, st, err);
}

/* Pooling, one quantized input and one quantized output: GlobalAveragePool -> QLinearGlobalAveragePool,
 * AveragePool -> QLinearAveragePool (with its attributes). */
static bool fuse_pool(qi_graph *g, int oi, qi_status *st, qi_error *err) {
  const bool global = strcmp(g->nodes[oi].op_type, "GlobalAveragePool") == 0;
  qi_qdq_fusion f;
  if (!find_output_q(g, oi, &f) || f.act >= 0) return false;
  qi_dq_ref x;
  if (!qi_qdq_dq_of(g, input_of(&g->nodes[oi], 0), true, 0, &x)) return false;
  for (int k = 1; k < g->nodes[oi].n_inputs; k++)
    if (g->nodes[oi].inputs[k] >= 0) return false;
  int ys, yz;
  if (!out_params(g, &f, &ys, &yz, err)) return (*st = err->code), false;
  const int xz = zp_or_zero(g, x.zp, g->tensors[x.q].dtype, x.scale, err);
  if (xz < 0) return (*st = err->code), false;
  const int ins[5] = {x.q, x.scale, xz, ys, yz};
  return qi_qdq_emit(g, &f, global ? "QLinearGlobalAveragePool" : "QLinearAveragePool", "com.microsoft", ins, 5,
                     global ? -1 : oi, st, err);
}

/* Value-preserving ops (QI_OPF_VALUE_PRESERVING) with one output and constant or absent further inputs (shapes,
 * indices, axes): with equal input and output parameters they run unchanged on the quantized tensor. */
bool qi_qdq_passthrough_op(const qi_graph *g, const qi_node *n) {
  if (n->dead || n->domain[0] || !(qi_node_op_flags(n) & QI_OPF_VALUE_PRESERVING) || n->n_inputs < 1 ||
      n->n_outputs != 1)
    return false;
  for (int k = 1; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && !is_const(g, n->inputs[k])) return false;
  return true;
}

static bool fuse_passthrough(qi_graph *g, int oi) {
  qi_qdq_fusion f;
  if (!find_output_q(g, oi, &f) || f.act >= 0) return false;
  qi_node *n = &g->nodes[oi];
  qi_dq_ref x;
  if (!qi_qdq_passthrough_op(g, n) || !qi_qdq_dq_of(g, input_of(n, 0), true, 0, &x)) return false;
  const qi_node *q = &g->nodes[f.q];
  if (!same_params(g, x.q, x.scale, x.zp, q->outputs[0], q->inputs[1], input_of(q, 2))) return false;
  const int old_in = n->inputs[0], old_out = n->outputs[0], yq = q->outputs[0];
  const qi_tensor saved = g->tensors[yq];
  n->inputs[0] = x.q;
  n->outputs[0] = yq;
  qi_error probe = {0};
  if (n->op->infer(g, n, &probe) != QINFER_OK || g->tensors[yq].dtype != saved.dtype) {
    n->inputs[0] = old_in;
    n->outputs[0] = old_out;
    g->tensors[yq] = saved;
    return false;
  }
  kill_node(g, f.q);
  g->tensors[yq].producer = oi;
  g->tensors[old_out].producer = -1;
  qi_graph_index_note_reader(g, x.q, oi);
  return true;
}

/* DequantizeLinear -> QuantizeLinear with the same parameters: the identity, readers of yq read x.q. */
static bool fuse_identity_pair(qi_graph *g, int di) {
  qi_qdq_fusion f;
  const qi_node *d = &g->nodes[di];
  if (!find_output_q(g, di, &f) || f.act >= 0) return false;
  qi_dq_ref x;
  if (!qi_qdq_dq_of(g, d->outputs[0], true, 0, &x) || is_const(g, x.q)) return false;
  const int yq = g->nodes[f.q].outputs[0];
  const qi_node *q = &g->nodes[f.q];
  if (is_graph_output(g, yq) || !same_params(g, x.q, x.scale, x.zp, yq, q->inputs[1], input_of(q, 2))) return false;
  qi_reader_iter it;
  for (int r = qi_readers_first(g, yq, &it); r >= 0; r = qi_readers_next(g, &it)) {
    for (int k = 0; k < g->nodes[r].n_inputs; k++)
      if (g->nodes[r].inputs[k] == yq) g->nodes[r].inputs[k] = x.q;
    qi_graph_index_note_reader(g, x.q, r);
  }
  kill_node(g, f.q);
  kill_node(g, di);
  return true;
}

/* Tries every rewrite on the node at order position pos; true when the graph changed. Which one is the op's
 * flags' choice (engine/op.h). */
static bool fuse_node(qi_graph *g, int pos, qi_status *st, qi_error *err) {
  const int oi = g->order[pos];
  const qi_node *n = &g->nodes[oi];
  if (n->dead) return false;
  if (!strcmp(n->op_type, "DequantizeLinear")) return fuse_identity_pair(g, oi) || qi_qdq_fuse_region(g, pos, st, err);
  if (n->domain[0]) return false;
  if (!strcmp(n->op_type, "ConvInteger") || !strcmp(n->op_type, "MatMulInteger"))
    return qi_qdq_fuse_dynamic(g, oi, st, err);
  const unsigned flags = qi_node_op_flags(n);
  if (flags & QI_OPF_QUANT_LINEAR) return fuse_linear(g, oi, st, err) || (*st == QINFER_OK && qi_qdq_fuse_w4a8(g, oi, st, err));
  if (flags & QI_OPF_QUANT_JOIN) /* Add / Mul (elementwise) of two tensors, Concat of any number */
    return flags & QI_OPF_ELEMENTWISE ? fuse_binary(g, oi, st, err) : fuse_concat(g, oi, st, err);
  if (flags & QI_OPF_QUANT_POOL) return fuse_pool(g, oi, st, err);
  if (flags & QI_OPF_VALUE_PRESERVING) return fuse_passthrough(g, oi);
  return false;
}

qi_status qi_fuse_qdq(qi_graph *g, qi_error *err) {
  QI_CHECK(qi_graph_link(g, err));
  /* Every pattern starts at a DequantizeLinear or DynamicQuantizeLinear or ends in a QuantizeLinear: a graph
   * without them has nothing to fuse, and skipping it spares a float graph one sole-reader search (a scan of all
   * nodes) per node. */
  bool any_qdq = false;
  for (int i = 0; i < g->n_nodes && !any_qdq; i++)
    any_qdq = !g->nodes[i].dead && (is_type(&g->nodes[i], "QuantizeLinear") || is_type(&g->nodes[i], "DequantizeLinear") ||
                                    is_type(&g->nodes[i], "DynamicQuantizeLinear"));
  /* Each rewrite keeps producers (kill_node, the fused node's output) and the graph index (readers, names,
   * positions) current, so a rewrite costs what its pattern touches, not a relink or a scan of the graph. */
  if (any_qdq) QI_CHECK(qi_graph_index_begin(g, err));
  for (int oi = 0; any_qdq && oi < g->n_order; oi++) {
    qi_status st = QINFER_OK;
    fuse_node(g, oi, &st, err);
    if (st != QINFER_OK) {
      qi_graph_index_end(g);
      return st;
    }
  }
  qi_graph_index_end(g);
  QI_CHECK(qi_graph_toposort(g, err)); /* the fused nodes join the order before unused nodes are dropped */
  return qi_remove_dead_nodes(g, err);
}
