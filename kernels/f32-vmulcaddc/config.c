#include "kernels/f32-vmulcaddc/vmulcaddc.h"

qi_f32_vmulcaddc_ukernel_fn qi_f32_vmulcaddc_config_get(qi_isa isa) {
  (void)isa; /* every path uses the scalar kernel until vector ones land */
  return qi_f32_vmulcaddc_ukernel__scalar;
}
