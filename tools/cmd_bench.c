/* qinfer bench MODEL [options]: times session creation and repeated runs of one session, and prints median,
 * min, mean, p90 and max per run, the arena size and the GFLOP/s the model's MACs give at the median. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tools/cli.h"
#include "tools/cli_inputs.h"
#include "tools/model_stats.h"
#include "tools/run_timing.h"
#include "tools/session_graph.h"

void qi_cmd_bench_usage(void) {
  printf(
      "usage: qinfer bench MODEL [--threads N] [--isa NAME] [--dim SYM=VALUE]... [--input NAME=FILE]...\n"
      "                          [--warmup N] [--runs N] [--min-time SEC] [--json] [--read-model] [--profile]\n"
      "                          [--image FILE]... [image options]\n\n"
      "Builds one session (its creation is timed on its own), fills the inputs (files, else deterministic random\n"
      "values as `qinfer run` makes them), runs it --warmup times untimed, then times each run with the monotonic\n"
      "clock and prints median, min, mean, p90 and max in ms, the median CPU time of a run (the process's, all\n"
      "threads: on a shared machine a 1-thread run's CPU time leaves out the time it waited for a core), the ISA,\n"
      "threads, arena bytes and GFLOP/s (2 x the MACs of one run / the median time).\n\n"
      "  --threads N        threads per run (default 1; 0 = one per CPU)\n"
      "  --isa NAME         auto, scalar, avx2, avxvnni, avx512vnni, neon, neondot, neoni8mm\n"
      "  --dim SYM=VALUE    bind symbolic dimension SYM (repeatable; unbound dims are 1)\n"
      "  --input NAME=FILE  input NAME from a .npy / .pb file or an image (see --image; repeatable; its shape\n"
      "                     fixes the input's shape).\n"
      "                     Giving NAME again adds an input set: each set is timed in turn in the same session,\n"
      "                     resized to its files' shapes, and reported on its own\n"
      "  --read-model       read the model file (and its external data) into memory instead of mapping it, so\n"
      "                     that rewriting or truncating the file meanwhile cannot change or stop the runs\n"
      "  --warmup N         untimed runs first (default 3)\n"
      "  --runs N           timed runs, at least (default 20)\n"
      "  --min-time SEC     keep running until the timed runs add up to SEC seconds as well (default 0)\n"
      "  --json             print one JSON object instead of the table\n"
      "  --profile          time every node too: a table of the nodes (op type, name, the kernel its op picked,\n"
      "                     median ms over the timed runs, share of the run, GOPS from its MACs), slowest first,\n"
      "                     and the totals per op type (\"profile\" in the JSON)\n"
      "%s\nImage options:\n%s",
      qi_cli_image_inputs_usage, qi_cli_image_usage);
}

typedef struct bench_args {
  const char *model;
  qi_cli_inputs in;
  qi_timing_plan t; /* --warmup, --runs, --min-time, --profile */
  int json;
} bench_args;


enum { PARSED_HELP = -1 };

static bool parse_seconds(const char *text, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end || !isfinite(v) || v < 0 || v > 1e6) return false;
  *out = v;
  return true;
}

static int parse_args(int argc, char **argv, bench_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    int m = qi_cli_session_option(&a->in, argc, argv, &i);
    if (m < 0) return -m;
    if (m > 0) continue;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return PARSED_HELP;
    if ((m = qi_cli_option(argc, argv, &i, "--warmup", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, 1000000000, &a->t.warmup))
        return qi_cli_usage_error("bench", "--warmup needs a number >= 0");
    } else if ((m = qi_cli_option(argc, argv, &i, "--runs", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 1, 100000000, &a->t.runs))
        return qi_cli_usage_error("bench", "--runs needs a number from 1 to 100000000");
    } else if ((m = qi_cli_option(argc, argv, &i, "--min-time", &value)) != 0) {
      if (m < 0 || !parse_seconds(value, &a->t.min_time_s))
        return qi_cli_usage_error("bench", "--min-time needs seconds from 0 to 1e6");
    } else if (!strcmp(arg, "--json")) {
      a->json = 1;
    } else if (!strcmp(arg, "--profile")) {
      a->t.profile = true;
    } else if ((m = qi_cli_model_arg("bench", arg, &a->model)) != QI_EXIT_OK) {
      return m;
    }
  }
  if (!a->model) return qi_cli_usage_error("bench", "no model given");
  return QI_EXIT_OK;
}


/* s as a JSON string (quotes, backslashes and control bytes escaped). */
static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static double gflops(const qi_bench_result *r) { return r->median > 0 ? 2.0 * (double)r->macs / (r->median * 1e6) : 0; }

/* The inputs of the session as it is now: a JSON array of name, dtype, shape and source. */
static void json_inputs(const bench_args *a, const qinfer_session *session, int set) {
  printf("[");
  for (size_t i = 0; i < qinfer_session_input_count(session); i++) {
    qinfer_tensor_info info;
    if (qinfer_session_input_info(session, i, &info) != QINFER_OK) continue;
    printf("%s{\"name\": ", i ? ", " : "");
    json_string(info.name);
    printf(", \"dtype\": ");
    json_string(qinfer_dtype_name(info.dtype));
    printf(", \"shape\": [");
    for (int d = 0; d < info.rank; d++) printf("%s%lld", d ? ", " : "", (long long)info.dims[d]);
    printf("], \"source\": ");
    const qi_cli_input *f = qi_cli_input_of(&a->in, info.name, set);
    json_string(f ? f->path : "random");
    printf("}");
  }
  printf("]");
}

/* --profile rows: one per node, or one per op type (node = the type's first node, nodes = how many). */
typedef struct prof_row {
  double ms;
  int64_t macs;
  size_t node, nodes;
} prof_row;

static int cmp_row_slowest(const void *a, const void *b) {
  const prof_row *x = a, *y = b;
  if (x->ms != y->ms) return (x->ms < y->ms) - (x->ms > y->ms);
  return (x->node > y->node) - (x->node < y->node); /* ties in execution order */
}

/* The rows of p, per node (by_type false) or per op type, slowest first; *count receives their number. NULL when
 * out of memory. *sum_ms receives the sum over the nodes. */
static prof_row *profile_rows(const qi_node_times *p, bool by_type, size_t *count, double *sum_ms) {
  prof_row *rows = calloc(p->count + 1, sizeof *rows);
  if (!rows) return NULL;
  size_t n = 0;
  *sum_ms = 0;
  for (size_t i = 0; i < p->count; i++) {
    *sum_ms += p->median_ms[i];
    size_t k = 0;
    while (by_type && k < n && strcmp(p->rec[rows[k].node].op_type, p->rec[i].op_type) != 0) k++;
    if (!by_type || k == n) rows[k = n++] = (prof_row){.node = i};
    rows[k].ms += p->median_ms[i];
    rows[k].macs += p->rec[i].macs;
    rows[k].nodes++;
  }
  qsort(rows, n, sizeof *rows, cmp_row_slowest);
  *count = n;
  return rows;
}

/* Both tables of r's profile: per node and per op type, slowest first. False (reported) when out of memory. */
typedef struct prof_tables {
  prof_row *nodes, *types;
  size_t n_nodes, n_types;
  double sum_ms;
} prof_tables;

static bool profile_tables(const qi_bench_result *r, prof_tables *t) {
  t->nodes = profile_rows(&r->prof, false, &t->n_nodes, &t->sum_ms);
  t->types = profile_rows(&r->prof, true, &t->n_types, &t->sum_ms);
  if (t->nodes && t->types) return true;
  free(t->nodes), free(t->types);
  qi_cli_error("out of memory");
  return false;
}

static double row_gops(const prof_row *r) { return r->ms > 0 ? 2.0 * (double)r->macs / (r->ms * 1e6) : 0; }
static double row_share(const prof_row *r, double sum) { return sum > 0 ? 100.0 * r->ms / sum : 0; }

static void print_profile(const qi_bench_result *r) {
  prof_tables t;
  if (!profile_tables(r, &t)) return;
  const prof_row *nodes = t.nodes, *types = t.types;
  const size_t n_nodes = t.n_nodes, n_types = t.n_types;
  const double sum = t.sum_ms;
  printf("profile    %zu nodes, median ms of each over %lld runs, slowest first; the medians add up to %.3f ms\n",
         r->prof.count, (long long)r->runs, sum);
  printf("%10s %6s %8s  %-22s %-48s %s\n", "ms", "share", "GOPS", "op type", "kernel", "node");
  for (size_t i = 0; i < n_nodes; i++) {
    const qinfer_node_profile *rec = &r->prof.rec[nodes[i].node];
    printf("%10.4f %5.1f%% %8.2f  %-22s %-48s %s\n", nodes[i].ms, row_share(&nodes[i], sum), row_gops(&nodes[i]),
           rec->op_type, rec->kernel, rec->name[0] ? rec->name : "(unnamed)");
  }
  printf("per op type\n%10s %6s %8s  %5s  %s\n", "ms", "share", "GOPS", "nodes", "op type");
  for (size_t i = 0; i < n_types; i++)
    printf("%10.4f %5.1f%% %8.2f  %5zu  %s\n", types[i].ms, row_share(&types[i], sum), row_gops(&types[i]),
           types[i].nodes, r->prof.rec[types[i].node].op_type);
  free(t.nodes), free(t.types);
}

/* , "profile": {...}: the per-node and per-op-type rows as print_profile's table. */
static void json_profile(const qi_bench_result *r) {
  prof_tables t;
  if (!r->prof.median_ms || !profile_tables(r, &t)) return;
  const prof_row *nodes = t.nodes, *types = t.types;
  const size_t n_nodes = t.n_nodes, n_types = t.n_types;
  const double sum = t.sum_ms;
  printf(", \"profile\": {\"sum_ms\": %.4f, \"nodes\": [", sum);
  for (size_t i = 0; i < n_nodes; i++) {
    const qinfer_node_profile *rec = &r->prof.rec[nodes[i].node];
    printf("%s{\"op_type\": ", i ? ", " : "");
    json_string(rec->op_type);
    printf(", \"name\": ");
    json_string(rec->name);
    printf(", \"kernel\": ");
    json_string(rec->kernel);
    printf(", \"step\": %zu, \"ms\": %.4f, \"share\": %.4f, \"macs\": %lld, \"gops\": %.3f}", nodes[i].node,
           nodes[i].ms, row_share(&nodes[i], sum) / 100.0, (long long)nodes[i].macs, row_gops(&nodes[i]));
  }
  printf("], \"op_types\": [");
  for (size_t i = 0; i < n_types; i++) {
    printf("%s{\"op_type\": ", i ? ", " : "");
    json_string(r->prof.rec[types[i].node].op_type);
    printf(", \"nodes\": %zu, \"ms\": %.4f, \"share\": %.4f, \"macs\": %lld, \"gops\": %.3f}", types[i].nodes,
           types[i].ms, row_share(&types[i], sum) / 100.0, (long long)types[i].macs, row_gops(&types[i]));
  }
  printf("]}");
  free(t.nodes), free(t.types);
}

static void json_times(const qi_bench_result *r) {
  printf("\"runs\": %lld, \"median_ms\": %.4f, \"min_ms\": %.4f, \"mean_ms\": %.4f, \"p90_ms\": %.4f, "
         "\"max_ms\": %.4f, \"cpu_median_ms\": %.4f, \"macs\": %lld, \"gflops\": %.3f",
         (long long)r->runs, r->median, r->min, r->mean, r->p90, r->max, r->cpu_median, (long long)r->macs, gflops(r));
  json_profile(r);
}

/* The opening of the JSON object: {"model": ..., "qinfer_version": ..., "isa": ... */
static void json_head(const bench_args *a, const qinfer_session *session) {
  printf("{\"model\": ");
  json_string(a->model);
  printf(", \"qinfer_version\": ");
  json_string(qinfer_version());
  printf(", \"isa\": ");
  json_string(qinfer_session_isa_name(session));
}

static void print_json(const bench_args *a, const qinfer_session *session, const qi_bench_result *r) {
  json_head(a, session);
  printf(", \"threads\": %d, \"arena_bytes\": %zu, \"inputs\": ", r->threads, r->arena_bytes);
  json_inputs(a, session, 0);
  printf(", \"load_ms\": %.4f, \"session_create_ms\": %.4f, \"warmup\": %lld, ", r->load_ms, r->create_ms,
         (long long)a->t.warmup);
  json_times(r);
  printf(", \"peak_rss_kb\": %ld, \"rss_kb\": %ld}\n", r->peak_rss_kb, r->rss_kb);
}

static void print_times(const bench_args *a, const qi_bench_result *r) {
  printf("runs       %lld (after %lld warm-up)\n", (long long)r->runs, (long long)a->t.warmup);
  printf("median     %.3f ms\n", r->median);
  printf("min        %.3f ms\n", r->min);
  printf("mean       %.3f ms\n", r->mean);
  printf("p90        %.3f ms\n", r->p90);
  printf("max        %.3f ms\n", r->max);
  printf("CPU        %.3f ms (median CPU time of a run, all threads)\n", r->cpu_median);
  printf("MACs       %lld\n", (long long)r->macs);
  printf("GFLOP/s    %.3f (2 x MACs / median)\n", gflops(r));
  if (r->prof.median_ms) print_profile(r);
}

/* The table of one input set (sets: false), or of the session around its sets' own blocks. */
static void print_table(const bench_args *a, const qinfer_session *session, const qi_bench_result *r, bool sets) {
  printf("model      %s\n", a->model);
  printf("isa        %s\n", qinfer_session_isa_name(session));
  printf("threads    %d\n", r->threads);
  if (!sets) printf("arena      %zu bytes\n", r->arena_bytes);
  printf("load       %.3f ms\n", r->load_ms);
  printf("session    %.3f ms (create)\n", r->create_ms);
  if (!sets) print_times(a, r);
  printf("peak RSS   %.1f MB\n", (double)r->peak_rss_kb / 1024.0);
  printf("RSS        %.1f MB (after the runs)\n", (double)r->rss_kb / 1024.0);
}

/* Resident set size now (VmRSS in /proc/self/status), in KB; 0 where that file does not exist. */
static long current_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

/* Times input set `set` (resized and bound first) into r; with several sets, prints its block (table) or its
 * JSON object in the "sets" array. */
static int bench_set(bench_args *a, qinfer_session *session, int set, qi_bench_result *r) {
  const bool several = a->in.n_sets > 1;
  if (several && !a->json) printf("set        %d\n", set);
  const double t0 = qi_cli_now_ms();
  int rc = qi_cli_bind_inputs(&a->in, session, set, 0, a->json ? NULL : stdout);
  r->bind_ms = qi_cli_now_ms() - t0;
  if (rc == QI_EXIT_OK) rc = qi_time_runs(&a->t, session, r);
  if (rc != QI_EXIT_OK) return rc;
  r->macs = qi_count_macs(qi_cli_session_graph(session));
  r->arena_bytes = qinfer_session_arena_bytes(session);
  if (several && a->json) {
    printf("%s{\"inputs\": ", set ? ", " : "");
    json_inputs(a, session, set);
    printf(", \"arena_bytes\": %zu, \"bind_ms\": %.4f, ", r->arena_bytes, r->bind_ms);
    json_times(r);
    printf("}");
  } else if (several) {
    printf("bind       %.3f ms (resize to the set's shapes, set the inputs)\n", r->bind_ms);
    printf("arena      %zu bytes\n", r->arena_bytes);
    print_times(a, r);
  }
  return QI_EXIT_OK;
}

static int bench(bench_args *a, qi_bench_result *r) {
  qinfer_model *model = NULL;
  qinfer_session *session = NULL;
  int rc = qi_cli_open_session(&a->in, a->model, &model, &session, &r->load_ms, &r->create_ms);
  if (rc != QI_EXIT_OK) return rc;
  r->threads = a->in.threads ? (int)a->in.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  const bool several = a->in.n_sets > 1;
  if (several && a->json) {
    json_head(a, session);
    printf(", \"threads\": %d, \"load_ms\": %.4f, \"session_create_ms\": %.4f, \"warmup\": %lld, \"sets\": [",
           r->threads, r->load_ms, r->create_ms, (long long)a->t.warmup);
  }
  for (int set = 0; rc == QI_EXIT_OK && set < (several ? a->in.n_sets : 1); set++) {
    qi_bench_result one = *r;
    one.prof.median_ms = NULL;
    rc = bench_set(a, session, set, &one);
    if (set == 0) *r = one;
    else free(one.prof.median_ms);
  }
  if (rc != QI_EXIT_OK) goto done;
  struct rusage ru;
  r->peak_rss_kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
  r->rss_kb = current_rss_kb();
  if (several && a->json) printf("], \"peak_rss_kb\": %ld, \"rss_kb\": %ld}\n", r->peak_rss_kb, r->rss_kb);
  else if (a->json) print_json(a, session, r);
  else print_table(a, session, r, several);

done:
  free(r->prof.median_ms);
  r->prof.median_ms = NULL;
  if (session) qinfer_session_destroy(session);
  if (model) qinfer_model_destroy(model);
  return rc;
}

int qi_cmd_bench(int argc, char **argv) {
  bench_args a = {.t = {.warmup = 3, .runs = 20}};
  qi_bench_result r = {0};
  int rc = qi_cli_inputs_init(&a.in, "bench", argc);
  if (rc != QI_EXIT_OK) return rc;
  a.in.allow_sets = true;
  rc = qi_cli_inputs_take_images(&a.in);
  if (rc == QI_EXIT_OK) rc = parse_args(argc, argv, &a);
  if (rc == QI_EXIT_OK && a.t.profile && qinfer_session_options_set_profiling(a.in.options, 1) != QINFER_OK)
    rc = qi_cli_error("cannot turn profiling on");
  if (rc == PARSED_HELP) {
    qi_cmd_bench_usage();
    rc = QI_EXIT_OK;
  } else if (rc == QI_EXIT_OK) {
    rc = bench(&a, &r);
  }
  qi_cli_inputs_free(&a.in);
  return rc;
}
