#include <string.h>

#include "engine/op.h"

const qi_op *const qi_op_families[] = {qi_ops_math,       qi_ops_reduce,     qi_ops_tensor,     qi_ops_nn,
                                       qi_ops_quant_conv, qi_ops_quant_pool, qi_ops_quant_elem, qi_ops_quant_table,
                                       qi_ops_quant_transformer, NULL};

const qi_op *qi_op_find(const char *domain, const char *op_type) {
  if (!domain || strcmp(domain, "ai.onnx") == 0) domain = "";
  for (const qi_op *const *f = qi_op_families; *f; f++)
    for (const qi_op *op = *f; op->op_type; op++)
      if (strcmp(op->op_type, op_type) == 0 && strcmp(op->domain, domain) == 0) return op;
  return NULL;
}

unsigned qi_node_op_flags(const qi_node *n) {
  const qi_op *op = n->op ? n->op : qi_op_find(n->domain, n->op_type);
  return op ? op->flags : 0;
}
