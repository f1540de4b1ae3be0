/* qinfer compare REF TEST [options]: runs two models on the same inputs and reports how far TEST's outputs (and,
 * with --per-layer, every tensor the two share) are from REF's: SQNR, cosine similarity, max and mean |diff|.
 * The comparison is the library's (include/qinfer_quant.h: qinfer_compare_*); this file opens the models, feeds
 * the inputs and prints the tables and the CSV file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qinfer_quant.h"
#include "tools/cli.h"
#include "tools/cli_inputs.h"
#include "tools/compare_format.h"
#include "tools/compare_html.h"

void qi_cmd_compare_usage(void) {
  printf(
      "usage: qinfer compare REF TEST [--input NAME=FILE]... [--per-layer] [--top N] [--csv FILE]\n"
      "                       [--min-sqnr DB] [--html FILE [--html-hist N] [--profile]] [--threads N] [--isa NAME]\n"
      "                       [--dim SYM=VALUE]... [--seed N]\n\n"
      "Runs models REF and TEST on the same inputs and compares the outputs they share by name: SQNR in dB\n"
      "(10*log10(sum ref^2 / sum (ref-test)^2), inf when equal), cosine similarity, max and mean |ref - test|;\n"
      "for non-float outputs the share of equal elements and the max difference. Both models must have the same\n"
      "inputs (names, dtypes, shapes). Inputs not given are filled as by 'qinfer run' (same values for both).\n\n"
      "  --input NAME=FILE  input NAME from FILE (.npy or TensorProto .pb), for both models (repeatable)\n"
      "  --per-layer        also compare every tensor the models share: a float tensor of TEST with the float\n"
      "                     tensor of REF of the same name and shape, and a TEST tensor written by a\n"
      "                     QuantizeLinear (constant scale / zero point), dequantized, with REF's tensor of the\n"
      "                     QuantizeLinear's input (the accumulated view: all upstream error included); and\n"
      "                     each quantized node of TEST alone (the isolated view): run once more on REF's values\n"
      "                     of its inputs, quantized with its own input scale, its output against REF's tensor;\n"
      "                     printed worst isolated SQNR first\n"
      "  --top N            per-layer rows printed (default 20; 0 = all)\n"
      "  --csv FILE         write every per-layer row (every output without --per-layer) as CSV\n"
      "  --html FILE        write a self-contained HTML report of every shared tensor (both views, as --per-layer\n"
      "                     compares them): SQNR along the execution order, a table worst first, histograms of\n"
      "                     REF's and TEST's values with the quantization parameters for the worst tensors\n"
      "  --html-hist N      histograms for the N worst tensors (default 6)\n"
      "  --profile          with --html: time every node of both models (1 warm-up + 5 runs, medians) and show\n"
      "                     the time of the node writing each tensor\n"
      "  --min-sqnr DB      exit 1 if any float output's SQNR is below DB (or an output is missing or differs\n"
      "                     in shape or dtype)\n"
      "  --threads N        threads per run (default 1; 0 = one per CPU)\n"
      "  --isa NAME         auto, scalar, avx2, avxvnni, avx512vnni, neon, neondot, neoni8mm\n"
      "  --dim SYM=VALUE    bind symbolic dimension SYM (repeatable)\n"
      "  --seed N           seed of the random inputs (default 0)\n"
      "%s\nImage options (image inputs, for both models):\n%s",
      qi_cli_image_inputs_usage, qi_cli_image_usage);
}

typedef struct cmp_args {
  const char *ref, *test, *csv, *html;
  qi_cli_inputs in;
  int64_t seed, top, html_hist;
  bool per_layer, has_min_sqnr, profile;
  double min_sqnr;
} cmp_args;

typedef struct cmp_state {
  cmp_args *a;
  qinfer_model *rm, *tm;
  qinfer_session *rs, *ts;
  qinfer_compare *cmp;
  FILE *csv;
  bool html_created; /* the --html file exists (made before the models run): removed on a failure */
  qi_node_times prof[2]; /* --profile: REF's and TEST's per-node medians */
  bool outputs_failed; /* --min-sqnr: an output below it, missing or mismatched */
} cmp_state;

enum { PARSED_HELP = -1 };

static int parse_args(int argc, char **argv, cmp_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    int m = qi_cli_session_option(&a->in, argc, argv, &i);
    if (m < 0) return -m;
    if (m > 0) continue;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return PARSED_HELP;
    if (!strcmp(arg, "--per-layer")) {
      a->per_layer = true;
    } else if ((m = qi_cli_option(argc, argv, &i, "--csv", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("compare", "--csv needs a file name");
      a->csv = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--html", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("compare", "--html needs a file name");
      a->html = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--html-hist", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, 10000, &a->html_hist))
        return qi_cli_usage_error("compare", "--html-hist needs a number from 0 to 10000");
    } else if (!strcmp(arg, "--profile")) {
      a->profile = true;
    } else if ((m = qi_cli_option(argc, argv, &i, "--top", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, 1000000000, &a->top))
        return qi_cli_usage_error("compare", "--top needs a number >= 0");
    } else if ((m = qi_cli_option(argc, argv, &i, "--seed", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, INT64_MAX, &a->seed))
        return qi_cli_usage_error("compare", "--seed needs a number >= 0");
    } else if ((m = qi_cli_option(argc, argv, &i, "--min-sqnr", &value)) != 0) {
      char *end = NULL;
      errno = 0;
      a->min_sqnr = m < 0 ? 0 : strtod(value, &end);
      if (m < 0 || !*value || *end || errno || isnan(a->min_sqnr))
        return qi_cli_usage_error("compare", "--min-sqnr needs a number (dB)");
      a->has_min_sqnr = true;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return qi_cli_usage_error("compare", "unknown option '%s'", arg);
    } else if (!a->ref) {
      a->ref = arg;
    } else if (!a->test) {
      a->test = arg;
    } else {
      return qi_cli_usage_error("compare", "more than two models given ('%s')", arg);
    }
  }
  if (!a->test) return qi_cli_usage_error("compare", "needs two models: REF and TEST");
  if (a->profile && !a->html) return qi_cli_usage_error("compare", "--profile needs --html (the report shows it)");
  return QI_EXIT_OK;
}

/* The rows of one table: the comparison's output or per-layer rows. */
typedef qinfer_status (*row_fn)(const qinfer_compare *, size_t, qinfer_compare_row *);

static const char *shape_of(const qinfer_tensor_info *info, char *buf, size_t size) {
  return qi_cli_dims_str(info->rank, info->dims, buf, size);
}

/* ---- opening both models ---- */

static int open_models(cmp_state *s) {
  cmp_args *a = s->a;
  const bool layers = a->per_layer || a->html;
  if (layers) qinfer_session_options_set_keep_intermediates(a->in.options, 1);
  if (a->profile) qinfer_session_options_set_profiling(a->in.options, 1);
  int rc = qi_cli_open_session(&a->in, a->ref, &s->rm, &s->rs, NULL, NULL);
  if (rc != QI_EXIT_OK) return rc;
  /* Not qi_cli_open_session again: the --input files are loaded once, and their shapes are already set. */
  qinfer_status st = qinfer_model_load_file(a->test, &s->tm);
  if (st != QINFER_OK) {
    s->tm = NULL;
    return qi_cli_api_error("cannot load model", st, qinfer_last_error());
  }
  for (int k = 0; k < a->in.n_inputs; k++) {
    bool found = false;
    for (size_t i = 0; i < qinfer_model_input_count(s->tm) && !found; i++) {
      qinfer_tensor_info info;
      found = qinfer_model_input_info(s->tm, i, &info) == QINFER_OK && !strcmp(info.name, a->in.inputs[k].name);
    }
    if (!found)
      return qi_cli_error("REF and TEST have different inputs: '%s' is not an input of TEST", a->in.inputs[k].name);
  }
  st = qinfer_session_create(s->tm, a->in.options, &s->ts);
  if (st != QINFER_OK) {
    const char *msg = qinfer_last_error();
    s->ts = NULL;
    return qi_cli_api_error("cannot create a session for TEST", st, msg && *msg ? msg : qinfer_model_last_error(s->tm));
  }
  st = qinfer_compare_create(s->rs, s->ts, layers ? QINFER_COMPARE_PER_LAYER | QINFER_COMPARE_ISOLATED : 0, &s->cmp);
  if (st != QINFER_OK) return qi_cli_error("%s", qinfer_last_error());
  printf("REF    %s\nTEST   %s\n", a->ref, a->test);
  /* the --input files, then random values for the rest (the same as `qinfer run --seed` makes) */
  for (size_t i = 0; i < qinfer_session_input_count(s->rs); i++) {
    qinfer_tensor_info info;
    qinfer_session_input_info(s->rs, i, &info);
    for (int k = 0; k < a->in.n_inputs; k++) {
      const qi_cli_input *in = &a->in.inputs[k];
      if (strcmp(in->name, info.name) != 0) continue;
      if (qinfer_compare_set_input(s->cmp, i, in->tensor.data, in->tensor.nbytes) != QINFER_OK)
        return qi_cli_error("%s", qinfer_compare_last_error(s->cmp));
    }
  }
  if (qinfer_compare_set_random_inputs(s->cmp, (uint64_t)a->seed) != QINFER_OK)
    return qi_cli_error("%s", qinfer_compare_last_error(s->cmp));
  for (size_t i = 0; i < qinfer_session_input_count(s->rs); i++) {
    qinfer_tensor_info info;
    qinfer_session_input_info(s->rs, i, &info);
    qi_cli_print_input(&a->in, &info, 0, stdout);
  }
  return QI_EXIT_OK;
}

static int run_both(cmp_state *s) {
  if (qinfer_compare_run(s->cmp) != QINFER_OK) return qi_cli_error("%s", qinfer_compare_last_error(s->cmp));
  double ms[2];
  qinfer_compare_run_ms(s->cmp, &ms[0], &ms[1]);
  printf("run    REF %.3f ms, TEST %.3f ms\n", ms[0], ms[1]);
  return QI_EXIT_OK;
}

/* ---- outputs ---- */

static void print_metric_row(const qinfer_compare_row *r, int name_width) {
  char b[4][32], shape[128];
  shape_of(&r->ref, shape, sizeof shape);
  if (r->is_float)
    printf("  %-*s %-8s %-18s %9s %10s %11s %11s\n", name_width, r->ref.name, qinfer_dtype_name(r->ref.dtype), shape,
           qi_cmp_fmt(r->sqnr_db, 4, b[0], 32), qi_cmp_fmt(r->cosine, 6, b[1], 32),
           qi_cmp_fmt(r->max_abs, 4, b[2], 32), qi_cmp_fmt(r->mean_abs, 4, b[3], 32));
  else
    printf("  %-*s %-8s %-18s equal %.2f%%, max|diff| %s\n", name_width, r->ref.name, qinfer_dtype_name(r->ref.dtype),
           shape, 100.0 * r->equal_share, qi_cmp_fmt(r->max_abs, 6, b[0], 32));
}

static void print_outputs(cmp_state *s) {
  const cmp_args *a = s->a;
  int width = 24;
  printf("outputs:\n  %-*s %-8s %-18s %9s %10s %11s %11s\n", width, "name", "dtype", "shape", "SQNR dB", "cosine",
         "max|diff|", "mean|diff|");
  int compared = 0;
  for (size_t i = 0; i < qinfer_compare_output_count(s->cmp); i++) {
    qinfer_compare_row r;
    qinfer_compare_output(s->cmp, i, &r);
    char rshape[128], tshape[128];
    switch (r.match) {
      case QINFER_COMPARE_ONLY_IN_REF:
        printf("  %-*s only in REF\n", width, r.ref.name);
        s->outputs_failed = true;
        break;
      case QINFER_COMPARE_ONLY_IN_TEST:
        printf("  %-*s only in TEST\n", width, r.test.name);
        s->outputs_failed = true;
        break;
      case QINFER_COMPARE_MISMATCH:
        printf("  %-*s differs: REF %s %s, TEST %s %s\n", width, r.ref.name, qinfer_dtype_name(r.ref.dtype),
               shape_of(&r.ref, rshape, sizeof rshape), qinfer_dtype_name(r.test.dtype),
               shape_of(&r.test, tshape, sizeof tshape));
        s->outputs_failed = true;
        break;
      case QINFER_COMPARE_COMPARED:
        print_metric_row(&r, width);
        compared++;
        if (a->has_min_sqnr && r.is_float && !(r.sqnr_db >= a->min_sqnr)) s->outputs_failed = true;
        break;
    }
  }
  if (!compared) printf("  (REF and TEST share no output)\n");
}

/* ---- per layer ---- */

/* The median of the rows' SQNRs that are not NaN (of the accumulated view, or the isolated one). */
static double median_sqnr(const cmp_state *s, bool isolated) {
  const size_t n = qinfer_compare_layer_count(s->cmp);
  double *v = malloc((n + 1) * sizeof *v);
  size_t m = 0;
  for (size_t i = 0; v && i < n; i++) {
    qinfer_compare_row r;
    qinfer_compare_layer(s->cmp, i, &r);
    const double x = isolated ? r.isolated_sqnr_db : r.sqnr_db;
    if ((!isolated || r.has_isolated) && !isnan(x)) v[m++] = x;
  }
  double median = NAN;
  if (m) {
    for (size_t i = 1; i < m; i++) /* insertion sort: tables are small */
      for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
        const double t = v[j];
        v[j] = v[j - 1], v[j - 1] = t;
      }
    const double lo = v[(m - 1) / 2], hi = v[m / 2];
    median = lo == hi ? lo : 0.5 * (lo + hi); /* lo == hi also covers two infinities */
  }
  free(v);
  return median;
}

/* The row of the worst SQNR of the accumulated view (NaN before any number); rows must exist. */
static size_t worst_accumulated(const cmp_state *s) {
  size_t w = 0;
  qinfer_compare_row r;
  qinfer_compare_layer(s->cmp, 0, &r);
  double wv = r.sqnr_db;
  for (size_t i = 1; i < qinfer_compare_layer_count(s->cmp) && !isnan(wv); i++) {
    qinfer_compare_layer(s->cmp, i, &r);
    if (isnan(r.sqnr_db) || r.sqnr_db < wv) w = i, wv = r.sqnr_db;
  }
  return w;
}

static void print_layers(const cmp_state *s) {
  const size_t n = qinfer_compare_layer_count(s->cmp);
  size_t shown = s->a->top == 0 || (size_t)s->a->top > n ? n : (size_t)s->a->top;
  qinfer_compare_row r;
  int width = 24;
  for (size_t i = 0; i < shown; i++) {
    qinfer_compare_layer(s->cmp, i, &r);
    int w = (int)strlen(r.ref.name);
    if (w > width) width = w > 60 ? 60 : w;
  }
  printf("\nper layer, worst isolated SQNR first (%zu of %zu): isolated = the TEST node alone on REF's inputs,\n"
         "accumulated = the tensor after the whole TEST model\n", shown, n);
  printf("  %-*s %-18s %-22s %-18s %9s %10s %9s %10s\n", width, "tensor", "op", "TEST node op", "shape", "isol. dB",
         "isol. cos", "accum. dB", "accum. cos");
  for (size_t i = 0; i < shown; i++) {
    qinfer_compare_layer(s->cmp, i, &r);
    char b[4][32], shape[128];
    printf("  %-*s %-18s %-22s %-18s %9s %10s %9s %10s\n", width, r.ref.name, r.op, r.has_isolated ? r.node_op : "-",
           shape_of(&r.ref, shape, sizeof shape), r.has_isolated ? qi_cmp_fmt(r.isolated_sqnr_db, 4, b[0], 32) : "-",
           r.has_isolated ? qi_cmp_fmt(r.isolated_cosine, 6, b[1], 32) : "-", qi_cmp_fmt(r.sqnr_db, 4, b[2], 32),
           qi_cmp_fmt(r.cosine, 6, b[3], 32));
  }
  if (n == 0) {
    printf("summary: no tensors compared (REF and TEST share no readable tensor)\n");
    return;
  }
  char b[4][32];
  qinfer_compare_layer(s->cmp, worst_accumulated(s), &r);
  printf("summary: %zu tensors compared, median SQNR %s dB, worst %s dB (%s)\n", n,
         qi_cmp_fmt(median_sqnr(s, false), 4, b[0], 32), qi_cmp_fmt(r.sqnr_db, 4, b[1], 32), r.ref.name);
  qinfer_compare_layer(s->cmp, 0, &r);
  if (r.has_isolated)
    printf("isolated: median %s dB, worst %s dB (%s, TEST node %s%s%s)\n", qi_cmp_fmt(median_sqnr(s, true), 4, b[2], 32),
           qi_cmp_fmt(r.isolated_sqnr_db, 4, b[3], 32), r.ref.name, r.node_op, *r.node ? " " : "", r.node);
  else
    printf("isolated: no quantized node of TEST could be fed from REF\n");
}

/* ---- CSV ---- */

/* Every per-layer row with --per-layer, else every compared output. */
static int write_csv(cmp_state *s) {
  const bool layers = s->a->per_layer;
  const size_t n = layers ? qinfer_compare_layer_count(s->cmp) : qinfer_compare_output_count(s->cmp);
  FILE *f = s->csv;
  fputs("tensor,op,shape,dtype,test_tensor,sqnr_db,cosine,max_abs_diff,mean_abs_diff,equal_share", f);
  if (layers)
    fputs(",test_node,test_op,isolated_sqnr_db,isolated_cosine,isolated_max_abs_diff,isolated_mean_abs_diff,"
          "isolated_in_range_sqnr_db",
          f);
  fputc('\n', f);
  size_t written = 0;
  for (size_t i = 0; i < n; i++) {
    qinfer_compare_row r;
    if (layers) qinfer_compare_layer(s->cmp, i, &r);
    else qinfer_compare_output(s->cmp, i, &r);
    if (r.match != QINFER_COMPARE_COMPARED) continue;
    char b[5][40], shape[128];
    qi_cmp_csv_field(f, r.ref.name);
    fputc(',', f);
    qi_cmp_csv_field(f, r.op);
    fputc(',', f);
    qi_cmp_csv_field(f, shape_of(&r.ref, shape, sizeof shape));
    fprintf(f, ",%s,", qinfer_dtype_name(r.ref.dtype));
    qi_cmp_csv_field(f, r.test.name);
    fprintf(f, ",%s,%s,%s,%s,%s", qi_cmp_fmt(r.sqnr_db, 9, b[0], 40), qi_cmp_fmt(r.cosine, 12, b[1], 40),
            qi_cmp_fmt(r.max_abs, 9, b[2], 40), qi_cmp_fmt(r.mean_abs, 9, b[3], 40),
            qi_cmp_fmt(r.equal_share, 9, b[4], 40));
    if (layers && r.has_isolated) {
      fputc(',', f);
      qi_cmp_csv_field(f, r.node);
      fprintf(f, ",%s,%s,%s,%s,%s,%s", r.node_op, qi_cmp_fmt(r.isolated_sqnr_db, 9, b[0], 40),
              qi_cmp_fmt(r.isolated_cosine, 12, b[1], 40), qi_cmp_fmt(r.isolated_max_abs, 9, b[2], 40),
              qi_cmp_fmt(r.isolated_mean_abs, 9, b[3], 40), qi_cmp_fmt(r.isolated_in_range_sqnr_db, 9, b[4], 40));
    } else if (layers) {
      fputs(",,,,,,,", f);
    }
    fputc('\n', f);
    written++;
  }
  bool bad = ferror(f) != 0;
  bad = fclose(f) != 0 || bad;
  s->csv = NULL;
  if (bad) return qi_cli_error("cannot write '%s': %s", s->a->csv, strerror(errno));
  printf("csv    %zu rows -> %s\n", written, s->a->csv);
  return QI_EXIT_OK;
}

static int write_html(cmp_state *s, int argc, char **argv) {
  /* The isolated view left its own values in TEST's tensors: one more run gives the histograms the full run's. */
  const qinfer_status st = qinfer_session_run(s->ts);
  if (st != QINFER_OK) return qi_cli_api_error("TEST run failed", st, qinfer_session_last_error(s->ts));
  const qi_compare_html h = {.path = s->a->html, .ref_path = s->a->ref, .test_path = s->a->test, .argc = argc,
                             .argv = argv, .rm = s->rm, .tm = s->tm, .rs = s->rs, .ts = s->ts, .cmp = s->cmp,
                             .hist_count = (size_t)s->a->html_hist, .ref_prof = s->a->profile ? &s->prof[0] : NULL,
                             .test_prof = s->a->profile ? &s->prof[1] : NULL};
  return qi_compare_html_write(&h);
}

int qi_cmd_compare(int argc, char **argv) {
  cmp_args a = {.top = 20, .html_hist = 6};
  cmp_state s = {.a = &a};
  int rc = qi_cli_inputs_init(&a.in, "compare", argc);
  if (rc != QI_EXIT_OK) return rc;
  rc = qi_cli_inputs_take_images(&a.in);
  if (rc == QI_EXIT_OK) rc = parse_args(argc, argv, &a);
  if (rc == PARSED_HELP) {
    qi_cmd_compare_usage();
    rc = QI_EXIT_OK;
    goto done;
  }
  if (rc != QI_EXIT_OK) goto done;
  /* Opened first so that a bad path fails before the models run. */
  if (a.csv && !(s.csv = fopen(a.csv, "w"))) {
    rc = qi_cli_error("cannot write '%s': %s", a.csv, strerror(errno));
    goto done;
  }
  if (a.html) { /* the same for the report: made now, written last */
    FILE *f = fopen(a.html, "w");
    if (!f) {
      rc = qi_cli_error("cannot write '%s': %s", a.html, strerror(errno));
      goto done;
    }
    fclose(f);
    s.html_created = true;
  }
  if ((rc = open_models(&s)) != QI_EXIT_OK) goto done;
  if (a.profile && (rc = qi_compare_html_profile(s.rs, s.ts, &s.prof[0], &s.prof[1])) != QI_EXIT_OK) goto done;
  if ((rc = run_both(&s)) != QI_EXIT_OK) goto done;
  print_outputs(&s);
  if (a.per_layer) print_layers(&s);
  if (s.csv && (rc = write_csv(&s)) != QI_EXIT_OK) goto done;
  if (a.html) {
    if ((rc = write_html(&s, argc, argv)) != QI_EXIT_OK) goto done;
    s.html_created = false;
  }
  if (a.has_min_sqnr && s.outputs_failed) {
    char b[32];
    rc = qi_cli_error("an output is below --min-sqnr %s dB, missing or mismatched",
                      qi_cmp_fmt(a.min_sqnr, 6, b, sizeof b));
  }

done:
  if (s.csv) { /* a failure before the rows were written: leave no empty or partial file */
    fclose(s.csv);
    remove(a.csv);
  }
  if (s.html_created) remove(a.html);
  free(s.prof[0].median_ms);
  free(s.prof[1].median_ms);
  qinfer_compare_destroy(s.cmp);
  if (s.ts) qinfer_session_destroy(s.ts);
  if (s.tm) qinfer_model_destroy(s.tm);
  if (s.rs) qinfer_session_destroy(s.rs);
  if (s.rm) qinfer_model_destroy(s.rm);
  qi_cli_inputs_free(&a.in);
  return rc;
}
