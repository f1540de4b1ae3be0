#include "kernels/u8-maxpool/u8-maxpool.h"

/* The portable 2d entry: the N-d kernel without indices (it takes 1-D and 2-D windows as they are). */
void qi_u8_maxpool_ukernel_2d__scalar(const qi_windownd *g, const uint8_t *input, uint8_t *output) {
  qi_u8_maxpool_ukernel_nd__scalar(g, input, output, NULL, 0, false);
}
