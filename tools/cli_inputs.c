#include "tools/cli_inputs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/isa_map.h"
#include "engine/quant/io/random_input.h"
#include "tools/cli.h"
#include "tools/tensor_file.h"

const char qi_cli_image_inputs_usage[] =
    "  --image FILE       a .png / .jpg / .jpeg image for the model's only input, as --input NAME=FILE does for\n"
    "                     an image file (repeatable as --input is; not mixed with --input). Images become float\n"
    "                     tensors of the input's shape through the preprocessing below, the one `qinfer\n"
    "                     quantize` applies to calibration images; one of --preset, --mean, --std, --scale is\n"
    "                     required (--preset none: raw 0..255 pixels)\n";

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
  qi_cli_image_free(&in->image);
  for (size_t i = 0; in->randoms && i < in->n_randoms; i++) qi_host_tensor_free(&in->randoms[i]);
  free(in->randoms);
  for (int k = 0; in->inputs && k < in->n_inputs; k++) qi_host_tensor_free(&in->inputs[k].tensor);
  free(in->inputs);
  qinfer_session_options_destroy(in->options);
  memset(in, 0, sizeof *in);
}

int qi_cli_inputs_take_images(qi_cli_inputs *in) {
  char err[256];
  if (qi_cli_image_init(&in->image, err, sizeof err) != 0) return qi_cli_error("%s", err);
  in->images = true;
  return QI_EXIT_OK;
}

static bool is_image_path(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

/* --input NAME=FILE (image: false), or --image FILE (image: true; name "" until qi_cli_load_inputs). */
static int add_input(qi_cli_inputs *in, const char *value, bool image) {
  qi_cli_input *arg = &in->inputs[in->n_inputs];
  if (image) {
    arg->name[0] = '\0';
    arg->path = value;
    if (!*value) return qi_cli_usage_error(in->cmd, "--image needs a file");
  } else if (!qi_cli_split_assignment(value, arg->name, sizeof arg->name, &arg->path) || !*arg->path || !arg->name[0]) {
    return qi_cli_usage_error(in->cmd, "bad --input '%s' (expected NAME=FILE)", value);
  }
  for (int j = 0; j < in->n_inputs; j++)
    if ((in->inputs[j].name[0] == '\0') != image)
      return qi_cli_usage_error(in->cmd, "--image and --input cannot be mixed: give every input as --input NAME=FILE");
  arg->set = 0;
  for (int j = 0; j < in->n_inputs; j++)
    if (!strcmp(in->inputs[j].name, arg->name)) {
      if (!in->allow_sets)
        return image ? qi_cli_usage_error(in->cmd, "--image given twice (one input set here)")
                     : qi_cli_usage_error(in->cmd, "input '%s' given twice", arg->name);
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
  char ierr[256];
  if ((m = qi_cli_option(argc, argv, i, "--input", &value)) != 0) {
    if (m < 0) return -qi_cli_usage_error(in->cmd, "--input needs NAME=FILE");
    if ((rc = add_input(in, value, false)) != QI_EXIT_OK) return -rc;
  } else if (in->images && (m = qi_cli_option(argc, argv, i, "--image", &value)) != 0) {
    if (m < 0) return -qi_cli_usage_error(in->cmd, "--image needs a file");
    if ((rc = add_input(in, value, true)) != QI_EXIT_OK) return -rc;
  } else if (in->images && (m = qi_cli_image_arg(&in->image, argc, argv, i, ierr, sizeof ierr)) != 0) {
    if (m < 0) return -qi_cli_usage_error(in->cmd, "%s", ierr);
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

/* --image FILE: the model's only input. */
static int name_image_input(qi_cli_input *arg, const qinfer_model *model) {
  qinfer_tensor_info info;
  const size_t n = qinfer_model_input_count(model);
  if (n != 1 || qinfer_model_input_info(model, 0, &info) != QINFER_OK)
    return qi_cli_error("--image %s: the model has %zu inputs, not one: give --input NAME=FILE", arg->path, n);
  snprintf(arg->name, sizeof arg->name, "%s", info.name);
  return QI_EXIT_OK;
}

/* The tensor of one --input file: an image through the preprocessing, else a .npy / .pb tensor. */
static int read_input_file(qi_cli_inputs *in, qi_cli_input *arg, const qinfer_tensor_info *info) {
  if (in->images && is_image_path(arg->path)) {
    char err[512];
    if (qi_cli_image_read(&in->image, arg->path, info, &arg->tensor, err, sizeof err) != 0)
      return qi_cli_error("input '%s': %s", arg->name, err);
    return QI_EXIT_OK;
  }
  qi_error err = {0};
  if (qi_tensor_file_read(arg->path, &arg->tensor, &err) != QINFER_OK)
    return qi_cli_error("input '%s': %s", arg->name, err.msg);
  return QI_EXIT_OK;
}

int qi_cli_load_inputs(qi_cli_inputs *in, const qinfer_model *model) {
  for (int k = 0; k < in->n_inputs; k++) {
    qi_cli_input *arg = &in->inputs[k];
    int rc = arg->name[0] ? QI_EXIT_OK : name_image_input(arg, model);
    if (rc != QI_EXIT_OK) return rc;
    qinfer_tensor_info info;
    arg->model_index = find_model_input(model, arg->name, &info);
    if (arg->model_index < 0) return unknown_input(model, arg->name);
    if ((rc = read_input_file(in, arg, &info)) != QI_EXIT_OK) return rc;
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
