/* QLinearMatMul, MatMulInteger and com.microsoft QGemm against a naive oracle (int64 sums of
 * (a - a_zp) * (b - b_zp) plus QGemm's C, then the oracle's requantization (requant_oracle.h) with the scale
 * (alpha * a_scale * b_scale[n]) / y_scale, or the float product for QGemm without y_scale), exactly:
 * 1-D, 2-D, 3-D and broadcast batches, uint8 / int8 activations and outputs, per-tensor and per-column B,
 * the fast path (constant int8 B, zero points 0) and the generic one (uint8 B, nonzero zero points, B computed at
 * run time), the run-time path (both operands at run time: attention shapes), transA / transB / alpha / C shapes for QGemm, a fused clamp; every ISA path this CPU has at 1, 2 and
 * 3 threads (identical results). Error paths: bad scales and scale lengths. */
#include <math.h>
#include <stdio.h>

#include "requant_oracle.h"
#include "quant_gemm_harness.h"

TEST_MAIN_GLOBALS;

typedef enum { K_QLINEAR, K_INTEGER, K_QGEMM } kind_t;

typedef struct mm_case {
  kind_t kind;
  int a_rank, b_rank;
  int64_t a_dims[4], b_dims[4]; /* as stored (QGemm: before transposes) */
  int a_s8, b_u8, y_s8;
  int per_column, zp_nonzero, const_b, act; /* act: 1 clamp around 0, 2 clamp above 0 */
  int trans_a, trans_b, c_kind; /* QGemm: C 0 none, 1 [N], 2 [M, N], 3 [1], 4 [M, 1]; */
  float alpha;
  int float_out; /* QGemm without y_scale */
} mm_case;

static int64_t numel(int rank, const int64_t *d) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= d[i];
  return n;
}

static int run_case(const mm_case *mc, uint32_t seed) {
  /* logical shapes */
  const int ar = mc->a_rank, br = mc->b_rank;
  int64_t m, k, n;
  if (mc->kind == K_QGEMM) {
    m = mc->a_dims[mc->trans_a ? 1 : 0], k = mc->a_dims[mc->trans_a ? 0 : 1];
    n = mc->b_dims[mc->trans_b ? 0 : 1];
  } else {
    m = ar >= 2 ? mc->a_dims[ar - 2] : 1, k = mc->a_dims[ar - 1], n = br >= 2 ? mc->b_dims[br - 1] : 1;
  }
  /* batch broadcast (MatMul) */
  const int abr = ar > 2 ? ar - 2 : 0, bbr = br > 2 ? br - 2 : 0, bat_r = abr > bbr ? abr : bbr;
  int64_t bat[4], abd[4], bbd[4], batch = 1;
  for (int i = 0; i < bat_r; i++) {
    const int ai = i - (bat_r - abr), bi = i - (bat_r - bbr);
    abd[i] = ai >= 0 ? mc->a_dims[ai] : 1;
    bbd[i] = bi >= 0 ? mc->b_dims[bi] : 1;
    bat[i] = abd[i] > bbd[i] ? abd[i] : bbd[i];
    batch *= bat[i];
  }
  const size_t an = (size_t)numel(ar, mc->a_dims), bn = (size_t)numel(br, mc->b_dims), yn = (size_t)(batch * m * n);
  uint8_t *a = malloc(an), *b = malloc(bn), *bzp = malloc((size_t)n);
  float *bs = malloc((size_t)n * 4);
  int32_t *cdat = malloc((size_t)(m * n) * 4);
  int64_t *acc = calloc(yn, sizeof(int64_t));
  for (size_t i = 0; i < an; i++) a[i] = (uint8_t)qh_rnd(&seed);
  for (size_t i = 0; i < bn; i++) b[i] = (uint8_t)qh_rnd(&seed);
  for (int64_t i = 0; i < m * n; i++) cdat[i] = qh_rnd_range(&seed, -5000, 5000);
  const int32_t alo = mc->a_s8 ? -128 : 0, ahi = mc->a_s8 ? 127 : 255;
  const int32_t ylo = mc->y_s8 ? -128 : 0, yhi = mc->y_s8 ? 127 : 255;
  const int32_t a_zp = qh_rnd_range(&seed, alo, ahi), y_zp = qh_rnd_range(&seed, ylo + 20, yhi - 20);
  const float as = 0.02f + (float)(qh_rnd(&seed) % 50) * 0.001f;
  for (int64_t j = 0; j < n; j++) {
    bs[j] = mc->per_column || j == 0 ? 0.003f + (float)(qh_rnd(&seed) % 100) * 0.0001f : bs[0];
    bzp[j] = mc->per_column || j == 0 ? (uint8_t)(mc->zp_nonzero ? qh_rnd(&seed) : 0) : bzp[0];
  }
  const int64_t c_rows = mc->c_kind == 2 || mc->c_kind == 4 ? m : 1;
  const int64_t c_cols = mc->c_kind == 1 || mc->c_kind == 2 ? n : 1;
  for (int64_t bi = 0; bi < batch; bi++) {
    int64_t ai = 0, bj = 0;
    for (int i = 0, rem = (int)bi; i < bat_r; i++) {
      int64_t stride = 1;
      for (int j = i + 1; j < bat_r; j++) stride *= bat[j];
      const int64_t c = rem / stride % bat[i];
      ai = ai * abd[i] + (abd[i] == 1 ? 0 : c);
      bj = bj * bbd[i] + (bbd[i] == 1 ? 0 : c);
    }
    for (int64_t r = 0; r < m; r++)
      for (int64_t j = 0; j < n; j++) {
        int64_t s = 0;
        const int32_t bz = mc->b_u8 ? bzp[j] : (int8_t)bzp[j];
        for (int64_t kk = 0; kk < k; kk++) {
          size_t ia, ib;
          if (mc->kind == K_QGEMM) {
            ia = (size_t)(mc->trans_a ? kk * m + r : r * k + kk);
            ib = (size_t)(mc->trans_b ? j * k + kk : kk * n + j);
          } else {
            ia = (size_t)(ai * m * k + r * k + kk);
            ib = (size_t)(bj * k * n + kk * n + j);
          }
          const int32_t av = mc->a_s8 ? (int8_t)a[ia] : a[ia], bv = mc->b_u8 ? b[ib] : (int8_t)b[ib];
          s += (int64_t)(av - a_zp) * (bv - bz);
        }
        if (mc->c_kind) s += cdat[(c_rows == 1 ? 0 : r) * c_cols + (c_cols == 1 ? 0 : j)];
        acc[(bi * m + r) * n + j] = s;
      }
  }
  const float alpha = mc->kind == K_QGEMM ? mc->alpha : 1.0f;
  double maxreal = 1e-6;
  for (size_t i = 0; i < yn; i++) maxreal = fmax(maxreal, fabs((double)acc[i] * as * bs[i % (size_t)n] * alpha));
  const float ys = (float)(maxreal / 90.0);
  const float act_min = (mc->act == 2 ? 0.1f : -0.4f) * (float)maxreal, act_max = 0.6f * (float)maxreal;
  int32_t qmin = ylo, qmax = yhi;
  if (mc->act) {
    const int32_t lo = oracle_quantize(act_min, ys, y_zp, ylo, yhi), hi = oracle_quantize(act_max, ys, y_zp, ylo, yhi);
    qmin = lo > qmin ? lo : qmin;
    qmax = hi < qmax ? hi : qmax;
  }
  const int out_int32 = mc->kind == K_INTEGER, out_float = mc->kind == K_QGEMM && mc->float_out;
  const size_t esize = out_int32 || out_float ? 4 : 1;
  uint8_t *first = malloc(yn * esize + 1);
  int ok = 1;
  for (int ii = 0; ii < qh_n_isas && ok; ii++)
    for (int p = 0; p < 3 && ok; p++) {
      qi_graph *gr = qi_graph_new();
      th_isa = qh_isas[ii];
      const int adt = mc->a_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8;
      const int bdt = mc->b_u8 ? QINFER_DTYPE_UINT8 : QINFER_DTYPE_INT8;
      const int ydt = mc->y_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8;
      const int8_t azb = (int8_t)a_zp, yzb = (int8_t)y_zp;
      const uint8_t azu = (uint8_t)a_zp, yzu = (uint8_t)y_zp;
      const void *azp = mc->a_s8 ? (const void *)&azb : (const void *)&azu;
      const void *yzp = mc->y_s8 ? (const void *)&yzb : (const void *)&yzu;
      const int64_t nd[1] = {n}, cd[2] = {c_rows, c_cols};
      const int pc = mc->per_column;
      const int at = nn_tensor(gr, "a", adt, ar, mc->a_dims, a, 0);
      const int bt = nn_tensor(gr, "b", bdt, br, mc->b_dims, b, mc->const_b);
      int in[9], n_in;
      const char *op = "QLinearMatMul", *domain = "";
      if (mc->kind == K_INTEGER) {
        op = "MatMulInteger";
        in[0] = at, in[1] = bt;
        in[2] = nn_tensor(gr, "a_zp", adt, 0, NULL, azp, 1);
        in[3] = nn_tensor(gr, "b_zp", bdt, pc, nd, bzp, 1);
        n_in = 4;
      } else {
        in[0] = at;
        in[1] = nn_tensor(gr, "a_scale", QINFER_DTYPE_FLOAT, 0, NULL, &as, 1);
        in[2] = nn_tensor(gr, "a_zp", adt, 0, NULL, azp, 1);
        in[3] = bt;
        in[4] = nn_tensor(gr, "b_scale", QINFER_DTYPE_FLOAT, pc, nd, bs, 1);
        in[5] = nn_tensor(gr, "b_zp", bdt, pc, nd, bzp, 1);
        if (mc->kind == K_QLINEAR) {
          in[6] = nn_tensor(gr, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &ys, 1);
          in[7] = nn_tensor(gr, "y_zp", ydt, 0, NULL, yzp, 1);
          n_in = 8;
        } else {
          op = "QGemm", domain = "com.microsoft";
          const int c_rank = mc->c_kind == 1 || mc->c_kind == 3 ? 1 : 2;
          const int64_t c1[1] = {mc->c_kind == 1 ? n : 1};
          in[6] = mc->c_kind ? nn_tensor(gr, "C", QINFER_DTYPE_INT32, c_rank, c_rank == 1 ? c1 : cd, cdat, 1) : -1;
          in[7] = mc->float_out ? -1 : nn_tensor(gr, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &ys, 1);
          in[8] = mc->float_out ? -1 : nn_tensor(gr, "y_zp", ydt, 0, NULL, yzp, 1);
          n_in = mc->float_out ? (mc->c_kind ? 7 : 6) : 9;
        }
      }
      int out = nn_output(gr, "y");
      const int node = qi_graph_add_node(gr, op, domain, in, n_in, &out, 1);
      nn_name(gr, node, "mm0");
      if (mc->kind == K_QGEMM) {
        nn_attr_int(gr, node, "transA", mc->trans_a);
        nn_attr_int(gr, node, "transB", mc->trans_b);
        nn_attr_float(gr, node, "alpha", mc->alpha);
      }
      if (!qh_run(gr, node, mc->act, act_min, act_max, qh_pools[p])) {
        ok = 0;
        break;
      }
      const qi_tensor *yt = &gr->tensors[out];
      CHECK((size_t)qi_tensor_numel(yt) == yn);
      const void *y = yt->data;
      for (size_t i = 0; i < yn && ok; i++) {
        const float sc = (alpha * as) * bs[i % (size_t)n];
        if (out_float) {
          float want = (float)(int32_t)acc[i] * sc;
          if (mc->act) want = want < act_min ? act_min : want > act_max ? act_max : want;
          const float got = ((const float *)y)[i];
          if (want != got) {
            fprintf(stderr, "QGemm float %s case %d: y[%zu] = %.9g, want %.9g\n", qi_isa_name(qh_isas[ii]), p, i,
                    (double)got, (double)want);
            ok = 0;
          }
          continue;
        }
        int32_t want, got;
        if (out_int32) {
          want = (int32_t)acc[i];
          got = ((const int32_t *)y)[i];
        } else {
          want = oracle_requant((int32_t)acc[i], sc / ys, y_zp, qmin, qmax);
          got = mc->y_s8 ? ((const int8_t *)y)[i] : ((const uint8_t *)y)[i];
        }
        if (want != got) {
          fprintf(stderr,
                  "%s %s threads-case %d: M%lld N%lld K%lld batch %lld a_s8 %d b_u8 %d y_s8 %d pc %d zp %d const %d "
                  "tA %d tB %d C %d act %d: y[%zu] = %d, want %d (acc %lld, scale %.9g)\n",
                  op, qi_isa_name(qh_isas[ii]), p, (long long)m, (long long)n, (long long)k, (long long)batch, mc->a_s8,
                  mc->b_u8, mc->y_s8, mc->per_column, mc->zp_nonzero, mc->const_b, mc->trans_a, mc->trans_b,
                  mc->c_kind, mc->act, i, got, want, (long long)acc[i], (double)(sc / ys));
          ok = 0;
        }
      }
      CHECK(ok);
      if (ii == 0 && p == 0) memcpy(first, y, yn * esize);
      else CHECK_MSG(memcmp(first, y, yn * esize) == 0, "results differ between ISA paths / thread counts");
      qi_graph_free(gr);
    }
  free(a), free(b), free(bzp), free(bs), free(cdat), free(acc), free(first);
  return ok;
}

static void matmul_grid(void) {
  const struct {
    int ar, br;
    int64_t ad[4], bd[4];
  } shapes[] = {
      {2, 2, {1, 7}, {7, 5}},          {2, 2, {5, 3}, {3, 17}},         {2, 2, {33, 64}, {64, 40}},
      {3, 2, {2, 9, 20}, {20, 13}},    {1, 2, {12}, {12, 9}},           {2, 1, {6, 12}, {12}},
      {3, 3, {3, 4, 5}, {3, 5, 6}},    {3, 3, {1, 4, 5}, {3, 5, 6}},    {4, 3, {2, 1, 3, 8}, {4, 8, 2}},
      {2, 2, {70, 147}, {147, 33}},    {1, 1, {9}, {9}},                {2, 2, {3, 300}, {300, 1}},
  };
  int cases = 0, ok = 1;
  uint32_t seed = 3;
  for (int kind = K_QLINEAR; kind <= K_INTEGER; kind++)
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
      for (int v = 0; v < 6; v++) {
        mm_case mc = {.kind = (kind_t)kind, .a_rank = shapes[si].ar, .b_rank = shapes[si].br, .a_s8 = v % 2,
                      .y_s8 = (v / 2) % 2, .per_column = v % 3 != 0 && shapes[si].br >= 2, .const_b = v != 5,
                      .b_u8 = v == 4, .zp_nonzero = v == 3 || kind == K_INTEGER,
                      .act = kind == K_QLINEAR ? (v == 2 ? 1 : v == 1 ? 2 : 0) : 0};
        memcpy(mc.a_dims, shapes[si].ad, sizeof mc.a_dims);
        memcpy(mc.b_dims, shapes[si].bd, sizeof mc.b_dims);
        ok &= run_case(&mc, seed++);
        cases++;
      }
  printf("QLinearMatMul / MatMulInteger grid: %d cases %s\n", cases, ok ? "ok" : "FAILED");
}

/* Both operands at run time with per-tensor parameters (the run-time path: A packed as the gemm's weights per
 * batch, B's zero point term as the kernels' column bias): attention's Q K^T and scores V shapes of ViT-Ti
 * (3 heads of 50 tokens x 64), batch broadcast, 1-D operands, every signedness of A, B and Y, zero points anywhere
 * in range, clamps; and the same through MatMulInteger. */
static void runtime_grid(void) {
  const struct {
    int ar, br;
    int64_t ad[4], bd[4];
  } shapes[] = {
      {4, 4, {1, 3, 50, 64}, {1, 3, 64, 50}}, {4, 4, {1, 3, 50, 50}, {1, 3, 50, 64}}, {3, 2, {2, 9, 20}, {20, 13}},
      {2, 3, {7, 5}, {4, 5, 17}},             {1, 2, {12}, {12, 9}},                  {2, 1, {6, 12}, {12}},
      {2, 2, {33, 1}, {1, 40}},               {2, 2, {5, 300}, {300, 3}},
  };
  int cases = 0, ok = 1;
  uint32_t seed = 1234;
  for (int kind = K_QLINEAR; kind <= K_INTEGER; kind++)
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
      for (int v = 0; v < 8; v++) {
        mm_case mc = {.kind = (kind_t)kind, .a_rank = shapes[si].ar, .b_rank = shapes[si].br, .a_s8 = v % 2,
                      .b_u8 = (v / 2) % 2, .y_s8 = (v / 4) % 2, .zp_nonzero = v != 6, .const_b = 0,
                      .act = kind == K_QLINEAR ? v % 3 : 0};
        memcpy(mc.a_dims, shapes[si].ad, sizeof mc.a_dims);
        memcpy(mc.b_dims, shapes[si].bd, sizeof mc.b_dims);
        ok &= run_case(&mc, seed++);
        cases++;
      }
  printf("QLinearMatMul / MatMulInteger with both operands at run time: %d cases %s\n", cases, ok ? "ok" : "FAILED");
}

static void qgemm_grid(void) {
  int cases = 0, ok = 1;
  uint32_t seed = 99;
  const int64_t mkn[][3] = {{1, 7, 5}, {4, 16, 9}, {13, 70, 21}, {2, 300, 3}};
  for (size_t si = 0; si < sizeof mkn / sizeof mkn[0]; si++)
    for (int v = 0; v < 20; v++) {
      const int64_t m = mkn[si][0], k = mkn[si][1], n = mkn[si][2];
      mm_case mc = {.kind = K_QGEMM, .a_rank = 2, .b_rank = 2, .trans_a = v % 2, .trans_b = (v / 2) % 2,
                    .c_kind = v % 5, .a_s8 = (v / 3) % 2, .y_s8 = (v / 4) % 2, .per_column = v % 3 != 1,
                    .const_b = v % 7 != 3, .b_u8 = v % 9 == 5, .zp_nonzero = v % 8 == 6,
                    .alpha = v % 4 == 2 ? 0.75f : 1.0f, .float_out = v % 6 == 1, .act = v % 5 == 1 ? 1 : 0};
      mc.a_dims[0] = mc.trans_a ? k : m, mc.a_dims[1] = mc.trans_a ? m : k;
      mc.b_dims[0] = mc.trans_b ? n : k, mc.b_dims[1] = mc.trans_b ? k : n;
      ok &= run_case(&mc, seed++);
      cases++;
    }
  printf("QGemm grid: %d cases %s\n", cases, ok ? "ok" : "FAILED");
}

static void error_case(const char *what, float as, float bs0, float ys, int64_t bs_len, int64_t as_len,
                       qi_status want) {
  qi_graph *gr = qi_graph_new();
  const int64_t ad[2] = {3, 4}, bd[2] = {4, 5}, bl[1] = {bs_len}, al[1] = {as_len};
  uint8_t a[12] = {0}, b[20] = {0}, zp[8] = {0};
  float bsv[8] = {bs0, 1, 1, 1, 1, 1, 1, 1}, asv[3] = {as, as, as};
  int in[8] = {nn_tensor(gr, "a", QINFER_DTYPE_UINT8, 2, ad, a, 0),
               nn_tensor(gr, "a_scale", QINFER_DTYPE_FLOAT, as_len > 1, al, asv, 1),
               nn_tensor(gr, "a_zp", QINFER_DTYPE_UINT8, as_len > 1, al, zp, 1),
               nn_tensor(gr, "b", QINFER_DTYPE_INT8, 2, bd, b, 1),
               nn_tensor(gr, "b_scale", QINFER_DTYPE_FLOAT, bs_len > 1, bl, bsv, 1),
               nn_tensor(gr, "b_zp", QINFER_DTYPE_INT8, bs_len > 1, bl, zp, 1),
               nn_tensor(gr, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &ys, 1),
               nn_tensor(gr, "y_zp", QINFER_DTYPE_UINT8, 0, NULL, zp, 1)};
  int out = nn_output(gr, "y");
  const int node = qi_graph_add_node(gr, "QLinearMatMul", "", in, 8, &out, 1);
  nn_name(gr, node, "bad");
  qi_error err = {0};
  const qi_status st = nn_run(gr, node, NULL, &err);
  CHECK_MSG(st == want, "%s: status %d, want %d (%s)", what, st, want, err.msg);
  if (st != QINFER_OK) printf("  error case %s -> %s\n", what, err.msg);
  qi_graph_free(gr);
}

static void errors(void) {
  error_case("valid", 0.1f, 0.1f, 0.1f, 5, 1, QINFER_OK);
  error_case("zero a scale", 0.0f, 0.1f, 0.1f, 1, 1, QINFER_ERR_QUANT_PARAMS);
  error_case("negative b scale", 0.1f, -1.0f, 0.1f, 5, 1, QINFER_ERR_QUANT_PARAMS);
  error_case("NaN y scale", 0.1f, 0.1f, NAN, 1, 1, QINFER_ERR_QUANT_PARAMS);
  error_case("b scale of 4 values for 5 columns", 0.1f, 0.1f, 0.1f, 4, 1, QINFER_ERR_QUANT_PARAMS);
  error_case("per-row a scale", 0.1f, 0.1f, 0.1f, 1, 3, QINFER_ERR_UNSUPPORTED);
}

int main(void) {
  qh_setup();
  matmul_grid();
  runtime_grid();
  qgemm_grid();
  errors();
  qh_teardown();
  return TEST_SUMMARY();
}
