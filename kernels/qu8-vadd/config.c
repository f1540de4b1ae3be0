#include <math.h>

#include "kernels/isa.h"
#include "kernels/qu8-vadd/qu8-vadd.h"

static const qi_qu8_vadd_config configs[QINFER_ISA_NEONI8MM + 1] = {
    [QINFER_ISA_SCALAR] = {qi_qu8_vadd_minmax_ukernel__scalar, qi_qu8_vaddc_minmax_ukernel__scalar,
                           "qi_qu8_vadd_minmax_ukernel__scalar", "qi_qu8_vaddc_minmax_ukernel__scalar"},
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
    [QINFER_ISA_AVX2] = {qi_qu8_vadd_minmax_ukernel__avx2, qi_qu8_vaddc_minmax_ukernel__avx2,
                         "qi_qu8_vadd_minmax_ukernel__avx2", "qi_qu8_vaddc_minmax_ukernel__avx2"},
#endif /* x86 */
};

static qinfer_isa fallback_of(qinfer_isa isa) {
  switch (isa) {
    case QINFER_ISA_AVX512VNNI: return QINFER_ISA_AVXVNNI;
    case QINFER_ISA_AVXVNNI: return QINFER_ISA_AVX2;
    default: return QINFER_ISA_SCALAR;
  }
}

const qi_qu8_vadd_config *qi_qu8_vadd_config_get(qinfer_isa isa) {
  if (isa == QINFER_ISA_AUTO) isa = qi_isa_best();
  if ((size_t)isa >= sizeof configs / sizeof configs[0]) isa = QINFER_ISA_SCALAR;
  while (isa != QINFER_ISA_SCALAR && !configs[isa].vadd) isa = fallback_of(isa);
  return &configs[isa];
}

#define QI_ADD_MULT_LIMIT (1 << 20)

void qi_qu8_add_params_init(qi_qu8_add_params *p, float a_scale, int32_t a_zero_point, float b_scale,
                            int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                            int is_int8) {
  /* The ratios in double (exact quotients of two floats to 53 bits), then the largest shift <= 30 that keeps
   * both rounded multipliers below 2^20. */
  const double ra = (double)a_scale / (double)y_scale, rb = (double)b_scale / (double)y_scale;
  int shift = 30;
  double ma = nearbyint(ldexp(ra, shift)), mb = nearbyint(ldexp(rb, shift));
  while (shift > 0 && (ma >= QI_ADD_MULT_LIMIT || mb >= QI_ADD_MULT_LIMIT)) {
    shift--;
    ma = nearbyint(ldexp(ra, shift));
    mb = nearbyint(ldexp(rb, shift));
  }
  if (ma >= QI_ADD_MULT_LIMIT) ma = QI_ADD_MULT_LIMIT - 1;
  if (mb >= QI_ADD_MULT_LIMIT) mb = QI_ADD_MULT_LIMIT - 1;
  const int32_t off = is_int8 ? 128 : 0;
  p->a_multiplier = (int32_t)ma;
  p->b_multiplier = (int32_t)mb;
  p->shift = (uint32_t)shift;
  p->bias = -p->a_multiplier * (a_zero_point + off) - p->b_multiplier * (b_zero_point + off);
  p->rounding = shift > 0 ? ((int32_t)1 << (shift - 1)) - 1 : 0;
  p->round_mask = shift > 0 ? 1 : 0;
  p->y_zero_point = y_zero_point + off;
  p->qmin = qmin + off;
  p->qmax = qmax + off;
  p->sign_flip = is_int8 ? 0x80 : 0;
}
