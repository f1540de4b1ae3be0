/* Metrics of the model comparison (qinfer_compare_*, `qinfer compare`): how far a tensor of the model under test
 * is from the reference model's. All sums are kept in double. */
#ifndef QI_QUANT_COMPARE_METRICS_H
#define QI_QUANT_COMPARE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "qinfer.h"

/* Running sums over pairs (ref, test). Zero-initialize before the first qi_cmp_add. */
typedef struct qi_cmp_acc {
  int64_t n, n_equal, n_nan;      /* pairs, pairs exactly equal, pairs with a NaN on either side */
  double sum_rr, sum_tt, sum_rt;  /* Σ ref², Σ test², Σ ref·test */
  double sum_dd, sum_abs, max_abs; /* Σ (ref - test)², Σ |ref - test|, max |ref - test| */
} qi_cmp_acc;

typedef struct qi_cmp_metrics {
  int64_t n;
  double cosine;      /* Σ r·t / sqrt(Σ r² · Σ t²); 1 when both are all zero, 0 when only one is */
  double max_abs;     /* max |r - t| */
  double mean_abs;    /* mean |r - t| */
  double sqnr_db;     /* 10·log10(Σ r² / Σ (r - t)²): +inf when equal, -inf when ref is all zero and test not */
  double equal_share; /* share of elements exactly equal (1 for empty tensors) */
} qi_cmp_metrics;

void qi_cmp_add(qi_cmp_acc *acc, double ref, double test);
/* Metrics of the pairs added so far; any NaN pair makes cosine, SQNR and the differences NaN. */
void qi_cmp_finish(const qi_cmp_acc *acc, qi_cmp_metrics *m);

/* Per-tensor or per-axis linear quantization parameters of a QuantizeLinear output: element i of the
 * quantized tensor has channel (i / inner) % n_params and the real value (q - zero_point[c]) * scale[c]. */
typedef struct qi_cmp_quant {
  qinfer_dtype dtype;       /* of the quantized tensor: uint8, int8, uint16 or int16 */
  const float *scale;       /* n_params values */
  const double *zero_point; /* n_params values, NULL for all zero */
  int64_t n_params, inner;  /* per tensor: n_params = inner = 1 */
} qi_cmp_quant;

/* The dequantized value of element i of data. */
double qi_cmp_dequant_at(const qi_cmp_quant *q, const void *data, int64_t i);

/* Compares count elements of two buffers (any dtype qi_element_as_double reads); ref_quant / test_quant, when
 * not NULL, dequantize that side first. */
void qi_cmp_buffers(qinfer_dtype ref_dtype, const void *ref, const qi_cmp_quant *ref_quant, qinfer_dtype test_dtype,
                    const void *test, const qi_cmp_quant *test_quant, int64_t count, qi_cmp_metrics *m);

/* Orders two SQNR values worst first: NaN before everything, then ascending (-inf first, +inf last). */
int qi_cmp_sqnr_order(double a, double b);

#endif /* QI_QUANT_COMPARE_METRICS_H */
