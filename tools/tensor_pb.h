/* ONNX TensorProto files (.pb), as written by onnx.numpy_helper.from_array(...).SerializeToString().
 *
 * A self-contained protobuf reader for the fields dims(1), data_type(2), float_data(4), int32_data(5),
 * string_data(6), int64_data(7), name(8), raw_data(9), double_data(10), uint64_data(11) and
 * data_location(14); other fields are skipped. Repeated numeric fields may be packed or not. Every length
 * and count is bounds-checked; the element count must match the shape exactly. String tensors and external
 * data are refused. */
#ifndef QI_TOOLS_TENSOR_PB_H
#define QI_TOOLS_TENSOR_PB_H

#include "engine/quant/io/host_tensor.h"

/* Decodes a serialized TensorProto of size bytes into t. If name is not NULL it receives the tensor's name
 * (truncated to name_cap - 1 bytes; "" when absent). */
qi_status qi_tensor_pb_parse(const void *buf, size_t size, qi_host_tensor *t, char *name, size_t name_cap,
                             qi_error *err);
qi_status qi_tensor_pb_read(const char *path, qi_host_tensor *t, qi_error *err);

#endif /* QI_TOOLS_TENSOR_PB_H */
