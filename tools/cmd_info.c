/* qinfer info MODEL [--dim SYM=VALUE]...: what a model takes and gives, what it is made of, what it costs. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/cli.h"
#include "tools/model_stats.h"
#include "tools/session_graph.h"

void qi_cmd_info_usage(void) {
  printf(
      "usage: qinfer info MODEL [--dim SYM=VALUE]... [--read-model]\n\n"
      "Prints the model's file size, inputs and outputs (dtype, shape with symbolic dims), parameter count\n"
      "(elements of numeric initializers) and op histogram, then builds a session with symbolic dims bound\n"
      "(--dim, else 1) and prints the multiply-accumulates of one run (Conv, ConvTranspose, Gemm, MatMul,\n"
      "Attention and their integer forms).\n\n"
      "  --dim SYM=VALUE   bind symbolic dimension SYM (repeatable)\n"
      "  --read-model      read the model file (and its external data) into memory instead of mapping it\n");
}

/* "1,234,567" */
static const char *with_commas(int64_t v, char *buf, size_t size) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)v);
  size_t o = 0;
  for (int i = 0; i < n && o + 2 < size; i++) {
    if (i > 0 && digits[i - 1] != '-' && (n - i) % 3 == 0) buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
  return buf;
}

/* "3.50 M", "4.10 G" */
static const char *human(double v, char *buf, size_t size) {
  const char *units[] = {"", "K", "M", "G", "T", "P"};
  int u = 0;
  while (v >= 1000.0 && u < 5) v /= 1000.0, u++;
  snprintf(buf, size, u ? "%.2f %s" : "%.0f%s", v, units[u]);
  return buf;
}

static void print_tensor_infos(const char *title, const qinfer_model *model, size_t count, bool inputs) {
  printf("%s (%zu):\n", title, count);
  for (size_t i = 0; i < count; i++) {
    qinfer_tensor_info info;
    qinfer_status s = inputs ? qinfer_model_input_info(model, i, &info) : qinfer_model_output_info(model, i, &info);
    if (s != QINFER_OK) {
      printf("  #%zu: %s\n", i, qinfer_status_string(s));
      continue;
    }
    char shape[256];
    printf("  %-24s %-8s %s\n", info.name, qinfer_dtype_name(info.dtype), qi_cli_shape_str(&info, shape, sizeof shape));
  }
}

/* Parameters and op histogram of the model as written (before folding and fusion). */
static void print_model_stats(const qi_graph *g) {
  char a[64], b[64];
  int64_t params = qi_count_params(g);
  printf("parameters: %s (%s)\n", human((double)params, a, sizeof a), with_commas(params, b, sizeof b));
  qi_op_count *counts = malloc(sizeof *counts * (size_t)(g->n_nodes > 0 ? g->n_nodes : 1));
  if (!counts) return;
  int n_ops = qi_op_histogram(g, counts, g->n_nodes);
  int live = 0;
  for (int i = 0; i < n_ops; i++) live += counts[i].count;
  printf("ops (%d nodes, %d kinds):\n", live, n_ops);
  for (int i = 0; i < n_ops; i++) {
    char label[160];
    snprintf(label, sizeof label, "%s%s%s", counts[i].domain, *counts[i].domain ? "." : "", counts[i].op_type);
    printf("  %-28s %6d\n", label, counts[i].count);
  }
  free(counts);
}

/* MACs need concrete shapes: counted on the session's graph. */
static void print_session_stats(const qinfer_session *session) {
  char a[64], b[64];
  printf("bound input shapes:");
  for (size_t i = 0; i < qinfer_session_input_count(session); i++) {
    qinfer_tensor_info info;
    if (qinfer_session_input_info(session, i, &info) == QINFER_OK)
      printf(" %s%s", info.name, qi_cli_shape_str(&info, a, sizeof a));
  }
  printf("\n");
  int64_t macs = qi_count_macs(qi_cli_session_graph(session));
  printf("MACs:       %s (%s)\n", human((double)macs, a, sizeof a), with_commas(macs, b, sizeof b));
}

enum { PARSED_HELP = -1 };

typedef struct info_args {
  const char *model;
  qinfer_session_options *options;
  unsigned load_flags;
} info_args;

static int parse_args(int argc, char **argv, info_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *value;
    int m;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return PARSED_HELP;
    if ((m = qi_cli_option(argc, argv, &i, "--dim", &value)) != 0) {
      char sym[256];
      const char *num;
      int64_t v;
      if (m < 0 || !qi_cli_split_assignment(value, sym, sizeof sym, &num) || !qi_cli_parse_int64(num, 0, INT64_MAX, &v))
        return qi_cli_usage_error("info", "bad --dim '%s' (expected SYM=VALUE, VALUE >= 0)", m < 0 ? "" : value);
      qinfer_status s = qinfer_session_options_set_dim(a->options, sym, v);
      if (s != QINFER_OK) return qi_cli_api_error("--dim", s, qinfer_last_error());
    } else if (!strcmp(argv[i], "--read-model")) {
      a->load_flags |= QINFER_LOAD_READ_INTO_MEMORY;
    } else if ((m = qi_cli_model_arg("info", argv[i], &a->model)) != QI_EXIT_OK) {
      return m;
    }
  }
  if (!a->model) return qi_cli_usage_error("info", "no model given");
  return QI_EXIT_OK;
}

/* Whether any input has a symbolic (unbound) dimension. */
static bool has_symbolic_inputs(const qinfer_model *model) {
  for (size_t i = 0; i < qinfer_model_input_count(model); i++) {
    qinfer_tensor_info info;
    if (qinfer_model_input_info(model, i, &info) != QINFER_OK) continue;
    for (int d = 0; d < info.rank; d++)
      if (info.dims[d] < 0) return true;
  }
  return false;
}

int qi_cmd_info(int argc, char **argv) {
  info_args a = {0};
  qinfer_status s = qinfer_session_options_create(&a.options);
  if (s != QINFER_OK) return qi_cli_api_error("cannot create session options", s, qinfer_last_error());
  int rc = parse_args(argc, argv, &a);
  qinfer_model *model = NULL;
  qinfer_session *session = NULL;
  if (rc == PARSED_HELP) {
    qi_cmd_info_usage();
    rc = QI_EXIT_OK;
    goto done;
  }
  if (rc != QI_EXIT_OK) goto done;

  s = qinfer_model_load_file_ex(a.model, a.load_flags, &model);
  if (s != QINFER_OK) {
    rc = qi_cli_api_error("cannot load model", s, qinfer_last_error());
    goto done;
  }
  struct stat st;
  char size_buf[64];
  printf("model:      %s (%sB)\n", a.model,
         stat(a.model, &st) == 0 ? human((double)st.st_size, size_buf, sizeof size_buf) : "?");
  print_tensor_infos("inputs", model, qinfer_model_input_count(model), true);
  print_tensor_infos("outputs", model, qinfer_model_output_count(model), false);
  print_model_stats(qi_cli_model_graph(model));

  s = qinfer_session_create(model, a.options, &session);
  if (s != QINFER_OK) {
    const char *msg = qinfer_last_error();
    rc = qi_cli_api_error("cannot build a session (needed for MACs)", s,
                          msg && *msg ? msg : qinfer_model_last_error(model));
    if (has_symbolic_inputs(model))
      fprintf(stderr, "qinfer: hint: symbolic dimensions default to 1; bind them with --dim NAME=VALUE\n");
    goto done;
  }
  print_session_stats(session);

done:
  if (session) qinfer_session_destroy(session);
  if (model) qinfer_model_destroy(model);
  qinfer_session_options_destroy(a.options);
  return rc;
}
