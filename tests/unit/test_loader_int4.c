/* ONNX int4 / uint4 tensors (types 22 / 21) in the loader and the IR: raw_data (two values per byte, low nibble
 * first, ceil(n / 2) bytes) referenced in place, int32_data (one byte of two nibbles per entry, onnx.proto),
 * qi_dtype_bytes, the bad inputs (short raw_data, int32_data out of 0..255 or of the wrong count, a 4-bit graph
 * input or a 4-bit tensor read by an op that cannot take one), and DequantizeLinear of them through a session,
 * checked against values written out by hand from the ONNX definition. */
#include <stdint.h>
#include <string.h>

#include "engine/ir/ir.h"
#include "loader/onnx_loader.h"
#include "qinfer.h"
#include "test_loader_enc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

/* int4 values -8..7 stored as nibbles; 5 values: 3 bytes, the last high nibble garbage (0xA, ignored). */
static const int8_t I4_VALUES[5] = {-8, 7, -1, 3, 0};
static const uint8_t I4_BYTES[4] = {0x78, 0x3F, 0xA0, 0x55}; /* the 4th: only for a too-long raw_data */
/* uint4 values 0..15: 4 values, 2 bytes. */
static const uint8_t U4_VALUES[4] = {15, 0, 9, 6};
static const uint8_t U4_BYTES[2] = {0x0F, 0x69};

static int find(const qi_graph *g, const char *name) { return qi_graph_find_tensor(g, name); }

/* x (int4 [5], raw_data or int32_data) and u (uint4 [4]) -> DequantizeLinear -> yx, yu; raw_len: bytes of x's
 * raw_data (3 normally); typed: x in int32_data instead (the values given). */
static void build(pbw *m, size_t raw_len, const int64_t *typed, size_t n_typed, int x_dtype) {
  pbw g = {0};
  const int64_t d5[] = {5}, d4[] = {4};
  if (typed) {
    pbw t = {0};
    enc_tensor_head(&t, "x", x_dtype, d5, 1);
    pbw_packed_varint(&t, T_INT32, typed, n_typed);
    pbw_msg(&g, G_INIT, &t);
  } else {
    enc_init_raw(&g, "x", x_dtype, d5, 1, I4_BYTES, raw_len);
  }
  enc_init_raw(&g, "u", QINFER_DTYPE_UINT4, d4, 1, U4_BYTES, sizeof U4_BYTES);
  const float sx = 0.5f, su = 0.25f;
  enc_init_raw(&g, "sx", QINFER_DTYPE_FLOAT, NULL, 0, &sx, 4);
  enc_init_raw(&g, "su", QINFER_DTYPE_FLOAT, NULL, 0, &su, 4);
  const uint8_t zx = 0x0E, zu = 0x05; /* int4 -2 (high nibble unused), uint4 5 */
  enc_init_raw(&g, "zx", QINFER_DTYPE_INT4, NULL, 0, &zx, 1);
  enc_init_raw(&g, "zu", QINFER_DTYPE_UINT4, NULL, 0, &zu, 1);
  const char *in_x[] = {"x", "sx", "zx"}, *out_x[] = {"yx"}, *in_u[] = {"u", "su", "zu"}, *out_u[] = {"yu"};
  enc_node(&g, "DequantizeLinear", "dqx", NULL, in_x, 3, out_x, 1, NULL);
  enc_node(&g, "DequantizeLinear", "dqu", NULL, in_u, 3, out_u, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "yx", QINFER_DTYPE_FLOAT, d5, NULL, 1);
  enc_value_info(&g, G_OUTPUT, "yu", QINFER_DTYPE_FLOAT, d4, NULL, 1);
  const char *dom[] = {""};
  const int64_t ver[] = {21};
  enc_model(m, 10, dom, ver, 1, &g);
}

static void check_ir(void) {
  pbw m = {0};
  build(&m, 3, NULL, 0, QINFER_DTYPE_INT4);
  qi_error err = {0};
  qi_graph *g = NULL;
  CHECK_MSG(qi_onnx_load(m.p, m.n, NULL, &g, &err) == QINFER_OK, "load: %s", err.msg);
  if (g) {
    const qi_tensor *x = &g->tensors[find(g, "x")], *u = &g->tensors[find(g, "u")];
    CHECK(x->dtype == QINFER_DTYPE_INT4 && x->rank == 1 && x->dims[0] == 5 && x->nbytes == 3);
    CHECK(u->dtype == QINFER_DTYPE_UINT4 && u->nbytes == 2);
    /* in place: the bytes are the model's own */
    CHECK((const uint8_t *)x->data >= m.p && (const uint8_t *)x->data + 3 <= m.p + m.n && !(x->flags & QI_TF_OWNED));
    for (int i = 0; i < 5; i++) CHECK(qi_int4_at(x->data, i, x->dtype) == I4_VALUES[i]);
    for (int i = 0; i < 4; i++) CHECK(qi_int4_at(u->data, i, u->dtype) == U4_VALUES[i]);
    CHECK(qi_tensor_int_at(x, 1) == 7 && qi_tensor_int_at(u, 2) == 9);
    CHECK(strcmp(qi_dtype_name(QINFER_DTYPE_INT4), "int4") == 0 && strcmp(qinfer_dtype_name(QINFER_DTYPE_UINT4), "uint4") == 0);
    CHECK(qi_dtype_bytes(QINFER_DTYPE_INT4, 5) == 3 && qi_dtype_bytes(QINFER_DTYPE_UINT4, 4) == 2 &&
          qi_dtype_bytes(QINFER_DTYPE_UINT4, 0) == 0 && qi_dtype_bytes(QINFER_DTYPE_INT8, 5) == 5 &&
          qi_dtype_bytes(QINFER_DTYPE_FLOAT, 5) == 20);
    CHECK(qinfer_dtype_size(QINFER_DTYPE_INT4) == 0);
    /* a clone copies the 4-bit constant's ceil(n / 2) bytes */
    qi_graph *c = qi_graph_clone(g);
    CHECK(c && c->tensors[find(c, "x")].nbytes == 3);
    if (c) CHECK(memcmp(c->tensors[find(c, "x")].data, I4_BYTES, 3) == 0);
    qi_graph_free(c);
  }
  qi_graph_free(g);
  pbw_free(&m);
  /* int32_data: one byte (two nibbles) per entry, ceil(5 / 2) = 3 entries */
  const int64_t typed[] = {0x78, 0x3F, 0x00};
  build(&m, 0, typed, 3, QINFER_DTYPE_INT4);
  g = NULL;
  CHECK_MSG(qi_onnx_load(m.p, m.n, NULL, &g, &err) == QINFER_OK, "load typed: %s", err.msg);
  if (g) {
    const qi_tensor *x = &g->tensors[find(g, "x")];
    CHECK(x->nbytes == 3 && (x->flags & QI_TF_OWNED));
    for (int i = 0; i < 5; i++) CHECK(qi_int4_at(x->data, i, x->dtype) == I4_VALUES[i]);
  }
  qi_graph_free(g);
  pbw_free(&m);
}

/* Loads m and expects status `want` with `needle` in the message. */
static void expect_load(pbw *m, qinfer_status want, const char *needle) {
  qi_error err = {0};
  qi_graph *g = NULL;
  qi_status s = qi_onnx_load(m->p, m->n, NULL, &g, &err);
  CHECK_MSG(s == want && strstr(err.msg, needle), "status %d, message '%s' (want %d, '%s')", s, err.msg, want, needle);
  qi_graph_free(g);
  pbw_free(m);
}

static void check_refused(void) {
  pbw m = {0};
  build(&m, 2, NULL, 0, QINFER_DTYPE_INT4); /* 5 values need 3 bytes */
  expect_load(&m, QINFER_ERR_INVALID_MODEL, "raw_data has 2 bytes, its shape needs 3");
  build(&m, 4, NULL, 0, QINFER_DTYPE_INT4); /* one byte too many */
  expect_load(&m, QINFER_ERR_INVALID_MODEL, "raw_data has 4 bytes");
  const int64_t big[] = {0x78, 0x13F, 0};
  build(&m, 0, big, 3, QINFER_DTYPE_INT4);
  expect_load(&m, QINFER_ERR_INVALID_MODEL, "out of range for int4");
  const int64_t five[] = {8, 15, 15, 3, 0}; /* one value per entry is not ONNX's layout */
  build(&m, 0, five, 5, QINFER_DTYPE_UINT4);
  expect_load(&m, QINFER_ERR_INVALID_MODEL, "int32_data holds 5 values, its shape needs 3");
}

static qinfer_model *load_model(pbw *m) {
  qinfer_model *model = NULL;
  qinfer_status s = qinfer_model_load_buffer(m->p, m->n, NULL, &model);
  CHECK_MSG(s == QINFER_OK, "model: %s", qinfer_last_error());
  return model;
}

/* DequantizeLinear of both tensors through a session; the high nibble 0xA of x's last byte is ignored. */
static void check_session(int threads) {
  pbw m = {0};
  build(&m, 3, NULL, 0, QINFER_DTYPE_INT4);
  qinfer_model *model = load_model(&m);
  qinfer_session_options *o = NULL;
  qinfer_session *s = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_threads(o, threads);
  if (model && qinfer_session_create(model, o, &s) == QINFER_OK && qinfer_session_run(s) == QINFER_OK) {
    const void *p;
    size_t nb;
    CHECK(qinfer_session_get_output(s, 0, &p, &nb) == QINFER_OK && nb == 5 * sizeof(float));
    const float *yx = p;
    for (int i = 0; i < 5; i++) CHECK_MSG(yx[i] == (float)(I4_VALUES[i] + 2) * 0.5f, "yx[%d] = %g", i, yx[i]);
    CHECK(qinfer_session_get_output(s, 1, &p, &nb) == QINFER_OK && nb == 4 * sizeof(float));
    const float *yu = p;
    for (int i = 0; i < 4; i++) CHECK_MSG(yu[i] == (float)(U4_VALUES[i] - 5) * 0.25f, "yu[%d] = %g", i, yu[i]);
  } else {
    CHECK_MSG(0, "session: %s", s ? qinfer_session_last_error(s) : qinfer_last_error());
  }
  qinfer_session_destroy(s);
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(model);
  pbw_free(&m);
}

/* Session creation of m fails with `want` and `needle`. */
static void expect_session_fail(pbw *m, qinfer_status want, const char *needle) {
  qinfer_model *model = load_model(m);
  qinfer_session *s = NULL;
  if (model) {
    qinfer_status st = qinfer_session_create(model, NULL, &s);
    const char *msg = qinfer_last_error();
    CHECK_MSG(st == want && strstr(msg, needle), "status %d: '%s' (want %d, '%s')", st, msg, want, needle);
  }
  qinfer_session_destroy(s);
  qinfer_model_destroy(model);
  pbw_free(m);
}

static void check_unsupported_uses(void) {
  const int64_t d4[] = {4};
  /* a 4-bit graph input */
  pbw g = {0}, m = {0}, attrs = {0};
  const float one = 1.0f;
  enc_init_raw(&g, "s", QINFER_DTYPE_FLOAT, NULL, 0, &one, 4);
  enc_value_info(&g, G_INPUT, "q", QINFER_DTYPE_INT4, d4, NULL, 1);
  const char *in[] = {"q", "s"}, *out[] = {"y"};
  enc_node(&g, "DequantizeLinear", NULL, NULL, in, 2, out, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", QINFER_DTYPE_FLOAT, d4, NULL, 1);
  const char *dom[] = {""};
  const int64_t ver[] = {21};
  enc_model(&m, 10, dom, ver, 1, &g);
  expect_session_fail(&m, QINFER_ERR_UNSUPPORTED, "input 'q' has type int4: 4-bit tensors are supported as constants");
  /* a 4-bit constant read by an op that takes no 4-bit tensors (Reshape) */
  g = (pbw){0};
  enc_init_raw(&g, "w", QINFER_DTYPE_UINT4, d4, 1, U4_BYTES, 2);
  const int64_t shape[] = {2, 2};
  const int64_t d1[] = {2};
  enc_init_raw(&g, "shape", QINFER_DTYPE_INT64, d1, 1, shape, sizeof shape);
  const char *rin[] = {"w", "shape"}, *rout[] = {"y"};
  enc_node(&g, "Reshape", NULL, NULL, rin, 2, rout, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", QINFER_DTYPE_UINT4, NULL, NULL, -1);
  enc_model(&m, 10, dom, ver, 1, &g);
  expect_session_fail(&m, QINFER_ERR_UNSUPPORTED, "Reshape does not take 4-bit tensors");
  /* DequantizeLinear of int4 with a uint4 zero point */
  g = (pbw){0};
  enc_init_raw(&g, "q", QINFER_DTYPE_INT4, d4, 1, U4_BYTES, 2);
  enc_init_raw(&g, "s", QINFER_DTYPE_FLOAT, NULL, 0, &one, 4);
  const uint8_t zu = 3;
  enc_init_raw(&g, "z", QINFER_DTYPE_UINT4, NULL, 0, &zu, 1);
  const char *dq_in[] = {"q", "s", "z"};
  enc_node(&g, "DequantizeLinear", NULL, NULL, dq_in, 3, out, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", QINFER_DTYPE_FLOAT, d4, NULL, 1);
  enc_model(&m, 10, dom, ver, 1, &g);
  expect_session_fail(&m, QINFER_ERR_QUANT_PARAMS, "zero point 'z' has type uint4 but input 'q' has type int4");
  /* QuantizeLinear with output_dtype int4 and a uint4 zero point */
  g = (pbw){0}, attrs = (pbw){0};
  enc_init_raw(&g, "s", QINFER_DTYPE_FLOAT, NULL, 0, &one, 4);
  enc_init_raw(&g, "z", QINFER_DTYPE_UINT4, NULL, 0, &zu, 1);
  enc_value_info(&g, G_INPUT, "x", QINFER_DTYPE_FLOAT, d4, NULL, 1);
  enc_attr_int(&attrs, "output_dtype", QINFER_DTYPE_INT4);
  const char *q_in[] = {"x", "s", "z"}, *q_out[] = {"qy"}, *dq2_in[] = {"qy", "s", "z"};
  enc_node(&g, "QuantizeLinear", NULL, NULL, q_in, 3, q_out, 1, &attrs);
  enc_node(&g, "DequantizeLinear", NULL, NULL, dq2_in, 3, out, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", QINFER_DTYPE_FLOAT, d4, NULL, 1);
  enc_model(&m, 10, dom, ver, 1, &g);
  expect_session_fail(&m, QINFER_ERR_INVALID_MODEL, "output_dtype 22 differs from the zero point's type uint4");
}

int main(void) {
  check_ir();
  check_refused();
  check_session(1);
  check_session(3);
  check_unsupported_uses();
  return TEST_SUMMARY();
}
