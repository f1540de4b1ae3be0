/* qinfer_quantize (include/qinfer_quant.h): static post-training quantization to a QDQ model.
 *
 * The FP32 model runs over the samples in a session that keeps every tensor (and keeps Relu / Clip apart from the
 * op before them, so that their outputs are calibrated on their own); the plan (engine/quant/plan.c) is made on
 * an analysis graph whose tensors are the ones that session computes; each planned tensor's values go into the
 * statistics (engine/quant/calib.c), which give one range per tensor; the ranges are trimmed
 * (engine/quant/trim.c) and the model as loaded is rewritten into a QDQ graph (engine/quant/rewrite.c) and
 * written (engine/quant/writer/). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/op.h"
#include "engine/pipeline.h"
#include "engine/quant/gptq_collect.h"
#include "engine/quant/job.h"
#include "engine/quant/writer/onnx_writer.h"
#include "engine/quant/writer/opset_upgrade.h"
#include "loader/onnx_loader.h"

void qz_job_message(const qz_job *j, const char *fmt, ...) {
  if (!j->opt->message) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  j->opt->message(j->opt->message_user, line);
}

int qz_job_group_order(const qz_job *j, size_t n, int *order) {
  int count = 0;
  for (int g = 0; g < j->src.n_groups; g++) {
    bool used = false;
    for (size_t s = 0; !used && s < n; s++) used = j->src.group[s] == g;
    if (!used) continue;
    order[count++] = g;
    if (g == j->session_group) { /* the session held goes first */
      memmove(order + 1, order, sizeof(int) * (size_t)(count - 1));
      order[0] = g;
    }
  }
  return count;
}

/* The planned tensors' indices in j->session (by name: every group's session has them, bar any its shapes folded
 * to constants); nothing before the plan exists. */
static void map_planned_tensors(qz_job *j) {
  if (!j->session_index) return;
  for (int t = 0; t < j->g->n_tensors; t++)
    j->session_index[t] = j->plan.quantize[t] ? qinfer_session_tensor_index(j->session, j->g->tensors[t].name) : -1;
}

qi_status qz_job_use_group(qz_job *j, int group) {
  if (j->session && j->session_group == group) return QINFER_OK;
  qinfer_session_destroy(j->session); /* first: two calibration sessions never coexist */
  j->session = NULL;
  j->session_group = -1;
  const qz_shape_group *sg = &j->src.groups[group];
  for (int i = 0; i < j->n_inputs; i++) {
    qinfer_tensor_info info;
    qinfer_model_input_info(j->model, (size_t)i, &info);
    const qi_status st = qinfer_session_options_set_input_shape(j->sopts, info.name, sg->dims[i], sg->rank[i]);
    if (st != QINFER_OK) return qz_fail_call(j->err, "options", st, qinfer_last_error());
  }
  const qi_status st = qinfer_session_create(j->model, j->sopts, &j->session);
  if (st != QINFER_OK) {
    char label[320];
    size_t s = 0;
    while (j->src.group[s] != group) s++;
    return qi_fail(j->err, st, "creating the calibration session for the samples of %s's shape: %s",
                   qz_sample_label(&j->src, s, -1, label, sizeof label), qinfer_last_error());
  }
  j->session_group = group;
  map_planned_tensors(j);
  return QINFER_OK;
}

static size_t numel_of(int rank, const int64_t *dims) {
  size_t n = 1;
  for (int d = 0; d < rank; d++) n *= (size_t)dims[d];
  return n;
}

qi_status qz_job_run_sample(qz_job *j, size_t s, void (*read)(qz_job *j, void *user), void *user) {
  qinfer_quant_sample sample;
  qi_status st = qz_sample_load_in_group(&j->src, s, &sample, j->err);
  for (int i = 0; st == QINFER_OK && i < j->n_inputs; i++)
    if ((st = qinfer_session_set_input(j->session, (size_t)i, sample.t[i].data, sample.t[i].nbytes)) != QINFER_OK)
      qz_fail_call(j->err, "set input", st, qinfer_session_last_error(j->session));
  if (st == QINFER_OK && (st = qinfer_session_run(j->session)) != QINFER_OK) {
    char name[320];
    qz_fail_call(j->err, qz_sample_label(&j->src, s, -1, name, sizeof name), st,
                 qinfer_session_last_error(j->session));
  }
  if (st == QINFER_OK) read(j, user);
  qz_sample_free(&sample); /* last: the session reads its inputs in place, the input tensors included */
  return st;
}

/* Feeds each calibrated tensor of the sample just run to the statistics of this pass (user: bool, histograms). */
static void read_statistics(qz_job *j, void *user) {
  const bool histogram = *(const bool *)user;
  for (int t = 0; t < j->plan.n_tensors; t++) {
    if (!j->plan.quantize[t] || j->session_index[t] < 0) continue;
    qinfer_tensor_info info;
    const void *data;
    size_t nbytes;
    if (qinfer_session_tensor(j->session, (size_t)j->session_index[t], &info, &data, &nbytes) != QINFER_OK) continue;
    if (histogram) qz_stats_add_histogram(j->stats, t, data, nbytes / sizeof(float));
    else {
      qz_stats_add_minmax(j->stats, t, data, nbytes / sizeof(float));
      if (info.dtype == QINFER_DTYPE_FLOAT && nbytes == numel_of(info.rank, info.dims) * sizeof(float))
        qz_stats_add_channel_sums(j->stats, t, data, info.rank, info.dims);
    }
  }
}

/* Runs every sample, shape group by shape group (the session held first), into the statistics: one set of
 * statistics for all groups, so pass 1's min / max are over every shape before pass 2 histograms anything. */
static qi_status calibration_pass(qz_job *j, bool histogram, const char *label) {
  const size_t n = j->src.n_samples;
  int *order = malloc(sizeof(int) * ((size_t)j->src.n_groups + 1));
  if (!order) return qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  const int n_groups = qz_job_group_order(j, n, order);
  qi_status st = QINFER_OK;
  size_t done = 0;
  for (int k = 0; st == QINFER_OK && k < n_groups; k++) {
    st = qz_job_use_group(j, order[k]);
    for (size_t s = 0; st == QINFER_OK && s < n; s++) {
      if (j->src.group[s] != order[k] || (st = qz_job_run_sample(j, s, read_statistics, &histogram)) != QINFER_OK)
        continue;
      if (j->opt->progress) j->opt->progress(j->opt->progress_user, label, ++done, n);
    }
  }
  free(order);
  return st;
}

/* The graph the plan is made on: loaded, shapes bound as for the calibration session, folded, BatchNorm and
 * per-channel affine ops folded into the convolutions: its tensors are those the session computes. */
static qi_status build_analysis_graph(qz_job *j) {
  qi_error err = {0};
  const qinfer_model *m = j->model;
  qi_status st = qi_onnx_load(m->data, m->size, m->base_dir, &j->g, &err);
  if (st == QINFER_OK) st = qi_resolve_ops(j->g, &err);
  const qi_pipeline_options passes = {.bind_shapes = true, .shapes = j->sopts, .isa = qi_isa_best()};
  if (st == QINFER_OK) st = qi_run_pipeline(j->g, QI_STAGE_FLOAT_FOLDS, &passes, &err);
  return st == QINFER_OK ? QINFER_OK : qz_fail_call(j->err, "preparing the model", st, err.msg);
}

/* The graph that is rewritten and written: the model as loaded, with only the folds that do not depend on
 * input shapes (BatchNormalization and per-channel affine ops into convolutions), so symbolic dims and shape
 * computations survive and the quantized model takes the same input shapes as the original; a model below
 * opset 13 is upgraded to 13 (engine/quant/writer/opset_upgrade.h: standard per-axis QuantizeLinear /
 * DequantizeLinear, and ONNX Runtime fuses QDQ only from opset 10 on). */
static qi_status build_output_graph(qz_job *j, const qz_options *o, qi_graph **out) {
  qi_error err = {0};
  const qinfer_model *m = j->model;
  qi_status st = qi_onnx_load(m->data, m->size, m->base_dir, out, &err);
  if (st == QINFER_OK) st = qi_resolve_ops(*out, &err);
  const qi_pipeline_options passes = {.bind_shapes = false, .isa = qi_isa_best()};
  if (st == QINFER_OK) st = qi_run_pipeline(*out, QI_STAGE_FLOAT_FOLDS, &passes, &err);
  if (st != QINFER_OK) return qz_fail_call(j->err, "preparing the model", st, err.msg);
  const int opset = qz_required_opset(o);
  if ((st = qi_opset_upgrade_to(*out, j->g, opset, &err)) == QINFER_OK) st = qi_resolve_ops(*out, &err);
  if (st == QINFER_OK) return QINFER_OK;
  char what[64];
  snprintf(what, sizeof what, "writing the model at opset %d", opset);
  return qz_fail_call(j->err, what, st, err.msg);
}

/* The analysis graph's plan and ranges carried over to the output graph by tensor name: quantized activations
 * must be non-constant float tensors there too (a tensor the analysis folded stays as it is). */
static bool translate_plan(const qi_graph *from, const qz_plan *plan, const qz_range *ranges, const qi_graph *to,
                           qz_plan *out_plan, qz_range **out_ranges) {
  const int n = to->n_tensors;
  out_plan->n_tensors = n;
  out_plan->n_quantized_nodes = plan->n_quantized_nodes;
  out_plan->quantize = calloc((size_t)n + 1, sizeof(bool));
  out_plan->share = malloc(sizeof(int) * ((size_t)n + 1));
  *out_ranges = calloc((size_t)n + 1, sizeof(qz_range));
  int *index = malloc(sizeof(int) * ((size_t)from->n_tensors + 1));
  if (!out_plan->quantize || !out_plan->share || !*out_ranges || !index) {
    free(index);
    return false;
  }
  for (int t = 0; t < from->n_tensors; t++) index[t] = -1;
  for (int t = 0; t < n; t++) out_plan->share[t] = -1;
  for (int t = 0; t < from->n_tensors; t++) {
    if (!plan->quantize[t]) continue;
    const int u = qi_graph_find_tensor(to, from->tensors[t].name);
    if (u < 0 || (to->tensors[u].flags & QI_TF_CONST) ||
        (to->tensors[u].dtype != QINFER_DTYPE_FLOAT && to->tensors[u].dtype != QINFER_DTYPE_UNDEFINED))
      continue;
    index[t] = u;
  }
  for (int t = 0; t < from->n_tensors; t++) {
    const int u = index[t];
    if (u < 0) continue;
    const int src = plan->share[t] >= 0 ? plan->share[t] : t;
    out_plan->quantize[u] = true;
    (*out_ranges)[u] = ranges[src];
    (*out_ranges)[u].ch_sum = ranges[t].ch_sum; /* the tensor's own means (a shared range is another's) */
    (*out_ranges)[u].channels = ranges[t].channels;
    (*out_ranges)[u].ch_count = ranges[t].ch_count;
    (*out_ranges)[u].ch_sq = ranges[t].ch_sq;
    (*out_ranges)[u].last_sq = ranges[t].last_sq;
    (*out_ranges)[u].last_len = ranges[t].last_len;
    (*out_ranges)[u].last_count = ranges[t].last_count;
  }
  free(index);
  return true;
}

/* One news line with the shapes the samples come in: "[1,3,48,160] x3, [1,3,48,96] x1" (the first 8). */
static void announce_groups(const qz_job *j) {
  char list[768] = "";
  size_t used = 0;
  for (int g = 0; g < j->src.n_groups && g < 8 && used < sizeof list; g++) {
    const qz_shape_group *sg = &j->src.groups[g];
    for (int i = 0; i < j->n_inputs && used < sizeof list; i++) {
      char shape[160];
      qi_shape_str(sg->rank[i], sg->dims[i], shape, sizeof shape);
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? " " : (g ? ", " : ""), shape);
    }
    if (used < sizeof list) used += (size_t)snprintf(list + used, sizeof list - used, " x%zu", sg->n);
  }
  qz_job_message(j, "the %zu samples come in %d shapes (%s%s): one calibration session per shape, one at a time",
                 j->src.n_samples, j->src.n_groups, list, j->src.n_groups > 8 ? ", ..." : "");
}

static qi_status setup(qz_job *j) {
  const qinfer_quant_options *opt = j->opt;
  QI_CHECK(qz_check_excludes(j->model, &opt->o, j->err));
  QI_CHECK(qz_source_open(&j->src, opt, j->model, j->err));
  j->n_inputs = j->src.n_inputs;
  qi_status st = qinfer_session_options_create(&j->sopts);
  if (st != QINFER_OK) return qz_fail_call(j->err, "options", st, "");
  qinfer_session_options_set_threads(j->sopts, opt->threads);
  qinfer_session_options_set_keep_intermediates(j->sopts, 1);
  j->sopts->no_act_fusion = true; /* Relu / Clip outputs are calibrated on their own */
  /* Calibration runs the scalar FP32 kernels: the SIMD ones sum in another order per ISA (held to tolerances, not
   * bits), which moved the calibrated ranges by an ulp and so made the INT8 file depend on the CPU that wrote it. */
  qinfer_session_options_set_isa(j->sopts, QINFER_ISA_SCALAR);
  QI_CHECK(qz_source_group_shapes(&j->src, j->err));
  if (j->src.n_groups > 1) announce_groups(j);
  /* the analysis graph and the plan are made at the first sample's shapes (the options' shapes after this);
   * tensors are found by name in the sessions of the others */
  QI_CHECK(qz_job_use_group(j, j->src.group[0]));
  QI_CHECK(build_analysis_graph(j));
  QI_CHECK(qz_plan_make(j->g, &opt->o, &j->plan, j->err));
  j->stats = qz_stats_new(j->g, &j->plan, 2048);
  j->session_index = malloc(sizeof(int) * ((size_t)j->g->n_tensors + 1));
  if (!j->stats || !j->session_index) return qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  map_planned_tensors(j);
  return QINFER_OK;
}

qi_status qz_job_build_int8(qz_job *j, const qz_options *o, qi_graph **out, qz_report *rep) {
  *out = NULL;
  qz_plan plan = {0}, out_plan = {0};
  qz_range *ranges = calloc((size_t)j->g->n_tensors + 1, sizeof(qz_range)), *out_ranges = NULL;
  qi_error err = {0};
  qi_status st = ranges ? QINFER_OK : qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  if (st == QINFER_OK) st = qz_plan_make(j->g, o, &plan, j->err);
  if (st == QINFER_OK) {
    qz_stats_ranges(j->stats, o, ranges);
    if (!j->opt->no_trim) qz_ranges_trim(j->g, &plan, ranges);
    st = build_output_graph(j, o, out);
  }
  if (st == QINFER_OK && !translate_plan(j->g, &plan, ranges, *out, &out_plan, &out_ranges))
    st = qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  if (st == QINFER_OK && (st = qz_rewrite(*out, o, &out_plan, out_ranges, rep, &err)) != QINFER_OK)
    qz_fail_call(j->err, "quantizing", st, err.msg);
  if (st == QINFER_OK) rep->quantized_nodes = plan.n_quantized_nodes;
  free(ranges);
  free(out_ranges);
  qz_plan_free(&plan);
  qz_plan_free(&out_plan);
  if (st != QINFER_OK) {
    qi_graph_free(*out);
    *out = NULL;
  }
  return st;
}

static int64_t file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static qi_status finish(qz_job *j, const char *out_path, qinfer_quant_report *report) {
  const qinfer_quant_options *opt = j->opt;
  qz_options o = opt->o;
  /* the exclusions given, with room for the ones the target-SQNR search adds */
  const char **exclude = malloc(sizeof(char *) * ((size_t)o.n_exclude + (size_t)opt->max_float + 1));
  if (!exclude) return qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < o.n_exclude; i++) exclude[i] = o.exclude[i];
  o.exclude = exclude;
  /* the nodes the search raises from 4-bit to int8 weights: at most every node */
  const char **w8 = malloc(sizeof(char *) * ((size_t)j->g->n_nodes + 1));
  const char **a16 = malloc(sizeof(char *) * ((size_t)j->g->n_tensors + 1)); /* ... and the tensors it widens */
  if (!w8 || !a16) {
    free(exclude);
    free(w8);
    free(a16);
    return qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  o.w8 = w8, o.a16 = a16;
  o.n_w8 = o.n_a16 = 0;
  qz_mixed_result mix = {.sqnr_db = NAN};
  qi_status st = opt->target_sqnr > 0 ? qz_job_mixed_precision(j, &o, &mix) : QINFER_OK;
  qz_gptq_set gptq = {0};
  if (st == QINFER_OK && o.weight_method == QZ_WEIGHT_GPTQ && (st = qz_job_gptq(j, &o, &gptq)) == QINFER_OK)
    o.gptq = &gptq;
  qinfer_session_destroy(j->session); /* free the kept activations before the rewrite */
  j->session = NULL;
  qi_graph *out = NULL;
  qz_report rep;
  if (st == QINFER_OK) st = qz_job_build_int8(j, &o, &out, &rep);
  qi_error err = {0};
  if (st == QINFER_OK && (st = qi_onnx_write_file(out, out_path, &err)) != QINFER_OK)
    qz_fail_call(j->err, out_path, st, err.msg);
  qi_graph_free(out);
  if (st == QINFER_OK && o.gptq)
    qz_job_message(j, "GPTQ: %d of %d layers written with compensated weights", rep.gptq_layers, gptq.candidates);
  qz_gptq_set_free(&gptq);
  if (st == QINFER_OK && report) {
    *report = (qinfer_quant_report){
        .quantized_nodes = rep.quantized_nodes,
        .activations = rep.activations,
        .weights = rep.weights,
        .biases = rep.biases,
        .float_nodes = o.n_exclude - opt->o.n_exclude,
        .int8_weight_nodes = o.n_w8,
        .int16_activations = o.n_a16,
        .samples = j->src.n_samples,
        .shapes = (size_t)j->src.n_groups,
        .weight_bytes_fp32 = rep.weight_bytes_fp32,
        .weight_bytes_int8 = rep.weight_bytes_int8,
        .model_bytes = (int64_t)j->model->size,
        .output_bytes = file_size(out_path),
        .output_sqnr_db = mix.sqnr_db,
        .macs = mix.macs,
        .macs_low_bit = mix.macs_low,
        .mixed_weight_bytes = mix.weight_bytes,
    };
  }
  free(exclude);
  free(w8);
  free(a16);
  return st;
}

/* Weight-only quantization (float activations) or dynamic quantization: no samples, no calibration, no plan; the
 * rewrite quantizes the weights of every Conv / Gemm / MatMul with a constant weight that is not excluded (dynamic:
 * and puts a DynamicQuantizeLinear before it, engine/quant/dynamic.c). */
static qi_status uncalibrated(qz_job *j, const char *out_path, qinfer_quant_report *report) {
  const qz_options *o = &j->opt->o;
  QI_CHECK(qz_check_excludes(j->model, o, j->err));
  qi_graph *out = NULL;
  qi_status st = build_output_graph(j, o, &out);
  for (int i = 0; st == QINFER_OK && i < out->n_nodes; i++) /* as qz_plan_make refuses it with activations */
    if (!out->nodes[i].dead && (qi_node_op_flags(&out->nodes[i]) & QI_OPF_QUANTIZED))
      st = qi_node_fail(j->err, QINFER_ERR_INVALID_ARGUMENT, &out->nodes[i], "the model is already quantized");
  qz_plan plan = {0};
  qz_report rep;
  qi_error err = {0};
  if (st == QINFER_OK && o->dynamic) {
    if ((st = qz_rewrite_dynamic(out, o, &rep, &err)) != QINFER_OK) qz_fail_call(j->err, "quantizing", st, err.msg);
  } else if (st == QINFER_OK) {
    plan.n_tensors = out->n_tensors;
    plan.quantize = calloc((size_t)out->n_tensors + 1, sizeof(bool));
    plan.share = malloc(sizeof(int) * ((size_t)out->n_tensors + 1));
    if (!plan.quantize || !plan.share) st = qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    for (int t = 0; st == QINFER_OK && t < out->n_tensors; t++) plan.share[t] = -1;
    if (st == QINFER_OK && (st = qz_rewrite(out, o, &plan, NULL, &rep, &err)) != QINFER_OK)
      qz_fail_call(j->err, "quantizing", st, err.msg);
  }
  if (st == QINFER_OK && (st = qi_onnx_write_file(out, out_path, &err)) != QINFER_OK)
    qz_fail_call(j->err, out_path, st, err.msg);
  qz_plan_free(&plan);
  qi_graph_free(out);
  if (st == QINFER_OK && report)
    *report = (qinfer_quant_report){
        .quantized_nodes = rep.quantized_nodes,
        .activations = rep.activations,
        .weights = rep.weights,
        .weight_bytes_fp32 = rep.weight_bytes_fp32,
        .weight_bytes_int8 = rep.weight_bytes_int8,
        .model_bytes = (int64_t)j->model->size,
        .output_bytes = file_size(out_path),
        .output_sqnr_db = NAN,
    };
  return st;
}

qinfer_status qinfer_quantize(const qinfer_model *model, const qinfer_quant_options *options, const char *out_path,
                              qinfer_quant_report *report) {
  qi_error err = {0};
  if (!model || !options || !out_path)
    return qi_api_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "model, options and out_path must not be NULL"),
                       &err);
  if (qz_check_options(&options->o, &err) != QINFER_OK) return qi_api_fail(err.code, &err);
  qz_job j = {.opt = options, .model = model, .err = &err, .session_group = -1};
  if (options->o.weight_method == QZ_WEIGHT_GPTQ && (!qz_calibrates(&options->o) || options->target_sqnr > 0))
    return qi_api_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "GPTQ weights (--weight-method gptq) compensate "
                               "each layer's rounding for its calibrated inputs: they need static uint8 or int8 "
                               "activations (not float, not --dynamic) and go without --target-sqnr"),
                       &err);
  if (!qz_calibrates(&options->o)) {
    qi_status st = options->target_sqnr > 0
                       ? qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "a target SQNR chooses which activations to "
                                 "quantize by calibrated ranges: it needs uint8 or int8 activations, not %s",
                                 options->o.dynamic ? "dynamic ones (--dynamic)" : "float (weight-only)")
                       : uncalibrated(&j, out_path, report);
    return st == QINFER_OK ? QINFER_OK : qi_api_fail(st, &err);
  }
  qi_status st = setup(&j);
  if (st == QINFER_OK) st = calibration_pass(&j, false, "calibrating (min/max)");
  if (st == QINFER_OK && qz_method_needs_histogram(options->o.method))
    st = calibration_pass(&j, true, "calibrating (histograms)");
  if (st == QINFER_OK) st = finish(&j, out_path, report);
  qz_source_close(&j.src);
  qinfer_session_destroy(j.session);
  qinfer_session_options_destroy(j.sopts);
  qz_stats_free(j.stats);
  qz_plan_free(&j.plan);
  free(j.session_index);
  qi_graph_free(j.g);
  return st == QINFER_OK ? QINFER_OK : qi_api_fail(st, &err);
}
