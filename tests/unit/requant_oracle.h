/* The testers' own requantization, written from the ONNX spec and shared with no kernel (kernels/requant.h is the
 * kernels' implementation; an oracle calling it would pass whatever rounding rule it had).
 *
 * ONNX QuantizeLinear: y = saturate(round(x / y_scale) + y_zero_point), round = round half to even. qinfer's
 * integer ops apply it to the real value acc * scale, computed as one IEEE binary32 product of (float)acc and
 * the composed scale (docs/quantization.md); the rounding and saturation below are spelled out with integer
 * arithmetic on the exact binary32 value (no lrintf, rintf or nearbyint, whose mode a bug could change). */
#ifndef QI_TEST_REQUANT_ORACLE_H
#define QI_TEST_REQUANT_ORACLE_H

#include <math.h>
#include <stdint.h>

/* round half to even of a finite float, as a double holding an integer */
static inline double oracle_round_half_even(float v) {
  const double x = (double)v, f = floor(x), frac = x - f; /* exact: |v| < 2^24 keeps every step exact */
  if (frac > 0.5) return f + 1;
  if (frac < 0.5) return f;
  return fmod(f, 2.0) == 0.0 ? f : f + 1; /* a tie: the even neighbour */
}

/* saturate(round_half_even((float)acc * scale) + zp) into [qmin, qmax], for an int32 accumulator (the kernels
 * accumulate in int32, wrapping: callers with an int64 sum pass it cast to int32). */
static inline int32_t oracle_requant(int32_t acc, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float real = (float)acc * scale;
  if (!(fabsf(real) < 16777216.0f)) return real > 0 ? qmax : qmin; /* far outside any 8-bit range */
  const double q = oracle_round_half_even(real) + zp;
  return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}

/* QuantizeLinear of one float: x / scale in binary32, then the same rounding and saturation; NaN -> zp (the spec
 * leaves it undefined, qinfer's choice). */
static inline int32_t oracle_quantize(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float real = x / scale;
  if (real != real) return zp;
  if (!(fabsf(real) < 16777216.0f)) return real > 0 ? qmax : qmin;
  const double q = oracle_round_half_even(real) + zp;
  return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}

#endif /* QI_TEST_REQUANT_ORACLE_H */
