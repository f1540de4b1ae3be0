/* Shared by the integer convolution / matmul op tests (test_ops_quant_conv.c, test_ops_quant_matmul.c): a
 * deterministic generator, the thread pools (inline, 2 and 3 threads) and the ISA paths of this CPU that every
 * case runs on (the others are reported as skipped). */
#ifndef QI_QUANT_GEMM_HARNESS_H
#define QI_QUANT_GEMM_HARNESS_H

#include <stdio.h>

#include "engine/threadpool.h"
#include "kernels/isa.h"
#include "nn_harness.h"

static qi_threadpool *qh_pools[3]; /* NULL (inline), 2 threads, 3 threads */
static qi_isa qh_isas[8];
static int qh_n_isas;

static inline uint32_t qh_rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static inline int qh_rnd_range(uint32_t *s, int lo, int hi) { return lo + (int)(qh_rnd(s) % (uint32_t)(hi - lo + 1)); }

static inline void qh_setup(void) {
  qh_pools[1] = qi_threadpool_create(2);
  qh_pools[2] = qi_threadpool_create(3);
  const qi_isa all[] = {QI_ISA_SCALAR, QI_ISA_AVX2, QI_ISA_AVXVNNI, QI_ISA_AVX512VNNI,
                            QI_ISA_NEON, QI_ISA_NEONDOT, QI_ISA_NEONI8MM};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (qi_isa_available(all[i])) qh_isas[qh_n_isas++] = all[i];
    else printf("ISA path %s: skipped (not available on this CPU)\n", qi_isa_name(all[i]));
  }
}

/* Sets a fused clamp (act != 0) and runs node; on failure reports the error and frees the graph. */
static inline int qh_run(qi_graph *gr, int node, int act, float act_min, float act_max, qi_threadpool *pool) {
  if (act) th_set_act(gr, node, QI_ACT_CLAMP, act_min, act_max, 0.0f);
  qi_error err = {0};
  const qi_status st = nn_run(gr, node, pool, &err);
  CHECK_MSG(st == QINFER_OK, "%s", err.msg);
  if (st != QINFER_OK) qi_graph_free(gr);
  return st == QINFER_OK;
}

static inline void qh_teardown(void) {
  qi_threadpool_destroy(qh_pools[1]);
  qi_threadpool_destroy(qh_pools[2]);
}

#endif /* QI_QUANT_GEMM_HARNESS_H */
