/* Quantized addition of two 8-bit vectors (or a vector and one broadcast value), each input rescaled to the
 * output scale in integer arithmetic (docs/quantization.md, "QLinearAdd"):
 *
 *   acc = bias + a_multiplier * a + b_multiplier * b                       (int32, uint8-domain a, b)
 *   y   = clamp(rshift_half_even(acc, shift) + y_zero_point, qmin, qmax)
 *   rshift_half_even(acc, s) = asr(acc + rounding + (asr(acc, s) & round_mask), s)
 *
 * asr is the arithmetic shift (floor division by 2^s); a_multiplier = round(a_scale / y_scale * 2^shift),
 * b_multiplier likewise (both < 2^20); bias = -a_multiplier * a_zero_point - b_multiplier * b_zero_point;
 * rounding = 2^(shift-1) - 1 and round_mask = 1 (both 0 when shift = 0), which rounds acc / 2^shift half to
 * even (adding the parity of the floor turns the tie of an odd floor up). shift is the largest value <= 30
 * that keeps both multipliers below 2^20, so |acc| < 2^30 and nothing overflows. All integer: identical on
 * every ISA. Error bound: |acc / 2^shift - exact| <= 255 * 2^-shift (< 1 step while max(a_scale, b_scale) /
 * y_scale < 2048), so y is within one step of round_half_even((DQ(a) + DQ(b)) / y_scale) + y_zero_point,
 * clamped, and equal to it whenever the multipliers are exact (dyadic scale ratios).
 * Ratios of 2^20 and more have their multiplier clamped to 2^20 - 1 (the output saturates anyway unless both
 * terms cancel).
 *
 * int8 tensors (sign_flip = 0x80) are handled in the uint8 domain: loaded bytes ^ 0x80, zero points and
 * qmin/qmax + 128, stored bytes ^ 0x80 — exactly the int8 results. */
#ifndef QI_QU8_VADD_H
#define QI_QU8_VADD_H

#include <stddef.h>
#include <stdint.h>

#include "qinfer.h"

typedef struct qi_qu8_add_params {
  int32_t a_multiplier, b_multiplier; /* 0 .. 2^20 - 1 */
  int32_t bias;                       /* minus the zero points' products (uint8 domain) */
  int32_t rounding, round_mask;       /* 2^(shift-1) - 1 and 1; 0 and 0 when shift = 0 */
  uint32_t shift;                     /* 0 .. 30 */
  int32_t y_zero_point, qmin, qmax;   /* uint8 domain, 0 <= qmin <= qmax <= 255 */
  uint8_t sign_flip;                  /* 0 for uint8 tensors, 0x80 for int8 */
} qi_qu8_add_params;

/* y[i] = a[i] (+) b[i] */
typedef void (*qi_qu8_vadd_ukernel_fn)(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_add_params *p);
/* y[i] = a[i] (+) b[0]: b is one broadcast value */
typedef qi_qu8_vadd_ukernel_fn qi_qu8_vaddc_ukernel_fn;

void qi_qu8_vadd_minmax_ukernel__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                        const qi_qu8_add_params *p);
void qi_qu8_vaddc_minmax_ukernel__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                         const qi_qu8_add_params *p);
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
void qi_qu8_vadd_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                      const qi_qu8_add_params *p);
void qi_qu8_vaddc_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_add_params *p);
#endif

typedef struct qi_qu8_vadd_config {
  qi_qu8_vadd_ukernel_fn vadd;
  qi_qu8_vaddc_ukernel_fn vaddc;
  const char *vadd_name, *vaddc_name;
} qi_qu8_vadd_config;

/* Never NULL; QINFER_ISA_AUTO is the best path of this CPU; paths without kernels fall back to avx2 / scalar. */
const qi_qu8_vadd_config *qi_qu8_vadd_config_get(qinfer_isa isa);

/* Parameters from the operands' scales and zero points (zero points and [qmin, qmax] in the tensors' own
 * domain: uint8, or int8 when is_int8). Scales finite and > 0. */
void qi_qu8_add_params_init(qi_qu8_add_params *p, float a_scale, int32_t a_zero_point, float b_scale,
                            int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                            int is_int8);

/* Arithmetic shift right (floor division by 2^s) without relying on the implementation-defined >> of a
 * negative int32. */
static inline int32_t qi_asr32(int32_t x, uint32_t s) {
  return x >= 0 ? (int32_t)((uint32_t)x >> s) : (int32_t)~(~(uint32_t)x >> s);
}

/* One element of the add rule (the scalar kernels and tests share it). */
static inline uint8_t qi_qu8_add_one(int32_t a, int32_t b, const qi_qu8_add_params *p) {
  const int32_t acc = p->bias + p->a_multiplier * a + p->b_multiplier * b;
  int32_t v = qi_asr32(acc + p->rounding + (qi_asr32(acc, p->shift) & p->round_mask), p->shift) + p->y_zero_point;
  v = v < p->qmin ? p->qmin : v;
  v = v > p->qmax ? p->qmax : v;
  return (uint8_t)v;
}

#endif /* QI_QU8_VADD_H */
