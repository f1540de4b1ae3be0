/* qinfer_session_resize_input and inputs that decide shapes (qinfer_session_options_set_input_value), on the
 * models of tests/engine/make_shape_models.py, whose expected outputs numpy computed:
 *   - after a resize, outputs match numpy and are bit-identical to a fresh session created for that shape;
 *   - a resize keeps every packed weight buffer (the same pointers in the session's per-node data: nothing is
 *     packed again) and a run after it allocates nothing (allocations counted through the linker's --wrap);
 *   - the same for a QDQ conv run as a QLinearConv on the integer kernels, with 2 threads, and for the
 *     com.microsoft ops with int32-output gemms (DynamicQuantizeMatMul, QAttention) over a symbolic sequence;
 *   - a packed operand folded from the input's shape is packed again when its values change (window_matmul);
 *   - dims sharing a symbolic name with a resized dim follow it (attn_seq: x and mask share "S");
 *   - a resize that contradicts the model fails clearly and the session keeps running at its previous shape;
 *   - an input that decides shapes: no value -> creation fails naming it and the op; with a value it runs; the
 *     same value again allocates nothing; another value re-plans; a value of another size is refused.
 * usage: test_resize MODELS_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/io/npy.h"
#include "engine/session.h"
#include "alloc_counter.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;


static const char *dir;

static qi_host_tensor load(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.npy", dir, name);
  qi_host_tensor t = {0};
  qi_error err = {0};
  if (qi_npy_read(path, &t, &err) != QINFER_OK) {
    fprintf(stderr, "%s\n", err.msg);
    exit(2);
  }
  return t;
}

static qinfer_model *load_model(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
  qinfer_model *m = NULL;
  if (qinfer_model_load_file(path, &m) != QINFER_OK) {
    fprintf(stderr, "%s: %s\n", path, qinfer_last_error());
    exit(2);
  }
  return m;
}

static void set(qinfer_session *s, const char *input, const qi_host_tensor *t) {
  const int i = qinfer_session_input_index(s, input);
  CHECK_MSG(i >= 0 && qinfer_session_set_input(s, (size_t)i, t->data, t->nbytes) == QINFER_OK, "set %s: %s", input,
            qinfer_session_last_error(s));
}

/* Output 0 against the numpy oracle: same shape, |a - b| <= tol (1 + |b|). */
static void check_output(qinfer_session *s, const qi_host_tensor *want, double tol, const char *what) {
  qinfer_tensor_info info;
  const void *data;
  size_t bytes;
  CHECK(qinfer_session_output_info(s, 0, &info) == QINFER_OK);
  CHECK_MSG(qinfer_session_get_output(s, 0, &data, &bytes) == QINFER_OK && bytes == want->nbytes,
            "%s: output of %zu bytes, numpy has %zu", what, bytes, want->nbytes);
  bool same_shape = info.rank == want->rank;
  for (int d = 0; same_shape && d < info.rank; d++) same_shape = info.dims[d] == want->dims[d];
  CHECK_MSG(same_shape, "%s: output shape differs from numpy's", what);
  if (bytes != want->nbytes) return;
  const float *a = data, *b = want->data;
  double worst = 0;
  for (size_t i = 0; i < bytes / sizeof(float); i++) {
    const double e = fabs((double)a[i] - b[i]) / (1 + fabs((double)b[i]));
    worst = e > worst ? e : worst;
  }
  CHECK_MSG(worst <= tol, "%s: relative error %g > %g", what, worst, tol);
}

static qinfer_session *session_for(const qinfer_model *m, const char *input, const qi_host_tensor *t) {
  qinfer_session_options *o = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_input_shape(o, input, t->dims, t->rank);
  qinfer_session *s = NULL;
  CHECK_MSG(qinfer_session_create(m, o, &s) == QINFER_OK, "create: %s", qinfer_last_error());
  qinfer_session_options_destroy(o);
  return s;
}

/* The packed weight buffers of every node of s, in order (n at most cap). */
static int packed_buffers(const qinfer_session *s, void **out, int cap) {
  int n = 0;
  for (int i = 0; i < s->graph->n_nodes; i++)
    for (int k = 0; k < QI_RT_PACKED_SLOTS; k++)
      if (s->rt[i].packed[k] && n < cap) out[n++] = s->rt[i].packed[k];
  return n;
}

static bool same_bytes(qinfer_session *a, qinfer_session *b) {
  const void *da, *db;
  size_t na, nb;
  return qinfer_session_get_output(a, 0, &da, &na) == QINFER_OK &&
         qinfer_session_get_output(b, 0, &db, &nb) == QINFER_OK && na == nb && memcmp(da, db, na) == 0;
}

static void test_conv_hw(void) {
  qinfer_model *m = load_model("conv_hw");
  qi_host_tensor xa = load("conv_hw.A.x"), ya = load("conv_hw.A.y"), xb = load("conv_hw.B.x"), yb = load("conv_hw.B.y");
  qi_host_tensor xc = load("conv_hw.C.x"), yc = load("conv_hw.C.y");
  qinfer_session *s = session_for(m, "x", &xa);
  if (!s) return;
  set(s, "x", &xa);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  check_output(s, &ya, 1e-5, "conv_hw at shape A");
  void *before[64], *after[64];
  const int n_before = packed_buffers(s, before, 64);
  CHECK_MSG(n_before == 3, "%d packed buffers, expected one per Conv", n_before);

  /* A -> B: new H, W and batch */
  CHECK_MSG(qinfer_session_resize_input(s, 0, xb.dims, xb.rank) == QINFER_OK, "resize: %s",
            qinfer_session_last_error(s));
  const int n_after = packed_buffers(s, after, 64);
  CHECK_MSG(n_after == n_before && memcmp(before, after, sizeof(void *) * (size_t)n_before) == 0,
            "the packed weights were not kept across the resize");
  CHECK_MSG(qinfer_session_run(s) == QINFER_ERR_INVALID_ARGUMENT, "the resized input must be set again");
  set(s, "x", &xb);
  CHECK(qinfer_session_run(s) == QINFER_OK); /* warm */
  const long allocs = qi_test_n_allocs;
  for (int r = 0; r < 3; r++) CHECK(qinfer_session_run(s) == QINFER_OK);
  CHECK_MSG(qi_test_n_allocs == allocs, "%ld allocations in 3 runs after a resize", qi_test_n_allocs - allocs);
  check_output(s, &yb, 1e-5, "conv_hw resized to B");
  qinfer_session *fresh = session_for(m, "x", &xb);
  if (fresh) {
    set(fresh, "x", &xb);
    CHECK(qinfer_session_run(fresh) == QINFER_OK);
    CHECK_MSG(same_bytes(s, fresh), "resized session and fresh session at shape B differ");
    qinfer_session_destroy(fresh);
  }

  /* the same shape again: nothing to do */
  const long allocs_same = qi_test_n_allocs;
  CHECK(qinfer_session_resize_input(s, 0, xb.dims, xb.rank) == QINFER_OK);
  CHECK_MSG(qi_test_n_allocs == allocs_same, "resizing to the current shape re-planned");

  /* shapes that contradict the model fail and leave the session at shape B */
  const int64_t rank3[3] = {1, 3, 8}, four_channels[4] = {1, 4, 8, 8}, negative[4] = {1, 3, -2, 8};
  const int64_t too_small[4] = {1, 3, 0, 0};
  CHECK(qinfer_session_resize_input(s, 0, rank3, 3) == QINFER_ERR_SHAPE);
  CHECK_MSG(strstr(qinfer_session_last_error(s), "rank 3") != NULL, "%s", qinfer_session_last_error(s));
  CHECK(qinfer_session_resize_input(s, 0, four_channels, 4) == QINFER_ERR_SHAPE);
  CHECK_MSG(strstr(qinfer_session_last_error(s), "does not match the model's [N,3,H,W]") != NULL ||
                strstr(qinfer_session_last_error(s), "does not match") != NULL,
            "%s", qinfer_session_last_error(s));
  CHECK(qinfer_session_resize_input(s, 0, negative, 4) == QINFER_ERR_SHAPE);
  CHECK(qinfer_session_resize_input(s, 0, too_small, 4) != QINFER_OK); /* 0x0 through a 3x3 conv, pad 1, stride 2 */
  CHECK(qinfer_session_resize_input(s, 1, xb.dims, 4) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_session_resize_input(s, 0, NULL, 4) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_session_resize_input(NULL, 0, xb.dims, 4) == QINFER_ERR_INVALID_ARGUMENT);
  qinfer_tensor_info info;
  CHECK(qinfer_session_input_info(s, 0, &info) == QINFER_OK && info.dims[2] == xb.dims[2]);
  CHECK_MSG(qinfer_session_run(s) == QINFER_OK, "run after failed resizes: %s", qinfer_session_last_error(s));
  check_output(s, &yb, 1e-5, "conv_hw still at B after failed resizes");
  qi_test_n_allocs = 0;

  /* B -> C (smaller), then back to A */
  CHECK(qinfer_session_resize_input(s, 0, xc.dims, xc.rank) == QINFER_OK);
  set(s, "x", &xc);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  check_output(s, &yc, 1e-5, "conv_hw resized to C");
  CHECK(qinfer_session_resize_input(s, 0, xa.dims, xa.rank) == QINFER_OK);
  set(s, "x", &xa);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  check_output(s, &ya, 1e-5, "conv_hw resized back to A");
  CHECK(packed_buffers(s, after, 64) == n_before && memcmp(before, after, sizeof(void *) * (size_t)n_before) == 0);
  qinfer_session_destroy(s);
  qinfer_model_destroy(m);
  qi_host_tensor *all[] = {&xa, &ya, &xb, &yb, &xc, &yc};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) qi_host_tensor_free(all[i]);
}

static qinfer_session *session_seq(const qinfer_model *m, int64_t seq) {
  qinfer_session_options *o = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_dim(o, "S", seq);
  qinfer_session *s = NULL;
  CHECK_MSG(qinfer_session_create(m, o, &s) == QINFER_OK, "create: %s", qinfer_last_error());
  qinfer_session_options_destroy(o);
  return s;
}

static void test_attn_seq(void) {
  qinfer_model *m = load_model("attn_seq");
  qi_host_tensor xa = load("attn_seq.A.x"), ma = load("attn_seq.A.mask"), ya = load("attn_seq.A.y");
  qi_host_tensor xb = load("attn_seq.B.x"), mb = load("attn_seq.B.mask"), yb = load("attn_seq.B.y");
  qinfer_session *s = session_seq(m, xa.dims[1]);
  if (!s) return;
  qinfer_tensor_info info;
  set(s, "x", &xa);
  set(s, "mask", &ma);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  check_output(s, &ya, 1e-5, "attn_seq at S=5");
  void *before[64], *after[64];
  const int n_before = packed_buffers(s, before, 64);
  CHECK_MSG(n_before == 4, "%d packed buffers, expected one per weight MatMul", n_before);
  /* resizing x alone: mask, declared [1, S] like x, follows */
  CHECK_MSG(qinfer_session_resize_input(s, 0, xb.dims, xb.rank) == QINFER_OK, "resize: %s",
            qinfer_session_last_error(s));
  CHECK(qinfer_session_input_info(s, 1, &info) == QINFER_OK);
  CHECK_MSG(info.rank == 2 && info.dims[1] == xb.dims[1], "mask did not follow S (%lld)", (long long)info.dims[1]);
  CHECK(packed_buffers(s, after, 64) == n_before && memcmp(before, after, sizeof(void *) * (size_t)n_before) == 0);
  set(s, "x", &xb);
  set(s, "mask", &mb);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  const long allocs = qi_test_n_allocs;
  CHECK(qinfer_session_run(s) == QINFER_OK);
  CHECK_MSG(qi_test_n_allocs == allocs, "%ld allocations in a run after a resize", qi_test_n_allocs - allocs);
  check_output(s, &yb, 1e-5, "attn_seq resized to S=11");
  qinfer_session *fresh = session_seq(m, xb.dims[1]);
  if (fresh) {
    set(fresh, "x", &xb);
    set(fresh, "mask", &mb);
    CHECK(qinfer_session_run(fresh) == QINFER_OK);
    CHECK_MSG(same_bytes(s, fresh), "resized session and fresh session at S=11 differ");
    qinfer_session_destroy(fresh);
  }
  /* a fixed dim of x (16) cannot change */
  const int64_t wide[3] = {1, 11, 17};
  CHECK(qinfer_session_resize_input(s, 0, wide, 3) == QINFER_ERR_SHAPE);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  check_output(s, &yb, 1e-5, "attn_seq still at S=11");
  qinfer_session_destroy(s);
  qinfer_model_destroy(m);
  qi_host_tensor *all[] = {&xa, &ma, &ya, &xb, &mb, &yb};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) qi_host_tensor_free(all[i]);
}

static qinfer_session *with_value(const qinfer_model *m, const char *input, const qi_host_tensor *v) {
  qinfer_session_options *o = NULL;
  qinfer_session_options_create(&o);
  CHECK(qinfer_session_options_set_input_value(o, input, v->dtype, v->data, v->dims, v->rank) == QINFER_OK);
  qinfer_session *s = NULL;
  CHECK_MSG(qinfer_session_create(m, o, &s) == QINFER_OK, "create with a value: %s", qinfer_last_error());
  qinfer_session_options_destroy(o);
  return s;
}

static void test_reshape_input(void) {
  qinfer_model *m = load_model("reshape_input");
  qi_host_tensor x = load("reshape_input.x"), sa = load("reshape_input.A.shape"), ya = load("reshape_input.A.y");
  qi_host_tensor sb = load("reshape_input.B.shape"), yb = load("reshape_input.B.y");
  qinfer_session *s = NULL;
  CHECK(qinfer_session_create(m, NULL, &s) == QINFER_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(qinfer_last_error(), "(Reshape)") && strstr(qinfer_last_error(), "graph input 'shape'"),
            "the error names neither the op nor the input: %s", qinfer_last_error());
  s = with_value(m, "shape", &sa);
  if (s) {
    set(s, "x", &x);
    CHECK(qinfer_session_run(s) == QINFER_OK);
    check_output(s, &ya, 0, "Reshape to the bound value [3,4]");
    set(s, "shape", &sa); /* the same value: nothing to plan */
    const long allocs = qi_test_n_allocs;
    CHECK(qinfer_session_run(s) == QINFER_OK);
    CHECK_MSG(qi_test_n_allocs == allocs, "%ld allocations in a run with the same bound value",
              qi_test_n_allocs - allocs);
    set(s, "shape", &sb); /* another value: the next run plans again */
    CHECK_MSG(qinfer_session_run(s) == QINFER_OK, "run with a new value: %s", qinfer_session_last_error(s));
    check_output(s, &yb, 0, "Reshape to the new value [6,-1]");
    const long allocs_b = qi_test_n_allocs;
    CHECK(qinfer_session_run(s) == QINFER_OK);
    CHECK_MSG(qi_test_n_allocs == allocs_b, "%ld allocations in the second run with the new value",
              qi_test_n_allocs - allocs_b);
    const int64_t three[3] = {2, 3, 2};
    CHECK(qinfer_session_set_input(s, 1, three, sizeof three) == QINFER_ERR_SHAPE);
    CHECK(qinfer_session_resize_input(s, 1, (const int64_t[]){3}, 1) == QINFER_ERR_INVALID_ARGUMENT);
    const int64_t bad[2] = {5, 5}; /* 25 elements for 12 */
    CHECK(qinfer_session_set_input(s, 1, bad, sizeof bad) == QINFER_OK);
    CHECK(qinfer_session_run(s) == QINFER_ERR_SHAPE);
    set(s, "shape", &sb); /* a valid value again: back to work */
    CHECK_MSG(qinfer_session_run(s) == QINFER_OK, "%s", qinfer_session_last_error(s));
    check_output(s, &yb, 0, "Reshape after a refused value");
    qinfer_session_destroy(s);
  }
  /* a value of the wrong dtype */
  qinfer_session_options *o = NULL;
  qinfer_session_options_create(&o);
  const int32_t s32[2] = {3, 4};
  CHECK(qinfer_session_options_set_input_value(o, "shape", QINFER_DTYPE_INT32, s32, sa.dims, 1) == QINFER_OK);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_session_options_set_input_value(o, "shape", QINFER_DTYPE_INT64, NULL, sa.dims, 1) ==
        QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_session_options_set_input_value(o, "nope", QINFER_DTYPE_INT64, sa.data, sa.dims, 1) == QINFER_OK);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_ERR_INVALID_ARGUMENT);
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(m);
  qi_host_tensor *all[] = {&x, &sa, &ya, &sb, &yb};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) qi_host_tensor_free(all[i]);
}

/* starts and ends reach Slice through Identity nodes; a value given for x (which decides nothing) goes unused */
static void test_slice_input(void) {
  qinfer_model *m = load_model("slice_input");
  qi_host_tensor x = load("slice_input.x"), st = load("slice_input.starts"), en = load("slice_input.ends");
  qi_host_tensor y = load("slice_input.y");
  qinfer_session_options *o = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_input_value(o, "starts", st.dtype, st.data, st.dims, st.rank);
  qinfer_session_options_set_input_value(o, "ends", en.dtype, en.data, en.dims, en.rank);
  qinfer_session_options_set_input_value(o, "x", x.dtype, x.data, x.dims, x.rank);
  qinfer_session *s = NULL;
  CHECK_MSG(qinfer_session_create(m, o, &s) == QINFER_OK, "%s", qinfer_last_error());
  if (s) {
    CHECK(qinfer_session_run(s) == QINFER_ERR_INVALID_ARGUMENT); /* x is not bound: it must be set */
    qi_host_tensor x2 = load("slice_input.x");
    for (size_t i = 0; i < x2.nbytes / sizeof(float); i++) ((float *)x2.data)[i] *= -1;
    set(s, "x", &x);
    set(s, "starts", &st);
    CHECK(qinfer_session_run(s) == QINFER_OK);
    check_output(s, &y, 0, "Slice with bound starts / ends");
    set(s, "x", &x2); /* x is read at run time, not bound to the value the options gave */
    CHECK(qinfer_session_run(s) == QINFER_OK);
    for (size_t i = 0; i < y.nbytes / sizeof(float); i++) ((float *)y.data)[i] *= -1;
    check_output(s, &y, 0, "Slice of another x");
    qi_host_tensor_free(&x2);
    qinfer_session_destroy(s);
  }
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(m);
  qi_host_tensor *all[] = {&x, &st, &en, &y};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) qi_host_tensor_free(all[i]);
}

/* The MatMul's constant operand is folded from the input's shape: same size at every S, other values. */
static void test_window_matmul(void) {
  qinfer_model *m = load_model("window_matmul");
  qi_host_tensor xa = load("window_matmul.A.x"), ya = load("window_matmul.A.y");
  qi_host_tensor xb = load("window_matmul.B.x"), yb = load("window_matmul.B.y");
  qinfer_session *s = session_for(m, "x", &xa);
  if (!s) return;
  set(s, "x", &xa);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  check_output(s, &ya, 1e-5, "window_matmul at S=5");
  void *before[8], *after[8];
  const int n_before = packed_buffers(s, before, 8);
  CHECK(n_before == 1);
  CHECK(qinfer_session_resize_input(s, 0, xb.dims, xb.rank) == QINFER_OK);
  set(s, "x", &xb);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  check_output(s, &yb, 1e-5, "window_matmul resized to S=9 (weights packed again)");
  CHECK_MSG(packed_buffers(s, after, 8) == 1 && after[0] != before[0], "the changed operand kept its old packing");
  qinfer_session_destroy(s);
  qinfer_model_destroy(m);
  qi_host_tensor *all[] = {&xa, &ya, &xb, &yb};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) qi_host_tensor_free(all[i]);
}

/* The QDQ conv runs as a QLinearConv on the integer kernels: its packed int8 weights are kept too, and the resized
 * session's outputs are bit-identical to a fresh one's; against numpy within one output step (the requantization
 * rounds a float product that numpy computes in double). 2 threads. */
static void test_qdq_conv_hw(void) {
  qinfer_model *m = load_model("qdq_conv_hw");
  qi_host_tensor xa = load("qdq_conv_hw.A.x"), ya = load("qdq_conv_hw.A.y");
  qi_host_tensor xb = load("qdq_conv_hw.B.x"), yb = load("qdq_conv_hw.B.y");
  qinfer_session_options *o = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_threads(o, 2);
  qinfer_session_options_set_input_shape(o, "x", xa.dims, xa.rank);
  qinfer_session *s = NULL;
  CHECK_MSG(qinfer_session_create(m, o, &s) == QINFER_OK, "%s", qinfer_last_error());
  if (s) {
    int qconv = 0;
    for (int i = 0; i < s->graph->n_nodes; i++)
      qconv += !s->graph->nodes[i].dead && !strcmp(s->graph->nodes[i].op_type, "QLinearConv");
    CHECK_MSG(qconv == 1, "the QDQ conv was not fused into a QLinearConv (%d)", qconv);
    set(s, "x", &xa);
    CHECK(qinfer_session_run(s) == QINFER_OK);
    check_output(s, &ya, 0.051, "qdq_conv_hw at A");
    void *before[8], *after[8];
    const int n_before = packed_buffers(s, before, 8);
    CHECK(n_before == 1);
    CHECK(qinfer_session_resize_input(s, 0, xb.dims, xb.rank) == QINFER_OK);
    CHECK(packed_buffers(s, after, 8) == n_before && after[0] == before[0]);
    set(s, "x", &xb);
    CHECK(qinfer_session_run(s) == QINFER_OK);
    check_output(s, &yb, 0.051, "qdq_conv_hw resized to B");
    qinfer_session_options_set_input_shape(o, "x", xb.dims, xb.rank);
    qinfer_session *fresh = NULL;
    CHECK(qinfer_session_create(m, o, &fresh) == QINFER_OK);
    if (fresh) {
      set(fresh, "x", &xb);
      CHECK(qinfer_session_run(fresh) == QINFER_OK);
      CHECK_MSG(same_bytes(s, fresh), "resized QLinearConv session and fresh session at B differ");
      qinfer_session_destroy(fresh);
    }
    qinfer_session_destroy(s);
  }
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(m);
  qi_host_tensor *all[] = {&xa, &ya, &xb, &yb};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) qi_host_tensor_free(all[i]);
}

/* One node whose weights and per-column values lie in the session's two packed buffers, over x[1, S, 16]: shape
 * A, then resized to B, which keeps both buffers, allocates nothing in its runs and matches a fresh session at B
 * bit for bit and numpy within tol. */
static void test_packed_seq(const char *name, double tol) {
  char what[128];
  qinfer_model *m = load_model(name);
  snprintf(what, sizeof what, "%s.A.x", name);
  qi_host_tensor xa = load(what);
  snprintf(what, sizeof what, "%s.A.y", name);
  qi_host_tensor ya = load(what);
  snprintf(what, sizeof what, "%s.B.x", name);
  qi_host_tensor xb = load(what);
  snprintf(what, sizeof what, "%s.B.y", name);
  qi_host_tensor yb = load(what);
  qinfer_session *s = session_seq(m, xa.dims[1]);
  if (!s) return;
  set(s, "x", &xa);
  CHECK_MSG(qinfer_session_run(s) == QINFER_OK, "%s: %s", name, qinfer_session_last_error(s));
  snprintf(what, sizeof what, "%s at S=%lld", name, (long long)xa.dims[1]);
  check_output(s, &ya, tol, what);
  void *before[8], *after[8];
  const int n_before = packed_buffers(s, before, 8);
  CHECK_MSG(n_before == 2, "%s: %d packed buffers, expected 2 (weights, per-column values)", name, n_before);
  CHECK_MSG(qinfer_session_resize_input(s, 0, xb.dims, xb.rank) == QINFER_OK, "resize: %s",
            qinfer_session_last_error(s));
  CHECK_MSG(packed_buffers(s, after, 8) == n_before && memcmp(before, after, sizeof(void *) * (size_t)n_before) == 0,
            "%s: the packed weights were not kept across the resize", name);
  set(s, "x", &xb);
  CHECK(qinfer_session_run(s) == QINFER_OK); /* warm */
  const long allocs = qi_test_n_allocs;
  for (int r = 0; r < 2; r++) CHECK(qinfer_session_run(s) == QINFER_OK);
  CHECK_MSG(qi_test_n_allocs == allocs, "%s: %ld allocations in 2 runs after a resize", name,
            qi_test_n_allocs - allocs);
  snprintf(what, sizeof what, "%s resized to S=%lld", name, (long long)xb.dims[1]);
  check_output(s, &yb, tol, what);
  qinfer_session *fresh = session_seq(m, xb.dims[1]);
  if (fresh) {
    set(fresh, "x", &xb);
    CHECK(qinfer_session_run(fresh) == QINFER_OK);
    CHECK_MSG(same_bytes(s, fresh), "%s: resized session and fresh session at B differ", name);
    qinfer_session_destroy(fresh);
  }
  qinfer_session_destroy(s);
  qinfer_model_destroy(m);
  qi_host_tensor *all[] = {&xa, &ya, &xb, &yb};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) qi_host_tensor_free(all[i]);
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]), 2;
  dir = argv[1];
  test_conv_hw();
  test_attn_seq();
  test_reshape_input();
  test_slice_input();
  test_window_matmul();
  test_qdq_conv_hw();
  test_packed_seq("dqmm_seq", 1e-6);
  test_packed_seq("qattn_seq", 1e-5);
  return TEST_SUMMARY();
}
