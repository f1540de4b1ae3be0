/* Internal status and error reporting: every failing path fills a qi_error with a code and a message. */
#ifndef QI_STATUS_H
#define QI_STATUS_H

#include "qinfer.h"

typedef qinfer_status qi_status;

#define QI_ERROR_MSG_SIZE 512

typedef struct qi_error {
  qi_status code;
  char msg[QI_ERROR_MSG_SIZE];
  /* Set by shape inference when an op needed the value of a tensor that is not constant (Reshape's shape, ...):
   * that tensor, then the graph input its value comes from (engine/pass_infer.c); NULL otherwise. */
  const struct qi_tensor *needed_value;
} qi_error;

/* Records code and a printf-style message in err (err may be NULL) and returns code. */
qi_status qi_fail(qi_error *err, qi_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes context to the message already in err ("context: message") and returns err->code. */
qi_status qi_error_context(qi_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qi_error_clear(qi_error *err);

#define QI_CHECK(expr)              \
  do {                              \
    qi_status qi_s_ = (expr);       \
    if (qi_s_ != QINFER_OK) return qi_s_; \
  } while (0)

#endif /* QI_STATUS_H */
