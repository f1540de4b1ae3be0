#include "kernels/s8-maxpool/s8-maxpool.h"
#include "kernels/u8-maxpool/maxpool-2d-neon.h"

void qi_s8_maxpool_ukernel_2d__neon(const qi_windownd *g, const int8_t *input, int8_t *output) {
  if (!qi_x8_maxpool_2d_neon(g, (const uint8_t *)input, (uint8_t *)output, true))
    qi_s8_maxpool_ukernel_nd__scalar(g, input, output, NULL, 0, false);
}
