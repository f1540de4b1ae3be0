#include "engine/isa_map.h"

#include <stdlib.h>
#include <string.h>

static const qinfer_isa to_public[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = QINFER_ISA_SCALAR,       [QI_ISA_AVX2] = QINFER_ISA_AVX2, [QI_ISA_AVXVNNI] = QINFER_ISA_AVXVNNI,
    [QI_ISA_AVX512VNNI] = QINFER_ISA_AVX512VNNI, [QI_ISA_NEON] = QINFER_ISA_NEON, [QI_ISA_NEONDOT] = QINFER_ISA_NEONDOT,
    [QI_ISA_NEONI8MM] = QINFER_ISA_NEONI8MM,
};

qi_isa qi_isa_from_public(qinfer_isa isa) {
  if (isa == QINFER_ISA_AUTO) return qi_isa_best();
  for (int i = 0; i < QI_ISA_COUNT; i++)
    if (to_public[i] == isa) return (qi_isa)i;
  return QI_ISA_COUNT;
}

qinfer_isa qi_isa_to_public(qi_isa isa) { return (size_t)isa < QI_ISA_COUNT ? to_public[isa] : QINFER_ISA_AUTO; }

int qi_isa_public_parse(const char *name) {
  if (strcmp(name, "auto") == 0) return QINFER_ISA_AUTO;
  const int isa = qi_isa_parse(name);
  return isa < 0 ? -1 : (int)to_public[isa];
}

int qi_isa_public_from_env(void) {
  const char *v = getenv("QINFER_ISA");
  if (!v || !*v) return QINFER_ISA_AUTO;
  return qi_isa_public_parse(v);
}
