/* The graph passes a session runs, written once (engine/pipeline.c) and used by every caller: sessions run all
 * of them; the quantizer stops earlier, on a graph whose tensors are the ones a session computes in float.
 *
 *   stage                      what it leaves behind
 *   QI_STAGE_FLOAT_FOLDS       shapes bound and inferred (when options are given), constants and shape
 *                              subgraphs folded, dead nodes removed, BatchNorm / per-channel affine ops folded
 *                              into convolutions
 *   QI_STAGE_ALL               and QDQ patterns fused into integer ops, late folding (DequantizeLinear of
 *                              weights), fused attention and activations (unless the options keep them apart)
 */
#ifndef QI_PIPELINE_H
#define QI_PIPELINE_H

#include <stdbool.h>

#include "engine/ir/ir.h"
#include "kernels/isa.h"

typedef enum qi_stage { QI_STAGE_FLOAT_FOLDS, QI_STAGE_ALL } qi_stage;

typedef struct qi_pipeline_options {
  /* Bind input shapes (those of `shapes`, symbolic dims by name, the rest 1) and infer every tensor's shape.
   * false: shapes stay as loaded (symbolic dims survive) and only the passes that need no shapes run (dead
   * nodes, the affine folds into convolutions). */
  bool bind_shapes;
  const struct qinfer_session_options *shapes; /* may be NULL */
  /* fold Relu / Clip / LeakyRelu into the op before them and attention patterns into FusedAttention
   * (QI_STAGE_ALL): off for the quantizer's calibration sessions, which must see every tensor */
  bool fuse_activations;
  qi_isa isa;            /* the path constant folding runs its kernels on (a session's path, else qi_isa_best()) */
} qi_pipeline_options;

/* Runs the passes up to and including `last` on g (ops already resolved). */
qi_status qi_run_pipeline(qi_graph *g, qi_stage last, const qi_pipeline_options *o, qi_error *err);

#endif /* QI_PIPELINE_H */
