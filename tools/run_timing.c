/* Timing of repeated session runs (tools/run_timing.h): `qinfer bench` and `qinfer sweep`. */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "tools/cli.h"
#include "tools/run_timing.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_of(double *t, size_t n) {
  qsort(t, n, sizeof *t, cmp_double);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* CPU time the process has used, all threads, in ms. */
static double cpu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* The profile records' times of the last run as row `run` of samples (samples[run * nodes + node]). */
static void keep_node_times(const qinfer_session *session, double *samples, int64_t run) {
  const qinfer_node_profile *rec;
  size_t count;
  if (qinfer_session_profile(session, &rec, &count) != QINFER_OK) return;
  for (size_t i = 0; i < count; i++) samples[(size_t)run * count + i] = rec[i].last_ms;
}

/* Fills r->prof from n rows of samples. Returns an exit code. */
static int node_medians(const qinfer_session *session, const double *samples, int64_t n, qi_bench_result *r) {
  if (qinfer_session_profile(session, &r->prof.rec, &r->prof.count) != QINFER_OK) return qi_cli_error("no profile");
  double *column = malloc(sizeof *column * (size_t)n);
  if (!column || !(r->prof.median_ms = calloc(r->prof.count + 1, sizeof(double)))) {
    free(column);
    return qi_cli_error("out of memory");
  }
  for (size_t i = 0; i < r->prof.count; i++) {
    for (int64_t k = 0; k < n; k++) column[k] = samples[(size_t)k * r->prof.count + i];
    r->prof.median_ms[i] = median_of(column, (size_t)n);
  }
  free(column);
  return QI_EXIT_OK;
}

/* Sorts t and fills the statistics: the median of an even count is the mean of the middle two; p90 is the
 * nearest-rank percentile (the smallest time that at least 90% of the runs do not exceed). */
static void summarize(double *t, int64_t n, qi_bench_result *r) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  double sum = 0;
  for (int64_t i = 0; i < n; i++) sum += t[i];
  r->runs = n;
  r->min = t[0];
  r->max = t[n - 1];
  r->mean = sum / (double)n;
  r->median = median_of(t, (size_t)n);
  int64_t rank = (int64_t)ceil(0.9 * (double)n);
  r->p90 = t[(rank < 1 ? 1 : rank) - 1];
}

/* Warm-up, then timed runs until both the run count and the minimum time are reached. */
int qi_time_runs(const qi_timing_plan *a, qinfer_session *session, qi_bench_result *r) {
  for (int64_t w = 0; w < a->warmup; w++) {
    qinfer_status s = qinfer_session_run(session);
    if (s != QINFER_OK) return qi_cli_api_error("run failed", s, qinfer_session_last_error(session));
  }
  int64_t cap = a->runs, n = 0;
  double *t = malloc(sizeof *t * (size_t)cap), total = 0, *samples = NULL, *cpu = malloc(sizeof *cpu * (size_t)cap);
  if (!t || !cpu) {
    free(t), free(cpu);
    return qi_cli_error("out of memory");
  }
  size_t nodes = 0;
  const qinfer_node_profile *rec;
  if (a->profile && qinfer_session_profile(session, &rec, &nodes) == QINFER_OK &&
      !(samples = malloc(sizeof *samples * (nodes * (size_t)cap + 1)))) {
    free(t), free(cpu);
    return qi_cli_error("out of memory");
  }
  while (n < a->runs || total < a->min_time_s * 1e3) {
    if (n == cap) {
      double *bigger = realloc(t, sizeof *t * (size_t)(cap * 2));
      if (bigger) t = bigger;
      double *cpu2 = bigger ? realloc(cpu, sizeof *cpu * (size_t)(cap * 2)) : NULL;
      if (cpu2) cpu = cpu2;
      double *more = cpu2 && samples ? realloc(samples, sizeof *samples * (nodes * (size_t)cap * 2 + 1)) : NULL;
      if (more) samples = more;
      if (!bigger || !cpu2 || (samples && !more)) {
        free(t), free(cpu), free(samples);
        return qi_cli_error("out of memory");
      }
      cap *= 2;
    }
    const double c0 = cpu_now_ms(), t0 = qi_cli_now_ms();
    qinfer_status s = qinfer_session_run(session);
    const double dt = qi_cli_now_ms() - t0;
    cpu[n] = cpu_now_ms() - c0;
    if (s != QINFER_OK) {
      free(t), free(cpu), free(samples);
      return qi_cli_api_error("run failed", s, qinfer_session_last_error(session));
    }
    if (samples) keep_node_times(session, samples, n);
    t[n++] = dt;
    total += dt;
  }
  summarize(t, n, r);
  r->cpu_median = median_of(cpu, (size_t)n);
  int rc = samples ? node_medians(session, samples, n, r) : QI_EXIT_OK;
  free(t), free(cpu), free(samples);
  return rc;
}