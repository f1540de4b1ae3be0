/* Error recording, span and vector helpers shared by the loader's decoders. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader_internal.h"

bool qi_ld_fail(qi_ld *ld, qi_status code, const char *fmt, ...) {
  assert(ld->err);
  if (ld->failed) return false; /* keep the first, most precise message */
  char msg[QI_ERROR_MSG_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  qi_fail(ld->err, code, "%s", msg);
  ld->failed = true;
  return false;
}

bool qi_ld_decode(qi_ld *ld, pb_istream_t *stream, const pb_msgdesc_t *fields, void *msg, const char *what) {
  if (pb_decode(stream, fields, msg)) return !ld->failed;
  return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "%s: malformed protobuf (%s)", what, PB_GET_ERROR(stream));
}

bool qi_ld_decode_span(qi_ld *ld, qi_span span, const pb_msgdesc_t *fields, void *msg, const char *what) {
  pb_istream_t stream = pb_istream_from_buffer(span.p, span.len);
  return qi_ld_decode(ld, &stream, fields, msg, what);
}

bool qi_ld_take_span(qi_ld *ld, pb_istream_t *stream, qi_span *out, const char *what) {
  /* Only length-delimited fields are read in place from the buffer; nanopb hands a scalar wire type to a
   * callback as a copy on its stack, which lies outside the buffer. */
  uintptr_t p = (uintptr_t)stream->state, lo = (uintptr_t)ld->buf, hi = lo + ld->size;
  size_t len = stream->bytes_left;
  if (p < lo || p > hi || len > hi - p)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "%s: wrong wire type (expected length-delimited bytes)", what);
  if (!pb_read(stream, NULL, len))
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "%s: truncated (%s)", what, PB_GET_ERROR(stream));
  out->p = (const uint8_t *)p;
  out->len = len;
  out->set = true;
  return true;
}

char *qi_ld_strdup(qi_ld *ld, qi_span s, const char *what) {
  if (s.len && memchr(s.p, '\0', s.len)) {
    qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "%s contains a NUL byte", what);
    return NULL;
  }
  char *d = malloc(s.len + 1);
  if (!d) {
    qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory copying %s", what);
    return NULL;
  }
  if (s.len) memcpy(d, s.p, s.len);
  d[s.len] = '\0';
  return d;
}

bool qi_span_eq(qi_span s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

void qi_vec_init(qi_vec *v, size_t elem) {
  memset(v, 0, sizeof *v);
  v->elem = elem;
}

void qi_vec_free(qi_vec *v) {
  free(v->data);
  v->data = NULL;
  v->n = v->cap = 0;
}

bool qi_vec_push(qi_ld *ld, qi_vec *v, const void *item) {
  assert(v->elem > 0);
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 16;
    if (cap < v->cap || cap > SIZE_MAX / v->elem)
      return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "array too large");
    void *d = realloc(v->data, cap * v->elem);
    if (!d) return qi_ld_fail(ld, QINFER_ERR_OUT_OF_MEMORY, "out of memory growing an array to %zu items", cap);
    v->data = d;
    v->cap = cap;
  }
  memcpy((char *)v->data + v->n * v->elem, item, v->elem);
  v->n++;
  return true;
}
