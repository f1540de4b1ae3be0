/* qinfer sweep MODEL --calib DIR [options]: the weight x activation precision matrix of one model in one command.
 * Each configuration of CONFIGS is made with the library's quantizer (include/qinfer_quant.h) into a folder, then
 * compared with the FP32 model output by output (qinfer_compare_*: SQNR and cosine, the worst over the evaluation
 * samples) and timed as `qinfer bench` times (tools/run_timing.h); the results go to a table, a CSV file and an
 * SVG chart (tools/sweep_chart.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qinfer_quant.h"
#include "tools/cli.h"
#include "tools/cli_image.h"
#include "tools/cli_inputs.h"
#include "tools/compare_format.h"
#include "tools/run_timing.h"
#include "tools/sweep_chart.h"

/* One configuration of the matrix: how the quantizer is set for it (fp32: the model as given). */
typedef struct sweep_config {
  const char *name; /* in the table, the CSV, the chart and the file name */
  bool fp32;
  qinfer_dtype weights, activations;
  int block_size; /* 4-bit weights: values along K per scale */
  qinfer_quant_weight_method weight_method;
  int per_tensor; /* one weight scale per tensor instead of per output channel */
  int dynamic; /* activations quantized at run time (DynamicQuantizeLinear), as ONNX Runtime's quantize_dynamic */
} sweep_config;

/* The matrix, in the order it is printed. One row adds a configuration. */
#define W8 .weights = QINFER_DTYPE_INT8
#define W4_B32_MSE .weights = QINFER_DTYPE_INT4, .block_size = 32, .weight_method = QINFER_QUANT_WEIGHT_MSE
static const sweep_config CONFIGS[] = {
    {"FP32", .fp32 = true, .weights = QINFER_DTYPE_FLOAT, .activations = QINFER_DTYPE_FLOAT},
    {"W8A32", W8, .activations = QINFER_DTYPE_FLOAT},
    {"W8A16", W8, .activations = QINFER_DTYPE_INT16},
    {"W8A8", W8, .activations = QINFER_DTYPE_UINT8},
    {"W8A8-per-tensor", W8, .activations = QINFER_DTYPE_UINT8, .per_tensor = 1},
    {"W4A32", W4_B32_MSE, .activations = QINFER_DTYPE_FLOAT},
    {"W4A8", W4_B32_MSE, .activations = QINFER_DTYPE_UINT8},
    {"W8A8-dynamic", W8, .activations = QINFER_DTYPE_UINT8, .dynamic = 1},
};
#undef W8
#undef W4_B32_MSE
enum { N_CONFIGS = sizeof CONFIGS / sizeof CONFIGS[0], MAX_EVAL_FILES = 4096 };

void qi_cmd_sweep_usage(void) {
  printf("usage: qinfer sweep MODEL --calib DIR [--input NAME=FILE]... [--csv FILE] [--svg FILE] [--keep DIR]\n"
         "                          [--method M] [--samples N] [--threads N] [--isa NAME] [--runs N] [--warmup N]\n"
         "                          [image options]\n"
         "\n"
         "Quantizes MODEL in every configuration of the weight x activation matrix (calibrated on DIR as\n"
         "`qinfer quantize` does) and reports per configuration the SQNR and cosine of each output against FP32 (the\n"
         "worst over the evaluation samples: the --input sets, or else DIR's .npy / .pb samples), the file size and\n"
         "the median latency of a run (timed as `qinfer bench` times). Configurations:\n"
         "  FP32             the model as given\n"
         "  W8A32            int8 weights per channel, float activations (weight-only)\n"
         "  W8A16            int8 weights per channel, int16 activations\n"
         "  W8A8             int8 weights per channel, uint8 activations\n"
         "  W8A8-per-tensor  int8 weights, one scale per tensor, uint8 activations\n"
         "  W4A32            int4 weights, blocks of 32, --weight-method mse, float activations\n"
         "  W4A8             int4 weights, blocks of 32, --weight-method mse, uint8 activations\n"
         "  W8A8-dynamic     int8 weights per channel, uint8 activations quantized at run time (--dynamic)\n"
         "\n"
         "options:\n"
         "  --calib DIR        calibration samples (required), as for `qinfer quantize`\n"
         "  --input NAME=FILE  an evaluation sample of input NAME (.npy / .pb; repeatable: NAME again adds a set);\n"
         "                     without any, DIR's samples are the evaluation samples (they must be .npy / .pb)\n"
         "  --csv FILE         every configuration and output as CSV\n"
         "  --svg FILE         a chart: SQNR against file size and against median latency\n"
         "  --keep DIR         write the quantized models to DIR and keep them (default: a temporary folder,\n"
         "                     removed at the end)\n"
         "  --method M         calibration method: minmax (default), percentile, entropy or mse\n"
         "  --samples N        use at most N calibration samples (also for the evaluation on them)\n"
         "  --threads N        threads per run (default 1; 0 = one per CPU); the calibration uses every CPU\n"
         "  --isa NAME         kernel path of the runs: auto, scalar, avx2, avxvnni, avx512vnni, neon, ...\n"
         "  --dim SYM=VALUE    bind symbolic dimension SYM (repeatable)\n"
         "  --runs N           timed runs per configuration (default 10)\n"
         "  --warmup N         untimed runs first (default 2)\n"
         "%s",
         qi_cli_image_usage);
}

typedef struct sweep_args {
  const char *model, *calib, *csv, *svg, *keep;
  qi_cli_inputs in;
  qi_timing_plan t;
  bool has_method;
  qinfer_quant_method method;
  int64_t samples; /* 0: every one */
  int argc;
  char **argv;
  int image_at[64]; /* where each image option starts in argv: applied again to each configuration's options */
  int n_image;
  char **eval_args; /* "NAME=FILE" made from DIR's samples when no --input is given */
  int n_eval_args;
} sweep_args;

/* One output of one configuration against FP32, over the evaluation samples. */
typedef struct output_metrics {
  bool compared; /* float, same shape: the metrics are set */
  double sqnr_min, sqnr_mean, cos_min, cos_mean;
} output_metrics;

typedef struct config_result {
  char path[PATH_MAX]; /* the model file */
  bool written;        /* quantized by the sweep (removed at the end without --keep) */
  bool ok;
  char error[512];
  int64_t file_bytes;
  qi_bench_result timing;
  output_metrics *out; /* per FP32 output */
} config_result;

enum { PARSED_HELP = -1 };

static int parse_args(int argc, char **argv, sweep_args *a, qinfer_quant_options *probe) {
  qi_cli_image_args image = {.options = probe};
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *v = NULL;
    const int start = i;
    int m = qi_cli_session_option(&a->in, argc, argv, &i);
    if (m < 0) return -m;
    if (m > 0) continue;
    char perr[256];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return PARSED_HELP;
    if ((m = qi_cli_option(argc, argv, &i, "--calib", &v)) != 0) {
      if (m < 0 || !*v) return qi_cli_usage_error("sweep", "--calib needs a folder");
      a->calib = v;
    } else if ((m = qi_cli_option(argc, argv, &i, "--csv", &v)) != 0) {
      if (m < 0 || !*v) return qi_cli_usage_error("sweep", "--csv needs a file name");
      a->csv = v;
    } else if ((m = qi_cli_option(argc, argv, &i, "--svg", &v)) != 0) {
      if (m < 0 || !*v) return qi_cli_usage_error("sweep", "--svg needs a file name");
      a->svg = v;
    } else if ((m = qi_cli_option(argc, argv, &i, "--keep", &v)) != 0) {
      if (m < 0 || !*v) return qi_cli_usage_error("sweep", "--keep needs a folder");
      a->keep = v;
    } else if ((m = qi_cli_option(argc, argv, &i, "--method", &v)) != 0) {
      static const char *const names[] = {"minmax", "percentile", "entropy", "mse"};
      int k = 0;
      while (m > 0 && k < 4 && strcmp(names[k], v) != 0) k++;
      if (m < 0 || k == 4)
        return qi_cli_usage_error("sweep", "--method must be minmax, percentile, entropy or mse%s%s%s",
                                  m > 0 ? ", not '" : "", m > 0 ? v : "", m > 0 ? "'" : "");
      a->has_method = true;
      a->method = (qinfer_quant_method)k; /* the enum's values follow names[] */
    } else if ((m = qi_cli_option(argc, argv, &i, "--samples", &v)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(v, 1, MAX_EVAL_FILES, &a->samples))
        return qi_cli_usage_error("sweep", "--samples needs a number from 1 to %d", MAX_EVAL_FILES);
    } else if ((m = qi_cli_option(argc, argv, &i, "--runs", &v)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(v, 1, 100000000, &a->t.runs))
        return qi_cli_usage_error("sweep", "--runs needs a number from 1 to 100000000");
    } else if ((m = qi_cli_option(argc, argv, &i, "--warmup", &v)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(v, 0, 1000000000, &a->t.warmup))
        return qi_cli_usage_error("sweep", "--warmup needs a number >= 0");
    } else if ((m = qi_cli_image_arg(&image, argc, argv, &i, perr, sizeof perr)) != 0) {
      if (m < 0) return qi_cli_usage_error("sweep", "%s", perr);
      if (a->n_image == (int)(sizeof a->image_at / sizeof a->image_at[0]))
        return qi_cli_usage_error("sweep", "too many image options");
      a->image_at[a->n_image++] = start;
    } else if ((m = qi_cli_model_arg("sweep", arg, &a->model)) != QI_EXIT_OK) {
      return m;
    }
  }
  if (!a->model) return qi_cli_usage_error("sweep", "no model given");
  if (!a->calib) return qi_cli_usage_error("sweep", "no calibration folder given (--calib DIR)");
  return QI_EXIT_OK;
}

/* ---- evaluation samples from the calibration folder ---- */

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static bool has_suffix(const char *s, const char *suffix) {
  const size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

/* The .npy / .pb files of dir in name order (malloc'ed names) into *names; refuses images (they need the
 * quantizer's preprocessing: the evaluation then takes --input files). Returns an exit code. */
static int list_samples(const char *dir, char ***names, int *count) {
  DIR *d = opendir(dir);
  if (!d) return qi_cli_error("cannot read the calibration folder '%s': %s", dir, strerror(errno));
  char **list = calloc(MAX_EVAL_FILES, sizeof *list);
  int n = 0, rc = list ? QI_EXIT_OK : qi_cli_error("out of memory");
  for (struct dirent *e; rc == QI_EXIT_OK && (e = readdir(d)) != NULL;) {
    const char *f = e->d_name;
    if (has_suffix(f, ".png") || has_suffix(f, ".jpg") || has_suffix(f, ".jpeg"))
      rc = qi_cli_error("the calibration samples in '%s' are images (%s): give the evaluation samples as --input "
                        "NAME=FILE (.npy / .pb)", dir, f);
    else if (!has_suffix(f, ".npy") && !has_suffix(f, ".pb"))
      continue;
    else if (n == MAX_EVAL_FILES)
      rc = qi_cli_error("more than %d samples in '%s': take fewer with --samples", MAX_EVAL_FILES, dir);
    else if (!(list[n++] = strdup(f)))
      rc = qi_cli_error("out of memory");
  }
  closedir(d);
  if (rc == QI_EXIT_OK && n == 0) rc = qi_cli_error("no .npy / .pb samples in '%s'", dir);
  if (rc != QI_EXIT_OK) {
    for (int i = 0; list && i < n; i++) free(list[i]);
    free(list);
    return rc;
  }
  qsort(list, (size_t)n, sizeof *list, cmp_str);
  *names = list;
  *count = n;
  return QI_EXIT_OK;
}

/* name with every byte outside [A-Za-z0-9._-] replaced by '_', as the quantizer accepts input folders */
static void safe_name(const char *name, char *out, size_t size) {
  size_t i = 0;
  for (; name[i] && i + 1 < size; i++) {
    const char c = name[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    out[i] = ok ? c : '_';
  }
  out[i] = '\0';
}

/* Adds "--input NAME=FILE" for each calibration sample of each model input (DIR itself for a model with one
 * input, else DIR/<input name>/), as if given on the command line. Returns an exit code. */
static int add_calib_inputs(sweep_args *a) {
  qinfer_model *model = NULL;
  qinfer_status st = qinfer_model_load_file(a->model, &model);
  if (st != QINFER_OK) return qi_cli_api_error("cannot load model", st, qinfer_last_error());
  const size_t n_inputs = qinfer_model_input_count(model);
  int rc = QI_EXIT_OK;
  a->eval_args = calloc(MAX_EVAL_FILES + 1, sizeof *a->eval_args);
  if (!a->eval_args) rc = qi_cli_error("out of memory");
  for (size_t i = 0; rc == QI_EXIT_OK && i < n_inputs; i++) {
    qinfer_tensor_info info;
    qinfer_model_input_info(model, i, &info);
    char dir[PATH_MAX], clean[256];
    snprintf(dir, sizeof dir, "%s", a->calib);
    if (n_inputs > 1) {
      struct stat sb;
      snprintf(dir, sizeof dir, "%s/%s", a->calib, info.name);
      if (stat(dir, &sb) != 0) {
        safe_name(info.name, clean, sizeof clean);
        snprintf(dir, sizeof dir, "%s/%s", a->calib, clean);
      }
    }
    char **names = NULL;
    int n = 0;
    if ((rc = list_samples(dir, &names, &n)) != QI_EXIT_OK) break;
    if (a->samples > 0 && n > a->samples) n = (int)a->samples;
    for (int k = 0; k < n && rc == QI_EXIT_OK; k++) {
      if (a->n_eval_args == MAX_EVAL_FILES) {
        rc = qi_cli_error("more than %d evaluation files: take fewer with --samples", MAX_EVAL_FILES);
        break;
      }
      const size_t len = strlen(info.name) + strlen(dir) + strlen(names[k]) + 3;
      char *s = malloc(len);
      if (!s) {
        rc = qi_cli_error("out of memory");
        break;
      }
      snprintf(s, len, "%s=%s/%s", info.name, dir, names[k]);
      a->eval_args[a->n_eval_args++] = s;
      char *argv[2] = {"--input", s};
      int j = 0;
      const int m = qi_cli_session_option(&a->in, 2, argv, &j);
      if (m < 0) rc = -m;
    }
    for (int k = 0; names && names[k]; k++) free(names[k]);
    free(names);
  }
  qinfer_model_destroy(model);
  return rc;
}

/* ---- progress over the configurations ---- */

static void progress(int done, const char *config, const char *stage) {
  if (!isatty(STDERR_FILENO)) {
    fprintf(stderr, "sweep: %d/%d %s: %s\n", done + 1, N_CONFIGS, config, stage);
    return;
  }
  const int width = 28, filled = done * width / N_CONFIGS;
  fprintf(stderr, "\rsweep [");
  for (int i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %d/%d %s: %s\033[K", done, N_CONFIGS, config, stage);
  fflush(stderr);
}

static void progress_done(void) {
  if (!isatty(STDERR_FILENO)) return;
  fprintf(stderr, "\rsweep [");
  for (int i = 0; i < 28; i++) fputc('#', stderr);
  fprintf(stderr, "] %d/%d\033[K\n", N_CONFIGS, N_CONFIGS);
}

/* ---- one configuration ---- */

/* The quantizer's options of configuration c with the options passed through. NULL on failure (r->error). */
static qinfer_quant_options *make_options(const sweep_args *a, const sweep_config *c, config_result *r) {
  qinfer_quant_options *o = NULL;
  if (qinfer_quant_options_create(&o) != QINFER_OK) {
    snprintf(r->error, sizeof r->error, "%s", qinfer_last_error());
    return NULL;
  }
  qinfer_status st = qinfer_quant_options_set_sample_folder(o, a->calib);
  if (st == QINFER_OK && a->has_method) st = qinfer_quant_options_set_method(o, a->method);
  if (st == QINFER_OK && a->samples > 0) st = qinfer_quant_options_set_max_samples(o, (size_t)a->samples);
  if (st == QINFER_OK) st = qinfer_quant_options_set_activation_type(o, c->activations);
  if (st == QINFER_OK) st = qinfer_quant_options_set_weight_type(o, c->weights);
  if (st == QINFER_OK) st = qinfer_quant_options_set_per_channel(o, !c->per_tensor);
  if (st == QINFER_OK) st = qinfer_quant_options_set_block_size(o, c->block_size);
  if (st == QINFER_OK) st = qinfer_quant_options_set_weight_method(o, c->weight_method);
  if (st == QINFER_OK) st = qinfer_quant_options_set_dynamic(o, c->dynamic);
  /* the image options again (parse_args checked them on another options object) */
  qi_cli_image_args image = {.options = o};
  char perr[256];
  for (int k = 0; st == QINFER_OK && k < a->n_image; k++) {
    int i = a->image_at[k];
    if (qi_cli_image_arg(&image, a->argc, a->argv, &i, perr, sizeof perr) < 0) st = QINFER_ERR_INVALID_ARGUMENT;
  }
  if (st != QINFER_OK) {
    snprintf(r->error, sizeof r->error, "%s", qinfer_quant_options_last_error(o));
    qinfer_quant_options_destroy(o);
    return NULL;
  }
  return o;
}

static void quant_message(void *user, const char *line) {
  if (*(bool *)user) fprintf(stderr, "%s%s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", line);
}

/* The model of configuration c at r->path: written into dir by the quantizer (FP32: the model itself). */
static bool make_model(const sweep_args *a, const sweep_config *c, const char *dir, bool say_preprocessing,
                       config_result *r) {
  if (c->fp32) {
    snprintf(r->path, sizeof r->path, "%s", a->model);
    return true;
  }
  const char *base = strrchr(a->model, '/');
  char stem[256];
  snprintf(stem, sizeof stem, "%s", base ? base + 1 : a->model);
  if (has_suffix(stem, ".onnx")) stem[strlen(stem) - 5] = '\0';
  if (snprintf(r->path, sizeof r->path, "%s/%s.%s.onnx", dir, stem, c->name) >= (int)sizeof r->path) {
    snprintf(r->error, sizeof r->error, "the path of the quantized model is too long");
    return false;
  }
  qinfer_quant_options *o = make_options(a, c, r);
  if (!o) return false;
  bool say = say_preprocessing;
  qinfer_quant_options_set_message_callback(o, quant_message, &say);
  qinfer_model *model = NULL;
  qinfer_status st = qinfer_model_load_file(a->model, &model);
  if (st == QINFER_OK) st = qinfer_quantize(model, o, r->path, NULL);
  if (st != QINFER_OK) snprintf(r->error, sizeof r->error, "%s", qinfer_last_error());
  else r->written = true;
  qinfer_model_destroy(model);
  qinfer_quant_options_destroy(o);
  return st == QINFER_OK;
}

/* Compares test with ref over every evaluation set into r->out. */
static bool evaluate(sweep_args *a, qinfer_session *ref, qinfer_session *test, config_result *r) {
  qinfer_compare *cmp = NULL;
  if (qinfer_compare_create(ref, test, 0, &cmp) != QINFER_OK) {
    snprintf(r->error, sizeof r->error, "%s", qinfer_last_error());
    return false;
  }
  const size_t n_out = qinfer_session_output_count(ref), n_in = qinfer_session_input_count(ref);
  const int sets = a->in.n_sets > 0 ? a->in.n_sets : 1;
  for (size_t o = 0; o < n_out; o++) r->out[o] = (output_metrics){true, INFINITY, 0, INFINITY, 0};
  bool ok = true;
  for (int set = 0; ok && set < sets; set++) {
    ok = qi_cli_bind_inputs(&a->in, ref, set, 0, NULL) == QI_EXIT_OK &&
         qi_cli_bind_inputs(&a->in, test, set, 0, NULL) == QI_EXIT_OK;
    if (!ok) {
      snprintf(r->error, sizeof r->error, "cannot bind evaluation set %d", set);
      break;
    }
    for (size_t i = 0; ok && i < n_in; i++) {
      qinfer_tensor_info info;
      qinfer_session_input_info(ref, i, &info);
      const qi_cli_input *f = qi_cli_input_of(&a->in, info.name, set);
      ok = !f || qinfer_compare_set_input(cmp, i, f->tensor.data, f->tensor.nbytes) == QINFER_OK;
    }
    ok = ok && qinfer_compare_set_random_inputs(cmp, 0) == QINFER_OK && qinfer_compare_run(cmp) == QINFER_OK;
    if (!ok) {
      snprintf(r->error, sizeof r->error, "%s", qinfer_compare_last_error(cmp));
      break;
    }
    for (size_t o = 0; o < n_out; o++) {
      qinfer_compare_row row;
      output_metrics *m = &r->out[o];
      if (qinfer_compare_output(cmp, o, &row) != QINFER_OK || row.match != QINFER_COMPARE_COMPARED || !row.is_float) {
        m->compared = false;
        continue;
      }
      /* NaN propagates to the worst (fmin would drop it) */
      m->sqnr_min = isnan(row.sqnr_db) || row.sqnr_db < m->sqnr_min ? row.sqnr_db : m->sqnr_min;
      m->cos_min = isnan(row.cosine) || row.cosine < m->cos_min ? row.cosine : m->cos_min;
      m->sqnr_mean += row.sqnr_db / sets;
      m->cos_mean += row.cosine / sets;
    }
  }
  qinfer_compare_destroy(cmp);
  return ok;
}

/* Makes, compares and times configuration c. The failure of one configuration is recorded in r, not fatal. */
static void run_config(sweep_args *a, const sweep_config *c, int index, const char *dir, qinfer_session *ref,
                       config_result *r) {
  progress(index, c->name, c->fp32 ? "loading" : "quantizing");
  if (!make_model(a, c, dir, index == 1, r)) return;
  struct stat sb;
  r->file_bytes = stat(r->path, &sb) == 0 ? (int64_t)sb.st_size : -1;
  qinfer_model *model = NULL;
  qinfer_session *test = NULL;
  qinfer_status st = qinfer_model_load_file_ex(r->path, a->in.load_flags, &model);
  if (st == QINFER_OK && (st = qinfer_session_create(model, a->in.options, &test)) != QINFER_OK) test = NULL;
  if (st != QINFER_OK) {
    const char *msg = qinfer_last_error();
    snprintf(r->error, sizeof r->error, "%s: %s", qinfer_status_string(st),
             msg && *msg ? msg : model ? qinfer_model_last_error(model) : "");
  } else {
    progress(index, c->name, "comparing");
    if (evaluate(a, ref, test, r)) {
      progress(index, c->name, "timing");
      r->ok = qi_cli_bind_inputs(&a->in, test, 0, 0, NULL) == QI_EXIT_OK &&
              qi_time_runs(&a->t, test, &r->timing) == QI_EXIT_OK;
      if (!r->ok) snprintf(r->error, sizeof r->error, "the timed runs failed");
    }
  }
  if (test) qinfer_session_destroy(test);
  if (model) qinfer_model_destroy(model);
}

/* ---- results ---- */

static const char *dtype_of(const sweep_config *c, bool weights) {
  return c->fp32 ? "float" : qinfer_dtype_name(weights ? c->weights : c->activations);
}

/* The worst SQNR over the outputs compared (NaN first), for the chart. */
static double worst_sqnr(const config_result *r, size_t n_out) {
  double w = INFINITY;
  for (size_t o = 0; o < n_out; o++)
    if (r->out[o].compared && (isnan(r->out[o].sqnr_min) || r->out[o].sqnr_min < w)) w = r->out[o].sqnr_min;
  return w;
}

static void print_table(const config_result *res, qinfer_session *ref, int64_t fp32_bytes) {
  const size_t n_out = qinfer_session_output_count(ref);
  printf("%-16s %-6s %-7s %5s %-6s %10s %7s %10s %9s  %-20s %9s %10s\n", "config", "W", "A", "block", "wmeth",
         "file MB", "x FP32", "median ms", "CPU ms", "output", "SQNR dB", "cosine");
  for (int i = 0; i < N_CONFIGS; i++) {
    const sweep_config *c = &CONFIGS[i];
    const config_result *r = &res[i];
    char block[16];
    snprintf(block, sizeof block, "%d", c->block_size);
    printf("%-16s %-6s %-7s %5s %-6s ", c->name, dtype_of(c, true), dtype_of(c, false), c->block_size ? block : "-",
           c->fp32 ? "-" : c->weight_method == QINFER_QUANT_WEIGHT_MSE ? "mse" : "minmax");
    if (!r->ok) {
      printf("failed: %s\n", r->error);
      continue;
    }
    printf("%10.3f %7.3f %10.3f %9.3f", (double)r->file_bytes / 1e6,
           fp32_bytes > 0 ? (double)r->file_bytes / (double)fp32_bytes : 0.0, r->timing.median, r->timing.cpu_median);
    for (size_t o = 0; o < n_out; o++) {
      qinfer_tensor_info info;
      qinfer_session_output_info(ref, o, &info);
      char b[2][32];
      if (o) printf("%*s", 16 + 1 + 6 + 1 + 7 + 1 + 5 + 1 + 6 + 1 + 10 + 1 + 7 + 1 + 10 + 1 + 9, "");
      if (r->out[o].compared)
        printf("  %-20s %9s %10s\n", info.name, qi_cmp_fmt(r->out[o].sqnr_min, 4, b[0], 32),
               qi_cmp_fmt(r->out[o].cos_min, 6, b[1], 32));
      else
        printf("  %-20s %9s %10s\n", info.name, "-", "(not a float output of both)");
    }
  }
}

/* kept: the quantized models stay (--keep); otherwise model_file is left empty for them (removed at the end). */
static int write_csv(const char *path, const config_result *res, qinfer_session *ref, int64_t fp32_bytes, int sets,
                     bool kept) {
  FILE *f = fopen(path, "w");
  if (!f) return qi_cli_error("cannot write '%s': %s", path, strerror(errno));
  fputs("config,weights,activations,block_size,weight_method,per_channel,output,sqnr_db,cosine,sqnr_db_mean,"
        "cosine_mean,samples,file_bytes,size_vs_fp32,median_ms,cpu_median_ms,model_file,error\n",
        f);
  const size_t n_out = qinfer_session_output_count(ref);
  for (int i = 0; i < N_CONFIGS; i++) {
    const sweep_config *c = &CONFIGS[i];
    const config_result *r = &res[i];
    for (size_t o = 0; o < (r->ok ? n_out : 1); o++) {
      qinfer_tensor_info info;
      qinfer_session_output_info(ref, o, &info);
      char b[4][32];
      const bool m = r->ok && r->out[o].compared;
      fprintf(f, "%s,%s,%s,%d,%s,%d,", c->name, dtype_of(c, true), dtype_of(c, false), c->block_size,
              c->fp32 ? "" : c->weight_method == QINFER_QUANT_WEIGHT_MSE ? "mse" : "minmax", !c->per_tensor);
      qi_cmp_csv_field(f, info.name);
      fprintf(f, ",%s,%s,%s,%s,%d,", m ? qi_cmp_fmt(r->out[o].sqnr_min, 6, b[0], 32) : "",
              m ? qi_cmp_fmt(r->out[o].cos_min, 8, b[1], 32) : "",
              m ? qi_cmp_fmt(r->out[o].sqnr_mean, 6, b[2], 32) : "",
              m ? qi_cmp_fmt(r->out[o].cos_mean, 8, b[3], 32) : "", sets);
      if (r->ok)
        fprintf(f, "%lld,%.6f,%.4f,%.4f,", (long long)r->file_bytes,
                fp32_bytes > 0 ? (double)r->file_bytes / (double)fp32_bytes : 0.0, r->timing.median,
                r->timing.cpu_median);
      else
        fputs(",,,,", f);
      qi_cmp_csv_field(f, r->written && !kept ? "" : r->path);
      fputc(',', f);
      qi_cmp_csv_field(f, r->ok ? "" : r->error);
      fputc('\n', f);
    }
  }
  const bool ok = !ferror(f);
  if (fclose(f) != 0 || !ok) return qi_cli_error("cannot write '%s'", path);
  return QI_EXIT_OK;
}

static int write_svg(const char *path, const char *model, const config_result *res, size_t n_out) {
  qi_sweep_point pts[N_CONFIGS];
  int n = 0;
  for (int i = 0; i < N_CONFIGS; i++)
    if (res[i].ok)
      pts[n++] = (qi_sweep_point){CONFIGS[i].name, (double)res[i].file_bytes / 1e6, res[i].timing.median,
                                  worst_sqnr(&res[i], n_out)};
  char title[512];
  const char *base = strrchr(model, '/');
  snprintf(title, sizeof title, "%s: output SQNR against FP32 (worst output and sample) per configuration",
           base ? base + 1 : model);
  if (!qi_sweep_chart_write(path, title, pts, n)) return qi_cli_error("cannot write '%s': %s", path, strerror(errno));
  return QI_EXIT_OK;
}

/* ---- the command ---- */

/* The folder for the quantized models: --keep DIR (created), else a new temporary one. */
static int open_folder(const sweep_args *a, char *dir, size_t size) {
  if (a->keep) {
    snprintf(dir, size, "%s", a->keep);
    return qi_cli_make_dirs(dir) ? QI_EXIT_OK : qi_cli_error("cannot create '%s': %s", dir, strerror(errno));
  }
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, size, "%s/qinfer-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  return mkdtemp(dir) ? QI_EXIT_OK : qi_cli_error("cannot create a temporary folder '%s': %s", dir, strerror(errno));
}

static int sweep(sweep_args *a) {
  /* the outputs must be writable before the work starts */
  const char *outs[2] = {a->csv, a->svg};
  for (int k = 0; k < 2; k++) {
    FILE *f = outs[k] ? fopen(outs[k], "a") : NULL;
    if (outs[k] && !f) return qi_cli_error("cannot write '%s': %s", outs[k], strerror(errno));
    if (f) fclose(f);
  }
  int rc = a->in.n_inputs == 0 ? add_calib_inputs(a) : QI_EXIT_OK;
  qinfer_model *ref_model = NULL;
  qinfer_session *ref = NULL;
  if (rc == QI_EXIT_OK) rc = qi_cli_open_session(&a->in, a->model, &ref_model, &ref, NULL, NULL);
  if (rc != QI_EXIT_OK) return rc;
  char dir[PATH_MAX];
  config_result *res = calloc(N_CONFIGS, sizeof *res);
  const size_t n_out = qinfer_session_output_count(ref);
  bool alloc_ok = res != NULL;
  for (int i = 0; alloc_ok && i < N_CONFIGS; i++)
    alloc_ok = (res[i].out = calloc(n_out + 1, sizeof *res[i].out)) != NULL;
  rc = alloc_ok ? open_folder(a, dir, sizeof dir) : qi_cli_error("out of memory");
  const int sets = a->in.n_sets > 0 ? a->in.n_sets : 1;
  int failed = 0;
  for (int i = 0; rc == QI_EXIT_OK && i < N_CONFIGS; i++) {
    run_config(a, &CONFIGS[i], i, dir, ref, &res[i]);
    failed += !res[i].ok;
  }
  if (rc == QI_EXIT_OK) {
    progress_done();
    const int64_t fp32_bytes = res[0].file_bytes;
    printf("model      %s\n", a->model);
    printf("isa        %s, %lld thread%s; latency: median of %lld runs after %lld warm-up\n",
           qinfer_session_isa_name(ref), (long long)a->in.threads, a->in.threads == 1 ? "" : "s",
           (long long)a->t.runs, (long long)a->t.warmup);
    printf("SQNR       against FP32 per output, the worst over %d %s%s\n", sets,
           a->n_eval_args ? "calibration sample" : "--input set", sets == 1 ? "" : "s");
    print_table(res, ref, fp32_bytes);
    if (a->keep) printf("models     kept in %s\n", dir);
    if (a->csv && (rc = write_csv(a->csv, res, ref, fp32_bytes, sets, a->keep != NULL)) == QI_EXIT_OK)
      printf("csv        %s\n", a->csv);
    if (rc == QI_EXIT_OK && a->svg && (rc = write_svg(a->svg, a->model, res, n_out)) == QI_EXIT_OK)
      printf("svg        %s\n", a->svg);
    if (rc == QI_EXIT_OK && failed)
      rc = qi_cli_error("%d of %d configurations failed (their rows say why)", failed, N_CONFIGS);
  }
  for (int i = 0; res && i < N_CONFIGS; i++) {
    if (!a->keep && res[i].written) unlink(res[i].path);
    free(res[i].out);
  }
  if (!a->keep && alloc_ok && rmdir(dir) != 0 && rc == QI_EXIT_OK) fprintf(stderr, "qinfer: warning: %s left\n", dir);
  free(res);
  qinfer_session_destroy(ref);
  qinfer_model_destroy(ref_model);
  return rc;
}

int qi_cmd_sweep(int argc, char **argv) {
  sweep_args a = {.t = {.warmup = 2, .runs = 10}, .argc = argc, .argv = argv};
  qinfer_quant_options *probe = NULL;
  int rc = qi_cli_inputs_init(&a.in, "sweep", argc + MAX_EVAL_FILES);
  if (rc != QI_EXIT_OK) return rc;
  a.in.allow_sets = true;
  if (qinfer_quant_options_create(&probe) != QINFER_OK) rc = qi_cli_error("out of memory");
  if (rc == QI_EXIT_OK) rc = parse_args(argc, argv, &a, probe);
  if (rc == PARSED_HELP) {
    qi_cmd_sweep_usage();
    rc = QI_EXIT_OK;
  } else if (rc == QI_EXIT_OK) {
    rc = sweep(&a);
  }
  qinfer_quant_options_destroy(probe);
  for (int i = 0; i < a.n_eval_args; i++) free(a.eval_args[i]);
  free(a.eval_args);
  qi_cli_inputs_free(&a.in);
  return rc;
}
