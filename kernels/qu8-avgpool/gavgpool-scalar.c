#include <assert.h>

#include "kernels/qu8-avgpool/qu8-avgpool.h"

void qi_qu8_gavgpool_ukernel__scalar(size_t rows, size_t length, const uint8_t *input, uint8_t *output,
                                     const qi_qu8_avgpool_params *params) {
  assert(input && output && params && length >= 1 && length <= QI_QU8_AVGPOOL_MAX_COUNT);
  const float scale = qi_qu8_avgpool_scale(params, length);
  const uint8_t flip = params->sign_flip;
  /* sum of the uint8 values (< 2^31), then the zero point's share once: exact */
  const int64_t zp_sum = (int64_t)params->x_zero_point * (int64_t)length;
  for (size_t r = 0; r < rows; r++, input += length) {
    uint32_t sum = 0;
    for (size_t i = 0; i < length; i++) sum += (uint32_t)(input[i] ^ flip);
    output[r] = qi_qu8_avgpool_store_sum(sum, zp_sum, scale, params);
  }
}

void qi_qu8_gavgpool_nwc_ukernel__scalar(size_t pixels, size_t channels, const uint8_t *input, uint8_t *output,
                                         const qi_qu8_avgpool_params *params) {
  assert(input && output && params && pixels >= 1 && pixels <= QI_QU8_AVGPOOL_MAX_COUNT);
  const float scale = qi_qu8_avgpool_scale(params, pixels);
  const uint8_t flip = params->sign_flip;
  const int64_t zp_sum = (int64_t)params->x_zero_point * (int64_t)pixels;
  enum { BLOCK = 64 };
  for (size_t c0 = 0; c0 < channels; c0 += BLOCK) {
    const size_t nc = channels - c0 < BLOCK ? channels - c0 : BLOCK;
    uint32_t sum[BLOCK] = {0};
    const uint8_t *x = input + c0;
    for (size_t p = 0; p < pixels; p++, x += channels)
      for (size_t c = 0; c < nc; c++) sum[c] += (uint32_t)(x[c] ^ flip);
    for (size_t c = 0; c < nc; c++) output[c0 + c] = qi_qu8_avgpool_store_sum(sum[c], zp_sum, scale, params);
  }
}
