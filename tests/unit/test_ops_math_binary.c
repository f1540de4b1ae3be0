/* Broadcasting helper, elementwise binary / variadic / comparison / logic ops, Where and Expand against
 * double-precision oracles written plainly here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/broadcast.h"
#include "engine/threadpool.h"
#include "test_ops_math_harness.h"

TEST_MAIN_GLOBALS;

typedef struct shape {
  int rank;
  int64_t dims[QI_MAX_RANK];
} shape;

/* Output shape by numpy rules, written independently of engine/broadcast.c. */
static int oracle_shape(shape a, shape b, shape *out) {
  out->rank = a.rank > b.rank ? a.rank : b.rank;
  for (int d = 0; d < out->rank; d++) {
    const int ia = d - (out->rank - a.rank), ib = d - (out->rank - b.rank);
    const int64_t da = ia >= 0 ? a.dims[ia] : 1, db = ib >= 0 ? b.dims[ib] : 1;
    if (da != db && da != 1 && db != 1) return 0;
    out->dims[d] = da == 1 ? db : da;
  }
  return 1;
}

static const shape shape_pairs[][2] = {
    {{2, {3, 4}}, {2, {3, 4}}},                  /* same shape */
    {{4, {2, 3, 4, 5}}, {0, {0}}},               /* scalar b */
    {{0, {0}}, {3, {2, 3, 5}}},                  /* scalar a */
    {{4, {2, 3, 4, 5}}, {3, {3, 1, 1}}},         /* per-channel */
    {{3, {3, 1, 1}}, {4, {2, 3, 4, 5}}},         /* per-channel on the left */
    {{3, {2, 4, 7}}, {1, {7}}},                  /* row vector */
    {{3, {2, 1, 7}}, {3, {2, 5, 1}}},            /* both broadcast */
    {{2, {6, 1}}, {2, {1, 9}}},                  /* outer product */
    {{1, {1}}, {1, {1}}},                        /* one element */
    {{0, {0}}, {0, {0}}},                        /* rank 0 */
    {{2, {0, 3}}, {1, {3}}},                     /* empty */
    {{4, {1, 3, 1, 5}}, {4, {2, 1, 4, 1}}},      /* alternating */
    {{5, {2, 1, 3, 1, 2}}, {5, {1, 2, 3, 2, 1}}}, /* rank 5 */
};
#define N_PAIRS (sizeof shape_pairs / sizeof shape_pairs[0])

static void test_broadcast_helper(void) {
  shape out;
  qi_error err;
  const int64_t a[] = {2, 3, 4, 5}, b[] = {3, 1, 1}, c[] = {4, 4};
  int rank;
  int64_t dims[QI_MAX_RANK];
  qi_node add = {.name = "sum", .op_type = "Add", .domain = ""};
  CHECK(qi_broadcast_shape(&add, 4, a, 3, b, &rank, dims, &err) == QINFER_OK && rank == 4 && dims[1] == 3);
  CHECK(qi_broadcast_shape(&add, 4, a, 2, c, &rank, dims, &err) == QINFER_ERR_SHAPE);
  CHECK_MSG(strstr(err.msg, "node 'sum' (Add): shapes [2,3,4,5] and [4,4] cannot be broadcast"), "%s", err.msg);
  CHECK(qi_broadcast_shape(NULL, 4, a, 2, c, &rank, dims, &err) == QINFER_ERR_SHAPE);
  CHECK_MSG(!strncmp(err.msg, "shapes [2,3,4,5]", 16), "%s", err.msg);
  CHECK(qi_broadcastable_to(3, b, 4, a) && !qi_broadcastable_to(4, a, 3, b));
  /* Plans merge axes: per-channel becomes [N, C, H*W] with the operand repeated along runs. */
  qi_bcast bc;
  const int ranks[2] = {4, 3};
  const int64_t *ds[2] = {a, b};
  qi_bcast_init(&bc, 4, a, 2, ranks, ds);
  CHECK(bc.rank == 3 && bc.dims[0] == 2 && bc.dims[1] == 3 && bc.dims[2] == 20 && bc.inc[0] == 1 && bc.inc[1] == 0);
  CHECK(bc.strides[1][1] == 1 && bc.strides[0][1] == 20 && bc.strides[1][0] == 0);
  const int same_ranks[2] = {4, 4};
  const int64_t *same[2] = {a, a};
  qi_bcast_init(&bc, 4, a, 2, same_ranks, same);
  CHECK(bc.rank == 1 && bc.dims[0] == 120 && bc.inc[0] == 1 && bc.inc[1] == 1);
  /* Cursor walks every element once with the oracle's input offsets, from any starting point. */
  for (size_t p = 0; p < N_PAIRS; p++) {
    const shape sa = shape_pairs[p][0], sb = shape_pairs[p][1];
    if (!oracle_shape(sa, sb, &out)) continue;
    const int rk[2] = {sa.rank, sb.rank};
    const int64_t *dd[2] = {sa.dims, sb.dims};
    qi_bcast_init(&bc, out.rank, out.dims, 2, rk, dd);
    const int64_t total = h_numel(out.rank, out.dims);
    int bad = 0;
    for (int64_t start = 0; start < total; start += 7) {
      qi_bcast_cursor cur;
      int64_t len;
      for (qi_bcast_seek(&bc, &cur, start); cur.pos < total; qi_bcast_advance(&bc, &cur, len)) {
        len = qi_bcast_run_len(&bc, &cur, total);
        for (int64_t i = 0; i < len; i++) {
          const int64_t o = cur.pos + i;
          bad += cur.off[0] + i * bc.inc[0] != h_bcast_index(out.rank, out.dims, o, sa.rank, sa.dims);
          bad += cur.off[1] + i * bc.inc[1] != h_bcast_index(out.rank, out.dims, o, sb.rank, sb.dims);
        }
      }
    }
    CHECK_MSG(bad == 0, "pair %zu: %d wrong offsets", p, bad);
  }
}

typedef enum { ADD, SUB, MUL, DIV, POW, MAX, MIN, PRELU, MOD } bop;
static const char *const bop_names[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "PRelu", "Mod"};

static double oracle_binary(bop op, double a, double b) {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case POW: return pow(a, b);
    case MAX: return a > b ? a : b;
    case MIN: return a < b ? a : b;
    case PRELU: return a < 0 ? a * b : a;
    case MOD: return fmod(a, b);
  }
  return NAN;
}

static void test_float_binary(qi_threadpool *pool) {
  for (int op = ADD; op <= MOD; op++) {
    for (size_t p = 0; p < N_PAIRS; p++) {
      const shape sa = shape_pairs[p][0], sb = shape_pairs[p][1];
      shape out;
      oracle_shape(sa, sb, &out);
      const int64_t na = h_numel(sa.rank, sa.dims), nb = h_numel(sb.rank, sb.dims), no = h_numel(out.rank, out.dims);
      float a[256], b[256];
      const float lo = op == POW ? 0.1f : -2.0f;
      h_fill(a, (size_t)na, 11 + (uint32_t)p, lo, 2.0f);
      h_fill(b, (size_t)nb, 97 + (uint32_t)p, op == DIV || op == MOD ? 0.5f : -2.0f, 2.0f);
      qi_graph *g = qi_graph_new();
      const int ins[2] = {h_const(g, "a", QINFER_DTYPE_FLOAT, sa.rank, sa.dims, a),
                          h_const(g, "b", QINFER_DTYPE_FLOAT, sb.rank, sb.dims, b)};
      const int outs[1] = {h_out(g, "y")};
      const int node = h_node(g, bop_names[op], 13, ins, 2, outs, 1);
      if (op == MOD) h_attr_int(g, node, "fmod", 1);
      qi_error err;
      const qi_status st = h_run(g, node, pool, &err);
      CHECK_MSG(st == QINFER_OK, "%s pair %zu: %s", bop_names[op], p, err.msg);
      if (st == QINFER_OK) {
        const qi_tensor *y = h_output(g, node, 0);
        CHECK(y->dtype == QINFER_DTYPE_FLOAT && y->rank == out.rank &&
              memcmp(y->dims, out.dims, sizeof(int64_t) * (size_t)out.rank) == 0);
        int bad = 0;
        for (int64_t i = 0; i < no; i++) {
          const double want = oracle_binary(op, a[h_bcast_index(out.rank, out.dims, i, sa.rank, sa.dims)],
                                            b[h_bcast_index(out.rank, out.dims, i, sb.rank, sb.dims)]);
          bad += !h_close(((const float *)y->data)[i], want, 1e-6);
        }
        CHECK_MSG(bad == 0, "%s pair %zu: %d mismatches", bop_names[op], p, bad);
      }
      qi_graph_free(g);
    }
  }
}

/* Runs a two-input node on int64 (or int32) data and returns its status; y receives the output. */
static qi_status run_int_binary(const char *op, int dtype, int rank_a, const int64_t *da, const void *a, int rank_b,
                                const int64_t *db, const void *b, int fmod, void *y, size_t y_bytes, qi_error *err) {
  qi_graph *g = qi_graph_new();
  const int ins[2] = {h_const(g, "a", dtype, rank_a, da, a), h_const(g, "b", dtype, rank_b, db, b)};
  const int outs[1] = {h_out(g, "y")};
  const int node = h_node(g, op, 13, ins, 2, outs, 1);
  if (fmod >= 0) h_attr_int(g, node, "fmod", fmod);
  const qi_status st = h_run(g, node, NULL, err);
  if (st == QINFER_OK) memcpy(y, h_output(g, node, 0)->data, y_bytes);
  qi_graph_free(g);
  return st;
}

static void test_int_binary(void) {
  const int64_t d4[] = {4}, d1[] = {1};
  const int64_t a[] = {-7, 7, -8, 9}, b[] = {2, -2, 3, -4}, two[] = {2};
  int64_t y[4];
  qi_error err;
  CHECK(run_int_binary("Div", QINFER_DTYPE_INT64, 1, d4, a, 1, d4, b, -1, y, sizeof y, &err) == QINFER_OK);
  CHECK(y[0] == -3 && y[1] == -3 && y[2] == -2 && y[3] == -2); /* C truncation */
  CHECK(run_int_binary("Mod", QINFER_DTYPE_INT64, 1, d4, a, 1, d4, b, 0, y, sizeof y, &err) == QINFER_OK);
  CHECK(y[0] == 1 && y[1] == -1 && y[2] == 1 && y[3] == -3); /* sign of the divisor */
  CHECK(run_int_binary("Mod", QINFER_DTYPE_INT64, 1, d4, a, 1, d4, b, 1, y, sizeof y, &err) == QINFER_OK);
  CHECK(y[0] == -1 && y[1] == 1 && y[2] == -2 && y[3] == 1); /* sign of the dividend */
  CHECK(run_int_binary("Mul", QINFER_DTYPE_INT64, 1, d4, a, 1, d1, two, -1, y, sizeof y, &err) == QINFER_OK);
  CHECK(y[0] == -14 && y[1] == 14 && y[2] == -16 && y[3] == 18);
  CHECK(run_int_binary("Sub", QINFER_DTYPE_INT64, 1, d1, two, 1, d4, a, -1, y, sizeof y, &err) == QINFER_OK);
  CHECK(y[0] == 9 && y[1] == -5 && y[2] == 10 && y[3] == -7);
  CHECK(run_int_binary("Pow", QINFER_DTYPE_INT64, 1, d4, a, 1, d1, two, -1, y, sizeof y, &err) == QINFER_OK);
  CHECK(y[0] == 49 && y[1] == 49 && y[2] == 64 && y[3] == 81);
  CHECK(run_int_binary("Max", QINFER_DTYPE_INT64, 1, d4, a, 1, d4, b, -1, y, sizeof y, &err) == QINFER_OK);
  CHECK(y[0] == 2 && y[1] == 7 && y[2] == 3 && y[3] == 9);
  const int64_t zero[] = {0};
  CHECK(run_int_binary("Div", QINFER_DTYPE_INT64, 1, d4, a, 1, d1, zero, -1, y, sizeof y, &err) == QINFER_ERR_RUNTIME);
  const int64_t big[] = {INT64_MAX, INT64_MIN}, d2[] = {2}, ones[] = {1, -1};
  CHECK(run_int_binary("Add", QINFER_DTYPE_INT64, 1, d2, big, 1, d2, ones, -1, y, 2 * sizeof(int64_t), &err) == QINFER_OK);
  CHECK(y[0] == INT64_MIN && y[1] == INT64_MAX); /* wraps, no UB */

  /* int32 with broadcasting: [2,3] op [3] against an oracle. */
  const int64_t d23[] = {2, 3}, d3[] = {3};
  const int32_t ia[] = {5, -6, 7, 100, -101, 0}, ib[] = {3, -4, 5};
  int32_t iy[6];
  const char *ops[] = {"Add", "Sub", "Mul", "Div", "Min"};
  for (int k = 0; k < 5; k++) {
    CHECK(run_int_binary(ops[k], QINFER_DTYPE_INT32, 2, d23, ia, 1, d3, ib, -1, iy, sizeof iy, &err) == QINFER_OK);
    int bad = 0;
    for (int i = 0; i < 6; i++) {
      const int32_t x = ia[i], z = ib[i % 3];
      const int32_t want = k == 0 ? x + z : k == 1 ? x - z : k == 2 ? x * z : k == 3 ? x / z : (x < z ? x : z);
      bad += iy[i] != want;
    }
    CHECK_MSG(bad == 0, "int32 %s", ops[k]);
  }
}

static void test_mixed_pow(void) {
  const int64_t d3[] = {3}, d1[] = {1};
  const float base[] = {2.0f, -3.0f, 0.5f};
  const int64_t e[] = {3};
  qi_graph *g = qi_graph_new();
  int ins[2] = {h_const(g, "a", QINFER_DTYPE_FLOAT, 1, d3, base), h_const(g, "b", QINFER_DTYPE_INT64, 1, d1, e)};
  int outs[1] = {h_out(g, "y")};
  int node = h_node(g, "Pow", 15, ins, 2, outs, 1);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
  const float *y = h_output(g, node, 0)->data;
  CHECK(h_output(g, node, 0)->dtype == QINFER_DTYPE_FLOAT && y[0] == 8.0f && y[1] == -27.0f && y[2] == 0.125f);
  qi_graph_free(g);

  const int64_t ibase[] = {4, 9, 2};
  const float fe[] = {0.5f};
  g = qi_graph_new();
  ins[0] = h_const(g, "a", QINFER_DTYPE_INT64, 1, d3, ibase);
  ins[1] = h_const(g, "b", QINFER_DTYPE_FLOAT, 1, d1, fe);
  outs[0] = h_out(g, "y");
  node = h_node(g, "Pow", 15, ins, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
  const int64_t *iy = h_output(g, node, 0)->data;
  CHECK(h_output(g, node, 0)->dtype == QINFER_DTYPE_INT64 && iy[0] == 2 && iy[1] == 3 && iy[2] == 1);
  qi_graph_free(g);
}

static void test_variadic(void) {
  const char *ops[] = {"Max", "Min", "Sum", "Mean"};
  const int64_t da[] = {2, 3, 4}, db[] = {3, 1}, dc[] = {4};
  float a[24], b[3], c[4];
  h_fill(a, 24, 1, -1, 1);
  h_fill(b, 3, 2, -1, 1);
  h_fill(c, 4, 3, -1, 1);
  for (int k = 0; k < 4; k++) {
    for (int count = 1; count <= 3; count++) {
      qi_graph *g = qi_graph_new();
      /* inputs in the order b, c, a so the first operand is not of the output's shape */
      const int all[3] = {h_const(g, "b", QINFER_DTYPE_FLOAT, 2, db, b), h_const(g, "c", QINFER_DTYPE_FLOAT, 1, dc, c),
                          h_const(g, "a", QINFER_DTYPE_FLOAT, 3, da, a)};
      const int outs[1] = {h_out(g, "y")};
      const int node = h_node(g, ops[k], 13, all, count, outs, 1);
      qi_error err;
      const qi_status st = h_run(g, node, NULL, &err);
      CHECK_MSG(st == QINFER_OK, "%s x%d: %s", ops[k], count, err.msg);
      if (st != QINFER_OK) {
        qi_graph_free(g);
        continue;
      }
      const qi_tensor *y = h_output(g, node, 0);
      const int64_t want_numel = count == 1 ? 3 : count == 2 ? 12 : 24;
      CHECK(qi_tensor_numel(y) == want_numel);
      int bad = 0;
      for (int64_t i = 0; i < want_numel; i++) {
        const int out_rank = y->rank;
        const double v[3] = {b[h_bcast_index(out_rank, y->dims, i, 2, db)], c[h_bcast_index(out_rank, y->dims, i, 1, dc)],
                             a[h_bcast_index(out_rank, y->dims, i, 3, da)]};
        double r = v[0];
        for (int j = 1; j < count; j++) r = k == 0 ? fmax(r, v[j]) : k == 1 ? fmin(r, v[j]) : r + v[j];
        if (k == 3) r /= count;
        bad += !h_close(((const float *)y->data)[i], r, 1e-6);
      }
      CHECK_MSG(bad == 0, "%s x%d: %d mismatches", ops[k], count, bad);
      qi_graph_free(g);
    }
  }
}

static void test_compare_logic(void) {
  const char *ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
  const int64_t da[] = {2, 3}, db[] = {3};
  const float fa[] = {1, 2, 3, 3, 2, 1}, fb[] = {2, 2, 2};
  const int64_t ia[] = {1, 2, 3, 3, 2, 1}, ib[] = {2, 2, 2};
  for (int k = 0; k < 5; k++) {
    for (int t = 0; t < 2; t++) {
      qi_graph *g = qi_graph_new();
      const int dt = t ? QINFER_DTYPE_INT64 : QINFER_DTYPE_FLOAT;
      const int ins[2] = {h_const(g, "a", dt, 2, da, t ? (const void *)ia : fa),
                          h_const(g, "b", dt, 1, db, t ? (const void *)ib : fb)};
      const int outs[1] = {h_out(g, "y")};
      const int node = h_node(g, ops[k], 13, ins, 2, outs, 1);
      qi_error err;
      CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
      const qi_tensor *y = h_output(g, node, 0);
      CHECK(y->dtype == QINFER_DTYPE_BOOL && y->rank == 2);
      int bad = 0;
      for (int i = 0; i < 6; i++) {
        const double x = fa[i], z = fb[i % 3];
        const int want = k == 0 ? x == z : k == 1 ? x < z : k == 2 ? x > z : k == 3 ? x <= z : x >= z;
        bad += ((const uint8_t *)y->data)[i] != want;
      }
      CHECK_MSG(bad == 0, "%s", ops[k]);
      qi_graph_free(g);
    }
  }
  const char *lops[] = {"And", "Or", "Xor", "Equal"};
  const uint8_t ba[] = {0, 0, 1, 1}, bb[] = {0, 1, 0, 1};
  const int64_t d4[] = {4};
  const uint8_t want[4][4] = {{0, 0, 0, 1}, {0, 1, 1, 1}, {0, 1, 1, 0}, {1, 0, 0, 1}};
  for (int k = 0; k < 4; k++) {
    qi_graph *g = qi_graph_new();
    const int ins[2] = {h_const(g, "a", QINFER_DTYPE_BOOL, 1, d4, ba), h_const(g, "b", QINFER_DTYPE_BOOL, 1, d4, bb)};
    const int outs[1] = {h_out(g, "y")};
    const int node = h_node(g, lops[k], 13, ins, 2, outs, 1);
    qi_error err;
    CHECK(h_run(g, node, NULL, &err) == QINFER_OK && memcmp(h_output(g, node, 0)->data, want[k], 4) == 0);
    qi_graph_free(g);
  }
  qi_graph *g = qi_graph_new();
  int in1[1] = {h_const(g, "a", QINFER_DTYPE_BOOL, 1, d4, ba)};
  int outs[1] = {h_out(g, "y")};
  int node = h_node(g, "Not", 1, in1, 1, outs, 1);
  qi_error err;
  const uint8_t not_want[4] = {1, 1, 0, 0};
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK && memcmp(h_output(g, node, 0)->data, not_want, 4) == 0);
  qi_graph_free(g);

  const float special[4] = {NAN, INFINITY, -INFINITY, 1.0f};
  g = qi_graph_new();
  in1[0] = h_const(g, "a", QINFER_DTYPE_FLOAT, 1, d4, special);
  outs[0] = h_out(g, "y");
  node = h_node(g, "IsInf", 10, in1, 1, outs, 1);
  h_attr_int(g, node, "detect_negative", 0);
  const uint8_t inf_want[4] = {0, 1, 0, 0};
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK && memcmp(h_output(g, node, 0)->data, inf_want, 4) == 0);
  qi_graph_free(g);
  g = qi_graph_new();
  in1[0] = h_const(g, "a", QINFER_DTYPE_FLOAT, 1, d4, special);
  outs[0] = h_out(g, "y");
  node = h_node(g, "IsNaN", 13, in1, 1, outs, 1);
  const uint8_t nan_want[4] = {1, 0, 0, 0};
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK && memcmp(h_output(g, node, 0)->data, nan_want, 4) == 0);
  qi_graph_free(g);
}

static void test_where_expand(void) {
  /* Where: cond [2,1,3], x [4,1] (float / int64), y scalar -> [2,4,3]. */
  const int64_t dc[] = {2, 1, 3}, dx[] = {4, 1};
  const uint8_t cond[6] = {1, 0, 1, 0, 0, 1};
  const float fx[4] = {1, 2, 3, 4}, fy = -5;
  const int64_t ix[4] = {10, 20, 30, 40}, iy = -50;
  for (int t = 0; t < 2; t++) {
    qi_graph *g = qi_graph_new();
    const int dt = t ? QINFER_DTYPE_INT64 : QINFER_DTYPE_FLOAT;
    const int ins[3] = {h_const(g, "c", QINFER_DTYPE_BOOL, 3, dc, cond), h_const(g, "x", dt, 2, dx, t ? (const void *)ix : fx),
                        h_const(g, "y", dt, 0, NULL, t ? (const void *)&iy : &fy)};
    const int outs[1] = {h_out(g, "o")};
    const int node = h_node(g, "Where", 16, ins, 3, outs, 1);
    qi_error err;
    CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
    const qi_tensor *o = h_output(g, node, 0);
    CHECK(o->rank == 3 && o->dims[0] == 2 && o->dims[1] == 4 && o->dims[2] == 3 && o->dtype == dt);
    int bad = 0;
    for (int64_t i = 0; i < 24; i++) {
      const int c = cond[h_bcast_index(3, o->dims, i, 3, dc)];
      const int64_t xi = h_bcast_index(3, o->dims, i, 2, dx);
      if (t)
        bad += ((const int64_t *)o->data)[i] != (c ? ix[xi] : iy);
      else
        bad += ((const float *)o->data)[i] != (c ? fx[xi] : fy);
    }
    CHECK_MSG(bad == 0, "Where dtype %d", dt);
    qi_graph_free(g);
  }
  /* Expand: [3,1] to shape [2,1,6] -> [2,3,6]; a 1 in the shape keeps the input's dim. */
  const int64_t d31[] = {3, 1}, d3[] = {3}, target[3] = {2, 1, 6};
  const float v[3] = {1, 2, 3};
  qi_graph *g = qi_graph_new();
  const int ins[2] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 2, d31, v), h_const(g, "s", QINFER_DTYPE_INT64, 1, d3, target)};
  const int outs[1] = {h_out(g, "y")};
  const int node = h_node(g, "Expand", 13, ins, 2, outs, 1);
  qi_error err;
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
  const qi_tensor *y = h_output(g, node, 0);
  CHECK(y->rank == 3 && y->dims[0] == 2 && y->dims[1] == 3 && y->dims[2] == 6);
  int bad = 0;
  for (int i = 0; i < 36; i++) bad += ((const float *)y->data)[i] != v[(i / 6) % 3];
  CHECK(bad == 0);
  qi_graph_free(g);
  /* incompatible shape */
  const int64_t wrong[2] = {4, 2};
  const int64_t d2[] = {2};
  g = qi_graph_new();
  const int ins2[2] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 2, d31, v), h_const(g, "s", QINFER_DTYPE_INT64, 1, d2, wrong)};
  const int outs2[1] = {h_out(g, "y")};
  const int node2 = h_node(g, "Expand", 13, ins2, 2, outs2, 1);
  CHECK(h_run(g, node2, NULL, &err) == QINFER_ERR_SHAPE);
  qi_graph_free(g);
}

static void test_errors(void) {
  const int64_t d3[] = {3}, d4[] = {4};
  const float f[4] = {0};
  const int64_t i[4] = {0};
  qi_error err;
  /* float + int64 */
  qi_graph *g = qi_graph_new();
  int ins[2] = {h_const(g, "a", QINFER_DTYPE_FLOAT, 1, d3, f), h_const(g, "b", QINFER_DTYPE_INT64, 1, d3, i)};
  int outs[1] = {h_out(g, "y")};
  int node = h_node(g, "Add", 14, ins, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(err.msg, "Add") && strstr(err.msg, "int64"), "%s", err.msg);
  qi_graph_free(g);
  /* [3] + [4] */
  g = qi_graph_new();
  ins[0] = h_const(g, "a", QINFER_DTYPE_FLOAT, 1, d3, f);
  ins[1] = h_const(g, "b", QINFER_DTYPE_FLOAT, 1, d4, f);
  outs[0] = h_out(g, "y");
  node = h_node(g, "Mul", 14, ins, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_SHAPE);
  CHECK_MSG(strstr(err.msg, "[3]") && strstr(err.msg, "[4]"), "%s", err.msg);
  qi_graph_free(g);
  /* float Mod without fmod=1 */
  g = qi_graph_new();
  ins[0] = h_const(g, "a", QINFER_DTYPE_FLOAT, 1, d3, f);
  ins[1] = h_const(g, "b", QINFER_DTYPE_FLOAT, 1, d3, f);
  outs[0] = h_out(g, "y");
  node = h_node(g, "Mod", 13, ins, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  qi_graph_free(g);
  /* bool Add, one-input Add, Where with a float condition */
  const uint8_t bools[3] = {0};
  g = qi_graph_new();
  ins[0] = h_const(g, "a", QINFER_DTYPE_BOOL, 1, d3, bools);
  ins[1] = h_const(g, "b", QINFER_DTYPE_BOOL, 1, d3, bools);
  outs[0] = h_out(g, "y");
  node = h_node(g, "Add", 14, ins, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "bool"));
  node = h_node(g, "Sub", 14, ins, 1, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  const int wins[3] = {h_const(g, "c", QINFER_DTYPE_FLOAT, 1, d3, f), ins[0], ins[1]};
  node = h_node(g, "Where", 16, wins, 3, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_UNSUPPORTED);
  qi_graph_free(g);
}

static void test_fused_act_and_threads(void) {
  qi_threadpool *pool = qi_threadpool_create(3);
  const int64_t da[] = {2, 16, 40, 40}, db[] = {16, 1, 1};
  const int64_t na = h_numel(4, da);
  float *a = malloc(sizeof(float) * (size_t)na), b[16];
  h_fill(a, (size_t)na, 5, -3, 3);
  h_fill(b, 16, 6, -1, 1);
  for (int act = 0; act < 3; act++) {
    qi_graph *g = qi_graph_new();
    const int ins[2] = {h_const(g, "a", QINFER_DTYPE_FLOAT, 4, da, a), h_const(g, "b", QINFER_DTYPE_FLOAT, 3, db, b)};
    const int outs[1] = {h_out(g, "y")};
    const int node = h_node(g, "Add", 14, ins, 2, outs, 1);
    th_set_act(g, node, act == 0 ? QI_ACT_NONE : act == 1 ? QI_ACT_CLAMP : QI_ACT_LEAKY, 0.0f, 6.0f, 0.1f);
    qi_error err;
    CHECK(h_run(g, node, pool, &err) == QINFER_OK);
    CHECK(qi_op_find("", "Add")->flags & QI_OPF_FUSE_ACT);
    const float *y = h_output(g, node, 0)->data;
    int bad = 0;
    for (int64_t i = 0; i < na; i++) {
      double v = (double)a[i] + b[(i / 1600) % 16];
      if (act == 1) v = v < 0 ? 0 : v > 6 ? 6 : v;
      if (act == 2) v = v < 0 ? v * 0.1f : v;
      bad += !h_close(y[i], v, 1e-6);
    }
    CHECK_MSG(bad == 0, "fused act %d: %d mismatches", act, bad);
    qi_graph_free(g);
  }
  free(a);
  test_float_binary(pool);
  qi_threadpool_destroy(pool);
}

/* PRelu before opset 7: a 1-D slope as long as X's dimension 1 is one slope per channel (axis 1), where opset 7's
 * broadcasting would apply it along the last axis; a shared slope and X's shape work too; others are refused. */
static void test_legacy_prelu(void) {
  const int64_t xd[4] = {2, 3, 4, 3}, cd[1] = {3}, one[1] = {1}, bad[1] = {4};
  float x[72], slope[3] = {0.5f, -2.0f, 0.25f}, shared = 0.1f;
  h_fill(x, 72, 7, -2.0f, 2.0f);
  for (int opset = 6; opset <= 7; opset++) {
    qi_graph *g = qi_graph_new();
    qi_error err;
    const int ins[2] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, xd, x), h_const(g, "s", QINFER_DTYPE_FLOAT, 1, cd, slope)};
    const int outs[1] = {h_out(g, "y")};
    const int node = h_node(g, "PRelu", opset, ins, 2, outs, 1);
    CHECK_MSG(h_run(g, node, NULL, &err) == QINFER_OK, "PRelu-%d: %s", opset, err.msg);
    const float *y = h_output(g, node, 0)->data;
    int bad_count = 0;
    for (int i = 0; i < 72; i++) { /* opset 6: channel i / 12 % 3; opset 7: last axis i % 3 */
      const float a = slope[opset < 7 ? i / 12 % 3 : i % 3];
      bad_count += !h_close(y[i], x[i] < 0 ? a * x[i] : x[i], 1e-6);
    }
    CHECK_MSG(bad_count == 0, "PRelu-%d: %d values differ from the per-%s oracle", opset, bad_count,
              opset < 7 ? "channel" : "last-axis");
    qi_graph_free(g);
  }
  qi_graph *g = qi_graph_new();
  qi_error err;
  int ins[2] = {h_const(g, "x", QINFER_DTYPE_FLOAT, 4, xd, x), h_const(g, "s", QINFER_DTYPE_FLOAT, 1, one, &shared)};
  int outs[1] = {h_out(g, "y")};
  int node = h_node(g, "PRelu", 1, ins, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_OK);
  const float *y = h_output(g, node, 0)->data;
  CHECK(h_close(y[0], x[0] < 0 ? shared * x[0] : x[0], 1e-6) && h_close(y[71], x[71] < 0 ? shared * x[71] : x[71], 1e-6));
  ins[1] = h_const(g, "s4", QINFER_DTYPE_FLOAT, 1, bad, x);
  outs[0] = h_out(g, "y2");
  node = h_node(g, "PRelu", 6, ins, 2, outs, 1);
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  CHECK_MSG(strstr(err.msg, "PRelu-6 takes a slope of one value, one per channel") != NULL, "%s", err.msg);
  qi_graph_free(g);
}

/* Add / Mul before opset 7: B matched from `axis` with broadcast=1 ([C] at axis 1 is per channel), else A's shape. */
static void test_legacy_broadcast(void) {
  const int64_t xd[4] = {2, 3, 4, 3}, cd[1] = {3}, hw[2] = {4, 3};
  float x[72], b[12];
  h_fill(x, 72, 11, -2.0f, 2.0f);
  h_fill(b, 12, 12, -1.0f, 1.0f);
  const struct { int64_t axis; int rank; const int64_t *dims; } cases[] = {
      {1, 1, cd}, {2, 2, hw}, {-1, 2, hw}, /* -1: no axis attribute, the trailing dims */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    qi_graph *g = qi_graph_new();
    qi_error err;
    const int ins[2] = {h_const(g, "a", QINFER_DTYPE_FLOAT, 4, xd, x),
                        h_const(g, "b", QINFER_DTYPE_FLOAT, cases[c].rank, cases[c].dims, b)};
    const int outs[1] = {h_out(g, "y")};
    const int node = h_node(g, "Add", 6, ins, 2, outs, 1);
    h_attr_int(g, node, "broadcast", 1);
    if (cases[c].axis >= 0) h_attr_int(g, node, "axis", cases[c].axis);
    CHECK_MSG(h_run(g, node, NULL, &err) == QINFER_OK, "Add-6 case %zu: %s", c, err.msg);
    const float *y = h_output(g, node, 0)->data;
    int bad = 0;
    for (int i = 0; i < 72; i++) bad += !h_close(y[i], x[i] + b[cases[c].rank == 1 ? i / 12 % 3 : i % 12], 1e-6);
    CHECK_MSG(bad == 0, "Add-6 case %zu: %d values differ", c, bad);
    qi_graph_free(g);
  }
  qi_graph *g = qi_graph_new();
  qi_error err;
  int ins[2] = {h_const(g, "a", QINFER_DTYPE_FLOAT, 4, xd, x), h_const(g, "b", QINFER_DTYPE_FLOAT, 1, cd, b)};
  int outs[1] = {h_out(g, "y")};
  int node = h_node(g, "Mul", 6, ins, 2, outs, 1); /* no broadcast attribute: B must have A's shape */
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  CHECK_MSG(strstr(err.msg, "Mul-6 without broadcast=1 takes B of A's shape") != NULL, "%s", err.msg);
  outs[0] = h_out(g, "y2");
  node = h_node(g, "Mul", 6, ins, 2, outs, 1);
  h_attr_int(g, node, "broadcast", 1);
  h_attr_int(g, node, "axis", 2); /* [3] against dim 2 (4) */
  CHECK(h_run(g, node, NULL, &err) == QINFER_ERR_INVALID_MODEL);
  CHECK_MSG(strstr(err.msg, "does not match A [2,3,4,3] from axis 2") != NULL, "%s", err.msg);
  /* a comparison of opset 1: Less with B [3] at axis 1, per channel */
  outs[0] = h_out(g, "y3");
  node = h_node(g, "Less", 1, ins, 2, outs, 1);
  h_attr_int(g, node, "broadcast", 1);
  h_attr_int(g, node, "axis", 1);
  CHECK_MSG(h_run(g, node, NULL, &err) == QINFER_OK, "Less-1: %s", err.msg);
  const uint8_t *lt = h_output(g, node, 0)->data;
  int bad = 0;
  for (int i = 0; i < 72; i++) bad += lt[i] != (x[i] < b[i / 12 % 3]);
  CHECK_MSG(bad == 0, "Less-1 per channel: %d values differ", bad);
  qi_graph_free(g);
}

int main(void) {
  test_broadcast_helper();
  test_legacy_prelu();
  test_legacy_broadcast();
  test_float_binary(NULL);
  test_int_binary();
  test_mixed_pow();
  test_variadic();
  test_compare_logic();
  test_where_expand();
  test_errors();
  test_fused_act_and_threads();
  return TEST_SUMMARY();
}
