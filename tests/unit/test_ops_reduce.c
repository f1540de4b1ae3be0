/* Softmax / LogSoftmax (both opset semantics), LayerNormalization, InstanceNormalization, BatchNormalization,
 * Reduce* (attribute and input axes, keepdims, noop_with_empty_axes, integers, empty sets) and ArgMax / ArgMin
 * against double-precision oracles written plainly here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/threadpool.h"
#include "test_ops_math_harness.h"

TEST_MAIN_GLOBALS;

static const int64_t X_DIMS[4] = {2, 3, 4, 5};
#define X_NUMEL 120

/* Linear index -> multi-index over dims. */
static void unravel(int rank, const int64_t *dims, int64_t lin, int64_t *idx) {
  for (int d = rank - 1; d >= 0; d--) {
    idx[d] = lin % dims[d];
    lin /= dims[d];
  }
}

static void test_softmax(qi_threadpool *pool) {
  float x[X_NUMEL];
  h_fill(x, X_NUMEL, 3, -20, 20);
  x[7] = 80.0f; /* large: must not overflow */
  const struct { int opset; int64_t axis; int has_axis; } cases[] = {
      {11, 1, 0}, {11, 2, 1}, {11, 0, 1}, {11, -1, 1}, {13, -1, 0}, {13, 1, 1}, {13, 0, 1}, {13, 2, 1}, {13, -3, 1}};
  for (int is_log = 0; is_log < 2; is_log++) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      qi_graph *g = qi_graph_new();
      const int ins[1] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x)};
      const int outs[1] = {h_out(g, "y")};
      const int node = h_node(g, is_log ? "LogSoftmax" : "Softmax", cases[c].opset, ins, 1, outs, 1);
      if (cases[c].has_axis) h_attr_int(g, node, "axis", cases[c].axis);
      qi_error err;
      CHECK_MSG(h_run(g, node, pool, &err) == QINFER_OK, "%s", err.msg);
      const float *y = h_output(g, node, 0)->data;
      const int legacy = cases[c].opset < 13;
      int64_t axis = cases[c].has_axis ? cases[c].axis : legacy ? 1 : -1;
      if (axis < 0) axis += 4;
      /* group: elements normalized together share every index outside the normalized axes */
      int bad = 0;
      for (int64_t i = 0; i < X_NUMEL; i++) {
        int64_t ii[4], jj[4];
        unravel(4, X_DIMS, i, ii);
        double m = -INFINITY, s = 0;
        for (int pass = 0; pass < 2; pass++)
          for (int64_t j = 0; j < X_NUMEL; j++) {
            unravel(4, X_DIMS, j, jj);
            int same = 1;
            for (int d = 0; d < 4; d++)
              if (legacy ? d < axis && ii[d] != jj[d] : d != axis && ii[d] != jj[d]) same = 0;
            if (!same) continue;
            if (pass == 0) m = fmax(m, x[j]);
            else s += exp(x[j] - m);
          }
        const double want = is_log ? x[i] - m - log(s) : exp(x[i] - m) / s;
        bad += !h_close(y[i], want, 1e-5);
      }
      CHECK_MSG(bad == 0, "%s case %zu: %d mismatches", is_log ? "LogSoftmax" : "Softmax", c, bad);
      qi_graph_free(g);
    }
  }
  /* bad axis */
  qi_graph *g = qi_graph_new();
  const int ins[1] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x)};
  const int outs[1] = {h_out(g, "y")};
  const int node = h_node(g, "Softmax", 13, ins, 1, outs, 1);
  h_attr_int(g, node, "axis", 4);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  qi_graph_free(g);
}

static void test_layernorm(void) {
  float x[X_NUMEL], scale[20], bias[20];
  h_fill(x, X_NUMEL, 5, -2, 2);
  for (int i = 0; i < X_NUMEL; i++) x[i] += 100.0f; /* a large mean: a one-pass variance would cancel */
  h_fill(scale, 20, 6, 0.5f, 1.5f);
  h_fill(bias, 20, 7, -1, 1);
  const struct { int64_t axis; int scale_rank; int64_t scale_dims[2]; int has_bias; int stats; } cases[] = {
      {-1, 1, {5}, 1, 1}, {2, 2, {4, 5}, 1, 1}, {2, 1, {5}, 0, 0}, {-2, 2, {1, 5}, 1, 1}, {1, 1, {1}, 1, 0}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    qi_graph *g = qi_graph_new();
    const int ins[3] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x),
                        h_const(g, "s", QINFER_DTYPE_FLOAT, cases[c].scale_rank, cases[c].scale_dims, scale),
                        h_const(g, "b", QINFER_DTYPE_FLOAT, cases[c].scale_rank, cases[c].scale_dims, bias)};
    const int outs[3] = {h_out(g, "y"), cases[c].stats ? h_out(g, "mean") : -1, cases[c].stats ? h_out(g, "inv") : -1};
    const int node = h_node(g, "LayerNormalization", 17, ins, cases[c].has_bias ? 3 : 2, outs, 3);
    h_attr_int(g, node, "axis", cases[c].axis);
    h_attr_float(g, node, "epsilon", 1e-3f);
    qi_error err;
    const qi_status st = h_run(g, node, NULL, &err);
    CHECK_MSG(st == QINFER_OK, "LayerNorm case %zu: %s", c, err.msg);
    if (st != QINFER_OK) {
      qi_graph_free(g);
      continue;
    }
    const int axis = (int)(cases[c].axis < 0 ? cases[c].axis + 4 : cases[c].axis);
    int64_t size = 1;
    for (int d = axis; d < 4; d++) size *= X_DIMS[d];
    const float *y = h_output(g, node, 0)->data;
    int bad = 0;
    for (int64_t r = 0; r < X_NUMEL / size; r++) {
      double m = 0, v = 0;
      for (int64_t i = 0; i < size; i++) m += x[r * size + i];
      m /= size;
      for (int64_t i = 0; i < size; i++) v += (x[r * size + i] - m) * (x[r * size + i] - m);
      v /= size;
      const double inv = 1 / sqrt(v + 1e-3);
      for (int64_t i = 0; i < size; i++) {
        const int64_t p = h_bcast_index(4 - axis, X_DIMS + axis, i, cases[c].scale_rank, cases[c].scale_dims);
        const double want = (x[r * size + i] - m) * inv * scale[p] + (cases[c].has_bias ? bias[p] : 0);
        bad += !h_close(y[r * size + i], want, 2e-5);
      }
      if (cases[c].stats) {
        bad += !h_close(((const float *)h_output(g, node, 1)->data)[r], m, 1e-6);
        bad += !h_close(((const float *)h_output(g, node, 2)->data)[r], inv, 1e-5);
      }
    }
    CHECK_MSG(bad == 0, "LayerNorm case %zu: %d mismatches", c, bad);
    if (cases[c].stats) {
      const qi_tensor *mt = h_output(g, node, 1);
      CHECK(mt->rank == 4 && mt->dims[axis] == 1 && (axis == 0 || mt->dims[axis - 1] == X_DIMS[axis - 1]));
    }
    qi_graph_free(g);
  }
  /* scale that does not broadcast to the normalized shape */
  qi_graph *g = qi_graph_new();
  const int64_t d3[1] = {3};
  const int ins[2] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x), h_const(g, "s", QINFER_DTYPE_FLOAT, 1, d3, scale)};
  const int outs[1] = {h_out(g, "y")};
  const int node = h_node(g, "LayerNormalization", 17, ins, 2, outs, 1);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_SHAPE && strstr(err.msg, "[3]") && strstr(err.msg, "[5]"));
  qi_graph_free(g);
}

static void test_batch_instance_norm(qi_threadpool *pool) {
  float x[X_NUMEL], p[4][3];
  h_fill(x, X_NUMEL, 9, -3, 3);
  for (int k = 0; k < 4; k++) h_fill(p[k], 3, 10 + (uint32_t)k, k == 3 ? 0.5f : -1, 2); /* scale, B, mean, var>0 */
  const int64_t dc[1] = {3};
  for (int opset = 9; opset <= 15; opset += 6) {
    for (int act = 0; act < 2; act++) {
      qi_graph *g = qi_graph_new();
      int ins[5] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x)};
      for (int k = 0; k < 4; k++) ins[k + 1] = h_const(g, k == 0 ? "s" : k == 1 ? "b" : k == 2 ? "m" : "v", QINFER_DTYPE_FLOAT, 1, dc, p[k]);
      const int outs[1] = {h_out(g, "y")};
      const int node = h_node(g, "BatchNormalization", opset, ins, 5, outs, 1);
      h_attr_float(g, node, "epsilon", 1e-2f);
      if (act) th_set_act(g, node, QI_ACT_CLAMP, 0.0f, 1.0f, 0.0f);
      qi_error err;
      CHECK_MSG(h_run(g, node, pool, &err) == QINFER_OK, "%s", err.msg);
      const float *y = h_output(g, node, 0)->data;
      int bad = 0;
      for (int i = 0; i < X_NUMEL; i++) {
        const int c = (i / 20) % 3;
        double want = (x[i] - p[2][c]) / sqrt(p[3][c] + 1e-2) * p[0][c] + p[1][c];
        if (act) want = fmin(fmax(want, 0), 1);
        bad += !h_close(y[i], want, 1e-5);
      }
      CHECK_MSG(bad == 0, "BatchNorm opset %d act %d", opset, act);
      qi_graph_free(g);
    }
  }
  /* training is refused */
  qi_graph *g = qi_graph_new();
  int ins[5] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x)};
  for (int k = 0; k < 4; k++) ins[k + 1] = h_const(g, k == 0 ? "s" : k == 1 ? "b" : k == 2 ? "m" : "v", QINFER_DTYPE_FLOAT, 1, dc, p[k]);
  const int outs[3] = {h_out(g, "y"), h_out(g, "rm"), h_out(g, "rv")};
  int node = h_node(g, "BatchNormalization", 15, ins, 5, outs, 1);
  h_attr_int(g, node, "training_mode", 1);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "training"));
  node = h_node(g, "BatchNormalization", 9, ins, 5, outs, 3);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  /* legacy opsets whose formula differs are refused: is_test=0 (the default before 7), spatial=0 (before 9);
   * with is_test=1 and spatial=1 they are the inference formula, which runs */
  node = h_node(g, "BatchNormalization", 6, ins, 5, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(err.msg, "BatchNormalization-6 without is_test=1") != NULL, "%s", err.msg);
  h_attr_int(g, node, "is_test", 1);
  CHECK_MSG(h_run(g, node, NULL, &err) == QINFER_OK, "BatchNormalization-6 is_test=1: %s", err.msg);
  node = h_node(g, "BatchNormalization", 7, ins, 5, outs, 1);
  h_attr_int(g, node, "spatial", 0);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "spatial=0"));
  const int64_t d4[1] = {4};
  ins[1] = h_const(g, "bad", QINFER_DTYPE_FLOAT, 1, d4, x);
  node = h_node(g, "BatchNormalization", 15, ins, 5, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_SHAPE);
  /* InstanceNormalization over H x W per (n, c) */
  ins[1] = h_const(g, "s2", QINFER_DTYPE_FLOAT, 1, dc, p[0]);
  const int out1[1] = {h_out(g, "yi")};
  node = h_node(g, "InstanceNormalization", 6, ins, 3, out1, 1);
  CHECK(h_run(g, node, pool, &err) == QINFER_OK);
  const float *y = h_output(g, node, 0)->data;
  int bad = 0;
  for (int r = 0; r < 6; r++) {
    double m = 0, v = 0;
    for (int i = 0; i < 20; i++) m += x[r * 20 + i];
    m /= 20;
    for (int i = 0; i < 20; i++) v += (x[r * 20 + i] - m) * (x[r * 20 + i] - m);
    v /= 20;
    for (int i = 0; i < 20; i++)
      bad += !h_close(y[r * 20 + i], (x[r * 20 + i] - m) / sqrt(v + 1e-5) * p[0][r % 3] + p[1][r % 3], 1e-5);
  }
  CHECK_MSG(bad == 0, "InstanceNorm: %d mismatches", bad);
  qi_graph_free(g);
}

static const char *const reduce_ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                                         "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};

static double reduce_oracle(int op, const double *v, int64_t n) {
  double acc = op == 2 ? -INFINITY : op == 3 ? INFINITY : op == 4 ? 1 : 0;
  double m = -INFINITY;
  for (int64_t i = 0; i < n; i++) m = fmax(m, v[i]);
  for (int64_t i = 0; i < n; i++) {
    switch (op) {
      case 2: acc = fmax(acc, v[i]); break;
      case 3: acc = fmin(acc, v[i]); break;
      case 4: acc *= v[i]; break;
      case 5: acc += fabs(v[i]); break;
      case 6: case 7: acc += v[i] * v[i]; break;
      case 9: acc += exp(v[i] - m); break;
      default: acc += v[i];
    }
  }
  switch (op) {
    case 1: return acc / n;
    case 6: return sqrt(acc);
    case 8: return log(acc);
    case 9: return n ? m + log(acc) : -INFINITY;
    default: return acc;
  }
}

/* Runs reduce op `op` on x (rank 4, X_DIMS) over axes (n_axes; -1: no axes given) and checks it. */
static void check_reduce(int op, int opset, int as_input, const int64_t *axes, int n_axes, int keepdims, int noop,
                         const float *x, qi_threadpool *pool) {
  qi_graph *g = qi_graph_new();
  int ins[2] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x), -1};
  const int64_t na[1] = {n_axes};
  if (as_input && n_axes >= 0) ins[1] = h_const(g, "axes", QINFER_DTYPE_INT64, 1, na, axes);
  const int outs[1] = {h_out(g, "y")};
  const int node = h_node(g, reduce_ops[op], opset, ins, ins[1] >= 0 ? 2 : 1, outs, 1);
  if (!as_input && n_axes >= 0) h_attr_ints(g, node, "axes", n_axes, axes);
  if (keepdims >= 0) h_attr_int(g, node, "keepdims", keepdims);
  if (noop) h_attr_int(g, node, "noop_with_empty_axes", 1);
  qi_error err;
  const qi_status st = h_run(g, node, pool, &err);
  CHECK_MSG(st == QINFER_OK, "%s opset %d: %s", reduce_ops[op], opset, err.msg);
  if (st != QINFER_OK) {
    qi_graph_free(g);
    return;
  }
  int reduced[4] = {0};
  for (int i = 0; i < (n_axes > 0 ? n_axes : 0); i++) reduced[axes[i] < 0 ? axes[i] + 4 : axes[i]] = 1;
  if (n_axes <= 0 && !noop) reduced[0] = reduced[1] = reduced[2] = reduced[3] = 1;
  const qi_tensor *y = h_output(g, node, 0);
  int want_rank = 0;
  for (int d = 0; d < 4; d++) want_rank += !reduced[d] || keepdims != 0;
  CHECK_MSG(y->rank == want_rank, "%s rank %d want %d", reduce_ops[op], y->rank, want_rank);
  int64_t out_dims[4];
  for (int d = 0; d < 4; d++) out_dims[d] = reduced[d] ? 1 : X_DIMS[d];
  int bad = 0;
  for (int64_t o = 0; o < qi_tensor_numel(y); o++) {
    int64_t oi[4], xi[4];
    unravel(4, out_dims, o, oi);
    double vals[X_NUMEL];
    int64_t n = 0;
    for (int64_t i = 0; i < X_NUMEL; i++) {
      unravel(4, X_DIMS, i, xi);
      int in = 1;
      for (int d = 0; d < 4; d++) in &= reduced[d] || xi[d] == oi[d];
      if (in) vals[n++] = x[i];
    }
    /* noop: vals holds x[o] alone, and the composite steps still apply (the reduction over one element) */
    const double want = reduce_oracle(op, vals, n);
    bad += !h_close(((const float *)y->data)[o], want, 1e-5);
  }
  CHECK_MSG(bad == 0, "%s opset %d axes %d keepdims %d: %d mismatches", reduce_ops[op], opset, n_axes, keepdims, bad);
  qi_graph_free(g);
}

static void test_reduce(qi_threadpool *pool) {
  float x[X_NUMEL], xpos[X_NUMEL];
  h_fill(x, X_NUMEL, 21, -2, 2);
  h_fill(xpos, X_NUMEL, 22, 0.8f, 1.2f); /* ReduceProd / ReduceLogSum stay finite and positive */
  const int64_t axes_sets[][4] = {{1}, {-1}, {0, 2}, {1, 3}, {0, 1, 2, 3}, {3, 0}, {2, 3}, {0, 1}};
  const int axes_counts[] = {1, 1, 2, 2, 4, 2, 2, 2};
  for (int op = 0; op < 10; op++) {
    const float *data = op == 4 || op == 8 ? xpos : x;
    const int input_opset = op == 0 ? 13 : 18;
    for (size_t a = 0; a < sizeof axes_counts / sizeof axes_counts[0]; a++)
      for (int keep = 0; keep < 2; keep++) {
        check_reduce(op, 11, 0, axes_sets[a], axes_counts[a], keep, 0, data, pool);
        check_reduce(op, input_opset, 1, axes_sets[a], axes_counts[a], keep, 0, data, pool);
      }
    check_reduce(op, 11, 0, NULL, -1, 1, 0, data, pool);           /* all axes */
    check_reduce(op, input_opset, 1, NULL, -1, 0, 0, data, pool);   /* no axes input */
    check_reduce(op, input_opset, 1, NULL, 0, -1, 0, data, pool);   /* empty axes input */
    check_reduce(op, input_opset, 1, NULL, -1, 1, 1, data, pool);   /* noop */
  }
  /* integer ReduceSum / ReduceProd / ReduceMax on int64 shape-like data */
  const int64_t d[2] = {2, 3}, vals[6] = {1, 2, 3, 4, 5, 6}, ax[1] = {1};
  const char *iops[3] = {"ReduceSum", "ReduceProd", "ReduceMax"};
  const int64_t want[3][2] = {{6, 15}, {6, 120}, {3, 6}};
  for (int k = 0; k < 3; k++) {
    qi_graph *g = qi_graph_new();
    const int ins[1] = {h_const(g, "x", QINFER_DTYPE_INT64, 2, d, vals)};
    const int outs[1] = {h_out(g, "y")};
    const int node = h_node(g, iops[k], 11, ins, 1, outs, 1);
    h_attr_ints(g, node, "axes", 1, ax);
    h_attr_int(g, node, "keepdims", 0);
    qi_error err;
    const qi_status st = h_run(g, node, NULL, &err);
    CHECK_MSG(st == QINFER_OK, "%s", err.msg);
    const int64_t *y = h_output(g, node, 0)->data;
    CHECK_MSG(h_output(g, node, 0)->dtype == QINFER_DTYPE_INT64 && y[0] == want[k][0] && y[1] == want[k][1],
              "%s int64", iops[k]);
    qi_graph_free(g);
  }
  /* empty set: [2,0] reduced over axis 1 */
  const int64_t de[2] = {2, 0};
  const float dummy[1] = {0};
  const double empty_want[4] = {0, NAN, -INFINITY, INFINITY};
  for (int k = 0; k < 4; k++) {
    qi_graph *g = qi_graph_new();
    const int ins[2] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 2, de, dummy), h_const(g, "a", QINFER_DTYPE_INT64, 1, (const int64_t[]){1}, ax)};
    const int outs[1] = {h_out(g, "y")};
    const int node = h_node(g, reduce_ops[k], 18, ins, 2, outs, 1);
    qi_error err;
    CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
    const float *y = h_output(g, node, 0)->data;
    CHECK_MSG(h_close(y[0], empty_want[k], 0) && h_close(y[1], empty_want[k], 0), "%s empty: %g", reduce_ops[k], y[0]);
    qi_graph_free(g);
  }
  /* errors: axis out of range, repeated axis, non-constant axes */
  qi_graph *g = qi_graph_new();
  const int64_t bad_axes[2] = {1, -3};
  const int ins[1] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, X_DIMS, x)};
  const int outs[1] = {h_out(g, "y")};
  int node = h_node(g, "ReduceMean", 13, ins, 1, outs, 1);
  h_attr_ints(g, node, "axes", 2, bad_axes);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  const int64_t far[1] = {4};
  node = h_node(g, "ReduceMean", 13, ins, 1, outs, 1);
  h_attr_ints(g, node, "axes", 1, far);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  const int64_t d1[1] = {1};
  const int dyn = qi_graph_add_tensor(g, "dyn_axes");
  qi_tensor_set_shape(&g->tensors[dyn], QINFER_DTYPE_INT64, 1, d1);
  const int ins2[2] = {ins[0], dyn};
  node = h_node(g, "ReduceMax", 18, ins2, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  qi_graph_free(g);
}

static void test_argmax(void) {
  const int64_t d[3] = {2, 3, 4};
  float x[24];
  h_fill(x, 24, 31, -1, 1);
  x[0] = x[4] = x[8] = 5.0f; /* ties along axis 1 */
  x[13] = x[14] = -5.0f;     /* ties along axis 2 */
  for (int is_max = 0; is_max < 2; is_max++)
    for (int axis = -1; axis < 3; axis++)
      for (int keep = 0; keep < 2; keep++)
        for (int last = 0; last < 2; last++) {
          qi_graph *g = qi_graph_new();
          const int ins[1] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 3, d, x)};
          const int outs[1] = {h_out(g, "y")};
          const int node = h_node(g, is_max ? "ArgMax" : "ArgMin", 13, ins, 1, outs, 1);
          h_attr_int(g, node, "axis", axis);
          h_attr_int(g, node, "keepdims", keep);
          h_attr_int(g, node, "select_last_index", last);
          qi_error err;
          CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
          const qi_tensor *y = h_output(g, node, 0);
          const int ax = axis < 0 ? axis + 3 : axis;
          CHECK(y->dtype == QINFER_DTYPE_INT64 && y->rank == (keep ? 3 : 2));
          int64_t od[3] = {d[0], d[1], d[2]};
          od[ax] = 1;
          int bad = 0;
          for (int64_t o = 0; o < qi_tensor_numel(y); o++) {
            int64_t oi[3];
            unravel(3, od, o, oi);
            int64_t best = -1;
            double bv = 0;
            for (int64_t r = 0; r < d[ax]; r++) {
              oi[ax] = r;
              const double v = x[(oi[0] * d[1] + oi[1]) * d[2] + oi[2]];
              const int better = best < 0 || (is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv));
              if (better) best = r, bv = v;
            }
            bad += ((const int64_t *)y->data)[o] != best;
          }
          CHECK_MSG(bad == 0, "Arg%s axis %d keep %d last %d", is_max ? "Max" : "Min", axis, keep, last);
          qi_graph_free(g);
        }
}

int main(void) {
  qi_threadpool *pool = qi_threadpool_create(3);
  for (int t = 0; t < 2; t++) {
    qi_threadpool *p = t ? pool : NULL;
    test_softmax(p);
    test_batch_instance_norm(p);
    test_reduce(p);
  }
  test_layernorm();
  test_argmax();
  qi_threadpool_destroy(pool);
  return TEST_SUMMARY();
}
