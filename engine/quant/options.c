/* The quantizer's options handle (include/qinfer_quant.h). Every failure is kept on the handle and, like the
 * session options' failures, as this thread's qinfer_last_error(). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/job.h"

static qinfer_status fail(qinfer_quant_options *o, qinfer_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static qinfer_status fail(qinfer_quant_options *o, qinfer_status code, const char *fmt, ...) {
  qi_error err = {0};
  va_list ap;
  va_start(ap, fmt);
  char msg[QI_ERROR_MSG_SIZE];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  qi_fail(&err, code, "%s", msg);
  if (o) o->err = err;
  return qi_api_fail(code, &err);
}

#define CHECK_OPTIONS(o) \
  if (!(o)) return fail(NULL, QINFER_ERR_INVALID_ARGUMENT, "options must not be NULL")

qinfer_status qinfer_quant_options_create(qinfer_quant_options **out) {
  if (!out) return fail(NULL, QINFER_ERR_INVALID_ARGUMENT, "out_options must not be NULL");
  qinfer_quant_options *o = calloc(1, sizeof *o);
  if (!(*out = o)) return fail(NULL, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  o->o.per_channel = true;
  o->o.act_dtype = QINFER_DTYPE_UINT8;
  o->o.weight_bits = 8;
  o->o.weight_method = QZ_WEIGHT_MINMAX;
  o->o.method = QZ_MINMAX;
  o->o.percentile = 99.99;
  qi_preprocess_init(&o->pre);
  return QINFER_OK;
}

void qinfer_quant_options_destroy(qinfer_quant_options *o) {
  if (!o) return;
  for (int i = 0; i < o->o.n_exclude; i++) free(o->exclude[i]);
  free(o->exclude);
  free(o->folder);
  free(o);
}

const char *qinfer_quant_options_last_error(const qinfer_quant_options *o) {
  return o ? o->err.msg : qinfer_last_error();
}

qinfer_status qinfer_quant_options_set_method(qinfer_quant_options *o, qinfer_quant_method method) {
  CHECK_OPTIONS(o);
  switch (method) {
    case QINFER_QUANT_MINMAX: o->o.method = QZ_MINMAX; break;
    case QINFER_QUANT_PERCENTILE: o->o.method = QZ_PERCENTILE; break;
    case QINFER_QUANT_ENTROPY: o->o.method = QZ_ENTROPY; break;
    case QINFER_QUANT_MSE: o->o.method = QZ_MSE; break;
    default: return fail(o, QINFER_ERR_INVALID_ARGUMENT, "unknown method %d", (int)method);
  }
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_percentile(qinfer_quant_options *o, double percentile) {
  CHECK_OPTIONS(o);
  if (!(percentile > 50.0 && percentile <= 100.0))
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the percentile must be in (50, 100], not %g", percentile);
  o->o.percentile = percentile;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_per_channel(qinfer_quant_options *o, int per_channel) {
  CHECK_OPTIONS(o);
  o->o.per_channel = per_channel != 0;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_activation_type(qinfer_quant_options *o, qinfer_dtype dtype) {
  CHECK_OPTIONS(o);
  if (dtype != QINFER_DTYPE_UINT8 && dtype != QINFER_DTYPE_INT8 && dtype != QINFER_DTYPE_INT16 &&
      dtype != QINFER_DTYPE_UINT16 && dtype != QINFER_DTYPE_FLOAT)
    return fail(o, QINFER_ERR_INVALID_ARGUMENT,
                "activations must be uint8, int8, int16, uint16 or float (weight-only), not %s",
                qinfer_dtype_name(dtype));
  o->o.act_dtype = dtype;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_weight_type(qinfer_quant_options *o, qinfer_dtype dtype) {
  CHECK_OPTIONS(o);
  if (dtype != QINFER_DTYPE_INT8 && dtype != QINFER_DTYPE_INT4 && dtype != QINFER_DTYPE_UINT4)
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "weights must be int8, int4 or uint4, not %s",
                qinfer_dtype_name(dtype));
  o->o.weight_bits = dtype == QINFER_DTYPE_INT8 ? 8 : 4;
  o->o.weight_asymmetric = dtype == QINFER_DTYPE_UINT4;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_block_size(qinfer_quant_options *o, int block_size) {
  CHECK_OPTIONS(o);
  if (block_size != 0 && block_size != 16 && block_size != 32 && block_size != 64 && block_size != 128)
    return fail(o, QINFER_ERR_INVALID_ARGUMENT,
                "the block size must be 0 (one scale per output channel), 16, 32, 64 or 128, not %d", block_size);
  o->o.block_size = block_size;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_weight_method(qinfer_quant_options *o, qinfer_quant_weight_method method) {
  CHECK_OPTIONS(o);
  switch (method) {
    case QINFER_QUANT_WEIGHT_MINMAX: o->o.weight_method = QZ_WEIGHT_MINMAX; break;
    case QINFER_QUANT_WEIGHT_MSE: o->o.weight_method = QZ_WEIGHT_MSE; break;
    case QINFER_QUANT_WEIGHT_GPTQ: o->o.weight_method = QZ_WEIGHT_GPTQ; break;
    default: return fail(o, QINFER_ERR_INVALID_ARGUMENT, "unknown weight method %d", (int)method);
  }
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_dynamic(qinfer_quant_options *o, int dynamic) {
  CHECK_OPTIONS(o);
  o->o.dynamic = dynamic != 0;
  return QINFER_OK;
}

static const char *act_name(int dtype) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: return "float";
    case QINFER_DTYPE_INT8: return "int8";
    case QINFER_DTYPE_INT16: return "int16";
    case QINFER_DTYPE_UINT16: return "uint16";
    default: return "uint8";
  }
}

qi_status qz_check_options(const qz_options *o, qi_error *err) {
  /* 4-bit weights: MatMulNBits quantizes its input to int8, so int8 names it too */
  if (o->dynamic && o->act_dtype != QINFER_DTYPE_UINT8 && !(o->weight_bits == 4 && o->act_dtype == QINFER_DTYPE_INT8))
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                   "dynamic quantization quantizes activations to uint8 at run time (DynamicQuantizeLinear): it "
                   "does not go with %s activations%s", act_name(o->act_dtype),
                   o->act_dtype == QINFER_DTYPE_FLOAT ? " (weight-only: leave out --dynamic)" : "");
  if (o->weight_bits == 4 && !o->per_channel)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                   "4-bit weights need a scale per output channel or per block, not one per tensor (per-tensor is "
                   "for int8 weights)");
  if (o->weight_bits == 8 && o->block_size > 0)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                   "a block size (%d) needs 4-bit weights: int8 weights are per output channel or per tensor",
                   o->block_size);
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_add_exclude(qinfer_quant_options *o, const char *name) {
  CHECK_OPTIONS(o);
  if (!name || !*name) return fail(o, QINFER_ERR_INVALID_ARGUMENT, "an excluded name must not be empty");
  if (o->o.n_exclude == o->cap_exclude) {
    const int cap = o->cap_exclude ? 2 * o->cap_exclude : 16;
    char **grown = realloc(o->exclude, sizeof(char *) * (size_t)cap);
    if (!grown) return fail(o, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    o->exclude = grown;
    o->cap_exclude = cap;
  }
  if (!(o->exclude[o->o.n_exclude] = qi_str_dup(name))) return fail(o, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  o->o.n_exclude++;
  o->o.exclude = (const char **)o->exclude;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_target_sqnr(qinfer_quant_options *o, double target_db, int max_float) {
  CHECK_OPTIONS(o);
  if (!(target_db >= 0 && target_db <= 200))
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the target SQNR must be in (0, 200] dB (0: off), not %g", target_db);
  if (max_float < 0) return fail(o, QINFER_ERR_INVALID_ARGUMENT, "max_float must be >= 0, not %d", max_float);
  o->target_sqnr = target_db;
  o->max_float = max_float;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_min_low_bit_macs(qinfer_quant_options *o, double percent) {
  CHECK_OPTIONS(o);
  if (!(percent >= 0 && percent <= 100))
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the share of low-bit MACs must be in [0, 100] %%, not %g", percent);
  o->min_low_bit_macs = percent;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_max_samples(qinfer_quant_options *o, size_t max_samples) {
  CHECK_OPTIONS(o);
  o->max_samples = max_samples;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_threads(qinfer_quant_options *o, int threads) {
  CHECK_OPTIONS(o);
  if (threads < 0 || threads > 1024) return fail(o, QINFER_ERR_INVALID_ARGUMENT, "threads must be in 0..1024");
  o->threads = threads;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_bias_correction(qinfer_quant_options *o, int correct) {
  CHECK_OPTIONS(o);
  o->o.bias_correction = correct ? 1 : -1;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_trim(qinfer_quant_options *o, int trim) {
  CHECK_OPTIONS(o);
  o->no_trim = !trim;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_sample_folder(qinfer_quant_options *o, const char *folder) {
  CHECK_OPTIONS(o);
  if (!folder || !*folder) return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the sample folder must not be empty");
  char *copy = qi_str_dup(folder);
  if (!copy) return fail(o, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  free(o->folder);
  o->folder = copy;
  o->sample_fn = NULL;
  o->sample_user = NULL;
  o->n_callback_samples = 0;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_sample_callback(qinfer_quant_options *o, size_t count,
                                                       qinfer_quant_sample_fn fn, void *user) {
  CHECK_OPTIONS(o);
  if (!fn || count == 0)
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the sample callback needs a function and count >= 1");
  free(o->folder);
  o->folder = NULL;
  o->sample_fn = fn;
  o->sample_user = user;
  o->n_callback_samples = count;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_progress_callback(qinfer_quant_options *o, qinfer_quant_progress_fn fn,
                                                         void *user) {
  CHECK_OPTIONS(o);
  o->progress = fn;
  o->progress_user = user;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_message_callback(qinfer_quant_options *o, qinfer_quant_message_fn fn,
                                                        void *user) {
  CHECK_OPTIONS(o);
  o->message = fn;
  o->message_user = user;
  return QINFER_OK;
}

/* ---- image preprocessing ---- */

qinfer_status qinfer_quant_options_set_image_size(qinfer_quant_options *o, int height, int width) {
  CHECK_OPTIONS(o);
  const bool from_model = height == 0 && width == 0;
  if (!from_model && !(height >= 1 && height <= QI_IMAGE_MAX_SIDE && width >= 1 && width <= QI_IMAGE_MAX_SIDE))
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "image size %dx%d: each side must be in 1..%d (or both 0)", height,
                width, QI_IMAGE_MAX_SIDE);
  qi_preprocess_set_size(&o->pre, height, width);
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_image_resize(qinfer_quant_options *o, qinfer_image_resize resize) {
  CHECK_OPTIONS(o);
  if (resize != QINFER_IMAGE_RESIZE_STRETCH && resize != QINFER_IMAGE_RESIZE_SHORTER_CROP)
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "unknown resize mode %d", (int)resize);
  qi_preprocess_set_resize(&o->pre, resize == QINFER_IMAGE_RESIZE_STRETCH ? QI_RESIZE_STRETCH : QI_RESIZE_SHORTER_CROP);
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_image_crop_fraction(qinfer_quant_options *o, double fraction) {
  CHECK_OPTIONS(o);
  if (!(fraction > 0 && fraction <= 1))
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the crop fraction must be in (0, 1], not %g", fraction);
  qi_preprocess_set_crop_fraction(&o->pre, fraction);
  return QINFER_OK;
}

static bool all_finite(const double v[3]) { return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]); }
static bool all_positive(const double v[3]) { return all_finite(v) && v[0] > 0 && v[1] > 0 && v[2] > 0; }

qinfer_status qinfer_quant_options_set_image_mean(qinfer_quant_options *o, const double mean[3]) {
  CHECK_OPTIONS(o);
  if (!mean || !all_finite(mean)) return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the mean needs 3 finite values");
  qi_preprocess_set_mean(&o->pre, mean);
  o->pre_chosen = true;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_image_std(qinfer_quant_options *o, const double std[3]) {
  CHECK_OPTIONS(o);
  if (!std || !all_positive(std)) return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the std needs 3 positive values");
  qi_preprocess_set_std(&o->pre, std);
  o->pre_chosen = true;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_image_scale(qinfer_quant_options *o, const double scale[3]) {
  CHECK_OPTIONS(o);
  if (!scale || !all_positive(scale)) return fail(o, QINFER_ERR_INVALID_ARGUMENT, "the scale needs 3 positive values");
  const double std[3] = {1.0 / scale[0], 1.0 / scale[1], 1.0 / scale[2]};
  qi_preprocess_set_std(&o->pre, std);
  o->pre_chosen = true;
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_image_bgr(qinfer_quant_options *o, int bgr) {
  CHECK_OPTIONS(o);
  qi_preprocess_set_bgr(&o->pre, bgr != 0);
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_image_layout(qinfer_quant_options *o, qinfer_image_layout layout) {
  CHECK_OPTIONS(o);
  switch (layout) {
    case QINFER_IMAGE_LAYOUT_AUTO: qi_preprocess_set_layout(&o->pre, QI_LAYOUT_AUTO); break;
    case QINFER_IMAGE_LAYOUT_NCHW: qi_preprocess_set_layout(&o->pre, QI_LAYOUT_NCHW); break;
    case QINFER_IMAGE_LAYOUT_NHWC: qi_preprocess_set_layout(&o->pre, QI_LAYOUT_NHWC); break;
    default: return fail(o, QINFER_ERR_INVALID_ARGUMENT, "unknown layout %d", (int)layout);
  }
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_set_image_preset(qinfer_quant_options *o, const char *preset) {
  CHECK_OPTIONS(o);
  /* "none": raw 0..255 pixels on purpose (the defaults, and whatever was set explicitly) */
  if (!preset || (strcmp(preset, "none") != 0 && !qi_preprocess_apply_preset(&o->pre, preset)))
    return fail(o, QINFER_ERR_INVALID_ARGUMENT, "unknown preset '%s' (imagenet, facenet, arcface, adaface, none)",
                preset ? preset : "(null)");
  o->pre_chosen = true;
  return QINFER_OK;
}
