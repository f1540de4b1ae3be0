/* A C interface to Google Benchmark (bench/qbench.cc is its only C++ user), so that every microbenchmark of
 * qinfer_microbench is written in C:
 *
 *   static void bench_x(qb_state *s, const void *arg) {
 *     const my_args *a = arg;          set-up here (allocate, pack) is not timed
 *     while (qb_keep_running(s)) ...   the timed loop
 *     qb_counter_rate(s, "GOPS", ops_per_iteration * 1e-9);
 *   }
 *   qb_register("qi_..._ukernel_4x8__scalar/M:64/N:3136/K:576", bench_x, &args, sizeof args);
 *   return qb_run(argc, argv);
 */
#ifndef QI_QBENCH_H
#define QI_QBENCH_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qb_state qb_state;
typedef void (*qb_fn)(qb_state *state, const void *arg);

/* Registers benchmark `name`: fn runs with a copy of arg (arg_size bytes, taken now). */
void qb_register(const char *name, qb_fn fn, const void *arg, size_t arg_size);
/* The timed loop's condition: true while Google Benchmark wants another iteration. */
bool qb_keep_running(qb_state *state);
/* Stop and restart the clock inside the loop (work that is not part of what is measured). */
void qb_pause_timing(qb_state *state);
void qb_resume_timing(qb_state *state);
/* A counter reported as per_iteration * iterations / seconds (a rate: GOPS from the ops of one iteration). */
void qb_counter_rate(qb_state *state, const char *name, double per_iteration);
/* A counter reported as it is. */
void qb_counter(qb_state *state, const char *name, double value);
/* Marks the run as failed with a message (the benchmark's loop must then not run). */
void qb_fail(qb_state *state, const char *message);
/* A key: value line of the context printed before the results (and in the JSON output). */
void qb_context(const char *key, const char *value);
/* Parses Google Benchmark's options from argv (it removes those it knows), rejects any other argument, runs the
 * registered benchmarks the options select. Returns the process exit status. */
int qb_run(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* QI_QBENCH_H */
