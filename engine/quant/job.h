/* The state of one qinfer_quantize call (include/qinfer_quant.h), shared by engine/quant/quantize.c (calibration,
 * writing), engine/quant/samples.c (the sample sources) and engine/quant/mixed.c (the target-SQNR search); the
 * options object behind the public handle (engine/quant/options.c). */
#ifndef QI_QUANT_JOB_H
#define QI_QUANT_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/quant/api_error.h"
#include "engine/quant/image/preprocess.h"
#include "engine/quant/io/host_tensor.h"
#include "engine/quant/quantize.h"
#include "engine/session.h"
#include "qinfer_quant.h"

enum { QZ_MAX_INPUTS = 16 };

struct qinfer_quant_options {
  qz_options o; /* o.exclude: the names below */
  char **exclude;
  int cap_exclude;
  size_t max_samples; /* 0: all */
  int threads, max_float;
  bool no_trim;
  double target_sqnr; /* 0: no mixed-precision search */
  double min_low_bit_macs; /* the search keeps at least this % of MACs on <= 8 bits (0: no constraint) */
  qi_preprocess pre;
  bool pre_chosen; /* a preset ("none" included), a mean, a std or a scale was set: image samples are allowed */
  char *folder; /* samples from a folder, or else from the callback */
  size_t n_callback_samples;
  qinfer_quant_sample_fn sample_fn;
  void *sample_user;
  qinfer_quant_progress_fn progress;
  void *progress_user;
  qinfer_quant_message_fn message;
  void *message_user;
  qi_error err;
};

/* ---- sample sources (engine/quant/samples.c) ---- */

typedef struct qz_file_list {
  char **paths;
  int n;
} qz_file_list;

/* One input shape the samples come in: every input's dims. */
typedef struct qz_shape_group {
  int rank[QZ_MAX_INPUTS];
  int64_t dims[QZ_MAX_INPUTS][QINFER_MAX_RANK];
  size_t n; /* samples of this shape */
} qz_shape_group;

/* Where the samples come from: a folder's files (one list per model input) or the options' callback. */
typedef struct qz_source {
  const qinfer_quant_options *opt;
  const qinfer_model *model;
  int n_inputs;
  size_t n_samples;             /* after max_samples */
  qz_file_list lists[QZ_MAX_INPUTS]; /* folder only */
  qz_shape_group *groups;       /* the distinct shapes, in order of first appearance (qz_source_group_shapes) */
  int n_groups;
  int *group;                   /* per sample: its shape's index in groups */
} qz_source;

struct qinfer_quant_sample {
  const qz_source *src;
  qi_host_tensor t[QZ_MAX_INPUTS]; /* filled, owned */
  bool set[QZ_MAX_INPUTS];
  qi_error err;                    /* why a qinfer_quant_sample_set_input failed */
};

/* Lists the folder's samples (or counts the callback's); fails when there are none or they do not fit the
 * model's inputs. */
qi_status qz_source_open(qz_source *src, const qinfer_quant_options *opt, const qinfer_model *model, qi_error *err);
void qz_source_close(qz_source *src);
/* Loads sample `index` of every input into s (free with qz_sample_free, also after a failure). */
qi_status qz_sample_load(const qz_source *src, size_t index, qinfer_quant_sample *s, qi_error *err);
void qz_sample_free(qinfer_quant_sample *s);
/* Loads every sample once, checks it against the model's inputs (rank, fixed dims: QINFER_ERR_SHAPE naming the
 * sample, its shape and the input's) and groups the samples by shape (engine/quant/sample_shapes.c). */
qi_status qz_source_group_shapes(qz_source *src, qi_error *err);
/* qz_sample_load, failing when the sample's shape is no longer its group's (a callback that changed its mind). */
qi_status qz_sample_load_in_group(const qz_source *src, size_t index, qinfer_quant_sample *s, qi_error *err);
/* What names sample index (input `input`, or the sample as a whole for -1) in messages: its file, or
 * "sample N". */
const char *qz_sample_label(const qz_source *src, size_t index, int input, char *buf, size_t size);

/* ---- checks of the options against the model ---- */

/* Every exclusion names a node or a node output of the model as loaded; QINFER_ERR_INVALID_ARGUMENT naming the
 * first that does not, with up to 3 closest names (engine/quant/exclude.c). */
qi_status qz_check_excludes(const qinfer_model *model, const qz_options *o, qi_error *err);

/* ---- the job (engine/quant/quantize.c) ---- */

typedef struct qz_job {
  const qinfer_quant_options *opt;
  const qinfer_model *model;
  qz_source src;
  qinfer_session_options *sopts;
  qinfer_session *session; /* the FP32 model, every intermediate kept (calibration), at one shape group's shapes */
  int session_group;       /* the group j->session was built for, or -1 */
  qi_graph *g;             /* the analysis graph the plans are made on */
  qz_plan plan;            /* the plan of the user's options (decides what is calibrated) */
  qz_stats *stats;
  int n_inputs;
  int *session_index; /* per graph tensor: index among the session's readable tensors, or -1 */
  qi_error *err;
} qz_job;

/* Makes j->session the FP32 session of shape group `group` (the one held is destroyed first when it is of
 * another group: one calibration session at a time) and maps the planned tensors onto its tensors. */
qi_status qz_job_use_group(qz_job *j, int group);
/* The groups of samples 0 .. n-1 into order (room for min(n, j->src.n_groups)), ascending but j->session's group first
 * when it is among them (no session is rebuilt for it); returns their count. */
int qz_job_group_order(const qz_job *j, size_t n, int *order);
/* The QDQ graph for options o: plan, calibrated (and trimmed) ranges, rewrite of the model as loaded. */
qi_status qz_job_build_int8(qz_job *j, const qz_options *o, qi_graph **out, qz_report *rep);
/* What the target-SQNR search chose (engine/quant/mixed.c). */
typedef struct qz_mixed_result {
  double sqnr_db;           /* the output SQNR of the choice kept */
  int float_nodes, w8_nodes; /* nodes it kept in float / raised from 4-bit to int8 weights */
  int a16_tensors;          /* activations it raised from 8 to 16 bits */
  int64_t macs, macs_low;   /* MACs of the Conv / Gemm / MatMul nodes; those on <= 8-bit weights and activations */
  int64_t weight_bytes;     /* their weights at the widths chosen (float 4 bytes; scales not counted) */
} qz_mixed_result;

/* The target-SQNR search (engine/quant/mixed.c): extends o's exclusions (o->exclude must have room for
 * max_float more names) with the nodes to keep in float, o->w8 (room for every node of j->g) with the nodes whose
 * weights stay int8 under 4-bit weights and o->a16 (room for every tensor of j->g) with the activations raised to
 * 16 bits; *res gets what it chose. */
qi_status qz_job_mixed_precision(qz_job *j, qz_options *o, qz_mixed_result *res);
/* A line for the options' message callback (printf-style). */
void qz_job_message(const qz_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* QI_QUANT_JOB_H */
