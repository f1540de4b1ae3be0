/* Opening a file that is read whole (a model, external data, a tensor or sample file) without hanging on a FIFO
 * or a device: the open does not block, and anything but a regular file is refused. */
#ifndef QI_FILE_OPEN_H
#define QI_FILE_OPEN_H

#include <sys/stat.h>

#include "engine/ir/status.h"

/* Opens path read-only (O_CLOEXEC | extra_flags, e.g. O_NOFOLLOW) with O_NONBLOCK, fstat()s the descriptor and
 * refuses what is not a regular file; the descriptor is then made blocking again. Returns it with *st filled, or
 * -1 with err set (QINFER_ERR_IO, the message names path). */
int qi_open_regular(const char *path, int extra_flags, struct stat *st, qi_error *err);

#endif /* QI_FILE_OPEN_H */
