/* A tensor held by the tools: dtype, shape and a malloc'ed buffer it owns (C order, little-endian). */
#ifndef QI_QUANT_HOST_TENSOR_H
#define QI_QUANT_HOST_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "qinfer.h"
#include "engine/ir/status.h"

typedef struct qi_host_tensor {
  qinfer_dtype dtype;
  int rank;
  int64_t dims[QINFER_MAX_RANK];
  void *data;    /* owned; NULL when nbytes == 0 */
  size_t nbytes; /* numel * element size */
} qi_host_tensor;

/* Size of one element of the fixed-size dtypes the file formats carry; 0 for others (string, undefined). */
size_t qi_host_dtype_size(qinfer_dtype dtype);
/* "float", "int64", ... for the dtypes above; "undefined" otherwise. */
const char *qi_host_dtype_name(qinfer_dtype dtype);
/* Checks rank and dims (0 <= rank <= QINFER_MAX_RANK, dims >= 0) and computes numel * esize without overflow. */
qi_status qi_host_shape_bytes(qinfer_dtype dtype, int rank, const int64_t *dims, size_t *nbytes, qi_error *err);
/* Sets dtype and shape and allocates a zeroed buffer for it; t is left empty on failure. */
qi_status qi_host_tensor_alloc(qi_host_tensor *t, qinfer_dtype dtype, int rank, const int64_t *dims,
                               qi_error *err);
void qi_host_tensor_free(qi_host_tensor *t);
/* Number of elements (product of dims; 1 for a scalar). */
int64_t qi_host_tensor_numel(const qi_host_tensor *t);

/* Copies name into out, replacing every byte outside [A-Za-z0-9._-] by '_' ("_" if name is empty): a tensor name
 * as a file or folder name (`qinfer run`'s outputs, a sample folder's per-input folders). */
void qi_sanitize_file_name(const char *name, char *out, size_t size);
/* Reads a whole file into a malloc'ed buffer (*size bytes). */
qi_status qi_read_file(const char *path, void **data, size_t *size, qi_error *err);

#endif /* QI_QUANT_HOST_TENSOR_H */
