/* qinfer quantize MODEL -o OUT.onnx --calib DIR [options]: static post-training quantization to a QDQ model.
 * The quantizer itself is tools/quantize/ (plan, calibration statistics, rewrite); this file reads the
 * options and the calibration samples, runs the FP32 model over them and writes the result. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/pipeline.h"
#include "engine/session.h"
#include "loader/onnx_loader.h"
#include "engine/quant/writer/onnx_writer.h"
#include "tools/cli.h"
#include "engine/quant/image/preprocess.h"
#include "engine/quant/io/npy.h"
#include "engine/quant/quantize.h"
#include "engine/quant/job.h"


void qi_cmd_quantize_usage(void) {
  printf("usage: qinfer quantize MODEL -o OUT.onnx --calib DIR [options]\n"
         "\n"
         "Static post-training quantization: runs MODEL (FP32) over the calibration samples in DIR, picks a range\n"
         "for every quantized tensor and writes a QDQ ONNX model (int8 weights, QuantizeLinear/DequantizeLinear\n"
         "around each quantized op) that qinfer runs with integer kernels and ONNX Runtime can run too.\n"
         "\n"
         "calibration samples (DIR):\n"
         "  one file per sample: .npy tensors (a leading batch dim of 1 may be left out) or .png/.jpg images;\n"
         "  a model with several inputs takes DIR/<input name>/ folders with the same number of files each\n"
         "\n"
         "options:\n"
         "  -o, --output FILE       where to write the quantized model (required)\n"
         "  --calib DIR             calibration samples (required)\n"
         "  --method M              minmax (default) | percentile | entropy | mse\n"
         "  --percentile P          share of values the percentile method keeps in range (default 99.99)\n"
         "  --per-channel           one weight scale per output channel (default)\n"
         "  --per-tensor            one weight scale per weight tensor\n"
         "  --activations T         uint8 (default) or int8 activations, asymmetric either way\n"
         "  --exclude NAME[,NAME]   keep these nodes (node or output tensor names) in float; repeatable\n"
         "  --max-samples N         use at most N samples\n"
         "  --target-sqnr DB        mixed precision: while the output SQNR against FP32 (on the first sample) is\n"
         "                          below DB, keep in float the nodes that lose most accuracy (measured per layer),\n"
         "                          1, 2, 4, ... at a time, up to --max-float N nodes (default 16)\n"
         "  --no-trim               keep each calibrated range whole (by default a range is cut where the\n"
         "                          elementwise ops reading it are constant, e.g. below -3 before a HardSwish)\n"
         "  --threads N             threads for the calibration runs (default 0: one per CPU)\n"
         "%s",
         qi_preprocess_usage);
}

static int parse_args(int argc, char **argv, quant_args *a) {
  memset(a, 0, sizeof *a);
  a->o.per_channel = true;
  a->o.act_dtype = QINFER_DTYPE_UINT8;
  a->o.method = QZ_MINMAX;
  a->o.percentile = 99.99;
  a->o.exclude = a->exclude;
  a->max_samples = INT32_MAX;
  a->max_float = 16;
  qi_preprocess_init(&a->pre);
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    int r;
    char perr[256];
    if ((r = qi_cli_option(argc, argv, &i, "--output", &v)) != 0 || (r = qi_cli_option(argc, argv, &i, "-o", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--output needs a file");
      a->output = v;
    } else if ((r = qi_cli_option(argc, argv, &i, "--calib", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--calib needs a folder");
      a->calib = v;
    } else if ((r = qi_cli_option(argc, argv, &i, "--method", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--method needs a value");
      if (!strcmp(v, "minmax")) a->o.method = QZ_MINMAX;
      else if (!strcmp(v, "percentile")) a->o.method = QZ_PERCENTILE;
      else if (!strcmp(v, "entropy")) a->o.method = QZ_ENTROPY;
      else if (!strcmp(v, "mse")) a->o.method = QZ_MSE;
      else return qi_cli_usage_error("quantize", "unknown method '%s' (minmax, percentile, entropy, mse)", v);
    } else if ((r = qi_cli_option(argc, argv, &i, "--percentile", &v)) != 0) {
      char *end;
      a->o.percentile = r > 0 ? strtod(v, &end) : 0;
      if (r < 0 || *end || !(a->o.percentile > 50.0 && a->o.percentile <= 100.0))
        return qi_cli_usage_error("quantize", "--percentile needs a number in (50, 100]");
    } else if (!strcmp(argv[i], "--per-channel")) {
      a->o.per_channel = true;
    } else if ((r = qi_cli_option(argc, argv, &i, "--target-sqnr", &v)) != 0) {
      char *end;
      a->target_sqnr = r > 0 ? strtod(v, &end) : -1;
      if (r < 0 || *end || !(a->target_sqnr > 0 && a->target_sqnr <= 200))
        return qi_cli_usage_error("quantize", "--target-sqnr needs a number of dB in (0, 200]");
    } else if ((r = qi_cli_option(argc, argv, &i, "--max-float", &v)) != 0) {
      if (r < 0 || !qi_cli_parse_int64(v, 0, MAX_EXCLUDE / 2, &a->max_float))
        return qi_cli_usage_error("quantize", "--max-float needs a number of nodes in 0..%d", MAX_EXCLUDE / 2);
    } else if (!strcmp(argv[i], "--no-trim")) {
      a->no_trim = true;
    } else if (!strcmp(argv[i], "--per-tensor")) {
      a->o.per_channel = false;
    } else if ((r = qi_cli_option(argc, argv, &i, "--activations", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--activations needs uint8 or int8");
      if (!strcmp(v, "uint8")) a->o.act_dtype = QINFER_DTYPE_UINT8;
      else if (!strcmp(v, "int8")) a->o.act_dtype = QINFER_DTYPE_INT8;
      else return qi_cli_usage_error("quantize", "--activations must be uint8 or int8, not '%s'", v);
    } else if ((r = qi_cli_option(argc, argv, &i, "--exclude", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--exclude needs node names");
      char *list = (char *)v; /* argv strings are writable */
      for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (a->o.n_exclude == MAX_EXCLUDE) return qi_cli_usage_error("quantize", "more than %d --exclude names", MAX_EXCLUDE);
        a->exclude[a->o.n_exclude++] = tok;
      }
    } else if ((r = qi_cli_option(argc, argv, &i, "--max-samples", &v)) != 0) {
      if (r < 0 || !qi_cli_parse_int64(v, 1, INT32_MAX, &a->max_samples))
        return qi_cli_usage_error("quantize", "--max-samples needs a positive number");
    } else if ((r = qi_cli_option(argc, argv, &i, "--threads", &v)) != 0) {
      if (r < 0 || !qi_cli_parse_int64(v, 0, 1024, &a->threads))
        return qi_cli_usage_error("quantize", "--threads needs a number in 0..1024");
    } else if ((r = qi_preprocess_arg(&a->pre, argc, argv, &i, perr, sizeof perr)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "%s", perr);
    } else {
      const int rc = qi_cli_model_arg("quantize", argv[i], &a->model);
      if (rc != QI_EXIT_OK) return rc;
    }
  }
  if (!a->model) return qi_cli_usage_error("quantize", "no model given");
  if (!a->output) return qi_cli_usage_error("quantize", "no output file given (-o OUT.onnx)");
  if (!a->calib) return qi_cli_usage_error("quantize", "no calibration folder given (--calib DIR)");
  return QI_EXIT_OK;
}

/* ---- calibration samples ---- */

static bool has_ext(const char *name, const char *ext) {
  const size_t n = strlen(name), e = strlen(ext);
  return n > e && strcasecmp(name + n - e, ext) == 0;
}

static bool is_sample_file(const char *name) {
  return has_ext(name, ".npy") || has_ext(name, ".png") || has_ext(name, ".jpg") || has_ext(name, ".jpeg");
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_list(sample_list *l) {
  for (int i = 0; i < l->n; i++) free(l->paths[i]);
  free(l->paths);
  l->paths = NULL;
  l->n = 0;
}

/* The sample files of folder dir, sorted by name. */
static int list_samples(const char *dir, sample_list *l) {
  DIR *d = opendir(dir);
  if (!d) return qi_cli_error("cannot open calibration folder '%s'", dir);
  struct dirent *e;
  int cap = 0;
  while ((e = readdir(d))) {
    if (!is_sample_file(e->d_name)) continue;
    if (l->n == cap) {
      cap = cap ? cap * 2 : 64;
      char **grown = realloc(l->paths, sizeof(char *) * (size_t)cap);
      if (!grown) break;
      l->paths = grown;
    }
    const size_t len = strlen(dir) + strlen(e->d_name) + 2;
    if (!(l->paths[l->n] = malloc(len))) break;
    snprintf(l->paths[l->n++], len, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  if (l->n > 1) qsort(l->paths, (size_t)l->n, sizeof(char *), by_name);
  return QI_EXIT_OK;
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One list per model input: DIR/<name>/ (raw or sanitised) when it exists, else DIR itself (one input). */
static int find_samples(const char *dir, const qinfer_model *m, sample_list *lists, int *n_samples) {
  const int n_in = (int)qinfer_model_input_count(m);
  for (int i = 0; i < n_in; i++) {
    qinfer_tensor_info info;
    qinfer_model_input_info(m, (size_t)i, &info);
    char clean[256], path[1024];
    qi_cli_sanitize_name(info.name, clean, sizeof clean);
    snprintf(path, sizeof path, "%s/%s", dir, info.name);
    if (!is_dir(path)) snprintf(path, sizeof path, "%s/%s", dir, clean);
    if (!is_dir(path)) {
      if (n_in > 1)
        return qi_cli_error("the model has %d inputs: --calib needs a folder per input (missing '%s/%s/')", n_in,
                            dir, clean);
      snprintf(path, sizeof path, "%s", dir);
    }
    const int rc = list_samples(path, &lists[i]);
    if (rc != QI_EXIT_OK) return rc;
    if (lists[i].n == 0) return qi_cli_error("no .npy / .png / .jpg samples in '%s'", path);
    if (i > 0 && lists[i].n != lists[0].n)
      return qi_cli_error("input '%s' has %d samples but the first input has %d", info.name, lists[i].n, lists[0].n);
  }
  *n_samples = n_in ? lists[0].n : 0;
  return QI_EXIT_OK;
}

/* Loads sample file `path` for model input `info` as a float tensor (images through the preprocessing). */
static int load_sample(const char *path, const qinfer_tensor_info *info, const qi_preprocess *pre,
                       qi_host_tensor *t) {
  qi_error err = {0};
  memset(t, 0, sizeof *t);
  if (has_ext(path, ".npy")) {
    if (qi_npy_read(path, t, &err) != QINFER_OK) return qi_cli_error("%s: %s", path, err.msg);
    if (t->dtype != info->dtype) {
      qi_host_tensor_free(t);
      return qi_cli_error("%s: dtype %s, the model's input '%s' is %s", path, qi_host_dtype_name(t->dtype),
                          info->name, qi_host_dtype_name(info->dtype));
    }
    if (t->rank == info->rank - 1 && t->rank < QINFER_MAX_RANK) { /* no batch dim: add one */
      memmove(t->dims + 1, t->dims, sizeof(int64_t) * (size_t)t->rank);
      t->dims[0] = 1;
      t->rank++;
    }
    return QI_EXIT_OK;
  }
  char ierr[256];
  qi_image img = {0};
  if (qi_image_load(path, &img, ierr, sizeof ierr) != 0) return qi_cli_error("%s: %s", path, ierr);
  int64_t dims[4];
  qi_layout layout;
  int rc = qi_preprocess_shape(pre, info->rank, info->dims, dims, &layout, ierr, sizeof ierr);
  const int h = (int)(layout == QI_LAYOUT_NHWC ? dims[1] : dims[2]), w = (int)(layout == QI_LAYOUT_NHWC ? dims[2] : dims[3]);
  if (rc == 0 && qi_host_tensor_alloc(t, QINFER_DTYPE_FLOAT, 4, dims, &err) != QINFER_OK) {
    qi_image_free(&img);
    return qi_cli_error("%s: %s", path, err.msg);
  }
  if (rc == 0) rc = qi_preprocess_image(pre, &img, h, w, layout, t->data, ierr, sizeof ierr);
  qi_image_free(&img);
  if (rc != 0) {
    qi_host_tensor_free(t);
    return qi_cli_error("%s: %s", path, ierr);
  }
  return QI_EXIT_OK;
}

/* ---- progress ---- */

static void progress(const char *what, int done, int total) {
  if (!isatty(STDERR_FILENO)) {
    if (done == total) fprintf(stderr, "%s: %d/%d samples\n", what, done, total);
    return;
  }
  const int width = 30, filled = total ? done * width / total : width;
  fprintf(stderr, "\r%s [", what);
  for (int i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %d/%d", done, total);
  if (done == total) fputc('\n', stderr);
  fflush(stderr);
}

/* ---- the work ---- */

/* Loads sample s for every input, fixing the session's input shapes from the first sample. */
int qz_job_load_sample_set(job *j, int s, qi_host_tensor *tensors) {
  for (int i = 0; i < j->n_inputs; i++) {
    qinfer_tensor_info info;
    qinfer_model_input_info(j->model, (size_t)i, &info);
    const int rc = load_sample(j->lists[i].paths[s], &info, &j->a->pre, &tensors[i]);
    if (rc != QI_EXIT_OK) return rc;
  }
  return QI_EXIT_OK;
}

void qz_job_free_sample_set(job *j, qi_host_tensor *tensors) {
  for (int i = 0; i < j->n_inputs; i++) qi_host_tensor_free(&tensors[i]);
}

/* Runs every sample through the session, feeding each calibrated tensor to the statistics of this pass. */
static int calibration_pass(job *j, bool histogram, const char *label) {
  qi_host_tensor tensors[16];
  for (int s = 0; s < j->n_samples; s++) {
    int rc = qz_job_load_sample_set(j, s, tensors);
    for (int i = 0; rc == QI_EXIT_OK && i < j->n_inputs; i++) {
      qinfer_tensor_info info;
      qinfer_session_input_info(j->session, (size_t)i, &info);
      bool same = info.rank == tensors[i].rank;
      for (int d = 0; same && d < info.rank; d++) same = info.dims[d] == tensors[i].dims[d];
      if (!same) {
        char a[128], b[128];
        rc = qi_cli_error("%s: shape %s differs from the first sample's %s", j->lists[i].paths[s],
                          qi_cli_dims_str(tensors[i].rank, tensors[i].dims, a, sizeof a),
                          qi_cli_dims_str(info.rank, info.dims, b, sizeof b));
      } else {
        const qinfer_status st = qinfer_session_set_input(j->session, (size_t)i, tensors[i].data, tensors[i].nbytes);
        if (st != QINFER_OK) rc = qi_cli_api_error("set input", st, qinfer_session_last_error(j->session));
      }
    }
    if (rc == QI_EXIT_OK) {
      const qinfer_status st = qinfer_session_run(j->session);
      if (st != QINFER_OK) rc = qi_cli_api_error(j->lists[0].paths[s], st, qinfer_session_last_error(j->session));
    }
    for (int t = 0; rc == QI_EXIT_OK && t < j->plan.n_tensors; t++) {
      if (!j->plan.quantize[t] || j->session_index[t] < 0) continue;
      qinfer_tensor_info info;
      const void *data;
      size_t nbytes;
      if (qinfer_session_tensor(j->session, (size_t)j->session_index[t], &info, &data, &nbytes) != QINFER_OK) continue;
      if (histogram) qz_stats_add_histogram(j->stats, t, data, nbytes / sizeof(float));
      else qz_stats_add_minmax(j->stats, t, data, nbytes / sizeof(float));
    }
    qz_job_free_sample_set(j, tensors);
    if (rc != QI_EXIT_OK) return rc;
    progress(label, s + 1, j->n_samples);
  }
  return QI_EXIT_OK;
}

/* The graph the plan is made on: loaded, shapes bound as for the calibration session, folded, BatchNorm and
 * per-channel affine ops folded into the convolutions: its tensors are those the session computes. */
static int build_analysis_graph(job *j) {
  qi_error err = {0};
  const qinfer_model *m = j->model;
  qi_status st = qi_onnx_load(m->data, m->size, m->base_dir, &j->g, &err);
  if (st == QINFER_OK) st = qi_resolve_ops(j->g, &err);
  const qi_pipeline_options passes = {.bind_shapes = true, .shapes = j->opts};
  if (st == QINFER_OK) st = qi_run_pipeline(j->g, QI_STAGE_FLOAT_FOLDS, &passes, &err);
  if (st != QINFER_OK) return qi_cli_api_error("preparing the model", st, err.msg);
  return QI_EXIT_OK;
}

/* The graph that is rewritten and written: the model as loaded, with only the folds that do not depend on
 * input shapes (BatchNormalization and per-channel affine ops into convolutions), so symbolic dims and shape
 * computations survive and the quantized model takes the same input shapes as the original. */
static int build_output_graph(job *j, qi_graph **out) {
  qi_error err = {0};
  const qinfer_model *m = j->model;
  qi_status st = qi_onnx_load(m->data, m->size, m->base_dir, out, &err);
  if (st == QINFER_OK) st = qi_resolve_ops(*out, &err);
  const qi_pipeline_options passes = {.bind_shapes = false};
  if (st == QINFER_OK) st = qi_run_pipeline(*out, QI_STAGE_FLOAT_FOLDS, &passes, &err);
  if (st != QINFER_OK) return qi_cli_api_error("preparing the model", st, err.msg);
  return QI_EXIT_OK;
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
  }
  free(index);
  return true;
}

static int setup(job *j) {
  quant_args *a = j->a;
  qinfer_status st = qinfer_model_load_file(a->model, &j->model);
  if (st != QINFER_OK) return qi_cli_api_error(a->model, st, qinfer_last_error());
  j->n_inputs = (int)qinfer_model_input_count(j->model);
  if (j->n_inputs < 1 || j->n_inputs > 16) return qi_cli_error("models with %d inputs are not supported", j->n_inputs);
  int rc = find_samples(a->calib, j->model, j->lists, &j->n_samples);
  if (rc != QI_EXIT_OK) return rc;
  if (j->n_samples > a->max_samples) j->n_samples = (int)a->max_samples;
  if ((st = qinfer_session_options_create(&j->opts)) != QINFER_OK) return qi_cli_api_error("options", st, "");
  qinfer_session_options_set_threads(j->opts, (int)a->threads);
  qinfer_session_options_set_keep_intermediates(j->opts, 1);
  j->opts->no_act_fusion = true; /* Relu / Clip outputs are calibrated on their own */
  qi_host_tensor first[16];
  if ((rc = qz_job_load_sample_set(j, 0, first)) != QI_EXIT_OK) return rc;
  for (int i = 0; i < j->n_inputs; i++) {
    qinfer_tensor_info info;
    qinfer_model_input_info(j->model, (size_t)i, &info);
    qinfer_session_options_set_input_shape(j->opts, info.name, first[i].dims, first[i].rank);
  }
  qz_job_free_sample_set(j, first);
  if ((st = qinfer_session_create(j->model, j->opts, &j->session)) != QINFER_OK)
    return qi_cli_api_error("creating the calibration session", st, qinfer_last_error());
  if ((rc = build_analysis_graph(j)) != QI_EXIT_OK) return rc;
  qi_error err = {0};
  if (qz_plan_make(j->g, &a->o, &j->plan, &err) != QINFER_OK) return qi_cli_error("%s", err.msg);
  j->stats = qz_stats_new(j->g, &j->plan, 2048);
  j->session_index = malloc(sizeof(int) * ((size_t)j->g->n_tensors + 1));
  if (!j->stats || !j->session_index) return qi_cli_error("out of memory");
  for (int t = 0; t < j->g->n_tensors; t++) {
    j->session_index[t] = -1;
    if (j->plan.quantize[t]) j->session_index[t] = qinfer_session_tensor_index(j->session, j->g->tensors[t].name);
  }
  return QI_EXIT_OK;
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int qz_job_build_int8(job *j, const qz_options *o, qi_graph **out, qz_report *rep) {
  *out = NULL;
  qz_plan plan = {0}, out_plan = {0};
  qz_range *ranges = calloc((size_t)j->g->n_tensors + 1, sizeof(qz_range)), *out_ranges = NULL;
  qi_error err = {0};
  int rc = ranges ? QI_EXIT_OK : qi_cli_error("out of memory");
  if (rc == QI_EXIT_OK && qz_plan_make(j->g, o, &plan, &err) != QINFER_OK) rc = qi_cli_error("%s", err.msg);
  if (rc == QI_EXIT_OK) {
    qz_stats_ranges(j->stats, o, ranges);
    if (!j->a->no_trim) qz_ranges_trim(j->g, &plan, ranges);
    rc = build_output_graph(j, out);
  }
  if (rc == QI_EXIT_OK && !translate_plan(j->g, &plan, ranges, *out, &out_plan, &out_ranges))
    rc = qi_cli_error("out of memory");
  qi_status st;
  if (rc == QI_EXIT_OK && (st = qz_rewrite(*out, o, &out_plan, out_ranges, rep, &err)) != QINFER_OK)
    rc = qi_cli_api_error("quantizing", st, err.msg);
  if (rc == QI_EXIT_OK) rep->quantized_nodes = plan.n_quantized_nodes;
  free(ranges);
  free(out_ranges);
  qz_plan_free(&plan);
  qz_plan_free(&out_plan);
  if (rc != QI_EXIT_OK) {
    qi_graph_free(*out);
    *out = NULL;
  }
  return rc;
}

static int finish(job *j) {
  quant_args *a = j->a;
  qz_options o = a->o;
  int rc = QI_EXIT_OK;
  if (a->target_sqnr > 0 && (rc = qz_job_mixed_precision(j, &o)) != QI_EXIT_OK) return rc;
  qinfer_session_destroy(j->session); /* free the kept activations before the rewrite */
  j->session = NULL;
  qi_graph *out = NULL;
  qz_report rep;
  if ((rc = qz_job_build_int8(j, &o, &out, &rep)) != QI_EXIT_OK) return rc;
  qi_error err = {0};
  const qi_status st = qi_onnx_write_file(out, a->output, &err);
  qi_graph_free(out);
  if (st != QINFER_OK) return qi_cli_api_error(a->output, st, err.msg);
  const long in_size = file_size(a->model), out_size = file_size(a->output);
  printf("quantized %d nodes: %d activations (QuantizeLinear/DequantizeLinear), %d weights int8, %d biases int32\n",
         rep.quantized_nodes, rep.activations, rep.weights, rep.biases);
  if (o.n_exclude > a->o.n_exclude) printf("mixed precision: %d nodes kept in float\n", o.n_exclude - a->o.n_exclude);
  printf("weights: %.2f MB -> %.2f MB; file: %.2f MB -> %.2f MB (%.3fx)\n", rep.weight_bytes_fp32 / 1e6,
         rep.weight_bytes_int8 / 1e6, in_size / 1e6, out_size / 1e6, in_size > 0 ? (double)out_size / in_size : 0.0);
  printf("wrote %s\n", a->output);
  return QI_EXIT_OK;
}

int qi_cmd_quantize(int argc, char **argv) {
  quant_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc != QI_EXIT_OK) return rc;
  job j = {0};
  j.a = &a;
  rc = setup(&j);
  if (rc == QI_EXIT_OK) rc = calibration_pass(&j, false, "calibrating (min/max)");
  if (rc == QI_EXIT_OK && qz_method_needs_histogram(a.o.method)) rc = calibration_pass(&j, true, "calibrating (histograms)");
  if (rc == QI_EXIT_OK) rc = finish(&j);
  for (int i = 0; i < 16; i++) free_list(&j.lists[i]);
  qinfer_session_destroy(j.session);
  qinfer_session_options_destroy(j.opts);
  qz_stats_free(j.stats);
  qz_plan_free(&j.plan);
  free(j.session_index);
  qi_graph_free(j.g);
  qinfer_model_destroy(j.model);
  return rc;
}
