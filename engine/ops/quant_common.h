/* Quantization parameters of an operand of a quantization op (QuantizeLinear, DequantizeLinear, QLinear*,
 * QGemm, ConvInteger, ...): a scale and a zero point per tensor or per slice along one axis, read from the
 * node's inputs and checked once (docs/quantization.md lists the checks):
 *   - scales are float, finite and > 0  (QINFER_ERR_QUANT_PARAMS otherwise, naming the input and index);
 *   - a zero point has the quantized element type (uint8 / int8, int32 for biases) and as many values as
 *     the scale; an absent zero point is 0 of the default type;
 *   - per-axis parameters are 1-D with the length of the quantized axis of the data tensor;
 *   - the qinfer range limits (qmin / qmax) of the type contain the zero point.
 */
#ifndef QI_OPS_QUANT_COMMON_H
#define QI_OPS_QUANT_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/ir/ir.h"
#include "engine/threadpool.h"
#include "kernels/isa.h"

typedef struct qi_qparams {
  int dtype;              /* quantized element type: QINFER_DTYPE_UINT8, _INT8 or _INT32 */
  int64_t count;          /* number of (scale, zero point) pairs: 1 = per tensor */
  int axis;               /* normalised axis of the data tensor they run along; -1 when per tensor */
  const float *scale;     /* count scales */
  const void *zero_point; /* count values of type dtype, or NULL for all zeros */
} qi_qparams;

/* Integer range of a quantized type: [0, 255] for uint8, [-128, 127] for int8, int32's for int32. */
void qi_qtype_range(int dtype, int32_t *qmin, int32_t *qmax);

static inline float qi_qparams_scale(const qi_qparams *p, int64_t i) { return p->scale[p->count == 1 ? 0 : i]; }
int32_t qi_qparams_zero_point(const qi_qparams *p, int64_t i);

/* Reads the parameters of node n's inputs scale_slot and zp_slot (zp_slot < 0 or an absent input: zero
 * points 0 of dflt_dtype) for the data tensor `data`. `axis` is the op's axis attribute (negative counts
 * from the end), used only when the scale has more than one element. With require_const the scale and zero
 * point must be constants (ops that precompute requantization at prepare time); otherwise their current
 * data is read (call again at run time when they are not constant). The returned pointers alias the tensors'
 * data. Errors: QINFER_ERR_QUANT_PARAMS with "node 'name' (Op): ..." context, QINFER_ERR_UNSUPPORTED for a
 * non-constant parameter when require_const. */
qi_status qi_qparams_read(qi_graph *g, const qi_node *n, int scale_slot, int zp_slot, const qi_tensor *data,
                          int64_t axis, int dflt_dtype, bool require_const, qi_qparams *out, qi_error *err);

/* Shape-time check only (infer): ranks, lengths and dtypes of the parameter inputs, values not read. */
qi_status qi_qparams_check_shapes(qi_graph *g, const qi_node *n, int scale_slot, int zp_slot, const qi_tensor *data,
                                  int64_t axis, int dflt_dtype, qi_error *err);

/* DynamicQuantizeLinear (engine/ops/quant_qdq.c): x's range [min(x, 0), max(x, 0)] gives *scale and
 * *zero_point, and y = QuantizeLinear(x) to uint8, on the ISA's quantize kernel; shared by the fused dynamic ops
 * (engine/ops/quant_dynamic.c) so that they quantize exactly as the unfused graph does. */
void qi_dynamic_quantize_u8(const float *x, int64_t count, uint8_t *y, float *scale, uint8_t *zero_point, qi_isa isa,
                            qi_threadpool *pool);

#endif /* QI_OPS_QUANT_COMMON_H */
