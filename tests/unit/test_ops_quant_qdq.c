/* QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear against naive oracles: per tensor, per axis and
 * blocked, uint8 and int8 (int32 for DequantizeLinear), constant and run-time parameters, on every ISA path
 * at 1, 2 and 3 threads (exact); and the parameter errors, through the op and through the public API. */
#include <stdlib.h>

#include "quant_elem_harness.h"

TEST_MAIN_GLOBALS;

typedef struct qdq_case {
  int rank;
  int64_t dims[4];
  int kind;     /* 0 per tensor, 1 per axis, 2 blocked */
  int64_t axis; /* attribute (may be negative) */
  int64_t block;
  int s8, with_zp, const_params, opset;
} qdq_case;

/* Scale index of flat element i of x under the case's granularity, from its multi-index. */
static int64_t scale_index(const qdq_case *c, int64_t i, const int64_t *sdims) {
  if (c->kind == 0) return 0;
  const int a = (int)(c->axis < 0 ? c->axis + c->rank : c->axis);
  int64_t idx[4];
  for (int d = c->rank - 1; d >= 0; d--) idx[d] = i % c->dims[d], i /= c->dims[d];
  if (c->kind == 1) return idx[a];
  int64_t s = 0;
  for (int d = 0; d < c->rank; d++) s = s * sdims[d] + (d == a ? idx[d] / c->block : idx[d]);
  return s;
}

static void run_qdq_case(const qdq_case *c) {
  const int a = (int)(c->axis < 0 ? c->axis + c->rank : c->axis);
  int64_t numel = 1, sdims[4], scount = 1;
  for (int d = 0; d < c->rank; d++) numel *= c->dims[d];
  int srank = 0;
  if (c->kind == 1) srank = 1, sdims[0] = c->dims[a], scount = c->dims[a];
  if (c->kind == 2) {
    srank = c->rank;
    for (int d = 0; d < c->rank; d++) sdims[d] = d == a ? (c->dims[d] + c->block - 1) / c->block : c->dims[d];
    for (int d = 0; d < c->rank; d++) scount *= sdims[d];
  }
  const int32_t qmin = qh_qmin(c->s8), qmax = qh_qmax(c->s8);
  float *x = malloc(sizeof(float) * (size_t)numel), *scale = malloc(sizeof(float) * (size_t)scount);
  float *back = malloc(sizeof(float) * (size_t)numel);
  int32_t *zp = malloc(sizeof(int32_t) * (size_t)scount);
  uint8_t *zp_store = malloc((size_t)scount), *want = malloc((size_t)numel), *q = malloc((size_t)numel);
  for (int64_t s = 0; s < scount; s++) {
    scale[s] = qh_frand(0.002f, 0.2f);
    if (s % 5 == 0) scale[s] = 0.0625f; /* exact halves below */
    zp[s] = c->with_zp ? qmin + (int32_t)(qh_next() % 256) : 0;
  }
  for (int64_t i = 0; i < numel; i++) {
    const int64_t si = scale_index(c, i, sdims);
    switch (qh_next() % 10) {
      case 0: x[i] = ((float)(int32_t)(qh_next() % 400) - 200.0f + 0.5f) * scale[si]; break;
      case 1: x[i] = (qh_next() & 1) ? INFINITY : -INFINITY; break;
      case 2: x[i] = NAN; break;
      default: x[i] = qh_frand(-300.0f, 300.0f) * scale[si];
    }
    want[i] = (uint8_t)qh_quantize(x[i], scale[si], zp[si], qmin, qmax);
  }
  char what[160];
  snprintf(what, sizeof what, "rank %d dims [%lld,%lld,%lld,%lld] kind %d axis %lld block %lld %s zp %d const %d opset %d",
           c->rank, (long long)c->dims[0], (long long)c->dims[1], (long long)c->dims[2], (long long)c->dims[3],
           c->kind, (long long)c->axis, (long long)c->block, c->s8 ? "int8" : "uint8", c->with_zp, c->const_params,
           c->opset);
  for (int dq = 0; dq < 2; dq++) {
    qi_graph *g = qi_graph_new();
    const int tx = dq ? nn_tensor(g, "x", qh_dtype(c->s8), c->rank, c->dims, want, 0)
                      : nn_tensor(g, "x", QINFER_DTYPE_FLOAT, c->rank, c->dims, x, 0);
    const int ts = nn_tensor(g, "sc", QINFER_DTYPE_FLOAT, srank, sdims, scale, c->const_params);
    int ins[3] = {tx, ts, -1};
    if (c->with_zp) ins[2] = qh_zp_tensor(g, "zp", qh_dtype(c->s8), srank, sdims, zp, scount, c->const_params, zp_store);
    const int out[1] = {nn_output(g, "y")};
    const int node = qi_graph_add_node(g, dq ? "DequantizeLinear" : "QuantizeLinear", "", ins, c->with_zp ? 3 : 2, out, 1);
    g->nodes[node].opset = c->opset;
    if (c->kind) nn_attr_int(g, node, "axis", c->axis);
    if (c->kind == 2) nn_attr_int(g, node, "block_size", c->block);
    if (!dq && !c->with_zp && c->s8) nn_attr_int(g, node, "output_dtype", QINFER_DTYPE_INT8);
    for (size_t k = 0; k < sizeof qh_isas / sizeof qh_isas[0]; k++) {
      if (!qi_isa_available(qh_isas[k])) continue;
      for (int p = 0; p < 3; p++) {
        qi_error err = {0};
        const qi_status st = qh_run(g, node, qh_isas[k], qh_pools[p], &err);
        CHECK_MSG(st == QINFER_OK, "%s %s: %s", dq ? "DequantizeLinear" : "QuantizeLinear", what, err.msg);
        if (st != QINFER_OK) continue;
        const qi_tensor *y = qi_node_out(g, &g->nodes[node], 0);
        int bad = 0;
        if (!dq) memcpy(q, y->data, (size_t)numel);
        else memcpy(back, y->data, sizeof(float) * (size_t)numel);
        for (int64_t i = 0; i < numel && bad < 3; i++) {
          const int64_t si = scale_index(c, i, sdims);
          if (!dq && q[i] != want[i]) {
            bad++;
            CHECK_MSG(0, "QuantizeLinear %s %s %d threads: x[%lld]=%.9g scale %g zp %d -> %d, oracle %d", what,
                      qi_isa_name(qh_isas[k]), qh_pool_threads[p], (long long)i, (double)x[i], (double)scale[si],
                      zp[si], qh_value(q[i], c->s8), qh_value(want[i], c->s8));
          }
          const float ref = (float)(qh_value(want[i], c->s8) - zp[si]) * scale[si];
          if (dq && memcmp(&back[i], &ref, 4) != 0) {
            bad++;
            CHECK_MSG(0, "DequantizeLinear %s %s %d threads: q[%lld]=%d -> %.9g, oracle %.9g", what,
                      qi_isa_name(qh_isas[k]), qh_pool_threads[p], (long long)i, qh_value(want[i], c->s8),
                      (double)back[i], (double)ref);
          }
        }
        CHECK(bad == 0);
      }
    }
    qi_graph_free(g);
  }
  free(x), free(scale), free(back), free(zp), free(zp_store), free(want), free(q);
}

static void test_qdq(void) {
  static const qdq_case cases[] = {
      {2, {3, 37}, 0, 1, 0, 0, 1, 1, 10},          {2, {3, 37}, 0, 1, 0, 1, 1, 1, 13},
      {1, {5}, 0, 1, 0, 0, 0, 1, 13},              {4, {2, 8, 64, 65}, 0, 1, 0, 0, 1, 1, 19}, /* threads split */
      {4, {2, 8, 64, 65}, 0, 1, 0, 1, 1, 0, 23},   {4, {2, 5, 4, 3}, 1, 1, 0, 0, 1, 1, 13},
      {4, {2, 5, 4, 3}, 1, 1, 0, 1, 1, 1, 13},     {2, {6, 7}, 1, 0, 0, 1, 1, 1, 13},
      {3, {3, 4, 9}, 1, -1, 0, 0, 1, 1, 19},       {3, {3, 4, 9}, 1, -1, 0, 1, 0, 0, 21},
      {4, {2, 16, 33, 33}, 1, 1, 0, 1, 1, 1, 13},  {4, {2, 16, 33, 33}, 1, 1, 0, 0, 1, 0, 13},
      {2, {4, 6}, 2, 1, 2, 0, 1, 1, 21},           {2, {3, 7}, 2, 1, 3, 1, 1, 1, 21},
      {2, {10, 3}, 2, 0, 4, 0, 1, 0, 23},          {3, {2, 3, 8}, 2, -1, 4, 1, 0, 1, 21},
      {3, {4, 150, 130}, 2, 1, 32, 1, 1, 1, 21},   {2, {1, 1}, 2, 0, 5, 0, 1, 1, 21},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_qdq_case(&cases[i]);
}

/* DequantizeLinear of int32 (zero point 0 or absent) per tensor and per axis. */
static void test_dq_int32(void) {
  const int64_t dims[2] = {3, 40000};
  const int64_t n = dims[0] * dims[1];
  int32_t *x = malloc(sizeof(int32_t) * (size_t)n), zero[3] = {0, 0, 0}, zp_store[3];
  for (int64_t i = 0; i < n; i++) x[i] = (int32_t)(qh_next() % 2000001) - 1000000 + (i == 0 ? INT32_MIN + 1000000 : 0);
  float scale[3] = {0.00031f, 0.5f, 3.0f};
  for (int per_axis = 0; per_axis < 2; per_axis++) {
    qi_graph *g = qi_graph_new();
    const int64_t sd[1] = {3};
    int ins[3] = {nn_tensor(g, "x", QINFER_DTYPE_INT32, 2, dims, x, 0),
                  nn_tensor(g, "sc", QINFER_DTYPE_FLOAT, per_axis, sd, scale, 1), -1};
    if (per_axis) ins[2] = qh_zp_tensor(g, "zp", QINFER_DTYPE_INT32, 1, sd, zero, 3, 1, zp_store);
    const int out[1] = {nn_output(g, "y")};
    const int node = qi_graph_add_node(g, "DequantizeLinear", "", ins, per_axis ? 3 : 2, out, 1);
    g->nodes[node].opset = 13;
    if (per_axis) nn_attr_int(g, node, "axis", 0);
    for (int p = 0; p < 3; p++) {
      qi_error err = {0};
      CHECK_MSG(qh_run(g, node, qi_isa_best(), qh_pools[p], &err) == QINFER_OK, "int32 DQ: %s", err.msg);
      const float *y = qi_node_out(g, &g->nodes[node], 0)->data;
      int bad = 0;
      for (int64_t i = 0; i < n; i++) {
        const float ref = (float)x[i] * scale[per_axis ? i / dims[1] : 0];
        if (memcmp(&y[i], &ref, 4) != 0 && bad++ < 3)
          CHECK_MSG(0, "int32 DQ per_axis %d: x[%lld]=%d -> %.9g, oracle %.9g", per_axis, (long long)i, x[i],
                    (double)y[i], (double)ref);
      }
      CHECK(bad == 0);
    }
    qi_graph_free(g);
  }
  free(x);
}

static void test_dynamic(void) {
  static const int64_t shapes[][2] = {{4, 33}, {1, 1}, {3, 30000}, {2, 9}, {5, 7}, {5, 7}};
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    const int64_t n = shapes[k][0] * shapes[k][1];
    float *x = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
      x[i] = qh_frand(-4.0f, 3.0f);
      if (k == 1) x[i] = 0.0f;                    /* all zero: scale 1, zp 0 */
      if (k == 3) x[i] = 3.0f;                    /* constant: the range still includes 0 */
      if (k == 4) x[i] = fabsf(x[i]) + 0.5f;      /* positive */
      if (k == 5) x[i] = -fabsf(x[i]) - 0.25f;    /* negative */
    }
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < n; i++) lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    const float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    const int32_t zp = qh_clamp(rint((double)fminf(fmaxf(0.0f - lo / scale, 0.0f), 255.0f)), 0, 255);
    qi_graph *g = qi_graph_new();
    const int ins[1] = {nn_tensor(g, "x", QINFER_DTYPE_FLOAT, 2, shapes[k], x, 0)};
    const int out[3] = {nn_output(g, "y"), nn_output(g, "y_scale"), nn_output(g, "y_zero_point")};
    const int node = qi_graph_add_node(g, "DynamicQuantizeLinear", "", ins, 1, out, 3);
    g->nodes[node].opset = 11;
    for (size_t i = 0; i < sizeof qh_isas / sizeof qh_isas[0]; i++) {
      if (!qi_isa_available(qh_isas[i])) continue;
      for (int p = 0; p < 3; p++) {
        qi_error err = {0};
        CHECK_MSG(qh_run(g, node, qh_isas[i], qh_pools[p], &err) == QINFER_OK, "DynamicQuantizeLinear: %s", err.msg);
        const uint8_t *y = qi_node_out(g, &g->nodes[node], 0)->data;
        const float ys = *(const float *)qi_node_out(g, &g->nodes[node], 1)->data;
        const uint8_t yz = *(const uint8_t *)qi_node_out(g, &g->nodes[node], 2)->data;
        CHECK_MSG(ys == scale && yz == zp, "case %zu: scale %.9g zp %d, oracle %.9g %d", k, (double)ys, yz,
                  (double)scale, zp);
        int bad = 0;
        for (int64_t j = 0; j < n; j++)
          if (y[j] != qh_quantize(x[j], scale, zp, 0, 255) && bad++ < 3)
            CHECK_MSG(0, "DynamicQuantizeLinear case %zu %s: x[%lld]=%.9g -> %d, oracle %d", k,
                      qi_isa_name(qh_isas[i]), (long long)j, (double)x[j], y[j], qh_quantize(x[j], scale, zp, 0, 255));
        CHECK(bad == 0);
      }
    }
    qi_graph_free(g);
    free(x);
  }
}

/* ---- errors ---- */

typedef struct err_case {
  const char *what;
  int dq;            /* DequantizeLinear */
  int x_dtype;       /* DequantizeLinear input type */
  int srank;
  int64_t sdims[2];
  float scale0;      /* first scale value */
  int zp_dtype;      /* 0: no zero point */
  int32_t zp0;
  int64_t axis, block;
  int opset;
  qi_status want;
  const char *needle;
} err_case;

static const err_case err_cases[] = {
    {"zero scale", 0, 0, 0, {0}, 0.0f, QINFER_DTYPE_UINT8, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "'sc'[0] is 0"},
    {"negative scale", 1, QINFER_DTYPE_UINT8, 0, {0}, -0.5f, QINFER_DTYPE_UINT8, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "'sc'[0] is -0.5"},
    {"NaN scale", 0, 0, 1, {4}, NAN, QINFER_DTYPE_INT8, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "'sc'[0] is nan"},
    {"inf scale", 1, QINFER_DTYPE_INT8, 0, {0}, INFINITY, 0, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "'sc'[0] is inf"},
    {"blocked inf scale", 0, 0, 2, {3, 2}, INFINITY, QINFER_DTYPE_UINT8, 0, 1, 3, 21, QINFER_ERR_QUANT_PARAMS, "'sc'[0] is inf"},
    {"float zero point", 0, 0, 0, {0}, 0.1f, QINFER_DTYPE_FLOAT, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "zero point 'zp' has type float"},
    {"zero point type != x", 1, QINFER_DTYPE_UINT8, 0, {0}, 0.1f, QINFER_DTYPE_INT8, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "zero point 'zp' has type int8 but input 'x' has type uint8"},
    {"int32 zero point, quantizing", 0, 0, 0, {0}, 0.1f, QINFER_DTYPE_INT32, 0, 1, 0, 21, QINFER_ERR_UNSUPPORTED, "not supported"},
    {"int16 zero scale", 0, 0, 0, {0}, 0.0f, QINFER_DTYPE_INT16, 0, 1, 0, 21, QINFER_ERR_QUANT_PARAMS, "'sc'[0] is 0"},
    {"int16 zero point, uint16 input", 1, QINFER_DTYPE_UINT16, 0, {0}, 0.1f, QINFER_DTYPE_INT16, 0, 1, 0, 21, QINFER_ERR_QUANT_PARAMS, "zero point 'zp' has type int16 but input 'x' has type uint16"},
    {"uint16 per-axis length", 1, QINFER_DTYPE_UINT16, 1, {3}, 0.1f, QINFER_DTYPE_UINT16, 0, 1, 0, 21, QINFER_ERR_QUANT_PARAMS, "scale 'sc' has 3 values but axis 1 of 'x' has length 4"},
    {"int16 block_size does not fit", 0, 0, 2, {3, 3}, 0.1f, QINFER_DTYPE_INT16, 0, 1, 3, 21, QINFER_ERR_QUANT_PARAMS, "block_size 3 does not fit"},
    {"per-axis length", 0, 0, 1, {3}, 0.1f, QINFER_DTYPE_UINT8, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "scale 'sc' has 3 values but axis 1 of 'x' has length 4"},
    {"per-axis length, axis 0", 1, QINFER_DTYPE_INT8, 1, {4}, 0.1f, QINFER_DTYPE_INT8, 0, 0, 0, 13, QINFER_ERR_QUANT_PARAMS, "axis 0 of 'x' has length 3"},
    {"axis out of range", 0, 0, 1, {4}, 0.1f, QINFER_DTYPE_UINT8, 0, 2, 0, 13, QINFER_ERR_QUANT_PARAMS, "axis 2 is out of range"},
    {"axis out of range, negative", 1, QINFER_DTYPE_UINT8, 1, {4}, 0.1f, 0, 0, -3, 0, 13, QINFER_ERR_QUANT_PARAMS, "axis -3 is out of range"},
    {"int32 nonzero zero point", 1, QINFER_DTYPE_INT32, 0, {0}, 0.1f, QINFER_DTYPE_INT32, 5, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "int32 DequantizeLinear needs zero points of 0"},
    {"block_size does not fit", 0, 0, 2, {3, 3}, 0.1f, QINFER_DTYPE_UINT8, 0, 1, 3, 21, QINFER_ERR_QUANT_PARAMS, "block_size 3 does not fit"},
    {"block_size does not fit, DQ", 1, QINFER_DTYPE_INT8, 2, {3, 1}, 0.1f, 0, 0, 1, 3, 21, QINFER_ERR_QUANT_PARAMS, "needs ceil(4 / 3) = 2 values"},
    {"blocked scale rank", 0, 0, 1, {2}, 0.1f, 0, 0, 1, 2, 21, QINFER_ERR_QUANT_PARAMS, "has rank 1 but 'x' has rank 2"},
    {"2-D scale, not blocked", 0, 0, 2, {3, 4}, 0.1f, 0, 0, 1, 0, 13, QINFER_ERR_QUANT_PARAMS, "scale 'sc' must be a scalar or a 1-D tensor"},
};

static void test_errors(void) {
  const int64_t xd[2] = {3, 4};
  float xf[12] = {0};
  uint8_t xb[48] = {0};
  for (size_t k = 0; k < sizeof err_cases / sizeof err_cases[0]; k++) {
    const err_case *e = &err_cases[k];
    int64_t scount = 1;
    for (int d = 0; d < e->srank; d++) scount *= e->sdims[d];
    float scale[16];
    int32_t zpv[16] = {0};
    uint8_t zstore[64];
    for (int64_t i = 0; i < scount; i++) scale[i] = i ? 0.1f : e->scale0;
    zpv[0] = e->zp0;
    /* through the op, with constant and with run-time parameters (then run fails, not infer) */
    for (int constant = 1; constant >= 0; constant--) {
      qi_graph *g = qi_graph_new();
      int ins[3] = {e->dq ? nn_tensor(g, "x", e->x_dtype, 2, xd, xb, 0) : nn_tensor(g, "x", QINFER_DTYPE_FLOAT, 2, xd, xf, 0),
                    nn_tensor(g, "sc", QINFER_DTYPE_FLOAT, e->srank, e->sdims, scale, constant), -1};
      if (e->zp_dtype) ins[2] = qh_zp_tensor(g, "zp", e->zp_dtype, e->srank, e->sdims, zpv, scount, constant, zstore);
      const int out[1] = {nn_output(g, "y")};
      const int node = qi_graph_add_node(g, e->dq ? "DequantizeLinear" : "QuantizeLinear", "", ins, e->zp_dtype ? 3 : 2, out, 1);
      nn_name(g, node, "qnode");
      g->nodes[node].opset = e->opset;
      nn_attr_int(g, node, "axis", e->axis);
      if (e->block) nn_attr_int(g, node, "block_size", e->block);
      qi_error err = {0};
      const qi_status st = nn_run(g, node, NULL, &err);
      char what[128];
      snprintf(what, sizeof what, "%s (%s parameters)", e->what, constant ? "constant" : "run-time");
      QH_EXPECT_ERR(st, err, e->want, e->needle, what);
      CHECK_MSG(strstr(err.msg, "qnode") != NULL, "%s: message '%s' names no node", what, err.msg);
      qi_graph_free(g);
    }
    /* through the public API: session creation fails */
    pbw m = {0};
    qh_init_tensor inits[2] = {{"sc", QINFER_DTYPE_FLOAT, e->srank, {e->sdims[0], e->sdims[1]}, scale, sizeof(float) * (size_t)scount},
                               {"zp", e->zp_dtype, e->srank, {e->sdims[0], e->sdims[1]}, zstore, 0}};
    const size_t zsize = e->zp_dtype ? qi_dtype_size(e->zp_dtype) : 0;
    for (int64_t i = 0; i < scount; i++) {
      if (e->zp_dtype == QINFER_DTYPE_FLOAT) ((float *)zstore)[i] = (float)zpv[i];
      else if (e->zp_dtype == QINFER_DTYPE_INT32) ((int32_t *)zstore)[i] = zpv[i];
      else if (e->zp_dtype == QINFER_DTYPE_INT16 || e->zp_dtype == QINFER_DTYPE_UINT16) ((uint16_t *)zstore)[i] = (uint16_t)zpv[i];
      else if (e->zp_dtype) zstore[i] = (uint8_t)zpv[i];
    }
    inits[1].nbytes = zsize * (size_t)scount;
    pbw attrs = {0};
    enc_attr_int(&attrs, "axis", e->axis);
    if (e->block) enc_attr_int(&attrs, "block_size", e->block);
    const char *in[] = {"x", "sc", "zp"};
    const int y_dtype = e->dq ? QINFER_DTYPE_FLOAT : e->zp_dtype ? e->zp_dtype : QINFER_DTYPE_UINT8;
    qh_model(&m, e->dq ? "DequantizeLinear" : "QuantizeLinear", NULL, e->opset, e->dq ? e->x_dtype : QINFER_DTYPE_FLOAT,
             2, xd, inits, e->zp_dtype ? 2 : 1, in, e->zp_dtype ? 3 : 2, y_dtype, &attrs);
    char msg[512];
    const qinfer_status st = qh_session(&m, msg, sizeof msg);
    CHECK_MSG(st == e->want && strstr(msg, e->needle) != NULL, "API %s: status %d (want %d): '%s'", e->what, (int)st,
              (int)e->want, msg);
    pbw_free(&m);
  }
}

int main(void) {
  qh_init();
  test_qdq();
  test_dq_int32();
  test_dynamic();
  test_errors();
  qh_done();
  return TEST_SUMMARY();
}
