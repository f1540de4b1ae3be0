/* What the f32 kernel testers (test_f32_vunary.c, test_f32_vbinary.c, test_f32_reduce.c, ...) share: a seeded
 * generator, the row lengths every elementwise and row tester runs, guarded buffers and the comparison of a float
 * output against a double-precision oracle.
 *
 * Lengths: every one from 0 to 33, so every tail 1..15 after none, one or two vectors of 4 (NEON), 8 (AVX2) or
 * 16 (AVX-512) floats is met, then below / at / above the unrolls 48 and 64, and long rows (128, 256, 1000,
 * 1031). Buffers start one float past a 64-byte boundary (as a slice of a tensor may) and lie between guard
 * floats that a kernel must not write. */
#ifndef QI_TEST_F32_TESTER_H
#define QI_TEST_F32_TESTER_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define FT_U (1.0 / 16777216.0) /* 2^-24: the unit roundoff of binary32 (half an ulp, relative) */

static const size_t ft_sizes[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,  12,  13,  14,  15,  16,   17,
                                  18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,  30,  31,  32,  33,  47,   48,
                                  49, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 1031};
#define FT_NSIZES (sizeof ft_sizes / sizeof ft_sizes[0])
#define FT_MAXN 1031

static inline uint32_t ft_next(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}
/* A seed of its own for each kernel, from its name (FNV-1a): the same inputs on every run. */
static inline uint32_t ft_seed(const char *name) {
  uint32_t h = 2166136261u;
  for (; *name; name++) h = (h ^ (uint8_t)*name) * 16777619u;
  return h ? h : 1;
}
/* Uniform in [lo, hi]. */
static inline float ft_uniform(uint32_t *s, float lo, float hi) {
  return lo + (hi - lo) * (float)(ft_next(s) >> 8) / 16777215.0f;
}

/* A buffer of n floats at an address one float past a 64-byte boundary, between guards. */
#define FT_GUARD 16
#define FT_GUARD_VALUE -1234.5f
typedef struct ft_buf {
  float *base, *p;
  size_t n;
} ft_buf;

static inline ft_buf ft_alloc(size_t n) {
  ft_buf b = {NULL, NULL, n};
  b.base = aligned_alloc(64, ((n + 2 * FT_GUARD + 16) * sizeof(float) + 63) / 64 * 64);
  b.p = b.base + 16 + 1;
  for (size_t i = 0; i < n + 2 * FT_GUARD; i++) b.base[16 + 1 - FT_GUARD + i] = FT_GUARD_VALUE;
  return b;
}
/* Refills the guards (the buffer may have been reused for a shorter row). */
static inline void ft_guard(ft_buf *b, size_t n) {
  for (size_t i = 0; i < FT_GUARD; i++) b->p[n + i] = FT_GUARD_VALUE, b->p[-1 - (ptrdiff_t)i] = FT_GUARD_VALUE;
}
static inline bool ft_guard_ok(const ft_buf *b, size_t n) {
  for (size_t i = 0; i < FT_GUARD; i++)
    if (b->p[n + i] != FT_GUARD_VALUE || b->p[-1 - (ptrdiff_t)i] != FT_GUARD_VALUE) return false;
  return true;
}
static inline void ft_free(ft_buf *b) { free(b->base); }

/* got within tol of want; a NaN wants NaN, an infinite or out-of-range want the same infinity, and tol 0 the
 * exact value (the float nearest want: want is exact in every use with tol 0). */
static inline bool ft_close(float got, double want, double tol) {
  if (isnan(want)) return isnan(got);
  const float wf = (float)want;
  if (isinf(wf)) return got == wf;
  if (tol == 0.0) return got == wf;
  return fabs((double)got - want) <= tol;
}

/* Count a mismatch (or a write outside the output) and print the first few of a kernel. */
static inline void ft_mismatch(int *bad, const char *name, const char *what, size_t n, size_t i, float got, double want,
                               double tol) {
  if ((*bad)++ < 5)
    fprintf(stderr, "%s: %s n=%zu: y[%zu] = %.9g, want %.9g (tolerance %.3g)\n", name, what, n, i, (double)got, want,
            tol);
}
static inline void ft_outside(int *bad, const char *name, const char *what, size_t n) {
  if ((*bad)++ < 5) fprintf(stderr, "%s: %s n=%zu: wrote outside the output\n", name, what, n);
}

/* Checks and prints a kernel's result line: "<name>: <cases> cases ok" or "... FAILED". */
static inline void ft_report(const char *name, long long cases, int bad) {
  CHECK_MSG(bad == 0, "%s: %d mismatches", name, bad);
  printf("%s: %lld cases %s\n", name, cases, bad ? "FAILED" : "ok");
}

#endif /* QI_TEST_F32_TESTER_H */
