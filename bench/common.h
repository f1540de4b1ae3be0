/* What every family's benchmarks share: names, skipped configs, buffers, the counters. */
#ifndef QI_BENCH_COMMON_H
#define QI_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/peak.h"
#include "bench/qbench.h"

/* Registers `kernel`/`shape` (a benchmark name: the ukernel's function name, then its shape) running fn with a
 * copy of arg. A kernel pointer already registered with the same shape (a config reusing another config's
 * kernel) is not registered twice. */
void qb_add(const char *kernel, const void *fn_ptr, const char *shape, qb_fn fn, const void *arg, size_t arg_size);
#define QB_ADD(kernel, fn_ptr, shape, fn, arg) qb_add((kernel), (const void *)(fn_ptr), (shape), (fn), &(arg), sizeof(arg))

/* true when this CPU can run code needing `features`; otherwise records "skipped.<name>: CPU lacks ..." in
 * the context for each of the n names (NULL names are ignored) and returns false. */
bool qb_runnable(const char *const *names, size_t n, uint32_t features);

/* The GOPS counter (ops_per_iteration / 1e9 per second) and, where the mix was probed, peak_pct (the share of
 * the probed peak in percent). */
void qb_report(qb_state *s, double ops_per_iteration, qb_peak mix);

/* Zero-filled memory aligned to 64 bytes, freed with qb_free; aborts when memory runs out. */
void *qb_alloc(size_t bytes);
void qb_free(void *p);
/* Deterministic pseudo-random fills. */
void qb_fill_f32(float *x, size_t n, float lo, float hi);
void qb_fill_u8(uint8_t *x, size_t n);
/* A float buffer of n values in [lo, hi) (qb_alloc'ed). */
float *qb_rand_f32(size_t n, float lo, float hi);
uint8_t *qb_rand_u8(size_t n);

/* The families' registration functions (bench/<family>.c), called once by main. */
void qb_register_f32_gemm(void);
void qb_register_f32_gemm_qb4w(void);
void qb_register_f32_conv(void);
void qb_register_f32_elementwise(void);
void qb_register_f32_rows(void);
void qb_register_f32_pool(void);
void qb_register_f32_attention(void);
void qb_register_qu8_gemm(void);
void qb_register_qu8_gemm_qb4w(void);
void qb_register_qu8_conv(void);
void qb_register_qu8_elementwise(void);
void qb_register_qu8_pool(void);
void qb_register_qs16_gemm(void);
void qb_register_qd8_f32_qb4w_gemm(void);

#endif /* QI_BENCH_COMMON_H */
