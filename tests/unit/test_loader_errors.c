/* ONNX loader on hostile input: every malformed model is refused with the right status and a clear message,
 * never a crash, leak or out-of-bounds read (run this under the Sanitize build). */
#include <stdint.h>
#include <string.h>

#include "loader/onnx_loader.h"
#include "test_loader_enc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

/* Loads from an exact-size heap copy (so that ASan sees any over-read) and frees the graph. */
static qi_status load_bytes(const uint8_t *p, size_t n, qi_error *err) {
  uint8_t *copy = malloc(n ? n : 1);
  if (n) memcpy(copy, p, n);
  qi_graph *g = NULL;
  qi_status s = qi_onnx_load(copy, n, NULL, &g, err);
  if ((s == QINFER_OK) != (g != NULL)) s = (qi_status)-1; /* a graph exactly when OK */
  qi_graph_free(g);
  free(copy);
  return s;
}

/* Checks that model m fails with status want and a message containing needle; frees m. */
#define EXPECT(m, want, needle) expect_(m, want, needle, __LINE__)
static void expect_(pbw *m, qi_status want, const char *needle, int line) {
  qi_error err = {0};
  qi_status s = load_bytes(m->p, m->n, &err);
  CHECK_MSG(s == want && strstr(err.msg, needle), "line %d: status %d (want %d), message '%s' (want '%s')", line,
            (int)s, (int)want, err.msg, needle);
  pbw_free(m);
}

/* A small valid model: x -> Relu -> h -> Add(h, W) -> y, with attributes, a Constant and an initializer. */
static void valid_model(pbw *m) {
  pbw g = {0}, attrs = {0}, a;
  const float w[4] = {1, 2, 3, 4};
  const int64_t d4[] = {4}, d14[] = {-1, 4};
  const char *pn[] = {"batch", NULL};
  enc_init_raw(&g, "W", 1, d4, 1, w, sizeof w);
  enc_value_info(&g, G_INPUT, "x", 1, d14, pn, 2);
  enc_attr_float(&attrs, "alpha", 0.5f);
  enc_attr_begin(&a, "perm", 7);
  const int64_t perm[] = {1, 0};
  pbw_packed_varint(&a, A_INTS, perm, 2);
  pbw_msg(&attrs, N_ATTR, &a);
  const char *r_in[] = {"x"}, *r_out[] = {"h"};
  enc_node(&g, "Relu", "relu", NULL, r_in, 1, r_out, 1, &attrs);
  attrs = (pbw){0};
  enc_attr_begin(&a, "value", 4);
  pbw t = {0};
  enc_tensor_raw(&t, NULL, 1, d4, 1, w, sizeof w);
  pbw_msg(&a, A_T, &t);
  pbw_msg(&attrs, N_ATTR, &a);
  const char *c_out[] = {"c"};
  enc_node(&g, "Constant", "const", NULL, NULL, 0, c_out, 1, &attrs);
  const char *a_in[] = {"h", "W", "c"}, *a_out[] = {"y"};
  enc_node(&g, "Sum", "sum", NULL, a_in, 3, a_out, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d14, pn, 2);
  enc_model17(m, &g);
}

static void check_valid_and_truncated(void) {
  pbw m = {0};
  valid_model(&m);
  qi_error err = {0};
  CHECK_MSG(load_bytes(m.p, m.n, &err) == QINFER_OK, "%s", err.msg);
  int refused = 0;
  for (size_t n = 0; n < m.n; n++) {
    qi_error e = {0};
    qi_status s = load_bytes(m.p, n, &e);
    if (s == QINFER_ERR_INVALID_MODEL && e.msg[0]) refused++;
    else fprintf(stderr, "prefix of %zu bytes: status %d '%s'\n", n, (int)s, e.msg);
  }
  CHECK_MSG(refused == (int)m.n, "%d of %zu prefixes refused", refused, m.n);
  pbw_free(&m);
}

/* Random byte corruption: any outcome but a crash, leak or a graph returned with an error is fine. */
static void check_corruption(void) {
  pbw m = {0};
  valid_model(&m);
  uint8_t *buf = malloc(m.n);
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  int bad = 0;
  for (int iter = 0; iter < 20000; iter++) {
    memcpy(buf, m.p, m.n);
    int flips = 1 + iter % 4;
    for (int f = 0; f < flips; f++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      buf[(seed >> 33) % m.n] = (uint8_t)(seed >> 13);
    }
    qi_error e = {0};
    qi_status s = load_bytes(buf, m.n, &e);
    if (s == (qi_status)-1 || (s != QINFER_OK && e.msg[0] == '\0')) bad++;
  }
  CHECK(bad == 0);
  free(buf);
  pbw_free(&m);
}

/* Wraps graph g in a model and checks the failure. */
#define EXPECT_GRAPH(g, want, needle)   \
  do {                                  \
    pbw m_ = {0};                       \
    enc_model17(&m_, g);                \
    EXPECT(&m_, want, needle);          \
  } while (0)

/* A graph with input x [1] and output y = Relu(x); extra holds fields added before the output. */
static void simple_graph(pbw *g, const char *in_name, const char *out_name) {
  const int64_t d1[] = {1};
  const char *in[] = {in_name}, *out[] = {out_name};
  enc_value_info(g, G_INPUT, "x", 1, d1, NULL, 1);
  enc_node(g, "Relu", "r", NULL, in, 1, out, 1, NULL);
  enc_value_info(g, G_OUTPUT, "y", 1, d1, NULL, 1);
}

static void check_wire_errors(void) {
  pbw g, m, t;
  const int64_t d1[] = {1};
  /* raw_data sent as a varint */
  g = (pbw){0};
  t = (pbw){0};
  enc_tensor_head(&t, "W", 1, d1, 1);
  pbw_int(&t, T_RAW, 5);
  pbw_msg(&g, G_INIT, &t);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "wrong wire type");
  /* a node name sent as fixed32 */
  g = (pbw){0};
  pbw n = {0};
  pbw_str(&n, N_OP, "Relu");
  pbw_f32(&n, N_NAME, 1.0f);
  pbw_msg(&g, G_NODE, &n);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "wrong wire type");
  /* wire types 3, 4 (groups), 6 and 7 */
  for (int wt = 3; wt <= 7; wt += (wt == 4 ? 2 : 1)) {
    m = (pbw){0};
    pbw_int(&m, M_IR, 8);
    pbw_tag(&m, 9, wt);
    pbw_varint(&m, 1);
    EXPECT(&m, QINFER_ERR_INVALID_MODEL, "malformed");
  }
  /* a length prefix far beyond the buffer */
  m = (pbw){0};
  pbw_tag(&m, M_GRAPH, WT_LEN);
  pbw_varint(&m, 1ull << 62);
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "malformed");
  /* a varint that never ends */
  m = (pbw){0};
  pbw_tag(&m, M_IR, WT_VARINT);
  for (int i = 0; i < 12; i++) pbw_raw(&m, "\xff", 1);
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "malformed");
  /* empty buffer, no graph, two graphs */
  m = (pbw){0};
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "empty");
  m = (pbw){0};
  pbw_int(&m, M_IR, 8);
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "no graph");
  g = (pbw){0};
  simple_graph(&g, "x", "y");
  m = (pbw){0};
  pbw_bytes(&m, M_GRAPH, g.p, g.n);
  enc_model17(&m, &g);
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "more than one graph");
}

/* One initializer tensor t (already encoded) in an otherwise valid graph. */
static void expect_tensor(pbw *t, qi_status want, const char *needle, int line) {
  pbw g = {0}, m = {0};
  pbw_msg(&g, G_INIT, t);
  simple_graph(&g, "x", "y");
  enc_model17(&m, &g);
  expect_(&m, want, needle, line);
}
#define EXPECT_TENSOR(t, want, needle) expect_tensor(t, want, needle, __LINE__)

static void check_tensor_errors(void) {
  pbw t;
  const float f4[4] = {0};
  const int64_t d1[] = {1}, d2[] = {2}, d22[] = {2, 2};
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 99, d1, 1, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "unknown data type 99");
  t = (pbw){0};
  enc_tensor_raw(&t, "W", -3, d1, 1, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "unknown data type");
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 0, d1, 1, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "no data type");
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 16, d1, 1, f4, 2);
  EXPECT_TENSOR(&t, QINFER_ERR_UNSUPPORTED, "bfloat16");
  t = (pbw){0};
  enc_tensor_head(&t, "W", 8, d1, 1);
  pbw_str(&t, T_STRING, "hello");
  EXPECT_TENSOR(&t, QINFER_ERR_UNSUPPORTED, "string tensors");
  /* raw_data size disagreeing with dims x element size */
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 1, d22, 2, f4, 12);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "raw_data has 12 bytes");
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 7, d1, 1, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "raw_data has 4 bytes");
  /* typed field count mismatch, wrong field for the type, values out of range, two sources */
  const int64_t v3[] = {1, 2, 3};
  t = (pbw){0};
  enc_tensor_head(&t, "W", 7, d2, 1);
  pbw_packed_varint(&t, T_INT64, v3, 3);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "int64_data holds 3 values");
  t = (pbw){0};
  enc_tensor_head(&t, "W", 1, d2, 1);
  pbw_packed_varint(&t, T_INT64, v3, 2);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "wrong field");
  const int64_t big[] = {300, 1};
  t = (pbw){0};
  enc_tensor_head(&t, "W", 2, d2, 1);
  pbw_packed_varint(&t, T_INT32, big, 2);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "out of range");
  const int64_t huge[] = {1LL << 40};
  t = (pbw){0};
  enc_tensor_head(&t, "W", 6, d1, 1);
  pbw_packed_varint(&t, T_INT32, huge, 1);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "out of range");
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 1, d1, 1, f4, 4);
  pbw_f32(&t, T_FLOAT, 1.f);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "more than one field");
  t = (pbw){0};
  enc_tensor_head(&t, "W", 1, d2, 1);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "float_data holds 0 values");
  /* dims: negative, overflowing product, rank 9 */
  const int64_t neg[] = {2, -1};
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 1, neg, 2, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "negative dimension or its size overflows");
  const int64_t ovf[] = {1LL << 32, 1LL << 32};
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 1, ovf, 2, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "overflows");
  const int64_t bytes_ovf[] = {1LL << 31, 1LL << 31, 4};
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 11, bytes_ovf, 3, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "overflows");
  const int64_t r9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 1, r9, 9, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_UNSUPPORTED, "rank 9");
  /* segments, bad data_location, external data without a folder, no name, NUL in name */
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 1, d1, 1, f4, 4);
  pbw seg = {0};
  pbw_int(&seg, 1, 0);
  pbw_msg(&t, T_SEGMENT, &seg);
  EXPECT_TENSOR(&t, QINFER_ERR_UNSUPPORTED, "segment");
  t = (pbw){0};
  enc_tensor_raw(&t, "W", 1, d1, 1, f4, 4);
  pbw_int(&t, T_LOCATION, 7);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "data_location");
  t = (pbw){0};
  enc_tensor_head(&t, "W", 1, d1, 1);
  pbw kv = {0};
  pbw_str(&kv, 1, "location");
  pbw_str(&kv, 2, "w.bin");
  pbw_msg(&t, T_EXTERNAL, &kv);
  pbw_int(&t, T_LOCATION, 1);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "refused without a base folder");
  t = (pbw){0};
  enc_tensor_raw(&t, NULL, 1, d1, 1, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "has no name");
  t = (pbw){0};
  pbw_bytes(&t, T_NAME, "a\0b", 3);
  enc_tensor_raw(&t, NULL, 1, d1, 1, f4, 4);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "NUL byte");
  /* malformed packed float_data (not a multiple of 4 bytes) */
  t = (pbw){0};
  enc_tensor_head(&t, "W", 1, d1, 1);
  pbw_bytes(&t, T_FLOAT, f4, 3);
  EXPECT_TENSOR(&t, QINFER_ERR_INVALID_MODEL, "float_data");
}

static void check_graph_errors(void) {
  pbw g, attrs, a;
  const int64_t d1[] = {1};
  const float one = 1.f;
  /* dangling input */
  g = (pbw){0};
  simple_graph(&g, "nope", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "reads 'nope'");
  /* cycle: y = Relu(z), z = Relu(y) */
  g = (pbw){0};
  const char *i1[] = {"z"}, *o1[] = {"y"}, *i2[] = {"y"}, *o2[] = {"z"};
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  enc_node(&g, "Relu", "a", NULL, i1, 1, o1, 1, NULL);
  enc_node(&g, "Relu", "b", NULL, i2, 1, o2, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "cycle");
  /* self loop */
  g = (pbw){0};
  simple_graph(&g, "y", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "cycle");
  /* duplicate outputs: two nodes, a node and an initializer, a node and a graph input, one node twice */
  g = (pbw){0};
  const char *x[] = {"x"}, *yy[] = {"y", "y"};
  enc_node(&g, "Relu", "first", NULL, x, 1, yy, 1, NULL);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "produced twice");
  g = (pbw){0};
  enc_init_raw(&g, "y", 1, d1, 1, &one, 4);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "produced twice");
  g = (pbw){0};
  simple_graph(&g, "x", "x");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "produced twice");
  g = (pbw){0};
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  enc_node(&g, "Split", "s", NULL, x, 1, yy, 2, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "produced twice");
  /* duplicate initializer, duplicate input, duplicate output */
  g = (pbw){0};
  enc_init_raw(&g, "W", 1, d1, 1, &one, 4);
  enc_init_raw(&g, "W", 1, d1, 1, &one, 4);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "defined twice");
  g = (pbw){0};
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "listed twice");
  g = (pbw){0};
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "listed twice");
  /* unknown graph output, no outputs, nameless input / output, empty op_type */
  g = (pbw){0};
  enc_value_info(&g, G_OUTPUT, "ghost", 1, d1, NULL, 1);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "'ghost' is not produced");
  g = (pbw){0};
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "no outputs");
  g = (pbw){0};
  enc_value_info(&g, G_INPUT, "", 1, d1, NULL, 1);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "has no name");
  g = (pbw){0};
  enc_value_info(&g, G_OUTPUT, "", 1, d1, NULL, 1);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "has no name");
  g = (pbw){0};
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  enc_node(&g, "", "noop", NULL, x, 1, o1, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "no op_type");
  /* graph input types: missing, not a tensor, unknown element type, negative dim, rank 9 */
  g = (pbw){0};
  pbw vi = {0};
  pbw_str(&vi, 1, "x");
  pbw_msg(&g, G_INPUT, &vi);
  enc_node(&g, "Relu", "r", NULL, x, 1, o1, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "has no type");
  g = (pbw){0};
  vi = (pbw){0};
  pbw_str(&vi, 1, "x");
  pbw type = {0}, seq = {0};
  pbw_msg(&type, 4, &seq); /* sequence_type */
  pbw_msg(&vi, 2, &type);
  pbw_msg(&g, G_INPUT, &vi);
  enc_node(&g, "Relu", "r", NULL, x, 1, o1, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_UNSUPPORTED, "not a tensor");
  g = (pbw){0};
  enc_value_info(&g, G_INPUT, "x", 42, d1, NULL, 1);
  enc_node(&g, "Relu", "r", NULL, x, 1, o1, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "unknown data type 42");
  g = (pbw){0};
  vi = (pbw){0};
  pbw_str(&vi, 1, "x");
  type = (pbw){0};
  pbw tt = {0}, shape = {0}, dim = {0};
  pbw_int(&tt, 1, 1);
  pbw_int(&dim, 1, -4);
  pbw_msg(&shape, 1, &dim);
  pbw_msg(&tt, 2, &shape);
  pbw_msg(&type, 1, &tt);
  pbw_msg(&vi, 2, &type);
  pbw_msg(&g, G_INPUT, &vi);
  enc_node(&g, "Relu", "r", NULL, x, 1, o1, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "negative");
  g = (pbw){0};
  const int64_t r9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  enc_value_info(&g, G_INPUT, "x", 1, r9, NULL, 9);
  enc_node(&g, "Relu", "r", NULL, x, 1, o1, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_UNSUPPORTED, "rank 9");
  /* sparse initializer */
  g = (pbw){0};
  pbw sp = {0};
  pbw_int(&sp, 3, 1);
  pbw_msg(&g, G_SPARSE_INIT, &sp);
  simple_graph(&g, "x", "y");
  EXPECT_GRAPH(&g, QINFER_ERR_UNSUPPORTED, "sparse initializers");

  /* attributes: no name, no type, unknown type, given twice, ref_attr_name, TENSOR without a tensor */
  struct {
    int kind;
    qi_status want;
    const char *needle;
  } const cases[] = {{0, QINFER_ERR_INVALID_MODEL, "has no name"},      {1, QINFER_ERR_INVALID_MODEL, "has no type"},
                     {2, QINFER_ERR_INVALID_MODEL, "unknown type 99"},  {3, QINFER_ERR_INVALID_MODEL, "given twice"},
                     {4, QINFER_ERR_INVALID_MODEL, "ref_attr_name"},    {5, QINFER_ERR_INVALID_MODEL, "has no tensor"},
                     {6, QINFER_ERR_INVALID_MODEL, "unknown data type"}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    g = (pbw){0};
    attrs = (pbw){0};
    a = (pbw){0};
    switch (cases[c].kind) {
      case 0: pbw_int(&a, A_TYPE, 2); break;
      case 1: pbw_str(&a, A_NAME, "k"); break;
      case 2: pbw_str(&a, A_NAME, "k"); pbw_int(&a, A_TYPE, 99); break;
      case 3: enc_attr_int(&attrs, "k", 1); enc_attr_begin(&a, "k", 2); break;
      case 4: enc_attr_begin(&a, "k", 2); pbw_str(&a, A_REF, "outer"); break;
      case 5: enc_attr_begin(&a, "k", 4); break;
      case 6: {
        enc_attr_begin(&a, "k", 4);
        pbw t = {0};
        enc_tensor_raw(&t, NULL, 77, d1, 1, &one, 4);
        pbw_msg(&a, A_T, &t);
        break;
      }
    }
    pbw_msg(&attrs, N_ATTR, &a);
    enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
    enc_node(&g, "Relu", "r", NULL, x, 1, o1, 1, &attrs);
    enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
    pbw m = {0};
    enc_model17(&m, &g);
    expect_(&m, cases[c].want, cases[c].needle, __LINE__ * 1000 + (int)c);
  }

  /* Constant nodes: unsupported forms, two attributes, wrong type, an input */
  const char *const_out[] = {"y"};
  const char *names[] = {"value_string", "sparse_value", "value_strings"};
  for (int k = 0; k < 3; k++) {
    g = (pbw){0};
    attrs = (pbw){0};
    enc_attr_begin(&a, names[k], k == 0 ? 3 : k == 1 ? 11 : 8);
    pbw_msg(&attrs, N_ATTR, &a);
    enc_node(&g, "Constant", "c", NULL, NULL, 0, const_out, 1, &attrs);
    enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
    EXPECT_GRAPH(&g, QINFER_ERR_UNSUPPORTED, "is not supported");
  }
  g = (pbw){0};
  attrs = (pbw){0};
  enc_attr_int(&attrs, "value_int", 1);
  enc_attr_float(&attrs, "value_float", 1);
  enc_node(&g, "Constant", "c", NULL, NULL, 0, const_out, 1, &attrs);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "exactly one");
  g = (pbw){0};
  attrs = (pbw){0};
  enc_attr_float(&attrs, "value_int", 1);
  enc_node(&g, "Constant", "c", NULL, NULL, 0, const_out, 1, &attrs);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "wrong type");
  g = (pbw){0};
  attrs = (pbw){0};
  enc_attr_int(&attrs, "value_int", 1);
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  enc_node(&g, "Constant", "c", NULL, x, 1, const_out, 1, &attrs);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "needs no input");
  /* too many attributes on one node (bounds the duplicate scan) */
  g = (pbw){0};
  attrs = (pbw){0};
  for (int k = 0; k < 5000; k++) {
    char nm[16];
    snprintf(nm, sizeof nm, "a%d", k);
    enc_attr_int(&attrs, nm, k);
  }
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  enc_node(&g, "Relu", "r", NULL, x, 1, o1, 1, &attrs);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "more than 4096 attributes");
}

static void check_opset_errors(void) {
  pbw g, m;
  const int64_t d1[] = {1};
  const char *x[] = {"x"}, *y[] = {"y"};
  /* a node in a domain with no import */
  g = (pbw){0};
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  enc_node(&g, "Foo", "f", "com.example", x, 1, y, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, d1, NULL, 1);
  EXPECT_GRAPH(&g, QINFER_ERR_INVALID_MODEL, "does not import");
  /* IR 8 without an import of the default domain */
  g = (pbw){0};
  simple_graph(&g, "x", "y");
  m = (pbw){0};
  const char *d[] = {"com.example"};
  const int64_t v[] = {1};
  enc_model(&m, 8, d, v, 1, &g);
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "does not import");
  /* duplicate import ("ai.onnx" is ""), bad versions */
  g = (pbw){0};
  simple_graph(&g, "x", "y");
  m = (pbw){0};
  const char *d2[] = {"", "ai.onnx"};
  const int64_t v2[] = {13, 17};
  enc_model(&m, 8, d2, v2, 2, &g);
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "imported twice");
  g = (pbw){0};
  simple_graph(&g, "x", "y");
  m = (pbw){0};
  const int64_t v3[] = {0};
  enc_model(&m, 8, d2, v3, 1, &g);
  EXPECT(&m, QINFER_ERR_INVALID_MODEL, "invalid version");
}

int main(void) {
  check_valid_and_truncated();
  check_corruption();
  check_wire_errors();
  check_tensor_errors();
  check_graph_errors();
  check_opset_errors();
  return TEST_SUMMARY();
}
