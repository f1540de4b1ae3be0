/* Quantization parameters of an operand of a quantization op (QuantizeLinear, DequantizeLinear, QLinear*,
 * QGemm, ConvInteger, ...): a scale and a zero point per tensor or per slice along one axis, read from the
 * node's inputs and checked once (docs/quantization.md lists the checks):
 *   - scales are float, finite and > 0  (QINFER_ERR_QUANT_PARAMS otherwise, naming the input and index);
 *   - a zero point has the quantized element type (uint8 / int8, uint16 / int16, int32 for biases) and as many
 *     values as the scale; an absent zero point is 0 of the default type;
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
  int dtype;              /* quantized element type: QINFER_DTYPE_UINT8, _INT8, _UINT16, _INT16, _INT32, _INT4 or _UINT4 */
  int64_t count;          /* number of (scale, zero point) pairs: 1 = per tensor */
  int axis;               /* normalised axis of the data tensor they run along; -1 when per tensor */
  const float *scale;     /* count scales */
  const void *zero_point; /* count values of type dtype, or NULL for all zeros */
} qi_qparams;

/* Integer range of a quantized type: [0, 255] for uint8, [-128, 127] for int8, the 16-bit types' own, [0, 15]
 * for uint4, [-8, 7] for int4, int32's for int32. */
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

/* One per-tensor (scale, zero point) pair, as the com.microsoft QLinear* ops take them. */
typedef struct qi_qparam1 {
  float scale;
  int32_t zero_point;
} qi_qparam1;

/* Checks the shapes and types of node n's per-tensor pair at (scale_slot, zp_slot; zp_slot < 0 or an absent
 * input: zero point 0) for an operand of the quantized type dtype: one scale value, a zero point of type dtype.
 * With read, also reads the values and checks them as qi_qparams_read does (read only constants at infer). */
qi_status qi_qparam1_get(qi_graph *g, const qi_node *n, int scale_slot, int zp_slot, int dtype, bool read,
                         qi_qparam1 *out, qi_error *err);

/* The pairs of an op laid out X, X_scale, [X_zero_point], Y_scale, [Y_zero_point] (QLinearSigmoid, QLinearSoftmax,
 * QLinearReduceMean, ...), both of X's type: p[0] X's, p[1] Y's. */
qi_status qi_qparam1_get_xy(qi_graph *g, const qi_node *n, bool read, qi_qparam1 p[2], qi_error *err);

/* Whether every input of n but the data inputs (data_mask: bit i set for slot i) is absent or a constant. */
bool qi_qparams_all_const(qi_graph *g, const qi_node *n, uint32_t data_mask);

/* Requantization table of an 8-bit operand: table[b] = QuantizeLinear(DequantizeLinear(b)) from x's
 * parameters to y's, a float multiply then a float division as ONNX Runtime builds its QLinearConcat and
 * QLinearWhere tables (the same bytes in both); b is the stored byte (int8 value (int8_t)b when s8). */
void qi_qparam1_requant_table(uint8_t table[256], bool s8, qi_qparam1 x, qi_qparam1 y, int32_t qmin, int32_t qmax);

#endif /* QI_OPS_QUANT_COMMON_H */
