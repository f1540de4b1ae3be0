/* What the weight search knows of a layer's input (docs/quantization.md, "Weights"): the importance of each weight,
 * E[x_k^2] of the input value it multiplies, from the calibration statistics (engine/quant/calib.c). */
#ifndef QI_QUANT_WEIGHT_IMPORTANCE_H
#define QI_QUANT_WEIGHT_IMPORTANCE_H

#include "engine/ir/ir.h"
#include "engine/quant/quantize.h"

/* One value per element of weight input 1 of node n (Conv [M, C/g, k...]: E[x_c^2] of the input channel c the
 * element reads, c = its group's first channel + its index along axis 1; Gemm with transA 0: E[A[:, k]^2];
 * MatMul: E[x_k^2] over A's last axis), in the weight's element order; NULL (malloc'ed otherwise) when the
 * statistics are missing or do not fit the layer, or out of memory. xr: the range of the node's input 0. */
double *qz_weight_importance(const qi_node *n, const qi_tensor *wt, const qz_range *xr);

#endif /* QI_QUANT_WEIGHT_IMPORTANCE_H */
