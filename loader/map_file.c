/* Read-only file mappings for model files and external-data files. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/ir/file_open.h"
#include "loader/loader_internal.h"

qi_status qi_map_fd(int fd, const char *path, const struct stat *st, void **addr, size_t *len, qi_error *err) {
  if (!S_ISREG(st->st_mode)) return qi_fail(err, QINFER_ERR_IO, "'%s' is not a regular file", path);
  if (st->st_size <= 0) return qi_fail(err, QINFER_ERR_IO, "'%s' is empty", path);
  if ((uint64_t)st->st_size > SIZE_MAX) return qi_fail(err, QINFER_ERR_IO, "'%s' is too large to map", path);
  void *p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return qi_fail(err, QINFER_ERR_IO, "cannot map '%s': %s", path, strerror(errno));
  *addr = p;
  *len = (size_t)st->st_size;
  return QINFER_OK;
}

qi_status qi_map_file(const char *path, void **addr, size_t *len, qi_error *err) {
  if (!path || !addr || !len) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "qi_map_file: NULL argument");
  struct stat st;
  int fd = qi_open_regular(path, 0, &st, err); /* a FIFO or device is refused, not waited on */
  if (fd < 0) return QINFER_ERR_IO;
  qi_status s = qi_map_fd(fd, path, &st, addr, len, err);
  close(fd); /* the mapping stays valid */
  return s;
}
