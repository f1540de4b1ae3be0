/* Calibration samples (include/qinfer_quant.h): the files of a folder (.npy tensors, PNG / JPEG images through the
 * preprocessing options) or a caller's callback, both filling the same qinfer_quant_sample. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "engine/quant/io/npy.h"
#include "engine/quant/job.h"

/* ---- one sample's tensors ---- */

/* Takes tensor t (moved into the sample) as model input k: the input's dtype, a missing leading batch dim of 1
 * added. The message of a failure has no subject: the caller prefixes the sample's label. */
static qi_status put_tensor(qinfer_quant_sample *s, int k, qi_host_tensor *t, qi_error *err) {
  qinfer_tensor_info info;
  qinfer_model_input_info(s->src->model, (size_t)k, &info);
  if (t->dtype != info.dtype) {
    const qinfer_dtype got = t->dtype;
    qi_host_tensor_free(t);
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "dtype %s, the model's input '%s' is %s", qi_host_dtype_name(got),
                   info.name, qi_host_dtype_name(info.dtype));
  }
  if (t->rank == info.rank - 1 && t->rank < QINFER_MAX_RANK) { /* no batch dim: add one */
    memmove(t->dims + 1, t->dims, sizeof(int64_t) * (size_t)t->rank);
    t->dims[0] = 1;
    t->rank++;
  }
  qi_host_tensor_free(&s->t[k]);
  s->t[k] = *t;
  s->set[k] = true;
  memset(t, 0, sizeof *t);
  return QINFER_OK;
}

size_t qinfer_quant_sample_input_count(const qinfer_quant_sample *s) { return s ? (size_t)s->src->n_inputs : 0; }

qinfer_status qinfer_quant_sample_input_info(const qinfer_quant_sample *s, size_t index, qinfer_tensor_info *info) {
  if (!s || !info || index >= (size_t)s->src->n_inputs) return QINFER_ERR_INVALID_ARGUMENT;
  return qinfer_model_input_info(s->src->model, index, info);
}

qinfer_status qinfer_quant_sample_set_input(qinfer_quant_sample *s, size_t index, qinfer_dtype dtype,
                                            const int64_t *dims, int rank, const void *data, size_t nbytes) {
  if (!s) return QINFER_ERR_INVALID_ARGUMENT;
  if (index >= (size_t)s->src->n_inputs || (!dims && rank > 0) || (!data && nbytes > 0))
    return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT, "input %zu: bad arguments (the model has %d inputs)", index,
                   s->src->n_inputs);
  qi_host_tensor t = {0};
  qi_status st = qi_host_tensor_alloc(&t, dtype, rank, dims, &s->err);
  if (st != QINFER_OK) return st;
  if (t.nbytes != nbytes) {
    const size_t want = t.nbytes;
    qi_host_tensor_free(&t);
    return qi_fail(&s->err, QINFER_ERR_INVALID_ARGUMENT, "input %zu: %zu bytes given, its shape needs %zu", index,
                   nbytes, want);
  }
  if (nbytes) memcpy(t.data, data, nbytes);
  return put_tensor(s, (int)index, &t, &s->err);
}

void qz_sample_free(qinfer_quant_sample *s) {
  for (int i = 0; i < QZ_MAX_INPUTS; i++) qi_host_tensor_free(&s->t[i]);
}

const char *qz_sample_label(const qz_source *src, size_t index, int input, char *buf, size_t size) {
  if (src->opt->folder) return src->lists[input < 0 ? 0 : input].paths[index];
  qinfer_tensor_info info;
  if (input >= 0 && qinfer_model_input_info(src->model, (size_t)input, &info) == QINFER_OK)
    snprintf(buf, size, "sample %zu input '%s'", index, info.name);
  else
    snprintf(buf, size, "sample %zu", index);
  return buf;
}

/* ---- a folder ---- */

static bool has_ext(const char *name, const char *ext) {
  const size_t n = strlen(name), e = strlen(ext);
  return n > e && strcasecmp(name + n - e, ext) == 0;
}

static bool is_sample_file(const char *name) { return has_ext(name, ".npy") || qi_image_has_image_extension(name); }

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_list(qz_file_list *l) {
  for (int i = 0; i < l->n; i++) free(l->paths[i]);
  free(l->paths);
  l->paths = NULL;
  l->n = 0;
}

/* The sample files of folder dir, sorted by name. */
static qi_status list_samples(const char *dir, qz_file_list *l, qi_error *err) {
  DIR *d = opendir(dir);
  if (!d) return qi_fail(err, QINFER_ERR_IO, "cannot open calibration folder '%s'", dir);
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
  return QINFER_OK;
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One list per model input: DIR/<name>/ (raw or sanitised) when it exists, else DIR itself (one input). */
static qi_status find_samples(qz_source *src, const char *dir, qi_error *err) {
  const int n_in = src->n_inputs;
  for (int i = 0; i < n_in; i++) {
    qinfer_tensor_info info;
    qinfer_model_input_info(src->model, (size_t)i, &info);
    char clean[256], path[1024];
    qi_sanitize_file_name(info.name, clean, sizeof clean);
    snprintf(path, sizeof path, "%s/%s", dir, info.name);
    if (!is_dir(path)) snprintf(path, sizeof path, "%s/%s", dir, clean);
    if (!is_dir(path)) {
      if (n_in > 1)
        return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                       "the model has %d inputs: the sample folder needs a folder per input (missing '%s/%s/')", n_in,
                       dir, clean);
      snprintf(path, sizeof path, "%s", dir);
    }
    QI_CHECK(list_samples(path, &src->lists[i], err));
    if (src->lists[i].n == 0)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "no .npy / .png / .jpg samples in '%s'", path);
    if (i > 0 && src->lists[i].n != src->lists[0].n)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "input '%s' has %d samples but the first input has %d",
                     info.name, src->lists[i].n, src->lists[0].n);
  }
  src->n_samples = n_in ? (size_t)src->lists[0].n : 0;
  return QINFER_OK;
}

/* Loads sample file `path` as model input k (images through the preprocessing). */
static qi_status load_file(qinfer_quant_sample *s, int k, const char *path, qi_error *err) {
  qi_host_tensor t = {0};
  if (has_ext(path, ".npy")) {
    QI_CHECK(qi_npy_read(path, &t, err)); /* its messages name the path */
    return put_tensor(s, k, &t, err) == QINFER_OK ? QINFER_OK : qi_error_context(err, "%s", path);
  }
  qinfer_tensor_info info;
  qinfer_model_input_info(s->src->model, (size_t)k, &info);
  const qi_preprocess *pre = &s->src->opt->pre;
  char ierr[256];
  qi_image img = {0};
  if (qi_image_load(path, &img, ierr, sizeof ierr) != 0) /* its message names the path */
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s", ierr);
  int64_t dims[4];
  qi_layout layout;
  int rc = qi_preprocess_shape(pre, info.rank, info.dims, img.height, img.width, dims, &layout, ierr,
                               sizeof ierr);
  const int h = (int)(layout == QI_LAYOUT_NHWC ? dims[1] : dims[2]), w = (int)(layout == QI_LAYOUT_NHWC ? dims[2] : dims[3]);
  if (rc == 0 && qi_host_tensor_alloc(&t, QINFER_DTYPE_FLOAT, 4, dims, err) != QINFER_OK) {
    qi_image_free(&img);
    return qi_error_context(err, "%s", path);
  }
  if (rc == 0) rc = qi_preprocess_image(pre, &img, h, w, layout, t.data, ierr, sizeof ierr);
  qi_image_free(&img);
  if (rc != 0) {
    qi_host_tensor_free(&t);
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s: %s", path, ierr);
  }
  return put_tensor(s, k, &t, err);
}

/* ---- the source ---- */

/* The first image among the folder's samples, or NULL. */
static const char *first_image(const qz_source *src) {
  for (int i = 0; i < src->n_inputs; i++)
    for (int k = 0; k < src->lists[i].n; k++)
      if (!has_ext(src->lists[i].paths[k], ".npy")) return src->lists[i].paths[k];
  return NULL;
}

/* The preprocessing image samples get, in one line for the message callback. */
static void describe_preprocess(const qinfer_quant_options *opt) {
  if (!opt->message) return;
  const qi_preprocess *p = &opt->pre;
  char size[96], line[512];
  if (p->height > 0) snprintf(size, sizeof size, "%dx%d", p->height, p->width);
  else snprintf(size, sizeof size, "the model input's HxW (a symbolic side: the image's, aspect ratio kept)");
  const bool raw = p->mean[0] == 0 && p->mean[1] == 0 && p->mean[2] == 0 && p->std[0] == 1 && p->std[1] == 1 &&
                   p->std[2] == 1;
  int n = snprintf(line, sizeof line, "image preprocessing: %s to %s", p->resize == QI_RESIZE_SHORTER_CROP ?
                   "shorter-side resize and center crop" : "stretch", size);
  if (p->resize == QI_RESIZE_SHORTER_CROP && n > 0 && (size_t)n < sizeof line)
    n += snprintf(line + n, sizeof line - (size_t)n, " (crop fraction %g)", (double)p->crop_fraction);
  if (n > 0 && (size_t)n < sizeof line) {
    if (raw)
      snprintf(line + n, sizeof line - (size_t)n, ", raw 0..255 pixel values, %s", p->bgr ? "BGR" : "RGB");
    else
      snprintf(line + n, sizeof line - (size_t)n, ", (pixel - mean) / std with mean %g,%g,%g std %g,%g,%g, %s",
               p->mean[0], p->mean[1], p->mean[2], p->std[0], p->std[1], p->std[2], p->bgr ? "BGR" : "RGB");
  }
  opt->message(opt->message_user, line);
}

qi_status qz_source_open(qz_source *src, const qinfer_quant_options *opt, const qinfer_model *model, qi_error *err) {
  memset(src, 0, sizeof *src);
  src->opt = opt;
  src->model = model;
  src->n_inputs = (int)qinfer_model_input_count(model);
  if (src->n_inputs < 1 || src->n_inputs > QZ_MAX_INPUTS)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "models with %d inputs are not supported", src->n_inputs);
  if (opt->folder) {
    QI_CHECK(find_samples(src, opt->folder, err));
    const char *image = first_image(src);
    if (image && !opt->pre_chosen)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                     "%s: an image sample, but no image preprocessing was chosen: set a preset (imagenet, facenet, "
                     "arcface, adaface, or none for raw 0..255 pixels) or a mean / std / scale "
                     "(qinfer_quant_options_set_image_preset / _mean / _std / _scale; qinfer quantize --preset, --mean, "
                     "--std, --scale)",
                     image);
    if (image) describe_preprocess(opt);
  } else if (opt->sample_fn) {
    src->n_samples = opt->n_callback_samples;
    if (src->n_samples == 0) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "the sample callback has 0 samples");
  } else {
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "no calibration samples: set a sample folder or callback");
  }
  if (opt->max_samples && src->n_samples > opt->max_samples) src->n_samples = opt->max_samples;
  return QINFER_OK;
}

void qz_source_close(qz_source *src) {
  for (int i = 0; i < QZ_MAX_INPUTS; i++) free_list(&src->lists[i]);
  free(src->groups);
  free(src->group);
}

/* The index of the first NaN or infinity in a floating-point tensor (by its bits: immune to -ffinite-math-only),
 * or -1; *nan tells which. */
static int64_t first_non_finite(const qi_host_tensor *t, bool *nan) {
  uint64_t exp_mask, mant_mask;
  size_t size;
  switch (t->dtype) {
    case QINFER_DTYPE_FLOAT16: size = 2, exp_mask = 0x7c00u, mant_mask = 0x03ffu; break;
    case QINFER_DTYPE_FLOAT: size = 4, exp_mask = 0x7f800000u, mant_mask = 0x007fffffu; break;
    case QINFER_DTYPE_DOUBLE: size = 8, exp_mask = 0x7ff0000000000000ull, mant_mask = 0x000fffffffffffffull; break;
    default: return -1;
  }
  const int64_t n = qi_host_tensor_numel(t);
  for (int64_t i = 0; i < n; i++) {
    const char *p = (const char *)t->data + size * (size_t)i;
    uint64_t u;
    if (size == 2) {
      uint16_t v;
      memcpy(&v, p, 2);
      u = v;
    } else if (size == 4) {
      uint32_t v;
      memcpy(&v, p, 4);
      u = v;
    } else {
      memcpy(&u, p, 8);
    }
    if ((u & exp_mask) == exp_mask) {
      *nan = (u & mant_mask) != 0;
      return i;
    }
  }
  return -1;
}

/* Refuses a sample holding NaN or infinity: it would make every range it reaches meaningless. */
static qi_status check_finite(const qz_source *src, size_t index, const qinfer_quant_sample *s, qi_error *err) {
  for (int i = 0; i < src->n_inputs; i++) {
    bool nan = false;
    const int64_t at = first_non_finite(&s->t[i], &nan);
    if (at < 0) continue;
    char label[320];
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s: element %lld is %s; calibration samples must be finite",
                   qz_sample_label(src, index, i, label, sizeof label), (long long)at, nan ? "NaN" : "infinite");
  }
  return QINFER_OK;
}

qi_status qz_sample_load(const qz_source *src, size_t index, qinfer_quant_sample *s, qi_error *err) {
  memset(s, 0, sizeof *s);
  s->src = src;
  if (src->opt->folder) {
    for (int i = 0; i < src->n_inputs; i++) QI_CHECK(load_file(s, i, src->lists[i].paths[index], err));
    return check_finite(src, index, s, err);
  }
  char label[64];
  qz_sample_label(src, index, -1, label, sizeof label);
  const qi_status st = src->opt->sample_fn(src->opt->sample_user, index, s);
  if (st != QINFER_OK) {
    if (s->err.msg[0]) return qi_fail(err, st, "%s: %s", label, s->err.msg);
    return qi_fail(err, st, "%s: the sample callback returned %s", label, qinfer_status_string(st));
  }
  for (int i = 0; i < src->n_inputs; i++) {
    if (s->set[i]) continue;
    qinfer_tensor_info info;
    qinfer_model_input_info(src->model, (size_t)i, &info);
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s: the callback did not set input '%s'", label, info.name);
  }
  return check_finite(src, index, s, err);
}
