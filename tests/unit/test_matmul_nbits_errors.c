/* com.microsoft.MatMulNBits refused with a clear error code and message, never run wrongly: bits other than 4,
 * a B of the wrong shape or type, scales / zero points of the wrong count, a B that is not a constant, g_idx
 * other than k / block_size, a block_size that is not a power of 2 >= 16. The valid model it starts from runs
 * (its values are checked against ONNX Runtime in tests/quant_ops/cases_matmul_nbits.py). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "qinfer.h"
#include "test_loader_enc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

enum { K = 32, N = 3, BLOCK = 16, NB = 2 };

typedef struct spec {
  int64_t bits, block;
  int64_t b_dims[3];
  int b_dtype;
  int n_scales;
  int zp_bytes;     /* uint8 zero points (0: none) */
  bool b_input;     /* B a graph input instead of an initializer */
  int32_t g_idx_at; /* -1: no g_idx; else g_idx with entry 5 set to this */
} spec;

static spec valid(void) {
  return (spec){4, BLOCK, {N, NB, BLOCK / 2}, QINFER_DTYPE_UINT8, N * NB, N, false, -1};
}

static void build(pbw *m, const spec *s) {
  pbw g = {0}, attrs = {0};
  const int64_t da[] = {2, K}, dy[] = {2, N};
  uint8_t b[N * NB * BLOCK] = {0};
  for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)(i * 37);
  const size_t b_bytes = (size_t)(s->b_dims[0] * s->b_dims[1] * s->b_dims[2]);
  if (s->b_input) enc_value_info(&g, G_INPUT, "B", s->b_dtype, s->b_dims, NULL, 3);
  else enc_init_raw(&g, "B", s->b_dtype, s->b_dims, 3, b, b_bytes);
  float sc[64];
  for (int i = 0; i < 64; i++) sc[i] = 0.01f * (float)(i + 1);
  const int64_t dsc[] = {s->n_scales};
  enc_init_raw(&g, "scales", QINFER_DTYPE_FLOAT, dsc, 1, sc, sizeof(float) * (size_t)s->n_scales);
  const char *in[6] = {"A", "B", "scales", "", "", ""};
  int n_in = 3;
  if (s->zp_bytes) {
    const uint8_t zp[16] = {0x88, 0x77, 0x66, 0x55};
    const int64_t dz[] = {s->zp_bytes};
    enc_init_raw(&g, "zp", QINFER_DTYPE_UINT8, dz, 1, zp, (size_t)s->zp_bytes);
    in[3] = "zp";
    n_in = 4;
  }
  if (s->g_idx_at >= 0) {
    int32_t gi[K];
    for (int k = 0; k < K; k++) gi[k] = k / BLOCK;
    gi[5] = s->g_idx_at;
    const int64_t dk[] = {K};
    enc_init_raw(&g, "g_idx", QINFER_DTYPE_INT32, dk, 1, gi, sizeof gi);
    in[4] = "g_idx";
    n_in = 5;
  }
  enc_value_info(&g, G_INPUT, "A", QINFER_DTYPE_FLOAT, da, NULL, 2);
  enc_attr_int(&attrs, "K", K);
  enc_attr_int(&attrs, "N", N);
  enc_attr_int(&attrs, "bits", s->bits);
  enc_attr_int(&attrs, "block_size", s->block);
  const char *out[] = {"Y"};
  enc_node(&g, "MatMulNBits", "mmnb", "com.microsoft", in, n_in, out, 1, &attrs);
  enc_value_info(&g, G_OUTPUT, "Y", QINFER_DTYPE_FLOAT, dy, NULL, 2);
  const char *dom[] = {"", "com.microsoft"};
  const int64_t ver[] = {21, 1};
  enc_model(m, 10, dom, ver, 2, &g);
}

/* want QINFER_OK: the session is made and runs. */
static void expect(const spec *s, qinfer_status want, const char *needle) {
  pbw m = {0};
  build(&m, s);
  qinfer_model *model = NULL;
  qinfer_session *sess = NULL;
  qinfer_status st = qinfer_model_load_buffer(m.p, m.n, NULL, &model);
  if (st == QINFER_OK) st = qinfer_session_create(model, NULL, &sess);
  const char *msg = st == QINFER_OK ? "" : qinfer_last_error();
  if (st == QINFER_OK && !s->b_input) {
    float a[2 * K];
    for (int i = 0; i < 2 * K; i++) a[i] = (float)(i % 5) - 2.0f;
    st = qinfer_session_set_input(sess, 0, a, sizeof a);
    if (st == QINFER_OK) st = qinfer_session_run(sess);
    if (st != QINFER_OK) msg = qinfer_session_last_error(sess);
  }
  CHECK_MSG(st == want && (!needle || strstr(msg, needle)), "status %d '%s' (want %d, '%s')", st, msg, want,
            needle ? needle : "");
  qinfer_session_destroy(sess);
  qinfer_model_destroy(model);
  pbw_free(&m);
}

int main(void) {
  spec s = valid();
  expect(&s, QINFER_OK, NULL);
  s = valid(), s.bits = 8, s.b_dims[2] = BLOCK;
  expect(&s, QINFER_ERR_UNSUPPORTED, "bits = 8: only 4-bit weights are supported");
  s = valid(), s.b_dims[1] = 1;
  expect(&s, QINFER_ERR_INVALID_MODEL, "B 'B' is uint8 [3,1,8]; uint8 [3, 2, 8] expected");
  s = valid(), s.b_dtype = QINFER_DTYPE_INT8;
  expect(&s, QINFER_ERR_INVALID_MODEL, "B 'B' is int8");
  s = valid(), s.n_scales = N * NB - 1;
  expect(&s, QINFER_ERR_INVALID_MODEL, "scales 'scales' must hold N * n_blocks = 6 floats");
  s = valid(), s.zp_bytes = N + 1;
  expect(&s, QINFER_ERR_INVALID_MODEL, "zero_points 'zp' (uint8, 4 values)");
  s = valid(), s.b_input = true;
  expect(&s, QINFER_ERR_UNSUPPORTED, "B 'B' must be a constant");
  s = valid(), s.g_idx_at = 1;
  expect(&s, QINFER_ERR_UNSUPPORTED, "g_idx 'g_idx'[5] = 1: only g_idx[k] = k / block_size (0)");
  s = valid(), s.g_idx_at = 0; /* the default order is taken */
  expect(&s, QINFER_OK, NULL);
  s = valid(), s.block = 24;
  expect(&s, QINFER_ERR_INVALID_MODEL, "block_size = 24");
  return TEST_SUMMARY();
}
