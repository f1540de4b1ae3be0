/* Unary ops and activations (every attribute variant, Clip across opsets, integer Abs / Neg / Sign / Clip)
 * against double-precision oracles written plainly here. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/threadpool.h"
#include "test_ops_math_harness.h"

TEST_MAIN_GLOBALS;

typedef struct attr {
  const char *name;
  float value;
} attr;

typedef struct unary_case {
  const char *op;
  attr attrs[2];
  const char *approximate; /* Gelu */
  float lo, hi;            /* input range */
} unary_case;

static double oracle(const unary_case *c, double x) {
  const char *op = c->op;
  const double a0 = c->attrs[0].name ? c->attrs[0].value : NAN, a1 = c->attrs[1].name ? c->attrs[1].value : NAN;
  if (!strcmp(op, "Abs")) return fabs(x);
  if (!strcmp(op, "Neg")) return -x;
  if (!strcmp(op, "Sign")) return x > 0 ? 1 : x < 0 ? -1 : 0;
  if (!strcmp(op, "Sqrt")) return sqrt(x);
  if (!strcmp(op, "Exp")) return exp(x);
  if (!strcmp(op, "Log")) return log(x);
  if (!strcmp(op, "Reciprocal")) return 1 / x;
  if (!strcmp(op, "Floor")) return floor(x);
  if (!strcmp(op, "Ceil")) return ceil(x);
  if (!strcmp(op, "Round")) return nearbyint(x);
  if (!strcmp(op, "Relu")) return x > 0 ? x : 0;
  if (!strcmp(op, "LeakyRelu")) return x < 0 ? x * (isnan(a0) ? 0.01 : a0) : x;
  if (!strcmp(op, "Sigmoid")) return 1 / (1 + exp(-x));
  if (!strcmp(op, "HardSigmoid")) return fmax(0, fmin(1, (isnan(a0) ? 0.2 : a0) * x + (isnan(a1) ? 0.5 : a1)));
  if (!strcmp(op, "HardSwish")) return x * fmax(0, fmin(1, x / 6 + 0.5));
  if (!strcmp(op, "Tanh")) return tanh(x);
  if (!strcmp(op, "Erf")) return erf(x);
  if (!strcmp(op, "Gelu")) {
    if (c->approximate && !strcmp(c->approximate, "tanh"))
      return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1 + erf(x / sqrt(2)));
  }
  if (!strcmp(op, "Softplus")) return log(1 + exp(x));
  if (!strcmp(op, "Softsign")) return x / (1 + fabs(x));
  if (!strcmp(op, "Elu")) return x < 0 ? (isnan(a0) ? 1 : a0) * (exp(x) - 1) : x;
  if (!strcmp(op, "Selu")) {
    const double alpha = isnan(a0) ? 1.67326319217681884765625 : a0, gamma = isnan(a1) ? 1.05070102214813232421875 : a1;
    return x > 0 ? gamma * x : gamma * (alpha * exp(x) - alpha);
  }
  if (!strcmp(op, "Celu")) {
    const double alpha = isnan(a0) ? 1 : a0;
    return fmax(0, x) + fmin(0, alpha * (exp(x / alpha) - 1));
  }
  if (!strcmp(op, "ThresholdedRelu")) return x > (isnan(a0) ? 1 : a0) ? x : 0;
  if (!strcmp(op, "Mish")) return x * tanh(log(1 + exp(x)));
  if (!strcmp(op, "Sin")) return sin(x);
  if (!strcmp(op, "Cos")) return cos(x);
  if (!strcmp(op, "Tan")) return tan(x);
  return NAN;
}

static const unary_case cases[] = {
    {"Abs", {{0}}, NULL, -4, 4},          {"Neg", {{0}}, NULL, -4, 4},
    {"Sign", {{0}}, NULL, -4, 4},         {"Sqrt", {{0}}, NULL, 0, 9},
    {"Exp", {{0}}, NULL, -10, 10},        {"Log", {{0}}, NULL, 0.01f, 100},
    {"Reciprocal", {{0}}, NULL, 0.1f, 5}, {"Floor", {{0}}, NULL, -4, 4},
    {"Ceil", {{0}}, NULL, -4, 4},         {"Round", {{0}}, NULL, -4, 4},
    {"Relu", {{0}}, NULL, -4, 4},         {"LeakyRelu", {{0}}, NULL, -4, 4},
    {"LeakyRelu", {{"alpha", 0.3f}}, NULL, -4, 4},
    {"Sigmoid", {{0}}, NULL, -30, 30},    {"HardSigmoid", {{0}}, NULL, -6, 6},
    {"HardSigmoid", {{"alpha", 0.5f}, {"beta", 0.25f}}, NULL, -6, 6},
    {"HardSwish", {{0}}, NULL, -8, 8},    {"Tanh", {{0}}, NULL, -6, 6},
    {"Erf", {{0}}, NULL, -3, 3},          {"Gelu", {{0}}, NULL, -5, 5},
    {"Gelu", {{0}}, "none", -5, 5},       {"Gelu", {{0}}, "tanh", -5, 5},
    {"Softplus", {{0}}, NULL, -30, 30},   {"Softsign", {{0}}, NULL, -4, 4},
    {"Elu", {{0}}, NULL, -4, 4},          {"Elu", {{"alpha", 2.0f}}, NULL, -4, 4},
    {"Selu", {{0}}, NULL, -4, 4},         {"Selu", {{"alpha", 2.0f}, {"gamma", 3.0f}}, NULL, -4, 4},
    {"Celu", {{0}}, NULL, -4, 4},         {"Celu", {{"alpha", 2.0f}}, NULL, -4, 4},
    {"ThresholdedRelu", {{0}}, NULL, -4, 4}, {"ThresholdedRelu", {{"alpha", 0.5f}}, NULL, -4, 4},
    {"Mish", {{0}}, NULL, -8, 8},         {"Sin", {{0}}, NULL, -4, 4},
    {"Cos", {{0}}, NULL, -4, 4},          {"Tan", {{0}}, NULL, -1.5f, 1.5f},
};

static void test_float_unary(qi_threadpool *pool, int64_t count) {
  float *x = malloc(sizeof(float) * (size_t)count);
  const int64_t dims[2] = {count / 10, 10};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const unary_case *uc = &cases[c];
    h_fill(x, (size_t)count, 1 + (uint32_t)c, uc->lo, uc->hi);
    x[0] = uc->lo >= 0 ? uc->lo : 0.0f; /* exact zero / edge */
    if (uc->lo < -2.5f) x[1] = -2.5f, x[2] = 2.5f, x[3] = 0.5f; /* rounding ties */
    qi_graph *g = qi_graph_new();
    const int ins[1] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 2, dims, x)};
    const int outs[1] = {h_out(g, "y")};
    const int node = h_node(g, uc->op, 20, ins, 1, outs, 1);
    for (int a = 0; a < 2; a++)
      if (uc->attrs[a].name) h_attr_float(g, node, uc->attrs[a].name, uc->attrs[a].value);
    if (uc->approximate) h_attr_string(g, node, "approximate", uc->approximate);
    qi_error err;
    const qi_status st = h_run(g, node, pool, &err);
    CHECK_MSG(st == QINFER_OK, "%s: %s", uc->op, err.msg);
    if (st == QINFER_OK) {
      const qi_tensor *y = h_output(g, node, 0);
      CHECK(y->dtype == QINFER_DTYPE_FLOAT && y->rank == 2 && y->dims[0] == dims[0] && y->dims[1] == 10);
      int bad = 0;
      double worst = 0;
      for (int64_t i = 0; i < count; i++) {
        const double want = oracle(uc, x[i]), got = ((const float *)y->data)[i];
        if (!h_close(got, want, 2e-6)) {
          bad++;
          worst = fmax(worst, fabs(got - want));
        }
      }
      CHECK_MSG(bad == 0, "%s case %zu: %d mismatches, worst %g", uc->op, c, bad, worst);
    }
    qi_graph_free(g);
  }
  free(x);
}

/* Clip on x with bounds as attributes (opset 6) or inputs (opset 11+, absent when the pointer is NULL). */
static void check_clip(int opset, const float *lo, const float *hi, double want_lo, double want_hi) {
  const int64_t d[1] = {9};
  const float x[9] = {-5, -2, -1, -0.5f, 0, 0.5f, 1, 2, 5};
  qi_graph *g = qi_graph_new();
  int ins[3] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 1, d, x), -1, -1};
  int n_in = 1;
  if (opset >= 11) {
    if (lo) ins[1] = h_const(g, "lo", QINFER_DTYPE_FLOAT, 0, NULL, lo), n_in = 2;
    if (hi) ins[2] = h_const(g, "hi", QINFER_DTYPE_FLOAT, 0, NULL, hi), n_in = 3;
  }
  const int outs[1] = {h_out(g, "y")};
  const int node = h_node(g, "Clip", opset, ins, n_in, outs, 1);
  if (opset < 11) {
    if (lo) h_attr_float(g, node, "min", *lo);
    if (hi) h_attr_float(g, node, "max", *hi);
  }
  qi_error err;
  const qi_status st = h_run(g, node, NULL, &err);
  CHECK_MSG(st == QINFER_OK, "Clip opset %d: %s", opset, err.msg);
  if (st == QINFER_OK) {
    int bad = 0;
    for (int i = 0; i < 9; i++) bad += ((const float *)h_output(g, node, 0)->data)[i] != fmin(fmax(x[i], want_lo), want_hi);
    CHECK_MSG(bad == 0, "Clip opset %d lo %p hi %p", opset, (const void *)lo, (const void *)hi);
  }
  qi_graph_free(g);
}

static void test_clip(void) {
  const float lo = -1, hi = 2, inverted_lo = 3;
  for (int opset = 6; opset <= 13; opset += 7) { /* 6: attributes, 13: inputs */
    check_clip(opset, &lo, &hi, lo, hi);
    check_clip(opset, &lo, NULL, lo, INFINITY);
    check_clip(opset, NULL, &hi, -INFINITY, hi);
    check_clip(opset, NULL, NULL, -INFINITY, INFINITY);
    check_clip(opset, &inverted_lo, &hi, inverted_lo, hi); /* min > max: everything becomes max */
  }
  /* int64 Clip (opset 12+) and a non-scalar bound */
  const int64_t d[1] = {5}, d2[1] = {2};
  const int64_t x[5] = {-100, -3, 0, 3, 100}, ilo = -5, ihi = 7, two[2] = {1, 2};
  qi_graph *g = qi_graph_new();
  int ins[3] = {h_const(g, "x", QINFER_DTYPE_INT64, 1, d, x), h_const(g, "lo", QINFER_DTYPE_INT64, 0, NULL, &ilo),
                h_const(g, "hi", QINFER_DTYPE_INT64, 0, NULL, &ihi)};
  const int outs[1] = {h_out(g, "y")};
  int node = h_node(g, "Clip", 13, ins, 3, outs, 1);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
  const int64_t *y = h_output(g, node, 0)->data;
  CHECK(y[0] == -5 && y[1] == -3 && y[2] == 0 && y[3] == 3 && y[4] == 7);
  ins[2] = h_const(g, "bad", QINFER_DTYPE_INT64, 1, d2, two);
  node = h_node(g, "Clip", 13, ins, 3, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_SHAPE);
  const float flo = 0;
  ins[2] = h_const(g, "fhi", QINFER_DTYPE_FLOAT, 0, NULL, &flo);
  node = h_node(g, "Clip", 13, ins, 3, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  qi_graph_free(g);
}

static void test_int_unary(void) {
  const int64_t d[1] = {4};
  const int32_t x32[4] = {-7, 0, 5, INT32_MIN};
  const int64_t x64[4] = {-7, 0, 5, INT64_MIN};
  const char *ops[3] = {"Abs", "Neg", "Sign"};
  const int64_t want[3][3] = {{7, 0, 5}, {7, 0, -5}, {-1, 0, 1}};
  for (int k = 0; k < 3; k++) {
    for (int t = 0; t < 2; t++) {
      qi_graph *g = qi_graph_new();
      const int ins[1] = {h_const(g, "x", t ? QINFER_DTYPE_INT64 : QINFER_DTYPE_INT32, 1, d, t ? (const void *)x64 : x32)};
      const int outs[1] = {h_out(g, "y")};
      const int node = h_node(g, ops[k], 13, ins, 1, outs, 1);
      qi_error err;
      CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
      const void *y = h_output(g, node, 0)->data;
      int bad = 0;
      for (int i = 0; i < 3; i++) bad += (t ? ((const int64_t *)y)[i] : ((const int32_t *)y)[i]) != want[k][i];
      CHECK_MSG(bad == 0, "%s int%d", ops[k], t ? 64 : 32);
      qi_graph_free(g);
    }
  }
  /* Relu on int64 and Sqrt on int32 are refused with the op and dtype named. */
  qi_graph *g = qi_graph_new();
  const int ins[1] = {h_const(g, "x", QINFER_DTYPE_INT64, 1, d, x64)};
  const int outs[1] = {h_out(g, "y")};
  const int node = h_node(g, "Sqrt", 13, ins, 1, outs, 1);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(err.msg, "Sqrt") && strstr(err.msg, "int64"), "%s", err.msg);
  const int gelu = h_node(g, "Gelu", 20, ins, 1, outs, 1);
  CHECK(h_run(g, gelu, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  qi_graph_free(g);
  const float f[1] = {0};
  const int64_t d1[1] = {1};
  g = qi_graph_new();
  const int fin[1] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 1, d1, f)};
  const int fout[1] = {h_out(g, "y")};
  const int bad_gelu = h_node(g, "Gelu", 20, fin, 1, fout, 1);
  h_attr_string(g, bad_gelu, "approximate", "fast");
  CHECK(h_run(g, bad_gelu, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  qi_graph_free(g);
}

int main(void) {
  test_float_unary(NULL, 1000);
  qi_threadpool *pool = qi_threadpool_create(3);
  test_float_unary(pool, 100000);
  qi_threadpool_destroy(pool);
  test_clip();
  test_int_unary();
  return TEST_SUMMARY();
}
