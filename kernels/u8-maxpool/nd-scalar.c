#include "kernels/f32-pool/maxpool-nd-template.h"
#include "kernels/u8-maxpool/u8-maxpool.h"

QI_DEFINE_MAXPOOL_ND(qi_u8_maxpool_ukernel_nd__scalar, uint8_t, 0)
