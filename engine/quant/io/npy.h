/* NumPy .npy files: little-endian, C order, fixed-size numeric dtypes.
 *
 * Reading accepts format versions 1.0, 2.0 and 3.0 and the dtypes f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 with
 * byte order '<', '|' or '='. Fortran order, big-endian data, object and structured dtypes are refused with
 * a message saying so; the payload must be exactly numel * itemsize bytes. Writing always produces v1.0. */
#ifndef QI_QUANT_NPY_H
#define QI_QUANT_NPY_H

#include "engine/quant/io/host_tensor.h"

/* Parses a whole .npy image of size bytes; the payload is copied into t. */
qi_status qi_npy_parse(const void *buf, size_t size, qi_host_tensor *t, qi_error *err);
qi_status qi_npy_read(const char *path, qi_host_tensor *t, qi_error *err);

/* Formats the magic, version, header length and padded header dict for (dtype, shape) into out (cap bytes);
 * *len receives the byte count, a multiple of 64. */
qi_status qi_npy_format_header(qinfer_dtype dtype, int rank, const int64_t *dims, char *out, size_t cap,
                               size_t *len, qi_error *err);
/* Writes nbytes of data (which must match dtype and shape) as a .npy file. */
qi_status qi_npy_write(const char *path, qinfer_dtype dtype, int rank, const int64_t *dims, const void *data,
                       size_t nbytes, qi_error *err);

#endif /* QI_QUANT_NPY_H */
