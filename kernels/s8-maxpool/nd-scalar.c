#include "kernels/f32-pool/maxpool-nd-template.h"
#include "kernels/s8-maxpool/s8-maxpool.h"

QI_DEFINE_MAXPOOL_ND(qi_s8_maxpool_ukernel_nd__scalar, int8_t, INT8_MIN)
