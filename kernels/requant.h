/* qinfer's one requantization rule (docs/quantization.md), shared by every integer kernel and op.
 *
 * An integer result `acc` (int32: a dot product of (x - x_zp) * w plus an int32 bias, a sum of a pooling
 * window, a difference q - zp of a rescaled input) stands for the real value acc * scale. Its quantized
 * value in an output with zero point `zp` and integer range [qmin, qmax] is
 *
 *     q = clamp(round_half_even((float)acc * scale) + zp, qmin, qmax)
 *
 * computed in IEEE binary32: (float)acc rounds to nearest-even (exact while |acc| < 2^24), the product is
 * one correctly rounded multiply (never fused with anything), and rounding to an integer is half-to-even, as
 * ONNX specifies for QuantizeLinear. The product is clamped to [qmin - zp, qmax - zp] before rounding: the
 * bounds are integers, so this is the same as clamping after rounding and keeps the conversion in range.
 * Every SIMD path computes exactly these operations (cvtdq2ps, mulps, min/max, cvtps2dq under the default
 * MXCSR rounding mode), so results are identical on every ISA.
 *
 * Preconditions: scale finite and > 0 (checked when parameters are read), qmin <= zp <= qmax,
 * qmin >= -2^24 and qmax <= 2^24.
 *
 * Scales are composed in float in a fixed order: a convolution / matmul output channel c uses
 * (x_scale * w_scale[c]) / y_scale; see docs/quantization.md for each op.
 */
#ifndef QI_KERNELS_REQUANT_H
#define QI_KERNELS_REQUANT_H

#include <math.h>
#include <stdint.h>

static inline int32_t qi_requant_fp32(int32_t acc, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  float v = (float)acc * scale;
  const float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (int32_t)lrintf(v) + zp; /* lrintf: current rounding mode, round-to-nearest-even by default */
}

/* The same rule for an int64 result (the W8A16 gemm, kernels/qs16-gemm): (float)acc rounds the int64 to the
 * nearest binary32, ties to even, in one step (exact while |acc| < 2^24). Precondition |acc| < 2^53, so that a
 * SIMD path may form the sum exactly in binary64 and round it to binary32 once (vcvtpd2ps) with the same result. */
static inline int32_t qi_requant_fp32_s64(int64_t acc, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  float v = (float)acc * scale;
  const float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (int32_t)lrintf(v) + zp;
}

/* QuantizeLinear of one float (ONNX: saturate(round(x / scale) + zp)): a division, as the spec and ONNX
 * Runtime compute it, then the same clamp and half-even rounding. NaN maps to zp: the spec leaves it undefined, qinfer gives it a fixed result. */
static inline int32_t qi_quantize_f32(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  float v = x / scale;
  if (v != v) return zp;
  const float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (int32_t)lrintf(v) + zp;
}

#endif /* QI_KERNELS_REQUANT_H */
