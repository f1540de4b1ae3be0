/* QLinearSoftmax, QLinearWhere, QLinearReduceMean and QAttention (com.microsoft) from inside: every refusal and
 * parameter check gives its status and a message naming what is wrong (wrong scale shapes, zero points that are
 * not one value, attributes and inputs qinfer does not support), and results are the same bytes at 1, 2 and 3
 * threads. Their values are checked against ONNX Runtime by tests/quant_ops/cases_transformer.py. */
#include <stdlib.h>

#include "quant_elem_harness.h"

TEST_MAIN_GLOBALS;

/* One input of a test node: name NULL for an absent optional input. */
typedef struct tin {
  const char *name;
  int dtype, rank;
  int64_t dims[4];
  const void *data;
  int constant;
} tin;

static uint8_t bytes[1 << 17];
static const float scale_ok = 0.05f, scales3[3] = {0.1f, 0.2f, 0.3f}, zero_f = 0.0f, one_256 = 1.0f / 256;
static const uint8_t zp_u8 = 7, zps2_u8[2] = {1, 2};
static const int8_t zp_s8 = -3;
static const float f32buf[96] = {0};
static const int32_t mask4d[16] = {0}, mask_end[2] = {3, 4};
static const bool cond[64] = {true, false, true};

static int build(qi_graph *g, const char *op, const tin *ins, int n_in, int n_out) {
  int slots[12], outs[2];
  for (int i = 0; i < n_in; i++)
    slots[i] = ins[i].name ? nn_tensor(g, ins[i].name, ins[i].dtype, ins[i].rank, ins[i].dims, ins[i].data,
                                       ins[i].constant)
                           : -1;
  outs[0] = nn_output(g, "Y");
  if (n_out > 1) outs[1] = nn_output(g, "present");
  const int node = qi_graph_add_node(g, op, "com.microsoft", slots, n_in, outs, n_out);
  nn_name(g, node, "qnode");
  g->nodes[node].opset = 1;
  return node;
}

#define T_U8(nm, r, ...) {nm, QINFER_DTYPE_UINT8, r, {__VA_ARGS__}, bytes, 0}
#define T_S8(nm, r, ...) {nm, QINFER_DTYPE_INT8, r, {__VA_ARGS__}, bytes, 0}
#define T_SCALE(nm) {nm, QINFER_DTYPE_FLOAT, 0, {0}, &scale_ok, 1}
#define T_ZP(nm) {nm, QINFER_DTYPE_UINT8, 0, {0}, &zp_u8, 1}

/* ---- QLinearSoftmax: X, X_scale, x_zero_point, y_scale, y_zero_point ---- */

static qi_status softmax_case(int variant, qi_error *err) {
  tin in[5] = {T_U8("X", 3, 2, 3, 4), T_SCALE("X_scale"), T_ZP("x_zp"), {"y_scale", QINFER_DTYPE_FLOAT, 0, {0}, &one_256, 1},
               T_ZP("y_zp")};
  switch (variant) {
    case 1: in[1] = (tin){"X_scale", QINFER_DTYPE_FLOAT, 1, {3}, scales3, 1}; break;      /* per-channel scale */
    case 2: in[2] = (tin){"x_zp", QINFER_DTYPE_UINT8, 1, {2}, zps2_u8, 1}; break;         /* two zero points */
    case 3: in[4] = (tin){"y_zp", QINFER_DTYPE_INT8, 0, {0}, &zp_s8, 1}; break;           /* zero point type */
    case 4: in[0] = (tin){"X", QINFER_DTYPE_FLOAT, 2, {2, 3}, f32buf, 0}; break;          /* float input */
    case 5: in[3] = (tin){"y_scale", QINFER_DTYPE_FLOAT, 0, {0}, &zero_f, 0}; break;      /* zero scale at run */
    default: break;
  }
  qi_graph *g = qi_graph_new();
  const int node = build(g, "QLinearSoftmax", in, 5, 1);
  if (variant != 6) nn_attr_int(g, node, "opset", 13);
  if (variant == 7) nn_attr_int(g, node, "axis", 3);
  const qi_status st = nn_run(g, node, NULL, err);
  qi_graph_free(g);
  return st;
}

static void test_softmax_errors(void) {
  static const struct {
    int variant;
    qi_status status;
    const char *needle;
  } want[] = {
      {1, QINFER_ERR_QUANT_PARAMS, "scale 'X_scale' must hold one value"},
      {2, QINFER_ERR_QUANT_PARAMS, "zero point 'x_zp' has 2 values but scale 'X_scale' has 1"},
      {3, QINFER_ERR_QUANT_PARAMS, "zero point 'y_zp' has type int8; uint8 expected"},
      {4, QINFER_ERR_UNSUPPORTED, "input 'X' has type float; uint8 or int8 expected"},
      {5, QINFER_ERR_QUANT_PARAMS, "'y_scale'[0] is 0"},
      {6, QINFER_ERR_INVALID_MODEL, "attribute opset"},
      {7, QINFER_ERR_INVALID_MODEL, "axis 3 is out of range for rank 3"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    qi_error err = {0};
    const qi_status st = softmax_case(want[i].variant, &err);
    QH_EXPECT_ERR(st, err, want[i].status, want[i].needle, "QLinearSoftmax");
    CHECK_MSG(strstr(err.msg, "qnode") != NULL, "message '%s' names no node", err.msg);
  }
  qi_error err = {0};
  CHECK_MSG(softmax_case(0, &err) == QINFER_OK, "QLinearSoftmax control: %s", err.msg);
  /* a subnormal y_scale: floor(1 / y_scale) is infinite; every output saturates, nothing undefined (UBSan) */
  static const float tiny = 1e-40f;
  const tin in[5] = {T_U8("X", 2, 3, 40), {"X_scale", QINFER_DTYPE_FLOAT, 0, {0}, &scale_ok, 1}, T_ZP("x_zp"),
                     {"y_scale", QINFER_DTYPE_FLOAT, 0, {0}, &tiny, 1}, T_ZP("y_zp")};
  qi_graph *g = qi_graph_new();
  const int node = build(g, "QLinearSoftmax", in, 5, 1);
  nn_attr_int(g, node, "opset", 13);
  const qi_status st = nn_run(g, node, NULL, &err);
  CHECK_MSG(st == QINFER_OK, "QLinearSoftmax subnormal y_scale: %s", err.msg);
  if (st == QINFER_OK) {
    const uint8_t *y = qi_node_out(g, &g->nodes[node], 0)->data;
    int bad = 0;
    for (int i = 0; i < 120; i++) bad += y[i] != 255;
    CHECK_MSG(bad == 0, "QLinearSoftmax subnormal y_scale: %d of 120 outputs are not 255", bad);
  }
  qi_graph_free(g);
}

/* ---- QLinearWhere: condition, X, x_scale, x_zp, Y, y_scale, y_zp, z_scale, z_zp ---- */

static qi_status where_case(int variant, qi_error *err) {
  tin in[9] = {{"cond", QINFER_DTYPE_BOOL, 2, {4, 1}, cond, 0}, T_U8("X", 2, 1, 5), T_SCALE("x_scale"), T_ZP("x_zp"),
               T_U8("Yin", 2, 4, 5), T_SCALE("y_scale"), T_ZP("y_zp"), T_SCALE("z_scale"), T_ZP("z_zp")};
  int n_in = 9;
  switch (variant) {
    case 1: in[0].dtype = QINFER_DTYPE_UINT8; break;                                     /* condition not bool */
    case 2: in[4] = (tin)T_S8("Yin", 2, 4, 5); break;                                    /* X, Y types differ */
    case 3: in[4] = (tin)T_U8("Yin", 2, 3, 5); break;                                    /* no broadcast */
    case 4: in[7] = (tin){"z_scale", QINFER_DTYPE_FLOAT, 1, {3}, scales3, 1}; break;     /* per-channel scale */
    case 5: n_in = 8; break;                                                             /* z_zp slot missing */
    case 6: in[3] = (tin){"x_zp", QINFER_DTYPE_UINT8, 1, {2}, zps2_u8, 1}; break;        /* two zero points */
    default: break;
  }
  qi_graph *g = qi_graph_new();
  const int node = build(g, "QLinearWhere", in, n_in, 1);
  const qi_status st = nn_run(g, node, NULL, err);
  qi_graph_free(g);
  return st;
}

static void test_where_errors(void) {
  static const struct {
    int variant;
    qi_status status;
    const char *needle;
  } want[] = {
      {1, QINFER_ERR_INVALID_MODEL, "condition 'cond' has type uint8; bool expected"},
      {2, QINFER_ERR_UNSUPPORTED, "X and Y have types uint8 and int8"},
      {3, QINFER_ERR_SHAPE, "broadcast"},
      {4, QINFER_ERR_QUANT_PARAMS, "scale 'z_scale' must hold one value"},
      {5, QINFER_ERR_INVALID_MODEL, "expected 9 inputs"},
      {6, QINFER_ERR_QUANT_PARAMS, "has 2 values but scale 'x_scale' has 1"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    qi_error err = {0};
    const qi_status st = where_case(want[i].variant, &err);
    QH_EXPECT_ERR(st, err, want[i].status, want[i].needle, "QLinearWhere");
  }
  qi_error err = {0};
  CHECK_MSG(where_case(0, &err) == QINFER_OK, "QLinearWhere control: %s", err.msg);
}

/* ---- QLinearReduceMean: data, data_scale, data_zp, reduced_scale, reduced_zp; axes, keepdims ---- */

static qi_status reduce_case(int variant, qi_error *err) {
  tin in[5] = {T_S8("data", 3, 2, 3, 4), T_SCALE("data_scale"), {"dzp", QINFER_DTYPE_INT8, 0, {0}, &zp_s8, 1},
               T_SCALE("reduced_scale"), {"rzp", QINFER_DTYPE_INT8, 0, {0}, &zp_s8, 1}};
  if (variant == 5) in[3] = (tin){"reduced_scale", QINFER_DTYPE_FLOAT, 1, {3}, scales3, 1};
  if (variant == 6) in[2] = (tin){"dzp", QINFER_DTYPE_UINT8, 0, {0}, &zp_u8, 1};
  qi_graph *g = qi_graph_new();
  const int node = build(g, "QLinearReduceMean", in, 5, 1);
  static const int64_t axes_ok[1] = {-1}, axes_twice[2] = {1, -2}, axes_out[1] = {3};
  if (variant != 1) nn_attr_ints(g, node, "axes", variant == 2 ? 2 : 1, variant == 2 ? axes_twice : variant == 3 ? axes_out : axes_ok);
  nn_attr_int(g, node, "keepdims", variant == 4 ? 2 : 1);
  const qi_status st = nn_run(g, node, NULL, err);
  qi_graph_free(g);
  return st;
}

static void test_reduce_mean_errors(void) {
  static const struct {
    int variant;
    qi_status status;
    const char *needle;
  } want[] = {
      {1, QINFER_ERR_INVALID_MODEL, "attribute axes is required"},
      {2, QINFER_ERR_INVALID_MODEL, "axis 1 is listed twice"},
      {3, QINFER_ERR_INVALID_MODEL, "axis 3 is out of range for rank 3"},
      {4, QINFER_ERR_INVALID_MODEL, "keepdims must be 0 or 1"},
      {5, QINFER_ERR_QUANT_PARAMS, "scale 'reduced_scale' must hold one value"},
      {6, QINFER_ERR_QUANT_PARAMS, "zero point 'dzp' has type uint8; int8 expected"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    qi_error err = {0};
    const qi_status st = reduce_case(want[i].variant, &err);
    QH_EXPECT_ERR(st, err, want[i].status, want[i].needle, "QLinearReduceMean");
  }
  qi_error err = {0};
  CHECK_MSG(reduce_case(0, &err) == QINFER_OK, "QLinearReduceMean control: %s", err.msg);
}

/* ---- QAttention: input [2,4,8] uint8, weight [8,24] int8, bias [24], scales, mask, zero points, past ---- */

static qi_status attention_case(int variant, qi_error *err) {
  tin in[9] = {T_U8("input", 3, 2, 4, 8), {"weight", QINFER_DTYPE_INT8, 2, {8, 24}, bytes, 1},
               {"bias", QINFER_DTYPE_FLOAT, 1, {24}, f32buf, 1}, T_SCALE("input_scale"), T_SCALE("weight_scale"),
               {NULL, 0, 0, {0}, NULL, 0}, T_ZP("input_zp"), {"weight_zp", QINFER_DTYPE_INT8, 0, {0}, &zp_s8, 1},
               {NULL, 0, 0, {0}, NULL, 0}};
  int n_in = 8, n_out = 1;
  switch (variant) {
    case 1: in[8] = (tin){"past", QINFER_DTYPE_FLOAT, 1, {96}, f32buf, 0}, n_in = 9; break;
    case 2: n_out = 2; break;
    case 3: in[5] = (tin){"mask", QINFER_DTYPE_INT32, 4, {2, 1, 4, 4}, mask4d, 0}; break;
    case 4: /* neither 1 nor 3H scales */
      in[4] = (tin){"weight_scale", QINFER_DTYPE_FLOAT, 1, {3}, scales3, 1}, in[7] = (tin){NULL, 0, 0, {0}, NULL, 0};
      break;
    case 5: in[7] = (tin){"weight_zp", QINFER_DTYPE_INT8, 1, {2}, zps2_u8, 1}; break;      /* 2 zps, 1 scale */
    case 6: in[0] = (tin)T_S8("input", 3, 2, 4, 8); break;
    case 7: in[1].dims[1] = 21; break; /* hidden 7: not a multiple of 2 heads */
    case 8: in[7] = (tin){"weight_zp", QINFER_DTYPE_UINT8, 0, {0}, &zp_u8, 1}; break;
    case 9: in[5] = (tin){"mask", QINFER_DTYPE_INT32, 1, {2}, mask_end, 0}; break;        /* control with a mask */
    case 14: /* input hidden 33026: int32 sums could overflow */
      in[0].dims[2] = 33026, in[1].dims[0] = 33026, in[1].dims[1] = 3;
      in[2].dims[0] = 3, in[2].data = scales3;
      break;
    case 15: in[1].constant = 0; break; /* weights packed once at prepare must be constants */
    default: break;
  }
  qi_graph *g = qi_graph_new();
  const int node = build(g, "QAttention", in, n_in, n_out);
  if (variant != 10) nn_attr_int(g, node, "num_heads", variant == 14 ? 1 : 2);
  if (variant == 11) nn_attr_int(g, node, "do_rotary", 1);
  if (variant == 12) nn_attr_ints(g, node, "qkv_hidden_sizes", 3, (const int64_t[3]){8, 8, 8});
  if (variant == 13) nn_attr_int(g, node, "unidirectional", 2);
  const qi_status st = nn_run(g, node, NULL, err);
  qi_graph_free(g);
  return st;
}

static void test_attention_errors(void) {
  static const struct {
    int variant;
    qi_status status;
    const char *needle;
  } want[] = {
      {1, QINFER_ERR_UNSUPPORTED, "the past input (incremental decoding) is not supported"},
      {2, QINFER_ERR_UNSUPPORTED, "the present output is not supported"},
      {3, QINFER_ERR_UNSUPPORTED, "mask_index 'mask' of rank 4 is not supported"},
      {4, QINFER_ERR_QUANT_PARAMS, "scale 'weight_scale' has 3 values but axis 1 of 'weight' has length 24"},
      {5, QINFER_ERR_QUANT_PARAMS, "weight_zero_point 'weight_zp' has 2 values but weight_scale"},
      {6, QINFER_ERR_UNSUPPORTED, "input 'input' has type int8; uint8 expected"},
      {7, QINFER_ERR_SHAPE, "hidden a multiple of num_heads 2"},
      {8, QINFER_ERR_QUANT_PARAMS, "weight_zero_point 'weight_zp' has type uint8; int8 expected"},
      {10, QINFER_ERR_INVALID_MODEL, "attribute num_heads >= 1 is required"},
      {11, QINFER_ERR_UNSUPPORTED, "do_rotary"},
      {12, QINFER_ERR_UNSUPPORTED, "qkv_hidden_sizes is not supported"},
      {13, QINFER_ERR_INVALID_MODEL, "unidirectional must be 0 or 1"},
      {14, QINFER_ERR_UNSUPPORTED, "input hidden size 33026 is over 33025"},
      {15, QINFER_ERR_UNSUPPORTED, "weight 'weight' must be a constant"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    qi_error err = {0};
    const qi_status st = attention_case(want[i].variant, &err);
    QH_EXPECT_ERR(st, err, want[i].status, want[i].needle, "QAttention");
  }
  for (int v = 0; v <= 9; v += 9) {
    qi_error err = {0};
    CHECK_MSG(attention_case(v, &err) == QINFER_OK, "QAttention control %d: %s", v, err.msg);
  }
}

/* ---- the same bytes at 1, 2 and 3 threads and on every ISA path, on shapes that split into several chunks ---- */

static void check_threads(const char *what, qi_graph *g, int node) {
  uint8_t *first = NULL;
  size_t nbytes = 0;
  for (int run = 0; run < 6; run++) {
    const int t = run % 3;
    const qi_isa isa = run < 3 ? QI_ISA_SCALAR : QI_ISA_AVX2;
    if (!qi_isa_available(isa)) continue;
    qi_error err = {0};
    const qi_status st = qh_run(g, node, isa, qh_pools[t], &err);
    CHECK_MSG(st == QINFER_OK, "%s at %d threads on %s: %s", what, qh_pool_threads[t], qi_isa_name(isa), err.msg);
    if (st != QINFER_OK) break;
    const qi_tensor *y = qi_node_out(g, &g->nodes[node], 0);
    if (!first) {
      nbytes = (size_t)qi_tensor_numel(y) * qi_dtype_size(y->dtype);
      first = malloc(nbytes);
      memcpy(first, y->data, nbytes);
      memset(y->data, 0xA5, nbytes); /* the next runs must write every byte again */
    } else {
      CHECK_MSG(memcmp(first, y->data, nbytes) == 0, "%s: %d threads on %s differ from 1 on scalar", what,
                qh_pool_threads[t], qi_isa_name(isa));
      memset(y->data, 0xA5, nbytes);
    }
  }
  free(first);
}

static void test_threads(void) {
  for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)qh_next();
  static const float ys = 0.031f;
  {
    const tin in[5] = {T_S8("X", 3, 8, 40, 200), T_SCALE("X_scale"), {"xz", QINFER_DTYPE_INT8, 0, {0}, &zp_s8, 1},
                       {"y_scale", QINFER_DTYPE_FLOAT, 0, {0}, &one_256, 1}, {"yz", QINFER_DTYPE_INT8, 0, {0}, &zp_s8, 1}};
    for (int axis = 1; axis <= 2; axis++) {
      qi_graph *g = qi_graph_new();
      const int node = build(g, "QLinearSoftmax", in, 5, 1);
      nn_attr_int(g, node, "opset", 13);
      nn_attr_int(g, node, "axis", axis);
      check_threads(axis == 1 ? "QLinearSoftmax axis 1" : "QLinearSoftmax axis 2", g, node);
      qi_graph_free(g);
    }
  }
  {
    static bool c[300];
    for (int i = 0; i < 300; i++) c[i] = (bytes[i] & 1) != 0;
    const tin in[9] = {{"cond", QINFER_DTYPE_BOOL, 2, {1, 300}, c, 0}, T_U8("X", 2, 200, 300), T_SCALE("x_scale"),
                       T_ZP("x_zp"), T_U8("Yin", 2, 200, 1), {"y_scale", QINFER_DTYPE_FLOAT, 0, {0}, &ys, 1},
                       T_ZP("y_zp"), T_SCALE("z_scale"), T_ZP("z_zp")};
    qi_graph *g = qi_graph_new();
    check_threads("QLinearWhere", g, build(g, "QLinearWhere", in, 9, 1));
    qi_graph_free(g);
  }
  {
    const tin in[5] = {T_U8("data", 3, 16, 64, 60), T_SCALE("data_scale"), T_ZP("dzp"),
                       {"reduced_scale", QINFER_DTYPE_FLOAT, 0, {0}, &ys, 1}, T_ZP("rzp")};
    /* adjacent axes with inner values (gavgpool_nwc), trailing (gavgpool), apart (the plain loop) */
    static const int64_t axes[3][2] = {{1, 0}, {-1, 0}, {0, 2}};
    static const int n_axes[3] = {2, 1, 2};
    static const char *what[3] = {"QLinearReduceMean axes 0,1", "QLinearReduceMean axis 2", "QLinearReduceMean axes 0,2"};
    for (int k = 0; k < 3; k++) {
      qi_graph *g = qi_graph_new();
      const int node = build(g, "QLinearReduceMean", in, 5, 1);
      nn_attr_ints(g, node, "axes", n_axes[k], axes[k]);
      nn_attr_int(g, node, "keepdims", k == 1);
      check_threads(what[k], g, node);
      qi_graph_free(g);
    }
  }
  {
    static float bias[96];
    for (int i = 0; i < 96; i++) bias[i] = (float)(bytes[i] % 7) - 3.0f;
    const tin in[8] = {T_U8("input", 3, 2, 33, 32), {"weight", QINFER_DTYPE_INT8, 2, {32, 96}, bytes, 1},
                       {"bias", QINFER_DTYPE_FLOAT, 1, {96}, bias, 1}, T_SCALE("input_scale"),
                       {"weight_scale", QINFER_DTYPE_FLOAT, 0, {0}, &ys, 1}, {"mask", QINFER_DTYPE_INT32, 1, {2}, mask_end, 0},
                       T_ZP("input_zp"), {"weight_zp", QINFER_DTYPE_INT8, 0, {0}, &zp_s8, 1}};
    qi_graph *g = qi_graph_new();
    const int node = build(g, "QAttention", in, 8, 1);
    nn_attr_int(g, node, "num_heads", 4);
    check_threads("QAttention", g, node);
    qi_graph_free(g);
  }
}

int main(void) {
  qh_init();
  test_softmax_errors();
  test_where_errors();
  test_reduce_mean_errors();
  test_attention_errors();
  test_threads();
  qh_done();
  return TEST_SUMMARY();
}
