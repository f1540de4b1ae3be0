/* Summary statistics of a tensor buffer, for one-line reports (run) and comparisons (compare, later). */
#ifndef QI_QUANT_TENSOR_STATS_H
#define QI_QUANT_TENSOR_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "qinfer.h"

typedef struct qi_tensor_stats {
  int64_t count;     /* elements */
  int64_t nonfinite; /* NaN and infinities (floating types), excluded from min/max/mean */
  double min, max, mean;
} qi_tensor_stats;

/* Element i of a buffer of dtype as a double (float16 decoded; 0 for unsupported dtypes). */
double qi_element_as_double(qinfer_dtype dtype, const void *data, int64_t i);
void qi_compute_stats(qinfer_dtype dtype, const void *data, int64_t count, qi_tensor_stats *stats);

#endif /* QI_QUANT_TENSOR_STATS_H */
