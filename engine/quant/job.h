/* The state of one `qinfer quantize` run, shared by tools/cmd_quantize.c (options, samples, calibration, writing)
 * and tools/quantize_mixed.c (the --target-sqnr search). */
#ifndef QI_QUANT_JOB_H
#define QI_QUANT_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"
#include "engine/quant/io/host_tensor.h"
#include "engine/quant/image/preprocess.h"
#include "engine/quant/quantize.h"

#define MAX_EXCLUDE 256

typedef struct quant_args {
  const char *model, *output, *calib;
  qz_options o;
  const char *exclude[MAX_EXCLUDE];
  int64_t max_samples, threads, max_float;
  bool no_trim;
  double target_sqnr; /* 0: no mixed-precision search */
  qi_preprocess pre;
} quant_args;

typedef struct sample_list {
  char **paths;
  int n;
} sample_list;

typedef struct job {
  quant_args *a;
  qinfer_model *model;
  qinfer_session_options *opts;
  qinfer_session *session; /* the FP32 model, every intermediate kept (calibration) */
  qi_graph *g;             /* the analysis graph the plans are made on */
  qz_plan plan;            /* the plan of the user's options (decides what is calibrated) */
  qz_stats *stats;
  sample_list lists[16];
  int n_inputs, n_samples;
  int *session_index; /* per graph tensor: index among the session's readable tensors, or -1 */
} job;

/* Loads sample s for every model input (images through the preprocessing options). Returns an exit code. */
int qz_job_load_sample_set(job *j, int s, qi_host_tensor *tensors);
void qz_job_free_sample_set(job *j, qi_host_tensor *tensors);
/* The QDQ graph for options o: plan, calibrated (and trimmed) ranges, rewrite of the model as loaded. */
int qz_job_build_int8(job *j, const qz_options *o, qi_graph **out, qz_report *rep);
/* --target-sqnr: extends o->exclude with the nodes to keep in float (tools/quantize_mixed.c). */
int qz_job_mixed_precision(job *j, qz_options *o);

#endif /* QI_QUANT_JOB_H */
