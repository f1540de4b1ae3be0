/* The W4A8 ops (ai.qinfer QLinearConvW4 and QLinearMatMulW4, engine/ops/quant_qb4w.c) against a naive oracle,
 * exactly: per block b of the reduction an int64 sum of (x - x_zp) * (q - zp[c][b]) (the int32 bias added to
 * block 0), then f = bias / y_scale (float bias; else 0) + sum over blocks in order of (float)sum_b * s_b with
 * s_b = (x_scale * w_scale[c][b]) / y_scale, one binary32 multiply and one add each, rounded half to even, the zero
 * point added, saturated (tests/unit/requant_oracle.h's rounding). With one block and an int32 bias this is the
 * INT8 rule of the int8 ops. Shapes: 1-D and 2-D convolutions with groups, depthwise (both of its paths: the int8
 * depthwise kernel with an int32 bias, the gemm per group with a float one), strides, padding; MatMul with
 * batched A, B [K, N] and [N, K]; int4 and uint4 weights, with and without zero points, per tensor, per channel
 * and blocks of 16 / 32 / 64 / 128 (K not a multiple of the block), uint8 and int8 activations and outputs, fused
 * clamps. Every ISA path of this CPU (others reported skipped) at 1, 2 and 3 threads, byte-identical. Error paths:
 * bad scales, parameter shapes, an int32 bias with blocks, blocks the kernels cannot take, Conv block parameters
 * that vary over the taps, wrong types and shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "requant_oracle.h"
#include "quant_gemm_harness.h"

TEST_MAIN_GLOBALS;

typedef struct w4_case {
  int conv; /* QLinearConvW4, else QLinearMatMulW4 */
  /* Conv: N, C, H (1: 1-D), W, M, group, kernel, stride, pad; MatMul: batch x rows x K times [K, M] */
  int64_t n, c, h, w, m, group, kh, kw, stride, pad, dil; /* dil 0: 1 */
  int64_t batch, rows, k;
  int trans_b;
  int sgn, zp;        /* int4 (else uint4); weight zero points */
  int64_t block;      /* 0: per channel (or per tensor) */
  int per_tensor;
  int x_s8, y_s8;
  int bias;           /* 0 none, 1 int32, 2 float */
  int act;
} w4_case;

static void set_nib(uint8_t *p, size_t i, int v) {
  p[i / 2] = (uint8_t)((p[i / 2] & (i % 2 ? 0x0f : 0xf0)) | ((v & 15) << (i % 2 * 4)));
}

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* round_half_even(f) + zp, saturated */
static int32_t oracle_store(float f, int32_t zp, int32_t qmin, int32_t qmax) {
  if (!(fabsf(f) < 16777216.0f)) return f > 0 ? qmax : qmin;
  const double q = oracle_round_half_even(f) + zp;
  return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}

static int run_case(const w4_case *cc, uint32_t seed) {
  const int one_d = cc->conv && cc->h == 1;
  /* weight geometry: M channels, K per group, taps, blocks */
  const int64_t m = cc->m, groups = cc->conv ? cc->group : 1, mg = m / groups;
  const int64_t cg = cc->conv ? cc->c / groups : cc->k, taps = cc->conv ? cc->kh * cc->kw : 1, k = cg * taps;
  const int64_t nb = cc->block ? cdiv(cg, cc->block) : 1, bk = cc->block ? cc->block * taps : k;
  const int64_t dil = cc->dil ? cc->dil : 1;
  const int64_t oh = cc->conv ? (cc->h + 2 * (one_d ? 0 : cc->pad) - (cc->kh - 1) * dil - 1) / cc->stride + 1 : 1;
  const int64_t ow = cc->conv ? (cc->w + 2 * cc->pad - (cc->kw - 1) * dil - 1) / cc->stride + 1 : 1;
  const int64_t images = cc->conv ? cc->n : cc->batch * cc->rows, pix = cc->conv ? oh * ow : 1;
  const size_t xn = (size_t)(cc->conv ? cc->n * cc->c * cc->h * cc->w : images * k), wn = (size_t)(m * k);
  const size_t yn = (size_t)(images * m * pix);
  /* parameters per (channel, block); tensor layouts follow DequantizeLinear's */
  const int64_t pn = cc->per_tensor ? 1 : m * nb;
  uint8_t *x = malloc(xn), *wq = calloc(wn / 2 + 1, 1), *wz = calloc((size_t)(pn * taps) / 2 + 1, 1);
  int *qv = malloc(wn * sizeof(int)), *zv = malloc((size_t)pn * sizeof(int));
  float *ws = malloc((size_t)pn * sizeof(float)), *ws_t = malloc((size_t)(pn * taps) * sizeof(float));
  float *bf = malloc((size_t)m * sizeof(float));
  int32_t *bq = malloc((size_t)m * sizeof(int32_t));
  for (size_t i = 0; i < xn; i++) x[i] = (uint8_t)qh_rnd(&seed);
  const int qlo = cc->sgn ? -8 : 0, qhi = cc->sgn ? 7 : 15;
  for (size_t i = 0; i < wn; i++) qv[i] = qh_rnd_range(&seed, qlo, qhi); /* qv[c * k + j]: channel c, k index j */
  for (int64_t p = 0; p < pn; p++) {
    zv[p] = cc->zp ? qh_rnd_range(&seed, qlo, qhi) : 0;
    ws[p] = 0.02f + (float)(qh_rnd(&seed) % 100) * 0.002f;
  }
  for (int64_t c = 0; c < m; c++) {
    bq[c] = cc->bias == 1 ? qh_rnd_range(&seed, -3000, 3000) : 0;
    bf[c] = cc->bias == 2 ? (float)qh_rnd_range(&seed, -1000, 1000) * 0.01f : 0.0f;
  }
  /* tensor bytes: w in its layout; parameters [M] / [M, nb, kh, kw] (Conv) / [nb, M] or [M, nb] (MatMul) */
  for (int64_t c = 0; c < m; c++)
    for (int64_t j = 0; j < k; j++)
      set_nib(wq, (size_t)(cc->conv || cc->trans_b ? c * k + j : j * m + c), qv[c * k + j]);
  for (int64_t c = 0; c < m && !cc->per_tensor; c++)
    for (int64_t b = 0; b < nb; b++) {
      const int64_t p = c * nb + b;
      if (cc->conv && cc->block) {
        for (int64_t t = 0; t < taps; t++) {
          ws_t[p * taps + t] = ws[p];
          set_nib(wz, (size_t)(p * taps + t), zv[p]);
        }
      } else {
        const int64_t at = !cc->conv && cc->block && !cc->trans_b ? b * m + c : p;
        ws_t[at] = ws[p];
        set_nib(wz, (size_t)at, zv[p]);
      }
    }
  if (cc->per_tensor) ws_t[0] = ws[0], set_nib(wz, 0, zv[0]);
  const int32_t xlo = cc->x_s8 ? -128 : 0, xhi = cc->x_s8 ? 127 : 255, ylo = cc->y_s8 ? -128 : 0, yhi = cc->y_s8 ? 127 : 255;
  const int32_t x_zp = qh_rnd_range(&seed, xlo, xhi), y_zp = qh_rnd_range(&seed, ylo + 20, yhi - 20);
  const float xs = 0.01f + (float)(qh_rnd(&seed) % 100) * 0.0004f;
  /* oracle: the block sums of every output */
  int64_t *acc = calloc(yn * (size_t)nb, sizeof(int64_t));
  double maxreal = 1e-6;
  for (int64_t img = 0; img < images; img++)
    for (int64_t c = 0; c < m; c++)
      for (int64_t px = 0; px < pix; px++) {
        const int64_t oy = px / ow, ox = px % ow, grp = c / mg, o = (img * m + c) * pix + px;
        double real = bf[c];
        for (int64_t j = 0; j < k; j++) {
          int64_t xi;
          if (cc->conv) {
            const int64_t ci = j / taps, ky = j % taps / cc->kw, kx = j % cc->kw;
            const int64_t iy = oy * cc->stride - (one_d ? 0 : cc->pad) + ky * dil, ix = ox * cc->stride - cc->pad + kx * dil;
            if (iy < 0 || iy >= cc->h || ix < 0 || ix >= cc->w) continue;
            xi = ((img * cc->c + grp * cg + ci) * cc->h + iy) * cc->w + ix;
          } else {
            xi = img * k + j;
          }
          const int32_t xv = (cc->x_s8 ? (int8_t)x[xi] : x[xi]) - x_zp;
          const int64_t b = j / bk, p = cc->per_tensor ? 0 : c * nb + b;
          acc[(size_t)(o * nb + b)] += (int64_t)xv * (qv[c * k + j] - zv[p]);
          real += (double)xv * (qv[c * k + j] - zv[p]) * xs * ws[p];
        }
        acc[(size_t)(o * nb)] += bq[c];
        real += (double)bq[c] * xs * ws[cc->per_tensor ? 0 : c * nb];
        maxreal = fmax(maxreal, fabs(real));
      }
  const float ys = (float)(maxreal / 90.0);
  const float act_min = (cc->act == 2 ? 0.1f : -0.3f) * (float)maxreal, act_max = 0.5f * (float)maxreal;
  int32_t qmin = ylo, qmax = yhi;
  if (cc->act) {
    const int32_t lo = oracle_quantize(act_min, ys, y_zp, ylo, yhi), hi = oracle_quantize(act_max, ys, y_zp, ylo, yhi);
    qmin = lo > qmin ? lo : qmin;
    qmax = hi < qmax ? hi : qmax;
  }
  int32_t *want = malloc(yn * sizeof(int32_t));
  for (int64_t o = 0; o < (int64_t)yn; o++) {
    const int64_t c = o / pix % m;
    volatile float f = cc->bias == 2 ? bf[c] / ys : 0.0f; /* volatile: one rounding per operation, never fused */
    for (int64_t b = 0; b < nb; b++) {
      const volatile float s = (xs * ws[cc->per_tensor ? 0 : c * nb + b]) / ys;
      const volatile float prod = (float)(int32_t)acc[(size_t)(o * nb + b)] * s;
      f = f + prod;
    }
    want[o] = oracle_store(f, y_zp, qmin, qmax);
  }
  int ok = 1;
  uint8_t *first = malloc(yn ? yn : 1);
  for (int ii = 0; ii < qh_n_isas && ok; ii++)
    for (int pool = 0; pool < 3 && ok; pool++) {
      qi_graph *gr = qi_graph_new();
      th_isa = qh_isas[ii];
      const int xdt = cc->x_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8, ydt = cc->y_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8;
      const int wdt = cc->sgn ? QINFER_DTYPE_INT4 : QINFER_DTYPE_UINT4;
      int64_t xd[4], wd[4], pd[4];
      int xr, wr, pr;
      if (cc->conv) {
        const int64_t x4[4] = {cc->n, cc->c, cc->h, cc->w}, w4[4] = {m, cg, cc->kh, cc->kw};
        xr = wr = one_d ? 3 : 4;
        for (int i = 0, o = 0; i < 4; i++)
          if (!(one_d && i == 2)) xd[o] = x4[i], wd[o] = w4[i], o++;
        pr = cc->block ? wr : 1;
        memcpy(pd, wd, sizeof pd);
        if (cc->block) pd[1] = nb;
        else pd[0] = m;
      } else {
        xr = 3, xd[0] = cc->batch, xd[1] = cc->rows, xd[2] = k;
        wr = 2, wd[0] = cc->trans_b ? m : k, wd[1] = cc->trans_b ? k : m;
        pr = cc->block ? 2 : 1;
        pd[0] = cc->block ? (cc->trans_b ? m : nb) : m, pd[1] = cc->block ? (cc->trans_b ? nb : m) : 0;
      }
      if (cc->per_tensor) pr = 0;
      const int8_t xzb = (int8_t)x_zp, yzb = (int8_t)y_zp;
      const uint8_t xzu = (uint8_t)x_zp, yzu = (uint8_t)y_zp;
      const int64_t md[1] = {m};
      int in[9] = {
          nn_tensor(gr, "x", xdt, xr, xd, x, 0),
          nn_tensor(gr, "x_scale", QINFER_DTYPE_FLOAT, 0, NULL, &xs, 1),
          nn_tensor(gr, "x_zp", xdt, 0, NULL, cc->x_s8 ? (const void *)&xzb : (const void *)&xzu, 1),
          nn_tensor(gr, "w", wdt, wr, wd, wq, 1),
          nn_tensor(gr, "w_scale", QINFER_DTYPE_FLOAT, pr, pd, ws_t, 1),
          cc->zp ? nn_tensor(gr, "w_zp", wdt, pr, pd, wz, 1) : -1,
          nn_tensor(gr, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &ys, 1),
          nn_tensor(gr, "y_zp", ydt, 0, NULL, cc->y_s8 ? (const void *)&yzb : (const void *)&yzu, 1),
          cc->bias ? nn_tensor(gr, "B", cc->bias == 1 ? QINFER_DTYPE_INT32 : QINFER_DTYPE_FLOAT, 1, md,
                               cc->bias == 1 ? (const void *)bq : (const void *)bf, 1)
                   : -1,
      };
      int out = nn_output(gr, "y");
      const int node = qi_graph_add_node(gr, cc->conv ? "QLinearConvW4" : "QLinearMatMulW4", "ai.qinfer", in,
                                         cc->bias ? 9 : 8, &out, 1);
      nn_name(gr, node, "w4");
      if (cc->block) nn_attr_int(gr, node, "block_size", cc->block);
      if (cc->conv) {
        const int64_t s2[2] = {cc->stride, cc->stride}, p4[4] = {cc->pad, cc->pad, cc->pad, cc->pad};
        const int64_t p2[2] = {cc->pad, cc->pad};
        nn_attr_ints(gr, node, "strides", one_d ? 1 : 2, s2);
        nn_attr_ints(gr, node, "pads", one_d ? 2 : 4, one_d ? p2 : p4);
        const int64_t d2[2] = {dil, dil};
        nn_attr_ints(gr, node, "dilations", one_d ? 1 : 2, d2);
        if (groups != 1) nn_attr_int(gr, node, "group", groups);
      } else if (cc->trans_b) {
        nn_attr_int(gr, node, "transB", 1);
      }
      if (!qh_run(gr, node, cc->act, act_min, act_max, qh_pools[pool])) {
        ok = 0;
        break;
      }
      const void *y = gr->tensors[out].data;
      for (size_t i = 0; i < yn && ok; i++) { /* y [N, M, pixels] or [rows, M]: the oracle's order */
        const size_t oi = i;
        const int32_t got = cc->y_s8 ? ((const int8_t *)y)[i] : ((const uint8_t *)y)[i];
        if (got != want[oi]) {
          fprintf(stderr, "%s %s pool %d: %s c%lld m%lld g%lld k%lldx%lld rows %lld K %lld tB %d sgn %d zp %d "
                  "block %lld pt %d x_s8 %d y_s8 %d bias %d act %d: y[%zu] = %d, want %d\n",
                  cc->conv ? "QLinearConvW4" : "QLinearMatMulW4", qi_isa_name(qh_isas[ii]), pool,
                  one_d ? "1-D" : "", (long long)cc->c, (long long)m, (long long)groups, (long long)cc->kh,
                  (long long)cc->kw, (long long)cc->rows, (long long)k, cc->trans_b, cc->sgn, cc->zp,
                  (long long)cc->block, cc->per_tensor, cc->x_s8, cc->y_s8, cc->bias, cc->act, i, got, want[oi]);
          ok = 0;
        }
      }
      CHECK(ok);
      if (ii == 0 && pool == 0) memcpy(first, y, yn);
      else CHECK_MSG(memcmp(first, y, yn) == 0, "results differ between ISA paths / thread counts");
      qi_graph_free(gr);
    }
  free(x), free(wq), free(wz), free(qv), free(zv), free(ws), free(ws_t), free(bf), free(bq), free(acc), free(want);
  free(first);
  return ok;
}

static void conv_cases(void) {
  int ok = 1, n = 0;
  uint32_t seed = 11;
  const w4_case cases[] = {
      /* per channel, int32 bias: the INT8 rule */
      {.conv = 1, .n = 1, .c = 16, .h = 9, .w = 9, .m = 24, .group = 1, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
       .sgn = 1, .bias = 1, .act = 1},
      {.conv = 1, .n = 2, .c = 8, .h = 11, .w = 10, .m = 12, .group = 1, .kh = 3, .kw = 3, .stride = 2, .pad = 1,
       .zp = 1, .bias = 2, .x_s8 = 1, .y_s8 = 1},
      {.conv = 1, .n = 1, .c = 6, .h = 7, .w = 7, .m = 8, .group = 1, .kh = 3, .kw = 3, .stride = 1, .pad = 0,
       .sgn = 1, .per_tensor = 1, .zp = 1, .act = 2},
      {.conv = 1, .n = 2, .c = 10, .h = 1, .w = 17, .m = 6, .group = 1, .kh = 1, .kw = 3, .stride = 1, .pad = 1,
       .sgn = 1, .bias = 1},
      /* blocks along input channels: bl = block * taps (144 = 9 x 16: groups of 16), the last block short */
      {.conv = 1, .n = 1, .c = 32, .h = 8, .w = 8, .m = 16, .group = 1, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
       .sgn = 1, .block = 16, .bias = 2},
      {.conv = 1, .n = 1, .c = 48, .h = 6, .w = 5, .m = 9, .group = 1, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
       .zp = 1, .block = 32, .act = 1, .x_s8 = 1},
      {.conv = 1, .n = 1, .c = 64, .h = 6, .w = 6, .m = 24, .group = 1, .kh = 1, .kw = 1, .stride = 1, .pad = 0,
       .zp = 1, .block = 32, .y_s8 = 1},
      {.conv = 1, .n = 1, .c = 160, .h = 4, .w = 4, .m = 16, .group = 1, .kh = 1, .kw = 1, .stride = 1, .pad = 0,
       .sgn = 1, .zp = 1, .block = 128, .bias = 2},
      {.conv = 1, .n = 1, .c = 192, .h = 3, .w = 3, .m = 8, .group = 1, .kh = 1, .kw = 1, .stride = 2, .pad = 1,
       .sgn = 1, .block = 64},
      /* groups: the gemm per group, blocks inside each */
      {.conv = 1, .n = 1, .c = 64, .h = 7, .w = 7, .m = 16, .group = 2, .kh = 3, .kw = 3, .stride = 2, .pad = 1,
       .sgn = 1, .block = 16, .bias = 2, .act = 1},
      {.conv = 1, .n = 1, .c = 9, .h = 6, .w = 6, .m = 9, .group = 3, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
       .zp = 1, .bias = 1}, /* groups of 3 channels x 9 taps: a group starts inside a byte */
      /* depthwise: the int8 depthwise kernel (int32 bias), the gemm per group (float bias), multiplier 2 */
      {.conv = 1, .n = 1, .c = 16, .h = 10, .w = 10, .m = 16, .group = 16, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
       .sgn = 1, .zp = 1, .bias = 1, .act = 1},
      {.conv = 1, .n = 2, .c = 8, .h = 9, .w = 9, .m = 16, .group = 8, .kh = 3, .kw = 3, .stride = 2, .pad = 1,
       .zp = 1, .bias = 2},
      {.conv = 1, .n = 1, .c = 8, .h = 9, .w = 9, .m = 8, .group = 8, .kh = 5, .kw = 5, .stride = 1, .pad = 2,
       .sgn = 1, .block = 16, .x_s8 = 1, .y_s8 = 1},
      /* depthwise on the direct loop: an int32 bias with input and output types that differ, dilation, 1-D, a row
       * of more than one 256-pixel chunk */
      {.conv = 1, .n = 1, .c = 6, .h = 11, .w = 12, .m = 6, .group = 6, .kh = 3, .kw = 3, .stride = 1, .pad = 2,
       .dil = 2, .sgn = 1, .zp = 1, .bias = 1, .x_s8 = 1, .act = 2},
      {.conv = 1, .n = 2, .c = 4, .h = 1, .w = 40, .m = 8, .group = 4, .kh = 1, .kw = 5, .stride = 2, .pad = 2,
       .zp = 1, .bias = 2, .y_s8 = 1},
      {.conv = 1, .n = 1, .c = 3, .h = 4, .w = 300, .m = 3, .group = 3, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
       .sgn = 1, .block = 32, .bias = 2, .act = 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++, n++) ok &= run_case(&cases[i], seed++);
  printf("QLinearConvW4: %d cases x %d ISA paths x 3 thread counts %s\n", n, qh_n_isas, ok ? "ok" : "FAILED");
}

static void matmul_cases(void) {
  int ok = 1, n = 0;
  uint32_t seed = 101;
  const int64_t blocks[] = {0, 16, 32, 64, 128};
  const int64_t ks[] = {1, 48, 96, 200, 300};
  for (int v = 0; v < 20; v++, n++) {
    const w4_case cc = {.batch = 1 + v % 2, .rows = 1 + (v * 3) % 9, .k = ks[v % 5], .m = 1 + (v * 7) % 23,
                        .trans_b = (v / 2) % 2, .sgn = v % 2, .zp = (v / 3) % 2, .block = ks[v % 5] > 1 ? blocks[(v / 4) % 5] : 0,
                        .per_tensor = v % 7 == 6, .x_s8 = (v / 5) % 2, .y_s8 = v % 3 == 0,
                        .bias = v % 3, .act = v % 4 == 1};
    w4_case c2 = cc;
    if (c2.per_tensor) c2.block = 0;
    if (c2.block && c2.bias == 1) c2.bias = 2; /* an int32 bias needs one block per channel */
    ok &= run_case(&c2, seed++);
  }
  printf("QLinearMatMulW4: %d cases x %d ISA paths x 3 thread counts %s\n", n, qh_n_isas, ok ? "ok" : "FAILED");
}

/* ---- error paths ---- */

typedef struct err_case {
  const char *what;
  int conv;
  int wdt, xdt;
  float w_scale0;
  int64_t scale_len;  /* per-channel scale values (-1: the blocked shape) */
  int64_t block;
  int bias;           /* 0, 1 int32, 2 float, 3 float of the wrong length */
  int taps_vary;
  int zp_int8;        /* a zero point of another type than w */
  int64_t k_a;        /* MatMul: A's K */
  qi_status want;
  int flat;           /* Conv: w flat [M, C * 9] in blocks of k, with kernel_shape 1: [3, 3], 2: none, 3: [5, 5] */
} err_case;

static void error_case(const err_case *e) {
  qi_graph *gr = qi_graph_new();
  const int64_t m = 4, c = 32, k = 32;
  uint8_t x[2 * 32 * 9] = {0}, w[4 * 32 * 9] = {0}, zp[96] = {0};
  float wsv[4 * 36], xs = 0.1f, ys = 0.1f, bfv[8] = {0};
  int32_t bq[8] = {0};
  for (size_t i = 0; i < sizeof wsv / sizeof wsv[0]; i++) wsv[i] = 0.1f;
  wsv[0] = e->w_scale0;
  if (e->taps_vary) wsv[1] = 0.2f;
  int64_t xd[4], wd[4], pd[4];
  int xr, wr, pr;
  const int64_t nb = e->block ? (e->flat ? c * 9 : e->conv ? c : k) / e->block : 1;
  if (e->conv && e->flat) {
    xr = 4, wr = 2;
    xd[0] = 1, xd[1] = c, xd[2] = 3, xd[3] = 3;
    wd[0] = m, wd[1] = c * 9;
    pd[0] = m, pd[1] = nb;
  } else if (e->conv) {
    xr = wr = 4;
    xd[0] = 1, xd[1] = c, xd[2] = 3, xd[3] = 3;
    wd[0] = m, wd[1] = c, wd[2] = 3, wd[3] = 3;
    memcpy(pd, wd, sizeof pd);
    pd[1] = nb;
  } else {
    xr = wr = 2;
    xd[0] = 2, xd[1] = e->k_a ? e->k_a : k;
    wd[0] = k, wd[1] = m;
    pd[0] = nb, pd[1] = m;
  }
  pr = e->scale_len < 0 ? wr : 1;
  if (e->scale_len >= 0) pd[0] = e->scale_len;
  const int64_t bl[1] = {e->bias == 3 ? m + 1 : m};
  const int b = e->bias == 1 ? nn_tensor(gr, "B", QINFER_DTYPE_INT32, 1, bl, bq, 1)
              : e->bias >= 2 ? nn_tensor(gr, "B", QINFER_DTYPE_FLOAT, 1, bl, bfv, 1) : -1;
  int in[9] = {nn_tensor(gr, "x", e->xdt, xr, xd, x, 0),
               nn_tensor(gr, "x_scale", QINFER_DTYPE_FLOAT, 0, NULL, &xs, 1),
               nn_tensor(gr, "x_zp", e->xdt, 0, NULL, zp, 1),
               nn_tensor(gr, "w", e->wdt, wr, wd, w, 1),
               nn_tensor(gr, "w_scale", QINFER_DTYPE_FLOAT, pr, pd, wsv, 1),
               nn_tensor(gr, "w_zp", e->zp_int8 ? QINFER_DTYPE_INT8 : e->wdt, pr, pd, zp, 1),
               nn_tensor(gr, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &ys, 1),
               nn_tensor(gr, "y_zp", QINFER_DTYPE_UINT8, 0, NULL, zp, 1),
               b};
  int out = nn_output(gr, "y");
  const int node = qi_graph_add_node(gr, e->conv ? "QLinearConvW4" : "QLinearMatMulW4", "ai.qinfer", in,
                                     e->bias ? 9 : 8, &out, 1);
  nn_name(gr, node, "bad");
  if (e->block) nn_attr_int(gr, node, "block_size", e->block);
  if (e->flat == 1 || e->flat == 3) {
    const int64_t ks = e->flat == 1 ? 3 : 5;
    qi_attr *a = qi_node_add_attr(gr, node, "kernel_shape", QI_ATTR_INTS);
    a->ints = malloc(2 * sizeof(int64_t));
    a->ints[0] = a->ints[1] = ks;
    a->n = 2;
  }
  qi_error err = {0};
  const qi_status st = nn_run(gr, node, NULL, &err);
  CHECK_MSG(st == e->want, "%s: status %d, want %d (%s)", e->what, st, e->want, err.msg);
  if (st != QINFER_OK) printf("  error case %s -> %s\n", e->what, err.msg);
  qi_graph_free(gr);
}

static void errors(void) {
  const int I4 = QINFER_DTYPE_INT4, U8 = QINFER_DTYPE_UINT8;
  const err_case cases[] = {
      {"valid conv, blocks of 16", 1, I4, U8, 0.1f, -1, 16, 2, 0, 0, 0, QINFER_OK, 0},
      {"valid matmul, per channel", 0, I4, U8, 0.1f, 4, 0, 0, 0, 0, 0, QINFER_OK, 0},
      {"zero w scale", 1, I4, U8, 0.0f, 4, 0, 0, 0, 0, 0, QINFER_ERR_QUANT_PARAMS, 0},
      {"NaN w scale", 0, I4, U8, NAN, -1, 16, 0, 0, 0, 0, QINFER_ERR_QUANT_PARAMS, 0},
      {"w scale of 3 values for 4 channels", 0, I4, U8, 0.1f, 3, 0, 0, 0, 0, 0, QINFER_ERR_QUANT_PARAMS, 0},
      {"per-channel scale with block_size", 1, I4, U8, 0.1f, 4, 16, 0, 0, 0, 0, QINFER_ERR_QUANT_PARAMS, 0},
      {"int32 bias with blocks", 1, I4, U8, 0.1f, -1, 16, 1, 0, 0, 0, QINFER_ERR_UNSUPPORTED, 0},
      {"bias of 5 values for 4 channels", 0, I4, U8, 0.1f, 4, 0, 3, 0, 0, 0, QINFER_ERR_SHAPE, 0},
      {"blocks of 8 (not a multiple of 16)", 0, I4, U8, 0.1f, -1, 8, 0, 0, 0, 0, QINFER_ERR_UNSUPPORTED, 0},
      {"conv block parameters varying over the taps", 1, I4, U8, 0.1f, -1, 16, 0, 1, 0, 0, QINFER_ERR_UNSUPPORTED, 0},
      {"int8 zero point for int4 weights", 0, I4, U8, 0.1f, 4, 0, 0, 0, 1, 0, QINFER_ERR_QUANT_PARAMS, 0},
      {"int8 weights", 0, QINFER_DTYPE_INT8, U8, 0.1f, 4, 0, 0, 0, 0, 0, QINFER_ERR_UNSUPPORTED, 0},
      {"int4 activations", 0, I4, I4, 0.1f, 4, 0, 0, 0, 0, 0, QINFER_ERR_UNSUPPORTED, 0},
      {"A's K 31 against B's 32", 0, I4, U8, 0.1f, 4, 0, 0, 0, 0, 31, QINFER_ERR_SHAPE, 0},
      {"negative block_size", 0, I4, U8, 0.1f, 4, -16, 0, 0, 0, 0, QINFER_ERR_INVALID_MODEL, 0},
      {"valid flat conv weight, blocks of 32 k", 1, I4, U8, 0.1f, -1, 32, 2, 0, 0, 0, QINFER_OK, 1},
      {"flat conv weight without kernel_shape", 1, I4, U8, 0.1f, -1, 32, 2, 0, 0, 0, QINFER_ERR_INVALID_MODEL, 2},
      {"flat conv weight of 288 k for 5x5 taps", 1, I4, U8, 0.1f, -1, 32, 2, 0, 0, 0, QINFER_ERR_SHAPE, 3},
      {"flat conv weight, blocks of 8 k", 1, I4, U8, 0.1f, -1, 8, 2, 0, 0, 0, QINFER_ERR_UNSUPPORTED, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) error_case(&cases[i]);
}

int main(void) {
  qh_setup();
  conv_cases();
  matmul_cases();
  errors();
  qh_teardown();
  return TEST_SUMMARY();
}
