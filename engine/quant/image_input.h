/* An image file as a model input: decoded (engine/quant/image/image.h) and preprocessed (preprocess.h) into the
 * float tensor of a model input's shape. Shared by the calibration samples (samples.c) and the public
 * qinfer_quant_options_read_image, which `qinfer run / compare / bench` feed image inputs through. */
#ifndef QI_QUANT_IMAGE_INPUT_H
#define QI_QUANT_IMAGE_INPUT_H

#include "engine/quant/image/preprocess.h"
#include "engine/quant/io/host_tensor.h"
#include "qinfer.h"

/* Reads the image at path into *t (allocated here: float, rank 4, the shape qi_preprocess_shape resolves for a
 * model input declared as info). Messages name the path. */
qi_status qz_image_tensor(const qi_preprocess *pre, const char *path, const qinfer_tensor_info *info, qi_host_tensor *t,
                          qi_error *err);

#endif /* QI_QUANT_IMAGE_INPUT_H */
