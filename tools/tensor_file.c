#include "tools/tensor_file.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/io/npy.h"
#include "tools/tensor_pb.h"

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

qi_status qi_tensor_file_read(const char *path, qi_host_tensor *t, qi_error *err) {
  memset(t, 0, sizeof *t);
  void *buf;
  size_t size;
  QI_CHECK(qi_read_file(path, &buf, &size, err));
  bool npy = ends_with(path, ".npy") || (!ends_with(path, ".pb") && size >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0);
  qi_status s = npy ? qi_npy_parse(buf, size, t, err) : qi_tensor_pb_parse(buf, size, t, NULL, 0, err);
  free(buf);
  if (s != QINFER_OK) qi_error_context(err, "%s", path);
  return s;
}
