/* How the model comparison (engine/quant/compare.c, compare_isolated.c) finds REF's float tensor for a tensor of
 * TEST: a float tensor by its own name; a quantized tensor written by a QuantizeLinear in TEST's file by the name
 * of that QuantizeLinear's float input, which the quantizer (and any QDQ model) keeps from the FP32 model, with
 * the QuantizeLinear's constant scale and zero point to dequantize (or quantize) it. */
#ifndef QI_QUANT_COMPARE_MATCH_H
#define QI_QUANT_COMPARE_MATCH_H

#include <stdbool.h>

#include "engine/ir/ir.h"
#include "engine/quant/compare_metrics.h"

bool qi_cmp_is_float_dtype(qinfer_dtype d);
/* uint8, int8, uint16, int16: the activation types a QuantizeLinear writes. */
bool qi_cmp_is_quant_dtype(qinfer_dtype d);
/* A live QuantizeLinear (default or com.microsoft domain) with an input and an output. */
bool qi_cmp_is_quantize(const qi_node *n);

/* The dequantization of one tensor: parameters and the arrays they point into. */
typedef struct qi_cmp_dequant {
  qi_cmp_quant q;
  float *scale;
  double *zp;
} qi_cmp_dequant;

void qi_cmp_dequant_free(qi_cmp_dequant *d);

/* Parameters of QuantizeLinear node n of a file graph for its output `out` as the session holds it (per tensor
 * or per axis, constant scale and zero point). False when they are not constants of a supported form (or out
 * of memory); d is then empty. */
bool qi_cmp_quant_params(const qi_graph *g, const qi_node *n, const qinfer_tensor_info *out, qi_cmp_dequant *d);

/* The QuantizeLinear of file graph g that writes the tensor called name, or NULL. */
const qi_node *qi_cmp_quantize_writing(const qi_graph *g, const char *name);

#endif /* QI_QUANT_COMPARE_MATCH_H */
