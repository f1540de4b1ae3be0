/* Static post-training quantization (`qinfer quantize`): which tensors to quantize, their calibrated ranges,
 * and the rewrite of an FP32 graph into a standard QDQ ONNX graph (docs/quantization.md, "The quantizer").
 *
 *   plan       qz_plan_make: per tensor, whether it is quantized and whether it shares the parameters of
 *              another tensor (value-preserving ops keep their input's scale);
 *   calibrate  qz_calib_*: runs the FP32 model over the samples and reduces each planned tensor to a range
 *              (minmax, percentile, entropy or mse);
 *   rewrite    qz_rewrite: QuantizeLinear -> DequantizeLinear after every quantized activation, int8 weights
 *              (per channel or per tensor, symmetric) and int32 biases with their DequantizeLinear. */
#ifndef QI_QUANT_QUANTIZE_H
#define QI_QUANT_QUANTIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/ir/ir.h"

typedef enum { QZ_MINMAX, QZ_PERCENTILE, QZ_ENTROPY, QZ_MSE } qz_method;

/* How a weight scale is chosen: from max |w| (minmax), or the clipping of it with the least squared error (mse,
 * weighted by E[x_k^2] when activations are calibrated), or mse scales with GPTQ error compensation
 * (engine/quant/gptq.h; calibrated activations only). */
typedef enum { QZ_WEIGHT_MINMAX, QZ_WEIGHT_MSE, QZ_WEIGHT_GPTQ } qz_weight_method;

struct qz_gptq_set; /* engine/quant/gptq_collect.h */

typedef struct qz_options {
  bool per_channel;      /* weights: one scale per output channel (default) or one per tensor */
  int act_dtype;         /* QINFER_DTYPE_UINT8 (default) or QINFER_DTYPE_INT8, asymmetric either way; or
                          * QINFER_DTYPE_FLOAT: weight-only (no activation quantized, no calibration) */
  int weight_bits;       /* 8 (default) or 4 */
  int block_size;        /* 4-bit weights: 0 per output channel, or 16 / 32 / 64 / 128 along K */
  bool weight_asymmetric; /* 4-bit weights: uint4 with zero points instead of symmetric int4 */
  qz_weight_method weight_method;
  bool dynamic;          /* activations of linear layers quantized per run (DynamicQuantizeLinear): no calibration */
  const char **exclude;  /* node names (or output tensor names) kept in float */
  int n_exclude;
  const char **w8;       /* under 4-bit weights: nodes (names as exclude) whose weights stay int8 (the target-SQNR
                          * search's first promotion, engine/quant/mixed.c) */
  int n_w8;
  const char **a16;      /* activation tensors quantized at 16 bits (uint16 beside uint8, int16 beside int8) while
                          * the others keep act_dtype (the search's activation promotion) */
  int n_a16;
  int bias_correction;   /* b' = b - (W_q - W) E[x] on calibrated models: 0 (default) for 4-bit weights only, 1 for
                          * int8 weights too, -1 never */
  qz_method method;
  double percentile;     /* QZ_PERCENTILE: share of values kept inside the range, e.g. 99.99 */
  const struct qz_gptq_set *gptq; /* QZ_WEIGHT_GPTQ: the compensated weights the rewrite takes (by weight name) */
} qz_options;

/* What happens to each tensor of the graph. */
typedef struct qz_plan {
  int n_tensors;
  bool *quantize;   /* activation gets QuantizeLinear -> DequantizeLinear */
  int *share;       /* tensor whose parameters it reuses, or -1 (its own calibrated range) */
  int n_quantized_nodes;
} qz_plan;

/* A calibrated real-valued range per tensor, and the sums of its values and of their squares per channel (axis 1
 * of a tensor of rank >= 2, over all samples; for the bias correction of 4-bit weights and the activation-weighted
 * weight search, engine/quant/rewrite.c): ch_sum[c] / ch_count is E[x_c], ch_sq[c] / ch_count is E[x_c^2];
 * last_sq[k] / last_count is E[x_k^2] along the last axis of a rank >= 3 tensor (a MatMul's K). NULL when not
 * collected (rank < 2, channel counts that differ between samples); they belong to the statistics (valid while
 * they are). */
typedef struct qz_range {
  float min, max;
  bool set;
  const double *ch_sum, *ch_sq;
  int64_t channels;
  double ch_count;
  const double *last_sq;
  int64_t last_len;
  double last_count;
} qz_range;

qi_status qz_plan_make(const qi_graph *g, const qz_options *o, qz_plan *plan, qi_error *err);
void qz_plan_free(qz_plan *plan);
/* Whether node n is kept in float by the options' exclusions (by node name or the name of an output). */
bool qz_node_excluded(const qi_graph *g, const qi_node *n, const qz_options *o);
/* The dtype activation tensor `name` is quantized to under o (act_dtype, or its 16-bit twin when o->a16 names it). */
int qz_tensor_act_dtype(const qz_options *o, const char *name);
/* Whether the options write any 16-bit activation. */
bool qz_any_act16(const qz_options *o);
/* Whether node n is one of names[0 .. count) (by node name or the name of an output). */
bool qz_node_named(const qi_graph *g, const qi_node *n, const char *const *names, int count);
/* Whether tensor t needs a calibrated range of its own. */
static inline bool qz_plan_calibrates(const qz_plan *p, int t) { return p->quantize[t] && p->share[t] < 0; }

/* Per-tensor statistics gathered over the calibration samples. */
typedef struct qz_stats qz_stats;

/* Statistics for the tensors the plan calibrates; bins: histogram size for the histogram methods. */
qz_stats *qz_stats_new(const qi_graph *g, const qz_plan *plan, int bins);
void qz_stats_free(qz_stats *s);
/* Pass 1 (every method): min / max of a tensor's values. */
void qz_stats_add_minmax(qz_stats *s, int tensor, const float *x, size_t n);
/* Adds x (dims[rank], rank >= 2) to tensor's per-channel sums along axis 1. */
void qz_stats_add_channel_sums(qz_stats *s, int tensor, const float *x, int rank, const int64_t *dims);
/* Whether the method needs pass 2 (a histogram over the pass-1 range). */
bool qz_method_needs_histogram(qz_method m);
/* Pass 2: histogram over [min, max] from pass 1. */
void qz_stats_add_histogram(qz_stats *s, int tensor, const float *x, size_t n);
/* Reduces the statistics to one range per calibrated tensor (ranges: n_tensors entries). */
void qz_stats_ranges(const qz_stats *s, const qz_options *o, qz_range *ranges);

/* The mse method's range (engine/quant/range_mse.c) from a tensor's histogram (bins counts over [min, max], `zeros`
 * of them exactly 0) for `levels` quantization levels: [min, max] itself when there is nothing to search. */
void qz_range_mse(const double *hist, int bins, double min, double max, double zeros, int levels, float *lo,
                  float *hi);

/* Cuts each range to the part the elementwise ops reading the tensor can tell apart (engine/quant/trim.c).
 * g: the graph the plan was made on (shapes known, producers linked). */
void qz_ranges_trim(qi_graph *g, const qz_plan *p, qz_range *ranges);

/* Counts of what the rewrite did, for the report. */
typedef struct qz_report {
  int quantized_nodes; /* nodes the plan quantized (filled by the caller) */
  int activations;     /* QuantizeLinear / DequantizeLinear pairs inserted */
  int weights;         /* weight tensors stored as int8 */
  int biases;          /* bias tensors stored as int32 */
  int biases_corrected; /* biases shifted by the expected error of their 4-bit weights */
  int gptq_layers;      /* weights taken from the GPTQ results (o->gptq) */
  int64_t weight_bytes_fp32, weight_bytes_int8;
} qz_report;

/* Rewrites g in place into a QDQ graph. ranges: per tensor (those the plan calibrates). Weights and biases
 * are quantized from their values; shared tensors take the parameters of the tensor they share. */
qi_status qz_rewrite(qi_graph *g, const qz_options *o, const qz_plan *plan, const qz_range *ranges, qz_report *rep,
                     qi_error *err);

/* Dynamic quantization (engine/quant/dynamic.c): every Conv / MatMul / Gemm with constant float weights that is not
 * excluded becomes ONNX Runtime's quantize_dynamic chain, x -> DynamicQuantizeLinear -> ConvInteger /
 * MatMulInteger (int8 weights) -> Cast -> Mul(x_scale * w_scale) [-> Add bias]; nothing is calibrated. */
qi_status qz_rewrite_dynamic(qi_graph *g, const qz_options *o, qz_report *rep, qi_error *err);

/* Whether the options calibrate activations (else weight-only or dynamic: nothing calibrated). */
static inline bool qz_calibrates(const qz_options *o) { return o->act_dtype != QINFER_DTYPE_FLOAT && !o->dynamic; }
/* Whether the options quantize activations (else weight-only: float activations, nothing calibrated). */
static inline bool qz_quantizes_activations(const qz_options *o) { return o->act_dtype != QINFER_DTYPE_FLOAT; }
/* The default-domain opset the written model needs at least: 21 for 4-bit weights (int4 / uint4 tensors and
 * DequantizeLinear's block_size), else 13 (per-axis QuantizeLinear / DequantizeLinear). */
static inline int qz_required_opset(const qz_options *o) { return o->weight_bits == 4 ? 21 : 13; }
/* The combination of options is one the quantizer writes (checked by qinfer_quantize before any work):
 * QINFER_ERR_INVALID_ARGUMENT naming the clash otherwise. */
qi_status qz_check_options(const qz_options *o, qi_error *err);

/* Activation parameters for a range (0 is always representable): scale > 0 and zero point in dtype's range. */
void qz_act_params(float rmin, float rmax, int dtype, float *scale, int32_t *zero_point);

#endif /* QI_QUANT_QUANTIZE_H */
