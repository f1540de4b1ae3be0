#include "tools/cli_inputs.h"

#include <stdlib.h>
#include <string.h>

#include "engine/isa_map.h"
#include "engine/quant/io/random_input.h"
#include "tools/cli.h"
#include "tools/tensor_file.h"

int qi_cli_inputs_init(qi_cli_inputs *in, const char *cmd, int argc) {
  memset(in, 0, sizeof *in);
  in->cmd = cmd;
  in->threads = 1;
  in->inputs = calloc((size_t)argc + 1, sizeof *in->inputs);
  qinfer_status s = in->inputs ? qinfer_session_options_create(&in->options) : QINFER_ERR_OUT_OF_MEMORY;
  if (s != QINFER_OK) {
    free(in->inputs);
    in->inputs = NULL;
    return qi_cli_api_error("cannot create session options", s, qinfer_last_error());
  }
  return QI_EXIT_OK;
}

void qi_cli_inputs_free(qi_cli_inputs *in) {
  for (size_t i = 0; in->randoms && i < in->n_randoms; i++) qi_host_tensor_free(&in->randoms[i]);
  free(in->randoms);
  for (int k = 0; in->inputs && k < in->n_inputs; k++) qi_host_tensor_free(&in->inputs[k].tensor);
  free(in->inputs);
  qinfer_session_options_destroy(in->options);
  memset(in, 0, sizeof *in);
}

static int add_input(qi_cli_inputs *in, const char *value) {
  qi_cli_input *arg = &in->inputs[in->n_inputs];
  if (!qi_cli_split_assignment(value, arg->name, sizeof arg->name, &arg->path) || !*arg->path)
    return qi_cli_usage_error(in->cmd, "bad --input '%s' (expected NAME=FILE)", value);
  arg->set = 0;
  for (int j = 0; j < in->n_inputs; j++)
    if (!strcmp(in->inputs[j].name, arg->name)) {
      if (!in->allow_sets) return qi_cli_usage_error(in->cmd, "input '%s' given twice", arg->name);
      arg->set++;
    }
  if (arg->set + 1 > in->n_sets) in->n_sets = arg->set + 1;
  in->n_inputs++;
  return QI_EXIT_OK;
}

int qi_cli_session_option(qi_cli_inputs *in, int argc, char **argv, int *i) {
  const char *arg = argv[*i], *value = NULL;
  qinfer_status s = QINFER_OK;
  int m, rc;
  if ((m = qi_cli_option(argc, argv, i, "--input", &value)) != 0) {
    if (m < 0) return -qi_cli_usage_error(in->cmd, "--input needs NAME=FILE");
    if ((rc = add_input(in, value)) != QI_EXIT_OK) return -rc;
  } else if ((m = qi_cli_option(argc, argv, i, "--threads", &value)) != 0) {
    if (m < 0 || !qi_cli_parse_int64(value, 0, 1024, &in->threads))
      return -qi_cli_usage_error(in->cmd, "--threads needs a number from 0 to 1024");
    s = qinfer_session_options_set_threads(in->options, (int)in->threads);
  } else if ((m = qi_cli_option(argc, argv, i, "--isa", &value)) != 0) {
    int isa = m < 0 ? -1 : qi_isa_public_parse(value);
    if (isa < 0)
      return -qi_cli_usage_error(in->cmd, "--isa needs one of auto, scalar, avx2, avxvnni, avx512vnni, neon, "
                                          "neondot, neoni8mm");
    s = qinfer_session_options_set_isa(in->options, (qinfer_isa)isa);
  } else if ((m = qi_cli_option(argc, argv, i, "--dim", &value)) != 0) {
    char key[256];
    const char *num;
    int64_t v;
    if (m < 0 || !qi_cli_split_assignment(value, key, sizeof key, &num) || !qi_cli_parse_int64(num, 0, INT64_MAX, &v))
      return -qi_cli_usage_error(in->cmd, "bad --dim '%s' (expected SYM=VALUE, VALUE >= 0)", m < 0 ? "" : value);
    s = qinfer_session_options_set_dim(in->options, key, v);
  } else if (!strcmp(arg, "--read-model")) {
    in->load_flags |= QINFER_LOAD_READ_INTO_MEMORY;
  } else {
    return 0;
  }
  if (s != QINFER_OK) return -qi_cli_api_error(arg, s, qinfer_last_error());
  return 1;
}

/* Message of a failed session creation: recorded per thread, or on the model. */
static const char *create_error(const qinfer_model *model) {
  const char *msg = qinfer_last_error();
  return msg && *msg ? msg : qinfer_model_last_error(model);
}

int qi_cli_open_session(qi_cli_inputs *in, const char *path, qinfer_model **model, qinfer_session **session,
                        double *load_ms, double *create_ms) {
  *model = NULL;
  *session = NULL;
  double t0 = qi_cli_now_ms();
  qinfer_status s = qinfer_model_load_file_ex(path, in->load_flags, model);
  if (load_ms) *load_ms = qi_cli_now_ms() - t0;
  if (s != QINFER_OK) {
    *model = NULL;
    return qi_cli_api_error("cannot load model", s, qinfer_last_error());
  }
  int rc = qi_cli_load_inputs(in, *model);
  if (rc == QI_EXIT_OK) {
    t0 = qi_cli_now_ms();
    s = qinfer_session_create(*model, in->options, session);
    if (create_ms) *create_ms = qi_cli_now_ms() - t0;
    if (s != QINFER_OK) {
      *session = NULL;
      rc = qi_cli_api_error("cannot create a session", s, create_error(*model));
    }
  }
  if (rc != QI_EXIT_OK) {
    qinfer_model_destroy(*model);
    *model = NULL;
  }
  return rc;
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

int qi_cli_load_inputs(qi_cli_inputs *in, const qinfer_model *model) {
  for (int k = 0; k < in->n_inputs; k++) {
    qi_cli_input *arg = &in->inputs[k];
    qinfer_tensor_info info;
    arg->model_index = find_model_input(model, arg->name, &info);
    if (arg->model_index < 0) return unknown_input(model, arg->name);
    qi_error err = {0};
    if (qi_tensor_file_read(arg->path, &arg->tensor, &err) != QINFER_OK)
      return qi_cli_error("input '%s': %s", arg->name, err.msg);
    const qi_host_tensor *t = &arg->tensor;
    char want[256], got[256];
    qi_cli_dims_str(t->rank, t->dims, got, sizeof got);
    qi_cli_shape_str(&info, want, sizeof want);
    if (t->dtype != info.dtype)
      return qi_cli_error("input '%s': %s holds %s data, the model expects %s", arg->name, arg->path,
                          qinfer_dtype_name(t->dtype), qinfer_dtype_name(info.dtype));
    if (info.rank >= 0 && t->rank != info.rank)
      return qi_cli_error("input '%s': %s has shape %s (rank %d), the model expects %s (rank %d)", arg->name,
                          arg->path, got, t->rank, want, info.rank);
    for (int d = 0; d < t->rank && info.rank >= 0; d++)
      if (info.dims[d] >= 0 && !info.dim_names[d] && info.dims[d] != t->dims[d])
        return qi_cli_error("input '%s': %s has shape %s, the model expects %s (dimension %d)", arg->name,
                            arg->path, got, want, d);
    if (arg->set > 0) continue;
    qinfer_status s = qinfer_session_options_set_input_shape(in->options, arg->name, t->dims, t->rank);
    if (s == QINFER_OK)
      s = qinfer_session_options_set_input_value(in->options, arg->name, t->dtype, t->data, t->dims, t->rank);
    if (s != QINFER_OK) return qi_cli_api_error(arg->name, s, qinfer_last_error());
  }
  return QI_EXIT_OK;
}

const qi_cli_input *qi_cli_input_of(const qi_cli_inputs *in, const char *name, int set) {
  const qi_cli_input *found = NULL;
  for (int k = 0; k < in->n_inputs; k++)
    if (in->inputs[k].set <= set && !strcmp(in->inputs[k].name, name)) found = &in->inputs[k];
  return found;
}

const char *qi_cli_input_source(const qi_cli_inputs *in, const char *name) {
  const qi_cli_input *f = qi_cli_input_of(in, name, 0);
  return f ? f->path : "random";
}

void qi_cli_print_input(const qi_cli_inputs *in, const qinfer_tensor_info *info, int set, FILE *log) {
  char shape[256];
  const qi_cli_input *f = qi_cli_input_of(in, info->name, set);
  fprintf(log, "input  %-24s %-8s %-20s %s\n", info->name, qinfer_dtype_name(info->dtype),
          qi_cli_shape_str(info, shape, sizeof shape), f ? f->path : "random");
}

/* Resizes every input whose file in `set` has another shape than the session's input now. */
static int resize_to_set(const qi_cli_inputs *in, qinfer_session *session, int set) {
  for (size_t i = 0; i < qinfer_session_input_count(session); i++) {
    qinfer_tensor_info info;
    qinfer_status s = qinfer_session_input_info(session, i, &info);
    const qi_cli_input *f = s == QINFER_OK ? qi_cli_input_of(in, info.name, set) : NULL;
    if (!f) continue;
    bool same = f->tensor.rank == info.rank;
    for (int d = 0; same && d < info.rank; d++) same = f->tensor.dims[d] == info.dims[d];
    if (!same && (s = qinfer_session_resize_input(session, i, f->tensor.dims, f->tensor.rank)) != QINFER_OK)
      return qi_cli_api_error(f->path, s, qinfer_session_last_error(session));
  }
  return QI_EXIT_OK;
}

int qi_cli_bind_inputs(qi_cli_inputs *in, qinfer_session *session, int set, uint64_t seed, FILE *log) {
  size_t n = qinfer_session_input_count(session);
  if (!in->randoms) {
    if (!(in->randoms = calloc(n + 1, sizeof *in->randoms))) return qi_cli_error("out of memory");
    in->n_randoms = n;
  }
  int rc = resize_to_set(in, session, set);
  if (rc != QI_EXIT_OK) return rc;
  for (size_t i = 0; i < n && i < in->n_randoms; i++) {
    qinfer_tensor_info info;
    qinfer_status s = qinfer_session_input_info(session, i, &info);
    if (s != QINFER_OK) return qi_cli_api_error("input info", s, qinfer_session_last_error(session));
    const qi_cli_input *f = qi_cli_input_of(in, info.name, set);
    const qi_host_tensor *t = f ? &f->tensor : NULL;
    if (!t) {
      qi_error err = {0};
      qi_host_tensor_free(&in->randoms[i]);
      if (qi_random_input(&in->randoms[i], &info, seed, i, &err) != QINFER_OK)
        return qi_cli_error("input '%s': %s", info.name, err.msg);
      t = &in->randoms[i];
    }
    if (log) qi_cli_print_input(in, &info, set, log);
    s = qinfer_session_set_input(session, i, t->data, t->nbytes);
    if (s != QINFER_OK) return qi_cli_api_error(info.name, s, qinfer_session_last_error(session));
  }
  return QI_EXIT_OK;
}
