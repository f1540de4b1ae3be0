/* Gemm and MatMul against naive oracles: transposes, alpha/beta, C broadcasts, fused clamp / LeakyRelu, constant
 * and computed operands (constant B: the packed xw path, C folded into its bias or left to the epilogue; constant A:
 * packed once), N-d batch broadcasting with a shared packed B, 1-D promotion; identical results at 1, 2 and 3
 * threads; const_inputs_packed; shape errors. */
#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3];

/* Which Gemm inputs are constants, and the fused activation (0 none, QI_ACT_CLAMP [-0.3, 0.4], QI_ACT_LEAKY 0.1). */
typedef struct gemm_opts {
  int const_a, const_b, const_c, act;
} gemm_opts;

static double gemm_act(double v, int act) {
  if (act == QI_ACT_CLAMP) return v < -0.3 ? -0.3 : (v > 0.4 ? 0.4 : v);
  if (act == QI_ACT_LEAKY) return v < 0 ? v * (double)0.1f : v;
  return v;
}

static void gemm_case(int64_t M, int64_t N, int64_t K, int ta, int tb, float alpha, float beta, int c_rank,
                      const int64_t *c_dims, gemm_opts o) {
  float *a = malloc((size_t)(M * K + 1) * sizeof(float)), *b = malloc((size_t)(K * N + 1) * sizeof(float));
  float *c = malloc((size_t)(M * N + 1) * sizeof(float));
  double *ref = malloc((size_t)(M * N + 1) * sizeof(double));
  nn_fill(a, (size_t)(M * K), 11);
  nn_fill(b, (size_t)(K * N), 12);
  nn_fill(c, (size_t)(M * N), 13);
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      double acc = 0;
      for (int64_t k = 0; k < K; k++)
        acc += (double)(ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
      acc *= alpha;
      if (c_rank >= 0) {
        const int64_t ci = c_rank == 0 ? 0 : c_rank == 1 ? (c_dims[0] == 1 ? 0 : j)
                                                        : (c_dims[0] == 1 ? 0 : i) * c_dims[1] + (c_dims[1] == 1 ? 0 : j);
        acc += beta * c[ci];
      }
      ref[i * N + j] = gemm_act(acc, o.act);
    }
  float *first = NULL;
  for (int p = 0; p < 3; p++) {
    qi_graph *g = qi_graph_new();
    const int64_t ad[2] = {ta ? K : M, ta ? M : K}, bd[2] = {tb ? N : K, tb ? K : N};
    int in[3] = {nn_tensor(g, "a", QINFER_DTYPE_FLOAT, 2, ad, a, o.const_a),
                 nn_tensor(g, "b", QINFER_DTYPE_FLOAT, 2, bd, b, o.const_b),
                 c_rank >= 0 ? nn_tensor(g, "c", QINFER_DTYPE_FLOAT, c_rank, c_dims, c, o.const_c) : -1};
    int out = nn_output(g, "y");
    int node = qi_graph_add_node(g, "Gemm", "", in, c_rank >= 0 ? 3 : 2, &out, 1);
    nn_attr_int(g, node, "transA", ta);
    nn_attr_int(g, node, "transB", tb);
    nn_attr_float(g, node, "alpha", alpha);
    nn_attr_float(g, node, "beta", beta);
    th_set_act(g, node, o.act, -0.3f, 0.4f, 0.1f);
    qi_error err = {0};
    CHECK_MSG(nn_run(g, node, pools[p], &err) == QINFER_OK, "%s", err.msg);
    /* one constant operand with a product to compute: it is packed, so run reads no constant input */
    if ((o.const_a != o.const_b) && M && N && K) CHECK(th_const_inputs_packed);
    double worst;
    const float *y = nn_out(g, node, 0);
    /* float sums of K products: the error grows with K, and a clamp shrinks the scale it is measured against */
    const double tol = 1e-5 * fmax(1.0, sqrt((double)K / 64));
    CHECK_MSG(nn_close(y, ref, (size_t)(M * N), tol, &worst),
              "Gemm %lldx%lldx%lld ta%d tb%d c_rank %d const a%d b%d c%d act %d: %g", (long long)M, (long long)N,
              (long long)K, ta, tb, c_rank, o.const_a, o.const_b, o.const_c, o.act, worst);
    if (!first) {
      first = malloc((size_t)(M * N) * sizeof(float));
      memcpy(first, y, (size_t)(M * N) * sizeof(float));
    } else {
      CHECK(memcmp(first, y, (size_t)(M * N) * sizeof(float)) == 0);
    }
    qi_graph_free(g);
  }
  free(first), free(a), free(b), free(c), free(ref);
}

static void gemm_tests(void) {
  const int64_t shapes[][3] = {{1, 1, 1}, {1, 10, 7}, {5, 3, 9}, {4, 8, 4}, {13, 37, 29}, {64, 3, 200}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
    for (int t = 0; t < 4; t++) {
      int64_t row[1] = {N}, full[2] = {M, N}, col[2] = {M, 1}, one[1] = {1};
      gemm_case(M, N, K, t & 1, t >> 1, 1.0f, 1.0f, -1, NULL, (gemm_opts){0, t % 2, 1, 0});
      gemm_case(M, N, K, t & 1, t >> 1, 0.5f, 2.0f, 1, row, (gemm_opts){0, 1, 1, t == 3 ? QI_ACT_CLAMP : 0});
      gemm_case(M, N, K, t & 1, t >> 1, 1.5f, -1.0f, 2, full, (gemm_opts){0, 0, 1, 0});
      gemm_case(M, N, K, t & 1, t >> 1, 1.0f, 0.5f, 2, col, (gemm_opts){0, 1, 1, QI_ACT_CLAMP});
      gemm_case(M, N, K, t & 1, t >> 1, 1.0f, 0.5f, 0, one, (gemm_opts){0, 1, 1, 0});
      gemm_case(M, N, K, t & 1, t >> 1, 1.0f, 1.0f, 1, one, (gemm_opts){0, 0, 1, QI_ACT_CLAMP});
    }
  }
}

/* Constant B (the xw path): M = 1 and M not a multiple of the tile, N spanning several column blocks and partial
 * panels, every C shape (folded per-column vectors, [M, N] / [M, 1] in the epilogue, computed C), alpha / beta,
 * fused clamp and LeakyRelu; and constant A with a computed B (A packed once). */
static void gemm_const_tests(void) {
  const int64_t shapes[][3] = {{1, 1000, 512}, {1, 13, 3}, {2, 700, 300}, {3, 19, 64}, {7, 41, 5}, {6, 9, 1}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
    for (int t = 0; t < 4; t++) {
      const int ta = t & 1, tb = t >> 1;
      int64_t row2[2] = {1, N}, full[2] = {M, N}, col[2] = {M, 1}, scalar1[2] = {1, 1};
      gemm_case(M, N, K, ta, tb, 0.75f, 1.5f, 2, row2, (gemm_opts){0, 1, 1, QI_ACT_LEAKY});
      gemm_case(M, N, K, ta, tb, 1.0f, 1.0f, 2, full, (gemm_opts){0, 1, 1, QI_ACT_CLAMP});
      gemm_case(M, N, K, ta, tb, 2.0f, -0.5f, 2, col, (gemm_opts){0, 1, 1, QI_ACT_LEAKY});
      gemm_case(M, N, K, ta, tb, 1.0f, 2.0f, 2, scalar1, (gemm_opts){0, 1, 1, QI_ACT_CLAMP});
      gemm_case(M, N, K, ta, tb, -1.0f, 1.0f, 0, NULL, (gemm_opts){0, 1, 1, 0});
      gemm_case(M, N, K, ta, tb, 1.0f, 0.5f, 2, row2, (gemm_opts){0, 1, 0, 0}); /* computed C */
      gemm_case(M, N, K, ta, tb, 1.0f, 0.0f, 2, full, (gemm_opts){0, 1, 1, 0}); /* beta 0: C unused */
      gemm_case(M, N, K, ta, tb, 0.5f, 1.0f, 2, row2, (gemm_opts){1, 0, 1, QI_ACT_CLAMP}); /* constant A */
      gemm_case(M, N, K, ta, tb, 1.0f, 1.0f, 2, full, (gemm_opts){1, 0, 1, QI_ACT_LEAKY});
    }
  }
}

/* MatMul: shapes a_dims x b_dims with numpy semantics, checked against a naive broadcast loop. */
static void matmul_case(int ar, const int64_t *ad, int br, const int64_t *bd, int const_a, int const_b, int yr,
                        const int64_t *yd) {
  int64_t an = 1, bn = 1, yn = 1;
  for (int i = 0; i < ar; i++) an *= ad[i];
  for (int i = 0; i < br; i++) bn *= bd[i];
  for (int i = 0; i < yr; i++) yn *= yd[i];
  float *a = malloc((size_t)an * sizeof(float)), *b = malloc((size_t)bn * sizeof(float));
  double *ref = calloc((size_t)yn, sizeof(double));
  nn_fill(a, (size_t)an, 21);
  nn_fill(b, (size_t)bn, 22);
  /* promote to >= 2-D and broadcast to a common batch of rank yb */
  int64_t a2[QI_MAX_RANK + 1], b2[QI_MAX_RANK + 1];
  int ar2 = ar, br2 = br;
  memcpy(a2, ad, (size_t)ar * sizeof(int64_t));
  memcpy(b2, bd, (size_t)br * sizeof(int64_t));
  if (ar == 1) a2[0] = 1, a2[1] = ad[0], ar2 = 2;
  if (br == 1) b2[0] = bd[0], b2[1] = 1, br2 = 2;
  const int64_t M = a2[ar2 - 2], K = a2[ar2 - 1], N = b2[br2 - 1];
  const int bra = ar2 - 2, brb = br2 - 2, brank = bra > brb ? bra : brb;
  int64_t batch[QI_MAX_RANK], nb = 1;
  for (int i = 0; i < brank; i++) {
    const int ia = i - (brank - bra), ib = i - (brank - brb);
    const int64_t da = ia >= 0 ? a2[ia] : 1, db = ib >= 0 ? b2[ib] : 1;
    batch[i] = da > db ? da : db;
    nb *= batch[i];
  }
  for (int64_t p = 0; p < nb; p++) {
    int64_t rem = p, aoff = 0, boff = 0, astr = 1, bstr = 1;
    for (int i = brank - 1; i >= 0; i--) {
      const int64_t idx = rem % batch[i];
      rem /= batch[i];
      const int ia = i - (brank - bra), ib = i - (brank - brb);
      if (ia >= 0) aoff += (a2[ia] == 1 ? 0 : idx) * astr, astr *= a2[ia];
      if (ib >= 0) boff += (b2[ib] == 1 ? 0 : idx) * bstr, bstr *= b2[ib];
    }
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < N; j++) {
        double acc = 0;
        for (int64_t k = 0; k < K; k++) acc += (double)a[aoff * M * K + i * K + k] * b[boff * K * N + k * N + j];
        ref[p * M * N + i * N + j] = acc;
      }
  }
  CHECK(nb * M * N == yn);
  float *first = NULL;
  for (int p = 0; p < 3; p++) {
    qi_graph *g = qi_graph_new();
    int in[2] = {nn_tensor(g, "a", QINFER_DTYPE_FLOAT, ar, ad, a, const_a),
                 nn_tensor(g, "b", QINFER_DTYPE_FLOAT, br, bd, b, const_b)};
    int out = nn_output(g, "y");
    int node = qi_graph_add_node(g, "MatMul", "", in, 2, &out, 1);
    qi_error err = {0};
    CHECK_MSG(nn_run(g, node, pools[p], &err) == QINFER_OK, "%s", err.msg);
    if (const_a != const_b && yn > 0 && an > 0 && bn > 0) CHECK(th_const_inputs_packed);
    const qi_tensor *yt = &g->tensors[out];
    int shape_ok = yt->rank == yr;
    for (int i = 0; shape_ok && i < yr; i++) shape_ok = yt->dims[i] == yd[i];
    CHECK_MSG(shape_ok, "MatMul output rank %d", yt->rank);
    double worst;
    const float *y = nn_out(g, node, 0);
    CHECK_MSG(nn_close(y, ref, (size_t)yn, 1e-5, &worst), "MatMul ranks %d x %d: %g", ar, br, worst);
    if (!first) {
      first = malloc((size_t)yn * sizeof(float));
      memcpy(first, y, (size_t)yn * sizeof(float));
    } else {
      CHECK(memcmp(first, y, (size_t)yn * sizeof(float)) == 0);
    }
    qi_graph_free(g);
  }
  free(first), free(a), free(b), free(ref);
}

static void matmul_tests(void) {
  for (int ca = 0; ca < 2; ca++) {
    const int cb = !ca;
    { const int64_t a[2] = {5, 7}, b[2] = {7, 9}, y[2] = {5, 9}; matmul_case(2, a, 2, b, ca, cb, 2, y); }
    { const int64_t a[1] = {7}, b[2] = {7, 9}, y[1] = {9}; matmul_case(1, a, 2, b, ca, cb, 1, y); }
    { const int64_t a[2] = {5, 7}, b[1] = {7}, y[1] = {5}; matmul_case(2, a, 1, b, ca, cb, 1, y); }
    { const int64_t a[1] = {7}, b[1] = {7}; matmul_case(1, a, 1, b, ca, cb, 0, NULL); }
    { const int64_t a[3] = {3, 5, 7}, b[2] = {7, 10}, y[3] = {3, 5, 10}; matmul_case(3, a, 2, b, ca, cb, 3, y); }
    { const int64_t a[2] = {5, 7}, b[3] = {3, 7, 10}, y[3] = {3, 5, 10}; matmul_case(2, a, 3, b, ca, cb, 3, y); }
    { const int64_t a[4] = {2, 1, 6, 4}, b[3] = {3, 4, 9}, y[4] = {2, 3, 6, 9}; matmul_case(4, a, 3, b, ca, cb, 4, y); }
    { const int64_t a[3] = {2, 6, 4}, b[1] = {4}, y[2] = {2, 6}; matmul_case(3, a, 1, b, ca, cb, 2, y); }
    { const int64_t a[1] = {4}, b[4] = {2, 3, 4, 5}, y[3] = {2, 3, 5}; matmul_case(1, a, 4, b, ca, cb, 3, y); }
    { const int64_t a[3] = {4, 33, 65}, b[3] = {4, 65, 17}, y[3] = {4, 33, 17}; matmul_case(3, a, 3, b, ca, cb, 3, y); }
  }
}

/* Constant B, the weights case: one B shared by a batch (packed once; one gemm of batch*M rows), a B broadcast
 * along some batch dims, A broadcast against a batched B, M = 1 rows, N over several column blocks. */
static void matmul_const_tests(void) {
  { const int64_t a[3] = {4, 1, 40}, b[2] = {40, 700}, y[3] = {4, 1, 700}; matmul_case(3, a, 2, b, 0, 1, 3, y); }
  { const int64_t a[3] = {2, 7, 300}, b[2] = {300, 300}, y[3] = {2, 7, 300}; matmul_case(3, a, 2, b, 0, 1, 3, y); }
  { const int64_t a[4] = {2, 3, 1, 9}, b[3] = {3, 9, 11}, y[4] = {2, 3, 1, 11}; matmul_case(4, a, 3, b, 0, 1, 4, y); }
  { const int64_t a[3] = {3, 5, 7}, b[3] = {1, 7, 10}, y[3] = {3, 5, 10}; matmul_case(3, a, 3, b, 0, 1, 3, y); }
  { const int64_t a[2] = {5, 7}, b[3] = {3, 7, 10}, y[3] = {3, 5, 10}; matmul_case(2, a, 3, b, 0, 1, 3, y); }
  { const int64_t a[4] = {2, 1, 6, 4}, b[4] = {1, 3, 4, 9}, y[4] = {2, 3, 6, 9}; matmul_case(4, a, 4, b, 0, 1, 4, y); }
  { const int64_t a[1] = {512}, b[2] = {512, 1000}, y[1] = {1000}; matmul_case(1, a, 2, b, 0, 1, 1, y); }
  { const int64_t a[3] = {2, 3, 6}, b[1] = {6}, y[2] = {2, 3}; matmul_case(3, a, 1, b, 0, 1, 2, y); }
}

static void errors(void) {
  const float buf[64] = {0};
  struct { const char *op; int ar; int64_t ad[3]; int br; int64_t bd[3]; } cases[] = {
      {"MatMul", 2, {2, 3}, 2, {4, 5}}, {"MatMul", 3, {2, 2, 3}, 3, {3, 3, 5}}, {"Gemm", 2, {2, 3}, 2, {4, 5}},
      {"Gemm", 3, {1, 2, 3}, 2, {3, 5}}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qi_graph *g = qi_graph_new();
    int in[2] = {nn_tensor(g, "a", QINFER_DTYPE_FLOAT, cases[i].ar, cases[i].ad, buf, 0),
                 nn_tensor(g, "b", QINFER_DTYPE_FLOAT, cases[i].br, cases[i].bd, buf, 1)};
    int out = nn_output(g, "y");
    int node = qi_graph_add_node(g, cases[i].op, "", in, 2, &out, 1);
    nn_name(g, node, "bad_mm");
    qi_error err = {0};
    const qi_status st = nn_run(g, node, NULL, &err);
    CHECK_MSG(st == QINFER_ERR_SHAPE && strstr(err.msg, "bad_mm") && strstr(err.msg, cases[i].op),
              "case %zu: %d %s", i, st, err.msg);
    qi_graph_free(g);
  }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  gemm_tests();
  gemm_const_tests();
  matmul_tests();
  matmul_const_tests();
  errors();
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
