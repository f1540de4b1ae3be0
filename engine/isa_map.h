/* The public ISA enum (qinfer_isa, with its "auto") mapped onto the kernels' internal one (qi_isa,
 * kernels/isa.h). Kernels never see include/: this is the only place the two meet. */
#ifndef QI_ENGINE_ISA_MAP_H
#define QI_ENGINE_ISA_MAP_H

#include "kernels/isa.h"
#include "qinfer.h"

/* QINFER_ISA_AUTO -> qi_isa_best(); a named path -> its qi_isa; any other value -> QI_ISA_COUNT. */
qi_isa qi_isa_from_public(qinfer_isa isa);
/* The public value of a path (QI_ISA_COUNT and other values outside the enum -> QINFER_ISA_AUTO). */
qinfer_isa qi_isa_to_public(qi_isa isa);
/* Whether isa is QINFER_ISA_AUTO or names a path of the enum. */
static inline bool qi_isa_public_valid(qinfer_isa isa) {
  return isa == QINFER_ISA_AUTO || qi_isa_from_public(isa) != QI_ISA_COUNT;
}
/* "auto" -> QINFER_ISA_AUTO, "scalar", "avx2", ... -> the public path; -1 when unknown. */
int qi_isa_public_parse(const char *name);
/* The path QINFER_ISA names in the environment (qi_isa_public_parse), QINFER_ISA_AUTO when unset or empty. */
int qi_isa_public_from_env(void);

#endif /* QI_ENGINE_ISA_MAP_H */
