/* QLinearConv and ConvInteger against a naive oracle (int64 sums of (x - x_zp) * (w - w_zp), the bias, then the
 * oracle's requantization, tests/unit/requant_oracle.h, with the scale (x_scale * w_scale[c]) / y_scale),
 * exactly, over a grid of 1-D and 2-D shapes: groups and depthwise (with channel multipliers), kernel sizes,
 * strides, dilations, padding and auto_pad, uint8 and int8 tensors, per-tensor and per-channel weights, weights
 * of the fast path (int8, zero points 0, constant) and of the generic one (uint8, nonzero zero points, computed
 * at run time), bias, a fused clamp; every ISA path this CPU has (others reported skipped) at 1, 2 and 3
 * threads, which must agree byte for byte. Error paths: bad scales (zero, negative, NaN), scale lengths,
 * per-channel x scale, bias shape, 3-D. */
#include <math.h>
#include <stdio.h>

#include "requant_oracle.h"
#include "quant_gemm_harness.h"

TEST_MAIN_GLOBALS;

typedef struct qconv_case {
  int rank; /* 3: 1-D, 4: 2-D */
  int64_t n, c, h, w, m, group, kh, kw, sh, sw, dh, dw;
  int64_t pads[4]; /* top, left, bottom, right */
  const char *auto_pad;
  int x_s8, w_u8, y_s8;
  int per_channel, w_zp_nonzero, bias, act, const_w;
  int integer; /* ConvInteger */
} qconv_case;

static int64_t out_size(const char *ap, int64_t in, int64_t k, int64_t s, int64_t d, int64_t *pb, int64_t *pe) {
  const int64_t dk = (k - 1) * d + 1;
  if (!ap) return (in + *pb + *pe - dk) / s + 1;
  if (strcmp(ap, "VALID") == 0) {
    *pb = *pe = 0;
    return (in - dk) / s + 1;
  }
  const int64_t out = (in + s - 1) / s;
  int64_t total = (out - 1) * s + dk - in;
  if (total < 0) total = 0;
  *pb = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
  *pe = total - *pb;
  return out;
}

static int add_scalar(qi_graph *g, const char *name, int dtype, const void *v) {
  return nn_tensor(g, name, dtype, 0, NULL, v, 1);
}

static int run_case(const qconv_case *cc, uint32_t seed) {
  const int one_d = cc->rank == 3;
  const int64_t cin = cc->c, cout = cc->m, g = cc->group, cg = cin / g, mg = cout / g;
  const int64_t h = one_d ? 1 : cc->h, kh = one_d ? 1 : cc->kh, sh = one_d ? 1 : cc->sh, dh = one_d ? 1 : cc->dh;
  int64_t pt = one_d ? 0 : cc->pads[0], pl = cc->pads[1], pb = one_d ? 0 : cc->pads[2], pr = cc->pads[3];
  const int64_t oh = one_d ? 1 : out_size(cc->auto_pad, h, kh, sh, dh, &pt, &pb);
  const int64_t ow = out_size(cc->auto_pad, cc->w, cc->kw, cc->sw, cc->dw, &pl, &pr);
  const size_t xn = (size_t)(cc->n * cin * h * cc->w), wn = (size_t)(cout * cg * kh * cc->kw);
  const size_t yn = (size_t)(cc->n * cout * oh * ow);
  uint8_t *x = malloc(xn), *w = malloc(wn);
  int32_t *bias = malloc((size_t)cout * 4);
  float *ws = malloc((size_t)cout * 4);
  uint8_t *wzp = malloc((size_t)cout);
  int64_t *acc = calloc(yn, sizeof(int64_t));
  for (size_t i = 0; i < xn; i++) x[i] = (uint8_t)qh_rnd(&seed);
  for (size_t i = 0; i < wn; i++) w[i] = (uint8_t)qh_rnd(&seed);
  const int32_t xlo = cc->x_s8 ? -128 : 0, xhi = cc->x_s8 ? 127 : 255;
  const int32_t ylo = cc->y_s8 ? -128 : 0, yhi = cc->y_s8 ? 127 : 255;
  const int32_t x_zp = qh_rnd_range(&seed, xlo, xhi), y_zp = qh_rnd_range(&seed, ylo + 20, yhi - 20);
  const float xs = 0.01f + (float)(qh_rnd(&seed) % 100) * 0.0004f;
  for (int64_t c = 0; c < cout; c++) {
    ws[c] = cc->per_channel || c == 0 ? 0.002f + (float)(qh_rnd(&seed) % 100) * 0.0002f : ws[0];
    const int zp = cc->w_zp_nonzero ? qh_rnd_range(&seed, cc->w_u8 ? 0 : -128, cc->w_u8 ? 255 : 127) : 0;
    wzp[c] = cc->per_channel || c == 0 ? (uint8_t)zp : wzp[0];
    bias[c] = cc->bias ? qh_rnd_range(&seed, -3000, 3000) : 0;
  }
  /* oracle sums */
  for (int64_t n = 0; n < cc->n; n++)
    for (int64_t oc = 0; oc < cout; oc++) {
      const int64_t grp = oc / mg;
      const int32_t wz = cc->w_u8 ? wzp[oc] : (int8_t)wzp[oc];
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
          int64_t a = 0;
          for (int64_t c = 0; c < cg; c++)
            for (int64_t ky = 0; ky < kh; ky++)
              for (int64_t kx = 0; kx < cc->kw; kx++) {
                const int64_t iy = oy * sh - pt + ky * dh, ix = ox * cc->sw - pl + kx * cc->dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= cc->w) continue;
                const uint8_t xb = x[((n * cin + grp * cg + c) * h + iy) * cc->w + ix];
                const uint8_t wb = w[((oc * cg + c) * kh + ky) * cc->kw + kx];
                const int32_t xv = cc->x_s8 ? (int8_t)xb : xb, wv = cc->w_u8 ? wb : (int8_t)wb;
                a += (int64_t)(xv - x_zp) * (wv - wz);
              }
          acc[((n * cout + oc) * oh + oy) * ow + ox] = a + bias[oc];
        }
    }
  /* y_scale: spread the outputs over about +-100 steps */
  double maxreal = 1e-6;
  for (size_t i = 0; i < yn; i++) {
    const int64_t oc = (int64_t)(i / (size_t)(oh * ow)) % cout;
    maxreal = fmax(maxreal, fabs((double)acc[i] * xs * ws[oc]));
  }
  const float ys = (float)(maxreal / 90.0);
  /* act 1: a clamp around 0 (Relu6-like); act 2: one above 0, so y's zero point lies outside [qmin, qmax] */
  const float act_min = (cc->act == 2 ? 0.1f : -0.3f) * (float)maxreal, act_max = 0.5f * (float)maxreal;
  int32_t qmin = ylo, qmax = yhi;
  if (cc->act) {
    const int32_t lo = oracle_quantize(act_min, ys, y_zp, ylo, yhi), hi = oracle_quantize(act_max, ys, y_zp, ylo, yhi);
    qmin = lo > qmin ? lo : qmin;
    qmax = hi < qmax ? hi : qmax;
  }
  int ok = 1;
  const size_t ybytes = yn * (cc->integer ? 4 : 1);
  uint8_t *first = malloc(ybytes ? ybytes : 1);
  for (int ii = 0; ii < qh_n_isas && ok; ii++)
    for (int p = 0; p < 3 && ok; p++) {
      qi_graph *gr = qi_graph_new();
      th_isa = qh_isas[ii];
      const int xdt = cc->x_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8;
      const int wdt = cc->w_u8 ? QINFER_DTYPE_UINT8 : QINFER_DTYPE_INT8;
      const int ydt = cc->y_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8;
      const int64_t xd[4] = {cc->n, cin, one_d ? cc->w : h, cc->w}, wd[4] = {cout, cg, one_d ? cc->kw : kh, cc->kw};
      const int64_t md[1] = {cout};
      const int8_t xzb = (int8_t)x_zp, yzb = (int8_t)y_zp;
      const uint8_t xzu = (uint8_t)x_zp, yzu = (uint8_t)y_zp;
      int in[9], n_in;
      const int xt = nn_tensor(gr, "x", xdt, cc->rank, xd, x, 0);
      const int wt = nn_tensor(gr, "w", wdt, cc->rank, wd, w, cc->const_w);
      const int pc = cc->per_channel;
      if (cc->integer) {
        in[0] = xt, in[1] = wt;
        in[2] = add_scalar(gr, "x_zp", xdt, cc->x_s8 ? (const void *)&xzb : (const void *)&xzu);
        in[3] = nn_tensor(gr, "w_zp", wdt, pc, md, wzp, 1);
        n_in = 4;
      } else {
        in[0] = xt;
        in[1] = add_scalar(gr, "x_scale", QINFER_DTYPE_FLOAT, &xs);
        in[2] = add_scalar(gr, "x_zp", xdt, cc->x_s8 ? (const void *)&xzb : (const void *)&xzu);
        in[3] = wt;
        in[4] = nn_tensor(gr, "w_scale", QINFER_DTYPE_FLOAT, pc, md, ws, 1);
        in[5] = nn_tensor(gr, "w_zp", wdt, pc, md, wzp, 1);
        in[6] = add_scalar(gr, "y_scale", QINFER_DTYPE_FLOAT, &ys);
        in[7] = add_scalar(gr, "y_zp", ydt, cc->y_s8 ? (const void *)&yzb : (const void *)&yzu);
        in[8] = cc->bias ? nn_tensor(gr, "B", QINFER_DTYPE_INT32, 1, md, bias, 1) : -1;
        n_in = cc->bias ? 9 : 8;
      }
      int out = nn_output(gr, "y");
      const int node = qi_graph_add_node(gr, cc->integer ? "ConvInteger" : "QLinearConv", "", in, n_in, &out, 1);
      nn_name(gr, node, "qconv0");
      const int sp = one_d ? 1 : 2;
      const int64_t strides[2] = {one_d ? cc->sw : sh, cc->sw}, dil[2] = {one_d ? cc->dw : dh, cc->dw};
      const int64_t pads2[4] = {cc->pads[0], cc->pads[1], cc->pads[2], cc->pads[3]};
      const int64_t pads1[2] = {cc->pads[1], cc->pads[3]};
      nn_attr_ints(gr, node, "strides", sp, strides);
      nn_attr_ints(gr, node, "dilations", sp, dil);
      if (cc->auto_pad) nn_attr_string(gr, node, "auto_pad", cc->auto_pad);
      else nn_attr_ints(gr, node, "pads", 2 * sp, one_d ? pads1 : pads2);
      if (g != 1) nn_attr_int(gr, node, "group", g);
      if (!qh_run(gr, node, cc->act, act_min, act_max, qh_pools[p])) {
        ok = 0;
        break;
      }
      const qi_tensor *yt = &gr->tensors[out];
      const void *y = yt->data;
      CHECK(yt->dims[1] == cout && yt->dims[yt->rank - 1] == ow && (one_d || yt->dims[2] == oh));
      for (size_t i = 0; i < yn; i++) {
        const int64_t oc = (int64_t)(i / (size_t)(oh * ow)) % cout;
        int32_t want, got;
        if (cc->integer) {
          want = (int32_t)acc[i];
          got = ((const int32_t *)y)[i];
        } else {
          want = oracle_requant((int32_t)acc[i], (xs * ws[oc]) / ys, y_zp, qmin, qmax);
          got = cc->y_s8 ? ((const int8_t *)y)[i] : ((const uint8_t *)y)[i];
        }
        if (want != got) {
          fprintf(stderr,
                  "%s %s threads-case %d: N%lld C%lld %lldx%lld M%lld g%lld k%lldx%lld s%lld,%lld d%lld,%lld pads "
                  "%lld,%lld,%lld,%lld %s x_s8 %d w_u8 %d y_s8 %d pc %d wzp %d bias %d act %d const %d: y[%zu] = %d, "
                  "want %d (acc %lld, scale %.9g)\n",
                  cc->integer ? "ConvInteger" : "QLinearConv", qi_isa_name(qh_isas[ii]), p, (long long)cc->n,
                  (long long)cin, (long long)h, (long long)cc->w, (long long)cout, (long long)g, (long long)kh,
                  (long long)cc->kw, (long long)sh, (long long)cc->sw, (long long)dh, (long long)cc->dw, (long long)pt,
                  (long long)pl, (long long)pb, (long long)pr, cc->auto_pad ? cc->auto_pad : "", cc->x_s8, cc->w_u8,
                  cc->y_s8, cc->per_channel, cc->w_zp_nonzero, cc->bias, cc->act, cc->const_w, i, got, want,
                  (long long)acc[i], (double)((xs * ws[oc]) / ys));
          ok = 0;
          break;
        }
      }
      CHECK(ok);
      if (ii == 0 && p == 0) memcpy(first, y, ybytes);
      else CHECK_MSG(memcmp(first, y, ybytes) == 0, "results differ between ISA paths / thread counts");
      qi_graph_free(gr);
    }
  free(x), free(w), free(bias), free(ws), free(wzp), free(acc), free(first);
  return ok;
}

static void grid(void) {
  const int64_t kernels[][2] = {{1, 1}, {3, 3}, {5, 3}, {2, 2}};
  const int64_t gcm[][3] = {{1, 3, 5}, {2, 4, 6}, {4, 4, 4}, {4, 4, 8}, {1, 1, 9}, {3, 9, 3}, {1, 19, 13}};
  int cases = 0, ok = 1;
  uint32_t seed = 1;
  for (size_t gi = 0; gi < sizeof gcm / sizeof gcm[0]; gi++)
    for (size_t ki = 0; ki < sizeof kernels / sizeof kernels[0]; ki++)
      for (int stride = 1; stride <= 2; stride++)
        for (int dil = 1; dil <= 2; dil++)
          for (int pad = 0; pad <= 1; pad++) {
            const int v = cases;
            qconv_case cc = {.rank = v % 7 == 3 ? 3 : 4, .n = 1 + v % 2, .c = gcm[gi][1], .h = 9, .w = 11,
                             .m = gcm[gi][2], .group = gcm[gi][0], .kh = kernels[ki][0], .kw = kernels[ki][1],
                             .sh = stride, .sw = stride, .dh = dil, .dw = dil, .pads = {pad, pad, pad, 2 * pad},
                             .x_s8 = v % 2, .y_s8 = (v / 2) % 2, .per_channel = (v / 3) % 2, .bias = (v / 5) % 2 == 0,
                             .act = v % 4 == 1 ? 1 : v % 8 == 3 ? 2 : 0, .const_w = 1};
            /* one case in five on the generic path: uint8 weights, nonzero zero points or run-time weights */
            if (v % 5 == 2) cc.w_u8 = 1;
            if (v % 5 == 3) cc.w_zp_nonzero = 1;
            if (v % 10 == 4) cc.const_w = 0;
            ok &= run_case(&cc, seed++);
            cases++;
          }
  printf("QLinearConv grid: %d cases x %d ISA paths x 3 thread counts %s\n", cases, qh_n_isas, ok ? "ok" : "FAILED");
}

static void special(void) {
  const char *aps[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
  uint32_t seed = 77;
  int ok = 1;
  for (int i = 0; i < 3; i++) {
    qconv_case cc = {.rank = 4, .n = 1, .c = 3, .h = 10, .w = 7, .m = 8, .group = 1, .kh = 3, .kw = 2, .sh = 2,
                     .sw = 3, .dh = 1, .dw = 1, .auto_pad = aps[i], .x_s8 = i == 1, .per_channel = 1, .bias = 1,
                     .const_w = 1};
    ok &= run_case(&cc, seed++);
    cc.rank = 3;
    ok &= run_case(&cc, seed++);
  }
  /* real layer shapes: ResNet 3x3 (fast gemm path, tiled im2col), MobileNetV2 depthwise and pointwise */
  const qconv_case real[] = {
      {.rank = 4, .n = 1, .c = 64, .h = 14, .w = 14, .m = 64, .group = 1, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1,
       .dw = 1, .pads = {1, 1, 1, 1}, .per_channel = 1, .bias = 1, .const_w = 1},
      {.rank = 4, .n = 1, .c = 32, .h = 28, .w = 28, .m = 32, .group = 32, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .dh = 1,
       .dw = 1, .pads = {1, 1, 1, 1}, .x_s8 = 1, .y_s8 = 1, .per_channel = 1, .bias = 1, .act = 1, .const_w = 1},
      {.rank = 4, .n = 2, .c = 96, .h = 16, .w = 16, .m = 24, .group = 1, .kh = 1, .kw = 1, .sh = 1, .sw = 1, .dh = 1,
       .dw = 1, .per_channel = 1, .bias = 1, .const_w = 1},
      {.rank = 4, .n = 1, .c = 16, .h = 12, .w = 12, .m = 32, .group = 16, .kh = 5, .kw = 5, .sh = 1, .sw = 1, .dh = 2,
       .dw = 2, .pads = {4, 4, 4, 4}, .per_channel = 1, .bias = 1, .const_w = 1}, /* depthwise multiplier 2 */
      {.rank = 4, .n = 1, .c = 8, .h = 12, .w = 12, .m = 8, .group = 8, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1,
       .dw = 1, .pads = {1, 1, 1, 1}, .x_s8 = 0, .y_s8 = 1, .bias = 1, .const_w = 1}, /* depthwise, mixed types */
  };
  for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) ok &= run_case(&real[i], seed++);
  printf("QLinearConv special cases %s\n", ok ? "ok" : "FAILED");
}

static void integer_grid(void) {
  uint32_t seed = 5;
  int ok = 1, cases = 0;
  for (int v = 0; v < 24; v++, cases++) {
    qconv_case cc = {.rank = v % 4 == 3 ? 3 : 4, .n = 1 + v % 2, .c = v % 3 ? 4 : 3, .h = 7, .w = 8, .m = 6,
                     .group = v % 3 == 1 ? 2 : 1, .kh = 1 + v % 3, .kw = 1 + (v + 1) % 3, .sh = 1 + v % 2,
                     .sw = 1 + (v / 2) % 2, .dh = 1, .dw = 1 + (v / 3) % 2, .pads = {v % 2, v % 3 ? 1 : 0, 1, 0},
                     .x_s8 = v % 2, .w_u8 = (v / 2) % 2, .per_channel = (v / 4) % 2, .w_zp_nonzero = v % 3 != 2,
                     .const_w = v % 5 != 0, .integer = 1};
    ok &= run_case(&cc, seed++);
  }
  printf("ConvInteger grid: %d cases %s\n", cases, ok ? "ok" : "FAILED");
}

/* ---- error paths ---- */

typedef struct err_case {
  const char *what;
  float x_scale, w_scale0, y_scale;
  int w_scale_len; /* values of w_scale (1 or M, or a wrong count) */
  int x_scale_len;
  int bias_len;
  int rank;
  qi_status want;
} err_case;

static void error_case(const err_case *e) {
  qi_graph *gr = qi_graph_new();
  const int64_t m = 4;
  const int64_t xd[5] = {1, 2, 5, 5, 5}, wd[5] = {m, 2, 3, 3, 3};
  uint8_t x[250] = {0}, w[4 * 2 * 27] = {0}, zp[8] = {0};
  float wsv[8] = {e->w_scale0, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}, xsv[2] = {e->x_scale, e->x_scale};
  int32_t b[8] = {0};
  const int64_t wl[1] = {e->w_scale_len}, xl[1] = {e->x_scale_len}, bl[1] = {e->bias_len};
  int in[9] = {
      nn_tensor(gr, "x", QINFER_DTYPE_UINT8, e->rank, xd, x, 0),
      nn_tensor(gr, "x_scale", QINFER_DTYPE_FLOAT, e->x_scale_len > 1, xl, xsv, 1),
      nn_tensor(gr, "x_zp", QINFER_DTYPE_UINT8, e->x_scale_len > 1, xl, zp, 1),
      nn_tensor(gr, "w", QINFER_DTYPE_INT8, e->rank, wd, w, 1),
      nn_tensor(gr, "w_scale", QINFER_DTYPE_FLOAT, e->w_scale_len > 1, wl, wsv, 1),
      nn_tensor(gr, "w_zp", QINFER_DTYPE_INT8, e->w_scale_len > 1, wl, zp, 1),
      nn_tensor(gr, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &e->y_scale, 1),
      nn_tensor(gr, "y_zp", QINFER_DTYPE_UINT8, 0, NULL, zp, 1),
      e->bias_len ? nn_tensor(gr, "B", QINFER_DTYPE_INT32, 1, bl, b, 1) : -1,
  };
  int out = nn_output(gr, "y");
  const int node = qi_graph_add_node(gr, "QLinearConv", "", in, e->bias_len ? 9 : 8, &out, 1);
  nn_name(gr, node, "bad");
  qi_error err = {0};
  const qi_status st = nn_run(gr, node, NULL, &err);
  CHECK_MSG(st == e->want, "%s: status %d, want %d (%s)", e->what, st, e->want, err.msg);
  if (st != QINFER_OK) printf("  error case %s -> %s\n", e->what, err.msg);
  qi_graph_free(gr);
}

static void errors(void) {
  const err_case cases[] = {
      {"valid", 0.1f, 0.1f, 0.1f, 4, 1, 4, 4, QINFER_OK},
      {"zero x scale", 0.0f, 0.1f, 0.1f, 1, 1, 0, 4, QINFER_ERR_QUANT_PARAMS},
      {"negative w scale", 0.1f, -0.1f, 0.1f, 4, 1, 0, 4, QINFER_ERR_QUANT_PARAMS},
      {"NaN y scale", 0.1f, 0.1f, NAN, 1, 1, 0, 4, QINFER_ERR_QUANT_PARAMS},
      {"infinite w scale", 0.1f, INFINITY, 0.1f, 1, 1, 0, 4, QINFER_ERR_QUANT_PARAMS},
      {"w scale length 3 for 4 channels", 0.1f, 0.1f, 0.1f, 3, 1, 0, 4, QINFER_ERR_QUANT_PARAMS},
      {"per-channel x scale", 0.1f, 0.1f, 0.1f, 1, 2, 0, 4, QINFER_ERR_QUANT_PARAMS},
      {"bias of 3 values", 0.1f, 0.1f, 0.1f, 1, 1, 3, 4, QINFER_ERR_SHAPE},
      {"3-D convolution", 0.1f, 0.1f, 0.1f, 1, 1, 0, 5, QINFER_ERR_UNSUPPORTED},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) error_case(&cases[i]);
}

int main(void) {
  qh_setup();
  grid();
  special();
  integer_grid();
  errors();
  qh_teardown();
  return TEST_SUMMARY();
}
