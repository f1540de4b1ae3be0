/* One image file as a model input (include/qinfer_quant.h: qinfer_quant_image_load): the quantizer options'
 * preprocessing (engine/quant/image/preprocess.h) applied to one decoded PNG / JPEG, for callers outside the
 * quantizer (`qinfer eval-verify`). Failures are kept on the options handle like its setters' failures. */
#include <stdio.h>

#include "engine/quant/image/preprocess.h"
#include "engine/quant/job.h"

static qinfer_status image_fail(qinfer_quant_options *o, qinfer_status code, const char *msg) {
  qi_error err = {0};
  qi_fail(&err, code, "%s", msg);
  o->err = err;
  return qi_api_fail(code, &err);
}

qinfer_status qinfer_quant_image_load(qinfer_quant_options *o, const char *path, int rank, const int64_t *model_dims,
                                      int64_t dims[4], float *out, size_t capacity) {
  if (!o) {
    qi_error e = {0};
    return qi_api_fail(qi_fail(&e, QINFER_ERR_INVALID_ARGUMENT, "options must not be NULL"), &e);
  }
  if (!path || !model_dims || !dims || rank < 0 || rank > QINFER_MAX_RANK)
    return image_fail(o, QINFER_ERR_INVALID_ARGUMENT, "image load: a NULL path, dims or a bad rank");
  char msg[QI_ERROR_MSG_SIZE], err[QI_ERROR_MSG_SIZE - 64];
  if (!o->pre_chosen) {
    snprintf(msg, sizeof msg, "%s: an image needs a preprocessing choice (a preset, mean, std or scale)", path);
    return image_fail(o, QINFER_ERR_INVALID_ARGUMENT, msg);
  }
  qi_image img;
  if (qi_image_load(path, &img, err, sizeof err)) return image_fail(o, QINFER_ERR_IO, err);
  qi_layout layout;
  if (qi_preprocess_shape(&o->pre, rank, model_dims, img.height, img.width, dims, &layout, err, sizeof err)) {
    qi_image_free(&img);
    snprintf(msg, sizeof msg, "%s: %s", path, err);
    return image_fail(o, QINFER_ERR_SHAPE, msg);
  }
  const int h = (int)(layout == QI_LAYOUT_NCHW ? dims[2] : dims[1]);
  const int w = (int)(layout == QI_LAYOUT_NCHW ? dims[3] : dims[2]);
  const size_t need = (size_t)h * (size_t)w * 3;
  qinfer_status st = QINFER_OK;
  if (out && capacity < need) {
    snprintf(msg, sizeof msg, "%s: the image needs %zu floats, the buffer holds %zu", path, need, capacity);
    st = image_fail(o, QINFER_ERR_INVALID_ARGUMENT, msg);
  } else if (out && qi_preprocess_image(&o->pre, &img, h, w, layout, out, err, sizeof err)) {
    snprintf(msg, sizeof msg, "%s: %s", path, err);
    st = image_fail(o, QINFER_ERR_RUNTIME, msg);
  }
  qi_image_free(&img);
  return st;
}
