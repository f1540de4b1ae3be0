/* ONNX writer: qi_graph -> serialized ModelProto (docs/loader.md, "Writing ONNX").
 *
 * Writes what the graph holds: live nodes in execution order (g->order), constants that a live node reads or
 * that are graph outputs as initializers (raw_data, little-endian), graph inputs and outputs with their element
 * types and shapes (symbolic dims by name), value_info for other shaped computed tensors, opset imports (the
 * graph's, plus any domain a node uses that is not imported) and an IR version consistent with them. External
 * data is not written: a model over protobuf's 2 GiB limit is refused (QINFER_ERR_UNSUPPORTED). A graph that
 * cannot be written as a valid model (duplicate or empty names, a node reading a value nothing defines, a stale
 * g->order, graph-valued attributes) is refused with a message and nothing allocated. */
#ifndef QI_ONNX_WRITER_H
#define QI_ONNX_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ir/ir.h"
#include "engine/ir/status.h"

/* Serializes g as an ONNX ModelProto into a malloc'ed buffer (*out, *out_size; the caller frees it). On failure
 * *out is NULL and *out_size 0. */
qi_status qi_onnx_write(const qi_graph *g, uint8_t **out, size_t *out_size, qi_error *err);

/* Same, written to path atomically: a temporary file in the same folder, flushed with fsync, then renamed over
 * path (a symbolic link at path is replaced, not followed). QINFER_ERR_IO when the folder is not writable. */
qi_status qi_onnx_write_file(const qi_graph *g, const char *path, qi_error *err);

#endif /* QI_ONNX_WRITER_H */
