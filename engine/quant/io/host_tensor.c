#include "engine/quant/io/host_tensor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ir/file_open.h"

/* The library's tables are the single source of element sizes and names. */
size_t qi_host_dtype_size(qinfer_dtype dtype) { return qinfer_dtype_size(dtype); }

const char *qi_host_dtype_name(qinfer_dtype dtype) { return qinfer_dtype_name(dtype); }

qi_status qi_host_shape_bytes(qinfer_dtype dtype, int rank, const int64_t *dims, size_t *nbytes, qi_error *err) {
  size_t esize = qi_host_dtype_size(dtype);
  if (esize == 0) return qi_fail(err, QINFER_ERR_UNSUPPORTED, "unsupported element type %d", (int)dtype);
  if (rank < 0 || rank > QINFER_MAX_RANK)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "rank %d exceeds the maximum of %d", rank, QINFER_MAX_RANK);
  /* Limit to what ptrdiff_t (and malloc) can describe. */
  const uint64_t limit = (uint64_t)PTRDIFF_MAX;
  uint64_t total = esize;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return qi_fail(err, QINFER_ERR_SHAPE, "dimension %d is negative (%lld)", i, (long long)dims[i]);
    if (dims[i] == 0) {
      total = 0;
      continue;
    }
    if (total != 0 && (uint64_t)dims[i] > limit / total)
      return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "tensor size overflows (dimension %d = %lld)", i,
                     (long long)dims[i]);
    total *= (uint64_t)dims[i];
  }
  *nbytes = (size_t)total;
  return QINFER_OK;
}

qi_status qi_host_tensor_alloc(qi_host_tensor *t, qinfer_dtype dtype, int rank, const int64_t *dims,
                               qi_error *err) {
  memset(t, 0, sizeof *t);
  size_t nbytes;
  QI_CHECK(qi_host_shape_bytes(dtype, rank, dims, &nbytes, err));
  void *data = NULL;
  if (nbytes > 0) {
    data = calloc(1, nbytes);
    if (!data) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes", nbytes);
  }
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
  t->data = data;
  t->nbytes = nbytes;
  return QINFER_OK;
}

void qi_host_tensor_free(qi_host_tensor *t) {
  if (!t) return;
  free(t->data);
  memset(t, 0, sizeof *t);
}

int64_t qi_host_tensor_numel(const qi_host_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}

qi_status qi_read_file(const char *path, void **data, size_t *size, qi_error *err) {
  *data = NULL;
  *size = 0;
  struct stat st;
  int fd = qi_open_regular(path, 0, &st, err); /* a FIFO or device (/dev/zero) is refused, not read forever */
  if (fd < 0) return QINFER_ERR_IO;
  if ((uint64_t)st.st_size >= SIZE_MAX) {
    close(fd);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "'%s' is too large to read", path);
  }
  /* At most the size the file had when opened: a file that grows meanwhile is not followed. */
  const size_t want = (size_t)st.st_size;
  char *buf = malloc(want ? want : 1);
  if (!buf) {
    close(fd);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory reading '%s' (%zu bytes)", path, want);
  }
  size_t len = 0;
  while (len < want) {
    ssize_t got = read(fd, buf + len, want - len);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int saved_errno = errno;
      free(buf);
      close(fd);
      return qi_fail(err, QINFER_ERR_IO, "cannot read '%s': %s", path, strerror(saved_errno));
    }
    if (got == 0) break; /* shrank meanwhile: what is there */
    len += (size_t)got;
  }
  close(fd);
  *data = buf;
  *size = len;
  return QINFER_OK;
}

void qi_sanitize_file_name(const char *name, char *out, size_t size) {
  size_t n = 0;
  for (; name[n] && n + 1 < size; n++) {
    char c = name[n];
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-';
    out[n] = keep ? c : '_';
  }
  out[n] = '\0';
  if (n == 0 && size > 1) strcpy(out, "_");
}
