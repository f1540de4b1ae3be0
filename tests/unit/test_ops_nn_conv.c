/* Conv and ConvTranspose, 1-D and 2-D, against naive oracles (in double) over a grid of shapes, at 1, 2 and 3
 * threads (other ranks: test_ops_nn_conv_nd.c). */
#include <stdio.h>

#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3]; /* NULL (inline), 2 threads, 3 threads */

typedef struct conv_case {
  int rank;                      /* 3: 1-D conv, 4: 2-D conv */
  int64_t n, c, h, w, m, group, kh, kw, sh, sw, dh, dw;
  int64_t pads[4];               /* top, left, bottom, right */
  const char *auto_pad;          /* NULL: NOTSET with explicit pads */
  int bias, act, const_w;        /* act: 0 none, 1 clamp [-0.5, 0.6], 2 leaky 0.1 */
  int transpose;                 /* ConvTranspose */
  int64_t out_pad[2];            /* ConvTranspose output_padding (h, w) */
} conv_case;

/* Padding of one axis under auto_pad for the forward conv (ONNX spec). */
static void same_pads(const char *ap, int64_t in, int64_t k, int64_t s, int64_t d, int64_t *b, int64_t *e,
                      int64_t *out) {
  const int64_t dk = (k - 1) * d + 1;
  if (strcmp(ap, "VALID") == 0) {
    *b = *e = 0;
    *out = (in - dk) / s + 1;
    return;
  }
  *out = (in + s - 1) / s;
  int64_t total = (*out - 1) * s + dk - in;
  if (total < 0) total = 0;
  *b = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
  *e = total - *b;
}

static double act_ref(const conv_case *cc, double v) {
  if (cc->act == 1) return v < -0.5 ? -0.5 : (v > 0.6 ? 0.6 : v);
  if (cc->act == 2) return v < 0 ? v * 0.1 : v;
  return v;
}

static int run_case(const conv_case *cc) {
  const int64_t cin = cc->c, cout = cc->m, g = cc->group;
  int64_t pt = cc->pads[0], pl = cc->pads[1], pb = cc->pads[2], pr = cc->pads[3], oh, ow;
  const int64_t dkh = (cc->kh - 1) * cc->dh + 1, dkw = (cc->kw - 1) * cc->dw + 1;
  if (!cc->transpose) {
    if (cc->auto_pad) {
      same_pads(cc->auto_pad, cc->h, cc->kh, cc->sh, cc->dh, &pt, &pb, &oh);
      same_pads(cc->auto_pad, cc->w, cc->kw, cc->sw, cc->dw, &pl, &pr, &ow);
    } else {
      oh = (cc->h + pt + pb - dkh) / cc->sh + 1;
      ow = (cc->w + pl + pr - dkw) / cc->sw + 1;
    }
  } else {
    oh = cc->sh * (cc->h - 1) + cc->out_pad[0] + dkh - pt - pb;
    ow = cc->sw * (cc->w - 1) + cc->out_pad[1] + dkw - pl - pr;
  }
  const int64_t wd0 = cc->transpose ? cin : cout, wd1 = cc->transpose ? cout / g : cin / g;
  const size_t xn = (size_t)(cc->n * cin * cc->h * cc->w), wn = (size_t)(wd0 * wd1 * cc->kh * cc->kw);
  const size_t yn = (size_t)(cc->n * cout * oh * ow);
  float *x = malloc(xn * sizeof(float)), *w = malloc(wn * sizeof(float)), *b = malloc((size_t)cout * sizeof(float));
  double *ref = calloc(yn, sizeof(double));
  nn_fill(x, xn, 1);
  nn_fill(w, wn, 2);
  nn_fill(b, (size_t)cout, 3);
  /* oracle */
  const int64_t cg = cin / g, mg = cout / g;
  for (int64_t n = 0; n < cc->n; n++)
    for (int64_t m = 0; m < cout; m++)
      for (int64_t i = 0; i < oh * ow; i++) ref[((n * cout + m) * oh * ow) + i] = cc->bias ? b[m] : 0.0;
  for (int64_t n = 0; n < cc->n; n++) {
    for (int64_t grp = 0; grp < g; grp++) {
      for (int64_t m = 0; m < mg; m++) {
        for (int64_t c = 0; c < cg; c++) {
          for (int64_t ky = 0; ky < cc->kh; ky++) {
            for (int64_t kx = 0; kx < cc->kw; kx++) {
              if (!cc->transpose) {
                const double wv = w[(((grp * mg + m) * cg + c) * cc->kh + ky) * cc->kw + kx];
                for (int64_t oy = 0; oy < oh; oy++)
                  for (int64_t ox = 0; ox < ow; ox++) {
                    const int64_t iy = oy * cc->sh - pt + ky * cc->dh, ix = ox * cc->sw - pl + kx * cc->dw;
                    if (iy < 0 || iy >= cc->h || ix < 0 || ix >= cc->w) continue;
                    ref[((n * cout + grp * mg + m) * oh + oy) * ow + ox] +=
                        wv * x[((n * cin + grp * cg + c) * cc->h + iy) * cc->w + ix];
                  }
              } else {
                const double wv = w[(((grp * cg + c) * mg + m) * cc->kh + ky) * cc->kw + kx];
                for (int64_t iy = 0; iy < cc->h; iy++)
                  for (int64_t ix = 0; ix < cc->w; ix++) {
                    const int64_t oy = iy * cc->sh - pt + ky * cc->dh, ox = ix * cc->sw - pl + kx * cc->dw;
                    if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                    ref[((n * cout + grp * mg + m) * oh + oy) * ow + ox] +=
                        wv * x[((n * cin + grp * cg + c) * cc->h + iy) * cc->w + ix];
                  }
              }
            }
          }
        }
      }
    }
  }
  for (size_t i = 0; i < yn; i++) ref[i] = cc->transpose ? ref[i] : act_ref(cc, ref[i]);

  /* graph */
  int ok = 1;
  float *first = NULL;
  for (int p = 0; p < 3; p++) {
    qi_graph *gr = qi_graph_new();
    const int one_d = cc->rank == 3;
    const int64_t xd[4] = {cc->n, cin, one_d ? cc->w : cc->h, cc->w};
    const int64_t wdims[4] = {wd0, wd1, one_d ? cc->kw : cc->kh, cc->kw};
    const int64_t bd[1] = {cout};
    int in[3] = {nn_tensor(gr, "x", QINFER_DTYPE_FLOAT, cc->rank, xd, x, 0),
                 nn_tensor(gr, "w", QINFER_DTYPE_FLOAT, cc->rank, wdims, w, cc->const_w),
                 cc->bias ? nn_tensor(gr, "b", QINFER_DTYPE_FLOAT, 1, bd, b, 1) : -1};
    int out = nn_output(gr, "y");
    const int node = qi_graph_add_node(gr, cc->transpose ? "ConvTranspose" : "Conv", "", in, cc->bias ? 3 : 2, &out, 1);
    nn_name(gr, node, "conv0");
    gr->nodes[node].opset = 22;
    const int sp = one_d ? 1 : 2;
    const int64_t strides[2] = {one_d ? cc->sw : cc->sh, cc->sw}, dil[2] = {one_d ? cc->dw : cc->dh, cc->dw};
    const int64_t pads2[4] = {pt, pl, pb, pr}, pads1[2] = {pl, pr};
    nn_attr_ints(gr, node, "strides", sp, strides);
    nn_attr_ints(gr, node, "dilations", sp, dil);
    if (cc->auto_pad) nn_attr_string(gr, node, "auto_pad", cc->auto_pad);
    else nn_attr_ints(gr, node, "pads", 2 * sp, one_d ? pads1 : pads2);
    if (g != 1) nn_attr_int(gr, node, "group", g);
    if (cc->transpose && (cc->out_pad[0] || cc->out_pad[1])) {
      const int64_t op[2] = {one_d ? cc->out_pad[1] : cc->out_pad[0], cc->out_pad[1]};
      nn_attr_ints(gr, node, "output_padding", sp, op);
    }
    th_set_act(gr, node, cc->transpose ? QI_ACT_NONE : cc->act, -0.5f, 0.6f, 0.1f);
    qi_error err = {0};
    const qi_status st = nn_run(gr, node, pools[p], &err);
    CHECK_MSG(st == QINFER_OK, "%s", err.msg);
    if (st != QINFER_OK) {
      ok = 0;
      qi_graph_free(gr);
      break;
    }
    const qi_tensor *yt = &gr->tensors[out];
    CHECK(yt->dims[1] == cout && yt->dims[yt->rank - 1] == ow && (one_d || yt->dims[2] == oh));
    const float *y = nn_out(gr, node, 0);
    double worst;
    const int close = nn_close(y, ref, yn, 1e-5, &worst);
    CHECK_MSG(close, "%s N%lld C%lld %lldx%lld M%lld g%lld k%lldx%lld s%lld,%lld d%lld,%lld pads %lld,%lld,%lld,%lld %s "
              "bias%d act%d const%d threads-case %d: rel err %g",
              cc->transpose ? "ConvTranspose" : "Conv", (long long)cc->n, (long long)cin, (long long)cc->h,
              (long long)cc->w, (long long)cout, (long long)g, (long long)cc->kh, (long long)cc->kw, (long long)cc->sh,
              (long long)cc->sw, (long long)cc->dh, (long long)cc->dw, (long long)pt, (long long)pl, (long long)pb,
              (long long)pr, cc->auto_pad ? cc->auto_pad : "", cc->bias, cc->act, cc->const_w, p, worst);
    ok &= close;
    if (p == 0) {
      first = malloc(yn * sizeof(float));
      memcpy(first, y, yn * sizeof(float));
    } else {
      CHECK_MSG(memcmp(first, y, yn * sizeof(float)) == 0, "results differ between thread counts (case %d)", p);
    }
    qi_graph_free(gr);
  }
  free(first);
  free(x);
  free(w);
  free(b);
  free(ref);
  return ok;
}

static void conv_grid(void) {
  const int64_t kernels[][2] = {{1, 1}, {3, 3}, {5, 3}, {2, 2}};
  const int64_t groups_c_m[][3] = {{1, 3, 5}, {2, 4, 6}, {4, 4, 4}, {4, 4, 8}, {1, 1, 9}, {3, 9, 3}};
  int cases = 0;
  for (size_t gi = 0; gi < sizeof groups_c_m / sizeof groups_c_m[0]; gi++)
    for (size_t ki = 0; ki < sizeof kernels / sizeof kernels[0]; ki++)
      for (int stride = 1; stride <= 2; stride++)
        for (int dil = 1; dil <= 2; dil++)
          for (int pad = 0; pad <= 1; pad++) {
            conv_case cc = {.rank = 4, .n = 2, .c = groups_c_m[gi][1], .h = 9, .w = 11, .m = groups_c_m[gi][2],
                            .group = groups_c_m[gi][0], .kh = kernels[ki][0], .kw = kernels[ki][1], .sh = stride,
                            .sw = stride, .dh = dil, .dw = dil, .pads = {pad, pad, pad, 2 * pad},
                            .bias = (int)((gi + ki) % 2), .act = (int)(cases % 3), .const_w = cases % 5 != 0};
            run_case(&cc);
            cc.transpose = 1;
            cc.act = 0;
            cc.out_pad[0] = stride - 1;
            run_case(&cc);
            cases++;
          }
}

static void conv_special(void) {
  const char *pads[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
  for (int i = 0; i < 3; i++) {
    conv_case cc = {.rank = 4, .n = 1, .c = 3, .h = 10, .w = 7, .m = 8, .group = 1, .kh = 3, .kw = 2, .sh = 2, .sw = 3,
                    .dh = 1, .dw = 1, .auto_pad = pads[i], .bias = 1, .const_w = 1};
    run_case(&cc);
    cc.c = cc.m = cc.group = 6; /* depthwise under auto_pad */
    run_case(&cc);
  }
  /* 1-D: plain, grouped, depthwise, transposed */
  conv_case c1 = {.rank = 3, .n = 2, .c = 4, .h = 1, .w = 17, .m = 6, .group = 2, .kh = 1, .kw = 3, .sh = 1, .sw = 2,
                  .dh = 1, .dw = 2, .pads = {0, 1, 0, 2}, .bias = 1, .act = 1, .const_w = 1};
  run_case(&c1);
  c1.group = 4;
  c1.m = 8;
  run_case(&c1);
  c1.transpose = 1;
  c1.act = 0;
  run_case(&c1);
  /* bigger pointwise and im2col shapes: several panels and column blocks */
  conv_case big = {.rank = 4, .n = 1, .c = 19, .h = 23, .w = 21, .m = 37, .group = 1, .kh = 1, .kw = 1, .sh = 1,
                   .sw = 1, .dh = 1, .dw = 1, .bias = 1, .act = 2, .const_w = 1};
  run_case(&big);
  big.kh = big.kw = 3;
  big.pads[0] = big.pads[1] = big.pads[2] = big.pads[3] = 1;
  run_case(&big);
  /* ConvTranspose with stride 3 and output_padding 2, grouped */
  conv_case ct = {.rank = 4, .n = 1, .c = 4, .h = 5, .w = 4, .m = 6, .group = 2, .kh = 3, .kw = 3, .sh = 3, .sw = 2,
                  .dh = 1, .dw = 1, .pads = {1, 0, 2, 1}, .bias = 1, .const_w = 0, .transpose = 1, .out_pad = {2, 1}};
  run_case(&ct);
}

/* ConvTranspose with output_shape / auto_pad: shape checks against the formulas. */
static void convt_shapes(void) {
  const float x[1 * 1 * 3 * 3] = {0}, w[1 * 2 * 3 * 3] = {0};
  struct {
    const char *auto_pad;
    int64_t output_shape[2];
    int64_t want[2];
  } cases[] = {{"SAME_UPPER", {0, 0}, {6, 6}}, {NULL, {10, 8}, {10, 8}}, {NULL, {0, 0}, {7, 7}}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qi_graph *g = qi_graph_new();
    const int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 2, 3, 3}, s[2] = {2, 2};
    int in[2] = {nn_tensor(g, "x", QINFER_DTYPE_FLOAT, 4, xd, x, 0), nn_tensor(g, "w", QINFER_DTYPE_FLOAT, 4, wd, w, 1)};
    int out = nn_output(g, "y");
    int node = qi_graph_add_node(g, "ConvTranspose", "", in, 2, &out, 1);
    nn_attr_ints(g, node, "strides", 2, s);
    if (cases[i].auto_pad) nn_attr_string(g, node, "auto_pad", cases[i].auto_pad);
    if (cases[i].output_shape[0]) nn_attr_ints(g, node, "output_shape", 2, cases[i].output_shape);
    qi_error err = {0};
    CHECK_MSG(nn_run(g, node, NULL, &err) == QINFER_OK, "%s", err.msg);
    CHECK(g->tensors[out].dims[2] == cases[i].want[0] && g->tensors[out].dims[3] == cases[i].want[1]);
    qi_graph_free(g);
  }
}

/* Invalid models must fail in infer with the right code and a message naming the node. */
static void conv_errors(void) {
  const float buf[4096] = {0};
  struct {
    int64_t xd[5];
    int xr;
    int64_t wd[5];
    int wr;
    int64_t group;
    const char *bad_attr;
    qi_status want;
  } cases[] = {
      {{1, 4, 5, 5}, 4, {2, 3, 3, 3}, 4, 1, NULL, QINFER_ERR_SHAPE},            /* channel mismatch */
      {{1, 4, 5, 5}, 4, {3, 2, 3, 3}, 4, 2, NULL, QINFER_ERR_SHAPE},            /* Cout not multiple of group */
      {{1, 4, 5, 5}, 4, {2, 4, 3}, 3, 1, NULL, QINFER_ERR_SHAPE},               /* weight rank */
      {{1, 2, 3, 3, 3}, 5, {2, 2, 1, 1}, 4, 1, NULL, QINFER_ERR_SHAPE},          /* 3-D input, 2-D weights */
      {{1, 4, 2, 2}, 4, {2, 4, 3, 3}, 4, 1, NULL, QINFER_ERR_SHAPE},            /* kernel larger than input */
      {{1, 4, 5, 5}, 4, {2, 4, 3, 3}, 4, 1, "pads", QINFER_ERR_INVALID_MODEL},  /* wrong pads count */
      {{1, 4, 5, 5}, 4, {2, 4, 3, 3}, 4, 1, "strides", QINFER_ERR_INVALID_MODEL}, /* zero stride */
      {{1, 4, 5, 5}, 4, {2, 4, 3, 3}, 4, 1, "auto_pad", QINFER_ERR_INVALID_MODEL},
      {{1, 4, 5, 5}, 4, {2, 4, 3, 3}, 4, 0, NULL, QINFER_ERR_INVALID_MODEL}, /* group 0 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qi_graph *g = qi_graph_new();
    int in[2] = {nn_tensor(g, "x", QINFER_DTYPE_FLOAT, cases[i].xr, cases[i].xd, buf, 0),
                 nn_tensor(g, "w", QINFER_DTYPE_FLOAT, cases[i].wr, cases[i].wd, buf, 1)};
    int out = nn_output(g, "y");
    int node = qi_graph_add_node(g, "Conv", "", in, 2, &out, 1);
    nn_name(g, node, "bad_conv");
    nn_attr_int(g, node, "group", cases[i].group);
    const int64_t three[3] = {1, 1, 1}, zero[2] = {0, 1};
    if (cases[i].bad_attr && strcmp(cases[i].bad_attr, "pads") == 0) nn_attr_ints(g, node, "pads", 3, three);
    if (cases[i].bad_attr && strcmp(cases[i].bad_attr, "strides") == 0) nn_attr_ints(g, node, "strides", 2, zero);
    if (cases[i].bad_attr && strcmp(cases[i].bad_attr, "auto_pad") == 0) nn_attr_string(g, node, "auto_pad", "SAME");
    qi_error err = {0};
    const qi_status st = nn_run(g, node, NULL, &err);
    CHECK_MSG(st == cases[i].want, "case %zu: got %d (%s)", i, st, err.msg);
    CHECK_MSG(strstr(err.msg, "bad_conv") != NULL, "case %zu: message does not name the node: %s", i, err.msg);
    qi_graph_free(g);
  }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  conv_grid();
  conv_special();
  convt_shapes();
  conv_errors();
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
