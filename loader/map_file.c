/* Read-only file mappings for model files and external-data files, and in-memory copies of them. */
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

qi_status qi_read_fd_copy(int fd, const char *path, const struct stat *st, void **addr, size_t *len, qi_error *err) {
  if (!S_ISREG(st->st_mode)) return qi_fail(err, QINFER_ERR_IO, "'%s' is not a regular file", path);
  if (st->st_size <= 0) return qi_fail(err, QINFER_ERR_IO, "'%s' is empty", path);
  if ((uint64_t)st->st_size > SIZE_MAX) return qi_fail(err, QINFER_ERR_IO, "'%s' is too large to read", path);
  const size_t n = (size_t)st->st_size;
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for '%s'", n, path);
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, (char *)p + done, n - done, (off_t)done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r < 0) qi_fail(err, QINFER_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
      else qi_fail(err, QINFER_ERR_IO, "'%s' shrank while it was read (%zu of %zu bytes)", path, done, n);
      munmap(p, n);
      return QINFER_ERR_IO;
    }
    done += (size_t)r;
  }
  mprotect(p, n, PROT_READ); /* only a guard: the bytes are read-only from here on */
  *addr = p;
  *len = n;
  return QINFER_OK;
}

typedef qi_status (*fd_loader)(int fd, const char *path, const struct stat *st, void **addr, size_t *len,
                               qi_error *err);

/* Opens the regular file at path and hands it to load (qi_map_fd or qi_read_fd_copy). */
static qi_status load_path(const char *path, fd_loader load, const char *who, void **addr, size_t *len,
                           qi_error *err) {
  if (!path || !addr || !len) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%s: NULL argument", who);
  struct stat st;
  int fd = qi_open_regular(path, 0, &st, err); /* a FIFO or device is refused, not waited on */
  if (fd < 0) return QINFER_ERR_IO;
  qi_status s = load(fd, path, &st, addr, len, err);
  close(fd); /* a mapping stays valid */
  return s;
}

qi_status qi_map_file(const char *path, void **addr, size_t *len, qi_error *err) {
  return load_path(path, qi_map_fd, "qi_map_file", addr, len, err);
}

qi_status qi_read_file_copy(const char *path, void **addr, size_t *len, qi_error *err) {
  return load_path(path, qi_read_fd_copy, "qi_read_file_copy", addr, len, err);
}
