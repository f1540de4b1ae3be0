/* What test_ops_quant_qdq.c and test_ops_quant_elem.c share: thread pools and ISA paths to iterate, 8-bit
 * tensors, the naive QuantizeLinear oracle, and in-memory ONNX models for the public-API error tests. */
#ifndef QI_QUANT_ELEM_HARNESS_H
#define QI_QUANT_ELEM_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/threadpool.h"
#include "kernels/isa.h"
#include "nn_harness.h"
#include "test_loader_enc.h"

static qi_threadpool *qh_pools[3]; /* inline, 2 threads, 3 threads */
static const int qh_pool_threads[3] = {1, 2, 3};
static const qi_isa qh_isas[] = {QI_ISA_SCALAR, QI_ISA_AVX2, QI_ISA_NEON};

static inline void qh_init(void) {
  qh_pools[1] = qi_threadpool_create(2);
  qh_pools[2] = qi_threadpool_create(3);
  for (size_t i = 0; i < sizeof qh_isas / sizeof qh_isas[0]; i++)
    if (!qi_isa_available(qh_isas[i])) printf("%s: skipped (not available on this CPU)\n", qi_isa_name(qh_isas[i]));
}
static inline void qh_done(void) {
  qi_threadpool_destroy(qh_pools[1]);
  qi_threadpool_destroy(qh_pools[2]);
}

static uint32_t qh_rng = 2463534242u;
static inline uint32_t qh_next(void) {
  qh_rng ^= qh_rng << 13;
  qh_rng ^= qh_rng >> 17;
  qh_rng ^= qh_rng << 5;
  return qh_rng;
}
static inline float qh_frand(float lo, float hi) { return lo + (hi - lo) * (float)(qh_next() >> 8) / 16777216.0f; }

static inline int32_t qh_value(uint8_t b, int s8) { return s8 ? (int32_t)(int8_t)b : (int32_t)b; }
static inline int32_t qh_clamp(double v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : (int32_t)v; }
static inline int qh_dtype(int s8) { return s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8; }
static inline int32_t qh_qmin(int s8) { return s8 ? -128 : 0; }
static inline int32_t qh_qmax(int s8) { return s8 ? 127 : 255; }

/* ONNX QuantizeLinear of one float, computed plainly: x / scale in float, round half to even, + zp, saturate;
 * NaN -> zp (qinfer's choice). */
static inline int32_t qh_quantize(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float q = x / scale;
  if (isnan(q)) return zp;
  return qh_clamp(rint((double)q) + zp, qmin, qmax);
}

/* A zero point tensor of dtype with n values (int32 values given). */
static inline int qh_zp_tensor(qi_graph *g, const char *name, int dtype, int rank, const int64_t *dims,
                               const int32_t *v, int64_t n, int constant, void *storage) {
  for (int64_t i = 0; i < n; i++) {
    if (dtype == QINFER_DTYPE_UINT8) ((uint8_t *)storage)[i] = (uint8_t)v[i];
    else if (dtype == QINFER_DTYPE_INT8) ((int8_t *)storage)[i] = (int8_t)v[i];
    else if (dtype == QINFER_DTYPE_INT32) ((int32_t *)storage)[i] = v[i];
    else if (dtype == QINFER_DTYPE_INT16 || dtype == QINFER_DTYPE_UINT16) ((uint16_t *)storage)[i] = (uint16_t)v[i];
    else ((float *)storage)[i] = (float)v[i];
  }
  return nn_tensor(g, name, dtype, rank, dims, storage, constant);
}

/* Runs node on isa with pool: infer + prepare + run + release (outputs reused between runs). */
static inline qi_status qh_run(qi_graph *g, int node, qi_isa isa, qi_threadpool *pool, qi_error *err) {
  th_isa = isa;
  return nn_run(g, node, pool, err);
}

/* Expects status `want` with a message containing `needle`. */
#define QH_EXPECT_ERR(st, err, want, needle, what)                                                              \
  CHECK_MSG((st) == (want) && strstr((err).msg, (needle)) != NULL, "%s: status %d (want %d), message '%s' (want '%s')", \
            (what), (int)(st), (int)(want), (err).msg, (needle))

/* A one-node model in memory for the public-API tests: graph input x (float or 8-bit) of shape dims, the
 * node's other inputs as initializers (names in[1..], raw data), output y. */
typedef struct qh_init_tensor {
  const char *name;
  int dtype, rank;
  int64_t dims[4];
  const void *data;
  size_t nbytes;
} qh_init_tensor;

static inline void qh_model(pbw *m, const char *op, const char *domain, int opset, int x_dtype, int rank,
                            const int64_t *dims, const qh_init_tensor *inits, int n_inits, const char *const *in,
                            int n_in, int y_dtype, pbw *attrs) {
  pbw g = {0};
  for (int i = 0; i < n_inits; i++)
    enc_init_raw(&g, inits[i].name, inits[i].dtype, inits[i].dims, inits[i].rank, inits[i].data, inits[i].nbytes);
  const char *out[] = {"y"};
  enc_node(&g, op, "node0", domain, in, n_in, out, 1, attrs);
  enc_value_info(&g, G_INPUT, "x", x_dtype, dims, NULL, rank);
  enc_value_info(&g, G_OUTPUT, "y", y_dtype, NULL, NULL, -1);
  const char *domains[] = {"", "com.microsoft"};
  const int64_t versions[] = {opset, 1};
  enc_model(m, 8, domains, versions, 2, &g);
}

/* Loads the model and creates a session: the status of the first failure, its message in msg. */
static inline qinfer_status qh_session(const pbw *m, char *msg, size_t msg_size) {
  qinfer_model *model = NULL;
  qinfer_session *s = NULL;
  qinfer_status st = qinfer_model_load_buffer(m->p, m->n, NULL, &model);
  if (st == QINFER_OK) st = qinfer_session_create(model, NULL, &s);
  snprintf(msg, msg_size, "%s", st == QINFER_OK ? "" : qinfer_last_error());
  qinfer_session_destroy(s);
  qinfer_model_destroy(model);
  return st;
}

#endif /* QI_QUANT_ELEM_HARNESS_H */
