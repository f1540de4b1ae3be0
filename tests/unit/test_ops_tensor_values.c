/* Value-making and resampling ops: Shape, Size, Constant, ConstantOfShape, Range, NonZero, Cast, CastLike,
 * Pad, Resize, Upsample. Resize is checked against a literal port of the ONNX reference implementation
 * (1-D interpolation applied recursively over the axes, neighbours found by sorting distances). */
#include <math.h>

#include "engine/ops/tensor_common.h"
#include "engine/threadpool.h"
#include "test_ops_tensor_util.h"

TEST_MAIN_GLOBALS;

static qi_error err;

/* ---- Shape / Size ---- */

static void test_shape_size(void) {
  int64_t d[4] = {2, 3, 5, 7};
  float buf[1];
  struct { int opset; int64_t start, end; int has_s, has_e; int64_t want_first, want_len; } cases[] = {
      {13, 0, 0, 0, 0, 0, 4}, {15, 1, 0, 1, 0, 1, 3}, {15, -1, 0, 1, 0, 3, 1}, {15, 0, -2, 0, 1, 0, 2},
      {15, 3, 1, 1, 1, 0, 0}, {15, -10, 10, 1, 1, 0, 4}, {13, 2, 0, 1, 0, 0, 4} /* start ignored before 15 */};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    qi_graph *g = qi_graph_new();
    int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, d, buf), out = tt_out(g, "y");
    int node = tt_node(g, "Shape", cases[c].opset, &in, 1, &out, 1);
    if (cases[c].has_s) tt_attr_int(g, node, "start", cases[c].start);
    if (cases[c].has_e) tt_attr_int(g, node, "end", cases[c].end);
    CHECK(tt_infer(g, node, &err) == QINFER_OK);
    const qi_tensor *y = tt_t(g, out);
    CHECK_MSG((y->flags & QI_TF_CONST) && y->dtype == QINFER_DTYPE_INT64 && y->rank == 1 &&
                  y->dims[0] == cases[c].want_len, "shape case %zu", c);
    bool ok = true;
    for (int64_t i = 0; i < cases[c].want_len; i++) ok = ok && ((int64_t *)y->data)[i] == d[cases[c].want_first + i];
    CHECK(ok);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    qi_graph_free(g);
  }
  qi_graph *g = qi_graph_new();
  int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, d, buf), out = tt_out(g, "y");
  int node = tt_node(g, "Size", 13, &in, 1, &out, 1);
  CHECK(tt_infer(g, node, &err) == QINFER_OK);
  CHECK((tt_t(g, out)->flags & QI_TF_CONST) && tt_t(g, out)->rank == 0 && *(int64_t *)tt_t(g, out)->data == 210);
  qi_graph_free(g);
}

/* ---- Constant / ConstantOfShape / Range / NonZero ---- */

static void test_constants(void) {
  /* Constant: value tensor, value_float, value_ints */
  qi_graph *g = qi_graph_new();
  int out = tt_out(g, "y");
  int node = tt_node(g, "Constant", 13, NULL, 0, &out, 1);
  int16_t v[3] = {1, -2, 3};
  tt_attr_tensor(g, node, "value", QINFER_DTYPE_INT16, 2, (int64_t[]){1, 3}, v);
  CHECK(tt_run(g, node, &err) == QINFER_OK);
  CHECK(tt_shape_is(g, out, 2, (int64_t[]){1, 3}) && tt_t(g, out)->dtype == QINFER_DTYPE_INT16);
  CHECK(memcmp(tt_t(g, out)->data, v, sizeof v) == 0 && (tt_t(g, out)->flags & QI_TF_CONST));
  qi_graph_free(g);
  g = qi_graph_new();
  out = tt_out(g, "y");
  node = tt_node(g, "Constant", 13, NULL, 0, &out, 1);
  tt_attr_float(g, node, "value_float", 2.5f);
  CHECK(tt_run(g, node, &err) == QINFER_OK && tt_t(g, out)->rank == 0 && *(float *)tt_t(g, out)->data == 2.5f);
  tt_attr_ints(g, node, "value_ints", 2, (int64_t[]){4, 5});
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL); /* two value attributes */
  qi_graph_free(g);
  g = qi_graph_new();
  out = tt_out(g, "y");
  node = tt_node(g, "Constant", 13, NULL, 0, &out, 1);
  tt_attr_ints(g, node, "value_ints", 2, (int64_t[]){4, 5});
  CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 1, (int64_t[]){2}));
  CHECK(((int64_t *)tt_t(g, out)->data)[1] == 5);
  qi_graph_free(g);

  /* ConstantOfShape: default float 0, int32 value, empty shape = scalar, non-constant shape */
  for (int c = 0; c < 3; c++) {
    g = qi_graph_new();
    int64_t shape[2] = {2, 3};
    int in = tt_const_i64(g, "s", c == 2 ? 0 : 2, shape);
    out = tt_out(g, "y");
    node = tt_node(g, "ConstantOfShape", 9, &in, 1, &out, 1);
    int32_t seven = 7;
    if (c >= 1) tt_attr_tensor(g, node, "value", QINFER_DTYPE_INT32, 1, (int64_t[]){1}, &seven);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    if (c == 0) {
      CHECK(tt_shape_is(g, out, 2, shape) && tt_t(g, out)->dtype == QINFER_DTYPE_FLOAT);
      CHECK(((float *)tt_t(g, out)->data)[5] == 0.0f);
    } else if (c == 1) {
      CHECK(tt_t(g, out)->dtype == QINFER_DTYPE_INT32 && ((int32_t *)tt_t(g, out)->data)[4] == 7);
    } else {
      CHECK(tt_t(g, out)->rank == 0 && ((int32_t *)tt_t(g, out)->data)[0] == 7);
    }
    g->tensors[in].flags &= ~(uint32_t)QI_TF_CONST;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
    qi_graph_free(g);
  }

  /* Range: float, int32 both directions, empty, zero delta, non-constant */
  struct { int dtype; double s, l, d; int64_t n; } rc[] = {
      {QINFER_DTYPE_FLOAT, 1, 2, 0.3, 4}, {QINFER_DTYPE_INT32, 10, 1, -3, 3}, {QINFER_DTYPE_INT64, 0, 5, 1, 5},
      {QINFER_DTYPE_INT64, 5, 5, 1, 0}, {QINFER_DTYPE_DOUBLE, -1, 1, 0.5, 4}, {QINFER_DTYPE_INT16, 3, -10, -4, 4}};
  for (size_t c = 0; c < sizeof rc / sizeof rc[0]; c++) {
    g = qi_graph_new();
    union { float f; double d; int16_t h; int32_t i; int64_t l; } vals[3];
    double src[3] = {rc[c].s, rc[c].l, rc[c].d};
    int ins[3];
    for (int i = 0; i < 3; i++) {
      switch (rc[c].dtype) {
        case QINFER_DTYPE_FLOAT: vals[i].f = (float)src[i]; break;
        case QINFER_DTYPE_DOUBLE: vals[i].d = src[i]; break;
        case QINFER_DTYPE_INT16: vals[i].h = (int16_t)src[i]; break;
        case QINFER_DTYPE_INT32: vals[i].i = (int32_t)src[i]; break;
        default: vals[i].l = (int64_t)src[i]; break;
      }
      ins[i] = tt_const(g, i == 0 ? "s" : i == 1 ? "l" : "d", rc[c].dtype, 0, NULL, &vals[i]);
    }
    out = tt_out(g, "y");
    node = tt_node(g, "Range", 11, ins, 3, &out, 1);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    CHECK_MSG(tt_shape_is(g, out, 1, &rc[c].n), "range case %zu", c);
    bool ok = true;
    for (int64_t i = 0; i < rc[c].n; i++) {
      double want = rc[c].s + (double)i * rc[c].d, got;
      switch (rc[c].dtype) {
        case QINFER_DTYPE_FLOAT: got = ((float *)tt_t(g, out)->data)[i]; want = (float)want; break;
        case QINFER_DTYPE_DOUBLE: got = ((double *)tt_t(g, out)->data)[i]; break;
        case QINFER_DTYPE_INT16: got = ((int16_t *)tt_t(g, out)->data)[i]; break;
        case QINFER_DTYPE_INT32: got = ((int32_t *)tt_t(g, out)->data)[i]; break;
        default: got = (double)((int64_t *)tt_t(g, out)->data)[i]; break;
      }
      ok = ok && fabs(got - want) < 1e-6;
    }
    CHECK_MSG(ok, "range values case %zu", c);
    memset(g->tensors[ins[2]].data, 0, qi_dtype_size(rc[c].dtype));
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
    g->tensors[ins[1]].flags &= ~(uint32_t)QI_TF_CONST;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
    qi_graph_free(g);
  }

  /* NonZero: constant input folds; a non-constant one is refused */
  g = qi_graph_new();
  float nz[6] = {0, 1.5f, -0.0f, 0, NAN, 2};
  int in = tt_const(g, "x", QINFER_DTYPE_FLOAT, 2, (int64_t[]){2, 3}, nz);
  out = tt_out(g, "y");
  node = tt_node(g, "NonZero", 13, &in, 1, &out, 1);
  CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 2, (int64_t[]){2, 3}));
  const int64_t want[6] = {0, 1, 1, 1, 1, 2};
  CHECK(memcmp(tt_t(g, out)->data, want, sizeof want) == 0);
  g->tensors[in].flags &= ~(uint32_t)QI_TF_CONST;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "constant"));
  qi_graph_free(g);
}

/* ---- Cast ---- */

static void cast_one(int from, const void *src, int64_t n, int to, void *dst) {
  qi_graph *g = qi_graph_new();
  int in = tt_input(g, "x", from, 1, &n, src), out = tt_out(g, "y");
  int node = tt_node(g, "Cast", 13, &in, 1, &out, 1);
  tt_attr_int(g, node, "to", to);
  CHECK(tt_run(g, node, &err) == QINFER_OK);
  CHECK(tt_t(g, out)->dtype == to);
  memcpy(dst, tt_t(g, out)->data, (size_t)n * qi_dtype_size(to));
  qi_graph_free(g);
}

static void test_cast(void) {
  float f[8] = {1.9f, -1.9f, 0.0f, -0.5f, 300.0f, -300.0f, NAN, 3e9f};
  int32_t i32[8];
  cast_one(QINFER_DTYPE_FLOAT, f, 8, QINFER_DTYPE_INT32, i32);
  CHECK(i32[0] == 1 && i32[1] == -1 && i32[2] == 0 && i32[3] == 0 && i32[4] == 300 && i32[6] == 0 && i32[7] == INT32_MAX);
  uint8_t u8[8];
  cast_one(QINFER_DTYPE_FLOAT, f, 8, QINFER_DTYPE_UINT8, u8);
  CHECK(u8[0] == 1 && u8[1] == 0 && u8[4] == 255 && u8[5] == 0);
  int8_t s8[8];
  cast_one(QINFER_DTYPE_FLOAT, f, 8, QINFER_DTYPE_INT8, s8);
  CHECK(s8[1] == -1 && s8[4] == 127 && s8[5] == -128);
  uint8_t b[8];
  cast_one(QINFER_DTYPE_FLOAT, f, 8, QINFER_DTYPE_BOOL, b);
  CHECK(b[0] == 1 && b[2] == 0 && b[3] == 1 && b[6] == 1);
  int64_t i64[8];
  cast_one(QINFER_DTYPE_FLOAT, f, 8, QINFER_DTYPE_INT64, i64);
  CHECK(i64[7] == 3000000000LL && i64[5] == -300);
  double dd[8];
  cast_one(QINFER_DTYPE_FLOAT, f, 8, QINFER_DTYPE_DOUBLE, dd);
  CHECK(dd[0] == (double)1.9f && isnan(dd[6]));
  int64_t big[3] = {INT64_MAX, -5, 1 << 25};
  float bf[3];
  cast_one(QINFER_DTYPE_INT64, big, 3, QINFER_DTYPE_FLOAT, bf);
  CHECK(bf[0] == 9223372036854775807.0f && bf[1] == -5.0f && bf[2] == 33554432.0f);
  int32_t wrap[3] = {300, -1, 65535};
  uint8_t wu[3];
  cast_one(QINFER_DTYPE_INT32, wrap, 3, QINFER_DTYPE_UINT8, wu);
  CHECK(wu[0] == 44 && wu[1] == 255 && wu[2] == 255);
  uint8_t bools[2] = {0, 1};
  float fb[2];
  cast_one(QINFER_DTYPE_BOOL, bools, 2, QINFER_DTYPE_FLOAT, fb);
  CHECK(fb[0] == 0.0f && fb[1] == 1.0f);

  /* float16 both ways: round to nearest even, subnormals, overflow, inf, NaN */
  float hf[10] = {1.0f, -2.5f, 65504.0f, 65520.0f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 5.96046448e-08f,
                  2.98023224e-08f, INFINITY, NAN};
  uint16_t h[10];
  cast_one(QINFER_DTYPE_FLOAT, hf, 10, QINFER_DTYPE_FLOAT16, h);
  CHECK(h[0] == 0x3c00 && h[1] == 0xc100 && h[2] == 0x7bff && h[3] == 0x7c00);
  CHECK(h[4] == 0x3c00 && h[5] == 0x3c02); /* ties to even */
  CHECK(h[6] == 0x0001 && h[7] == 0x0000 && h[8] == 0x7c00 && (h[9] & 0x7c00) == 0x7c00 && (h[9] & 0x3ff));
  float back[10];
  cast_one(QINFER_DTYPE_FLOAT16, h, 10, QINFER_DTYPE_FLOAT, back);
  CHECK(back[0] == 1.0f && back[1] == -2.5f && back[2] == 65504.0f && isinf(back[3]) && back[6] == 5.96046448e-08f &&
        isnan(back[9]));
  /* exhaustive: every finite half survives half -> float -> half */
  bool ok = true;
  for (uint32_t v = 0; v < 0x10000; v++) {
    uint16_t hv = (uint16_t)v;
    if ((hv & 0x7c00) == 0x7c00) continue;
    float fv = qi_tops_f16_to_f32(hv);
    ok = ok && qi_tops_f32_to_f16(fv) == hv;
  }
  CHECK(ok);

  /* CastLike takes the type of its second input; strings are refused */
  qi_graph *g = qi_graph_new();
  int64_t n2 = 2;
  double like = 0;
  int ins[2] = {tt_input(g, "x", QINFER_DTYPE_INT32, 1, &n2, wrap), tt_const(g, "t", QINFER_DTYPE_DOUBLE, 0, NULL, &like)};
  int out = tt_out(g, "y");
  int node = tt_node(g, "CastLike", 15, ins, 2, &out, 1);
  CHECK(tt_run(g, node, &err) == QINFER_OK && tt_t(g, out)->dtype == QINFER_DTYPE_DOUBLE);
  CHECK(((double *)tt_t(g, out)->data)[1] == -1.0);
  qi_graph_free(g);
  g = qi_graph_new();
  int in = tt_input(g, "x", QINFER_DTYPE_INT32, 1, &n2, wrap);
  out = tt_out(g, "y");
  node = tt_node(g, "Cast", 13, &in, 1, &out, 1);
  tt_attr_int(g, node, "to", QINFER_DTYPE_STRING);
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
  qi_graph_free(g);
}

/* ---- Pad ---- */

/* numpy-style source coordinate by repeated reflection / wrapping (the oracle) */
static int64_t pad_src(const char *mode, int64_t i, int64_t n) {
  if (strcmp(mode, "edge") == 0) return i < 0 ? 0 : i >= n ? n - 1 : i;
  if (strcmp(mode, "wrap") == 0) {
    while (i < 0) i += n;
    while (i >= n) i -= n;
    return i;
  }
  if (strcmp(mode, "reflect") == 0) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
  }
  return (i < 0 || i >= n) ? -1 : i;
}

static void check_pad(const char *mode, int opset, int rank, const int64_t *dims, const int64_t *pads,
                      const int64_t *axes, int naxes, float value) {
  qi_graph *g = qi_graph_new();
  int64_t numel = 1;
  for (int i = 0; i < rank; i++) numel *= dims[i];
  float *x = malloc(sizeof(float) * (size_t)(numel + 1));
  for (int64_t i = 0; i < numel; i++) x[i] = (float)(i + 1);
  int np = 2 * (axes ? naxes : rank);
  int ins[4] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, rank, dims, x), -1, -1, -1}, nin = 1;
  if (opset >= 11) {
    ins[1] = tt_const_i64(g, "pads", np, pads);
    ins[2] = tt_const(g, "v", QINFER_DTYPE_FLOAT, 0, NULL, &value);
    nin = 3;
    if (axes) {
      ins[3] = tt_const_i64(g, "axes", naxes, axes);
      nin = 4;
    }
  }
  int out = tt_out(g, "y");
  int node = tt_node(g, "Pad", opset, ins, nin, &out, 1);
  tt_attr_string(g, node, "mode", mode);
  if (opset < 11) {
    tt_attr_ints(g, node, "pads", np, pads);
    tt_attr_float(g, node, "value", value);
  }
  CHECK_MSG(tt_run(g, node, &err) == QINFER_OK, "pad %s: %s", mode, err.msg);
  int64_t pb[8] = {0}, pe[8] = {0}, od[8];
  int na = axes ? naxes : rank;
  for (int i = 0; i < na; i++) {
    int a = axes ? (int)(axes[i] < 0 ? axes[i] + rank : axes[i]) : i;
    pb[a] = pads[i];
    pe[a] = pads[na + i];
  }
  for (int d = 0; d < rank; d++) od[d] = dims[d] + pb[d] + pe[d];
  CHECK(tt_shape_is(g, out, rank, od));
  int64_t pos[8] = {0}, ip[8], cnt = 1;
  for (int d = 0; d < rank; d++) cnt *= od[d];
  bool ok = true;
  if (cnt > 0) do {
      bool pad = false;
      for (int d = 0; d < rank; d++) {
        /* crop first: the kept range of axis d, then the mode over it */
        int64_t c0 = pb[d] < 0 ? -pb[d] : 0, kept = dims[d] - c0 - (pe[d] < 0 ? -pe[d] : 0);
        int64_t s = pad_src(mode, pos[d] - (pb[d] > 0 ? pb[d] : 0), kept);
        if (s < 0) pad = true;
        ip[d] = c0 + s;
      }
      float want = pad ? value : x[tt_flat(rank, dims, ip)];
      if (((float *)tt_t(g, out)->data)[tt_flat(rank, od, pos)] != want) ok = false;
    } while (tt_next(rank, od, pos));
  CHECK_MSG(ok, "pad %s opset %d rank %d", mode, opset, rank);
  free(x);
  qi_graph_free(g);
}

static void test_pad(void) {
  static const char *modes[] = {"constant", "reflect", "edge", "wrap"};
  for (int m = 0; m < 4; m++) {
    int opset = m == 3 ? 19 : 13;
    check_pad(modes[m], opset, 2, (int64_t[]){3, 4}, (int64_t[]){1, 2, 2, 1}, NULL, 0, 9.5f);
    check_pad(modes[m], opset, 3, (int64_t[]){2, 3, 4}, (int64_t[]){0, 5, 7, 1, 0, 6}, NULL, 0, -1.0f); /* wide */
    check_pad(modes[m], opset, 3, (int64_t[]){2, 3, 4}, (int64_t[]){1, -1, 2, 0, 1, -2}, NULL, 0, 0.0f); /* crop */
    check_pad(modes[m], opset, 1, (int64_t[]){1}, (int64_t[]){3, 2}, NULL, 0, 4.0f);
    check_pad(modes[m], opset >= 18 ? opset : 18, 3, (int64_t[]){2, 3, 4}, (int64_t[]){2, 1, 0, 3},
              (int64_t[]){-1, 0}, 2, 7.0f);
  }
  check_pad("constant", 2, 2, (int64_t[]){3, 4}, (int64_t[]){1, 0, 0, 2}, NULL, 0, 3.25f); /* opset 2 attributes */
  check_pad("reflect", 2, 2, (int64_t[]){3, 4}, (int64_t[]){2, 3, 2, 3}, NULL, 0, 0.0f);
  check_pad("constant", 13, 2, (int64_t[]){0, 4}, (int64_t[]){1, 0, 1, 0}, NULL, 0, 2.0f); /* empty input */

  /* errors: wrong pad count, crop beyond the axis, reflect of an empty axis, unknown mode, wrap before 19 */
  float x[12];
  struct { const char *mode; int opset, np; int64_t pads[6]; int64_t dims[2]; qi_status want; } bad[] = {
      {"constant", 13, 3, {1, 1, 1}, {3, 4}, QINFER_ERR_INVALID_MODEL},
      {"constant", 13, 4, {-2, 0, -2, 0}, {3, 4}, QINFER_ERR_INVALID_MODEL},
      {"reflect", 13, 4, {1, 0, 1, 0}, {0, 4}, QINFER_ERR_INVALID_MODEL},
      {"mirror", 13, 4, {1, 0, 1, 0}, {3, 4}, QINFER_ERR_INVALID_MODEL},
      {"wrap", 13, 4, {1, 0, 1, 0}, {3, 4}, QINFER_ERR_INVALID_MODEL}};
  for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
    qi_graph *g = qi_graph_new();
    int ins[2] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 2, bad[c].dims, x), tt_const_i64(g, "p", bad[c].np, bad[c].pads)};
    int out = tt_out(g, "y");
    int node = tt_node(g, "Pad", bad[c].opset, ins, 2, &out, 1);
    tt_attr_string(g, node, "mode", bad[c].mode);
    CHECK_MSG(tt_infer(g, node, &err) == bad[c].want, "pad error case %zu", c);
    qi_graph_free(g);
  }
  /* integer data keeps its constant value bytes */
  qi_graph *g = qi_graph_new();
  int64_t xi[2] = {5, 6}, cv = -7;
  int ins[3] = {tt_input(g, "x", QINFER_DTYPE_INT64, 1, (int64_t[]){2}, xi), tt_const_i64(g, "p", 2, (int64_t[]){1, 1}),
                tt_const(g, "v", QINFER_DTYPE_INT64, 0, NULL, &cv)};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Pad", 13, ins, 3, &out, 1);
  CHECK(tt_run(g, node, &err) == QINFER_OK);
  const int64_t want[4] = {-7, 5, 6, -7};
  CHECK(memcmp(tt_t(g, out)->data, want, sizeof want) == 0);
  qi_graph_free(g);
}

/* ---- Resize: oracle ported from the ONNX reference ---- */

typedef struct ro_params {
  const char *mode, *coord, *nearest_mode;
  double a;
  bool exclude_outside, antialias;
  double extrapolation;
} ro_params;

static int ro_coeffs(const ro_params *p, double ratio, double scale, double *c) {
  if (strcmp(p->mode, "nearest") == 0) {
    if (ratio == floor(ratio)) { c[0] = 0, c[1] = 1; }
    else if (strcmp(p->nearest_mode, "round_prefer_floor") == 0) { c[0] = ratio <= 0.5, c[1] = ratio > 0.5; }
    else if (strcmp(p->nearest_mode, "round_prefer_ceil") == 0) { c[0] = ratio < 0.5, c[1] = ratio >= 0.5; }
    else if (strcmp(p->nearest_mode, "floor") == 0) { c[0] = 1, c[1] = 0; }
    else { c[0] = 0, c[1] = 1; }
    return 2;
  }
  if (strcmp(p->mode, "linear") == 0) {
    if (!p->antialias) { c[0] = 1 - ratio, c[1] = ratio; return 2; }
    double s = scale < 1 ? scale : 1;
    int start = (int)floor(-1 / s) + 1, fp = 2 - 2 * start;
    double sum = 0;
    for (int i = 0; i < fp; i++) {
      double v = 1 - fabs((start + i - ratio) * s);
      c[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      sum += c[i];
    }
    for (int i = 0; i < fp; i++) c[i] /= sum;
    return fp;
  }
  double A = p->a;
  if (!p->antialias) {
    c[0] = ((A * (ratio + 1) - 5 * A) * (ratio + 1) + 8 * A) * (ratio + 1) - 4 * A;
    c[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
    c[2] = ((A + 2) * (1 - ratio) - (A + 3)) * (1 - ratio) * (1 - ratio) + 1;
    c[3] = ((A * ((1 - ratio) + 1) - 5 * A) * ((1 - ratio) + 1) + 8 * A) * ((1 - ratio) + 1) - 4 * A;
    return 4;
  }
  double s = scale < 1 ? scale : 1, sum = 0;
  int is = (int)floor(-2 / s) + 1, ie = 2 - is;
  for (int i = is; i < ie; i++) {
    double x = fabs(s * (i - ratio)), v;
    if (x <= 1) v = (A + 2) * x * x * x - (A + 3) * x * x + 1;
    else if (x < 2) v = A * x * x * x - 5 * A * x * x + 8 * A * x - 4 * A;
    else v = 0;
    c[i - is] = v;
    sum += v;
  }
  for (int i = 0; i < ie - is; i++) c[i] /= sum;
  return ie - is;
}

static double ro_1d(const ro_params *p, const double *data, int64_t n, double scale, int64_t out_int, double x,
                    double r0, double r1) {
  /* deviation from the reference, as in ONNX Runtime: align_corners and tf_crop_and_resize use the integer
   * output length where the ONNX 1.12 reference used scale * n */
  double out_w = scale * (double)n, out_n = (double)out_int, xo;
  const char *ct = p->coord;
  if (!strcmp(ct, "align_corners")) xo = out_n == 1 ? 0 : x * (double)(n - 1) / (out_n - 1);
  else if (!strcmp(ct, "asymmetric")) xo = x / scale;
  else if (!strcmp(ct, "tf_crop_and_resize")) {
    xo = out_n == 1 ? (r1 - r0) * (double)(n - 1) / 2 : x * (r1 - r0) * (double)(n - 1) / (out_n - 1);
    xo += r0 * (double)(n - 1);
    if (!(xo >= 0 && xo <= (double)(n - 1))) return p->extrapolation; /* NaN from an infinite roi too */
  } else if (!strcmp(ct, "pytorch_half_pixel")) xo = out_w == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  else if (!strcmp(ct, "half_pixel_symmetric")) {
    double adj = (double)out_int / out_w, center = (double)n / 2;
    xo = center * (1 - adj) + (x + 0.5) / scale - 0.5;
  } else xo = (x + 0.5) / scale - 0.5;
  double ratio = xo == floor(xo) ? 1 : xo - floor(xo);
  double c[64];
  int k = ro_coeffs(p, ratio, scale, c);
  /* n nearest indexes of the edge-padded array, ties to the smaller */
  int pad = (k + 1) / 2;
  int64_t plen = n + 2 * pad, idx[64];
  double px = xo + pad;
  bool used[256] = {false};
  for (int j = 0; j < k; j++) {
    int64_t best = -1;
    for (int64_t i = 0; i < plen; i++)
      if (!used[i] && (best < 0 || fabs(px - (double)i) < fabs(px - (double)best))) best = i;
    used[best] = true;
  }
  int m = 0;
  for (int64_t i = 0; i < plen; i++)
    if (used[i]) idx[m++] = i - pad;
  double sum = 0, acc = 0;
  if (p->exclude_outside) {
    for (int j = 0; j < k; j++) if (idx[j] < 0 || idx[j] >= n) c[j] = 0;
    for (int j = 0; j < k; j++) sum += c[j];
    for (int j = 0; j < k; j++) c[j] /= sum;
  }
  for (int j = 0; j < k; j++) acc += c[j] * data[idx[j] < 0 ? 0 : idx[j] >= n ? n - 1 : idx[j]];
  return acc;
}

static double ro_nd(const ro_params *p, const double *data, int rank, const int64_t *dims, const double *scales,
                    const int64_t *outs, const int64_t *x, const double *roi) {
  if (rank == 1) return ro_1d(p, data, dims[0], scales[0], outs[0], (double)x[0], roi[0], roi[1]);
  int64_t stride = 1;
  for (int d = 1; d < rank; d++) stride *= dims[d];
  double *rows = malloc(sizeof(double) * (size_t)dims[0]);
  for (int64_t i = 0; i < dims[0]; i++)
    rows[i] = ro_nd(p, data + i * stride, rank - 1, dims + 1, scales + 1, outs + 1, x + 1, roi + 2);
  double v = ro_1d(p, rows, dims[0], scales[0], outs[0], (double)x[0], roi[0], roi[1]);
  free(rows);
  return v;
}

typedef struct resize_case {
  const char *mode, *coord, *nearest_mode;
  int rank;
  int64_t dims[4];
  double scales[4]; /* used when sizes[0] < 0 */
  int64_t sizes[4];
  double roi[8];    /* start..., end... in ONNX order; used for tf_crop_and_resize */
  bool exclude_outside, antialias;
  float a;
  const char *policy;
} resize_case;

static void check_resize(const resize_case *rc, qi_threadpool *pool) {
  int r = rc->rank;
  int64_t numel = 1;
  for (int d = 0; d < r; d++) numel *= rc->dims[d];
  float *x = malloc(sizeof(float) * (size_t)numel);
  double *xd = malloc(sizeof(double) * (size_t)numel);
  for (int64_t i = 0; i < numel; i++) xd[i] = x[i] = (float)((i * 37) % 23) - 5.0f;
  bool use_sizes = rc->sizes[0] >= 0;
  int opset = rc->antialias || rc->policy || !strcmp(rc->coord, "half_pixel_symmetric") ? 19 : 13;
  qi_graph *g = qi_graph_new();
  float roi_f[8], sc_f[4];
  for (int i = 0; i < 2 * r; i++) roi_f[i] = (float)rc->roi[i];
  for (int i = 0; i < r; i++) sc_f[i] = (float)rc->scales[i];
  int64_t rn = 2 * r, sn = r;
  bool crop = !strcmp(rc->coord, "tf_crop_and_resize");
  int ins[4] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, r, rc->dims, x),
                crop ? tt_const(g, "roi", QINFER_DTYPE_FLOAT, 1, &rn, roi_f) : -1,
                use_sizes ? -1 : tt_const(g, "scales", QINFER_DTYPE_FLOAT, 1, &sn, sc_f),
                use_sizes ? tt_const_i64(g, "sizes", r, rc->sizes) : -1};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Resize", opset, ins, 4, &out, 1);
  tt_attr_string(g, node, "mode", rc->mode);
  tt_attr_string(g, node, "coordinate_transformation_mode", rc->coord);
  tt_attr_string(g, node, "nearest_mode", rc->nearest_mode);
  tt_attr_int(g, node, "exclude_outside", rc->exclude_outside);
  tt_attr_int(g, node, "antialias", rc->antialias);
  tt_attr_float(g, node, "cubic_coeff_a", rc->a);
  tt_attr_float(g, node, "extrapolation_value", 10.0f);
  if (rc->policy) tt_attr_string(g, node, "keep_aspect_ratio_policy", rc->policy);
  qi_status st = tt_run_pool(g, node, pool, &err);
  CHECK_MSG(st == QINFER_OK, "resize %s %s: %s", rc->mode, rc->coord, err.msg);
  /* oracle output size and scales */
  double scales[4];
  int64_t od[4];
  for (int d = 0; d < r; d++) {
    if (use_sizes) {
      scales[d] = (double)rc->sizes[d] / (double)rc->dims[d];
      od[d] = rc->sizes[d];
    } else {
      scales[d] = (double)sc_f[d];
      od[d] = (int64_t)floor(scales[d] * (double)rc->dims[d]);
    }
  }
  if (use_sizes && rc->policy) {
    double s = scales[0];
    for (int d = 1; d < r; d++) s = !strcmp(rc->policy, "not_larger") ? fmin(s, scales[d]) : fmax(s, scales[d]);
    for (int d = 0; d < r; d++) scales[d] = s, od[d] = (int64_t)(s * (double)rc->dims[d] + 0.5);
  }
  CHECK_MSG(st == QINFER_OK && tt_shape_is(g, out, r, od), "resize %s %s shape", rc->mode, rc->coord);
  if (st == QINFER_OK && tt_shape_is(g, out, r, od)) {
    ro_params p = {rc->mode, rc->coord, rc->nearest_mode, rc->a, rc->exclude_outside, rc->antialias, 10.0};
    double roi[8]; /* oracle order: (start, end) per axis */
    for (int d = 0; d < r; d++) roi[2 * d] = crop ? roi_f[d] : 0, roi[2 * d + 1] = crop ? roi_f[r + d] : 1;
    int64_t pos[4] = {0};
    double max_err = 0;
    do {
      double want = ro_nd(&p, xd, r, rc->dims, scales, od, pos, roi);
      double got = ((float *)tt_t(g, out)->data)[tt_flat(r, od, pos)];
      if (fabs(got - want) > max_err) max_err = fabs(got - want);
    } while (tt_next(r, od, pos));
    CHECK_MSG(max_err < 1e-4, "resize %s %s %s aa=%d eo=%d: max error %g", rc->mode, rc->coord, rc->nearest_mode,
              rc->antialias, rc->exclude_outside, max_err);
  }
  free(x);
  free(xd);
  qi_graph_free(g);
}

static void test_resize(void) {
  static const char *coords[] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                                 "half_pixel_symmetric", "tf_crop_and_resize"};
  static const char *nmodes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  static const char *modes[] = {"nearest", "linear", "cubic"};
  qi_threadpool *pool = qi_threadpool_create(2);
  for (int m = 0; m < 3; m++)
    for (int c = 0; c < 6; c++)
      for (int nm = 0; nm < (m == 0 ? 4 : 1); nm++)
        for (int variant = 0; variant < 4; variant++) {
          resize_case rc = {modes[m], coords[c], nmodes[nm], 4, {1, 2, 4, 5}, {1, 1, 1, 1}, {-1},
                            {0, 0, 0.1, 0.3, 1, 1, 0.8, 1.2}, false, false, -0.75f, NULL};
          switch (variant) {
            case 0: rc.scales[2] = 2.0, rc.scales[3] = 1.7; break; /* upsample, fractional */
            case 1: rc.scales[2] = 0.6, rc.scales[3] = 0.5; break; /* downsample */
            case 2: memcpy(rc.sizes, (int64_t[]){1, 2, 7, 3}, sizeof rc.sizes); break;
            default: rc.scales[1] = 1.5, rc.scales[3] = 3.0, rc.exclude_outside = m == 2; break; /* three axes */
          }
          check_resize(&rc, variant == 0 ? pool : NULL);
        }
  /* antialias (opset 18+) downsampling with linear and cubic, keep_aspect_ratio_policy */
  for (int m = 1; m < 3; m++) {
    resize_case rc = {modes[m], "half_pixel", "round_prefer_floor", 4, {1, 1, 9, 11}, {1, 1, 0.4, 0.3}, {-1},
                      {0}, false, true, -0.5f, NULL};
    check_resize(&rc, NULL);
    resize_case rs = {modes[m], "align_corners", "floor", 4, {1, 1, 9, 11}, {1}, {1, 1, 4, 3},
                      {0}, false, true, -0.75f, NULL};
    check_resize(&rs, NULL);
  }
  for (int pol = 0; pol < 2; pol++) {
    resize_case rc = {"linear", "half_pixel", "round_prefer_floor", 4, {1, 1, 4, 6}, {1}, {1, 1, 8, 8}, {0},
                      false, false, -0.75f, pol ? "not_smaller" : "not_larger"};
    check_resize(&rc, NULL);
  }
  /* tf_crop_and_resize with huge rois: source coordinates far outside any integer type give
   * extrapolation_value, with no out-of-range float-to-integer conversion (UBSan) */
  static const double huge_rois[][8] = {
      {0, 0, -1e30, -1e30, 1, 1, 1e30, 1e30}, {0, 0, 1e30, -1e30, 1, 1, -1e30, 1e30},
      {0, 0, 0.2, -1e30, 1, 1, 0.9, 0.5},     {0, 0, 1e30, 1e30, 1, 1, 1e30, 1e30},
      {0, 0, -1e30, 0.1, 1, 1, -1e30, 1e30}};
  for (int m = 0; m < 3; m++)
    for (size_t i = 0; i < sizeof huge_rois / sizeof *huge_rois; i++)
      for (int sz = 0; sz < 2; sz++) {
        resize_case rc = {modes[m], "tf_crop_and_resize", "round_prefer_floor", 4, {1, 1, 3, 4}, {1}, {1, 1, 3, 3},
                          {0}, false, false, -0.75f, NULL};
        if (sz) rc.sizes[2] = 1, rc.sizes[3] = 2;
        memcpy(rc.roi, huge_rois[i], sizeof rc.roi);
        check_resize(&rc, NULL);
      }
  for (int m = 0; m < 3; m++) { /* infinite rois: every source coordinate is NaN or infinite */
    float x[12] = {0}, roi[8] = {0, 0, -INFINITY, -INFINITY, 1, 1, INFINITY, INFINITY};
    int64_t eight = 8, sizes[4] = {1, 1, 2, 3};
    qi_graph *g = qi_graph_new();
    int ins[4] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, (int64_t[]){1, 1, 3, 4}, x),
                  tt_const(g, "roi", QINFER_DTYPE_FLOAT, 1, &eight, roi), -1, tt_const_i64(g, "sizes", 4, sizes)};
    int out = tt_out(g, "y");
    int node = tt_node(g, "Resize", 13, ins, 4, &out, 1);
    tt_attr_string(g, node, "mode", modes[m]);
    tt_attr_string(g, node, "coordinate_transformation_mode", "tf_crop_and_resize");
    tt_attr_float(g, node, "extrapolation_value", 7.0f);
    bool ok = tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 4, sizes);
    for (int i = 0; ok && i < 6; i++) ok = ((float *)tt_t(g, out)->data)[i] == 7.0f;
    CHECK_MSG(ok, "resize %s with an infinite roi: %s", modes[m], err.msg);
    qi_graph_free(g);
  }
  qi_threadpool_destroy(pool);

  /* literal values from the ONNX backend tests */
  {
    /* resize_downsample_scales_linear_align_corners: ONNX Runtime gives [[1, 4]] (ONNX 1.12's data: [[1, 3.142857]]) */
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, sc[4] = {1, 1, 0.6f, 0.6f};
    qi_graph *g = qi_graph_new();
    int64_t four = 4;
    int ins[3] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, (int64_t[]){1, 1, 2, 4}, x), -1,
                  tt_const(g, "s", QINFER_DTYPE_FLOAT, 1, &four, sc)};
    int out = tt_out(g, "y");
    int node = tt_node(g, "Resize", 13, ins, 3, &out, 1);
    tt_attr_string(g, node, "mode", "linear");
    tt_attr_string(g, node, "coordinate_transformation_mode", "align_corners");
    CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 4, (int64_t[]){1, 1, 1, 2}));
    const float *y = tt_t(g, out)->data;
    CHECK(fabsf(y[0] - 1.0f) < 1e-5f && fabsf(y[1] - 4.0f) < 1e-5f);
    qi_graph_free(g);
  }
  {
    /* Upsample-9 / Resize-10 nearest and linear use asymmetric coordinates */
    int32_t xi[4] = {1, 2, 3, 4};
    float sc[4] = {1, 1, 2, 3};
    qi_graph *g = qi_graph_new();
    int64_t four = 4;
    int ins[2] = {tt_input(g, "x", QINFER_DTYPE_INT32, 4, (int64_t[]){1, 1, 2, 2}, xi),
                  tt_const(g, "s", QINFER_DTYPE_FLOAT, 1, &four, sc)};
    int out = tt_out(g, "y");
    int node = tt_node(g, "Upsample", 9, ins, 2, &out, 1);
    tt_attr_string(g, node, "mode", "nearest");
    CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 4, (int64_t[]){1, 1, 4, 6}));
    const int32_t want[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    CHECK(memcmp(tt_t(g, out)->data, want, sizeof want) == 0);
    g->nodes[node].attrs[0].s[0] = 'l'; /* "nearest" -> "learest": unknown mode */
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
    qi_graph_free(g);

    float xf[4] = {1, 2, 3, 4};
    float s2[4] = {1, 1, 2, 2};
    g = qi_graph_new();
    ins[0] = tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, (int64_t[]){1, 1, 2, 2}, xf);
    ins[1] = tt_const(g, "s", QINFER_DTYPE_FLOAT, 1, &four, s2);
    out = tt_out(g, "y");
    node = tt_node(g, "Resize", 10, ins, 2, &out, 1);
    tt_attr_string(g, node, "mode", "linear");
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    const float wl[16] = {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4};
    CHECK(memcmp(tt_t(g, out)->data, wl, sizeof wl) == 0);
    qi_graph_free(g);
  }
  {
    /* errors: both scales and sizes, non-constant scales, linear on int data, non-positive scale */
    float x[4] = {0};
    float sc[2] = {1, 2};
    int64_t two = 2, sz[2] = {2, 4};
    qi_graph *g = qi_graph_new();
    int ins[4] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 2, (int64_t[]){2, 2}, x), -1,
                  tt_const(g, "s", QINFER_DTYPE_FLOAT, 1, &two, sc), tt_const_i64(g, "z", 2, sz)};
    int out = tt_out(g, "y");
    int node = tt_node(g, "Resize", 13, ins, 4, &out, 1);
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
    g->nodes[node].n_inputs = 3;
    CHECK(tt_infer(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 2, (int64_t[]){2, 4}));
    ((float *)g->tensors[ins[2]].data)[1] = 0.0f;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
    g->tensors[ins[2]].flags &= ~(uint32_t)QI_TF_CONST;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "constant"));
    qi_graph_free(g);
    g = qi_graph_new();
    int32_t xi[4] = {0};
    ins[0] = tt_input(g, "x", QINFER_DTYPE_INT32, 2, (int64_t[]){2, 2}, xi);
    ins[1] = -1;
    ins[2] = tt_const(g, "s", QINFER_DTYPE_FLOAT, 1, &two, sc);
    out = tt_out(g, "y");
    node = tt_node(g, "Resize", 13, ins, 3, &out, 1);
    tt_attr_string(g, node, "mode", "linear");
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
    qi_graph_free(g);
  }
}

int main(void) {
  test_shape_size();
  test_constants();
  test_cast();
  test_pad();
  test_resize();
  return TEST_SUMMARY();
}
