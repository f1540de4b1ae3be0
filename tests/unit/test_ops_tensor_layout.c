/* Layout and indexing ops against naive N-d oracles: Transpose, DepthToSpace, SpaceToDepth, Reshape,
 * Flatten, Squeeze, Unsqueeze, Identity, Dropout, Concat, Split, Slice, Gather, GatherElements, Tile, Trilu. */
#include "engine/threadpool.h"
#include "test_ops_tensor_util.h"

TEST_MAIN_GLOBALS;

static qi_error err;

/* Fills n elements of es bytes with a pattern unique per element. */
static void *pattern(int64_t n, size_t es) {
  unsigned char *p = malloc((size_t)(n ? n : 1) * es);
  for (int64_t i = 0; i < n; i++)
    for (size_t b = 0; b < es; b++) p[(size_t)i * es + b] = (unsigned char)((i * 7 + (int64_t)b * 131 + (i >> 8)) & 0xff);
  return p;
}

static int dtype_of_size(size_t es) {
  return es == 1 ? QINFER_DTYPE_UINT8 : es == 2 ? QINFER_DTYPE_FLOAT16 : es == 4 ? QINFER_DTYPE_FLOAT : QINFER_DTYPE_INT64;
}

/* ---- Transpose ---- */

static void check_transpose(int rank, const int64_t *dims, const int *perm, size_t es, qi_threadpool *pool) {
  qi_graph *g = qi_graph_new();
  int64_t numel = 1;
  for (int i = 0; i < rank; i++) numel *= dims[i];
  unsigned char *x = pattern(numel, es);
  int in = tt_input(g, "x", dtype_of_size(es), rank, dims, x), out = tt_out(g, "y");
  int node = tt_node(g, "Transpose", 13, &in, 1, &out, 1);
  int64_t p64[QI_MAX_RANK];
  for (int i = 0; i < rank; i++) p64[i] = perm[i];
  if (perm) tt_attr_ints(g, node, "perm", rank, p64);
  CHECK(tt_run_pool(g, node, pool, &err) == QINFER_OK);
  int64_t od[QI_MAX_RANK], pos[QI_MAX_RANK] = {0}, ipos[QI_MAX_RANK];
  for (int i = 0; i < rank; i++) od[i] = dims[perm[i]];
  CHECK(tt_shape_is(g, out, rank, od));
  const unsigned char *y = tt_t(g, out)->data;
  bool ok = true;
  if (numel > 0) do {
      for (int i = 0; i < rank; i++) ipos[perm[i]] = pos[i];
      if (memcmp(y + tt_flat(rank, od, pos) * (int64_t)es, x + tt_flat(rank, dims, ipos) * (int64_t)es, es)) ok = false;
    } while (tt_next(rank, od, pos));
  CHECK_MSG(ok, "transpose rank %d es %zu", rank, es);
  free(x);
  qi_graph_free(g);
}

static bool next_perm(int *p, int n) { /* lexicographic next permutation */
  int i = n - 2;
  while (i >= 0 && p[i] >= p[i + 1]) i--;
  if (i < 0) return false;
  int j = n - 1;
  while (p[j] <= p[i]) j--;
  int t = p[i]; p[i] = p[j]; p[j] = t;
  for (int a = i + 1, b = n - 1; a < b; a++, b--) t = p[a], p[a] = p[b], p[b] = t;
  return true;
}

static void test_transpose(void) {
  static const int64_t shapes[][5] = {{2, 3, 4, 5, 1}, {1, 7, 1, 9, 2}, {3, 1, 2, 2, 3}};
  for (int s = 0; s < 3; s++)
    for (int rank = 1; rank <= 4; rank++) {
      int perm[5] = {0, 1, 2, 3, 4};
      do {
        for (size_t es = 1; es <= 8; es *= 2) check_transpose(rank, shapes[s], perm, es, NULL);
      } while (next_perm(perm, rank));
    }
  /* big 2-D and batched tiles, through a pool */
  qi_threadpool *pool = qi_threadpool_create(3);
  const int64_t big[] = {67, 130};
  const int perm2[] = {1, 0};
  check_transpose(2, big, perm2, 4, pool);
  check_transpose(2, big, perm2, 1, NULL);
  const int64_t nchw[] = {2, 37, 17, 19};
  const int to_nhwc[] = {0, 2, 3, 1}, to_x[] = {3, 1, 0, 2};
  check_transpose(4, nchw, to_nhwc, 4, pool);
  check_transpose(4, nchw, to_x, 2, pool);
  const int64_t five[] = {3, 4, 5, 6, 7};
  const int p5[] = {4, 2, 0, 3, 1};
  check_transpose(5, five, p5, 8, NULL);
  const int64_t empty[] = {3, 0, 2};
  const int p3[] = {2, 1, 0};
  check_transpose(3, empty, p3, 4, NULL);
  qi_threadpool_destroy(pool);

  /* default perm reverses; bad perms fail */
  qi_graph *g = qi_graph_new();
  int64_t d[3] = {2, 3, 4};
  float buf[24];
  int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 3, d, buf), out = tt_out(g, "y");
  int node = tt_node(g, "Transpose", 13, &in, 1, &out, 1);
  CHECK(tt_infer(g, node, &err) == QINFER_OK);
  CHECK(tt_shape_is(g, out, 3, (int64_t[]){4, 3, 2}));
  tt_attr_ints(g, node, "perm", 3, (int64_t[]){0, 0, 1});
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
  CHECK(strstr(err.msg, "Transpose") && strstr(err.msg, "n0"));
  g->nodes[node].attrs[0].ints[1] = 3;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
  g->nodes[node].attrs[0].n = 2;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
  g->nodes[node].attrs[0].n = 3;
  g->nodes[node].attrs[0].ints[1] = -1; /* negative entries are normalised */
  CHECK(tt_infer(g, node, &err) == QINFER_OK);
  qi_graph_free(g);
}

/* ---- DepthToSpace / SpaceToDepth ---- */

static void test_depth_space(void) {
  const int64_t N = 2, C = 8, H = 3, W = 2, b = 2;
  float x[2 * 8 * 3 * 2];
  for (int i = 0; i < 96; i++) x[i] = (float)i;
  for (int mode = 0; mode < 2; mode++) {
    qi_graph *g = qi_graph_new();
    int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, (int64_t[]){N, C, H, W}, x), out = tt_out(g, "y");
    int node = tt_node(g, "DepthToSpace", 13, &in, 1, &out, 1);
    tt_attr_int(g, node, "blocksize", b);
    tt_attr_string(g, node, "mode", mode ? "CRD" : "DCR");
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    CHECK(tt_shape_is(g, out, 4, (int64_t[]){N, C / 4, H * b, W * b}));
    const float *y = tt_t(g, out)->data;
    bool ok = true;
    for (int64_t n = 0; n < N; n++)
      for (int64_t c = 0; c < C / 4; c++)
        for (int64_t h = 0; h < H * b; h++)
          for (int64_t w = 0; w < W * b; w++) {
            int64_t bh = h % b, bw = w % b;
            int64_t ic = mode ? c * b * b + bh * b + bw : bh * b * (C / 4) + bw * (C / 4) + c;
            float want = x[((n * C + ic) * H + h / b) * W + w / b];
            if (y[((n * (C / 4) + c) * H * b + h) * W * b + w] != want) ok = false;
          }
    CHECK_MSG(ok, "DepthToSpace %s", mode ? "CRD" : "DCR");
    qi_graph_free(g);
  }
  /* SpaceToDepth inverts DCR DepthToSpace */
  qi_graph *g = qi_graph_new();
  int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, (int64_t[]){N, 2, 4, 6}, x), out = tt_out(g, "y");
  int node = tt_node(g, "SpaceToDepth", 13, &in, 1, &out, 1);
  tt_attr_int(g, node, "blocksize", 2);
  CHECK(tt_run(g, node, &err) == QINFER_OK);
  CHECK(tt_shape_is(g, out, 4, (int64_t[]){N, 8, 2, 3}));
  const float *y = tt_t(g, out)->data;
  bool ok = true;
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < 8; c++)
      for (int64_t h = 0; h < 2; h++)
        for (int64_t w = 0; w < 3; w++) {
          int64_t bh = c / 4, bw = (c / 2) % 2, ic = c % 2;
          if (y[((n * 8 + c) * 2 + h) * 3 + w] != x[((n * 2 + ic) * 4 + h * 2 + bh) * 6 + w * 2 + bw]) ok = false;
        }
  CHECK(ok);
  g->nodes[node].attrs[0].i = 4; /* 4 does not divide 6 */
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_SHAPE);
  qi_graph_free(g);
}

/* ---- Reshape family ---- */

static qi_status reshape(int rank, const int64_t *dims, int n, const int64_t *shape, int opset, int allowzero,
                         int64_t *out_dims, int *out_rank) {
  qi_graph *g = qi_graph_new();
  float buf[64];
  for (int i = 0; i < 64; i++) buf[i] = (float)i;
  int ins[2] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, rank, dims, buf), tt_const_i64(g, "s", n, shape)};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Reshape", opset, ins, 2, &out, 1);
  if (allowzero >= 0) tt_attr_int(g, node, "allowzero", allowzero);
  qi_status s = tt_run(g, node, &err);
  if (s == QINFER_OK) {
    *out_rank = tt_t(g, out)->rank;
    memcpy(out_dims, tt_t(g, out)->dims, sizeof(int64_t) * (size_t)*out_rank);
    const float *y = tt_t(g, out)->data;
    bool ok = true;
    for (int64_t i = 0; i < qi_tensor_numel(tt_t(g, out)); i++) ok = ok && y[i] == (float)i;
    CHECK(ok);
  }
  qi_graph_free(g);
  return s;
}

static void test_reshape(void) {
  int64_t od[8];
  int r;
  CHECK(reshape(3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){-1, 4}, 13, -1, od, &r) == QINFER_OK && r == 2 && od[0] == 6);
  CHECK(reshape(3, (int64_t[]){2, 3, 4}, 3, (int64_t[]){0, 0, -1}, 13, -1, od, &r) == QINFER_OK && od[2] == 4);
  CHECK(reshape(3, (int64_t[]){2, 3, 4}, 4, (int64_t[]){2, 0, 2, 2}, 13, -1, od, &r) == QINFER_OK && od[1] == 3);
  CHECK(reshape(3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){-1, -1}, 13, -1, od, &r) == QINFER_ERR_INVALID_MODEL);
  CHECK(reshape(3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){5, -1}, 13, -1, od, &r) == QINFER_ERR_SHAPE);
  CHECK(reshape(3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){5, 5}, 13, -1, od, &r) == QINFER_ERR_SHAPE);
  CHECK(reshape(3, (int64_t[]){2, 3, 4}, 1, (int64_t[]){-2}, 13, -1, od, &r) == QINFER_ERR_INVALID_MODEL);
  /* allowzero: 0 is a real zero (needs an empty input); combined with -1 it is invalid */
  CHECK(reshape(2, (int64_t[]){0, 3}, 2, (int64_t[]){3, 0}, 14, 1, od, &r) == QINFER_OK && od[0] == 3 && od[1] == 0);
  CHECK(reshape(2, (int64_t[]){0, 3}, 2, (int64_t[]){0, -1}, 14, 1, od, &r) == QINFER_ERR_INVALID_MODEL);
  CHECK(reshape(2, (int64_t[]){2, 3}, 2, (int64_t[]){0, 3}, 14, 1, od, &r) == QINFER_ERR_SHAPE);
  /* opset 13 ignores allowzero */
  CHECK(reshape(2, (int64_t[]){2, 3}, 2, (int64_t[]){0, 3}, 13, 1, od, &r) == QINFER_OK && od[0] == 2);
  CHECK(reshape(0, NULL, 1, (int64_t[]){1}, 13, -1, od, &r) == QINFER_OK && r == 1);

  /* shape that is not constant */
  qi_graph *g = qi_graph_new();
  float buf[6];
  int64_t sv[2] = {3, 2};
  int ins[2] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 2, (int64_t[]){2, 3}, buf),
                tt_input(g, "s", QINFER_DTYPE_INT64, 1, (int64_t[]){2}, sv)};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Reshape", 13, ins, 2, &out, 1);
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
  CHECK(strstr(err.msg, "must be constant") != NULL);
  qi_graph_free(g);
}

static void test_flatten(void) {
  int64_t d[4] = {2, 3, 4, 5};
  float buf[120];
  for (int axis = -4; axis <= 4; axis++) {
    qi_graph *g = qi_graph_new();
    int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, d, buf), out = tt_out(g, "y");
    int node = tt_node(g, "Flatten", 13, &in, 1, &out, 1);
    tt_attr_int(g, node, "axis", axis);
    CHECK(tt_infer(g, node, &err) == QINFER_OK);
    int a = axis < 0 ? axis + 4 : axis;
    int64_t left = 1;
    for (int i = 0; i < a; i++) left *= d[i];
    CHECK(tt_shape_is(g, out, 2, (int64_t[]){left, 120 / left}));
    g->nodes[node].attrs[0].i = 5;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
    qi_graph_free(g);
  }
}

static void test_squeeze_unsqueeze(void) {
  int64_t d[4] = {1, 3, 1, 2};
  float buf[6] = {1, 2, 3, 4, 5, 6};
  for (int opset = 11; opset <= 13; opset += 2) {
    /* Squeeze with axes */
    qi_graph *g = qi_graph_new();
    int ins[2] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, d, buf), -1};
    int64_t axes[1] = {-2};
    int nin = 1;
    if (opset >= 13) {
      ins[1] = tt_const_i64(g, "axes", 1, axes);
      nin = 2;
    }
    int out = tt_out(g, "y");
    int node = tt_node(g, "Squeeze", opset, ins, nin, &out, 1);
    if (opset < 13) tt_attr_ints(g, node, "axes", 1, axes);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    CHECK(tt_shape_is(g, out, 3, (int64_t[]){1, 3, 2}));
    CHECK(memcmp(tt_t(g, out)->data, buf, sizeof buf) == 0);
    /* squeezing a non-1 axis fails */
    if (opset >= 13) ((int64_t *)g->tensors[ins[1]].data)[0] = 1;
    else g->nodes[node].attrs[0].ints[0] = 1;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_SHAPE);
    if (opset >= 13) ((int64_t *)g->tensors[ins[1]].data)[0] = 4;
    else g->nodes[node].attrs[0].ints[0] = 4;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
    qi_graph_free(g);

    /* Squeeze without axes removes every 1 */
    g = qi_graph_new();
    int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 4, d, buf);
    out = tt_out(g, "y");
    node = tt_node(g, "Squeeze", opset, &in, 1, &out, 1);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    CHECK(tt_shape_is(g, out, 2, (int64_t[]){3, 2}));
    qi_graph_free(g);

    /* Unsqueeze at several positions, negative axes against the output rank */
    g = qi_graph_new();
    int64_t uaxes[3] = {0, -1, 2};
    ins[0] = tt_input(g, "x", QINFER_DTYPE_FLOAT, 2, (int64_t[]){3, 2}, buf);
    nin = 1;
    if (opset >= 13) {
      ins[1] = tt_const_i64(g, "axes", 3, uaxes);
      nin = 2;
    }
    out = tt_out(g, "y");
    node = tt_node(g, "Unsqueeze", opset, ins, nin, &out, 1);
    if (opset < 13) tt_attr_ints(g, node, "axes", 3, uaxes);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    CHECK(tt_shape_is(g, out, 5, (int64_t[]){1, 3, 1, 2, 1}));
    CHECK(memcmp(tt_t(g, out)->data, buf, sizeof buf) == 0);
    if (opset >= 13) ((int64_t *)g->tensors[ins[1]].data)[1] = 0;
    else g->nodes[node].attrs[0].ints[1] = 0;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL); /* repeated axis */
    qi_graph_free(g);
  }
}

static void test_identity_dropout(void) {
  float buf[4] = {1, -2, 3, -4};
  for (int opset = 9; opset <= 13; opset += 4) {
    qi_graph *g = qi_graph_new();
    int in = tt_input(g, "x", QINFER_DTYPE_FLOAT, 2, (int64_t[]){2, 2}, buf);
    int outs[2] = {tt_out(g, "y"), tt_out(g, "mask")};
    int node = tt_node(g, "Dropout", opset, &in, 1, outs, 2);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    CHECK(memcmp(tt_t(g, outs[0])->data, buf, sizeof buf) == 0);
    if (opset >= 10) {
      CHECK(tt_t(g, outs[1])->dtype == QINFER_DTYPE_BOOL);
      CHECK(((uint8_t *)tt_t(g, outs[1])->data)[3] == 1);
    } else {
      CHECK(tt_t(g, outs[1])->dtype == QINFER_DTYPE_FLOAT && ((float *)tt_t(g, outs[1])->data)[2] == 1.0f);
    }
    qi_graph_free(g);
  }
  /* training_mode = true is random: unsupported */
  qi_graph *g = qi_graph_new();
  uint8_t yes = 1;
  float ratio = 0.3f;
  int ins[3] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 1, (int64_t[]){4}, buf),
                tt_const(g, "r", QINFER_DTYPE_FLOAT, 0, NULL, &ratio), tt_const(g, "t", QINFER_DTYPE_BOOL, 0, NULL, &yes)};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Dropout", 13, ins, 3, &out, 1);
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
  qi_graph_free(g);

  /* training_mode and ratio fed at run time (ONNX's test_training_dropout_zero_ratio*): training with ratio 0 is
   * the identity with an all-true mask; any other ratio is refused when the run sees it; training false runs. */
  const struct { uint8_t training; float ratio; qi_status want; } rt[] = {
      {1, 0.0f, QINFER_OK}, {1, 0.5f, QINFER_ERR_UNSUPPORTED}, {0, 0.5f, QINFER_OK}};
  for (size_t k = 0; k < sizeof rt / sizeof rt[0]; k++) {
    g = qi_graph_new();
    int rins[3] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 1, (int64_t[]){4}, buf),
                   tt_input(g, "r", QINFER_DTYPE_FLOAT, 0, NULL, &rt[k].ratio),
                   tt_input(g, "t", QINFER_DTYPE_BOOL, 0, NULL, &rt[k].training)};
    int routs[2] = {tt_out(g, "y"), tt_out(g, "mask")};
    node = tt_node(g, "Dropout", 13, rins, 3, routs, 2);
    CHECK(tt_infer(g, node, &err) == QINFER_OK);
    CHECK(tt_run(g, node, &err) == rt[k].want);
    if (rt[k].want == QINFER_OK) {
      CHECK(memcmp(tt_t(g, routs[0])->data, buf, sizeof buf) == 0);
      CHECK(((uint8_t *)tt_t(g, routs[1])->data)[0] == 1 && ((uint8_t *)tt_t(g, routs[1])->data)[3] == 1);
    }
    qi_graph_free(g);
  }

  g = qi_graph_new();
  int64_t dd[3] = {2, 1, 2};
  int in = tt_input(g, "x", QINFER_DTYPE_INT64, 3, dd, (int64_t[]){1, 2, 3, 4});
  out = tt_out(g, "y");
  node = tt_node(g, "Identity", 16, &in, 1, &out, 1);
  CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 3, dd));
  CHECK(((int64_t *)tt_t(g, out)->data)[3] == 4);
  qi_graph_free(g);
}

/* ---- Concat / Split ---- */

static void test_concat(void) {
  for (int axis = -3; axis < 3; axis++) {
    int a = axis < 0 ? axis + 3 : axis;
    int64_t base[3] = {2, 3, 4}, sizes[3] = {1, 0, 3};
    qi_graph *g = qi_graph_new();
    int ins[3];
    int32_t *data[3];
    int64_t dims[3][3];
    for (int i = 0; i < 3; i++) {
      memcpy(dims[i], base, sizeof base);
      dims[i][a] = sizes[i];
      int64_t cnt = dims[i][0] * dims[i][1] * dims[i][2];
      data[i] = malloc(sizeof(int32_t) * (size_t)(cnt + 1));
      for (int64_t k = 0; k < cnt; k++) data[i][k] = (int32_t)(i * 1000 + k);
      ins[i] = tt_input(g, i == 0 ? "a" : i == 1 ? "b" : "c", QINFER_DTYPE_INT32, 3, dims[i], data[i]);
    }
    int out = tt_out(g, "y");
    int node = tt_node(g, "Concat", 13, ins, 3, &out, 1);
    tt_attr_int(g, node, "axis", axis);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    int64_t od[3];
    memcpy(od, base, sizeof od);
    od[a] = 4;
    CHECK(tt_shape_is(g, out, 3, od));
    const int32_t *y = tt_t(g, out)->data;
    int64_t pos[3] = {0}, ip[3];
    bool ok = true;
    do {
      int which = 0;
      int64_t k = pos[a];
      while (k >= sizes[which]) k -= sizes[which++];
      memcpy(ip, pos, sizeof ip);
      ip[a] = k;
      if (y[tt_flat(3, od, pos)] != data[which][tt_flat(3, dims[which], ip)]) ok = false;
    } while (tt_next(3, od, pos));
    CHECK_MSG(ok, "concat axis %d", axis);
    /* mismatch off the axis */
    g->tensors[ins[1]].dims[(a + 1) % 3] += 1;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_SHAPE);
    g->tensors[ins[1]].dims[(a + 1) % 3] -= 1;
    g->nodes[node].attrs[0].i = 3;
    CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
    for (int i = 0; i < 3; i++) free(data[i]);
    qi_graph_free(g);
  }
}

static void test_split(void) {
  int32_t x[2 * 7];
  for (int i = 0; i < 14; i++) x[i] = i;
  /* variants: opset 11 attr, 13 input, 18 num_outputs (uneven), 13 equal split */
  struct { int opset, mode, nout; int64_t sizes[3]; } cases[] = {
      {11, 0, 3, {2, 4, 1}}, {13, 1, 3, {3, 0, 4}}, {18, 2, 3, {3, 3, 1}}, {18, 2, 2, {4, 3, 0}}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    qi_graph *g = qi_graph_new();
    int ins[2] = {tt_input(g, "x", QINFER_DTYPE_INT32, 2, (int64_t[]){2, 7}, x), -1};
    int nin = 1;
    if (cases[c].mode == 1) {
      ins[1] = tt_const_i64(g, "split", cases[c].nout, cases[c].sizes);
      nin = 2;
    }
    int outs[3] = {tt_out(g, "a"), tt_out(g, "b"), tt_out(g, "c")};
    int node = tt_node(g, "Split", cases[c].opset, ins, nin, outs, cases[c].nout);
    tt_attr_int(g, node, "axis", -1);
    if (cases[c].mode == 0) tt_attr_ints(g, node, "split", cases[c].nout, cases[c].sizes);
    if (cases[c].mode == 2) tt_attr_int(g, node, "num_outputs", cases[c].nout);
    CHECK(tt_run(g, node, &err) == QINFER_OK);
    int64_t start = 0;
    for (int o = 0; o < cases[c].nout; o++) {
      int64_t w = cases[c].sizes[o];
      CHECK_MSG(tt_shape_is(g, outs[o], 2, (int64_t[]){2, w}), "split case %zu out %d", c, o);
      const int32_t *y = tt_t(g, outs[o])->data;
      bool ok = true;
      for (int r = 0; r < 2; r++)
        for (int64_t k = 0; k < w; k++) ok = ok && y[r * w + k] == x[r * 7 + start + k];
      CHECK(ok);
      start += w;
    }
    qi_graph_free(g);
  }
  /* equal split must divide; bad sums fail */
  qi_graph *g = qi_graph_new();
  int in = tt_input(g, "x", QINFER_DTYPE_INT32, 2, (int64_t[]){2, 7}, x);
  int outs[2] = {tt_out(g, "a"), tt_out(g, "b")};
  int node = tt_node(g, "Split", 13, &in, 1, outs, 2);
  tt_attr_int(g, node, "axis", 1);
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_SHAPE);
  g->nodes[node].attrs[0].i = 0;
  CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, outs[1], 2, (int64_t[]){1, 7}));
  CHECK(((int32_t *)tt_t(g, outs[1])->data)[0] == 7);
  qi_graph_free(g);
  g = qi_graph_new();
  in = tt_input(g, "x", QINFER_DTYPE_INT32, 2, (int64_t[]){2, 7}, x);
  node = tt_node(g, "Split", 11, &in, 1, outs, 2);
  tt_attr_int(g, node, "axis", 1);
  tt_attr_ints(g, node, "split", 2, (int64_t[]){3, 3});
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_SHAPE);
  qi_graph_free(g);
}

/* ---- Slice ---- */

/* The clamping the ONNX spec (and ONNX Runtime) specifies, written independently. It differs from Python's
 * slice.indices in one place: with a negative step, a start below -dim clamps to 0 (Python: empty). */
static int64_t py_slice(int64_t start, int64_t stop, int64_t step, int64_t len, int64_t *first) {
  int64_t upper = step < 0 ? len - 1 : len;
  if (start < 0) { start += len; if (start < 0) start = 0; }
  if (start > upper) start = upper;
  if (stop == INT64_MAX && step < 0) stop = -1;
  else if (stop < 0) { stop += len; if (stop < (step < 0 ? -1 : 0)) stop = step < 0 ? -1 : 0; }
  else if (stop > upper) stop = upper;
  if (len == 0) start = stop = 0;
  *first = start;
  int64_t n = 0;
  if (step > 0) for (int64_t i = start; i < stop; i += step) n++;
  else for (int64_t i = start; i > stop; i += step) n++;
  return n;
}

static void test_slice_random(void) {
  qi_threadpool *pool = qi_threadpool_create(2);
  for (int iter = 0; iter < 300; iter++) {
    int rank = 1 + (int)(tt_rand() % 4);
    int64_t dims[4], numel = 1;
    for (int i = 0; i < rank; i++) numel *= (dims[i] = tt_rand() % 6);
    int16_t *x = malloc(sizeof(int16_t) * (size_t)(numel + 1));
    for (int64_t i = 0; i < numel; i++) x[i] = (int16_t)i;
    int ns = 1 + (int)(tt_rand() % (unsigned)rank);
    int64_t starts[4], ends[4], axes[4], steps[4];
    int order[4] = {0, 1, 2, 3};
    for (int i = rank - 1; i > 0; i--) { int j = (int)(tt_rand() % (unsigned)(i + 1)), t = order[i]; order[i] = order[j]; order[j] = t; }
    static const int64_t specials[] = {INT64_MAX, INT64_MIN, -1000, 1000};
    for (int i = 0; i < ns; i++) {
      axes[i] = order[i] - ((tt_rand() & 1) ? rank : 0);
      starts[i] = (tt_rand() % 8 == 0) ? specials[tt_rand() % 4] : (int64_t)(tt_rand() % 15) - 7;
      ends[i] = (tt_rand() % 8 == 0) ? specials[tt_rand() % 4] : (int64_t)(tt_rand() % 15) - 7;
      steps[i] = (int64_t)(tt_rand() % 7) - 3;
      if (steps[i] == 0) steps[i] = 1;
    }
    int opset = (iter % 3 == 0) ? 9 : 13;
    if (opset == 9) for (int i = 0; i < ns; i++) steps[i] = 1;
    qi_graph *g = qi_graph_new();
    int ins[5] = {tt_input(g, "x", QINFER_DTYPE_INT16, rank, dims, x), -1, -1, -1, -1}, nin = 1;
    if (opset >= 10) {
      ins[1] = tt_const_i64(g, "starts", ns, starts);
      ins[2] = tt_const_i64(g, "ends", ns, ends);
      ins[3] = tt_const_i64(g, "axes", ns, axes);
      ins[4] = tt_const_i64(g, "steps", ns, steps);
      nin = 5;
    }
    int out = tt_out(g, "y");
    int node = tt_node(g, "Slice", opset, ins, nin, &out, 1);
    if (opset < 10) {
      tt_attr_ints(g, node, "starts", ns, starts);
      tt_attr_ints(g, node, "ends", ns, ends);
      tt_attr_ints(g, node, "axes", ns, axes);
    }
    CHECK(tt_run_pool(g, node, pool, &err) == QINFER_OK);
    int64_t first[4], step[4], od[4];
    for (int d = 0; d < rank; d++) first[d] = 0, step[d] = 1, od[d] = dims[d];
    for (int i = 0; i < ns; i++) {
      int d = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
      step[d] = steps[i];
      od[d] = py_slice(starts[i], ends[i], steps[i], dims[d], &first[d]);
    }
    CHECK_MSG(tt_shape_is(g, out, rank, od), "slice iter %d", iter);
    int64_t cnt = 1, pos[4] = {0}, ip[4];
    for (int d = 0; d < rank; d++) cnt *= od[d];
    bool ok = true;
    if (cnt > 0 && tt_shape_is(g, out, rank, od)) do {
        for (int d = 0; d < rank; d++) ip[d] = first[d] + pos[d] * step[d];
        if (((int16_t *)tt_t(g, out)->data)[tt_flat(rank, od, pos)] != x[tt_flat(rank, dims, ip)]) ok = false;
      } while (tt_next(rank, od, pos));
    CHECK_MSG(ok, "slice iter %d values", iter);
    free(x);
    qi_graph_free(g);
  }
  qi_threadpool_destroy(pool);

  /* errors: zero step, repeated axis, mismatched lengths, non-constant starts */
  float buf[12];
  qi_graph *g = qi_graph_new();
  int64_t dims[2] = {3, 4};
  int ins[5] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 2, dims, buf), tt_const_i64(g, "s", 2, (int64_t[]){0, 0}),
                tt_const_i64(g, "e", 2, (int64_t[]){2, 2}), tt_const_i64(g, "a", 2, (int64_t[]){0, -2}),
                tt_const_i64(g, "st", 2, (int64_t[]){1, 0})};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Slice", 13, ins, 5, &out, 1);
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL); /* repeated axis 0 */
  ((int64_t *)g->tensors[ins[3]].data)[1] = 1;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL); /* step 0 */
  ((int64_t *)g->tensors[ins[4]].data)[1] = 2;
  CHECK(tt_infer(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 2, (int64_t[]){2, 1}));
  ((int64_t *)g->tensors[ins[3]].data)[1] = 2;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL); /* axis out of range */
  ((int64_t *)g->tensors[ins[3]].data)[1] = 1;
  g->tensors[ins[1]].flags &= ~(uint32_t)QI_TF_CONST;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_UNSUPPORTED);
  qi_graph_free(g);
}

/* The spec's clamping (Slice-13, with ONNX Runtime's INT_MAX end) in 128-bit arithmetic, so that no value of
 * start / end / step can overflow: the output length is ceil((end - start) / step), at least 0. 32-bit targets
 * (armv7) have no __int128: long double there is the 64-bit double, so the length comes from the clamped start
 * and end, which lie in [-1, dim], as 1 + (distance - 1) / |step| in unsigned 64-bit arithmetic. */
#if defined(__SIZEOF_INT128__)
typedef __int128 wide_int;
#else
typedef int64_t wide_int;
#endif
static int64_t wide_slice(int64_t start, int64_t end, int64_t step, int64_t dim, int64_t *first) {
  wide_int s = start, e = end, n = dim;
  if (s < 0) s += n;
  wide_int s_hi = step > 0 ? n : n - 1;
  s = s < 0 ? 0 : (s > s_hi ? s_hi : s);
  if (end == INT64_MAX || end == INT32_MAX) e = step < 0 ? -1 : n;
  else {
    if (e < 0) e += n;
    wide_int e_lo = step > 0 ? 0 : -1;
    e = e < e_lo ? e_lo : (e > s_hi ? s_hi : e);
  }
#if defined(__SIZEOF_INT128__)
  wide_int st = step, len = step > 0 ? (e - s + st - 1) / st : (s - e - st - 1) / -st;
#else
  const int64_t dist = step > 0 ? e - s : s - e; /* s, e in [-1, dim]: no overflow */
  const uint64_t mag = step > 0 ? (uint64_t)step : 0u - (uint64_t)step;
  wide_int len = dist <= 0 ? 0 : (int64_t)(1u + (uint64_t)(dist - 1) / mag);
#endif
  if (len < 0 || n == 0) len = 0;
  *first = (int64_t)s;
  return (int64_t)len;
}

/* Extreme starts / ends / steps on short axes, positive and negative axis numbers: no signed overflow
 * (UBSan), shapes and values as the wide reference. Then rows checked against Python / numpy slicing
 * (len(range(*slice(start, end, step).indices(dim)))) where numpy and the spec agree: not a negative step with
 * a start below -dim (the spec clamps it to 0, numpy makes the slice empty), nor an end of INT_MAX with a
 * negative step (through element 0 in ONNX Runtime, empty in numpy). */
static void test_slice_extremes(void) {
  static const int64_t vals[] = {INT64_MIN, INT64_MIN + 1, INT32_MIN, -7, -6, -5, -2, -1, 0, 1, 4, 5, 6,
                                 INT32_MAX, INT64_MAX - 1, INT64_MAX};
  static const int64_t steps[] = {INT64_MIN, INT64_MIN + 1, INT32_MIN, -3, -2, -1, 1, 2, 3,
                                  INT32_MAX, INT64_MAX - 1, INT64_MAX};
  int16_t x[3 * 5];
  for (int i = 0; i < 15; i++) x[i] = (int16_t)(100 + i);
  int bad = 0;
  for (int64_t dim = 0; dim <= 5; dim += (dim == 2 ? 3 : 1))
    for (int axis_case = 0; axis_case < 2; axis_case++) /* slice axis -1 of [3, dim], axis 0 of [dim, 3] */
      for (size_t si = 0; si < sizeof vals / sizeof *vals; si++)
        for (size_t ei = 0; ei < sizeof vals / sizeof *vals; ei++)
          for (size_t ki = 0; ki < sizeof steps / sizeof *steps; ki++) {
            int64_t st = vals[si], en = vals[ei], step = steps[ki];
            int64_t dims[2] = {axis_case ? dim : 3, axis_case ? 3 : dim}, axis = axis_case ? 0 : -1;
            qi_graph *g = qi_graph_new();
            int ins[5] = {tt_input(g, "x", QINFER_DTYPE_INT16, 2, dims, x), tt_const_i64(g, "s", 1, &st),
                          tt_const_i64(g, "e", 1, &en), tt_const_i64(g, "a", 1, &axis),
                          tt_const_i64(g, "st", 1, &step)};
            int out = tt_out(g, "y");
            int node = tt_node(g, "Slice", 13, ins, 5, &out, 1);
            int64_t first, len = wide_slice(st, en, step, dim, &first), od[2] = {dims[0], dims[1]};
            od[axis_case ? 0 : 1] = len;
            bool ok = tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 2, od);
            for (int64_t i = 0; ok && i < len * 3; i++) {
              int64_t k = i % len, other = i / len; /* k along the sliced axis */
              int64_t src = axis_case ? (first + k * step) * 3 + other : other * dim + first + k * step;
              int64_t dst = axis_case ? k * 3 + other : other * len + k;
              ok = ((int16_t *)tt_t(g, out)->data)[dst] == x[src];
            }
            if (!ok && bad++ < 5)
              fprintf(stderr, "slice dim %lld axis %lld start %lld end %lld step %lld: expected length %lld\n",
                      (long long)dim, (long long)axis, (long long)st, (long long)en, (long long)step, (long long)len);
            qi_graph_free(g);
          }
  CHECK_MSG(bad == 0, "%d extreme slices differ from the wide reference", bad);

  /* numpy: x = np.zeros((1, d)); x[:, start:end:step].shape[1] */
  static const struct { int64_t dim, start, end, step, len; } np_rows[] = {
      {1, INT64_MIN, INT64_MAX - 1, INT64_MAX, 1}, {1, INT64_MAX, INT64_MIN, INT64_MIN, 1},
      {1, INT64_MIN, INT64_MIN, 1, 0},            {1, INT64_MAX, INT64_MAX - 1, -1, 0},
      {1, 0, INT64_MAX - 1, INT64_MAX, 1},        {1, INT64_MAX, INT64_MIN, -1, 1},
      {2, INT64_MIN, INT64_MAX - 1, INT64_MAX, 1}, {2, -1, INT64_MIN, INT64_MIN, 1},
      {5, 4, INT64_MIN, INT64_MIN + 1, 1},         {5, 0, INT64_MAX - 1, 2, 3},
      {5, INT64_MAX - 1, INT64_MIN + 1, -2, 3},    {5, INT64_MIN, -1, INT64_MAX - 1, 1},
      {0, INT64_MIN, INT64_MAX - 1, INT64_MAX, 0}, {0, INT64_MAX, INT64_MIN, INT64_MIN, 0},
  };
  for (size_t i = 0; i < sizeof np_rows / sizeof *np_rows; i++) {
    int64_t first, len = wide_slice(np_rows[i].start, np_rows[i].end, np_rows[i].step, np_rows[i].dim, &first);
    CHECK_MSG(len == np_rows[i].len, "numpy row %zu: reference length %lld", i, (long long)len);
    int64_t dims[2] = {1, np_rows[i].dim}, axis = -1;
    qi_graph *g = qi_graph_new();
    int ins[5] = {tt_input(g, "x", QINFER_DTYPE_INT16, 2, dims, x), tt_const_i64(g, "s", 1, &np_rows[i].start),
                  tt_const_i64(g, "e", 1, &np_rows[i].end), tt_const_i64(g, "a", 1, &axis),
                  tt_const_i64(g, "st", 1, &np_rows[i].step)};
    int out = tt_out(g, "y");
    int node = tt_node(g, "Slice", 13, ins, 5, &out, 1);
    CHECK_MSG(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 2, (int64_t[]){1, np_rows[i].len}),
              "numpy row %zu", i);
    qi_graph_free(g);
  }
}

/* ---- Gather / GatherElements ---- */

static void test_gather(void) {
  int64_t dims[3] = {3, 4, 2};
  double x[24];
  for (int i = 0; i < 24; i++) x[i] = i * 1.5;
  for (int axis = -3; axis < 3; axis++) {
    int a = axis < 0 ? axis + 3 : axis;
    for (int idt = 0; idt < 2; idt++) {
      int64_t idims[2] = {2, 3}, iv[6];
      int32_t iv32[6];
      for (int i = 0; i < 6; i++) {
        iv[i] = (int64_t)(tt_rand() % (unsigned)(2 * dims[a])) - dims[a];
        iv32[i] = (int32_t)iv[i];
      }
      qi_graph *g = qi_graph_new();
      int ins[2] = {tt_input(g, "x", QINFER_DTYPE_DOUBLE, 3, dims, x),
                    idt ? tt_input(g, "i", QINFER_DTYPE_INT32, 2, idims, iv32)
                        : tt_const(g, "i", QINFER_DTYPE_INT64, 2, idims, iv)};
      int out = tt_out(g, "y");
      int node = tt_node(g, "Gather", 13, ins, 2, &out, 1);
      tt_attr_int(g, node, "axis", axis);
      CHECK(tt_run(g, node, &err) == QINFER_OK);
      int64_t od[4], r = 0;
      for (int d = 0; d < a; d++) od[r++] = dims[d];
      od[r++] = 2, od[r++] = 3;
      for (int d = a + 1; d < 3; d++) od[r++] = dims[d];
      CHECK(tt_shape_is(g, out, 4, od));
      int64_t pos[4] = {0}, ip[3];
      bool ok = true;
      do {
        int64_t k = iv[pos[a] * 3 + pos[a + 1]];
        if (k < 0) k += dims[a];
        for (int d = 0; d < a; d++) ip[d] = pos[d];
        ip[a] = k;
        for (int d = a + 1; d < 3; d++) ip[d] = pos[d + 1];
        if (((double *)tt_t(g, out)->data)[tt_flat(4, od, pos)] != x[tt_flat(3, dims, ip)]) ok = false;
      } while (tt_next(4, od, pos));
      CHECK_MSG(ok, "gather axis %d", axis);
      /* an index out of range is a run-time error, not a read out of bounds */
      if (idt) {
        iv32[4] = (int32_t)dims[a];
        CHECK(tt_run(g, node, &err) == QINFER_ERR_RUNTIME);
        iv32[4] = (int32_t)(-dims[a] - 1);
        CHECK(tt_run(g, node, &err) == QINFER_ERR_RUNTIME);
        CHECK(strstr(err.msg, "out of range") != NULL);
      }
      qi_graph_free(g);
    }
  }
  /* scalar index drops the axis; bad axis and index type fail */
  qi_graph *g = qi_graph_new();
  int64_t one = -1;
  int ins[2] = {tt_input(g, "x", QINFER_DTYPE_DOUBLE, 3, dims, x), tt_const(g, "i", QINFER_DTYPE_INT64, 0, NULL, &one)};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Gather", 13, ins, 2, &out, 1);
  tt_attr_int(g, node, "axis", 1);
  CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 2, (int64_t[]){3, 2}));
  CHECK(((double *)tt_t(g, out)->data)[3] == x[1 * 8 + 3 * 2 + 1]);
  g->nodes[node].attrs[0].i = 3;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
  g->tensors[ins[1]].dtype = QINFER_DTYPE_FLOAT;
  g->nodes[node].attrs[0].i = 0;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
  qi_graph_free(g);

  /* GatherElements */
  for (int axis = 0; axis < 3; axis++) {
    int64_t idims[3] = {2, 3, 2};
    idims[axis] = 5;
    int64_t iv[5 * 3 * 2];
    for (int i = 0; i < 30; i++) iv[i] = (int64_t)(tt_rand() % (unsigned)(2 * dims[axis])) - dims[axis];
    g = qi_graph_new();
    int gi[2] = {tt_input(g, "x", QINFER_DTYPE_DOUBLE, 3, dims, x), tt_input(g, "i", QINFER_DTYPE_INT64, 3, idims, iv)};
    out = tt_out(g, "y");
    node = tt_node(g, "GatherElements", 13, gi, 2, &out, 1);
    tt_attr_int(g, node, "axis", axis);
    CHECK(tt_run(g, node, &err) == QINFER_OK && tt_shape_is(g, out, 3, idims));
    int64_t pos[3] = {0}, ip[3];
    bool ok = true;
    do {
      memcpy(ip, pos, sizeof ip);
      int64_t k = iv[tt_flat(3, idims, pos)];
      ip[axis] = k < 0 ? k + dims[axis] : k;
      if (((double *)tt_t(g, out)->data)[tt_flat(3, idims, pos)] != x[tt_flat(3, dims, ip)]) ok = false;
    } while (tt_next(3, idims, pos));
    CHECK_MSG(ok, "gather_elements axis %d", axis);
    iv[7] = 99;
    CHECK(tt_run(g, node, &err) == QINFER_ERR_RUNTIME);
    qi_graph_free(g);
  }
}

/* ---- Tile / Trilu ---- */

static void test_tile_trilu(void) {
  int64_t dims[3] = {2, 1, 3}, rep[3] = {2, 3, 2};
  uint8_t x[6] = {1, 2, 3, 4, 5, 6};
  qi_graph *g = qi_graph_new();
  int ins[2] = {tt_input(g, "x", QINFER_DTYPE_UINT8, 3, dims, x), tt_const_i64(g, "r", 3, rep)};
  int out = tt_out(g, "y");
  int node = tt_node(g, "Tile", 13, ins, 2, &out, 1);
  CHECK(tt_run(g, node, &err) == QINFER_OK);
  int64_t od[3] = {4, 3, 6}, pos[3] = {0}, ip[3];
  CHECK(tt_shape_is(g, out, 3, od));
  bool ok = true;
  do {
    for (int d = 0; d < 3; d++) ip[d] = pos[d] % dims[d];
    ok = ok && ((uint8_t *)tt_t(g, out)->data)[tt_flat(3, od, pos)] == x[tt_flat(3, dims, ip)];
  } while (tt_next(3, od, pos));
  CHECK(ok);
  ((int64_t *)g->tensors[ins[1]].data)[0] = -1;
  CHECK(tt_infer(g, node, &err) == QINFER_ERR_INVALID_MODEL);
  qi_graph_free(g);

  float m[2 * 3 * 4];
  for (int i = 0; i < 24; i++) m[i] = (float)(i + 1);
  for (int upper = 0; upper < 2; upper++)
    for (int64_t k = -4; k <= 5; k++) {
      g = qi_graph_new();
      int ti[2] = {tt_input(g, "x", QINFER_DTYPE_FLOAT, 3, (int64_t[]){2, 3, 4}, m),
                   tt_const(g, "k", QINFER_DTYPE_INT64, 0, NULL, &k)};
      out = tt_out(g, "y");
      node = tt_node(g, "Trilu", 14, ti, 2, &out, 1);
      tt_attr_int(g, node, "upper", upper);
      CHECK(tt_run(g, node, &err) == QINFER_OK);
      ok = true;
      for (int b = 0; b < 2; b++)
        for (int i = 0; i < 3; i++)
          for (int j = 0; j < 4; j++) {
            bool keep = upper ? j - i >= k : j - i <= k;
            float want = keep ? m[(b * 3 + i) * 4 + j] : 0.0f;
            ok = ok && ((float *)tt_t(g, out)->data)[(b * 3 + i) * 4 + j] == want;
          }
      CHECK_MSG(ok, "trilu upper %d k %lld", upper, (long long)k);
      qi_graph_free(g);
    }
}

int main(void) {
  test_transpose();
  test_depth_space();
  test_reshape();
  test_flatten();
  test_squeeze_unsqueeze();
  test_identity_dropout();
  test_concat();
  test_split();
  test_slice_random();
  test_slice_extremes();
  test_gather();
  test_tile_trilu();
  return TEST_SUMMARY();
}
