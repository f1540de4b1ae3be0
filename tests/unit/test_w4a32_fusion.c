/* Weight-only int4 QDQ (engine/pass_qdq_w4.c): DequantizeLinear(int4 / uint4 constant) -> MatMul / Gemm with a
 * float input runs as one MatMulQB4W node on the W4A32 kernel (the profile names its op and kernel, and no
 * DequantizeLinear is left to make float weights), on every ISA path of the session and 1 or 3 threads; a block
 * the kernels cannot take (8) stays MatMul on folded float weights. Results against a naive double-precision
 * oracle written from the ONNX definition (value = (q - zp) * scale), float tolerance. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "qinfer.h"
#include "test_loader_enc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

enum { M = 5, K = 40, N = 6 };

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
  float s[64], a[M * K], bias[N];
  for (int i = 0; i < K * N; i++) q[i] = q_of(i, c->is_signed);
  for (int i = 0; i < n_params; i++) z[i] = q_of(i * 3 + 1, c->is_signed), s[i] = 0.01f + 0.003f * (float)i;
  for (int i = 0; i < M * K; i++) a[i] = (float)((i * 13) % 17) / 8.0f - 1.0f;
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
  enc_value_info(&g, G_INPUT, "a", QINFER_DTYPE_FLOAT, ad, NULL, 2);
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
  enc_value_info(&g, G_OUTPUT, "y", QINFER_DTYPE_FLOAT, yd, NULL, 2);
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
    printf("skipped: %s %s block %lld on ISA %d (not on this CPU)\n", c->op, c->is_signed ? "int4" : "uint4",
           (long long)c->block, (int)isa);
    goto done;
  }
  CHECK_MSG(st == QINFER_OK, "session: %s", qinfer_last_error());
  if (st != QINFER_OK) goto done;
  CHECK(qinfer_session_set_input(sess, 0, a, sizeof a) == QINFER_OK && qinfer_session_run(sess) == QINFER_OK);
  const qinfer_node_profile *rec;
  size_t n_rec;
  CHECK(qinfer_session_profile(sess, &rec, &n_rec) == QINFER_OK);
  CHECK_MSG(n_rec == 1 && strcmp(rec[0].op_type, c->want) == 0, "%zu nodes, first %s (want one %s)", n_rec,
            n_rec ? rec[0].op_type : "-", c->want);
  if (n_rec == 1 && strcmp(c->want, "MatMulQB4W") == 0)
    CHECK_MSG(strstr(rec[0].kernel, "qi_f32_qb4w_gemm_xw_") != NULL, "kernel %s", rec[0].kernel);
  const void *p;
  size_t nbytes;
  CHECK(qinfer_session_get_output(sess, 0, &p, &nbytes) == QINFER_OK && nbytes == sizeof(float) * M * N);
  const float *y = p;
  int bad = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double want = gemm ? bias[j] : 0.0, mag = fabs(want);
      for (int k = 0; k < K; k++) {
        const size_t pi = p_index(c, k, j);
        const double w = (double)(q[w_index(c, k, j)] - z[pi]) * s[pi];
        want += (double)a[i * K + k] * w;
        mag += fabs((double)a[i * K + k] * w);
      }
      if (fabs(y[i * N + j] - want) > 1e-5 * mag + 1e-6 && bad++ < 3)
        fprintf(stderr, "%s block %lld: y[%d,%d] = %.9g, oracle %.9g\n", c->op, (long long)c->block, i, j,
                (double)y[i * N + j], want);
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
  return TEST_SUMMARY();
}
