/* How the calls of include/qinfer_quant.h report failures: messages in the form `qinfer` prints a failed call in,
 * kept on a handle or as this thread's qinfer_last_error(). */
#ifndef QI_QUANT_API_ERROR_H
#define QI_QUANT_API_ERROR_H

#include "engine/ir/status.h"

/* "what: STATUS: detail" (or "what: STATUS" without detail) into err; returns code. */
qi_status qz_fail_call(qi_error *err, const char *what, qi_status code, const char *detail);

#endif /* QI_QUANT_API_ERROR_H */
