#include "kernels/qu8-dwconv/dwconv-avx2.h"

QI_QU8_DWCONV_ANY_KERNEL(qi_qu8_dwconv_minmax_ukernel_any__avx2)
