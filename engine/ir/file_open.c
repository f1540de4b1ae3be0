#include "engine/ir/file_open.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int qi_open_regular(const char *path, int extra_flags, struct stat *st, qi_error *err) {
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | extra_flags);
  if (fd < 0) return qi_fail(err, QINFER_ERR_IO, "cannot open '%s': %s", path, strerror(errno)), -1;
  int flags;
  if (fstat(fd, st) != 0) {
    qi_fail(err, QINFER_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
  } else if (!S_ISREG(st->st_mode)) {
    qi_fail(err, QINFER_ERR_IO, "'%s' is not a regular file", path);
  } else if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    qi_fail(err, QINFER_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
  } else {
    return fd;
  }
  close(fd);
  return -1;
}
