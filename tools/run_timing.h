/* Timing of repeated runs of one session: `qinfer bench`'s measurement, shared with `qinfer sweep` so that both
 * report the same figures the same way (warm-up runs untimed, then each run timed with the monotonic clock). */
#ifndef QI_TOOLS_RUN_TIMING_H
#define QI_TOOLS_RUN_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qinfer.h"

/* How to time: warmup untimed runs, then timed runs until both `runs` and min_time_s are reached; profile: keep
 * each node's time of every run too (the session must have been created with profiling on). */
typedef struct qi_timing_plan {
  int64_t warmup, runs;
  double min_time_s;
  bool profile;
} qi_timing_plan;

/* --profile: each node's median time over the timed runs, beside the session's records (which own the strings). */
typedef struct qi_node_times {
  const qinfer_node_profile *rec; /* per node, in execution order */
  size_t count;
  double *median_ms;              /* per node (malloc'ed; the caller frees it) */
} qi_node_times;

typedef struct qi_bench_result {
  double load_ms, create_ms;
  double median, min, mean, p90, max; /* ms per run */
  double cpu_median; /* CPU time of the process per run (all its threads), ms: the median */
  int64_t runs, macs;
  size_t arena_bytes;
  double bind_ms; /* binding an input set: resizing the session to its shapes, then setting the inputs */
  int threads;
  long peak_rss_kb;
  long rss_kb; /* resident after the runs */
  qi_node_times prof; /* profile */
} qi_bench_result;

/* Runs session as plan says and fills r's run statistics (median, min, mean, p90, max, cpu_median, runs; prof with
 * plan->profile): the median of an even count is the mean of the middle two, p90 the nearest-rank percentile.
 * A failed run is reported (qi_cli_api_error). Returns an exit code. */
int qi_time_runs(const qi_timing_plan *plan, qinfer_session *session, qi_bench_result *r);

#endif /* QI_TOOLS_RUN_TIMING_H */
