/* qinfer run MODEL [options]: runs a model on inputs from files (or deterministic random ones) and writes
 * every output as DIR/NAME.npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/io/npy.h"
#include "engine/quant/io/tensor_stats.h"
#include "tools/cli.h"
#include "tools/cli_inputs.h"

void qi_cmd_run_usage(void) {
  printf(
      "usage: qinfer run MODEL [--input NAME=FILE]... [--output-dir DIR] [--threads N] [--isa NAME]\n"
      "                        [--dim SYM=VALUE]... [--repeat N] [--seed N] [--all-tensors DIR] [--read-model]\n"
      "                        [--save-inputs DIR] [--image FILE]... [image options]\n\n"
      "Runs MODEL and writes each output as DIR/NAME.npy (bytes of NAME outside [A-Za-z0-9._-] become '_').\n"
      "Inputs not given are filled deterministically: floats uniform in [-1,1), int8/uint8 uniform, other\n"
      "integers and bools 0; their symbolic dims come from --dim, else 1.\n\n"
      "  --input NAME=FILE  input NAME from FILE: .npy (little-endian, C order), ONNX TensorProto .pb or a\n"
      "                     .png / .jpg / .jpeg image (see --image);\n"
      "                     its shape fixes the input's shape (repeatable). Giving NAME again adds an input\n"
      "                     set: set k runs with the k-th file of each input (or its last one), in the same\n"
      "                     session resized to the files' shapes, and writes to DIR/set<k>/\n"
      "  --output-dir DIR   where outputs are written (default '.', created if missing)\n"
      "  --threads N        threads per run (default 1; 0 = one per CPU)\n"
      "  --isa NAME         auto, scalar, avx2, avxvnni, avx512vnni, neon, neondot, neoni8mm\n"
      "  --dim SYM=VALUE    bind symbolic dimension SYM (repeatable)\n"
      "  --read-model       read the model file (and its external data) into memory instead of mapping it, so\n"
      "                     that rewriting or truncating the file meanwhile cannot change or stop the runs\n"
      "  --repeat N         run N times and report the time per run (default 1)\n"
      "  --seed N           seed of the random inputs (default 0)\n"
      "  --all-tensors DIR  also write every tensor the session computes (intermediates kept, see\n"
      "                     qinfer_session_options_set_keep_intermediates) as DIR/<index>_NAME.npy, listed\n"
      "                     in DIR/tensors.tsv (name, file, dtype, shape)\n"
      "  --save-inputs DIR  also write the inputs each run was given (files, preprocessed images, random\n"
      "                     values) as DIR/NAME.npy (DIR/set<k>/ with several input sets): the same inputs\n"
      "                     for another runtime (bench/parity.py)\n"
      "%s\nImage options:\n%s",
      qi_cli_image_inputs_usage, qi_cli_image_usage);
}

typedef struct run_args {
  const char *model, *output_dir, *all_tensors_dir, *save_inputs_dir;
  qi_cli_inputs in;
  int64_t repeat, seed;
} run_args;

enum { PARSED_HELP = -1 };

static int parse_args(int argc, char **argv, run_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    int m = qi_cli_session_option(&a->in, argc, argv, &i);
    if (m < 0) return -m;
    if (m > 0) continue;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return PARSED_HELP;
    if ((m = qi_cli_option(argc, argv, &i, "--output-dir", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("run", "--output-dir needs a folder");
      a->output_dir = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--repeat", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 1, 1000000000, &a->repeat))
        return qi_cli_usage_error("run", "--repeat needs a number >= 1");
    } else if ((m = qi_cli_option(argc, argv, &i, "--all-tensors", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("run", "--all-tensors needs a folder");
      a->all_tensors_dir = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--save-inputs", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("run", "--save-inputs needs a folder");
      a->save_inputs_dir = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--seed", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, INT64_MAX, &a->seed))
        return qi_cli_usage_error("run", "--seed needs a number >= 0");
    } else if ((m = qi_cli_model_arg("run", arg, &a->model)) != QI_EXIT_OK) {
      return m;
    }
  }
  if (!a->model) return qi_cli_usage_error("run", "no model given");
  return QI_EXIT_OK;
}

static int run_timed(const run_args *a, qinfer_session *session) {
  double best = 0, total = 0;
  for (int64_t r = 0; r < a->repeat; r++) {
    double t0 = qi_cli_now_ms();
    qinfer_status s = qinfer_session_run(session);
    double dt = qi_cli_now_ms() - t0;
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
  qi_sanitize_file_name(info.name, stem, sizeof stem);
  for (size_t j = 0; j < index; j++) {
    qinfer_tensor_info prev;
    qinfer_session_output_info(session, j, &prev);
    qi_sanitize_file_name(prev.name, other, sizeof other);
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

static int write_outputs(const char *dir, const qinfer_session *session) {
  for (size_t i = 0; i < qinfer_session_output_count(session); i++) {
    qinfer_tensor_info info;
    const void *data;
    size_t nbytes;
    qinfer_status s = qinfer_session_output_info(session, i, &info);
    if (s == QINFER_OK) s = qinfer_session_get_output(session, i, &data, &nbytes);
    if (s != QINFER_OK) return qi_cli_api_error("output", s, qinfer_session_last_error(session));
    char path[4096 + 300], shape[256];
    output_path(dir, session, i, path, sizeof path);
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

/* Every readable tensor as DIR/<index>_NAME.npy, indexed by DIR/tensors.tsv. */
static int write_all_tensors(const char *dir, const qinfer_session *session) {
  if (!qi_cli_make_dirs(dir)) return qi_cli_error("cannot create folder '%s': %s", dir, strerror(errno));
  char index_path[4096 + 32];
  snprintf(index_path, sizeof index_path, "%s/tensors.tsv", dir);
  FILE *index = fopen(index_path, "w");
  if (!index) return qi_cli_error("cannot write '%s': %s", index_path, strerror(errno));
  int rc = QI_EXIT_OK;
  for (size_t i = 0; rc == QI_EXIT_OK && i < qinfer_session_tensor_count(session); i++) {
    qinfer_tensor_info info;
    const void *data;
    size_t nbytes;
    if (qinfer_session_tensor(session, i, &info, &data, &nbytes) != QINFER_OK) continue;
    char stem[256], file[300], path[4096 + 320], shape[256];
    qi_sanitize_file_name(info.name, stem, sizeof stem);
    snprintf(file, sizeof file, "%04zu_%s.npy", i, stem);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    qi_error err = {0};
    if (qi_npy_write(path, info.dtype, info.rank, info.dims, data, nbytes, &err) != QINFER_OK)
      rc = qi_cli_error("tensor '%s': %s", info.name, err.msg);
    else
      fprintf(index, "%s\t%s\t%s\t%s\n", info.name, file, qinfer_dtype_name(info.dtype),
              qi_cli_shape_str(&info, shape, sizeof shape));
  }
  if (fclose(index) != 0 && rc == QI_EXIT_OK) rc = qi_cli_error("cannot write '%s'", index_path);
  return rc;
}

/* The inputs bound for input set `set` as DIR/NAME.npy: the files' tensors, the preprocessed images, the random
 * values. */
static int write_inputs(const char *dir, const qi_cli_inputs *in, const qinfer_session *session, int set) {
  if (!qi_cli_make_dirs(dir)) return qi_cli_error("cannot create folder '%s': %s", dir, strerror(errno));
  for (size_t i = 0; i < qinfer_session_input_count(session); i++) {
    qinfer_tensor_info info;
    if (qinfer_session_input_info(session, i, &info) != QINFER_OK) continue;
    const qi_cli_input *f = qi_cli_input_of(in, info.name, set);
    const qi_host_tensor *t = f ? &f->tensor : i < in->n_randoms ? &in->randoms[i] : NULL;
    if (!t || !t->data) continue;
    char stem[256], path[4096 + 300];
    qi_sanitize_file_name(info.name, stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s.npy", dir, stem);
    qi_error err = {0};
    if (qi_npy_write(path, t->dtype, t->rank, t->dims, t->data, t->nbytes, &err) != QINFER_OK)
      return qi_cli_error("input '%s': %s", info.name, err.msg);
  }
  return QI_EXIT_OK;
}

/* Input set `set`: resize and bind its inputs, run, write its outputs (to DIR/set<k> when there are several). */
static int run_set(run_args *a, qinfer_session *session, int set) {
  const bool several = a->in.n_sets > 1;
  char out_dir[4096], all_dir[4096], in_dir[4096];
  snprintf(out_dir, sizeof out_dir, several ? "%s/set%d" : "%s", a->output_dir, set);
  if (a->all_tensors_dir) snprintf(all_dir, sizeof all_dir, several ? "%s/set%d" : "%s", a->all_tensors_dir, set);
  if (a->save_inputs_dir) snprintf(in_dir, sizeof in_dir, several ? "%s/set%d" : "%s", a->save_inputs_dir, set);
  if (several) printf("set    %d\n", set);
  if (!qi_cli_make_dirs(out_dir)) return qi_cli_error("cannot create output folder '%s': %s", out_dir, strerror(errno));
  int rc = qi_cli_bind_inputs(&a->in, session, set, (uint64_t)a->seed, stdout);
  if (rc == QI_EXIT_OK && a->save_inputs_dir) rc = write_inputs(in_dir, &a->in, session, set);
  if (rc == QI_EXIT_OK) rc = run_timed(a, session);
  if (rc == QI_EXIT_OK) rc = write_outputs(out_dir, session);
  if (rc == QI_EXIT_OK && a->all_tensors_dir) rc = write_all_tensors(all_dir, session);
  return rc;
}

int qi_cmd_run(int argc, char **argv) {
  run_args a = {.output_dir = ".", .repeat = 1};
  qinfer_model *model = NULL;
  qinfer_session *session = NULL;
  int rc = qi_cli_inputs_init(&a.in, "run", argc);
  if (rc != QI_EXIT_OK) return rc;
  if ((rc = qi_cli_inputs_take_images(&a.in)) != QI_EXIT_OK) goto done;
  a.in.allow_sets = true;
  rc = parse_args(argc, argv, &a);
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
  if (a.all_tensors_dir) qinfer_session_options_set_keep_intermediates(a.in.options, 1);
  if ((rc = qi_cli_open_session(&a.in, a.model, &model, &session, NULL, NULL)) != QI_EXIT_OK) goto done;
  const int sets = a.in.n_sets > 1 ? a.in.n_sets : 1;
  for (int set = 0; rc == QI_EXIT_OK && set < sets; set++) rc = run_set(&a, session, set);

done:
  if (session) qinfer_session_destroy(session);
  if (model) qinfer_model_destroy(model);
  qi_cli_inputs_free(&a.in);
  return rc;
}
