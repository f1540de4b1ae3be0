/* ONNX loader: serialized ModelProto bytes -> qi_graph (docs/loader.md).
 *
 * Every byte of the model is treated as hostile: a malformed model yields QINFER_ERR_INVALID_MODEL (or
 * QINFER_ERR_UNSUPPORTED for valid ONNX that qinfer does not handle, QINFER_ERR_OUT_OF_MEMORY, QINFER_ERR_IO
 * for external-data files) with a message in err, and nothing is left allocated. */
#ifndef QI_ONNX_LOADER_H
#define QI_ONNX_LOADER_H

#include <stddef.h>

#include "engine/ir/ir.h"
#include "engine/ir/status.h"

/* Decodes the model in data[0, size) into a new graph (*out; NULL on failure). Initializer raw_data is
 * referenced in place inside data when it is aligned for its element type, so data must stay valid and
 * unchanged for the life of the graph; other constant data is owned by the graph (QI_TF_OWNED).
 * base_dir is the folder external data is resolved in; NULL refuses external data. The returned graph is
 * linked and topologically ordered (g->order). */
qi_status qi_onnx_load(const void *data, size_t size, const char *base_dir, qi_graph **out, qi_error *err);

enum {
  /* Initializer bytes that are not aligned for their element type are referenced in place too, flagged
   * QI_TF_UNALIGNED, instead of copied: for a graph whose constants are only copied, never read typed (a model's
   * shared graph, which sessions clone with qi_graph_clone into aligned copies). */
  QI_LOAD_UNALIGNED_IN_PLACE = 1u << 0,
  /* External data files are read into memory the graph owns (qi_read_file_copy) instead of mapped, so that nothing
   * the graph points to changes or disappears when a file is later rewritten or truncated. */
  QI_LOAD_READ_EXTERNAL = 1u << 1,
};
/* qi_onnx_load with QI_LOAD_* flags. */
qi_status qi_onnx_load_flags(const void *data, size_t size, const char *base_dir, unsigned flags, qi_graph **out,
                             qi_error *err);

/* Maps the regular file at path read-only (*addr, *len; release with munmap). An empty file, a directory or
 * a file that cannot be opened is an error (QINFER_ERR_IO). */
qi_status qi_map_file(const char *path, void **addr, size_t *len, qi_error *err);
/* Reads the regular file at path into a private anonymous mapping (*addr, *len; read-only once filled; release
 * with munmap, as for qi_map_file, and page-aligned like it), so that later changes to the file are not seen.
 * The same files are refused as by qi_map_file; a file that shrinks while it is read is an error. */
qi_status qi_read_file_copy(const char *path, void **addr, size_t *len, qi_error *err);

#endif /* QI_ONNX_LOADER_H */
