#include <float.h>

#include "kernels/f32-pool/f32-pool.h"
#include "kernels/f32-pool/maxpool-nd-template.h"

/* -FLT_MAX as the 2-D kernel and ONNX Runtime start from: NaN taps never win. */
QI_DEFINE_MAXPOOL_ND(qi_f32_maxpool_ukernel_nd__scalar, float, -FLT_MAX)
