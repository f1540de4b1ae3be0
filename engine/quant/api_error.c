#include "engine/quant/api_error.h"

qi_status qz_fail_call(qi_error *err, const char *what, qi_status code, const char *detail) {
  if (detail && *detail) return qi_fail(err, code, "%s: %s: %s", what, qinfer_status_string(code), detail);
  return qi_fail(err, code, "%s: %s", what, qinfer_status_string(code));
}
