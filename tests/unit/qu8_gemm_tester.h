/* The tester of the qu8 gemm signature (kernels/qu8-gemm), shared by test_qu8_gemm.c (every listed kernel) and
 * test_qu8_gemm_contract.c (configs made up in the test: other k-blocks, int8 activations).
 *
 * A problem is C[M, N] = requant(bias + W[M, K] x (X[K, N] - x_zp)) with tensors in their own type (uint8, or
 * int8 when `int8`); qg_check packs it the way the ops do, only through the config (pack_w, packed_w_size,
 * init_params, mr / nr / kr and the activation domain), runs the ukernel panel by panel and compares every
 * output byte with the oracle (an int64 dot product, then tests/unit/requant_oracle.h), exactly. Two makers:
 *   - qg_random: random weights, activations, zero points, biases, per-channel scales, clamps;
 *   - qg_boundary: every output element sits on a rounding boundary, so that one unit of accumulator error in
 *     the direction the case targets changes every output byte (see qg_boundary). */
#ifndef QI_TEST_QU8_GEMM_TESTER_H
#define QI_TEST_QU8_GEMM_TESTER_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/qu8-gemm/qu8-gemm.h"
#include "requant_oracle.h"
#include "test_util.h"

static inline uint32_t qg_rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static inline int qg_range(uint32_t *s, int lo, int hi) { return lo + (int)(qg_rnd(s) % (uint32_t)(hi - lo + 1)); }

typedef struct qg_problem {
  size_t m, n, k;
  bool int8;      /* int8 activations and output (else uint8) */
  bool transpose; /* store C[m][n] at n * M + m (MatMul) instead of m * N + n */
  int8_t *w;      /* m x k */
  uint8_t *x;     /* k x n tensor bytes */
  int32_t *bias;  /* m */
  int32_t *col_bias; /* n, or NULL: the kernels' per-column term (params col_bias) */
  float *scale;   /* m */
  int32_t x_zp, y_zp, qmin, qmax; /* in the tensors' own type */
  int boundary_up; /* qg_boundary only: rows whose +1 (else -1) accumulator error changes every output: bit r%2 */
} qg_problem;

static inline void qg_alloc(qg_problem *p, size_t m, size_t n, size_t k, bool int8, bool transpose) {
  *p = (qg_problem){.m = m, .n = n, .k = k, .int8 = int8, .transpose = transpose, .boundary_up = -1};
  p->w = malloc(m * k);
  p->x = malloc(k * n);
  p->bias = malloc(m * sizeof(int32_t));
  p->scale = malloc(m * sizeof(float));
}
static inline void qg_free(qg_problem *p) { free(p->w), free(p->x), free(p->bias), free(p->col_bias), free(p->scale); }

/* Random column terms in the range of the biases (outputs spread over the range, not all saturated). */
static inline void qg_col_bias(qg_problem *p, uint32_t seed) {
  p->col_bias = malloc(p->n * sizeof(int32_t));
  for (size_t j = 0; j < p->n; j++) p->col_bias[j] = qg_range(&seed, -200000, 200000);
}

/* Random data over the whole ranges; `clamp` narrows [qmin, qmax] around y_zp. */
static inline void qg_random(qg_problem *p, uint32_t seed, bool clamp) {
  for (size_t i = 0; i < p->m * p->k; i++) p->w[i] = (int8_t)qg_range(&seed, -128, 127);
  for (size_t i = 0; i < p->k * p->n; i++) p->x[i] = (uint8_t)qg_range(&seed, 0, 255);
  const int32_t lo = p->int8 ? -128 : 0, hi = p->int8 ? 127 : 255;
  p->x_zp = qg_range(&seed, lo, hi), p->y_zp = qg_range(&seed, lo, hi);
  p->qmin = lo, p->qmax = hi;
  if (clamp) p->qmin = qg_range(&seed, lo, p->y_zp), p->qmax = qg_range(&seed, p->y_zp, hi);
  for (size_t i = 0; i < p->m; i++) {
    p->bias[i] = qg_range(&seed, -200000, 200000);
    /* spread the outputs over the whole range, some channels saturating */
    p->scale[i] = (float)((0.5 + (qg_rnd(&seed) % 1000) / 500.0) / (80.0 * sqrt((double)p->k) + 2000.0));
  }
}

/* Outputs on rounding boundaries. Weights are 16 a and activations x_zp + 16 b (a, b in [-8, 7]: every byte
 * value class, both signs), so acc = bias + 256 T with T = sum a b; the scale is 2^-7 and bias = 64 + 128 par,
 * so the exact result acc / 128 = 2 T + par + 0.5 is a tie: it rounds to the even neighbour, 2 T (par 0) or
 * 2 T + 2 (par 1). An accumulator one unit too high gives 2 T + 0.5 + 2^-7, which rounds to 2 T + 1: every
 * output of a par 0 row changes; one unit too low gives 2 T + 1.5 - 2^-7 -> 2 T + 1: every output of a par 1 row
 * changes. Rows alternate par, starting with `up` (0: par 0 first), so a case and its twin with the other `up`
 * catch both directions in every element. The activations are drawn column by column keeping |T| <= 60 for
 * every row (a term that would break the bound is redrawn small or dropped), so 2 T + par + 0.5 stays inside
 * [-127, 127] around the output zero point: nothing saturates. The ties also tell round-half-to-even from
 * round-half-away-from-zero (lrintf vs roundf) at every positive output. */
static inline void qg_boundary(qg_problem *p, uint32_t seed, int up) {
  const int32_t mid = p->int8 ? 0 : 128;
  p->x_zp = p->y_zp = mid;
  p->qmin = mid - 128, p->qmax = mid + 127;
  p->boundary_up = up;
  for (size_t i = 0; i < p->m * p->k; i++) p->w[i] = (int8_t)(16 * qg_range(&seed, -8, 7));
  for (size_t i = 0; i < p->m; i++) p->bias[i] = 64 + 128 * (int32_t)((i + (size_t)up) % 2), p->scale[i] = 0x1p-7f;
  int32_t *t = malloc(p->m * sizeof(int32_t));
  for (size_t j = 0; j < p->n; j++) {
    memset(t, 0, p->m * sizeof(int32_t));
    for (size_t kk = 0; kk < p->k; kk++) {
      int b = qg_range(&seed, -8, 7);
      for (int attempt = 0; attempt < 2; attempt++) {
        bool fits = true;
        for (size_t i = 0; i < p->m && fits; i++) fits = abs(t[i] + p->w[i * p->k + kk] / 16 * b) <= 60;
        if (fits) break;
        b = attempt == 0 ? qg_range(&seed, -1, 1) : 0;
      }
      for (size_t i = 0; i < p->m; i++) t[i] += p->w[i * p->k + kk] / 16 * b;
      p->x[kk * p->n + j] = (uint8_t)(mid + 16 * b); /* int8: the two's complement byte */
    }
  }
  free(t);
}

static inline int32_t qg_xval(const qg_problem *p, size_t kk, size_t j) {
  const uint8_t b = p->x[kk * p->n + j];
  return p->int8 ? (int32_t)(int8_t)b : (int32_t)b;
}

/* The exact accumulator of output (i, j), wrapped to int32 as the kernels accumulate. */
static inline int32_t qg_acc(const qg_problem *p, size_t i, size_t j) {
  int64_t acc = (int64_t)p->bias[i] + (p->col_bias ? p->col_bias[j] : 0);
  for (size_t kk = 0; kk < p->k; kk++) acc += (int64_t)p->w[i * p->k + kk] * (qg_xval(p, kk, j) - p->x_zp);
  return (int32_t)(uint32_t)acc;
}

/* qg_boundary's promise, checked on the oracle: one unit of accumulator error in the row's direction changes
 * output (i, j). */
static inline bool qg_sensitive(const qg_problem *p, size_t i, size_t j) {
  const int32_t acc = qg_acc(p, i, j), dir = ((i + (size_t)p->boundary_up) % 2) ? -1 : 1;
  return oracle_requant(acc, p->scale[i], p->y_zp, p->qmin, p->qmax) !=
         oracle_requant(acc + dir, p->scale[i], p->y_zp, p->qmin, p->qmax);
}

/* Packs p through cfg, runs its ukernel and compares with the oracle; prints the first mismatch. */
static inline bool qg_check(const qi_qu8_gemm_config *cfg, const qg_problem *p) {
  const size_t m = p->m, n = p->n, k = p->k;
  const uint8_t flip = qi_qu8_gemm_x_flip(cfg, p->int8);
  void *pw = malloc(cfg->packed_w_size(cfg, m, k));
  uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, n, cfg->nr, cfg->kr));
  const size_t c_size = m * n + 64;
  uint8_t *c = malloc(c_size);
  memset(c, 0xa5, c_size);
  cfg->pack_w(cfg, m, k, p->w, k, 1, p->bias, p->scale, qi_qu8_gemm_x_zero_point(cfg, p->x_zp, p->int8), pw);
  qi_qu8_gemm_pack_x(k, n, cfg->nr, cfg->kr, p->x, n, 1, flip, px);
  qi_qu8_gemm_params params = cfg->init_params(p->y_zp, p->qmin, p->qmax, p->int8);
  params.col_bias = p->col_bias;
  const size_t rs = p->transpose ? 1 : n, cs = p->transpose ? m : 1;
  const size_t panel = qi_qu8_gemm_panel_stride(cfg, k);
  for (size_t r0 = 0; r0 < m; r0 += cfg->mr)
    cfg->ukernel(m - r0 < cfg->mr ? m - r0 : cfg->mr, n, k, (const uint8_t *)pw + r0 / cfg->mr * panel, px,
                 c + r0 * rs, rs, cs, &params);
  bool ok = true;
  for (size_t i = 0; i < m && ok; i++)
    for (size_t j = 0; j < n && ok; j++) {
      const int32_t acc = qg_acc(p, i, j);
      const int32_t want = oracle_requant(acc, p->scale[i], p->y_zp, p->qmin, p->qmax);
      const uint8_t byte = c[i * rs + j * cs];
      const int32_t got = p->int8 ? (int8_t)byte : byte;
      if (got != want) {
        fprintf(stderr,
                "%s: M=%zu N=%zu K=%zu tile %zux%zuc%zu %s%s%s%s: c[%zu][%zu] = %d, want %d (acc %ld, scale %.9g, "
                "x_zp %d, y_zp %d, q [%d, %d])\n",
                cfg->name, m, n, k, cfg->mr, cfg->nr, cfg->kr, p->int8 ? "int8" : "uint8",
                p->transpose ? " transposed" : "", p->boundary_up >= 0 ? " boundary" : "",
                p->col_bias ? " col_bias" : "", i, j, got, want,
                (long)acc, (double)p->scale[i], p->x_zp, p->y_zp, p->qmin, p->qmax);
        ok = false;
      }
      if (p->boundary_up >= 0 && !qg_sensitive(p, i, j)) {
        fprintf(stderr, "qg_boundary: M=%zu N=%zu K=%zu: output (%zu, %zu) is off the boundary (acc %ld)\n", m, n,
                k, i, j, (long)acc);
        ok = false;
      }
    }
  for (size_t i = m * n; i < c_size && ok; i++)
    if (c[i] != 0xa5) {
      fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past the output\n", cfg->name, m, n, k);
      ok = false;
    }
  free(pw), free(px), free(c);
  return ok;
}

/* The random grid: M, N, K below / equal / above the tile and the k-block, uint8 and int8, both stores, clamps,
 * a real layer shape and the largest K. Returns the number of cases; *ok cleared on a failure. */
static inline int qg_random_grid(const qi_qu8_gemm_config *cfg, bool *ok) {
  const size_t mr = cfg->mr, nr = cfg->nr, kr = cfg->kr;
  const size_t ms[] = {1, mr > 1 ? mr - 1 : 1, mr, mr + 1, 2 * mr + 3, 24};
  const size_t ns[] = {1, nr > 1 ? nr - 1 : 1, nr, nr + 1, 3 * nr + 5, 49};
  const size_t ks[] = {1, 2, 3, kr, kr + 1, 2 * kr, 2 * kr + 1, 16, 27, 64, 147, 577};
  int cases = 0;
  for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
    for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
      for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++, cases++) {
        qg_problem p;
        qg_alloc(&p, ms[a], ns[b], ks[c], cases % 2, (cases / 2) % 3 == 0);
        qg_random(&p, 12345u + (uint32_t)cases, cases % 5 == 1);
        if (cases % 3 == 2) qg_col_bias(&p, 555u + (uint32_t)cases);
        *ok &= qg_check(cfg, &p);
        qg_free(&p);
      }
  const size_t big[][5] = {{24, 196, 2304, 0, 0}, {17, 33, 65536, 1, 0}, {33, 7, 4100, 1, 1}};
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++, cases++) {
    qg_problem p;
    qg_alloc(&p, big[i][0], big[i][1], big[i][2], big[i][3], big[i][4]);
    qg_random(&p, 99u + (uint32_t)i, i == 2);
    *ok &= qg_check(cfg, &p);
    qg_free(&p);
  }
  return cases;
}

/* The boundary grid: every row count up to MR and past it, every column count up to 2 NR + 1 (each tail of a
 * column block, the half blocks of the 32-column kernels), K within, at and past the k-block; both error
 * directions (the twin cases) in uint8 and int8, both stores. */
static inline int qg_boundary_grid(const qi_qu8_gemm_config *cfg, bool *ok) {
  const size_t ks[] = {1, cfg->kr + 1, 67};
  int cases = 0;
  for (size_t mi = 1; mi <= cfg->mr + 2; mi++) {
    const size_t m = mi <= cfg->mr + 1 ? mi : 2 * cfg->mr + 1; /* 1..MR, MR + 1, 2 MR + 1 */
    for (size_t n = 1; n <= 2 * cfg->nr + 1; n++)
      for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
        for (int up = 0; up <= 1; up++, cases++) {
          qg_problem p;
          qg_alloc(&p, m, n, ks[ki], (m + n + ki) % 2, (n + ki) % 3 == 0);
          qg_boundary(&p, 777u + (uint32_t)cases, up);
          *ok &= qg_check(cfg, &p);
          qg_free(&p);
        }
  }
  return cases;
}

#endif /* QI_TEST_QU8_GEMM_TESTER_H */
