/* The isolated view of the model comparison (QINFER_COMPARE_ISOLATED; the target-SQNR search ranks nodes by it):
 * every quantized node of TEST's session run once more alone, on REF's float values of its inputs, its output
 * measured against REF's float tensor. */
#ifndef QI_QUANT_COMPARE_ISOLATED_H
#define QI_QUANT_COMPARE_ISOLATED_H

#include "engine/quant/compare_metrics.h"
#include "engine/session.h"

/* One node measured in isolation, or (rounding) one quantized input tensor: REF's value quantized with its
 * parameters, dequantized, against REF's (the rounding alone, which every reader's isolated measure includes). */
typedef struct qi_cmp_isolated {
  int node;             /* TEST session graph's node index (rounding: the node the tensor was fed to) */
  int out;              /* its measured output, or the rounded input (TEST session graph's tensor) */
  const char *ref_name; /* REF's float tensor it is measured against (a name of REF's session graph) */
  bool rounding;        /* a tensor's rounding, not a node's output */
  qi_cmp_metrics m;
  /* the same against REF clamped to the range the quantized output can hold: the error without its clipping
   * (a range cut on purpose where the readers are constant: the target-SQNR search's measure of such tensors) */
  qi_cmp_metrics clamped;
} qi_cmp_isolated;

/* After ref (FP32) and test ran on the same inputs, both with keep_intermediates: for each live node of test's
 * session that reads or writes a quantized tensor (8- or 16-bit activations, 4- and 8-bit constant weights),
 * except DequantizeLinear, in execution order, whose every non-constant input that is not a graph input has a
 * REF match (engine/quant/compare_match.h; test_file is TEST's model as written), its inputs are overwritten with
 * REF's values (float copied, quantized ones through qi_quantize_f32 with the writing QuantizeLinear's scale and
 * zero point: exactly the runtime's QuantizeLinear), the node runs alone on its session's kernels and threads,
 * and each output with a REF match is measured (dequantized); an output without one that a DequantizeLinear
 * reads into a REF-matched float tensor (a graph output) is measured through that DequantizeLinear, run after
 * it; an output read only by a lookup table (QLinearTable: a HardSwish, HardSigmoid, ... region, whose input
 * range the quantizer may cut where the table is constant) is measured as the table sees it: the table run on it,
 * its output against REF's, reported for the output's REF name. Each quantized input fed is listed once more, as its rounding alone (rounding = true), for the first node
 * it was fed to. Cost: one run of each node. test's intermediate tensors hold these runs' values afterwards.
 * *out (malloc'ed, *n_out entries, freed by the caller) lists the nodes measured. */
qi_status qi_cmp_isolated_run(qinfer_session *ref, qinfer_session *test, const qi_graph *test_file,
                              qi_cmp_isolated **out, int *n_out, qi_error *err);

#endif /* QI_QUANT_COMPARE_ISOLATED_H */
