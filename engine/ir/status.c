#include "engine/ir/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

qi_status qi_fail(qi_error *err, qi_status code, const char *fmt, ...) {
  if (!err) return code;
  char text[QI_ERROR_MSG_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  err->code = code;
  strncpy(err->msg, text, sizeof err->msg - 1);
  err->msg[sizeof err->msg - 1] = '\0';
  return code;
}

qi_status qi_error_context(qi_error *err, const char *fmt, ...) {
  if (!err) return QINFER_ERR_RUNTIME;
  char prefix[QI_ERROR_MSG_SIZE], old[QI_ERROR_MSG_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  /* keep as much of both as fits: the prefix is short, the inner message carries the detail */
  size_t n = strnlen(prefix, sizeof err->msg - 3);
  memcpy(err->msg, prefix, n);
  memcpy(err->msg + n, ": ", 2);
  size_t room = sizeof err->msg - n - 3;
  size_t m = strnlen(old, room);
  memcpy(err->msg + n + 2, old, m);
  err->msg[n + 2 + m] = '\0';
  return err->code;
}

void qi_error_clear(qi_error *err) {
  if (!err) return;
  err->code = QINFER_OK;
  err->msg[0] = '\0';
}
