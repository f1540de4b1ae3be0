#include "bench/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/isa.h"

typedef struct registered {
  const void *fn;
  char text[96]; /* the shape, or the skipped name */
} registered;

/* Registered (kernel, shape) pairs, and skipped names as (NULL, name). */
static registered *seen;
static size_t seen_count, seen_cap;

static bool first_time(const void *fn, const char *text) {
  for (size_t i = 0; i < seen_count; i++)
    if (seen[i].fn == fn && strcmp(seen[i].text, text) == 0) return false;
  if (seen_count == seen_cap) {
    seen_cap = seen_cap ? 2 * seen_cap : 256;
    seen = realloc(seen, seen_cap * sizeof *seen);
    if (!seen) abort();
  }
  seen[seen_count].fn = fn;
  snprintf(seen[seen_count].text, sizeof seen[seen_count].text, "%s", text);
  seen_count++;
  return true;
}

/* QINFER_BENCH_ONE_SHAPE=1: each kernel at the first shape its family registers, nothing more (the smoke run under
 * qemu of tools/arm-static-check.sh, where every benchmark at every shape would take too long). */
static bool registered_before(const void *fn) {
  for (size_t i = 0; i < seen_count; i++)
    if (seen[i].fn == fn) return true;
  return false;
}

void qb_add(const char *kernel, const void *fn_ptr, const char *shape, qb_fn fn, const void *arg, size_t arg_size) {
  static int one_shape = -1;
  if (one_shape < 0) one_shape = getenv("QINFER_BENCH_ONE_SHAPE") && !strcmp(getenv("QINFER_BENCH_ONE_SHAPE"), "1");
  if (!kernel || !fn_ptr || (one_shape && registered_before(fn_ptr)) || !first_time(fn_ptr, shape)) return;
  char name[256];
  snprintf(name, sizeof name, "%s/%s", kernel, shape);
  qb_register(name, fn, arg, arg_size);
}

bool qb_runnable(const char *const *names, size_t n, uint32_t features) {
  const uint32_t missing = qi_cpu_missing(features);
  if (!missing) return true;
  char what[160] = "CPU lacks", key[192];
  const char *sep = " ";
  for (unsigned b = 0; b < QI_CPU_FEATURE_COUNT; b++)
    if (missing & (1u << b)) {
      const size_t len = strlen(what);
      snprintf(what + len, sizeof what - len, "%s%s", sep, qi_cpu_feature_name(1u << b));
      sep = ", ";
    }
  for (size_t i = 0; i < n; i++) {
    if (!names[i] || !first_time(NULL, names[i])) continue; /* a name listed twice (opc reused as ropc) */
    snprintf(key, sizeof key, "skipped.%s", names[i]);
    qb_context(key, what);
  }
  return false;
}

void qb_report(qb_state *s, double ops_per_iteration, qb_peak mix) {
  qb_counter_rate(s, "GOPS", ops_per_iteration * 1e-9);
  const double peak = qb_peak_ops(mix);
  if (peak > 0) qb_counter_rate(s, "peak_pct", ops_per_iteration * 100.0 / peak);
}

void *qb_alloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes ? (bytes + 63) / 64 * 64 : 64) != 0) abort();
  memset(p, 0, bytes);
  return p;
}

void qb_free(void *p) { free(p); }

static uint32_t rng_state = 0x9e3779b9u;
static uint32_t next_u32(void) { /* xorshift32 */
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

void qb_fill_f32(float *x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)(next_u32() >> 8) * (1.0f / 16777216.0f);
}

void qb_fill_u8(uint8_t *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = (uint8_t)(next_u32() >> 24);
}

float *qb_rand_f32(size_t n, float lo, float hi) {
  float *x = qb_alloc(n * sizeof *x);
  qb_fill_f32(x, n, lo, hi);
  return x;
}

uint8_t *qb_rand_u8(size_t n) {
  uint8_t *x = qb_alloc(n);
  qb_fill_u8(x, n);
  return x;
}
