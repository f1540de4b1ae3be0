/* Default-domain opset upgrade to 13 or 21 (engine/quant/writer/opset_upgrade.h).
 *
 * Two walks. The first checks that every default-domain node has a rule or a form unchanged up to the target
 * (STABLE), so a graph that cannot be converted is refused before anything changes. The second applies, per node,
 * each rule whose version lies in (source opset, target]: the version of the ONNX change log at which the op's
 * form changed.
 * Every rule keeps the node's output tensors, so names (and the quantizer's plan, made by name) carry over. */
#include "engine/quant/writer/opset_upgrade.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/name_map.h"

typedef struct up {
  qi_graph *g;
  const qi_graph *ranks; /* NULL or a graph with the same tensor names and known ranks */
  int64_t from, target;
  qi_error *err;
  qi_name_map names;      /* g's tensor names: new names are made unique in O(1), not by a scan per name */
  qi_name_map rank_names; /* ranks' tensor names, filled on first use */
} up;

typedef qi_status (*rule_fn)(up *u, int ni);

/* ---- helpers: node inputs and constants ---- */

static qi_status oom(up *u) { return qi_fail(u->err, QINFER_ERR_OUT_OF_MEMORY, "opset upgrade: out of memory"); }

static qi_status refuse(up *u, int ni, const char *why) {
  return qi_node_fail(u->err, QINFER_ERR_UNSUPPORTED, &u->g->nodes[ni],
                      "cannot be written at opset %lld (model opset %lld): %s", (long long)u->target,
                      (long long)u->from, why);
}

/* Sets input slot k of node ni to tensor t (-1: absent), growing the input list with absent slots. */
static qi_status set_input(up *u, int ni, int k, int t) {
  qi_node *n = &u->g->nodes[ni];
  if (k >= n->n_inputs) {
    int *in = realloc(n->inputs, sizeof(int) * (size_t)(k + 1));
    if (!in) return oom(u);
    for (int i = n->n_inputs; i <= k; i++) in[i] = -1;
    n->inputs = in;
    n->n_inputs = k + 1;
  }
  n->inputs[k] = t;
  return QINFER_OK;
}

/* Maps every tensor name of g (keys borrowed: the names live as long as the tensors). */
static bool map_names(qi_name_map *m, const qi_graph *g) {
  for (int t = 0; t < g->n_tensors; t++)
    if (qi_name_map_get(m, g->tensors[t].name, strlen(g->tensors[t].name)) < 0 &&
        !qi_name_map_put(m, g->tensors[t].name, strlen(g->tensors[t].name), t))
      return false;
  return true;
}

/* A new tensor named after node ni's first output (its op type without one) + suffix, made unique with "_<k>";
 * its index or -1 (err set). */
static int new_tensor(up *u, int ni, const char *suffix) {
  const qi_node *n = &u->g->nodes[ni];
  const char *base = n->n_outputs > 0 && n->outputs[0] >= 0 ? u->g->tensors[n->outputs[0]].name : n->op_type;
  char name[1024];
  snprintf(name, sizeof name, "%.900s%s", base, suffix);
  for (int k = 1; qi_name_map_get(&u->names, name, strlen(name)) >= 0; k++)
    snprintf(name, sizeof name, "%.900s%s_%d", base, suffix, k);
  const int t = qi_graph_add_tensor(u->g, name);
  if (t < 0 || !qi_name_map_put(&u->names, u->g->tensors[t].name, strlen(name), t)) {
    oom(u);
    return -1;
  }
  return t;
}

/* A new constant named as new_tensor names it; its index or -1 (err set). */
static int new_const(up *u, int ni, const char *suffix, int dtype, int rank, int64_t len, const void *data) {
  const int t = new_tensor(u, ni, suffix);
  const int64_t dims[1] = {len};
  if (t < 0 || qi_tensor_set_const_copy(&u->g->tensors[t], dtype, rank, dims, data, u->err) != QINFER_OK) {
    oom(u);
    return -1;
  }
  return t;
}

/* INTS attribute `attr` of node ni -> int64 1-D constant input slot k (absent attribute: slot left absent). */
static qi_status ints_to_input(up *u, int ni, const char *attr, int k, const char *suffix) {
  const int64_t *v;
  const int len = qi_attr_ints(&u->g->nodes[ni], attr, &v);
  if (len < 0) return QINFER_OK;
  const int t = new_const(u, ni, suffix, QINFER_DTYPE_INT64, 1, len, v);
  if (t < 0) return u->err->code;
  QI_CHECK(set_input(u, ni, k, t));
  qi_node_remove_attr(&u->g->nodes[ni], attr);
  return QINFER_OK;
}

/* FLOAT attribute `attr` of node ni -> scalar constant input slot k of the type of input 0 (float or double). */
static qi_status float_to_input(up *u, int ni, const char *attr, int k, const char *suffix) {
  const qi_attr *a = qi_node_attr(&u->g->nodes[ni], attr);
  if (!a || a->type != QI_ATTR_FLOAT) return QINFER_OK;
  const qi_tensor *x = qi_node_in(u->g, &u->g->nodes[ni], 0);
  const int dtype = x ? x->dtype : QINFER_DTYPE_UNDEFINED;
  const float f = a->f;
  const double d = a->f;
  int t;
  if (dtype == QINFER_DTYPE_DOUBLE) t = new_const(u, ni, suffix, QINFER_DTYPE_DOUBLE, 0, 1, &d);
  else if (dtype == QINFER_DTYPE_FLOAT || dtype == QINFER_DTYPE_UNDEFINED) t = new_const(u, ni, suffix, QINFER_DTYPE_FLOAT, 0, 1, &f);
  else return refuse(u, ni, "the attribute that becomes an input needs a float or double input");
  if (t < 0) return u->err->code;
  QI_CHECK(set_input(u, ni, k, t));
  qi_node_remove_attr(&u->g->nodes[ni], attr);
  return QINFER_OK;
}

static qi_status set_string_attr(up *u, int ni, const char *name, const char *value) {
  qi_node_remove_attr(&u->g->nodes[ni], name);
  qi_attr *a = qi_node_add_attr(u->g, ni, name, QI_ATTR_STRING);
  if (!a || !(a->s = qi_str_dup(value))) return oom(u);
  a->s_len = strlen(value);
  return QINFER_OK;
}

static qi_status set_int_attr(up *u, int ni, const char *name, int64_t value) {
  qi_node_remove_attr(&u->g->nodes[ni], name);
  qi_attr *a = qi_node_add_attr(u->g, ni, name, QI_ATTR_INT);
  if (!a) return oom(u);
  a->i = value;
  return QINFER_OK;
}

/* ---- the rules, each named by the op version whose form it writes; a rule's check refuses what it cannot
 * convert and changes nothing, its apply assumes the check passed ---- */

static bool float_input(up *u, int ni) {
  const qi_tensor *x = qi_node_in(u->g, &u->g->nodes[ni], 0);
  return !x || x->dtype == QINFER_DTYPE_FLOAT || x->dtype == QINFER_DTYPE_DOUBLE || x->dtype == QINFER_DTYPE_UNDEFINED;
}

/* Clip-11, Pad-11, Dropout-12: their float attributes become inputs of the input's type. */
static qi_status check_float_attrs(up *u, int ni) {
  return float_input(u, ni) ? QINFER_OK : refuse(u, ni, "an attribute that becomes an input needs a float or double input");
}

/* Slice-10: starts, ends, axes attributes -> inputs 1, 2, 3 (steps absent: 1). */
static qi_status check_slice_10(up *u, int ni) {
  const int64_t *v;
  const qi_node *n = &u->g->nodes[ni];
  return qi_attr_ints(n, "starts", &v) >= 0 && qi_attr_ints(n, "ends", &v) >= 0 ? QINFER_OK
                                                                                 : refuse(u, ni, "Slice without starts / ends");
}

static qi_status slice_10(up *u, int ni) {
  QI_CHECK(ints_to_input(u, ni, "starts", 1, "_starts"));
  QI_CHECK(ints_to_input(u, ni, "ends", 2, "_ends"));
  return ints_to_input(u, ni, "axes", 3, "_axes");
}

/* Clip-11: min, max attributes -> optional inputs 1, 2 (an absent bound stays absent: no bound). */
static qi_status clip_11(up *u, int ni) {
  QI_CHECK(float_to_input(u, ni, "min", 1, "_min"));
  return float_to_input(u, ni, "max", 2, "_max");
}

/* Pad-11: pads attribute -> input 1; value -> constant_value input 2 (default 0 either way). */
static qi_status check_pad_11(up *u, int ni) {
  const int64_t *pads;
  if (qi_attr_ints(&u->g->nodes[ni], "pads", &pads) < 0) return refuse(u, ni, "Pad without 'pads'");
  return check_float_attrs(u, ni);
}

static qi_status pad_11(up *u, int ni) {
  QI_CHECK(ints_to_input(u, ni, "pads", 1, "_pads"));
  return float_to_input(u, ni, "value", 2, "_value");
}

/* Dropout-12: ratio attribute -> input 1. The mask output was of the input's type before opset 10 (bool after):
 * dropped when nothing reads it, refused otherwise. */
static bool old_mask(up *u, int ni) {
  const qi_node *n = &u->g->nodes[ni];
  return u->from < 10 && n->n_outputs > 1 && n->outputs[1] >= 0;
}

static qi_status check_dropout_12(up *u, int ni) {
  if (old_mask(u, ni) && u->g->tensors[u->g->nodes[ni].outputs[1]].n_consumers > 0)
    return refuse(u, ni, "its mask output changes type from the input's to bool at opset 10 and is read");
  return check_float_attrs(u, ni);
}

static qi_status dropout_12(up *u, int ni) {
  if (old_mask(u, ni)) u->g->nodes[ni].n_outputs = 1;
  return float_to_input(u, ni, "ratio", 1, "_ratio");
}

/* Split-13: split attribute -> input 1. */
static qi_status split_13(up *u, int ni) { return ints_to_input(u, ni, "split", 1, "_split"); }

/* Squeeze-13, Unsqueeze-13, ReduceSum-13 (the other reductions at 18): axes attribute -> input 1. */
static qi_status axes_13(up *u, int ni) { return ints_to_input(u, ni, "axes", 1, "_axes"); }

/* Split-18: an equal split (no `split` input) names its output count in num_outputs. */
static qi_status split_18(up *u, int ni) {
  const qi_node *n = &u->g->nodes[ni];
  if (n->n_inputs > 1 && n->inputs[1] >= 0) return QINFER_OK;
  return set_int_attr(u, ni, "num_outputs", n->n_outputs);
}

/* BatchNormalization-9 dropped `spatial` (1, the default, is what every later version computes). */
static qi_status check_batchnorm_9(up *u, int ni) {
  return qi_attr_int(&u->g->nodes[ni], "spatial", 1) == 1 ? QINFER_OK
                                                            : refuse(u, ni, "spatial = 0 has no form at opset 9 or later");
}

static qi_status batchnorm_9(up *u, int ni) {
  qi_node_remove_attr(&u->g->nodes[ni], "spatial");
  return QINFER_OK;
}

/* Resize-11 from Resize-10 (and Upsample): (X, scales) -> (X, roi absent, scales), and Resize-10's arithmetic in
 * Resize-11's words: output coordinate x maps to x / scale (asymmetric) and nearest takes the floor (ONNX's own
 * Resize 10 -> 11 adapter does the same). */
static qi_status check_resize_11(up *u, int ni) {
  const char *mode = qi_attr_string(&u->g->nodes[ni], "mode", "nearest");
  return strcmp(mode, "nearest") == 0 || strcmp(mode, "linear") == 0 ? QINFER_OK
                                                                       : refuse(u, ni, "mode must be 'nearest' or 'linear'");
}

static qi_status resize_11(up *u, int ni) {
  qi_node *n = &u->g->nodes[ni];
  const int scales = n->n_inputs > 1 ? n->inputs[1] : -1;
  QI_CHECK(set_input(u, ni, 2, scales));
  u->g->nodes[ni].inputs[1] = -1;
  QI_CHECK(set_string_attr(u, ni, "coordinate_transformation_mode", "asymmetric"));
  const bool nearest = strcmp(qi_attr_string(&u->g->nodes[ni], "mode", "nearest"), "nearest") == 0;
  return nearest ? set_string_attr(u, ni, "nearest_mode", "floor") : QINFER_OK;
}

/* Resize-13 removed coordinate_transformation_mode tf_half_pixel_for_nn. */
static qi_status check_resize_13(up *u, int ni) {
  if (strcmp(qi_attr_string(&u->g->nodes[ni], "coordinate_transformation_mode", ""), "tf_half_pixel_for_nn") == 0)
    return refuse(u, ni, "coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed at opset 13");
  return QINFER_OK;
}

/* Upsample (deprecated at 10) -> Resize with scales from the attribute (Upsample-7) or input 1 (Upsample-9); the
 * Resize-11 rule that follows in the table finishes it. */
static qi_status check_upsample(up *u, int ni) {
  const qi_node *n = &u->g->nodes[ni];
  const float *s;
  if (qi_attr_floats(n, "scales", &s) < 0 && (n->n_inputs < 2 || n->inputs[1] < 0))
    return refuse(u, ni, "Upsample without scales");
  return check_resize_11(u, ni);
}

static qi_status upsample_to_resize(up *u, int ni) {
  const float *s;
  const int len = qi_attr_floats(&u->g->nodes[ni], "scales", &s);
  if (len >= 0) {
    const int t = new_const(u, ni, "_scales", QINFER_DTYPE_FLOAT, 1, len, s);
    if (t < 0) return u->err->code;
    QI_CHECK(set_input(u, ni, 1, t));
    qi_node_remove_attr(&u->g->nodes[ni], "scales");
  }
  qi_node *n = &u->g->nodes[ni];
  char *type = qi_str_dup("Resize");
  if (!type) return oom(u);
  free(n->op_type);
  n->op_type = type;
  n->op = NULL;
  return QINFER_OK;
}

/* A new node of the default domain at the target opset; its index or -1 (err set). */
static int add_node(up *u, const char *type, const int *ins, int n_ins, int out) {
  const int k = qi_graph_add_node(u->g, type, "", ins, n_ins, &out, 1);
  if (k < 0) {
    oom(u);
    return -1;
  }
  u->g->nodes[k].opset = (int)u->target;
  return k;
}

/* The rank of input 0 of node ni, from the graph or the rank hints; -1 when unknown. */
static int input_rank(up *u, int ni) {
  const qi_tensor *x = qi_node_in(u->g, &u->g->nodes[ni], 0);
  if (!x || x->rank >= 0 || !u->ranks) return x ? x->rank : -1;
  if (u->rank_names.count == 0 && !map_names(&u->rank_names, u->ranks)) return -1; /* out of memory: no hint */
  const int t = qi_name_map_get(&u->rank_names, x->name, strlen(x->name));
  return t >= 0 ? u->ranks->tensors[t].rank : -1;
}

/* Softmax / LogSoftmax / Hardmax-13 work along one axis (default -1); before 13 they coerced the input to 2-D at
 * `axis` (default 1) and worked along the second dimension. Same thing when axis is the last dimension; otherwise
 * x -> Flatten(axis) -> the op (axis 1) -> Reshape(Shape(x)) -> y, which is the old definition written out. */
static qi_status check_softmax_13(up *u, int ni) {
  const qi_node *n = &u->g->nodes[ni];
  const int64_t axis = qi_attr_int(n, "axis", 1);
  const int rank = input_rank(u, ni);
  if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0)
    return refuse(u, ni, "no input or output");
  if (rank >= 0 && (axis < -rank || axis >= rank)) return refuse(u, ni, "axis out of range");
  return QINFER_OK;
}

static qi_status softmax_13(up *u, int ni) {
  qi_node *n = &u->g->nodes[ni];
  const int64_t axis = qi_attr_int(n, "axis", 1);
  const int rank = input_rank(u, ni);
  if (rank >= 0 && (axis == rank - 1 || axis == -1)) return set_int_attr(u, ni, "axis", -1);
  const int xi = n->inputs[0], y = n->outputs[0];
  const int shape = new_tensor(u, ni, "_shape");
  const int flat = shape >= 0 ? new_tensor(u, ni, "_2d") : -1;
  const int y2 = flat >= 0 ? new_tensor(u, ni, "_2d_out") : -1;
  if (y2 < 0) return u->err->code;
  const int k_shape = add_node(u, "Shape", &xi, 1, shape);
  const int k_flat = k_shape >= 0 ? add_node(u, "Flatten", &xi, 1, flat) : -1;
  const int back[2] = {y2, shape};
  const int k_back = k_flat >= 0 ? add_node(u, "Reshape", back, 2, y) : -1;
  if (k_back < 0) return u->err->code;
  QI_CHECK(set_int_attr(u, k_flat, "axis", axis));
  u->g->nodes[ni].inputs[0] = flat;
  u->g->nodes[ni].outputs[0] = y2;
  return set_int_attr(u, ni, "axis", 1);
}

/* ---- the tables ---- */

typedef struct rule {
  const char *op;
  int version;    /* the op version whose form the rule writes; it applies when from < version <= target */
  rule_fn check;  /* NULL: nothing to refuse */
  rule_fn apply;
} rule;

/* In version order per op, applied in this order (Upsample's row renames the node to Resize, whose rows follow). */
static const rule RULES[] = {
    {"BatchNormalization", 9, check_batchnorm_9, batchnorm_9},
    {"Slice", 10, check_slice_10, slice_10},
    {"Upsample", 10, check_upsample, upsample_to_resize},
    {"Resize", 11, check_resize_11, resize_11},
    {"Clip", 11, check_float_attrs, clip_11},
    {"Pad", 11, check_pad_11, pad_11},
    {"Dropout", 12, check_dropout_12, dropout_12},
    {"Split", 13, NULL, split_13},
    {"Squeeze", 13, NULL, axes_13},
    {"Unsqueeze", 13, NULL, axes_13},
    {"ReduceSum", 13, NULL, axes_13},
    {"Softmax", 13, check_softmax_13, softmax_13},
    {"LogSoftmax", 13, check_softmax_13, softmax_13},
    {"Hardmax", 13, check_softmax_13, softmax_13},
    {"Resize", 13, check_resize_13, NULL},
    /* 18: the reductions' axes became an input (ReduceSum's at 13), Split's equal split needs num_outputs */
    {"Split", 18, NULL, split_18},
    {"ReduceL1", 18, NULL, axes_13},
    {"ReduceL2", 18, NULL, axes_13},
    {"ReduceLogSum", 18, NULL, axes_13},
    {"ReduceLogSumExp", 18, NULL, axes_13},
    {"ReduceMax", 18, NULL, axes_13},
    {"ReduceMean", 18, NULL, axes_13},
    {"ReduceMin", 18, NULL, axes_13},
    {"ReduceProd", 18, NULL, axes_13},
    {"ReduceSumSquare", 18, NULL, axes_13},
};

static bool applies(const rule *r, const up *u) { return r->version > u->from && r->version <= u->target; }

/* Ops whose every version from opset 7 (or the op's first) to 21 reads the same inputs and attributes with the
 * same meaning: later versions only add types, negative axes, or attributes whose default is the old behaviour
 * (ArgMax select_last_index, DepthToSpace mode, MaxPool / AveragePool ceil_mode and dilations, QuantizeLinear axis,
 * block_size and output_dtype, Reshape allowzero, Shape start / end, Cast saturate for float8 only). */
static const char *const STABLE[] = {
    "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool", "Cast",
    "Ceil", "Celu", "Compress", "Concat", "Constant", "ConstantOfShape", "Conv", "ConvInteger", "ConvTranspose", "Cos",
    "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Div", "DynamicQuantizeLinear", "Einsum", "Elu", "Equal",
    "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "Gather", "GatherElements", "GatherND", "Gemm",
    "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "HardSigmoid", "Identity",
    "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LeakyRelu", "Less", "LessOrEqual", "Log", "LpNormalization",
    "LpPool", "MatMul", "MatMulInteger", "Max", "MaxPool", "Mean", "MeanVarianceNormalization", "Min", "Mod", "Mul",
    "Neg", "NonZero", "Not", "OneHot", "Or", "PRelu", "Pow", "QLinearConv", "QLinearMatMul", "QuantizeLinear",
    "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
    "ReduceMin", "ReduceProd", "ReduceSumSquare", "Relu", "Reshape", "Round", "Selu", "Shape", "Shrink", "Sigmoid",
    "Sign", "Sin", "Sinh", "Size", "Softplus", "Softsign", "SpaceToDepth", "Sqrt", "Sub", "Sum", "Tan", "Tanh",
    "ThresholdedRelu", "Tile", "Transpose", "Where", "Xor",
};

/* Ops added after 13 whose form is the same up to 21: stable in a model at or above the opset that added them
 * (below it the op does not exist). */
static const struct {
  const char *op;
  int since;
} LATER[] = {{"HardSwish", 14}, {"Trilu", 14}, {"CastLike", 15}, {"LayerNormalization", 17}, {"Mish", 18}, {"Gelu", 20}};

static bool has_rule(const char *op) {
  for (size_t r = 0; r < sizeof RULES / sizeof RULES[0]; r++)
    if (strcmp(RULES[r].op, op) == 0) return true;
  return false;
}

static bool is_stable(const up *u, const char *op) {
  for (size_t s = 0; s < sizeof STABLE / sizeof STABLE[0]; s++)
    if (strcmp(STABLE[s], op) == 0) return true;
  for (size_t s = 0; s < sizeof LATER / sizeof LATER[0]; s++)
    if (strcmp(LATER[s].op, op) == 0) return u->from >= LATER[s].since;
  return false;
}

int64_t qi_graph_default_opset(const qi_graph *g) {
  for (int i = 0; i < g->n_opsets; i++)
    if (!g->opset_domains[i][0] || !strcmp(g->opset_domains[i], "ai.onnx")) return g->opset_versions[i];
  return 0;
}

/* Every default-domain node can be converted: the op has rules or a stable form, and each rule that applies
 * accepts it (Upsample's checks stand for the Resize rows it becomes). Nothing is changed yet. */
static qi_status check_all(up *u) {
  qi_graph *g = u->g;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead || n->domain[0]) continue;
    if (u->from < QI_OPSET_UPGRADE_MIN_SOURCE) {
      char why[96];
      snprintf(why, sizeof why, "models below opset %d are not converted", QI_OPSET_UPGRADE_MIN_SOURCE);
      return refuse(u, i, why);
    }
    if (!has_rule(n->op_type) && !is_stable(u, n->op_type))
      return refuse(u, i, "qinfer has no conversion for this op from its version in the model");
    for (size_t r = 0; r < sizeof RULES / sizeof RULES[0]; r++)
      if (RULES[r].check && applies(&RULES[r], u) && strcmp(RULES[r].op, n->op_type) == 0)
        QI_CHECK(RULES[r].check(u, i));
  }
  return QINFER_OK;
}

static qi_status convert_nodes(up *u) {
  qi_graph *g = u->g;
  const int n_nodes = g->n_nodes; /* the rules' new nodes are already in their final form */
  for (int i = 0; i < n_nodes; i++) {
    if (g->nodes[i].dead || g->nodes[i].domain[0]) continue;
    for (size_t r = 0; r < sizeof RULES / sizeof RULES[0]; r++) {
      /* Upsample -> Resize renames the node: later rows of the table see its new type */
      if (strcmp(RULES[r].op, g->nodes[i].op_type) != 0) continue;
      if (RULES[r].apply && applies(&RULES[r], u)) QI_CHECK(RULES[r].apply(u, i));
    }
    g->nodes[i].opset = (int)u->target;
  }
  for (int i = 0; i < g->n_opsets; i++)
    if (!g->opset_domains[i][0] || !strcmp(g->opset_domains[i], "ai.onnx")) g->opset_versions[i] = u->target;
  return qi_graph_toposort(g, u->err);
}

qi_status qi_opset_upgrade(qi_graph *g, const qi_graph *ranks, qi_error *err) {
  return qi_opset_upgrade_to(g, ranks, QI_OPSET_UPGRADE_TARGET, err);
}

qi_status qi_opset_upgrade_to(qi_graph *g, const qi_graph *ranks, int target, qi_error *err) {
  up u = {.g = g, .ranks = ranks, .from = qi_graph_default_opset(g), .target = target, .err = err};
  if (target != QI_OPSET_UPGRADE_TARGET && target != QI_OPSET_UPGRADE_MAX_TARGET)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "opset upgrade: target %d is not 13 or 21", target);
  if (u.from == 0 || u.from >= target) return QINFER_OK;
  qi_name_map_init(&u.names);
  qi_name_map_init(&u.rank_names);
  qi_status st = qi_graph_link(g, err);
  if (st == QINFER_OK) st = check_all(&u);
  if (st == QINFER_OK) st = map_names(&u.names, g) ? convert_nodes(&u) : oom(&u);
  qi_name_map_free(&u.names);
  qi_name_map_free(&u.rank_names);
  return st;
}
