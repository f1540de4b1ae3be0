/* The op flags (engine/op.h) keep their promises, since the QDQ pass, the lookup-table evaluator and the quantizer
 * act on them without knowing op names:
 *   - QI_OPF_VALUE_PRESERVING: the op runs on a uint8 tensor and gives only elements of its input (each flagged op
 *     is run here on uint8 data; an op flagged without a case below fails, so a new one gets checked);
 *   - QI_OPF_ELEMENTWISE: the lookup-table evaluator takes the op and computes what the op computes (Identity is
 *     the one op also value-preserving);
 *   - the quantized-form kinds are exclusive and, like the two above, only on default-domain float ops, never on
 *     ops flagged QI_OPF_QUANTIZED; every op in a quantized domain (com.microsoft, ai.qinfer) is flagged so. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/pass_qdq.h"
#include "test_ops_math_harness.h"

TEST_MAIN_GLOBALS;

/* Builds the node: input 0 ("x", uint8 [1, 4, 4, 4], the values 0..255 shuffled) and the op's constant inputs and
 * attributes. False when the test has no case for the op. */
static bool build(qi_graph *g, const char *op, int x, int y, int *node) {
  static const int64_t d1[1] = {1}, d4[1] = {4};
  int ins[4] = {x, -1, -1, -1}, n_in = 1;
  if (!strcmp(op, "Reshape")) {
    static const int64_t shape[2] = {4, 16}, dims[1] = {2};
    ins[n_in++] = h_const(g, "shape", QINFER_DTYPE_INT64, 1, dims, shape);
  } else if (!strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze")) {
    static const int64_t axes[1] = {0};
    ins[n_in++] = h_const(g, "axes", QINFER_DTYPE_INT64, 1, d1, axes);
  } else if (!strcmp(op, "Slice")) {
    static const int64_t starts[1] = {1}, ends[1] = {3}, axes[1] = {2};
    ins[n_in++] = h_const(g, "starts", QINFER_DTYPE_INT64, 1, d1, starts);
    ins[n_in++] = h_const(g, "ends", QINFER_DTYPE_INT64, 1, d1, ends);
    ins[n_in++] = h_const(g, "axes", QINFER_DTYPE_INT64, 1, d1, axes);
  } else if (!strcmp(op, "Gather")) {
    static const int64_t idx[4] = {3, 3, 0, 1};
    ins[n_in++] = h_const(g, "indices", QINFER_DTYPE_INT64, 1, d4, idx);
  } else if (!strcmp(op, "GatherElements")) {
    static const int64_t dims[4] = {1, 4, 4, 4};
    int64_t idx[64];
    for (int i = 0; i < 64; i++) idx[i] = (i * 7) % 4;
    ins[n_in++] = h_const(g, "indices", QINFER_DTYPE_INT64, 4, dims, idx);
  } else if (!strcmp(op, "Expand")) {
    static const int64_t shape[4] = {2, 4, 4, 4}, dims[1] = {4};
    ins[n_in++] = h_const(g, "shape", QINFER_DTYPE_INT64, 1, dims, shape);
  } else if (!strcmp(op, "Tile")) {
    static const int64_t reps[4] = {1, 2, 1, 3};
    ins[n_in++] = h_const(g, "repeats", QINFER_DTYPE_INT64, 1, d4, reps);
  } else if (strcmp(op, "Flatten") && strcmp(op, "Identity") && strcmp(op, "Dropout") && strcmp(op, "Transpose") &&
             strcmp(op, "DepthToSpace") && strcmp(op, "SpaceToDepth") && strcmp(op, "MaxPool")) {
    return false;
  }
  *node = h_node(g, op, 13, ins, n_in, &y, 1);
  if (!strcmp(op, "DepthToSpace") || !strcmp(op, "SpaceToDepth")) h_attr_int(g, *node, "blocksize", 2);
  if (!strcmp(op, "Gather") || !strcmp(op, "GatherElements")) h_attr_int(g, *node, "axis", 1);
  if (!strcmp(op, "Transpose")) {
    static const int64_t perm[4] = {0, 3, 1, 2};
    h_attr_ints(g, *node, "perm", 4, perm);
  }
  if (!strcmp(op, "MaxPool")) {
    static const int64_t k[2] = {2, 2};
    h_attr_ints(g, *node, "kernel_shape", 2, k);
  }
  return true;
}

static void check_value_preserving(const char *op) {
  qi_graph *g = qi_graph_new();
  static const int64_t dims[4] = {1, 4, 4, 4};
  uint8_t data[256];
  for (int i = 0; i < 256; i++) data[i] = (uint8_t)((i * 97 + 13) % 256); /* every byte once, none in place */
  const int x = h_const(g, "x", QINFER_DTYPE_UINT8, 4, dims, data), y = h_out(g, "y");
  int node = -1;
  if (!build(g, op, x, y, &node)) {
    CHECK_MSG(false, "%s is flagged QI_OPF_VALUE_PRESERVING: add a case for it here", op);
    qi_graph_free(g);
    return;
  }
  g->tensors[x].flags &= ~(uint32_t)QI_TF_CONST; /* an activation: the op runs rather than folds */
  qi_error err = {0};
  const qi_status st = h_run(g, node, NULL, &err);
  CHECK_MSG(st == QINFER_OK, "%s on uint8: %s", op, err.msg);
  if (st == QINFER_OK) {
    const qi_tensor *out = h_output(g, node, 0);
    CHECK_MSG(out->dtype == QINFER_DTYPE_UINT8, "%s on uint8 gives %s", op, qi_dtype_name(out->dtype));
    bool seen[256] = {false}, subset = true;
    for (int i = 0; i < 256; i++) seen[data[i]] = true;
    const uint8_t *o = out->data;
    for (int64_t i = 0; i < qi_tensor_numel(out); i++) subset &= seen[o[i]];
    CHECK_MSG(subset, "%s: an output byte that is no input byte", op);
  }
  qi_graph_free(g);
}

/* The region evaluator (engine/pass_qdq_region.c) computes the node x -> op(x[, 1.5]) as the op itself does. */
static void check_elementwise(const qi_op *op) {
  if (op->flags & QI_OPF_VALUE_PRESERVING)
    CHECK_MSG(!strcmp(op->op_type, "Identity"), "%s: elementwise and value-preserving is Identity only", op->op_type);
  for (int n_in = 1; n_in <= 2; n_in++) {
    qi_graph *g = qi_graph_new();
    static const int64_t dims[1] = {8};
    static const float xs[8] = {0.1f, 0.25f, 0.5f, 0.75f, 1.f, 1.25f, 1.5f, 2.f}, c = 1.5f;
    const int x = h_const(g, "x", QINFER_DTYPE_FLOAT, 1, dims, xs), k = h_const(g, "k", QINFER_DTYPE_FLOAT, 0, NULL, &c);
    g->tensors[x].flags &= ~(uint32_t)QI_TF_CONST;
    const int ins[2] = {x, k}, y = h_out(g, "y"), node = h_node(g, op->op_type, 13, ins, n_in, &y, 1);
    qi_region r;
    qi_error err = {0};
    if (qi_region_evaluable(g, &g->nodes[node]) && (g->order = malloc(sizeof(int))) &&
        h_run(g, node, NULL, &err) == QINFER_OK) {
      g->order[0] = node;
      g->n_order = 1;
      qi_region_collect(g, -1, x, &r);
      bool same = r.n == 1;
      for (int i = 0; i < 8 && same; i++) {
        const float want = ((const float *)g->tensors[y].data)[i], got = qi_region_eval(g, &r, y, xs[i]);
        same = (isnan(want) && isnan(got)) || fabsf(got - want) <= 1e-5f * fmaxf(1.f, fabsf(want));
        if (!same) fprintf(stderr, "%s(%g): region %g, op %g\n", op->op_type, xs[i], got, want);
      }
      CHECK_MSG(same, "%s with %d input(s): the region evaluator disagrees with the op", op->op_type, n_in);
      qi_graph_free(g);
      return;
    }
    qi_graph_free(g);
  }
  CHECK_MSG(false, "%s is flagged QI_OPF_ELEMENTWISE but the region evaluator does not take it", op->op_type);
}

int main(void) {
  int counts[3] = {0};
  for (const qi_op *const *f = qi_op_families; *f; f++)
    for (const qi_op *op = *f; op->op_type; op++) {
      const unsigned fl = op->flags;
      const int kinds = !!(fl & QI_OPF_QUANT_LINEAR) + !!(fl & QI_OPF_QUANT_JOIN) + !!(fl & QI_OPF_QUANT_POOL);
      CHECK_MSG(kinds <= 1, "%s: more than one quantized-form kind", op->op_type);
      if (fl & (QI_OPF_HAS_QUANTIZED_FORM | QI_OPF_VALUE_PRESERVING | QI_OPF_ELEMENTWISE))
        CHECK_MSG(!op->domain[0] && !(fl & QI_OPF_QUANTIZED), "%s (%s): a float-op category on a quantized op",
                  op->op_type, op->domain);
      const bool float_internal = !strcmp(op->op_type, "FusedAttention"); /* the attention pass's, all float */
      if ((!strcmp(op->domain, "com.microsoft") || !strcmp(op->domain, "ai.qinfer")) && !float_internal)
        CHECK_MSG(fl & QI_OPF_QUANTIZED, "%s (%s) is not flagged QI_OPF_QUANTIZED", op->op_type, op->domain);
      if (!strncmp(op->op_type, "QLinear", 7) || strstr(op->op_type, "Integer") || strstr(op->op_type, "QuantizeLinear"))
        CHECK_MSG(fl & QI_OPF_QUANTIZED, "%s is not flagged QI_OPF_QUANTIZED", op->op_type);
      if (fl & QI_OPF_VALUE_PRESERVING) check_value_preserving(op->op_type), counts[0]++;
      if (fl & QI_OPF_ELEMENTWISE) check_elementwise(op), counts[1]++;
      if (fl & QI_OPF_HAS_QUANTIZED_FORM) counts[2]++;
    }
  printf("%d value-preserving, %d elementwise, %d with a quantized form\n", counts[0], counts[1], counts[2]);
  CHECK(counts[0] >= 15 && counts[1] >= 37 && counts[2] == 8);
  return TEST_SUMMARY();
}
