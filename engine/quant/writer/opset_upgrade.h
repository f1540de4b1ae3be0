/* The written model's version converter: a graph below opset 13 (or 21) rewritten into the forms its ops take at
 * opset 13 (or 21) (docs/loader.md, "Upgrading the opset"), op by op after the ONNX change log, so that `qinfer quantize`'s output
 * uses the standard QuantizeLinear / DequantizeLinear (per-axis since 13) and ONNX Runtime fuses it.
 *
 * Attributes that became inputs (Clip min / max, Slice starts / ends / axes, Pad pads / value, Dropout ratio, Split
 * split, Squeeze / Unsqueeze / ReduceSum axes) become constant inputs; Upsample becomes Resize and Resize-10 gets
 * Resize-13's attributes (asymmetric coordinates, nearest_mode floor: Resize-10's arithmetic); Softmax, LogSoftmax
 * and Hardmax before 13 (the input coerced to 2-D at axis) keep their meaning: axis already last, or Flatten at
 * axis -> the op on axis 1 -> Reshape back to the input's shape; BatchNormalization-7's spatial = 1 is dropped. Ops
 * whose form did not change are relabelled. Anything else (an op this table does not know, spatial = 0, Resize's
 * tf_half_pixel_for_nn, a source opset below 7) fails with the node and the reason, before the graph is changed. */
#ifndef QI_OPSET_UPGRADE_H
#define QI_OPSET_UPGRADE_H

#include <stdint.h>

#include "engine/ir/ir.h"
#include "engine/ir/status.h"

#define QI_OPSET_UPGRADE_TARGET 13
#define QI_OPSET_UPGRADE_MAX_TARGET 21 /* the quantizer's 4-bit weights (int4 types, DequantizeLinear block_size) */
#define QI_OPSET_UPGRADE_MIN_SOURCE 7

/* The graph's default-domain ("" or "ai.onnx") opset import, 0 when it has none. */
int64_t qi_graph_default_opset(const qi_graph *g);

/* Rewrites g in place to default-domain opset QI_OPSET_UPGRADE_TARGET (its import and every default-domain node);
 * a graph already there or above, or without a default-domain import, is left as it is. New nodes have no
 * resolved operator (n->op NULL): a caller that runs the graph resolves them again. On success g->order holds an
 * execution order. On failure (QINFER_ERR_UNSUPPORTED naming the node, or out of memory) g is unchanged, except
 * after running out of memory halfway, when it must be freed. ranks (may be NULL): a graph with the same tensor
 * names whose ranks are known (the quantizer's analysis graph, shapes bound), consulted where g does not know the
 * rank of a Softmax input: a last axis then needs no Flatten / Reshape. */
qi_status qi_opset_upgrade(qi_graph *g, const qi_graph *ranks, qi_error *err);
/* The same to opset `target`: QI_OPSET_UPGRADE_TARGET or QI_OPSET_UPGRADE_MAX_TARGET (21: besides the rules up to
 * 13, the reductions' axes attribute becomes an input and an equal Split gets num_outputs, opset 18's forms). */
qi_status qi_opset_upgrade_to(qi_graph *g, const qi_graph *ranks, int target, qi_error *err);

#endif /* QI_OPSET_UPGRADE_H */
