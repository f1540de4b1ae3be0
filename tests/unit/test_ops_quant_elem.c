/* QLinearAdd, QLinearMul (numpy broadcasting, fused clamp), QLinearConcat, QLinearSigmoid, QLinearLeakyRelu
 * and QLinearLookup against naive oracles written here, uint8 and int8, constant and run-time parameters, on
 * every ISA path at 1, 2 and 3 threads (exact); QLinearAdd also within one step of the real-valued sum; and
 * the parameter errors through the op and the public API. */
#include <stdlib.h>

#include "kernels/f32-vunary/vunary.h"
#include "quant_elem_harness.h"

TEST_MAIN_GLOBALS;

/* ---- QLinearAdd / QLinearMul ---- */

typedef struct qp {
  float s;
  int32_t z;
} qp;

/* The add rule of docs/quantization.md, from the scales: multipliers round(r * 2^shift) < 2^20 with the
 * largest shift <= 30, then round half to even of the scaled sum. */
/* ONNX Runtime's two QLinearAdd formulas (kernels/qu8-vadd/qu8-vadd.h), written out from the scales: the
 * float one (DequantizeLinear, Add, QuantizeLinear) when an activation is fused, else the fused multiply-add
 * one, whose order depends on which operand is broadcast along the innermost run (bcast: 1 = b, 2 = a). */
static int32_t add_ref(int32_t a, int32_t b, qp pa, qp pb, qp py, int32_t qmin, int32_t qmax, int act, int bcast) {
  if (act) {
    const float da = (float)(a - pa.z) * pa.s, db = (float)(b - pb.z) * pb.s;
    const float sum = da + db;
    return qh_clamp(rint((double)(sum / py.s)) + py.z, qmin, qmax);
  }
  const float ra = pa.s / py.s, rb = pb.s / py.s;
  const float zb = rb * (float)pb.z;
  const float fixed = (float)py.z - fmaf(ra, (float)pa.z, zb);
  float t;
  if (bcast == 1) {
    const float bt = (float)b * rb;
    t = fmaf((float)a, ra, fixed + bt);
  } else if (bcast == 2) {
    const float at = (float)a * ra;
    t = fmaf((float)b, rb, fixed + at);
  } else {
    t = fmaf((float)a, ra, fmaf((float)b, rb, fixed));
  }
  return qh_clamp(rint((double)t), qmin, qmax);
}

static int32_t mul_ref(int32_t a, int32_t b, qp pa, qp pb, qp py, int32_t qmin, int32_t qmax) {
  const float v = (float)((a - pa.z) * (b - pb.z)) * ((pa.s * pb.s) / py.s);
  return qh_clamp(rint((double)v) + py.z, qmin, qmax);
}

typedef struct bin_case {
  int ra;
  int64_t ad[4];
  int rb;
  int64_t bd[4];
} bin_case;

static const bin_case bin_cases[] = {
    {4, {2, 3, 17, 19}, 4, {2, 3, 17, 19}}, {2, {3, 41}, 0, {0}},         {1, {1}, 2, {4, 37}},
    {4, {2, 8, 5, 7}, 4, {1, 8, 1, 1}},     {2, {6, 33}, 1, {33}},        {2, {5, 1}, 2, {1, 23}},
    {4, {2, 1, 4, 9}, 3, {3, 1, 9}},        {0, {0}, 0, {0}},             {4, {2, 16, 40, 40}, 4, {2, 16, 40, 40}},
    {4, {1, 32, 30, 30}, 4, {1, 32, 1, 1}}, {3, {3, 1, 8}, 3, {3, 1, 1}}, {4, {2, 3, 0, 5}, 1, {5}},
};

/* Flat index of x (rank rx, dims xd) read at output multi-index idx (rank ry), numpy broadcasting. */
static int64_t bcast_index(const int64_t *idx, int ry, int rx, const int64_t *xd) {
  int64_t off = 0;
  for (int d = 0; d < rx; d++) {
    const int64_t i = idx[ry - rx + d];
    off = off * xd[d] + (xd[d] == 1 ? 0 : i);
  }
  return off;
}

static void run_binary(const char *op, const bin_case *c, int s8, int constant, int act) {
  const int ry = c->ra > c->rb ? c->ra : c->rb;
  int64_t yd[4], na = 1, nb = 1, ny = 1;
  for (int d = 0; d < ry; d++) {
    const int da = d - (ry - c->ra), db = d - (ry - c->rb);
    const int64_t x = da >= 0 ? c->ad[da] : 1, y = db >= 0 ? c->bd[db] : 1;
    yd[d] = x == 1 ? y : x;
  }
  for (int d = 0; d < c->ra; d++) na *= c->ad[d];
  for (int d = 0; d < c->rb; d++) nb *= c->bd[d];
  for (int d = 0; d < ry; d++) ny *= yd[d];
  const int32_t qmin0 = qh_qmin(s8), qmax0 = qh_qmax(s8);
  uint8_t *a = malloc((size_t)na + 1), *b = malloc((size_t)nb + 1), *want = malloc((size_t)ny + 1);
  for (int64_t i = 0; i < na; i++) a[i] = (uint8_t)qh_next();
  for (int64_t i = 0; i < nb; i++) b[i] = (uint8_t)qh_next();
  qp p[3];
  for (int k = 0; k < 3; k++) p[k] = (qp){qh_frand(0.005f, 0.08f), qmin0 + (int32_t)(qh_next() % 256)};
  if (act) p[2].z = qmin0 + 100;
  /* fused clamp [-0.5, 1.25] (act 1) in real values: the range narrows to the quantized bounds */
  int32_t qmin = qmin0, qmax = qmax0;
  if (act) {
    qmin = qh_quantize(-0.5f, p[2].s, p[2].z, qmin0, qmax0);
    qmax = qh_quantize(1.25f, p[2].s, p[2].z, qmin0, qmax0);
  }
  const int mul = strcmp(op, "QLinearMul") == 0;
  int64_t idx[4] = {0};
  for (int64_t i = 0; i < ny; i++) {
    int64_t r = i;
    for (int d = ry - 1; d >= 0; d--) idx[d] = r % yd[d], r /= yd[d];
    const int32_t va = qh_value(a[bcast_index(idx, ry, c->ra, c->ad)], s8);
    const int32_t vb = qh_value(b[bcast_index(idx, ry, c->rb, c->bd)], s8);
    /* which operand is constant along the output's innermost dimension (the op's kernels see it broadcast) */
    const int64_t alast = c->ra ? c->ad[c->ra - 1] : 1, blast = c->rb ? c->bd[c->rb - 1] : 1;
    const int64_t ylast = ry ? yd[ry - 1] : 1;
    const int bcast = ylast > 1 && blast == 1 && alast > 1 ? 1 : (ylast > 1 && alast == 1 && blast > 1 ? 2 : 0);
    const int32_t v = mul ? mul_ref(va, vb, p[0], p[1], p[2], qmin, qmax)
                          : add_ref(va, vb, p[0], p[1], p[2], qmin, qmax, act, bcast);
    want[i] = (uint8_t)v;
    if (!mul) { /* the rule is within one step of the exact value */
      const double exact = ((double)p[0].s * (va - p[0].z) + (double)p[1].s * (vb - p[1].z)) / p[2].s;
      const int32_t e = qh_clamp(rint(exact) + p[2].z, qmin, qmax);
      if (abs(e - v) > 1) CHECK_MSG(0, "QLinearAdd rule: a=%d b=%d -> %d, exact %d", va, vb, v, e);
    }
  }
  qi_graph *g = qi_graph_new();
  float sc[3] = {p[0].s, p[1].s, p[2].s};
  uint8_t zs[3];
  const int dt = qh_dtype(s8);
  int ins[8];
  ins[0] = nn_tensor(g, "A", dt, c->ra, c->ad, a, 0);
  ins[3] = nn_tensor(g, "B", dt, c->rb, c->bd, b, 0);
  const char *sn[3] = {"A_scale", "B_scale", "C_scale"}, *zn[3] = {"A_zp", "B_zp", "C_zp"};
  for (int k = 0; k < 3; k++) {
    const int slot = k < 2 ? 1 + 3 * k : 6; /* A_scale 1, B_scale 4, C_scale 6; each zero point next */
    ins[slot] = nn_tensor(g, sn[k], QINFER_DTYPE_FLOAT, 0, NULL, &sc[k], constant);
    ins[slot + 1] = qh_zp_tensor(g, zn[k], dt, 0, NULL, &p[k].z, 1, constant, &zs[k]);
  }
  const int out[1] = {nn_output(g, "C")};
  const int node = qi_graph_add_node(g, op, "com.microsoft", ins, 8, out, 1);
  g->nodes[node].opset = 1;
  if (act) th_set_act(g, node, QI_ACT_CLAMP, -0.5f, 1.25f, 0.0f);
  for (size_t k = 0; k < sizeof qh_isas / sizeof qh_isas[0]; k++) {
    if (!qi_isa_available(qh_isas[k])) continue;
    for (int t = 0; t < 3; t++) {
      qi_error err = {0};
      const qi_status st = qh_run(g, node, qh_isas[k], qh_pools[t], &err);
      CHECK_MSG(st == QINFER_OK, "%s: %s", op, err.msg);
      if (st != QINFER_OK) continue;
      const uint8_t *y = qi_node_out(g, &g->nodes[node], 0)->data;
      int bad = 0;
      for (int64_t i = 0; i < ny; i++)
        if (y[i] != want[i] && bad++ < 3)
          CHECK_MSG(0, "%s %s %s threads %d const %d act %d A rank %d [%lld..] B rank %d: y[%lld] = %d, oracle %d "
                    "(scales %g %g %g zps %d %d %d)", op, s8 ? "int8" : "uint8", qi_isa_name(qh_isas[k]),
                    qh_pool_threads[t], constant, act, c->ra, (long long)c->ad[0], c->rb, (long long)i,
                    qh_value(y[i], s8), qh_value(want[i], s8), (double)p[0].s, (double)p[1].s, (double)p[2].s, p[0].z,
                    p[1].z, p[2].z);
      CHECK(bad == 0);
    }
  }
  qi_graph_free(g);
  free(a), free(b), free(want);
}

static void test_binary(void) {
  for (int mul = 0; mul < 2; mul++)
    for (size_t c = 0; c < sizeof bin_cases / sizeof bin_cases[0]; c++)
      for (int s8 = 0; s8 < 2; s8++) {
        run_binary(mul ? "QLinearMul" : "QLinearAdd", &bin_cases[c], s8, 1, 0);
        if (c % 3 == 0) run_binary(mul ? "QLinearMul" : "QLinearAdd", &bin_cases[c], s8, 0, 0);
        if (c % 4 == 1) run_binary(mul ? "QLinearMul" : "QLinearAdd", &bin_cases[c], s8, 1, 1);
      }
}

/* ---- QLinearConcat ---- */

static void run_concat(int s8, int axis, int rank, const int64_t (*dims)[3], int count, const qp *pin, qp py) {
  const int dt = qh_dtype(s8);
  const int32_t qmin = qh_qmin(s8), qmax = qh_qmax(s8);
  qi_graph *g = qi_graph_new();
  uint8_t *xs[4];
  int ins[2 + 3 * 4];
  float sc[5];
  uint8_t zs[5];
  sc[0] = py.s;
  ins[0] = nn_tensor(g, "Y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[0], 1);
  ins[1] = qh_zp_tensor(g, "Y_zp", dt, 0, NULL, &py.z, 1, 1, &zs[0]);
  int64_t yd[3], total = 1;
  memcpy(yd, dims[0], sizeof yd);
  yd[axis] = 0;
  for (int i = 0; i < count; i++) {
    int64_t n = 1;
    for (int d = 0; d < rank; d++) n *= dims[i][d];
    xs[i] = malloc((size_t)n + 1);
    for (int64_t j = 0; j < n; j++) xs[i][j] = (uint8_t)qh_next();
    char name[32];
    snprintf(name, sizeof name, "X%d", i);
    ins[2 + 3 * i] = nn_tensor(g, name, dt, rank, dims[i], xs[i], 0);
    sc[1 + i] = pin[i].s;
    snprintf(name, sizeof name, "X%d_scale", i);
    ins[3 + 3 * i] = nn_tensor(g, name, QINFER_DTYPE_FLOAT, 0, NULL, &sc[1 + i], i != 1);
    snprintf(name, sizeof name, "X%d_zp", i);
    ins[4 + 3 * i] = qh_zp_tensor(g, name, dt, 0, NULL, &pin[i].z, 1, i != 1, &zs[1 + i]);
    yd[axis] += dims[i][axis];
  }
  for (int d = 0; d < rank; d++) total *= yd[d];
  const int out[1] = {nn_output(g, "Y")};
  const int node = qi_graph_add_node(g, "QLinearConcat", "com.microsoft", ins, 2 + 3 * count, out, 1);
  nn_attr_int(g, node, "axis", axis - (axis == rank - 1 ? rank : 0)); /* the last axis given as -1 */
  uint8_t *want = malloc((size_t)total + 1);
  int64_t inner = 1, outer = 1;
  for (int d = axis + 1; d < rank; d++) inner *= yd[d];
  for (int d = 0; d < axis; d++) outer *= yd[d];
  int64_t w = 0;
  for (int64_t o = 0; o < outer; o++)
    for (int i = 0; i < count; i++)
      for (int64_t j = 0; j < dims[i][axis] * inner; j++, w++) {
        const uint8_t xb = xs[i][o * dims[i][axis] * inner + j];
        if (pin[i].s == py.s && pin[i].z == py.z) {
          want[w] = xb;
        } else {
          /* dequantize (a multiply), quantize (a division), as ONNX Runtime */
          const float real = (float)(qh_value(xb, s8) - pin[i].z) * pin[i].s;
          const float v = real / py.s;
          want[w] = (uint8_t)qh_clamp(rint((double)v) + py.z, qmin, qmax);
        }
      }
  for (size_t k = 0; k < sizeof qh_isas / sizeof qh_isas[0]; k++) {
    if (!qi_isa_available(qh_isas[k])) continue;
    for (int t = 0; t < 3; t++) {
      qi_error err = {0};
      const qi_status st = qh_run(g, node, qh_isas[k], qh_pools[t], &err);
      CHECK_MSG(st == QINFER_OK, "QLinearConcat: %s", err.msg);
      if (st != QINFER_OK) continue;
      const uint8_t *y = qi_node_out(g, &g->nodes[node], 0)->data;
      int bad = 0;
      for (int64_t i = 0; i < total; i++)
        if (y[i] != want[i] && bad++ < 3)
          CHECK_MSG(0, "QLinearConcat %s axis %d %s threads %d: y[%lld] = %d, oracle %d", s8 ? "int8" : "uint8", axis,
                    qi_isa_name(qh_isas[k]), qh_pool_threads[t], (long long)i, qh_value(y[i], s8),
                    qh_value(want[i], s8));
      CHECK(bad == 0);
    }
  }
  qi_graph_free(g);
  for (int i = 0; i < count; i++) free(xs[i]);
  free(want);
}

static void test_concat(void) {
  for (int s8 = 0; s8 < 2; s8++) {
    const int32_t o = s8 ? -128 : 0;
    const int64_t d1[3][3] = {{2, 3, 5}, {2, 4, 5}, {2, 1, 5}};
    const qp p1[3] = {{0.05f, o + 3}, {0.1f, o + 100}, {0.0219f, o}};
    run_concat(s8, 1, 3, d1, 3, p1, (qp){0.05f, o + 3});
    const int64_t d2[2][3] = {{3, 7, 1}, {3, 9, 1}};
    const qp p2[2] = {{0.0137f, o + 10}, {0.0311f, o + 200}};
    run_concat(s8, 1, 2, d2, 2, p2, (qp){0.0229f, o + 1});
    const int64_t d3[3][3] = {{20, 64, 33}, {30, 64, 33}, {1, 64, 33}};
    const qp p3[3] = {{0.2f, o}, {0.2f, o}, {0.0533f, o + 30}};
    run_concat(s8, 0, 3, d3, 3, p3, (qp){0.2f, o});
    const int64_t d4[2][3] = {{4, 64, 300}, {4, 64, 100}};
    const qp p4[2] = {{0.0173f, o + 7}, {0.0291f, o + 250}};
    run_concat(s8, 2, 3, d4, 2, p4, (qp){0.0337f, o + 2});
  }
}

/* ---- lookup tables ---- */

typedef struct lut_case {
  const char *op, *function;
  qi_vunary_op kernel;
  float alpha, beta, min, max;
  const char *approximate;
} lut_case;

static const lut_case lut_cases[] = {
    {"QLinearSigmoid", NULL, QI_VUNARY_SIGMOID, 0, 0, 0, 0, NULL},
    {"QLinearLeakyRelu", NULL, QI_VUNARY_LEAKY_RELU, 0.01f, 0, 0, 0, NULL}, /* default alpha */
    {"QLinearLeakyRelu", NULL, QI_VUNARY_LEAKY_RELU, 0.1f, 0, 0, 0, NULL},
    {"QLinearLookup", "Tanh", QI_VUNARY_TANH, 0, 0, 0, 0, NULL},
    {"QLinearLookup", "HardSwish", QI_VUNARY_HARD_SWISH, 0, 0, 0, 0, NULL},
    {"QLinearLookup", "HardSigmoid", QI_VUNARY_HARD_SIGMOID, 0.25f, 0.4f, 0, 0, NULL},
    {"QLinearLookup", "Gelu", QI_VUNARY_GELU, 0, 0, 0, 0, "none"},
    {"QLinearLookup", "Gelu", QI_VUNARY_GELU_TANH, 0, 0, 0, 0, "tanh"},
    {"QLinearLookup", "Elu", QI_VUNARY_ELU, 0.7f, 0, 0, 0, NULL},
    {"QLinearLookup", "Softplus", QI_VUNARY_SOFTPLUS, 0, 0, 0, 0, NULL},
    {"QLinearLookup", "Relu", QI_VUNARY_RELU, 0, 0, 0, 0, NULL},
    {"QLinearLookup", "Clip", QI_VUNARY_CLAMP, 0, 0, -0.5f, 2.0f, NULL},
    {"QLinearLookup", "Sigmoid", QI_VUNARY_SIGMOID, 0, 0, 0, 0, NULL},
};

static void run_lookup(const lut_case *lc, int s8, int constant) {
  const int dt = qh_dtype(s8);
  const int32_t qmin = qh_qmin(s8), qmax = qh_qmax(s8);
  const int64_t dims[2] = {5, 20011};
  const int64_t n = dims[0] * dims[1];
  uint8_t *x = malloc((size_t)n);
  for (int64_t i = 0; i < n; i++) x[i] = (uint8_t)(i < 256 ? i : qh_next());
  const qp px = {qh_frand(0.01f, 0.05f), qmin + (int32_t)(qh_next() % 256)};
  const qp py = {qh_frand(0.004f, 0.03f), qmin + (int32_t)(qh_next() % 256)};
  qi_f32_unary_params fp = {.alpha = lc->alpha, .beta = lc->beta, .min = lc->min, .max = lc->max};
  const qi_f32_vunary_ukernel_fn f = qi_f32_vunary_config_get(lc->kernel, QI_ISA_SCALAR)->ukernel;
  uint8_t table[256];
  for (int b = 0; b < 256; b++) {
    const float v = (float)(qh_value((uint8_t)b, s8) - px.z) * px.s;
    float fy;
    f(1, &v, &fy, &fp);
    table[b] = (uint8_t)qh_quantize(fy, py.s, py.z, qmin, qmax);
  }
  qi_graph *g = qi_graph_new();
  float sc[2] = {px.s, py.s};
  uint8_t zs[2];
  const int ins[5] = {nn_tensor(g, "X", dt, 2, dims, x, 0), nn_tensor(g, "X_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[0], constant),
                      qh_zp_tensor(g, "X_zp", dt, 0, NULL, &px.z, 1, constant, &zs[0]),
                      nn_tensor(g, "Y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[1], constant),
                      qh_zp_tensor(g, "Y_zp", dt, 0, NULL, &py.z, 1, constant, &zs[1])};
  const int out[1] = {nn_output(g, "Y")};
  const int node = qi_graph_add_node(g, lc->op, lc->function ? "ai.qinfer" : "com.microsoft", ins, 5, out, 1);
  if (lc->function) nn_attr_string(g, node, "function", lc->function);
  if (lc->approximate) nn_attr_string(g, node, "approximate", lc->approximate);
  if (lc->alpha != 0.0f && !(lc->kernel == QI_VUNARY_LEAKY_RELU && lc->alpha == 0.01f))
    nn_attr_float(g, node, "alpha", lc->alpha);
  if (lc->beta != 0.0f) nn_attr_float(g, node, "beta", lc->beta);
  if (lc->kernel == QI_VUNARY_CLAMP) nn_attr_float(g, node, "min", lc->min), nn_attr_float(g, node, "max", lc->max);
  for (size_t k = 0; k < sizeof qh_isas / sizeof qh_isas[0]; k++) {
    if (!qi_isa_available(qh_isas[k])) continue;
    for (int t = 0; t < 3; t++) {
      qi_error err = {0};
      const qi_status st = qh_run(g, node, qh_isas[k], qh_pools[t], &err);
      CHECK_MSG(st == QINFER_OK, "%s %s: %s", lc->op, lc->function ? lc->function : "", err.msg);
      if (st != QINFER_OK) continue;
      const uint8_t *y = qi_node_out(g, &g->nodes[node], 0)->data;
      int bad = 0;
      for (int64_t i = 0; i < n; i++)
        if (y[i] != table[x[i]] && bad++ < 3)
          CHECK_MSG(0, "%s %s %s %s threads %d const %d: x[%lld] = %d -> %d, oracle %d", lc->op,
                    lc->function ? lc->function : "", s8 ? "int8" : "uint8", qi_isa_name(qh_isas[k]),
                    qh_pool_threads[t], constant, (long long)i, qh_value(x[i], s8), qh_value(y[i], s8),
                    qh_value(table[x[i]], s8));
      CHECK(bad == 0);
    }
  }
  qi_graph_free(g);
  free(x);
}

static void test_lookup(void) {
  for (size_t i = 0; i < sizeof lut_cases / sizeof lut_cases[0]; i++)
    for (int s8 = 0; s8 < 2; s8++) run_lookup(&lut_cases[i], s8, i % 4 != 3);
}

/* ---- errors ---- */

static qi_status binary_error(const char *op, float sa, int a_zp_dtype, int64_t a_scale_len, int constant,
                              int act, qi_error *err) {
  const int64_t d[2] = {2, 3}, sd[1] = {a_scale_len};
  uint8_t a[6] = {0}, b[6] = {0}, zs[4];
  float sc[3] = {sa, 0.1f, 0.2f}, many[3] = {0.1f, 0.1f, 0.1f};
  int32_t z0 = 0;
  qi_graph *g = qi_graph_new();
  int ins[8] = {nn_tensor(g, "A", QINFER_DTYPE_UINT8, 2, d, a, 0),
                a_scale_len ? nn_tensor(g, "A_scale", QINFER_DTYPE_FLOAT, 1, sd, many, constant)
                            : nn_tensor(g, "A_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[0], constant),
                qh_zp_tensor(g, "A_zp", a_zp_dtype, 0, NULL, &z0, 1, constant, &zs[0]),
                nn_tensor(g, "B", QINFER_DTYPE_UINT8, 2, d, b, 0),
                nn_tensor(g, "B_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[1], constant), -1,
                nn_tensor(g, "C_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[2], constant), -1};
  const int out[1] = {nn_output(g, "C")};
  const int node = qi_graph_add_node(g, op, "com.microsoft", ins, 7, out, 1);
  nn_name(g, node, "qnode");
  th_set_act(g, node, act, 0.0f, 0.0f, 0.1f);
  const qi_status st = nn_run(g, node, NULL, err);
  qi_graph_free(g);
  return st;
}

static void test_errors(void) {
  for (int constant = 1; constant >= 0; constant--) {
    qi_error err = {0};
    qi_status st = binary_error("QLinearAdd", 0.0f, QINFER_DTYPE_UINT8, 0, constant, 0, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "'A_scale'[0] is 0", "QLinearAdd zero scale");
    st = binary_error("QLinearMul", -1.0f, QINFER_DTYPE_UINT8, 0, constant, 0, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "'A_scale'[0] is -1", "QLinearMul negative scale");
    st = binary_error("QLinearAdd", NAN, QINFER_DTYPE_UINT8, 0, constant, 0, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "'A_scale'[0] is nan", "QLinearAdd NaN scale");
    st = binary_error("QLinearMul", INFINITY, QINFER_DTYPE_UINT8, 0, constant, 0, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "'A_scale'[0] is inf", "QLinearMul inf scale");
    st = binary_error("QLinearMul", 1e-45f, QINFER_DTYPE_UINT8, 0, constant, 0, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "is not a finite positive float", "QLinearMul scale underflow");
    st = binary_error("QLinearAdd", 0.1f, QINFER_DTYPE_INT8, 0, constant, 0, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "zero point 'A_zp' has type int8; uint8 expected",
                  "QLinearAdd zero point type");
    st = binary_error("QLinearAdd", 0.1f, QINFER_DTYPE_UINT8, 3, constant, 0, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "scale 'A_scale' must hold one value", "QLinearAdd per-channel");
    CHECK_MSG(strstr(err.msg, "qnode") != NULL, "message '%s' names no node", err.msg);
    st = binary_error("QLinearAdd", 0.1f, QINFER_DTYPE_UINT8, 0, constant, QI_ACT_LEAKY, &err);
    QH_EXPECT_ERR(st, err, QINFER_ERR_UNSUPPORTED, "only a fused clamp", "QLinearAdd fused LeakyRelu");
  }
  /* lookup: unknown function, bad scale */
  const int64_t d[1] = {4};
  uint8_t x[4] = {0}, zs[2];
  float sc[2] = {0.1f, -0.2f};
  int32_t z0 = 0;
  for (int k = 0; k < 2; k++) {
    qi_graph *g = qi_graph_new();
    const int ins[5] = {nn_tensor(g, "X", QINFER_DTYPE_UINT8, 1, d, x, 0), nn_tensor(g, "X_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[0], 1),
                        qh_zp_tensor(g, "X_zp", QINFER_DTYPE_UINT8, 0, NULL, &z0, 1, 1, &zs[0]),
                        nn_tensor(g, "Y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &sc[1], 1),
                        qh_zp_tensor(g, "Y_zp", QINFER_DTYPE_UINT8, 0, NULL, &z0, 1, 1, &zs[1])};
    const int out[1] = {nn_output(g, "Y")};
    const int node = qi_graph_add_node(g, k ? "QLinearSigmoid" : "QLinearLookup", k ? "com.microsoft" : "ai.qinfer", ins, 5, out, 1);
    if (!k) nn_attr_string(g, node, "function", "Frobnicate");
    qi_error err = {0};
    const qi_status st = nn_run(g, node, NULL, &err);
    if (k) QH_EXPECT_ERR(st, err, QINFER_ERR_QUANT_PARAMS, "'Y_scale'[0] is -0.2", "QLinearSigmoid negative scale");
    else QH_EXPECT_ERR(st, err, QINFER_ERR_UNSUPPORTED, "function 'Frobnicate' is not supported", "QLinearLookup function");
    qi_graph_free(g);
  }
  /* through the public API: a zero C_scale in a QLinearAdd model */
  const int64_t xd[2] = {2, 3};
  const float zero = 0.0f, s1 = 0.5f;
  const uint8_t zp = 3, bdata[6] = {1, 2, 3, 4, 5, 6};
  const qh_init_tensor inits[4] = {{"sa", QINFER_DTYPE_FLOAT, 0, {0}, &s1, 4}, {"za", QINFER_DTYPE_UINT8, 0, {0}, &zp, 1},
                                   {"b", QINFER_DTYPE_UINT8, 2, {2, 3}, bdata, 6}, {"sc", QINFER_DTYPE_FLOAT, 0, {0}, &zero, 4}};
  const char *in[] = {"x", "sa", "za", "b", "sa", "za", "sc", "za"};
  pbw m = {0};
  qh_model(&m, "QLinearAdd", "com.microsoft", 13, QINFER_DTYPE_UINT8, 2, xd, inits, 4, in, 8, QINFER_DTYPE_UINT8, NULL);
  char msg[512];
  const qinfer_status st = qh_session(&m, msg, sizeof msg);
  CHECK_MSG(st == QINFER_ERR_QUANT_PARAMS && strstr(msg, "scale 'sc'[0] is 0") && strstr(msg, "node0"),
            "API QLinearAdd zero scale: status %d: '%s'", (int)st, msg);
  pbw_free(&m);
}

int main(void) {
  qh_init();
  test_binary();
  test_concat();
  test_lookup();
  test_errors();
  qh_done();
  return TEST_SUMMARY();
}
