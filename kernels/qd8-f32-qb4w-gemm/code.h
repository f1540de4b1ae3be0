/* One activation code of the qd8 rule (qd8-f32-qb4w-gemm.h), as the SIMD rows compute it: round half to even of
 * the binary32 product x, then int8 as cvtps2dq + packssdw + packsswb do (NaN or |x| >= 2^31 gives INT32_MIN,
 * hence -128). Shared by the scalar row and the SIMD rows' tails. */
#ifndef QI_QD8_CODE_H
#define QI_QD8_CODE_H

#include <math.h>
#include <stdint.h>

static inline int8_t qi_qd8_code(float x) {
  if (!(x > -2147483648.0f && x < 2147483648.0f)) return -128;
  const float r = fabsf(x) < 8388608.0f ? (x + 12582912.0f) - 12582912.0f : x; /* 1.5 * 2^23: ties to even */
  return r > 127.0f ? 127 : r < -128.0f ? -128 : (int8_t)r;
}

#endif /* QI_QD8_CODE_H */
