#include "kernels/qu8-dwconv/dwconv-avx2.h"

/* the window and the stride as constants: the tap loop unrolls with its weights in registers */
QI_QU8_DWCONV_3X3_KERNEL(qi_qu8_dwconv_minmax_ukernel_3x3__avx2)
