/* DynamicQuantizeConv (ai.qinfer), com.microsoft DynamicQuantizeMatMul and MatMulIntegerToFloat
 * (engine/ops/quant_dynamic.c) against a naive oracle written from the definitions, bit for bit, on every ISA
 * path of this CPU and 1, 2 and 3 threads:
 *   DynamicQuantizeLinear: range [min(x, 0), max(x, 0)], scale = (hi - lo) / 255 (1 when hi == lo), zp =
 *   rint(clamp(-lo / scale, 0, 255)), q = clamp(rint(x / scale) + zp, 0, 255)  (binary32, half to even);
 *   acc = sum (q - zp) * (w - w_zp[c]) in int64 (it fits int32 here); y = (float)acc * (scale * w_scale[c])
 *   [+ bias[c]], then the fused clamp.
 * Grid: 3x3 strided / padded, pointwise, grouped and depthwise (padded, strided, unpadded 5x5)
 * convolutions, per-tensor and per-channel scales, int8 weights and uint8 weights with zero point 128; matmuls
 * with 3-D A, K not a multiple of the k-block, int8 B, uint8 B with zero point 128 (gemm) or far from it
 * (generic loop), int8 and uint8 A. Then bad inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant_gemm_harness.h"

TEST_MAIN_GLOBALS;

/* DynamicQuantizeLinear of x[n] into q; returns the scale, *zp the zero point. */
static float oracle_dql(const float *x, size_t n, uint8_t *q, int32_t *zp) {
  float lo = 0.0f, hi = 0.0f;
  for (size_t i = 0; i < n; i++) lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
  const float scale = hi > lo ? (hi - lo) / 255.0f : 1.0f;
  *zp = (int32_t)rintf(fminf(fmaxf(0.0f - lo / scale, 0.0f), 255.0f));
  for (size_t i = 0; i < n; i++) q[i] = (uint8_t)fminf(fmaxf(rintf(x[i] / scale) + (float)*zp, 0.0f), 255.0f);
  return scale;
}

static float epilogue(int64_t acc, float a_scale, float w_scale, const float *bias, size_t c, int act) {
  float v = (float)(int32_t)acc * (a_scale * w_scale);
  if (bias) v = v + bias[c];
  if (act) v = fminf(fmaxf(v, -0.5f), 1.5f);
  return v;
}

/* Runs node on every ISA and pool; compares output `out` (n floats) with want bit for bit. */
static int check_all(qi_graph *(*build)(const void *), const void *arg, const float *want, size_t n, int act,
                     const char *what) {
  int ok = 1;
  for (int ii = 0; ii < qh_n_isas && ok; ii++)
    for (int p = 0; p < 3 && ok; p++) {
      th_isa = qh_isas[ii];
      qi_graph *gr = build(arg);
      const int node = gr->n_nodes - 1, out = gr->nodes[node].outputs[0];
      if (!qh_run(gr, node, act, -0.5f, 1.5f, qh_pools[p])) return 0;
      const float *y = gr->tensors[out].data;
      CHECK((size_t)qi_tensor_numel(&gr->tensors[out]) == n);
      for (size_t i = 0; i < n && ok; i++)
        if (memcmp(&y[i], &want[i], sizeof(float)) != 0) {
          fprintf(stderr, "%s on %s, pool %d: y[%zu] = %.9g, want %.9g\n", what, qi_isa_name(qh_isas[ii]), p, i,
                  (double)y[i], (double)want[i]);
          ok = 0;
        }
      qi_graph_free(gr);
    }
  CHECK_MSG(ok, "%s", what);
  return ok;
}

/* ------------------------------------------------------------------------------------------------ conv */

typedef struct conv_case {
  int64_t n, c, h, w, m, k, stride, pad, group;
  int per_channel, u8w, bias, act;
  float *x, *ws, *b;
  uint8_t *wt; /* int8 or uint8 bytes */
} conv_case;

static qi_graph *build_conv(const void *arg) {
  const conv_case *cc = arg;
  qi_graph *gr = qi_graph_new();
  const int64_t xd[4] = {cc->n, cc->c, cc->h, cc->w}, wd[4] = {cc->m, cc->c / cc->group, cc->k, cc->k};
  const int64_t md[1] = {cc->m};
  const uint8_t zp128[1] = {128};
  const int wdt = cc->u8w ? QINFER_DTYPE_UINT8 : QINFER_DTYPE_INT8;
  int in[5] = {nn_tensor(gr, "x", QINFER_DTYPE_FLOAT, 4, xd, cc->x, 0), nn_tensor(gr, "w", wdt, 4, wd, cc->wt, 1),
               nn_tensor(gr, "w_scale", QINFER_DTYPE_FLOAT, cc->per_channel, md, cc->ws, 1),
               cc->u8w ? nn_tensor(gr, "w_zp", wdt, 0, NULL, zp128, 1) : -1,
               cc->bias ? nn_tensor(gr, "b", QINFER_DTYPE_FLOAT, 1, md, cc->b, 1) : -1};
  int out = nn_output(gr, "y");
  const int node = qi_graph_add_node(gr, "DynamicQuantizeConv", "ai.qinfer", in, 5, &out, 1);
  nn_name(gr, node, "dqconv");
  const int64_t ks[2] = {cc->k, cc->k}, st[2] = {cc->stride, cc->stride}, pads[4] = {cc->pad, cc->pad, cc->pad, cc->pad};
  nn_attr_ints(gr, node, "kernel_shape", 2, ks);
  nn_attr_ints(gr, node, "strides", 2, st);
  nn_attr_ints(gr, node, "pads", 4, pads);
  nn_attr_int(gr, node, "group", cc->group);
  return gr;
}

static int conv_run(conv_case cc, uint32_t seed) {
  const size_t xn = (size_t)(cc.n * cc.c * cc.h * cc.w), cg = (size_t)(cc.c / cc.group);
  const size_t wn = (size_t)cc.m * cg * (size_t)(cc.k * cc.k);
  const int64_t oh = (cc.h + 2 * cc.pad - cc.k) / cc.stride + 1, ow = (cc.w + 2 * cc.pad - cc.k) / cc.stride + 1;
  const size_t yn = (size_t)(cc.n * cc.m * oh * ow);
  cc.x = malloc(xn * 4), cc.ws = malloc((size_t)cc.m * 4), cc.b = malloc((size_t)cc.m * 4), cc.wt = malloc(wn);
  float *want = malloc(yn * 4);
  uint8_t *q = malloc(xn);
  for (size_t i = 0; i < xn; i++) cc.x[i] = (float)qh_rnd_range(&seed, -3000, 5000) * 1e-3f;
  for (size_t i = 0; i < wn; i++) cc.wt[i] = (uint8_t)qh_rnd(&seed);
  for (int64_t i = 0; i < cc.m; i++) {
    cc.ws[i] = 0.002f + (float)(qh_rnd(&seed) % 100) * 1e-4f;
    cc.b[i] = (float)qh_rnd_range(&seed, -1000, 1000) * 1e-3f;
  }
  int32_t zp;
  const float xs = oracle_dql(cc.x, xn, q, &zp);
  const int64_t mg = cc.m / cc.group;
  for (int64_t img = 0; img < cc.n; img++)
    for (int64_t oc = 0; oc < cc.m; oc++)
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
          int64_t acc = 0;
          for (int64_t ic = 0; ic < (int64_t)cg; ic++)
            for (int64_t ky = 0; ky < cc.k; ky++)
              for (int64_t kx = 0; kx < cc.k; kx++) {
                const int64_t iy = oy * cc.stride + ky - cc.pad, ix = ox * cc.stride + kx - cc.pad;
                if (iy < 0 || iy >= cc.h || ix < 0 || ix >= cc.w) continue;
                const int64_t c = oc / mg * (int64_t)cg + ic;
                const uint8_t wb = cc.wt[((oc * (int64_t)cg + ic) * cc.k + ky) * cc.k + kx];
                const int32_t wv = cc.u8w ? (int32_t)wb - 128 : (int8_t)wb;
                acc += (int64_t)(q[((img * cc.c + c) * cc.h + iy) * cc.w + ix] - zp) * wv;
              }
          want[((img * cc.m + oc) * oh + oy) * ow + ox] =
              epilogue(acc, xs, cc.ws[cc.per_channel ? oc : 0], cc.bias ? cc.b : NULL, (size_t)oc, cc.act);
        }
  char what[160];
  snprintf(what, sizeof what, "DynamicQuantizeConv %lldx%lldx%lldx%lld -> %lld k%lld s%lld p%lld g%lld pc %d u8w %d",
           (long long)cc.n, (long long)cc.c, (long long)cc.h, (long long)cc.w, (long long)cc.m, (long long)cc.k,
           (long long)cc.stride, (long long)cc.pad, (long long)cc.group, cc.per_channel, cc.u8w);
  const int ok = check_all(build_conv, &cc, want, yn, cc.act, what);
  free(cc.x), free(cc.ws), free(cc.b), free(cc.wt), free(want), free(q);
  return ok;
}

/* ------------------------------------------------------------------------------------------------ matmul */

typedef struct mm_case {
  int to_float;          /* MatMulIntegerToFloat (else DynamicQuantizeMatMul) */
  int64_t a_dims[3], k, n;
  int b_kind;            /* 0 int8, 1 uint8 zero point 128, 2 uint8 zero point 37 (generic loop) */
  int a_s8, per_column, bias, act;
  float *af, *bs, *b, a_scale;
  uint8_t *aq, *bt, bzp, azp;
} mm_case;

static qi_graph *build_mm(const void *arg) {
  const mm_case *mc = arg;
  qi_graph *gr = qi_graph_new();
  const int64_t bd[2] = {mc->k, mc->n}, nd[1] = {mc->n};
  const int bdt = mc->b_kind ? QINFER_DTYPE_UINT8 : QINFER_DTYPE_INT8;
  const int adt = mc->a_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8;
  const int b = nn_tensor(gr, "B", bdt, 2, bd, mc->bt, 1);
  const int bs = nn_tensor(gr, "b_scale", QINFER_DTYPE_FLOAT, mc->per_column, nd, mc->bs, 1);
  const int bz = mc->b_kind ? nn_tensor(gr, "b_zp", bdt, 0, NULL, &mc->bzp, 1) : -1;
  const int bias = mc->bias ? nn_tensor(gr, "bias", QINFER_DTYPE_FLOAT, 1, nd, mc->b, 1) : -1;
  int out = nn_output(gr, "Y"), node;
  if (mc->to_float) {
    const int in[7] = {nn_tensor(gr, "A", adt, 3, mc->a_dims, mc->aq, 0), b,
                       nn_tensor(gr, "a_scale", QINFER_DTYPE_FLOAT, 0, NULL, &mc->a_scale, 1), bs,
                       nn_tensor(gr, "a_zp", adt, 0, NULL, &mc->azp, 1), bz, bias};
    node = qi_graph_add_node(gr, "MatMulIntegerToFloat", "com.microsoft", in, 7, &out, 1);
  } else {
    const int in[5] = {nn_tensor(gr, "A", QINFER_DTYPE_FLOAT, 3, mc->a_dims, mc->af, 0), b, bs, bz, bias};
    node = qi_graph_add_node(gr, "DynamicQuantizeMatMul", "com.microsoft", in, 5, &out, 1);
  }
  nn_name(gr, node, "dqmm");
  return gr;
}

static int mm_run(mm_case mc, uint32_t seed) {
  const size_t rows = (size_t)(mc.a_dims[0] * mc.a_dims[1]), k = (size_t)mc.k, n = (size_t)mc.n;
  mc.a_dims[2] = mc.k;
  mc.af = malloc(rows * k * 4), mc.aq = malloc(rows * k), mc.bt = malloc(k * n);
  mc.bs = malloc(n * 4), mc.b = malloc(n * 4);
  float *want = malloc(rows * n * 4);
  for (size_t i = 0; i < rows * k; i++) mc.af[i] = (float)qh_rnd_range(&seed, -4000, 2500) * 1e-3f;
  for (size_t i = 0; i < rows * k; i++) mc.aq[i] = (uint8_t)qh_rnd(&seed);
  for (size_t i = 0; i < k * n; i++) mc.bt[i] = (uint8_t)qh_rnd(&seed);
  for (size_t i = 0; i < n; i++) {
    mc.bs[i] = 0.003f + (float)(qh_rnd(&seed) % 100) * 1e-4f;
    mc.b[i] = (float)qh_rnd_range(&seed, -1000, 1000) * 1e-3f;
  }
  mc.bzp = mc.b_kind == 1 ? 128 : 37;
  mc.azp = (uint8_t)qh_rnd_range(&seed, 10, 100);
  mc.a_scale = 0.0123f;
  int32_t a_zp = mc.a_s8 ? (int8_t)mc.azp : mc.azp;
  float a_scale = mc.a_scale;
  uint8_t *q = mc.aq;
  if (!mc.to_float) {
    q = malloc(rows * k);
    a_scale = oracle_dql(mc.af, rows * k, q, &a_zp);
  }
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < n; j++) {
      int64_t acc = 0;
      for (size_t kk = 0; kk < k; kk++) {
        const uint8_t bb = mc.bt[kk * n + j];
        const int32_t bv = mc.b_kind ? (int32_t)bb - mc.bzp : (int8_t)bb;
        const int32_t av = mc.to_float && mc.a_s8 ? (int8_t)q[r * k + kk] : q[r * k + kk];
        acc += (int64_t)(av - a_zp) * bv;
      }
      want[r * n + j] = epilogue(acc, a_scale, mc.bs[mc.per_column ? j : 0], mc.bias ? mc.b : NULL, j, mc.act);
    }
  char what[160];
  snprintf(what, sizeof what, "%s rows %zu K %zu N %zu b_kind %d a_s8 %d pc %d bias %d act %d",
           mc.to_float ? "MatMulIntegerToFloat" : "DynamicQuantizeMatMul", rows, k, n, mc.b_kind, mc.a_s8,
           mc.per_column, mc.bias, mc.act);
  const int ok = check_all(build_mm, &mc, want, rows * n, mc.act, what);
  if (q != mc.aq) free(q);
  free(mc.af), free(mc.aq), free(mc.bt), free(mc.bs), free(mc.b), free(want);
  return ok;
}

/* ------------------------------------------------------------------------------------------------ errors */

/* DynamicQuantizeMatMul with A [2, 4] and B [4, 3] made bad in one way: the status and message are checked. */
static void error_case(const char *what, int b_rank, int64_t bias_len, float scale, int const_b, qi_status want) {
  qi_graph *gr = qi_graph_new();
  const int64_t ad[2] = {2, 4}, bd[2] = {4, 3}, bd1[1] = {12}, bl[1] = {bias_len};
  float a[8] = {1, -2, 3, 0.5f, 0, 0, 1, 2}, bias[8] = {0};
  int8_t b[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const int in[5] = {nn_tensor(gr, "A", QINFER_DTYPE_FLOAT, 2, ad, a, 0),
                     nn_tensor(gr, "B", QINFER_DTYPE_INT8, b_rank, b_rank == 2 ? bd : bd1, b, const_b),
                     nn_tensor(gr, "b_scale", QINFER_DTYPE_FLOAT, 0, NULL, &scale, 1), -1,
                     bias_len ? nn_tensor(gr, "bias", QINFER_DTYPE_FLOAT, 1, bl, bias, 1) : -1};
  int out = nn_output(gr, "Y");
  const int node = qi_graph_add_node(gr, "DynamicQuantizeMatMul", "com.microsoft", in, 5, &out, 1);
  nn_name(gr, node, "bad");
  qi_error err = {0};
  const qi_status st = nn_run(gr, node, NULL, &err);
  CHECK_MSG(st == want, "%s: status %d, want %d (%s)", what, st, want, err.msg);
  CHECK_MSG(st == QINFER_OK || strstr(err.msg, "'bad'"), "%s: the message names the node: %s", what, err.msg);
  if (st != QINFER_OK) printf("  error case %s -> %s\n", what, err.msg);
  qi_graph_free(gr);
}

/* A DynamicQuantizeConv whose uint8 weights minus their zero point leave [-128, 127]: refused at infer (the
 * pass then leaves the chain unfused). */
static void conv_refusal(void) {
  qi_graph *gr = qi_graph_new();
  const int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 1, 1};
  float x[9] = {0}, s = 0.1f;
  uint8_t w[1] = {250}, zp[1] = {3};
  const int in[4] = {nn_tensor(gr, "x", QINFER_DTYPE_FLOAT, 4, xd, x, 0), nn_tensor(gr, "w", QINFER_DTYPE_UINT8, 4, wd, w, 1),
                     nn_tensor(gr, "s", QINFER_DTYPE_FLOAT, 0, NULL, &s, 1),
                     nn_tensor(gr, "z", QINFER_DTYPE_UINT8, 0, NULL, zp, 1)};
  int out = nn_output(gr, "y");
  const int node = qi_graph_add_node(gr, "DynamicQuantizeConv", "ai.qinfer", in, 4, &out, 1);
  nn_name(gr, node, "conv");
  qi_error err = {0};
  const qi_status st = nn_run(gr, node, NULL, &err);
  CHECK_MSG(st == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "247"), "conv refusal: %d %s", st, err.msg);
  qi_graph_free(gr);
}

int main(void) {
  qh_setup();
  int ok = 1, cases = 0;
  const conv_case convs[] = {
      {.n = 1, .c = 5, .h = 9, .w = 7, .m = 11, .k = 3, .stride = 2, .pad = 1, .group = 1, .per_channel = 1, .bias = 1},
      {.n = 2, .c = 16, .h = 6, .w = 6, .m = 9, .k = 1, .stride = 1, .pad = 0, .group = 1, .bias = 1, .act = 1},
      {.n = 1, .c = 12, .h = 7, .w = 5, .m = 12, .k = 3, .stride = 1, .pad = 1, .group = 12, .per_channel = 1},
      {.n = 1, .c = 8, .h = 5, .w = 5, .m = 6, .k = 3, .stride = 1, .pad = 0, .group = 2, .u8w = 1, .bias = 1},
      {.n = 2, .c = 7, .h = 9, .w = 8, .m = 7, .k = 3, .stride = 2, .pad = 1, .group = 7, .u8w = 1, .bias = 1},
      {.n = 1, .c = 4, .h = 6, .w = 9, .m = 4, .k = 5, .stride = 1, .pad = 0, .group = 4, .bias = 1, .act = 1},
  };
  for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++, cases++) ok &= conv_run(convs[i], 100u + (uint32_t)i);
  const mm_case mms[] = {
      {.a_dims = {2, 3}, .k = 37, .n = 13, .per_column = 1, .bias = 1},
      {.a_dims = {1, 5}, .k = 64, .n = 9, .b_kind = 1, .act = 1},
      {.a_dims = {3, 2}, .k = 7, .n = 5, .b_kind = 2, .per_column = 1, .bias = 1},
      {.to_float = 1, .a_dims = {2, 4}, .k = 19, .n = 10, .per_column = 1, .bias = 1},
      {.to_float = 1, .a_dims = {1, 6}, .k = 33, .n = 8, .a_s8 = 1, .b_kind = 1},
      {.to_float = 1, .a_dims = {2, 2}, .k = 5, .n = 3, .b_kind = 2, .bias = 1},
  };
  for (size_t i = 0; i < sizeof mms / sizeof mms[0]; i++, cases++) ok &= mm_run(mms[i], 200u + (uint32_t)i);
  printf("dynamic-quantization ops: %d cases %s\n", cases, ok ? "ok" : "FAILED");
  error_case("valid", 2, 3, 0.1f, 1, QINFER_OK);
  error_case("1-D B", 1, 0, 0.1f, 1, QINFER_ERR_UNSUPPORTED);
  error_case("bias of 4 for 3 columns", 2, 4, 0.1f, 1, QINFER_ERR_SHAPE);
  error_case("zero weight scale", 2, 0, 0.0f, 1, QINFER_ERR_QUANT_PARAMS);
  error_case("NaN weight scale", 2, 0, NAN, 1, QINFER_ERR_QUANT_PARAMS);
  error_case("B fed at run time", 2, 0, 0.1f, 0, QINFER_ERR_UNSUPPORTED);
  conv_refusal();
  qh_teardown();
  return TEST_SUMMARY();
}
