/* Pooling against naive oracles: MaxPool / AveragePool over kernels, strides, pads, dilations, ceil_mode,
 * count_include_pad and auto_pad, 1-D and 2-D; GlobalAveragePool / GlobalMaxPool; thread-count invariance;
 * errors (kernel_shape count, a second output on AveragePool, bad attributes). N-d, integer and Indices cases
 * are in test_ops_nn_pool_nd.c. */
#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3];

typedef struct pool_case {
  int is_max, rank;
  int64_t n, c, h, w, kh, kw, sh, sw, dh, dw, pads[4];
  int ceil_mode, count_include_pad;
  const char *auto_pad;
} pool_case;

/* Output size per ONNX Runtime: floor or ceil, a last ceil window starting in the end padding dropped. */
static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, int ceil_mode) {
  const int64_t dk = (k - 1) * d + 1, span = in + pb + pe - dk;
  int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + pb) o--;
  return o;
}

static void run_pool(const pool_case *pc) {
  int64_t pt = pc->pads[0], pl = pc->pads[1], pb = pc->pads[2], pr = pc->pads[3], oh, ow;
  if (pc->auto_pad) {
    oh = (pc->h + pc->sh - 1) / pc->sh;
    ow = (pc->w + pc->sw - 1) / pc->sw;
    int64_t th = (oh - 1) * pc->sh + (pc->kh - 1) * pc->dh + 1 - pc->h, tw = (ow - 1) * pc->sw + (pc->kw - 1) * pc->dw + 1 - pc->w;
    th = th < 0 ? 0 : th, tw = tw < 0 ? 0 : tw;
    const int upper = strcmp(pc->auto_pad, "SAME_UPPER") == 0;
    pt = upper ? th / 2 : th - th / 2, pb = th - pt;
    pl = upper ? tw / 2 : tw - tw / 2, pr = tw - pl;
  } else {
    oh = out_size(pc->h, pc->kh, pc->sh, pc->dh, pt, pb, pc->ceil_mode);
    ow = out_size(pc->w, pc->kw, pc->sw, pc->dw, pl, pr, pc->ceil_mode);
  }
  const size_t xn = (size_t)(pc->n * pc->c * pc->h * pc->w), yn = (size_t)(pc->n * pc->c * oh * ow);
  float *x = malloc(xn * sizeof(float));
  double *ref = malloc(yn * sizeof(double));
  nn_fill(x, xn, 5);
  for (int64_t p = 0; p < pc->n * pc->c; p++)
    for (int64_t oy = 0; oy < oh; oy++)
      for (int64_t ox = 0; ox < ow; ox++) {
        double acc = pc->is_max ? -INFINITY : 0;
        int64_t count = 0, padded = 0;
        for (int64_t ky = 0; ky < pc->kh; ky++)
          for (int64_t kx = 0; kx < pc->kw; kx++) {
            const int64_t iy = oy * pc->sh - pt + ky * pc->dh, ix = ox * pc->sw - pl + kx * pc->dw;
            if (iy < pc->h + pb && ix < pc->w + pr) padded++; /* inside the padded extent */
            if (iy < 0 || iy >= pc->h || ix < 0 || ix >= pc->w) continue;
            const double v = x[(p * pc->h + iy) * pc->w + ix];
            acc = pc->is_max ? fmax(acc, v) : acc + v;
            count++;
          }
        if (!pc->is_max) acc = count ? acc / (double)(pc->count_include_pad ? padded : count) : 0;
        ref[(p * oh + oy) * ow + ox] = acc;
      }
  float *first = NULL;
  for (int p = 0; p < 3; p++) {
    qi_graph *g = qi_graph_new();
    const int one_d = pc->rank == 3;
    const int64_t xd[4] = {pc->n, pc->c, one_d ? pc->w : pc->h, pc->w};
    int in = nn_tensor(g, "x", QINFER_DTYPE_FLOAT, pc->rank, xd, x, 0), out = nn_output(g, "y");
    int node = qi_graph_add_node(g, pc->is_max ? "MaxPool" : "AveragePool", "", &in, 1, &out, 1);
    g->nodes[node].opset = 19;
    const int sp = one_d ? 1 : 2;
    const int64_t k[2] = {one_d ? pc->kw : pc->kh, pc->kw}, s[2] = {one_d ? pc->sw : pc->sh, pc->sw};
    const int64_t d[2] = {one_d ? pc->dw : pc->dh, pc->dw}, pads2[4] = {pt, pl, pb, pr}, pads1[2] = {pl, pr};
    nn_attr_ints(g, node, "kernel_shape", sp, k);
    nn_attr_ints(g, node, "strides", sp, s);
    nn_attr_ints(g, node, "dilations", sp, d);
    if (pc->auto_pad) nn_attr_string(g, node, "auto_pad", pc->auto_pad);
    else nn_attr_ints(g, node, "pads", 2 * sp, one_d ? pads1 : pads2);
    nn_attr_int(g, node, "ceil_mode", pc->ceil_mode);
    if (!pc->is_max) nn_attr_int(g, node, "count_include_pad", pc->count_include_pad);
    qi_error err = {0};
    CHECK_MSG(nn_run(g, node, pools[p], &err) == QINFER_OK, "%s", err.msg);
    const qi_tensor *yt = &g->tensors[out];
    CHECK_MSG(yt->dims[yt->rank - 1] == ow && (one_d || yt->dims[2] == oh), "pool output %lld x %lld, want %lld x %lld",
              (long long)yt->dims[2], (long long)yt->dims[yt->rank - 1], (long long)oh, (long long)ow);
    double worst;
    const float *y = nn_out(g, node, 0);
    CHECK_MSG(nn_close(y, ref, yn, 1e-6, &worst), "%s k%lldx%lld s%lld d%lld pads %lld,%lld,%lld,%lld ceil%d cip%d: %g",
              pc->is_max ? "MaxPool" : "AveragePool", (long long)pc->kh, (long long)pc->kw, (long long)pc->sh,
              (long long)pc->dh, (long long)pt, (long long)pl, (long long)pb, (long long)pr, pc->ceil_mode,
              pc->count_include_pad, worst);
    if (!first) {
      first = malloc(yn * sizeof(float));
      memcpy(first, y, yn * sizeof(float));
    } else {
      CHECK(memcmp(first, y, yn * sizeof(float)) == 0);
    }
    qi_graph_free(g);
  }
  free(first), free(x), free(ref);
}

static void pool_grid(void) {
  const int64_t ks[][2] = {{1, 1}, {2, 2}, {3, 3}, {3, 2}, {5, 5}};
  for (int is_max = 0; is_max <= 1; is_max++)
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
      for (int s = 1; s <= 3; s++)
        for (int d = 1; d <= 2; d++)
          for (int pad = 0; pad <= 1; pad++)
            for (int ceil = 0; ceil <= 1; ceil++)
              for (int cip = 0; cip <= !is_max; cip++) {
                if (pad >= ks[ki][0] || pad >= ks[ki][1]) continue;
                pool_case pc = {is_max, 4, 2, 3, 11, 12, ks[ki][0], ks[ki][1], s, s, d, d, {pad, pad, pad, 0}, ceil, cip,
                                NULL};
                run_pool(&pc);
                pc.rank = 3;
                pc.h = 1, pc.kh = 1, pc.sh = 1, pc.dh = 1, pc.pads[0] = pc.pads[2] = 0;
                run_pool(&pc);
              }
  const char *aps[] = {"SAME_UPPER", "SAME_LOWER"};
  for (int i = 0; i < 2; i++)
    for (int is_max = 0; is_max <= 1; is_max++) {
      pool_case pc = {is_max, 4, 1, 2, 7, 10, 3, 2, 2, 3, 1, 1, {0}, 0, 0, aps[i]};
      run_pool(&pc);
    }
}

static void global_pool(void) {
  for (int is_max = 0; is_max <= 1; is_max++)
    for (int rank = 3; rank <= 5; rank++) {
      const int64_t dims[5] = {2, 5, 7, 3, 2};
      int64_t n = 1, len = 1;
      for (int i = 0; i < rank; i++) n *= dims[i];
      for (int i = 2; i < rank; i++) len *= dims[i];
      float *x = malloc((size_t)n * sizeof(float));
      double ref[10];
      nn_fill(x, (size_t)n, 9);
      for (int r = 0; r < 10; r++) {
        double acc = is_max ? -INFINITY : 0;
        for (int64_t i = 0; i < len; i++) acc = is_max ? fmax(acc, x[r * len + i]) : acc + x[r * len + i];
        ref[r] = is_max ? acc : acc / (double)len;
      }
      for (int p = 0; p < 3; p++) {
        qi_graph *g = qi_graph_new();
        int in = nn_tensor(g, "x", QINFER_DTYPE_FLOAT, rank, dims, x, 0), out = nn_output(g, "y");
        int node = qi_graph_add_node(g, is_max ? "GlobalMaxPool" : "GlobalAveragePool", "", &in, 1, &out, 1);
        qi_error err = {0};
        CHECK_MSG(nn_run(g, node, pools[p], &err) == QINFER_OK, "%s", err.msg);
        const qi_tensor *yt = &g->tensors[out];
        CHECK(yt->rank == rank && yt->dims[1] == 5 && yt->dims[rank - 1] == 1);
        double worst;
        CHECK(nn_close(nn_out(g, node, 0), ref, 10, 1e-6, &worst));
        qi_graph_free(g);
      }
      free(x);
    }
}

static void errors(void) {
  const float buf[512] = {0};
  const int64_t x4[4] = {1, 1, 4, 4}, x5[5] = {1, 1, 2, 2, 2}, k2[2] = {2, 2}, k3[3] = {1, 1, 1}, big[2] = {7, 7};
  struct { const char *op; int rank; const int64_t *xd; const int64_t *k; int nk; int two_outputs; qi_status want; } cases[] = {
      {"MaxPool", 5, x5, k2, 2, 0, QINFER_ERR_INVALID_MODEL}, {"AveragePool", 4, x4, k2, 2, 1, QINFER_ERR_INVALID_MODEL},
      {"AveragePool", 4, x4, NULL, 0, 0, QINFER_ERR_INVALID_MODEL}, {"AveragePool", 4, x4, big, 2, 0, QINFER_ERR_SHAPE},
      {"MaxPool", 4, x4, k3, 3, 0, QINFER_ERR_INVALID_MODEL}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qi_graph *g = qi_graph_new();
    int in = nn_tensor(g, "x", QINFER_DTYPE_FLOAT, cases[i].rank, cases[i].xd, buf, 0);
    int out[2] = {nn_output(g, "y"), nn_output(g, "idx")};
    int node = qi_graph_add_node(g, cases[i].op, "", &in, 1, out, cases[i].two_outputs ? 2 : 1);
    nn_name(g, node, "bad_pool");
    if (cases[i].k) nn_attr_ints(g, node, "kernel_shape", cases[i].nk, cases[i].k);
    qi_error err = {0};
    const qi_status st = nn_run(g, node, NULL, &err);
    CHECK_MSG(st == cases[i].want && strstr(err.msg, "bad_pool"), "case %zu: %d %s", i, st, err.msg);
    qi_graph_free(g);
  }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  pool_grid();
  global_pool();
  errors();
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
