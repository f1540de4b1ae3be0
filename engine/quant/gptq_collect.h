/* `--weight-method gptq` over a whole model (docs/quantization.md, "GPTQ"): each layer's H = E[x x^T] from the
 * calibration samples, then its weights quantized with error compensation (engine/quant/gptq.h); the rewrite takes
 * the results by weight name.
 *
 * Layers: Conv (1-D / 2-D, group 1, explicit pads), Gemm (transA 0, B [K, N] or transB [N, K]) and MatMul (B
 * [K, N]) with a constant float weight whose input is a calibrated activation and whose weights have one scale per
 * output or blocks along K, and K <= QZ_GPTQ_MAX_K. Others (depthwise and grouped Convs, batched MatMul weights,
 * per-tensor int8, a longer K) keep the activation-weighted mse search. H is summed over every im2col column of every sample (Conv: K = C x kh x kw
 * values per output position, padding as 0; Gemm / MatMul: every row of A), in double, upper triangle.
 *
 * Memory stays bounded: the layers go in batches whose K x K matrices together take at most QZ_GPTQ_BATCH_BYTES
 * (one layer alone may exceed it: ResNet-50's K = 4608 is 170 MB); each batch runs every sample once, quantizes its
 * layers and frees its matrices, so only the quantized results (a byte and a float per weight) are kept. */
#ifndef QI_QUANT_GPTQ_COLLECT_H
#define QI_QUANT_GPTQ_COLLECT_H

#include "engine/quant/job.h"
#include "engine/quant/weights.h"

/* QZ_GPTQ_MAX_K: a larger K keeps the weighted mse search (ArcFace's fc reads 512 x 7 x 7 = 25088 values: its H would
 * be 5 GB and its factorisation 10^13 multiply-adds). */
enum { QZ_GPTQ_BATCH_BYTES = 256 << 20, QZ_GPTQ_MAX_K = 8192 };

typedef struct qz_gptq_result {
  char *weight; /* the weight tensor's name (the same in the analysis and the output graph) */
  qz_weight_q q;
} qz_gptq_result;

typedef struct qz_gptq_set {
  qz_gptq_result *r;
  int n;
  int candidates; /* layers GPTQ applies to */
} qz_gptq_set;

/* How the rewrite quantizes the weight (rank, dims) of compute node n under o (engine/quant/rewrite.c). */
qz_weight_spec qz_node_weight_spec(const qi_graph *g, const qi_node *n, int rank, const int64_t *dims,
                                   const qz_options *o);
/* Collects H layer by layer and quantizes every layer GPTQ applies to under o (the specs the rewrite will use). */
qi_status qz_job_gptq(qz_job *j, const qz_options *o, qz_gptq_set *out);
void qz_gptq_set_free(qz_gptq_set *s);
/* A copy of the result for weight `name` with numel values into out (free with qz_weight_q_free); false when there
 * is none (or out of memory). */
bool qz_gptq_take(const qz_gptq_set *s, const char *name, int64_t numel, qz_weight_q *out);

#endif /* QI_QUANT_GPTQ_COLLECT_H */
