/* Node errors in one format, "node 'NAME' (OP): message", whoever reports them: the ops, the passes, the
 * session's walks (engine/ir/ir.h). A node without a name (ONNX leaves it optional) is "node #INDEX (OP)", its
 * position in the graph's node list. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/ir/ir.h"

static int node_prefix(const qi_node *n, char *buf, size_t size) {
  const char *op = n->op_type ? n->op_type : "?";
  if (!n->name || !n->name[0]) return snprintf(buf, size, "node #%d (%s)", n->index, op);
  return snprintf(buf, size, "node '%s' (%s)", n->name, op);
}

qi_status qi_node_fail(qi_error *err, qi_status code, const qi_node *n, const char *fmt, ...) {
  char prefix[QI_ERROR_MSG_SIZE], msg[QI_ERROR_MSG_SIZE];
  node_prefix(n, prefix, sizeof prefix);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return qi_fail(err, code, "%s: %s", prefix, msg);
}

qi_status qi_node_error_context(const qi_node *n, qi_error *err) {
  if (!err) return QINFER_ERR_RUNTIME;
  char prefix[QI_ERROR_MSG_SIZE];
  const int len = node_prefix(n, prefix, sizeof prefix);
  if (len > 0 && strncmp(err->msg, prefix, (size_t)len) == 0) return err->code; /* already named */
  return qi_error_context(err, "%s", prefix);
}
