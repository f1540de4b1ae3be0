/* FusedAttention (ai.qinfer, internal; engine/ops/nn_attention_fused.c) against a naive oracle in double:
 *   Y = Transpose(Softmax(scale * Transpose(Q, perm_q) Transpose(K, perm_k)) Transpose(V, perm_v), perm_y)
 * written from that definition with explicit index maps (never the op's strides): 2-D without perms, the zoo
 * ViT's 3-D layout (perm_q [1, 0, 2], perm_k [1, 2, 0]), 4-D [B, S, H, D] storage with every operand and the output
 * transposed, on every ISA path this CPU has, bit-identical at 1, 2 and 3 threads; the output shape; errors
 * (not a permutation, a perm moving V's or Y's feature axis, disagreeing dims, ranks, a missing scale). */
#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3];

typedef struct fcase {
  const char *what;
  int rank;
  int64_t lead[2];             /* logical leading dims (rank - 2 of them) */
  int64_t lq, lk, d, dv;
  int pq[4], pk[4], pv[4], py[4];
  float scale;
} fcase;

/* Stored dims of Transpose^-1: stored axis perm[a] has logical dim logical[a]. */
static void stored_dims(int rank, const int *perm, const int64_t *logical, int64_t *stored) {
  for (int a = 0; a < rank; a++) stored[perm[a]] = logical[a];
}
/* Flat index in the stored tensor of logical index idx. */
static size_t at(int rank, const int *perm, const int64_t *stored, const int64_t *idx) {
  int64_t s_idx[4];
  for (int a = 0; a < rank; a++) s_idx[perm[a]] = idx[a];
  size_t off = 0;
  for (int i = 0; i < rank; i++) off = off * (size_t)stored[i] + (size_t)s_idx[i];
  return off;
}
static size_t numel(int rank, const int64_t *d) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= (size_t)d[i];
  return n;
}

static void run_case(const fcase *c) {
  const int r = c->rank, nb = r - 2;
  int64_t lq[4], lk[4], lv[4], ly[4], sq[4], sk[4], sv[4], sy[4];
  for (int i = 0; i < nb; i++) lq[i] = lk[i] = lv[i] = ly[i] = c->lead[i];
  lq[nb] = c->lq, lq[nb + 1] = c->d;
  lk[nb] = c->d, lk[nb + 1] = c->lk;
  lv[nb] = c->lk, lv[nb + 1] = c->dv;
  ly[nb] = c->lq, ly[nb + 1] = c->dv;
  stored_dims(r, c->pq, lq, sq), stored_dims(r, c->pk, lk, sk), stored_dims(r, c->pv, lv, sv);
  for (int i = 0; i < r; i++) sy[i] = ly[c->py[i]]; /* Y stored = Transpose(logical, perm_y) */
  int inv_y[4];
  for (int i = 0; i < r; i++) inv_y[c->py[i]] = i;
  const size_t qn = numel(r, sq), kn = numel(r, sk), vn = numel(r, sv), yn = numel(r, sy);
  float *q = malloc(qn * 4), *k = malloc(kn * 4), *v = malloc(vn * 4), *first = malloc(yn * 4);
  double *ref = calloc(yn, sizeof(double)), *s = malloc((size_t)c->lk * sizeof(double));
  nn_fill(q, qn, 71), nn_fill(k, kn, 72), nn_fill(v, vn, 73);
  const int64_t heads = nb == 0 ? 1 : nb == 1 ? c->lead[0] : c->lead[0] * c->lead[1];
  for (int64_t hh = 0; hh < heads; hh++) {
    int64_t idx[4] = {0, 0, 0, 0};
    if (nb == 1) idx[0] = hh;
    if (nb == 2) idx[0] = hh / c->lead[1], idx[1] = hh % c->lead[1];
    for (int64_t i = 0; i < c->lq; i++) {
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j < c->lk; j++) {
        double dot = 0;
        for (int64_t d = 0; d < c->d; d++) {
          int64_t iq[4], ik[4];
          memcpy(iq, idx, sizeof iq), memcpy(ik, idx, sizeof ik);
          iq[nb] = i, iq[nb + 1] = d, ik[nb] = d, ik[nb + 1] = j;
          dot += (double)q[at(r, c->pq, sq, iq)] * k[at(r, c->pk, sk, ik)];
        }
        s[j] = dot * c->scale;
        mx = fmax(mx, s[j]);
      }
      for (int64_t j = 0; j < c->lk; j++) sum += (s[j] = exp(s[j] - mx));
      for (int64_t e = 0; e < c->dv; e++) {
        int64_t iy[4];
        memcpy(iy, idx, sizeof iy);
        iy[nb] = i, iy[nb + 1] = e;
        double acc = 0;
        for (int64_t j = 0; j < c->lk; j++) {
          int64_t iv[4];
          memcpy(iv, idx, sizeof iv);
          iv[nb] = j, iv[nb + 1] = e;
          acc += s[j] / sum * v[at(r, c->pv, sv, iv)];
        }
        ref[at(r, inv_y, sy, iy)] = acc;
      }
    }
  }
  for (int isa = 0; isa < QI_ISA_COUNT; isa++) {
    if (!qi_isa_available((qi_isa)isa)) continue;
    th_isa = (qi_isa)isa;
    for (int p = 0; p < 3; p++) {
      qi_graph *g = qi_graph_new();
      const int in[3] = {nn_tensor(g, "q", QINFER_DTYPE_FLOAT, r, sq, q, 0),
                         nn_tensor(g, "k", QINFER_DTYPE_FLOAT, r, sk, k, 0),
                         nn_tensor(g, "v", QINFER_DTYPE_FLOAT, r, sv, v, 0)};
      const int out = nn_output(g, "y");
      const int node = qi_graph_add_node(g, "FusedAttention", "ai.qinfer", in, 3, &out, 1);
      const int64_t pq[4] = {c->pq[0], c->pq[1], c->pq[2], c->pq[3]}, pk[4] = {c->pk[0], c->pk[1], c->pk[2], c->pk[3]};
      const int64_t pv[4] = {c->pv[0], c->pv[1], c->pv[2], c->pv[3]}, py[4] = {c->py[0], c->py[1], c->py[2], c->py[3]};
      nn_attr_ints(g, node, "perm_q", r, pq), nn_attr_ints(g, node, "perm_k", r, pk);
      nn_attr_ints(g, node, "perm_v", r, pv), nn_attr_ints(g, node, "perm_y", r, py);
      nn_attr_float(g, node, "scale", c->scale);
      qi_error err = {0};
      CHECK_MSG(nn_run(g, node, pools[p], &err) == QINFER_OK, "%s: %s", c->what, err.msg);
      const qi_tensor *yt = qi_node_out(g, &g->nodes[node], 0);
      CHECK_MSG(yt->rank == r && memcmp(yt->dims, sy, (size_t)r * sizeof(int64_t)) == 0, "%s: output shape", c->what);
      double worst;
      const float *y = nn_out(g, node, 0);
      CHECK_MSG(nn_close(y, ref, yn, 1e-5, &worst), "%s (isa %d, pool %d): %g", c->what, isa, p, worst);
      if (p == 0) memcpy(first, y, yn * 4);
      else CHECK_MSG(memcmp(first, y, yn * 4) == 0, "%s (isa %d): %d threads differ from 1", c->what, isa, p + 1);
      qi_graph_free(g);
    }
  }
  th_isa = QI_ISA_COUNT;
  printf("%s: ok\n", c->what);
  free(q), free(k), free(v), free(first), free(ref), free(s);
}

static void errors(void) {
  const float buf[512] = {0};
  const int64_t d3[3] = {2, 4, 8}, d3b[3] = {2, 4, 5}, d2[2] = {4, 8};
  const int64_t dup[3] = {0, 0, 2}, swap_last[3] = {0, 2, 1}, ok3[3] = {0, 2, 1};
  struct {
    const char *what;
    const int64_t *qd, *kd, *vd;
    int kr;
    const char *perm_name;
    const int64_t *perm;
    bool scale;
    qi_status want;
  } cases[] = {
      {"perm_q not a permutation", d3, d3, d3, 3, "perm_q", dup, true, QINFER_ERR_INVALID_MODEL},
      {"perm_v moves the feature axis", d3, d3, d3, 3, "perm_v", swap_last, true, QINFER_ERR_UNSUPPORTED},
      {"perm_y moves the feature axis", d3, d3, d3, 3, "perm_y", swap_last, true, QINFER_ERR_UNSUPPORTED},
      {"K' head size differs from Q's", d3, d3b, d3, 3, "perm_k", ok3, true, QINFER_ERR_SHAPE},
      {"ranks differ", d3, d2, d3, 2, NULL, NULL, true, QINFER_ERR_SHAPE},
      {"no scale", d3, d3, d3, 3, "perm_k", ok3, false, QINFER_ERR_INVALID_MODEL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qi_graph *g = qi_graph_new();
    const int in[3] = {nn_tensor(g, "q", QINFER_DTYPE_FLOAT, 3, cases[i].qd, buf, 0),
                       nn_tensor(g, "k", QINFER_DTYPE_FLOAT, cases[i].kr, cases[i].kd, buf, 0),
                       nn_tensor(g, "v", QINFER_DTYPE_FLOAT, 3, cases[i].vd, buf, 0)};
    const int out = nn_output(g, "y");
    const int node = qi_graph_add_node(g, "FusedAttention", "ai.qinfer", in, 3, &out, 1);
    nn_name(g, node, "bad_fused");
    if (cases[i].perm) nn_attr_ints(g, node, cases[i].perm_name, 3, cases[i].perm);
    if (cases[i].scale) nn_attr_float(g, node, "scale", 0.5f);
    qi_error err = {0};
    const qi_status st = nn_run(g, node, NULL, &err);
    CHECK_MSG(st == cases[i].want && strstr(err.msg, "bad_fused"), "%s: %d %s", cases[i].what, st, err.msg);
    qi_graph_free(g);
  }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  const fcase cases[] = {
      {"2-D, no perms", 2, {0, 0}, 21, 70, 8, 17, {0, 1}, {0, 1}, {0, 1}, {0, 1}, 0.35f},
      {"ViT layout 3x50x64", 3, {3, 0}, 50, 50, 64, 64, {1, 0, 2}, {1, 2, 0}, {1, 0, 2}, {1, 0, 2}, 0.125f},
      {"4-D [B, S, H, D] storage", 4, {2, 3}, 13, 37, 16, 24, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 2, 1, 3},
       {0, 2, 1, 3}, 0.25f},
      {"4-D, K stored [B, H, D, Lk]", 4, {1, 2}, 7, 19, 32, 40, {0, 1, 2, 3}, {0, 1, 2, 3}, {1, 0, 2, 3},
       {1, 0, 2, 3}, 1.0f},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
  errors();
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
