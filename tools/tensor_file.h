/* Loads an input tensor from a .npy or ONNX TensorProto (.pb) file, chosen by extension or, failing that,
 * by the .npy magic. */
#ifndef QI_TOOLS_TENSOR_FILE_H
#define QI_TOOLS_TENSOR_FILE_H

#include "engine/quant/io/host_tensor.h"

qi_status qi_tensor_file_read(const char *path, qi_host_tensor *t, qi_error *err);

#endif /* QI_TOOLS_TENSOR_FILE_H */
