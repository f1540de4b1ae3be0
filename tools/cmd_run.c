/* qinfer run MODEL [options]: runs a model on inputs from files (or deterministic random ones) and writes
 * every output as DIR/NAME.npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/isa.h"
#include "tools/cli.h"
#include "tools/npy.h"
#include "tools/random_input.h"
#include "tools/tensor_file.h"
#include "tools/tensor_stats.h"

void qi_cmd_run_usage(void) {
  printf(
      "usage: qinfer run MODEL [--input NAME=FILE]... [--output-dir DIR] [--threads N] [--isa NAME]\n"
      "                        [--dim SYM=VALUE]... [--repeat N] [--seed N]\n\n"
      "Runs MODEL and writes each output as DIR/NAME.npy (bytes of NAME outside [A-Za-z0-9._-] become '_').\n"
      "Inputs not given are filled deterministically: floats uniform in [-1,1), int8/uint8 uniform, other\n"
      "integers and bools 0; their symbolic dims come from --dim, else 1.\n\n"
      "  --input NAME=FILE  input NAME from FILE: .npy (little-endian, C order) or ONNX TensorProto .pb;\n"
      "                     its shape fixes the input's shape (repeatable)\n"
      "  --output-dir DIR   where outputs are written (default '.', created if missing)\n"
      "  --threads N        threads per run (default 1; 0 = one per CPU)\n"
      "  --isa NAME         auto, scalar, avx2, avxvnni, avx512vnni, neon, neondot, neoni8mm\n"
      "  --dim SYM=VALUE    bind symbolic dimension SYM (repeatable)\n"
      "  --repeat N         run N times and report the time per run (default 1)\n"
      "  --seed N           seed of the random inputs (default 0)\n");
}

typedef struct input_arg {
  char name[256];
  const char *path;
  qi_host_tensor tensor;
  int model_index;
} input_arg;

typedef struct run_args {
  const char *model, *output_dir;
  input_arg *inputs;
  int n_inputs;
  int64_t repeat, seed, threads;
  qinfer_session_options *options;
} run_args;

enum { PARSED_HELP = -1 };

static int parse_args(int argc, char **argv, run_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    int m;
    char key[256];
    int64_t v;
    qinfer_status s = QINFER_OK;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return PARSED_HELP;
    if ((m = qi_cli_option(argc, argv, &i, "--input", &value)) != 0) {
      if (m < 0) return qi_cli_usage_error("run", "--input needs NAME=FILE");
      input_arg *in = &a->inputs[a->n_inputs];
      if (!qi_cli_split_assignment(value, in->name, sizeof in->name, &in->path) || !*in->path)
        return qi_cli_usage_error("run", "bad --input '%s' (expected NAME=FILE)", value);
      for (int j = 0; j < a->n_inputs; j++)
        if (!strcmp(a->inputs[j].name, in->name))
          return qi_cli_usage_error("run", "input '%s' given twice", in->name);
      a->n_inputs++;
    } else if ((m = qi_cli_option(argc, argv, &i, "--output-dir", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("run", "--output-dir needs a folder");
      a->output_dir = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--threads", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, 1024, &a->threads))
        return qi_cli_usage_error("run", "--threads needs a number from 0 to 1024");
      s = qinfer_session_options_set_threads(a->options, (int)a->threads);
    } else if ((m = qi_cli_option(argc, argv, &i, "--isa", &value)) != 0) {
      int isa = m < 0 ? -1 : qi_isa_parse(value);
      if (isa < 0)
        return qi_cli_usage_error("run", "--isa needs one of auto, scalar, avx2, avxvnni, avx512vnni, neon, "
                                         "neondot, neoni8mm");
      s = qinfer_session_options_set_isa(a->options, (qinfer_isa)isa);
    } else if ((m = qi_cli_option(argc, argv, &i, "--dim", &value)) != 0) {
      const char *num;
      if (m < 0 || !qi_cli_split_assignment(value, key, sizeof key, &num) || !qi_cli_parse_int64(num, 0, INT64_MAX, &v))
        return qi_cli_usage_error("run", "bad --dim '%s' (expected SYM=VALUE, VALUE >= 0)", m < 0 ? "" : value);
      s = qinfer_session_options_set_dim(a->options, key, v);
    } else if ((m = qi_cli_option(argc, argv, &i, "--repeat", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 1, 1000000000, &a->repeat))
        return qi_cli_usage_error("run", "--repeat needs a number >= 1");
    } else if ((m = qi_cli_option(argc, argv, &i, "--seed", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, INT64_MAX, &a->seed))
        return qi_cli_usage_error("run", "--seed needs a number >= 0");
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return qi_cli_usage_error("run", "unknown option '%s'", arg);
    } else if (a->model) {
      return qi_cli_usage_error("run", "more than one model given ('%s', '%s')", a->model, arg);
    } else {
      a->model = arg;
    }
    if (s != QINFER_OK) return qi_cli_api_error(arg, s, qinfer_last_error());
  }
  if (!a->model) return qi_cli_usage_error("run", "no model given");
  return QI_EXIT_OK;
}

/* Message of a failed session creation: recorded per thread, or on the model. */
static const char *create_error(const qinfer_model *model) {
  const char *msg = qinfer_last_error();
  return msg && *msg ? msg : qinfer_model_last_error(model);
}

static int find_model_input(const qinfer_model *model, const char *name, qinfer_tensor_info *info) {
  for (size_t i = 0; i < qinfer_model_input_count(model); i++)
    if (qinfer_model_input_info(model, i, info) == QINFER_OK && !strcmp(info->name, name)) return (int)i;
  return -1;
}

static int unknown_input(const qinfer_model *model, const char *name) {
  char names[1024] = "";
  size_t n = 0;
  for (size_t i = 0; i < qinfer_model_input_count(model) && n < sizeof names; i++) {
    qinfer_tensor_info info;
    if (qinfer_model_input_info(model, i, &info) == QINFER_OK)
      n += (size_t)snprintf(names + n, sizeof names - n, "%s'%s'", i ? ", " : "", info.name);
  }
  return qi_cli_error("the model has no input '%s' (its inputs: %s)", name, n ? names : "none");
}

/* Loads each --input file, checks it against the model's declaration and fixes the session's shape. */
static int load_inputs(run_args *a, const qinfer_model *model) {
  for (int k = 0; k < a->n_inputs; k++) {
    input_arg *in = &a->inputs[k];
    qinfer_tensor_info info;
    in->model_index = find_model_input(model, in->name, &info);
    if (in->model_index < 0) return unknown_input(model, in->name);
    qi_error err = {0};
    if (qi_tensor_file_read(in->path, &in->tensor, &err) != QINFER_OK)
      return qi_cli_error("input '%s': %s", in->name, err.msg);
    const qi_host_tensor *t = &in->tensor;
    char want[256], got[256];
    qi_cli_dims_str(t->rank, t->dims, got, sizeof got);
    qi_cli_shape_str(&info, want, sizeof want);
    if (t->dtype != info.dtype)
      return qi_cli_error("input '%s': %s holds %s data, the model expects %s", in->name, in->path,
                          qinfer_dtype_name(t->dtype), qinfer_dtype_name(info.dtype));
    if (info.rank >= 0 && t->rank != info.rank)
      return qi_cli_error("input '%s': %s has shape %s (rank %d), the model expects %s (rank %d)", in->name,
                          in->path, got, t->rank, want, info.rank);
    for (int d = 0; d < t->rank && info.rank >= 0; d++)
      if (info.dims[d] >= 0 && !info.dim_names[d] && info.dims[d] != t->dims[d])
        return qi_cli_error("input '%s': %s has shape %s, the model expects %s (dimension %d)", in->name, in->path,
                            got, want, d);
    qinfer_status s = qinfer_session_options_set_input_shape(a->options, in->name, t->dims, t->rank);
    if (s != QINFER_OK) return qi_cli_api_error(in->name, s, qinfer_last_error());
  }
  return QI_EXIT_OK;
}

/* Points every session input at a file tensor or a random one (kept in randoms until the session ends). */
static int bind_inputs(run_args *a, qinfer_session *session, qi_host_tensor *randoms) {
  for (size_t i = 0; i < qinfer_session_input_count(session); i++) {
    qinfer_tensor_info info;
    qinfer_status s = qinfer_session_input_info(session, i, &info);
    if (s != QINFER_OK) return qi_cli_api_error("input info", s, qinfer_session_last_error(session));
    const qi_host_tensor *t = NULL;
    const char *source = "random";
    for (int k = 0; k < a->n_inputs; k++)
      if (!strcmp(a->inputs[k].name, info.name)) t = &a->inputs[k].tensor, source = a->inputs[k].path;
    if (!t) {
      qi_error err = {0};
      if (qi_host_tensor_alloc(&randoms[i], info.dtype, info.rank, info.dims, &err) != QINFER_OK)
        return qi_cli_error("input '%s': %s", info.name, err.msg);
      qi_fill_random(&randoms[i], (uint64_t)a->seed * 0x9e3779b97f4a7c15ull + i);
      t = &randoms[i];
    }
    char shape[256];
    printf("input  %-24s %-8s %-20s %s\n", info.name, qinfer_dtype_name(info.dtype),
           qi_cli_shape_str(&info, shape, sizeof shape), source);
    s = qinfer_session_set_input(session, i, t->data, t->nbytes);
    if (s != QINFER_OK) return qi_cli_api_error(info.name, s, qinfer_session_last_error(session));
  }
  return QI_EXIT_OK;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int run_timed(const run_args *a, qinfer_session *session) {
  double best = 0, total = 0;
  for (int64_t r = 0; r < a->repeat; r++) {
    double t0 = now_ms();
    qinfer_status s = qinfer_session_run(session);
    double dt = now_ms() - t0;
    if (s != QINFER_OK) return qi_cli_api_error("run failed", s, qinfer_session_last_error(session));
    total += dt;
    if (r == 0 || dt < best) best = dt;
  }
  printf("run    %lld x, %.3f ms mean, %.3f ms min (isa %s, arena %zu bytes)\n", (long long)a->repeat,
         total / (double)a->repeat, best, qinfer_session_isa_name(session), qinfer_session_arena_bytes(session));
  return QI_EXIT_OK;
}

/* DIR/NAME.npy, with "_<index>" added if an earlier output already took the sanitized name. */
static void output_path(const char *dir, const qinfer_session *session, size_t index, char *path, size_t size) {
  char stem[256], other[256];
  qinfer_tensor_info info;
  qinfer_session_output_info(session, index, &info);
  qi_cli_sanitize_name(info.name, stem, sizeof stem);
  for (size_t j = 0; j < index; j++) {
    qinfer_tensor_info prev;
    qinfer_session_output_info(session, j, &prev);
    qi_cli_sanitize_name(prev.name, other, sizeof other);
    if (!strcmp(stem, other)) {
      char suffix[32];
      snprintf(suffix, sizeof suffix, "_%zu", index);
      stem[sizeof stem - sizeof suffix] = '\0';
      strcat(stem, suffix);
      break;
    }
  }
  snprintf(path, size, "%s/%s.npy", dir, stem);
}

static int write_outputs(const run_args *a, const qinfer_session *session) {
  for (size_t i = 0; i < qinfer_session_output_count(session); i++) {
    qinfer_tensor_info info;
    const void *data;
    size_t nbytes;
    qinfer_status s = qinfer_session_output_info(session, i, &info);
    if (s == QINFER_OK) s = qinfer_session_get_output(session, i, &data, &nbytes);
    if (s != QINFER_OK) return qi_cli_api_error("output", s, qinfer_session_last_error(session));
    char path[4096 + 300], shape[256];
    output_path(a->output_dir, session, i, path, sizeof path);
    qi_error err = {0};
    if (qi_npy_write(path, info.dtype, info.rank, info.dims, data, nbytes, &err) != QINFER_OK)
      return qi_cli_error("output '%s': %s", info.name, err.msg);
    size_t esize = qinfer_dtype_size(info.dtype);
    qi_tensor_stats st;
    qi_compute_stats(info.dtype, data, esize ? (int64_t)(nbytes / esize) : 0, &st);
    printf("output %-24s %-8s %-20s min %.6g max %.6g mean %.6g", info.name, qinfer_dtype_name(info.dtype),
           qi_cli_shape_str(&info, shape, sizeof shape), st.min, st.max, st.mean);
    if (st.nonfinite) printf(" (%lld non-finite)", (long long)st.nonfinite);
    printf(" -> %s\n", path);
  }
  return QI_EXIT_OK;
}

int qi_cmd_run(int argc, char **argv) {
  run_args a = {.output_dir = ".", .repeat = 1, .threads = 1};
  qinfer_model *model = NULL;
  qinfer_session *session = NULL;
  qi_host_tensor *randoms = NULL;
  a.inputs = calloc((size_t)argc + 1, sizeof *a.inputs);
  qinfer_status s = a.inputs ? qinfer_session_options_create(&a.options) : QINFER_ERR_OUT_OF_MEMORY;
  if (s != QINFER_OK) {
    free(a.inputs);
    return qi_cli_api_error("cannot create session options", s, qinfer_last_error());
  }
  int rc = parse_args(argc, argv, &a);
  if (rc == PARSED_HELP) {
    qi_cmd_run_usage();
    rc = QI_EXIT_OK;
    goto done;
  }
  if (rc != QI_EXIT_OK) goto done;

  if (!qi_cli_make_dirs(a.output_dir)) {
    rc = qi_cli_error("cannot create output folder '%s': %s", a.output_dir, strerror(errno));
    goto done;
  }
  s = qinfer_model_load_file(a.model, &model);
  if (s != QINFER_OK) {
    rc = qi_cli_api_error("cannot load model", s, qinfer_last_error());
    goto done;
  }
  if ((rc = load_inputs(&a, model)) != QI_EXIT_OK) goto done;
  s = qinfer_session_create(model, a.options, &session);
  if (s != QINFER_OK) {
    rc = qi_cli_api_error("cannot create a session", s, create_error(model));
    goto done;
  }
  randoms = calloc(qinfer_session_input_count(session) + 1, sizeof *randoms);
  if (!randoms) {
    rc = qi_cli_error("out of memory");
    goto done;
  }
  if ((rc = bind_inputs(&a, session, randoms)) != QI_EXIT_OK) goto done;
  if ((rc = run_timed(&a, session)) != QI_EXIT_OK) goto done;
  rc = write_outputs(&a, session);

done:
  if (session) {
    for (size_t i = 0; randoms && i < qinfer_session_input_count(session); i++) qi_host_tensor_free(&randoms[i]);
    qinfer_session_destroy(session);
  }
  free(randoms);
  if (model) qinfer_model_destroy(model);
  for (int k = 0; k < a.n_inputs; k++) qi_host_tensor_free(&a.inputs[k].tensor);
  free(a.inputs);
  qinfer_session_options_destroy(a.options);
  return rc;
}
