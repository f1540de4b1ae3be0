#include <string.h>

#include "engine/op.h"

static const qi_op *const families[] = {qi_ops_math, qi_ops_reduce, qi_ops_tensor, qi_ops_nn,
                                           qi_ops_quant_conv, qi_ops_quant_pool, qi_ops_quant_elem,
                                           qi_ops_quant_table};

const qi_op *qi_op_find(const char *domain, const char *op_type) {
  if (!domain || strcmp(domain, "ai.onnx") == 0) domain = "";
  for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
    for (const qi_op *op = families[f]; op->op_type; op++)
      if (strcmp(op->op_type, op_type) == 0 && strcmp(op->domain, domain) == 0) return op;
  return NULL;
}
