/* Conv and ConvTranspose of any spatial rank (1-D to 4-D here) against a plain N-d loop oracle in double:
 * strides, dilations, asymmetric pads, groups (depthwise included), output_padding, bias, constant and
 * run-time weights; results identical at 1, 2 and 3 threads. */
#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3];

enum { MAX_SP = 4 };

typedef struct nd_conv {
  int transpose, sp, bias, const_w;
  int64_t n, c, m, group, in[MAX_SP], k[MAX_SP], s[MAX_SP], d[MAX_SP], pb[MAX_SP], pe[MAX_SP], out_pad[MAX_SP];
} nd_conv;

/* Flat row-major index of coordinates c over extents e. */
static int64_t flat(int sp, const int64_t *e, const int64_t *c) {
  int64_t f = 0;
  for (int a = 0; a < sp; a++) f = f * e[a] + c[a];
  return f;
}
static void unflat(int sp, const int64_t *e, int64_t f, int64_t *c) {
  for (int a = sp - 1; a >= 0; a--) c[a] = f % e[a], f /= e[a];
}

static void run_nd(const nd_conv *cc) {
  int64_t out[MAX_SP], in_sz = 1, out_sz = 1, taps = 1;
  for (int a = 0; a < cc->sp; a++) {
    const int64_t dk = (cc->k[a] - 1) * cc->d[a] + 1;
    out[a] = cc->transpose ? cc->s[a] * (cc->in[a] - 1) + cc->out_pad[a] + dk - cc->pb[a] - cc->pe[a]
                           : (cc->in[a] + cc->pb[a] + cc->pe[a] - dk) / cc->s[a] + 1;
    in_sz *= cc->in[a], out_sz *= out[a], taps *= cc->k[a];
  }
  const int64_t g = cc->group, cg = cc->c / g, mg = cc->m / g;
  const int64_t wd0 = cc->transpose ? cc->c : cc->m, wd1 = cc->transpose ? mg : cg;
  const size_t xn = (size_t)(cc->n * cc->c * in_sz), wn = (size_t)(wd0 * wd1 * taps), yn = (size_t)(cc->n * cc->m * out_sz);
  float *x = malloc(xn * sizeof(float)), *w = malloc(wn * sizeof(float)), *b = malloc((size_t)cc->m * sizeof(float));
  double *ref = calloc(yn, sizeof(double));
  nn_fill(x, xn, 1), nn_fill(w, wn, 2), nn_fill(b, (size_t)cc->m, 3);
  for (int64_t n = 0; n < cc->n; n++)
    for (int64_t grp = 0; grp < g; grp++)
      for (int64_t m = 0; m < mg; m++)
        for (int64_t c = 0; c < cg; c++)
          for (int64_t t = 0; t < taps; t++) {
            int64_t k[MAX_SP];
            unflat(cc->sp, cc->k, t, k);
            const double wv = cc->transpose ? w[((grp * cg + c) * mg + m) * taps + t] : w[((grp * mg + m) * cg + c) * taps + t];
            const int64_t *src_ext = cc->transpose ? cc->in : out; /* the loop runs over the smaller grid */
            const int64_t *dst_ext = cc->transpose ? out : cc->in;
            const int64_t src_sz = cc->transpose ? in_sz : out_sz;
            for (int64_t i = 0; i < src_sz; i++) {
              int64_t p[MAX_SP], q[MAX_SP], inside = 1;
              unflat(cc->sp, src_ext, i, p);
              for (int a = 0; a < cc->sp; a++) {
                q[a] = p[a] * cc->s[a] - cc->pb[a] + k[a] * cc->d[a];
                inside &= q[a] >= 0 && q[a] < dst_ext[a];
              }
              if (!inside) continue;
              const int64_t xc = grp * cg + c, ym = grp * mg + m;
              if (cc->transpose)
                ref[(n * cc->m + ym) * out_sz + flat(cc->sp, out, q)] += wv * x[(n * cc->c + xc) * in_sz + i];
              else
                ref[(n * cc->m + ym) * out_sz + i] += wv * x[(n * cc->c + xc) * in_sz + flat(cc->sp, cc->in, q)];
            }
          }
  if (cc->bias)
    for (size_t i = 0; i < yn; i++) ref[i] += b[(i / (size_t)out_sz) % (size_t)cc->m];
  float *first = NULL;
  for (int t = 0; t < 3; t++) {
    qi_graph *gr = qi_graph_new();
    int64_t xd[2 + MAX_SP] = {cc->n, cc->c}, wdims[2 + MAX_SP] = {wd0, wd1}, bd[1] = {cc->m}, pads[2 * MAX_SP];
    for (int a = 0; a < cc->sp; a++)
      xd[2 + a] = cc->in[a], wdims[2 + a] = cc->k[a], pads[a] = cc->pb[a], pads[cc->sp + a] = cc->pe[a];
    int in[3] = {nn_tensor(gr, "x", QINFER_DTYPE_FLOAT, 2 + cc->sp, xd, x, 0),
                 nn_tensor(gr, "w", QINFER_DTYPE_FLOAT, 2 + cc->sp, wdims, w, cc->const_w),
                 cc->bias ? nn_tensor(gr, "b", QINFER_DTYPE_FLOAT, 1, bd, b, 1) : -1};
    int outt = nn_output(gr, "y");
    const int node = qi_graph_add_node(gr, cc->transpose ? "ConvTranspose" : "Conv", "", in, cc->bias ? 3 : 2, &outt, 1);
    gr->nodes[node].opset = 22;
    nn_attr_ints(gr, node, "strides", cc->sp, cc->s);
    nn_attr_ints(gr, node, "dilations", cc->sp, cc->d);
    nn_attr_ints(gr, node, "pads", 2 * cc->sp, pads);
    if (g != 1) nn_attr_int(gr, node, "group", g);
    if (cc->transpose) nn_attr_ints(gr, node, "output_padding", cc->sp, cc->out_pad);
    qi_error err = {0};
    const qi_status st = nn_run(gr, node, pools[t], &err);
    CHECK_MSG(st == QINFER_OK, "%s", err.msg);
    if (st != QINFER_OK) {
      qi_graph_free(gr);
      break;
    }
    const qi_tensor *yt = &gr->tensors[outt];
    CHECK(yt->rank == 2 + cc->sp && (size_t)qi_tensor_numel(yt) == yn);
    double worst;
    CHECK_MSG(nn_close(yt->data, ref, yn, 1e-5, &worst), "%s %dD N%lld C%lld M%lld g%lld k%lld s%lld d%lld bias%d const%d: %g",
              cc->transpose ? "ConvTranspose" : "Conv", cc->sp, (long long)cc->n, (long long)cc->c, (long long)cc->m,
              (long long)g, (long long)cc->k[0], (long long)cc->s[0], (long long)cc->d[0], cc->bias, cc->const_w, worst);
    if (!first) {
      first = malloc(yn * sizeof(float));
      memcpy(first, yt->data, yn * sizeof(float));
    } else {
      CHECK_MSG(memcmp(first, yt->data, yn * sizeof(float)) == 0, "results differ between thread counts");
    }
    qi_graph_free(gr);
  }
  free(first), free(x), free(w), free(b), free(ref);
}

static void nd_grid(void) {
  const int64_t gcm[][3] = {{1, 3, 4}, {2, 4, 6}, {3, 3, 3}, {1, 2, 1}};
  uint32_t seed = 7;
  for (int sp = 1; sp <= MAX_SP; sp++)
    for (int transpose = 0; transpose <= 1; transpose++)
      for (size_t gi = 0; gi < sizeof gcm / sizeof gcm[0]; gi++)
        for (int rep = 0; rep < 3; rep++) {
          nd_conv cc = {.transpose = transpose, .sp = sp, .bias = rep != 1, .const_w = rep != 2, .n = 2,
                        .group = gcm[gi][0], .c = gcm[gi][1], .m = gcm[gi][2]};
          const uint32_t r = (seed = seed * 1664525u + 1013904223u) >> 8;
          for (int a = 0; a < sp; a++) {
            const uint32_t ra = r >> (3 * a);
            cc.in[a] = (sp >= 3 ? 3 : 5) + (int64_t)((ra + (uint32_t)rep) % 3);
            cc.k[a] = rep == 0 && gi == 0 ? 1 : 1 + (int64_t)((ra >> 1) % 3); /* a 1x..x1 case: the pointwise path */
            cc.s[a] = 1 + (int64_t)((ra >> 2) % 2);
            cc.d[a] = 1 + (int64_t)((ra >> 3) & 1);
            cc.pb[a] = (int64_t)(ra >> 4) % cc.k[a];
            cc.pe[a] = (int64_t)(ra >> 6) % cc.k[a];
            cc.out_pad[a] = transpose && cc.s[a] > 1 ? (int64_t)(ra >> 5) % cc.s[a] : 0;
            if (!transpose && cc.in[a] + cc.pb[a] + cc.pe[a] < (cc.k[a] - 1) * cc.d[a] + 1) cc.d[a] = 1;
          }
          if (rep == 0 && gi == 0)
            for (int a = 0; a < sp; a++) cc.s[a] = 1, cc.pb[a] = cc.pe[a] = 0, cc.out_pad[a] = 0;
          run_nd(&cc);
        }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  nd_grid();
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
