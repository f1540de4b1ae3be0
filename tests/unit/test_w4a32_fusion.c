/* Weight-only int4 QDQ (engine/pass_qdq_w4.c): DequantizeLinear(int4 / uint4 constant) -> MatMul / Gemm with a
 * float input runs as one MatMulQB4W node on the W4A32 kernel (the profile names its op and kernel, and no
 * DequantizeLinear is left to make float weights), on every ISA path of the session and 1 or 3 threads; a block
 * the kernels cannot take (8) stays MatMul on folded float weights. A Conv -> Relu the same way becomes one
 * ConvQB4W (the Relu fused). Results against a naive double-precision
 * oracle written from the ONNX definition (value = (q - zp) * scale), float tolerance. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "qinfer.h"
#include "test_loader_enc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

enum { M = 5, M2 = 9, K = 40, N = 6 }; /* M2: the rows after a resize (a re-plan) */

typedef struct wcase {
  const char *op;   /* "MatMul" or "Gemm" */
  bool trans_b;     /* Gemm: W is [N, K] */
  bool is_signed;
  int64_t block;    /* 0: per output channel */
  const char *want; /* op type expected in the profile */
} wcase;

static int8_t q_of(int i, bool s) { return (int8_t)(s ? (i * 7 + 3) % 16 - 8 : (i * 5 + 1) % 16); }

/* Element (k, j) of W's quantized values and its parameter index. */
static size_t w_index(const wcase *c, int k, int j) { return c->trans_b ? (size_t)(j * K + k) : (size_t)(k * N + j); }
static size_t p_index(const wcase *c, int k, int j) {
  if (!c->block) return (size_t)j;
  const int nb = (int)((K + c->block - 1) / c->block), b = k / (int)c->block;
  return c->trans_b ? (size_t)(j * nb + b) : (size_t)(b * N + j);
}

static void pack_nibbles(const int8_t *v, size_t n, uint8_t *out) {
  memset(out, 0, (n + 1) / 2);
  for (size_t i = 0; i < n; i++) out[i / 2] |= (uint8_t)((v[i] & 15) << (i % 2 * 4));
}

static void run_case(const wcase *c, qinfer_isa isa, int threads) {
  const int nb = c->block ? (int)((K + c->block - 1) / c->block) : 1;
  const int n_params = c->block ? nb * N : N;
  int8_t q[K * N], z[64];
  float s[64], a[M2 * K], bias[N];
  for (int i = 0; i < K * N; i++) q[i] = q_of(i, c->is_signed);
  for (int i = 0; i < n_params; i++) z[i] = q_of(i * 3 + 1, c->is_signed), s[i] = 0.01f + 0.003f * (float)i;
  for (int i = 0; i < M2 * K; i++) a[i] = (float)((i * 13) % 17) / 8.0f - 1.0f;
  for (int j = 0; j < N; j++) bias[j] = 0.25f * (float)j - 0.5f;
  uint8_t qb[K * N / 2 + 1], zb[33];
  pack_nibbles(q, K * N, qb);
  pack_nibbles(z, (size_t)n_params, zb);

  pbw g = {0}, m = {0}, dq_attrs = {0}, op_attrs = {0};
  const int dt = c->is_signed ? QINFER_DTYPE_INT4 : QINFER_DTYPE_UINT4;
  const int64_t wd[2] = {c->trans_b ? N : K, c->trans_b ? K : N};
  const int64_t pd_block[2] = {c->trans_b ? N : nb, c->trans_b ? nb : N}, pd_chan[1] = {N};
  enc_init_raw(&g, "wq", dt, wd, 2, qb, (K * N + 1) / 2);
  enc_init_raw(&g, "ws", QINFER_DTYPE_FLOAT, c->block ? pd_block : pd_chan, c->block ? 2 : 1, s,
               sizeof(float) * (size_t)n_params);
  enc_init_raw(&g, "wz", dt, c->block ? pd_block : pd_chan, c->block ? 2 : 1, zb, (size_t)(n_params + 1) / 2);
  const int64_t bd[1] = {N}, ad[2] = {M, K}, yd[2] = {M, N};
  const bool gemm = strcmp(c->op, "Gemm") == 0;
  if (gemm) enc_init_raw(&g, "c", QINFER_DTYPE_FLOAT, bd, 1, bias, sizeof bias);
  const char *const a_sym[2] = {"m", NULL}, *const y_sym[2] = {"m", NULL};
  enc_value_info(&g, G_INPUT, "a", QINFER_DTYPE_FLOAT, ad, a_sym, 2);
  /* the weight's N axis for per-channel scales, its K axis for blocks */
  const int k_axis = c->trans_b ? 1 : 0;
  enc_attr_int(&dq_attrs, "axis", c->block ? k_axis : 1 - k_axis);
  if (c->block) enc_attr_int(&dq_attrs, "block_size", c->block);
  const char *dq_in[] = {"wq", "ws", "wz"}, *dq_out[] = {"w"};
  enc_node(&g, "DequantizeLinear", "dq", NULL, dq_in, 3, dq_out, 1, &dq_attrs);
  const char *op_in[] = {"a", "w", "c"}, *op_out[] = {"y"};
  if (gemm) enc_attr_int(&op_attrs, "transB", c->trans_b);
  enc_node(&g, c->op, "lin", NULL, op_in, gemm ? 3 : 2, op_out, 1, gemm ? &op_attrs : NULL);
  if (!gemm) pbw_free(&op_attrs);
  enc_value_info(&g, G_OUTPUT, "y", QINFER_DTYPE_FLOAT, yd, y_sym, 2);
  const char *dom[] = {""};
  const int64_t ver[] = {21};
  enc_model(&m, 10, dom, ver, 1, &g);

  qinfer_model *model = NULL;
  qinfer_session_options *o = NULL;
  qinfer_session *sess = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_input_shape(o, "a", ad, 2);
  qinfer_session_options_set_threads(o, threads);
  qinfer_session_options_set_isa(o, isa);
  qinfer_session_options_set_profiling(o, 1);
  qinfer_status st = qinfer_model_load_buffer(m.p, m.n, NULL, &model);
  if (st == QINFER_OK) st = qinfer_session_create(model, o, &sess);
  if (st == QINFER_ERR_UNSUPPORTED && isa != QINFER_ISA_AUTO && isa != QINFER_ISA_SCALAR) {
    printf("skipped: %s %s block %lld on ISA %d (not on this CPU)\n", c->op, c->is_signed ? "int4" : "uint4",
           (long long)c->block, (int)isa);
    goto done;
  }
  CHECK_MSG(st == QINFER_OK, "session: %s", qinfer_last_error());
  if (st != QINFER_OK) goto done;
  for (int rows = M; rows <= M2; rows += M2 - M) { /* then again after a resize: the packed weights are kept */
    if (rows != M) {
      const int64_t rd[2] = {rows, K};
      CHECK(qinfer_session_resize_input(sess, 0, rd, 2) == QINFER_OK);
    }
    CHECK(qinfer_session_set_input(sess, 0, a, sizeof(float) * (size_t)(rows * K)) == QINFER_OK &&
          qinfer_session_run(sess) == QINFER_OK);
    const qinfer_node_profile *rec;
    size_t n_rec;
    CHECK(qinfer_session_profile(sess, &rec, &n_rec) == QINFER_OK);
    CHECK_MSG(n_rec == 1 && strcmp(rec[0].op_type, c->want) == 0, "%zu nodes, first %s (want one %s)", n_rec,
              n_rec ? rec[0].op_type : "-", c->want);
    if (n_rec == 1 && strcmp(c->want, "MatMulQB4W") == 0)
      CHECK_MSG(strstr(rec[0].kernel, "qi_f32_qb4w_gemm_xw_") != NULL, "kernel %s", rec[0].kernel);
    const void *p;
    size_t nbytes;
    CHECK(qinfer_session_get_output(sess, 0, &p, &nbytes) == QINFER_OK && nbytes == sizeof(float) * (size_t)(rows * N));
    const float *y = p;
    int bad = 0;
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < N; j++) {
        double want = gemm ? bias[j] : 0.0, mag = fabs(want);
        for (int k = 0; k < K; k++) {
          const size_t pi = p_index(c, k, j);
          const double w = (double)(q[w_index(c, k, j)] - z[pi]) * s[pi];
          want += (double)a[i * K + k] * w;
          mag += fabs((double)a[i * K + k] * w);
        }
        if (fabs(y[i * N + j] - want) > 1e-5 * mag + 1e-6 && bad++ < 3)
          fprintf(stderr, "%s block %lld, %d rows: y[%d,%d] = %.9g, oracle %.9g\n", c->op, (long long)c->block, rows,
                  i, j, (double)y[i * N + j], want);
      }
    CHECK(bad == 0);
  }
done:
  qinfer_session_destroy(sess);
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(model);
  pbw_free(&m);
}

/* X [1, C, 5, 5] -> Conv 3x3 pad 1 (W int4 [OC, C, 3, 3] per output channel, bias) -> Relu. */
enum { C = 4, OC = 6, H = 5 };
static void run_conv(qinfer_isa isa, int threads) {
  int8_t q[OC * C * 9], z[OC];
  float s[OC], x[C * H * H], bias[OC];
  for (int i = 0; i < OC * C * 9; i++) q[i] = q_of(i, true);
  for (int i = 0; i < OC; i++) z[i] = q_of(i + 5, true), s[i] = 0.02f + 0.01f * (float)i, bias[i] = 0.1f * (float)i - 0.2f;
  for (int i = 0; i < C * H * H; i++) x[i] = (float)((i * 11) % 13) / 6.0f - 1.0f;
  uint8_t qb[OC * C * 9 / 2 + 1], zb[OC / 2 + 1];
  pack_nibbles(q, OC * C * 9, qb);
  pack_nibbles(z, OC, zb);
  pbw g = {0}, m = {0}, dq_attrs = {0}, conv_attrs = {0};
  const int64_t wd[4] = {OC, C, 3, 3}, pd[1] = {OC}, xd[4] = {1, C, H, H}, yd[4] = {1, OC, H, H};
  enc_init_raw(&g, "wq", QINFER_DTYPE_INT4, wd, 4, qb, (OC * C * 9 + 1) / 2);
  enc_init_raw(&g, "ws", QINFER_DTYPE_FLOAT, pd, 1, s, sizeof s);
  enc_init_raw(&g, "wz", QINFER_DTYPE_INT4, pd, 1, zb, (OC + 1) / 2);
  enc_init_raw(&g, "b", QINFER_DTYPE_FLOAT, pd, 1, bias, sizeof bias);
  enc_value_info(&g, G_INPUT, "x", QINFER_DTYPE_FLOAT, xd, NULL, 4);
  enc_attr_int(&dq_attrs, "axis", 0);
  const char *dq_in[] = {"wq", "ws", "wz"}, *dq_out[] = {"w"};
  enc_node(&g, "DequantizeLinear", "dq", NULL, dq_in, 3, dq_out, 1, &dq_attrs);
  const int64_t pads[4] = {1, 1, 1, 1};
  pbw a = {0};
  enc_attr_begin(&a, "pads", 7);
  pbw_packed_varint(&a, A_INTS, pads, 4);
  pbw_msg(&conv_attrs, N_ATTR, &a);
  const char *c_in[] = {"x", "w", "b"}, *c_out[] = {"c"}, *r_in[] = {"c"}, *r_out[] = {"y"};
  enc_node(&g, "Conv", "conv", NULL, c_in, 3, c_out, 1, &conv_attrs);
  enc_node(&g, "Relu", "relu", NULL, r_in, 1, r_out, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", QINFER_DTYPE_FLOAT, yd, NULL, 4);
  const char *dom[] = {""};
  const int64_t ver[] = {21};
  enc_model(&m, 10, dom, ver, 1, &g);
  qinfer_model *model = NULL;
  qinfer_session_options *o = NULL;
  qinfer_session *sess = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_threads(o, threads);
  qinfer_session_options_set_isa(o, isa);
  qinfer_session_options_set_profiling(o, 1);
  qinfer_status st = qinfer_model_load_buffer(m.p, m.n, NULL, &model);
  if (st == QINFER_OK) st = qinfer_session_create(model, o, &sess);
  if (st == QINFER_ERR_UNSUPPORTED && isa != QINFER_ISA_AUTO && isa != QINFER_ISA_SCALAR) {
    printf("skipped: Conv int4 on ISA %d (not on this CPU)\n", (int)isa);
    goto done;
  }
  CHECK_MSG(st == QINFER_OK, "session: %s", qinfer_last_error());
  if (st != QINFER_OK) goto done;
  CHECK(qinfer_session_set_input(sess, 0, x, sizeof x) == QINFER_OK && qinfer_session_run(sess) == QINFER_OK);
  const qinfer_node_profile *rec;
  size_t n_rec;
  CHECK(qinfer_session_profile(sess, &rec, &n_rec) == QINFER_OK);
  CHECK_MSG(n_rec == 1 && strcmp(rec[0].op_type, "ConvQB4W") == 0 && strstr(rec[0].kernel, "qi_f32_qb4w_gemm_"),
            "%zu nodes, first %s", n_rec, n_rec ? rec[0].op_type : "-");
  const void *p;
  size_t nbytes;
  CHECK(qinfer_session_get_output(sess, 0, &p, &nbytes) == QINFER_OK && nbytes == sizeof(float) * OC * H * H);
  const float *y = p;
  int bad = 0;
  for (int oc = 0; oc < OC; oc++)
    for (int oy = 0; oy < H; oy++)
      for (int ox = 0; ox < H; ox++) {
        double want = bias[oc], mag = fabs(want);
        for (int c = 0; c < C; c++)
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
              const int iy = oy + ky - 1, ix = ox + kx - 1;
              if (iy < 0 || iy >= H || ix < 0 || ix >= H) continue;
              const double w = (double)(q[((oc * C + c) * 3 + ky) * 3 + kx] - z[oc]) * s[oc];
              want += w * x[(c * H + iy) * H + ix];
              mag += fabs(w * x[(c * H + iy) * H + ix]);
            }
        want = want > 0 ? want : 0;
        const float got = y[(oc * H + oy) * H + ox];
        if (fabs(got - want) > 1e-5 * mag + 1e-6 && bad++ < 3)
          fprintf(stderr, "conv: y[%d,%d,%d] = %.9g, oracle %.9g\n", oc, oy, ox, (double)got, want);
      }
  CHECK(bad == 0);
done:
  qinfer_session_destroy(sess);
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(model);
  pbw_free(&m);
}

int main(void) {
  const wcase cases[] = {
      {"MatMul", false, true, 16, "MatMulQB4W"},  {"MatMul", false, false, 32, "MatMulQB4W"},
      {"MatMul", false, true, 0, "MatMulQB4W"},   {"Gemm", true, true, 16, "MatMulQB4W"},
      {"Gemm", false, false, 0, "MatMulQB4W"},    {"Gemm", true, false, 32, "MatMulQB4W"},
      {"MatMul", false, true, 8, "MatMul"}, /* a block the kernels cannot take: the float path */
  };
  const qinfer_isa isas[] = {QINFER_ISA_AUTO, QINFER_ISA_SCALAR, QINFER_ISA_AVX2, QINFER_ISA_AVX512VNNI};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (size_t a = 0; a < sizeof isas / sizeof isas[0]; a++) run_case(&cases[i], isas[a], a == 0 ? 3 : 1);
  for (size_t a = 0; a < sizeof isas / sizeof isas[0]; a++) run_conv(isas[a], a == 0 ? 3 : 1);
  return TEST_SUMMARY();
}
