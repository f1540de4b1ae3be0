/* Attention (opset 23) against a naive oracle in double: MHA / GQA / MQA, 3-D and 4-D inputs, bool and float
 * masks with broadcasting, is_causal (with a past), scale, softcap, past_key / past_value with the present
 * outputs, qk_matmul_output modes, a fully masked row; thread-count invariance; errors. Cases without the
 * qk_matmul_output output, mask, causal, softcap or past take the f32 attention kernel (nn_attention_heads.h). */
#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3];

typedef struct attn_case {
  int three_d;
  int64_t b, hq, hkv, sq, skv, past, d, dv;
  int mask;          /* 0 none, 1 bool [Sq, T], 2 float [B, 1, Sq, T], 3 bool with a fully masked row */
  int causal, qk_mode;
  float scale, softcap; /* scale 0: default */
  int no_qk;            /* no qk_matmul_output output */
} attn_case;

static void run_attn(const attn_case *ac) {
  const int64_t T = ac->past + ac->skv;
  const size_t qn = (size_t)(ac->b * ac->hq * ac->sq * ac->d), kn = (size_t)(ac->b * ac->hkv * ac->skv * ac->d);
  const size_t vn = (size_t)(ac->b * ac->hkv * ac->skv * ac->dv), yn = (size_t)(ac->b * ac->hq * ac->sq * ac->dv);
  const size_t pkn = (size_t)(ac->b * ac->hkv * ac->past * ac->d), pvn = (size_t)(ac->b * ac->hkv * ac->past * ac->dv);
  const size_t mn = (size_t)(ac->mask == 2 ? ac->b * ac->sq * T : ac->sq * T), sn = (size_t)(ac->b * ac->hq * ac->sq * T);
  /* q4/k4/v4 in [B, H, S, D]; the 3-D inputs are their [B, S, H*D] transposes */
  float *q4 = malloc(qn * 4), *k4 = malloc(kn * 4), *v4 = malloc(vn * 4), *pk = malloc(pkn * 4 + 4), *pv = malloc(pvn * 4 + 4);
  float *q3 = malloc(qn * 4), *k3 = malloc(kn * 4), *v3 = malloc(vn * 4), *maskf = malloc(mn * 4);
  uint8_t *maskb = malloc(mn);
  double *ref = calloc(yn, sizeof(double)), *ref_qk = calloc(sn, sizeof(double));
  nn_fill(q4, qn, 31), nn_fill(k4, kn, 32), nn_fill(v4, vn, 33), nn_fill(pk, pkn, 34), nn_fill(pv, pvn, 35);
  nn_fill(maskf, mn, 36);
  for (size_t i = 0; i < mn; i++) maskb[i] = (i * 7) % 5 != 0;
  if (ac->mask == 3)
    for (int64_t j = 0; j < T; j++) maskb[1 * T + j] = 0; /* row 1 fully masked */
#define TO3(src, dst, H, S, D)                                                                          \
  for (int64_t b_ = 0; b_ < ac->b; b_++)                                                                \
    for (int64_t h_ = 0; h_ < H; h_++)                                                                  \
      for (int64_t s_ = 0; s_ < S; s_++)                                                                \
        for (int64_t d_ = 0; d_ < D; d_++)                                                              \
          dst[((b_ * S + s_) * H + h_) * D + d_] = src[((b_ * H + h_) * S + s_) * D + d_];
  TO3(q4, q3, ac->hq, ac->sq, ac->d);
  TO3(k4, k3, ac->hkv, ac->skv, ac->d);
  TO3(v4, v3, ac->hkv, ac->skv, ac->dv);
  const double scale = ac->scale != 0.0f ? ac->scale : 1.0 / sqrt((double)ac->d);
  for (int64_t b = 0; b < ac->b; b++)
    for (int64_t h = 0; h < ac->hq; h++) {
      const int64_t kh = h / (ac->hq / ac->hkv);
      for (int64_t i = 0; i < ac->sq; i++) {
        double s[256], mx = -INFINITY;
        double *qk = ref_qk + ((b * ac->hq + h) * ac->sq + i) * T;
        for (int64_t j = 0; j < T; j++) {
          const float *kr = j < ac->past ? pk + ((b * ac->hkv + kh) * ac->past + j) * ac->d
                                         : k4 + ((b * ac->hkv + kh) * ac->skv + j - ac->past) * ac->d;
          double dot = 0;
          for (int64_t d = 0; d < ac->d; d++) dot += (double)q4[((b * ac->hq + h) * ac->sq + i) * ac->d + d] * kr[d];
          s[j] = dot * scale;
          if (ac->qk_mode == 0) qk[j] = s[j];
          if (ac->softcap > 0) s[j] = ac->softcap * tanh(s[j] / ac->softcap);
          if (ac->qk_mode == 1) qk[j] = s[j];
          if (ac->mask == 1 || ac->mask == 3) s[j] += maskb[i * T + j] ? 0 : -INFINITY;
          if (ac->mask == 2) s[j] += maskf[(b * ac->sq + i) * T + j];
          if (ac->causal && j > i + ac->past) s[j] = -INFINITY;
          if (ac->qk_mode == 2) qk[j] = s[j];
          mx = fmax(mx, s[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < T; j++) sum += (s[j] = mx == -INFINITY ? 0 : exp(s[j] - mx));
        for (int64_t j = 0; j < T; j++) {
          const double pj = sum > 0 ? s[j] / sum : 0;
          if (ac->qk_mode == 3) qk[j] = pj;
          const float *vr = j < ac->past ? pv + ((b * ac->hkv + kh) * ac->past + j) * ac->dv
                                         : v4 + ((b * ac->hkv + kh) * ac->skv + j - ac->past) * ac->dv;
          for (int64_t d = 0; d < ac->dv; d++) {
            const int64_t yi = ac->three_d ? ((b * ac->sq + i) * ac->hq + h) * ac->dv + d : ((b * ac->hq + h) * ac->sq + i) * ac->dv + d;
            ref[yi] += pj * vr[d];
          }
        }
      }
    }
  float *first = NULL;
  for (int p = 0; p < 3; p++) {
    qi_graph *g = qi_graph_new();
    int in[6] = {-1, -1, -1, -1, -1, -1};
    if (ac->three_d) {
      const int64_t qd[3] = {ac->b, ac->sq, ac->hq * ac->d}, kd[3] = {ac->b, ac->skv, ac->hkv * ac->d};
      const int64_t vd[3] = {ac->b, ac->skv, ac->hkv * ac->dv};
      in[0] = nn_tensor(g, "q", QINFER_DTYPE_FLOAT, 3, qd, q3, 0);
      in[1] = nn_tensor(g, "k", QINFER_DTYPE_FLOAT, 3, kd, k3, 0);
      in[2] = nn_tensor(g, "v", QINFER_DTYPE_FLOAT, 3, vd, v3, 0);
    } else {
      const int64_t qd[4] = {ac->b, ac->hq, ac->sq, ac->d}, kd[4] = {ac->b, ac->hkv, ac->skv, ac->d};
      const int64_t vd[4] = {ac->b, ac->hkv, ac->skv, ac->dv};
      in[0] = nn_tensor(g, "q", QINFER_DTYPE_FLOAT, 4, qd, q4, 0);
      in[1] = nn_tensor(g, "k", QINFER_DTYPE_FLOAT, 4, kd, k4, 0);
      in[2] = nn_tensor(g, "v", QINFER_DTYPE_FLOAT, 4, vd, v4, 0);
    }
    if (ac->mask == 1 || ac->mask == 3) {
      const int64_t md[2] = {ac->sq, T};
      in[3] = nn_tensor(g, "mask", QINFER_DTYPE_BOOL, 2, md, maskb, 0);
    } else if (ac->mask == 2) {
      const int64_t md[4] = {ac->b, 1, ac->sq, T};
      in[3] = nn_tensor(g, "mask", QINFER_DTYPE_FLOAT, 4, md, maskf, 1);
    }
    if (ac->past) {
      const int64_t pkd[4] = {ac->b, ac->hkv, ac->past, ac->d}, pvd[4] = {ac->b, ac->hkv, ac->past, ac->dv};
      in[4] = nn_tensor(g, "past_k", QINFER_DTYPE_FLOAT, 4, pkd, pk, 0);
      in[5] = nn_tensor(g, "past_v", QINFER_DTYPE_FLOAT, 4, pvd, pv, 0);
    }
    int out[4] = {nn_output(g, "y"), ac->past ? nn_output(g, "present_k") : -1, ac->past ? nn_output(g, "present_v") : -1,
                  ac->no_qk ? -1 : nn_output(g, "qk")};
    const int node = qi_graph_add_node(g, "Attention", "", in, ac->past ? 6 : (in[3] >= 0 ? 4 : 3), out,
                                       ac->no_qk ? (ac->past ? 3 : 1) : 4);
    g->nodes[node].opset = 23;
    if (ac->three_d) {
      nn_attr_int(g, node, "q_num_heads", ac->hq);
      nn_attr_int(g, node, "kv_num_heads", ac->hkv);
    }
    if (ac->causal) nn_attr_int(g, node, "is_causal", 1);
    if (ac->scale != 0.0f) nn_attr_float(g, node, "scale", ac->scale);
    if (ac->softcap > 0) nn_attr_float(g, node, "softcap", ac->softcap);
    nn_attr_int(g, node, "qk_matmul_output_mode", ac->qk_mode);
    qi_error err = {0};
    CHECK_MSG(nn_run(g, node, pools[p], &err) == QINFER_OK, "%s", err.msg);
    double worst;
    const float *y = nn_out(g, node, 0);
    CHECK_MSG(nn_close(y, ref, yn, 1e-5, &worst), "Attention 3d%d B%lld Hq%lld Hkv%lld Sq%lld Skv%lld past%lld mask%d causal%d: %g",
              ac->three_d, (long long)ac->b, (long long)ac->hq, (long long)ac->hkv, (long long)ac->sq, (long long)ac->skv,
              (long long)ac->past, ac->mask, ac->causal, worst);
    /* qk output: compare finite entries, and -inf positions exactly */
    const float *qk = ac->no_qk ? NULL : nn_out(g, node, 3);
    int qk_ok = 1;
    for (size_t i = 0; qk && i < sn; i++)
      if (isinf(ref_qk[i]) ? qk[i] != (float)ref_qk[i] : fabs(qk[i] - ref_qk[i]) > 1e-5) qk_ok = 0;
    CHECK_MSG(qk_ok, "qk_matmul_output mode %d", ac->qk_mode);
    if (ac->past) {
      const float *pk_out = nn_out(g, node, 1), *pv_out = nn_out(g, node, 2);
      CHECK(memcmp(pk_out, pk, (size_t)(ac->past * ac->d) * 4) == 0);
      CHECK(memcmp(pk_out + ac->past * ac->d, k4, (size_t)(ac->skv * ac->d) * 4) == 0);
      CHECK(memcmp(pv_out + ac->past * ac->dv, v4, (size_t)(ac->skv * ac->dv) * 4) == 0);
    }
    if (!first) {
      first = malloc(yn * sizeof(float));
      memcpy(first, y, yn * sizeof(float));
    } else {
      CHECK(memcmp(first, y, yn * sizeof(float)) == 0);
    }
    qi_graph_free(g);
  }
  free(first), free(q4), free(k4), free(v4), free(pk), free(pv), free(q3), free(k3), free(v3), free(maskf), free(maskb);
  free(ref), free(ref_qk);
}

static void errors(void) {
  const float buf[256] = {0};
  const int64_t q[4] = {1, 3, 2, 4}, k[4] = {1, 2, 2, 4}, q3[3] = {1, 2, 8};
  struct { int rank; const int64_t *qd, *kd; qi_status want; } cases[] = {
      {4, q, k, QINFER_ERR_SHAPE},            /* 3 query heads over 2 kv heads */
      {3, q3, q3, QINFER_ERR_INVALID_MODEL}}; /* 3-D without head counts */
  for (size_t i = 0; i < 2; i++) {
    qi_graph *g = qi_graph_new();
    int in[3] = {nn_tensor(g, "q", QINFER_DTYPE_FLOAT, cases[i].rank, cases[i].qd, buf, 0),
                 nn_tensor(g, "k", QINFER_DTYPE_FLOAT, cases[i].rank, cases[i].kd, buf, 0),
                 nn_tensor(g, "v", QINFER_DTYPE_FLOAT, cases[i].rank, cases[i].kd, buf, 0)};
    int out = nn_output(g, "y");
    int node = qi_graph_add_node(g, "Attention", "", in, 3, &out, 1);
    nn_name(g, node, "bad_attn");
    qi_error err = {0};
    const qi_status st = nn_run(g, node, NULL, &err);
    CHECK_MSG(st == cases[i].want && strstr(err.msg, "bad_attn"), "case %zu: %d %s", i, st, err.msg);
    qi_graph_free(g);
  }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  const attn_case cases[] = {
      {0, 2, 4, 4, 5, 5, 0, 8, 8, 0, 0, 0, 0, 0, 0},        /* MHA 4-D */
      {1, 2, 6, 2, 7, 9, 0, 4, 6, 1, 0, 1, 0, 0, 0},        /* GQA 3-D, bool mask, cross lengths */
      {1, 1, 4, 1, 6, 6, 0, 8, 8, 0, 1, 2, 0, 0, 0},        /* MQA causal */
      {0, 2, 4, 2, 3, 4, 5, 8, 4, 2, 1, 3, 0.3f, 0, 0},     /* past + causal + float mask */
      {0, 1, 2, 2, 4, 4, 0, 16, 16, 0, 0, 1, 0, 2.0f, 0},   /* softcap */
      {1, 1, 2, 1, 3, 5, 2, 4, 4, 3, 0, 3, 0, 0, 0},        /* fully masked row -> zeros, with a past */
      {0, 1, 8, 4, 33, 40, 0, 32, 24, 1, 1, 0, 0, 0, 0},    /* larger */
      /* the plain cases, on the attention kernel */
      {0, 2, 4, 4, 5, 5, 0, 8, 8, 0, 0, 0, 0, 0, 1},     /* MHA 4-D */
      {1, 2, 6, 2, 7, 9, 0, 4, 6, 0, 0, 0, 0, 0, 1},     /* GQA 3-D, cross lengths */
      {0, 1, 8, 4, 33, 40, 0, 32, 24, 0, 0, 0, 0.2f, 0, 1}, /* GQA, explicit scale */
      {1, 1, 3, 3, 50, 50, 0, 64, 64, 0, 0, 0, 0, 0, 1}, /* the zoo ViT's heads */
      {0, 2, 2, 1, 13, 70, 0, 16, 20, 0, 0, 0, 0, 0, 1}, /* MQA, value head size off the vectors */
      {0, 1, 2, 2, 3, 4, 5, 8, 4, 0, 0, 0, 0, 0, 1},     /* a past: the row path, present outputs */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_attn(&cases[i]);
  errors();
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
