#include "engine/quant/io/tensor_stats.h"

#include <math.h>
#include <string.h>

static double half_to_double(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0)
    v = ldexp(mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = ldexp(mant | 0x400, exp - 25);
  return sign ? -v : v;
}

double qi_element_as_double(qinfer_dtype dtype, const void *data, int64_t i) {
  const char *p = data;
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: { float v; memcpy(&v, p + 4 * i, 4); return v; }
    case QINFER_DTYPE_DOUBLE: { double v; memcpy(&v, p + 8 * i, 8); return v; }
    case QINFER_DTYPE_FLOAT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return half_to_double(v); }
    case QINFER_DTYPE_INT8: return ((const int8_t *)data)[i];
    case QINFER_DTYPE_UINT8:
    case QINFER_DTYPE_BOOL: return ((const uint8_t *)data)[i];
    case QINFER_DTYPE_INT16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case QINFER_DTYPE_UINT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case QINFER_DTYPE_INT32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case QINFER_DTYPE_UINT32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case QINFER_DTYPE_INT64: { int64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    case QINFER_DTYPE_UINT64: { uint64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    default: return 0.0;
  }
}

void qi_compute_stats(qinfer_dtype dtype, const void *data, int64_t count, qi_tensor_stats *stats) {
  memset(stats, 0, sizeof *stats);
  stats->count = count;
  double sum = 0.0;
  int64_t finite = 0;
  for (int64_t i = 0; i < count; i++) {
    double v = qi_element_as_double(dtype, data, i);
    if (!isfinite(v)) {
      stats->nonfinite++;
      continue;
    }
    if (finite == 0 || v < stats->min) stats->min = v;
    if (finite == 0 || v > stats->max) stats->max = v;
    sum += v;
    finite++;
  }
  stats->mean = finite ? sum / (double)finite : 0.0;
}
