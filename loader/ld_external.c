/* External data: tensor bytes stored in a file next to the model (data_location = EXTERNAL).
 *
 * The file must lie inside base_dir: the location is relative, has no ".." component, and its realpath
 * (symbolic links resolved) is under realpath(base_dir). Hard-linked files (st_nlink > 1) are refused, as in the
 * ONNX fix for CVE-2024-27318, since a hard link can make a file outside the folder appear inside it. The final
 * open uses O_NOFOLLOW on the resolved path. Each file is mapped once and the mapping handed to the graph; with QI_LOAD_READ_EXTERNAL it is read
 * into an anonymous mapping instead, marked in_memory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/ir/file_open.h"
#include "loader/loader_internal.h"

/* Parses a decimal offset / length; false on anything but 1-19 digits. */
static bool parse_u64(qi_span s, uint64_t *out) {
  if (s.len == 0 || s.len > 19) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < s.len; i++) {
    if (s.p[i] < '0' || s.p[i] > '9') return false;
    v = v * 10 + (uint64_t)(s.p[i] - '0');
  }
  *out = v;
  return true;
}

static bool has_dotdot_component(const char *path) {
  for (const char *c = path; *c;) {
    size_t n = strcspn(c, "/");
    if (n == 2 && c[0] == '.' && c[1] == '.') return true;
    c += n;
    while (*c == '/') c++;
  }
  return false;
}

static bool inside(const char *real, const char *base) {
  size_t n = strlen(base);
  if (n == 1 && base[0] == '/') return real[0] == '/';
  return strncmp(real, base, n) == 0 && real[n] == '/';
}

/* Maps the file at real (already resolved and checked to be inside base_dir) unless it is mapped already. */
static bool map_once(qi_ld *ld, char *real, const char *loc, const qi_ext_file **out) {
  for (int i = 0; i < ld->n_ext; i++)
    if (strcmp(ld->ext[i].path, real) == 0) {
      free(real);
      *out = &ld->ext[i];
      return true;
    }
  qi_ext_file *ext = realloc(ld->ext, sizeof *ext * (size_t)(ld->n_ext + 1));
  if (!ext) {
    free(real);
    return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  ld->ext = ext;
  struct stat st;
  int fd = qi_open_regular(real, O_NOFOLLOW, &st, ld->err); /* a FIFO or device is refused, not waited on */
  if (fd < 0) {
    qi_ld_adopt(ld);
    qi_error_context(ld->err, "external data file '%s'", loc);
    free(real);
    return false;
  }
  void *addr = NULL;
  size_t len = 0;
  bool ok = false;
  if (st.st_nlink > 1)
    qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "external data file '%s' is hard-linked (%lu links); refused", loc,
               (unsigned long)st.st_nlink);
  else if (((ld->flags & QI_LOAD_READ_EXTERNAL) ? qi_read_fd_copy : qi_map_fd)(fd, loc, &st, &addr, &len, ld->err) !=
           QINFER_OK)
    qi_ld_adopt(ld);
  else if (qi_graph_add_mapping(ld->g, addr, len, ld->err) != QINFER_OK) {
    munmap(addr, len);
    qi_ld_adopt(ld);
  } else {
    ld->g->mappings[ld->g->n_mappings - 1].in_memory = (ld->flags & QI_LOAD_READ_EXTERNAL) != 0;
    ok = true;
  }
  close(fd);
  if (!ok) {
    free(real);
    return false;
  }
  ld->ext[ld->n_ext] = (qi_ext_file){real, addr, len};
  *out = &ld->ext[ld->n_ext++];
  return true;
}

/* Resolves location inside base_dir and maps it; *out is the cached file. */
static bool open_location(qi_ld *ld, const char *tensor, const char *loc, const qi_ext_file **out) {
  if (!ld->base_dir)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL,
                      "tensor '%s' uses external data, which is refused without a base folder", tensor);
  if (loc[0] == '\0') return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': empty external data location", tensor);
  if (loc[0] == '/')
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': external data location '%s' is absolute; refused",
                      tensor, loc);
  if (has_dotdot_component(loc))
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': external data location '%s' contains '..'; refused",
                      tensor, loc);
  if (!ld->base_real && !(ld->base_real = realpath(ld->base_dir, NULL)))
    return qi_ld_fail(ld, QINFER_ERR_IO, "cannot resolve the model folder '%s': %s", ld->base_dir, strerror(errno));
  size_t n = strlen(ld->base_real) + 1 + strlen(loc) + 1;
  char *joined = malloc(n);
  if (!joined) return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  snprintf(joined, n, "%s/%s", ld->base_real, loc);
  char *real = realpath(joined, NULL);
  int saved = errno;
  free(joined);
  if (!real)
    return qi_ld_fail(ld, QINFER_ERR_IO, "tensor '%s': external data file '%s': %s", tensor, loc, strerror(saved));
  if (!inside(real, ld->base_real)) {
    free(real);
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL,
                      "tensor '%s': external data file '%s' resolves outside the model folder; refused", tensor, loc);
  }
  return map_once(ld, real, loc, out);
}

bool qi_ld_external(qi_ld *ld, const qi_tensor_msg *m, const char *tensor, size_t nbytes, const uint8_t **p) {
  if (!m->ext_location.set)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': external data without a location", tensor);
  uint64_t offset = 0, length = nbytes;
  if (m->ext_offset.set && !parse_u64(m->ext_offset, &offset))
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': external data offset is not a number", tensor);
  if (m->ext_length.set && !parse_u64(m->ext_length, &length))
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': external data length is not a number", tensor);
  if (length != nbytes)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': external data length %llu, its shape needs %zu bytes",
                      tensor, (unsigned long long)length, nbytes);
  char *loc = qi_ld_strdup(ld, m->ext_location, "external data location");
  if (!loc) return false;
  const qi_ext_file *f = NULL;
  bool ok = open_location(ld, tensor, loc, &f);
  if (ok && (offset > f->len || length > f->len - offset))
    ok = qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL,
                    "tensor '%s': external data [%llu, +%llu) lies outside '%s' (%zu bytes)", tensor,
                    (unsigned long long)offset, (unsigned long long)length, loc, f->len);
  if (ok) *p = f->addr + offset;
  free(loc);
  return ok;
}

void qi_ld_external_free(qi_ld *ld) {
  for (int i = 0; i < ld->n_ext; i++) free(ld->ext[i].path);
  free(ld->ext);
  free(ld->base_real);
  ld->ext = NULL;
  ld->n_ext = 0;
  ld->base_real = NULL;
}
