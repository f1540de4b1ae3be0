#include "engine/quant/image_input.h"

#include <string.h>

#include "engine/quant/job.h"

qi_status qz_image_tensor(const qi_preprocess *pre, const char *path, const qinfer_tensor_info *info, qi_host_tensor *t,
                          qi_error *err) {
  memset(t, 0, sizeof *t);
  char ierr[256];
  qi_image img = {0};
  if (qi_image_load(path, &img, ierr, sizeof ierr) != 0) /* its message names the path */
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s", ierr);
  int64_t dims[4] = {0};
  qi_layout layout = QI_LAYOUT_NCHW;
  int rc = qi_preprocess_shape(pre, info->rank, info->dims, img.height, img.width, dims, &layout, ierr, sizeof ierr);
  const int h = (int)(layout == QI_LAYOUT_NHWC ? dims[1] : dims[2]), w = (int)(layout == QI_LAYOUT_NHWC ? dims[2] : dims[3]);
  if (rc == 0 && qi_host_tensor_alloc(t, QINFER_DTYPE_FLOAT, 4, dims, err) != QINFER_OK) {
    qi_image_free(&img);
    return qi_error_context(err, "%s", path);
  }
  if (rc == 0) rc = qi_preprocess_image(pre, &img, h, w, layout, t->data, ierr, sizeof ierr);
  qi_image_free(&img);
  if (rc != 0) {
    qi_host_tensor_free(t);
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s: %s", path, ierr);
  }
  return QINFER_OK;
}

qinfer_status qinfer_quant_options_read_image(qinfer_quant_options *o, const char *path,
                                              const qinfer_tensor_info *input, int64_t dims[4], float *data,
                                              size_t capacity) {
  qi_error err = {0};
  qi_status st = QINFER_OK;
  if (!o || !path || !input || !dims || (!data && capacity > 0))
    st = qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "options, path, input and dims must not be NULL");
  else if (!o->pre_chosen)
    st = qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT,
                 "%s: an image, but no image preprocessing was chosen: set a preset (imagenet, facenet, arcface, "
                 "adaface, or none for raw 0..255 pixels) or a mean / std / scale (qinfer_quant_options_set_image_*; "
                 "the qinfer CLI: --preset, --mean, --std, --scale)",
                 path);
  else if (input->dtype != QINFER_DTYPE_FLOAT)
    st = qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "%s: an image for input '%s', which is %s, not float", path,
                 input->name ? input->name : "?", qinfer_dtype_name(input->dtype));
  qi_host_tensor t = {0};
  if (st == QINFER_OK) st = qz_image_tensor(&o->pre, path, input, &t, &err);
  if (st == QINFER_OK) {
    memcpy(dims, t.dims, 4 * sizeof *dims);
    const size_t count = t.nbytes / sizeof(float);
    if (data && capacity < count)
      st = qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "%s: the tensor has %zu values, the buffer room for %zu", path,
                   count, capacity);
    else if (data)
      memcpy(data, t.data, t.nbytes);
  }
  qi_host_tensor_free(&t);
  if (st == QINFER_OK) return QINFER_OK;
  if (o) o->err = err;
  return qi_api_fail(st, &err);
}
