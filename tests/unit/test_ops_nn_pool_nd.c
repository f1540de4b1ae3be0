/* N-d pooling against a plain N-d loop oracle: MaxPool (float, int8, uint8, with and without Indices in both
 * storage orders), AveragePool (count_include_pad 0/1) and LpPool (p 1, 2, 3) over 1-D to 4-D windows with
 * strides, dilations, asymmetric pads and ceil_mode; integer outputs and indices exact; results identical at
 * 1, 2 and 3 threads. */
#include <float.h>

#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3];

enum { MAX_SP = 4 };

typedef struct nd_case {
  const char *op; /* MaxPool, AveragePool, LpPool */
  int dtype, sp;
  int64_t n, c, in[MAX_SP], k[MAX_SP], s[MAX_SP], d[MAX_SP], pb[MAX_SP], pe[MAX_SP];
  int ceil_mode, cip, indices, storage_order, p;
} nd_case;

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, int ceil_mode) {
  const int64_t dk = (k - 1) * d + 1, span = in + pb + pe - dk;
  int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + pb) o--;
  return o;
}

static double input_value(const nd_case *cc, const void *x, size_t i) {
  if (cc->dtype == QINFER_DTYPE_INT8) return ((const int8_t *)x)[i];
  if (cc->dtype == QINFER_DTYPE_UINT8) return ((const uint8_t *)x)[i];
  return ((const float *)x)[i];
}

/* Oracle for plane `plane`, output point of flat index `oi`: value and (MaxPool) index into the whole input. */
static void oracle_point(const nd_case *cc, const int64_t *out, const void *x, int64_t plane, int64_t oi, double *val,
                         int64_t *index) {
  int64_t o[MAX_SP], in_plane = 1, taps = 1;
  for (int a = cc->sp - 1, r = (int)oi; a >= 0; a--) {
    o[a] = r % out[a];
    r /= (int)out[a];
  }
  for (int a = 0; a < cc->sp; a++) in_plane *= cc->in[a], taps *= cc->k[a];
  const int is_max = strcmp(cc->op, "MaxPool") == 0, is_lp = strcmp(cc->op, "LpPool") == 0;
  double acc = 0, best = cc->dtype == QINFER_DTYPE_INT8 ? INT8_MIN : cc->dtype == QINFER_DTYPE_UINT8 ? 0 : -FLT_MAX;
  int64_t count = 0, padded = 0, arg = -1;
  for (int64_t t = 0; t < taps; t++) {
    int64_t coord[MAX_SP], rem = t, inside = 1, in_padded = 1;
    for (int a = cc->sp - 1; a >= 0; a--) {
      const int64_t k = rem % cc->k[a];
      rem /= cc->k[a];
      coord[a] = o[a] * cc->s[a] - cc->pb[a] + k * cc->d[a];
      inside &= coord[a] >= 0 && coord[a] < cc->in[a];
      in_padded &= coord[a] < cc->in[a] + cc->pe[a];
    }
    padded += in_padded;
    if (!inside) continue;
    int64_t off = 0;
    for (int a = 0; a < cc->sp; a++) off = off * cc->in[a] + coord[a];
    const double v = input_value(cc, x, (size_t)(plane * in_plane + off));
    if (arg < 0 && is_max) {
      arg = off;
      if (cc->dtype != QINFER_DTYPE_FLOAT) best = v;
    }
    if (is_max && v > best) best = v, arg = off;
    acc += is_lp ? pow(fabs(v), cc->p) : v;
    count++;
  }
  if (is_max) {
    *val = best;
    int64_t idx = arg;
    if (arg >= 0 && cc->storage_order == 1) { /* column-major: the first axis varies fastest */
      int64_t coord[MAX_SP], rem = arg, stride = 1;
      for (int a = cc->sp - 1; a >= 0; a--) coord[a] = rem % cc->in[a], rem /= cc->in[a];
      idx = 0;
      for (int a = 0; a < cc->sp; a++) idx += coord[a] * stride, stride *= cc->in[a];
    }
    *index = arg < 0 ? -1 : plane * in_plane + idx;
  } else if (is_lp) {
    *val = pow(acc, 1.0 / cc->p);
  } else {
    *val = count ? acc / (double)(cc->cip ? padded : count) : 0;
  }
}

static void fill_input(const nd_case *cc, void *x, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++) {
    const float r = nn_rand(&seed);
    /* few distinct integers so that windows hold ties */
    if (cc->dtype == QINFER_DTYPE_INT8) ((int8_t *)x)[i] = (int8_t)(i % 7 == 0 ? -128 : (int)(r * 4.0f));
    else if (cc->dtype == QINFER_DTYPE_UINT8) ((uint8_t *)x)[i] = (uint8_t)(i % 5 == 0 ? 255 : 250 + (int)(r * 3.0f));
    else ((float *)x)[i] = r;
  }
}

static void run_nd(const nd_case *cc) {
  int64_t out[MAX_SP], xn = cc->n * cc->c, yn = cc->n * cc->c;
  for (int a = 0; a < cc->sp; a++) {
    out[a] = out_size(cc->in[a], cc->k[a], cc->s[a], cc->d[a], cc->pb[a], cc->pe[a], cc->ceil_mode);
    xn *= cc->in[a], yn *= out[a];
  }
  const size_t esize = qi_dtype_size(cc->dtype);
  void *x = malloc((size_t)xn * esize);
  double *ref = malloc((size_t)yn * sizeof(double));
  int64_t *ref_idx = malloc((size_t)yn * sizeof(int64_t));
  fill_input(cc, x, (size_t)xn, 11);
  const int64_t out_plane = yn / (cc->n * cc->c);
  for (int64_t p = 0; p < cc->n * cc->c; p++)
    for (int64_t i = 0; i < out_plane; i++) oracle_point(cc, out, x, p, i, &ref[p * out_plane + i], &ref_idx[p * out_plane + i]);
  void *first = NULL;
  for (int t = 0; t < 3; t++) {
    qi_graph *g = qi_graph_new();
    int64_t xd[2 + MAX_SP] = {cc->n, cc->c}, pads[2 * MAX_SP];
    for (int a = 0; a < cc->sp; a++) xd[2 + a] = cc->in[a], pads[a] = cc->pb[a], pads[cc->sp + a] = cc->pe[a];
    int in = nn_tensor(g, "x", cc->dtype, 2 + cc->sp, xd, x, 0), outs[2] = {nn_output(g, "y"), nn_output(g, "i")};
    int node = qi_graph_add_node(g, cc->op, "", &in, 1, outs, cc->indices ? 2 : 1);
    nn_name(g, node, "pool_nd");
    g->nodes[node].opset = 19;
    nn_attr_ints(g, node, "kernel_shape", cc->sp, cc->k);
    nn_attr_ints(g, node, "strides", cc->sp, cc->s);
    nn_attr_ints(g, node, "dilations", cc->sp, cc->d);
    nn_attr_ints(g, node, "pads", 2 * cc->sp, pads);
    nn_attr_int(g, node, "ceil_mode", cc->ceil_mode);
    if (strcmp(cc->op, "AveragePool") == 0) nn_attr_int(g, node, "count_include_pad", cc->cip);
    if (strcmp(cc->op, "LpPool") == 0) nn_attr_int(g, node, "p", cc->p);
    if (cc->indices) nn_attr_int(g, node, "storage_order", cc->storage_order);
    qi_error err = {0};
    const qi_status st = nn_run(g, node, pools[t], &err);
    CHECK_MSG(st == QINFER_OK, "%s", err.msg);
    if (st != QINFER_OK) {
      qi_graph_free(g);
      break;
    }
    const qi_tensor *yt = &g->tensors[outs[0]];
    CHECK(yt->dtype == cc->dtype && yt->rank == 2 + cc->sp && qi_tensor_numel(yt) == yn);
    int bad = 0;
    for (int64_t i = 0; i < yn && !bad; i++) {
      const double v = input_value(cc, yt->data, (size_t)i);
      const int exact = cc->dtype != QINFER_DTYPE_FLOAT || strcmp(cc->op, "MaxPool") == 0;
      bad = exact ? v != ref[i] : fabs(v - ref[i]) > 1e-5 * fmax(1.0, fabs(ref[i]));
      CHECK_MSG(!bad, "%s %s %dD k%lld s%lld d%lld ceil%d cip%d p%d threads-case %d: y[%lld] = %g, want %g", cc->op,
                qi_dtype_name(cc->dtype), cc->sp, (long long)cc->k[0], (long long)cc->s[0], (long long)cc->d[0],
                cc->ceil_mode, cc->cip, cc->p, t, (long long)i, v, ref[i]);
    }
    if (cc->indices) {
      const qi_tensor *it = &g->tensors[outs[1]];
      CHECK(it->dtype == QINFER_DTYPE_INT64 && qi_tensor_numel(it) == yn);
      const int64_t *idx = it->data;
      for (int64_t i = 0; i < yn && !bad; i++) {
        bad = idx[i] != ref_idx[i];
        CHECK_MSG(!bad, "%s %s %dD storage_order %d: indices[%lld] = %lld, want %lld", cc->op, qi_dtype_name(cc->dtype),
                  cc->sp, cc->storage_order, (long long)i, (long long)idx[i], (long long)ref_idx[i]);
      }
    }
    if (!first) {
      first = malloc((size_t)yn * esize);
      memcpy(first, yt->data, (size_t)yn * esize);
    } else {
      CHECK_MSG(memcmp(first, yt->data, (size_t)yn * esize) == 0, "results differ between thread counts");
    }
    qi_graph_free(g);
  }
  free(first), free(x), free(ref), free(ref_idx);
}

static void nd_grid(void) {
  const char *ops[] = {"MaxPool", "AveragePool", "LpPool"};
  const int dtypes[] = {QINFER_DTYPE_FLOAT, QINFER_DTYPE_INT8, QINFER_DTYPE_UINT8};
  uint32_t seed = 42;
  int cases = 0;
  for (int sp = 1; sp <= MAX_SP; sp++)
    for (int opi = 0; opi < 3; opi++)
      for (int di = 0; di < (opi == 0 ? 3 : 1); di++)
        for (int rep = 0; rep < 6; rep++) {
          nd_case cc = {.op = ops[opi], .dtype = dtypes[di], .sp = sp, .n = 2, .c = 3};
          const uint32_t r = (seed = seed * 1664525u + 1013904223u) >> 8;
          for (int a = 0; a < sp; a++) {
            const uint32_t ra = r >> (3 * a);
            cc.in[a] = (sp >= 4 ? 3 : 4) + (int64_t)((ra + (uint32_t)rep) % 4);
            cc.k[a] = 1 + (int64_t)((ra >> 1) % 3);
            cc.s[a] = 1 + (int64_t)((ra >> 2) % 2);
            cc.d[a] = 1 + (int64_t)((ra >> 3 & 1) && rep % 2);
            cc.pb[a] = (int64_t)(ra >> 4) % cc.k[a];
            cc.pe[a] = (int64_t)(ra >> 6) % cc.k[a];
            if (cc.in[a] + cc.pb[a] + cc.pe[a] < (cc.k[a] - 1) * cc.d[a] + 1) cc.d[a] = 1;
          }
          cc.ceil_mode = rep % 3 == 1;
          cc.cip = rep % 2;
          cc.p = 1 + rep % 3;
          cc.indices = opi == 0 && rep >= 2;
          cc.storage_order = rep % 2;
          run_nd(&cc);
          cases++;
        }
  CHECK(cases > 100);
}

/* A 1-D / 2-D float MaxPool takes the 2-D kernel without Indices and the N-d one with them: same values. */
static void fast_path_matches_nd(void) {
  for (int sp = 1; sp <= 2; sp++)
    for (int with_idx = 0; with_idx <= 1; with_idx++) {
      nd_case cc = {.op = "MaxPool", .dtype = QINFER_DTYPE_FLOAT, .sp = sp, .n = 1, .c = 4, .in = {9, 8},
                    .k = {3, 2}, .s = {2, 1}, .d = {1, 2}, .pb = {1, 0}, .pe = {2, 1}, .ceil_mode = 1,
                    .indices = with_idx, .storage_order = 1};
      run_nd(&cc);
    }
}

static void nd_errors(void) {
  const float buf[64] = {0};
  const int8_t b8[64] = {0};
  const int64_t xd[4] = {1, 1, 4, 4}, k[2] = {2, 2};
  struct { const char *op; int dtype; const void *data; int64_t p; qi_status want; } cases[] = {
      {"AveragePool", QINFER_DTYPE_INT8, b8, 0, QINFER_ERR_UNSUPPORTED},
      {"LpPool", QINFER_DTYPE_FLOAT, buf, 0, QINFER_ERR_INVALID_MODEL},
      {"MaxPool", QINFER_DTYPE_INT32, buf, 0, QINFER_ERR_UNSUPPORTED},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qi_graph *g = qi_graph_new();
    int in = nn_tensor(g, "x", cases[i].dtype, 4, xd, cases[i].data, 0), out = nn_output(g, "y");
    int node = qi_graph_add_node(g, cases[i].op, "", &in, 1, &out, 1);
    nn_name(g, node, "bad_pool_nd");
    nn_attr_ints(g, node, "kernel_shape", 2, k);
    if (strcmp(cases[i].op, "LpPool") == 0) nn_attr_int(g, node, "p", cases[i].p);
    qi_error err = {0};
    const qi_status st = nn_run(g, node, NULL, &err);
    CHECK_MSG(st == cases[i].want && strstr(err.msg, "bad_pool_nd"), "case %zu: %d %s", i, st, err.msg);
    qi_graph_free(g);
  }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  nd_grid();
  fast_path_matches_nd();
  nd_errors();
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
