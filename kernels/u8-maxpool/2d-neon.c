#include "kernels/u8-maxpool/maxpool-2d-neon.h"
#include "kernels/u8-maxpool/u8-maxpool.h"

void qi_u8_maxpool_ukernel_2d__neon(const qi_windownd *g, const uint8_t *input, uint8_t *output) {
  if (!qi_x8_maxpool_2d_neon(g, input, output, false))
    qi_u8_maxpool_ukernel_nd__scalar(g, input, output, NULL, 0, false);
}
