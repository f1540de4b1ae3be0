#include "engine/quant/io/npy.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* ---- dtype <-> descr ---- */

static const struct {
  char kind;
  int size;
  qinfer_dtype dtype;
} npy_types[] = {
    {'f', 2, QINFER_DTYPE_FLOAT16}, {'f', 4, QINFER_DTYPE_FLOAT},  {'f', 8, QINFER_DTYPE_DOUBLE},
    {'i', 1, QINFER_DTYPE_INT8},    {'i', 2, QINFER_DTYPE_INT16},  {'i', 4, QINFER_DTYPE_INT32},
    {'i', 8, QINFER_DTYPE_INT64},   {'u', 1, QINFER_DTYPE_UINT8},  {'u', 2, QINFER_DTYPE_UINT16},
    {'u', 4, QINFER_DTYPE_UINT32},  {'u', 8, QINFER_DTYPE_UINT64}, {'b', 1, QINFER_DTYPE_BOOL},
};

static bool host_is_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

static qi_status descr_to_dtype(const char *descr, qinfer_dtype *dtype, qi_error *err) {
  size_t n = strlen(descr);
  if (n < 2) return qi_fail(err, QINFER_ERR_UNSUPPORTED, "unsupported .npy dtype '%s'", descr);
  char order = descr[0], kind = descr[1];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "unsupported .npy dtype '%s'", descr);
  if (kind == 'O') return qi_fail(err, QINFER_ERR_UNSUPPORTED, ".npy object arrays ('%s') are not supported", descr);
  int size = 0;
  if (n == 3 && descr[2] >= '1' && descr[2] <= '9') size = descr[2] - '0';
  for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
    if (npy_types[i].kind != kind || npy_types[i].size != size) continue;
    bool big = order == '>' || (order == '=' && !host_is_little_endian());
    if (big && size > 1)
      return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                     "big-endian .npy data ('%s') is not supported; save it little-endian ('<%c%d')", descr, kind,
                     size);
    *dtype = npy_types[i].dtype;
    return QINFER_OK;
  }
  return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                 "unsupported .npy dtype '%s' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)", descr);
}

static const char *dtype_to_descr(qinfer_dtype dtype) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT16: return "<f2";
    case QINFER_DTYPE_FLOAT: return "<f4";
    case QINFER_DTYPE_DOUBLE: return "<f8";
    case QINFER_DTYPE_INT8: return "|i1";
    case QINFER_DTYPE_INT16: return "<i2";
    case QINFER_DTYPE_INT32: return "<i4";
    case QINFER_DTYPE_INT64: return "<i8";
    case QINFER_DTYPE_UINT8: return "|u1";
    case QINFER_DTYPE_UINT16: return "<u2";
    case QINFER_DTYPE_UINT32: return "<u4";
    case QINFER_DTYPE_UINT64: return "<u8";
    case QINFER_DTYPE_BOOL: return "|b1";
    default: return NULL;
  }
}

/* ---- header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), } ---- */

typedef struct cursor {
  const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static bool take(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return true;
  }
  return false;
}

/* A quoted Python string without escapes, copied into out (cap bytes). */
static bool parse_string(cursor *c, char *out, size_t cap) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return false;
  char quote = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != quote) {
    if (*c->p == '\\' || n + 1 >= cap) return false;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end) return false;
  c->p++;
  out[n] = '\0';
  return true;
}

static bool parse_word(cursor *c, const char *word) {
  skip_space(c);
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return false;
  c->p += n;
  return true;
}

static qi_status parse_shape(cursor *c, int *rank, int64_t *dims, qi_error *err) {
  if (!take(c, '(')) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: 'shape' is not a tuple");
  int n = 0;
  for (;;) {
    if (take(c, ')')) break;
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: 'shape' holds a non-integer");
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      int digit = *c->p++ - '0';
      if (v > (INT64_MAX - digit) / 10)
        return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "bad .npy header: a dimension overflows int64");
      v = v * 10 + digit;
    }
    if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 long */
    if (n == QINFER_MAX_RANK)
      return qi_fail(err, QINFER_ERR_UNSUPPORTED, ".npy rank exceeds the maximum of %d", QINFER_MAX_RANK);
    dims[n++] = v;
    if (take(c, ')')) break;
    if (!take(c, ',')) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: malformed 'shape'");
  }
  *rank = n;
  return QINFER_OK;
}

typedef struct npy_header {
  qinfer_dtype dtype;
  int rank;
  int64_t dims[QINFER_MAX_RANK];
} npy_header;

static qi_status parse_dict(cursor *c, npy_header *h, qi_error *err) {
  bool have_descr = false, have_order = false, have_shape = false;
  if (!take(c, '{')) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: no dictionary");
  for (;;) {
    if (take(c, '}')) break;
    char key[32], descr[32];
    if (!parse_string(c, key, sizeof key) || !take(c, ':'))
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: malformed dictionary");
    if ((have_descr && strcmp(key, "descr") == 0) || (have_order && strcmp(key, "fortran_order") == 0) ||
        (have_shape && strcmp(key, "shape") == 0))
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: duplicate key '%s'", key);
    if (strcmp(key, "descr") == 0) {
      skip_space(c);
      if (c->p < c->end && *c->p == '[')
        return qi_fail(err, QINFER_ERR_UNSUPPORTED, ".npy structured dtypes are not supported");
      if (!parse_string(c, descr, sizeof descr))
        return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: malformed 'descr'");
      QI_CHECK(descr_to_dtype(descr, &h->dtype, err));
      have_descr = true;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (parse_word(c, "True"))
        return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                       "Fortran-order .npy arrays are not supported; save with np.ascontiguousarray");
      if (!parse_word(c, "False"))
        return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: malformed 'fortran_order'");
      have_order = true;
    } else if (strcmp(key, "shape") == 0) {
      QI_CHECK(parse_shape(c, &h->rank, h->dims, err));
      have_shape = true;
    } else {
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: unexpected key '%s'", key);
    }
    if (take(c, '}')) break;
    if (!take(c, ',')) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: malformed dictionary");
  }
  skip_space(c);
  if (c->p != c->end) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: junk after dictionary");
  if (!have_descr || !have_order || !have_shape)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad .npy header: missing %s",
                   !have_descr ? "'descr'" : !have_order ? "'fortran_order'" : "'shape'");
  return QINFER_OK;
}

qi_status qi_npy_parse(const void *buf, size_t size, qi_host_tensor *t, qi_error *err) {
  memset(t, 0, sizeof *t);
  const uint8_t *b = buf;
  if (size < 10 || memcmp(b, npy_magic, sizeof npy_magic) != 0)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "not a .npy file (bad magic)");
  uint8_t major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "unsupported .npy format version %u.%u", major, minor);
  size_t header_start, header_len;
  if (major == 1) {
    header_start = 10;
    header_len = (size_t)b[8] | (size_t)b[9] << 8;
  } else {
    if (size < 12) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "truncated .npy header");
    header_start = 12;
    header_len = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
  }
  if (header_len > size - header_start)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "truncated .npy header (%zu bytes announced, %zu present)",
                   header_len, size - header_start);
  npy_header h = {0};
  cursor c = {(const char *)b + header_start, (const char *)b + header_start + header_len};
  QI_CHECK(parse_dict(&c, &h, err));

  size_t nbytes;
  QI_CHECK(qi_host_shape_bytes(h.dtype, h.rank, h.dims, &nbytes, err));
  size_t payload = size - header_start - header_len;
  if (payload != nbytes)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, ".npy data size mismatch: shape needs %zu bytes, file has %zu",
                   nbytes, payload);
  QI_CHECK(qi_host_tensor_alloc(t, h.dtype, h.rank, h.dims, err));
  if (nbytes) memcpy(t->data, b + header_start + header_len, nbytes);
  return QINFER_OK;
}

qi_status qi_npy_read(const char *path, qi_host_tensor *t, qi_error *err) {
  memset(t, 0, sizeof *t);
  void *buf;
  size_t size;
  QI_CHECK(qi_read_file(path, &buf, &size, err));
  qi_status s = qi_npy_parse(buf, size, t, err);
  free(buf);
  if (s != QINFER_OK) qi_error_context(err, "%s", path);
  return s;
}

qi_status qi_npy_format_header(qinfer_dtype dtype, int rank, const int64_t *dims, char *out, size_t cap,
                               size_t *len, qi_error *err) {
  const char *descr = dtype_to_descr(dtype);
  if (!descr) return qi_fail(err, QINFER_ERR_UNSUPPORTED, "dtype %d cannot be written to .npy", (int)dtype);
  if (rank < 0 || rank > QINFER_MAX_RANK) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad rank %d", rank);
  char dict[512];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < rank; i++)
    n += snprintf(dict + n, sizeof dict - (size_t)n, i ? ", %lld" : "%lld", (long long)dims[i]);
  n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", rank == 1 ? "," : "");
  /* 10 bytes of preamble + dict + spaces + '\n', padded to a multiple of 64. */
  size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
  if (total > cap) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, ".npy header buffer too small");
  size_t header_len = total - 10;
  memcpy(out, npy_magic, sizeof npy_magic);
  out[6] = 1;
  out[7] = 0;
  out[8] = (char)(header_len & 0xff);
  out[9] = (char)(header_len >> 8);
  memcpy(out + 10, dict, (size_t)n);
  memset(out + 10 + n, ' ', total - 10 - (size_t)n - 1);
  out[total - 1] = '\n';
  *len = total;
  return QINFER_OK;
}

qi_status qi_npy_write(const char *path, qinfer_dtype dtype, int rank, const int64_t *dims, const void *data,
                       size_t nbytes, qi_error *err) {
  size_t expected;
  QI_CHECK(qi_host_shape_bytes(dtype, rank, dims, &expected, err));
  if (expected != nbytes)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "%zu bytes of data for a shape that needs %zu", nbytes,
                   expected);
  char header[640];
  size_t header_len;
  QI_CHECK(qi_npy_format_header(dtype, rank, dims, header, sizeof header, &header_len, err));
  FILE *f = fopen(path, "wb");
  if (!f) return qi_fail(err, QINFER_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
  bool ok = fwrite(header, 1, header_len, f) == header_len && (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
  int saved_errno = errno;
  if (fclose(f) != 0) ok = false;
  if (!ok) return qi_fail(err, QINFER_ERR_IO, "cannot write '%s': %s", path, strerror(saved_errno));
  return QINFER_OK;
}
